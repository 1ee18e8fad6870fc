//! `fix --load`: put the fixed configuration into the running kernel the way the host's
//! loader would, without a moment with no rules when that can be avoided.
//!
//! augenrules mode first writes `audit.rules` byte-identical to augenrules' output (keeping
//! `audit.rules.prev`, mode 0640, as augenrules does). Then the kernel: when its list is a
//! prefix of the wanted list (by kernel identity) only the missing rules are appended;
//! otherwise every rule is deleted and the wanted list added, as augenrules' leading `-D` does.
//! `-e 2` is never sent: auditguard does not lock the kernel (the loader will at next boot).

use crate::fix::apply::FileWrite;
use crate::host::Host;
use crate::kernel::{AuditKernel, KernelError};
use crate::load::augenrules::AUDIT_RULES;
use crate::load::configuration::{Configuration, Mode};
use crate::load::Origin;
use crate::model::Rule;
use crate::syntax::Command;
use std::path::{Path, PathBuf};

/// What loading did (data; worded, and serialised, by `report::fix`).
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// `unchanged`, `appended` or `replaced`.
    pub how: &'static str,
    /// Rules added.
    pub added: usize,
    /// Rules deleted.
    pub deleted: usize,
    /// Rules the kernel refused: the line that adds it, and why.
    pub errors: Vec<(Option<Origin>, KernelError)>,
    /// The `-e 2` line not applied (auditguard never locks; audit is enabled with 1 instead).
    pub lock_not_applied: Option<Origin>,
    /// The setting lines left to the loader (`-b`, `-f`, `-r`, `--backlog_wait_time`, ...),
    /// exact bytes.
    pub settings: Vec<Vec<u8>>,
}

/// The files augenrules would write for `config` (augenrules mode): `audit.rules` with the
/// merged text, mode 0640, and `audit.rules.prev` with the previous contents. Nothing when
/// the file already holds the merged text.
pub fn audit_rules_writes(host: &dyn Host, config: &Configuration) -> Vec<FileWrite> {
    if config.mode != Mode::Augenrules {
        return Vec::new();
    }
    let path = PathBuf::from(AUDIT_RULES);
    let old = host.read(&path).ok();
    if old.as_deref() == Some(&config.text[..]) {
        return Vec::new();
    }
    let mut writes = Vec::new();
    if let Some(old) = &old {
        let prev = Path::new(AUDIT_RULES).with_extension("rules.prev");
        writes.push(FileWrite {
            expected: host.read(&prev).ok(),
            path: prev,
            contents: old.clone(),
            mode: Some(0o640),
        });
    }
    writes.push(FileWrite {
        path,
        contents: config.text.to_vec(),
        expected: old,
        mode: Some(0o640),
    });
    writes
}

/// Load `config`'s rules into `kernel`.
pub fn load(
    kernel: &mut dyn AuditKernel,
    config: &Configuration,
) -> Result<LoadReport, KernelError> {
    let status = kernel.status()?;
    if status.is_locked() {
        return Err(KernelError::Immutable);
    }
    let wanted: Vec<&Rule> = config.outcome.rules.iter().map(|r| &r.rule).collect();
    let current = kernel.list_rules()?;
    let mut report = LoadReport::default();
    let prefix = current.len() <= wanted.len()
        && current.iter().zip(&wanted).all(|(c, w)| c.same_identity(w));
    let start = if prefix {
        report.how = if current.len() == wanted.len() {
            "unchanged"
        } else {
            "appended"
        };
        current.len()
    } else {
        report.how = "replaced";
        for r in &current {
            kernel.delete_rule(r)?;
            report.deleted += 1;
        }
        0
    };
    for r in &wanted[start..] {
        let mut rule = (*r).clone();
        rule.prepend = false;
        match kernel.add_rule(&rule) {
            Ok(()) => report.added += 1,
            Err(KernelError::Immutable) => return Err(KernelError::Immutable),
            Err(e) => report.errors.push((
                config
                    .outcome
                    .rules
                    .iter()
                    .find(|l| std::ptr::eq(&l.rule, *r))
                    .map(|l| l.origin.clone()),
                e,
            )),
        }
    }
    // The loader's -e: 1 is applied; 2 only said (auditguard never locks).
    if let Some((n, origin)) = &config.outcome.enabled {
        match n {
            2 => {
                report.lock_not_applied = Some(origin.clone());
                kernel.set_enabled(1)?;
            }
            n => kernel.set_enabled(*n)?,
        }
    }
    report.settings = config
        .setting_lines
        .iter()
        .filter(|l| {
            l.commands.iter().any(|c| {
                matches!(
                    c,
                    Command::SetBacklogLimit(_)
                        | Command::SetFailure(_)
                        | Command::SetRateLimit(_)
                        | Command::SetBacklogWaitTime(_)
                        | Command::LoginuidImmutable
                        | Command::ResetLost
                        | Command::ResetBacklogWaitTimeActual
                )
            })
        })
        .map(|l| {
            config
                .text
                .get(l.range.clone())
                .unwrap_or_default()
                .to_vec()
        })
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::RootHost;
    use crate::kernel::FakeKernel;
    use crate::load::configuration::configure;
    use crate::model::Machine;

    fn config() -> Configuration {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/compliant");
        configure(&RootHost::new(root), Machine::X86_64).unwrap()
    }

    #[test]
    fn appends_to_a_prefix_and_replaces_otherwise() {
        let c = config();
        let mut k = FakeKernel::new();
        let r = load(&mut k, &c).unwrap();
        assert_eq!(
            (r.how, r.added, r.deleted),
            ("appended", c.outcome.rules.len(), 0)
        );
        assert!(r.lock_not_applied.is_some(), "the example ends with -e 2");
        // The example's -b, --backlog_wait_time and -f are named as not applied.
        assert_eq!(
            r.settings,
            [&b"-b 8192"[..], b"-f 1", b"--backlog_wait_time 60000"]
        );
        let again = load(&mut k, &c).unwrap();
        assert_eq!((again.how, again.added), ("unchanged", 0));
        // A foreign rule first: replace.
        let mut k = FakeKernel::new();
        let mut foreign = Rule::new(crate::model::List::Exit, crate::model::Action::Never);
        foreign.mask.set(1);
        k.add_rule(&foreign).unwrap();
        let r = load(&mut k, &c).unwrap();
        assert_eq!((r.how, r.deleted), ("replaced", 1));
        assert_eq!(k.list_rules().unwrap().len(), c.outcome.rules.len());
    }

    #[test]
    fn every_setting_left_alone_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("etc/audit/rules.d");
        std::fs::create_dir_all(&rules).unwrap();
        let units = dir.path().join("usr/lib/systemd/system");
        std::fs::create_dir_all(&units).unwrap();
        let unit = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/compliant/usr/lib/systemd/system/auditd.service"
        );
        std::fs::copy(unit, units.join("auditd.service")).unwrap();
        std::fs::write(
            rules.join("a.rules"),
            "-r 100\n--loginuid-immutable\n--reset-lost\n-a always,exit -F arch=b64 -S init_module -k m\n",
        )
        .unwrap();
        let c = configure(&RootHost::new(dir.path()), Machine::X86_64).unwrap();
        let r = load(&mut FakeKernel::new(), &c).unwrap();
        assert_eq!(
            r.settings,
            [&b"-r 100"[..], b"--loginuid-immutable", b"--reset-lost"]
        );
    }

    #[test]
    fn locked_kernel_is_refused() {
        let c = config();
        let mut k = FakeKernel::locked(Vec::new());
        assert_eq!(load(&mut k, &c).unwrap_err(), KernelError::Immutable);
    }
}
