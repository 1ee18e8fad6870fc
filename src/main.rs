//! The `auditguard` binary: parse arguments, run the command, map the outcome to an exit
//! code (0 ok, 1 not compliant, 2 error). All the work is in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = auditguard::cli::Args::parse();
    match auditguard::cli::run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`auditguard rules | head`) is not an error.
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            // The message may name target paths or quote target bytes: escaped like every
            // other text auditguard prints; each cause said once.
            eprintln!(
                "auditguard: error: {}",
                auditguard::report::bytes::text(&auditguard::report::error_line(err.as_ref()))
            );
            ExitCode::from(2)
        }
    }
}
