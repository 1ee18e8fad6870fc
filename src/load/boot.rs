//! Where a target's kernel command line comes from, read at the edge: what the next boot
//! uses (`GRUB_CMDLINE_LINUX` and `GRUB_CMDLINE_LINUX_DEFAULT` of `/etc/default/grub` and
//! `/etc/default/grub.d/*.cfg`; the `options` line of each Boot Loader Specification entry in
//! `/boot/loader/entries/`, with `$kernelopts` taken from grubenv; the `linux` lines of the
//! generated `grub.cfg`) and what the running kernel got (`/proc/cmdline`, which only a live
//! host has). The parsing is ours: a bootloader configuration is shell-like text, not a format
//! any crate reads.

use crate::host::Host;
use crate::model::{BootSource, BootSourceKind};
use std::path::Path;

/// Every source of kernel arguments on the target, in the order above.
pub fn sources(host: &dyn Host) -> Vec<BootSource> {
    let mut out = Vec::new();
    let read = |p: &str| host.read(Path::new(p)).ok();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    // /etc/default/grub, then grub.d/*.cfg (sourced after it: later assignments win).
    let mut defaults: Vec<String> = vec!["/etc/default/grub".into()];
    if let Ok(entries) = host.read_dir(Path::new("/etc/default/grub.d")) {
        let mut names: Vec<String> = entries
            .into_iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .filter(|n| n.ends_with(".cfg"))
            .collect();
        names.sort();
        defaults.extend(
            names
                .into_iter()
                .map(|n| format!("/etc/default/grub.d/{n}")),
        );
    }
    let mut grub: Option<BootSource> = None;
    let mut grub_default: Option<BootSource> = None;
    for f in defaults {
        let Some(t) = read(&f).map(text) else {
            continue;
        };
        for (i, line) in t.lines().enumerate() {
            let line = line.trim();
            for (var, slot) in [
                ("GRUB_CMDLINE_LINUX=", &mut grub),
                ("GRUB_CMDLINE_LINUX_DEFAULT=", &mut grub_default),
            ] {
                if let Some(v) = line.strip_prefix(var) {
                    *slot = Some(BootSource {
                        file: f.clone(),
                        line: i as u32 + 1,
                        kind: BootSourceKind::GrubDefault,
                        args: split_args(&unquote(v)),
                    });
                }
            }
        }
    }
    // GRUB_CMDLINE_LINUX applies to every entry, _DEFAULT to the normal ones: a normal boot
    // gets both.
    match (grub, grub_default) {
        (Some(mut g), Some(d)) => {
            g.args.extend(d.args);
            out.push(g);
        }
        (Some(g), None) | (None, Some(g)) => out.push(g),
        (None, None) => {}
    }
    let kernelopts = ["/boot/grub2/grubenv", "/boot/grub/grubenv"]
        .iter()
        .find_map(|p| read(p).map(text))
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("kernelopts=").map(str::to_string))
        });
    if let Ok(entries) = host.read_dir(Path::new("/boot/loader/entries")) {
        let mut names: Vec<String> = entries
            .into_iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .filter(|n| n.ends_with(".conf"))
            .collect();
        names.sort();
        for n in names {
            let f = format!("/boot/loader/entries/{n}");
            let Some(t) = read(&f).map(text) else {
                continue;
            };
            // Rescue entries are not the normal boot.
            if n.contains("rescue") {
                continue;
            }
            for (i, line) in t.lines().enumerate() {
                if let Some(v) = line.trim().strip_prefix("options") {
                    let v = v.replace("$kernelopts", kernelopts.as_deref().unwrap_or(""));
                    out.push(BootSource {
                        file: f.clone(),
                        line: i as u32 + 1,
                        kind: BootSourceKind::Bls,
                        args: split_args(&v),
                    });
                }
            }
        }
    }
    for f in ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"] {
        let Some(t) = read(f).map(text) else { continue };
        for (i, line) in t.lines().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if matches!(words.first(), Some(&("linux" | "linux16" | "linuxefi")))
                && !line.contains("recovery")
                && !line.contains("single")
            {
                out.push(BootSource {
                    file: f.to_string(),
                    line: i as u32 + 1,
                    kind: BootSourceKind::GrubCfg,
                    // The kernel image path is not an argument.
                    args: words.iter().skip(2).map(|s| s.to_string()).collect(),
                });
            }
        }
    }
    if let Some(t) = read("/proc/cmdline").map(text) {
        out.push(BootSource {
            file: "/proc/cmdline".into(),
            line: 1,
            kind: BootSourceKind::Running,
            args: split_args(t.trim()),
        });
    }
    out
}

/// A shell value without its quotes (`"a b"` or `'a b'`).
fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    v.to_string()
}

fn split_args(v: &str) -> Vec<String> {
    v.split_whitespace().map(str::to_string).collect()
}

/// The value of argument `name` in `args` as the kernel takes it (the last one wins; a bare
/// `name` has the value ""), or `None` when absent.
pub fn arg_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().rev().find_map(|a| match a.split_once('=') {
        Some((n, v)) if n == name => Some(v),
        None if a == name => Some(""),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_argument_wins() {
        let args = split_args("ro audit=0 quiet audit=1 audit_backlog_limit=8192");
        assert_eq!(arg_value(&args, "audit"), Some("1"));
        assert_eq!(arg_value(&args, "audit_backlog_limit"), Some("8192"));
        assert_eq!(arg_value(&args, "nosuch"), None);
        assert_eq!(unquote("\"quiet audit=1\""), "quiet audit=1");
    }
}
