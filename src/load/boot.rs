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
    // The files are shell, sourced in order: `[export ]VAR="value" # comment`, where the value
    // may refer to the variables set so far ($VAR, ${VAR}).
    let mut vars: std::collections::BTreeMap<&str, (String, String, u32)> = Default::default();
    let mut read_any: Option<(String, u32)> = None;
    for f in defaults {
        let Some(t) = read(&f).map(text) else {
            continue;
        };
        read_any.get_or_insert((f.clone(), 1));
        for (i, line) in t.lines().enumerate() {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            for var in ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"] {
                let Some(v) = line.strip_prefix(var).and_then(|r| r.strip_prefix('=')) else {
                    continue;
                };
                let mut value = shell_value(v);
                // Longest name first, so $GRUB_CMDLINE_LINUX_DEFAULT is not cut short.
                for name in ["GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_CMDLINE_LINUX"] {
                    let old = vars
                        .get(name)
                        .map(|(v, _, _)| v.clone())
                        .unwrap_or_default();
                    value = value
                        .replace(&format!("${{{name}}}"), &old)
                        .replace(&format!("${name}"), &old);
                }
                vars.insert(var, (value, f.clone(), i as u32 + 1));
            }
        }
    }
    // GRUB_CMDLINE_LINUX applies to every entry, _DEFAULT to the normal ones: a normal boot
    // gets both. A file that sets neither still configures the boot: with no arguments.
    let linux = vars.get("GRUB_CMDLINE_LINUX");
    let default = vars.get("GRUB_CMDLINE_LINUX_DEFAULT");
    let at = linux
        .or(default)
        .map(|(_, f, l)| (f.clone(), *l))
        .or(read_any);
    if let Some((file, line)) = at {
        let mut args = linux.map(|(v, _, _)| split_args(v)).unwrap_or_default();
        args.extend(default.map(|(v, _, _)| split_args(v)).unwrap_or_default());
        out.push(BootSource {
            file,
            line,
            kind: BootSourceKind::GrubDefault,
            args,
        });
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
            // The rescue entry (`<machine-id>-0-rescue.conf`) is not the normal boot.
            if n.ends_with("-0-rescue.conf") {
                continue;
            }
            for (i, line) in t.lines().enumerate() {
                if let Some(v) = line.trim().strip_prefix("options") {
                    let ko = kernelopts.as_deref().unwrap_or("");
                    let v = v.replace("${kernelopts}", ko).replace("$kernelopts", ko);
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
            // A recovery entry boots with the word `single` (or `recovery`) among its
            // arguments: not the normal boot.
            let recovery = words
                .iter()
                .skip(2)
                .any(|w| *w == "single" || *w == "recovery");
            if matches!(words.first(), Some(&("linux" | "linux16" | "linuxefi"))) && !recovery {
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

/// The value of a shell assignment's right side: a quoted string (up to its closing quote;
/// what follows, such as `# comment`, is not part of it), or a bare word.
fn shell_value(v: &str) -> String {
    let v = v.trim_start();
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return rest.split(q).next().unwrap_or("").to_string();
        }
    }
    v.split_whitespace().next().unwrap_or("").to_string()
}

/// The kernel's arguments: split on white space; everything after `--` goes to init.
fn split_args(v: &str) -> Vec<String> {
    v.split_whitespace()
        .take_while(|a| *a != "--")
        .map(str::to_string)
        .collect()
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

/// A kernel argument's unsigned value as the kernel's `kstrtouint(s, 0, ...)` reads it
/// (decimal, `0x` hex or `0` octal; `None` when it does not parse or does not fit 32 bits, and
/// the kernel then ignores the argument).
pub fn kernel_uint(v: &str) -> Option<u32> {
    let (digits, radix) = if let Some(h) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        (h, 16)
    } else if v.len() > 1 && v.starts_with('0') {
        (&v[1..], 8)
    } else {
        (v, 10)
    };
    u32::from_str_radix(digits, radix).ok()
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
        assert_eq!(shell_value("\"quiet audit=1\" # CIS"), "quiet audit=1");
        assert_eq!(
            split_args("audit=1 -- audit=0"),
            vec!["audit=1".to_string()]
        );
        assert_eq!(kernel_uint("0x2000"), Some(8192));
        assert_eq!(kernel_uint("4294967296"), None);
    }
}
