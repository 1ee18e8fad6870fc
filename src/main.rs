fn main() {
    println!("auditguard");
}
