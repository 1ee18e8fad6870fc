//! `load::detect` on this machine and on the example roots: the Debian unit installed here
//! must read as augenrules, with the unit line as evidence.

use auditguard::host::LiveHost;
use auditguard::load::detect::{detect, Loader};

#[test]
fn this_host() {
    let unit = [
        "/usr/lib/systemd/system/auditd.service",
        "/lib/systemd/system/auditd.service",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok());
    let d = detect(&LiveHost, true);
    println!("{d:#?}");
    match unit {
        Some(text) if text.contains("\nExecStartPost=-/sbin/augenrules --load") => {
            if std::path::Path::new("/etc/systemd/system/auditd.service").exists()
                || std::path::Path::new("/etc/systemd/system/auditd.service.d").exists()
            {
                println!("SKIP: local overrides present");
                return;
            }
            assert_eq!(d.loader, Loader::Augenrules);
            assert!(d.evidence[0].text.contains("augenrules --load"));
        }
        _ => println!("SKIP: no stock auditd.service here"),
    }
}
