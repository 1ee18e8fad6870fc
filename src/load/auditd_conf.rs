//! `auditd.conf` as auditd 3.0.9 reads it (`src/auditd-config.c`, `load_config`): pure, bytes
//! in, settings out.
//!
//! What auditd does, mirrored here:
//! - a line is read into a 160-byte buffer (`fgets`): a line of 160 bytes or more (newline
//!   included) is skipped whole;
//! - it is split on spaces only (`audit_strsplit`: a tab is part of a token), into
//!   `name = value [option]`; an empty line or one whose first token starts with `#` is skipped;
//! - a line without `=` as its second token, or without a value, or with more than one option,
//!   stops the parse: auditd refuses the file and **does not start**;
//! - the keyword is looked up without regard to case (`strcasecmp`); an unknown one stops the
//!   parse; so does an option on a keyword that takes none (only the four `*_action` keys of
//!   the disk and space checks take one: the `exec` program);
//! - each keyword's parser checks its value (action names without regard to case, numbers as
//!   digits, `space_left` with an optional `%`); a bad value stops the parse;
//! - a later line for the same keyword overrides an earlier one; a keyword never set keeps its
//!   built-in default (`clear_config`), and a missing file means every default.

/// The auditd release whose parser this mirrors.
pub const AUDITD_VERSION: &str = "3.0.9";

/// Bytes of auditd's line buffer: a line needs its newline inside it.
const LINE_BUFFER: usize = 160;

/// One `key = value` line that took effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The keyword as auditd names it (lower case).
    pub key: &'static str,
    /// The value as written.
    pub value: String,
    /// The option after the value (`exec` actions), if any.
    pub option: Option<String>,
    /// 1-based line.
    pub line: u32,
}

/// Where auditd stops reading the file, and why (then the daemon does not start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line.
    pub line: u32,
    /// What is wrong, in auditd's terms.
    pub reason: String,
}

/// A parsed `auditd.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DaemonConf {
    /// Every line that took effect, in file order.
    pub entries: Vec<Entry>,
    /// The line at which auditd refuses the file, if it does.
    pub refused: Option<Refusal>,
    /// Lines skipped because they do not fit auditd's buffer.
    pub too_long: Vec<u32>,
}

/// How a keyword's value is checked.
#[derive(Clone, Copy)]
enum Value {
    /// One of these names, without regard to case.
    OneOf(&'static [&'static str]),
    /// Digits only.
    Number,
    /// Digits, optionally with `%` (space_left, admin_space_left).
    NumberOrPercent,
    /// Anything (paths, names, addresses).
    Any,
}

const YES_NO: &[&str] = &["yes", "no"];
const FAILURE_ACTIONS: &[&str] = &[
    "ignore", "syslog", "rotate", "email", "exec", "suspend", "single", "halt",
];
const SIZE_ACTIONS: &[&str] = &["ignore", "syslog", "suspend", "rotate", "keep_logs"];

/// auditd 3.0.9's keywords: (name, value check, takes an option, built-in default).
const KEYWORDS: &[(&str, Value, bool, &str)] = &[
    ("local_events", Value::OneOf(YES_NO), false, "yes"),
    ("write_logs", Value::OneOf(YES_NO), false, "yes"),
    ("log_file", Value::Any, false, "/var/log/audit/audit.log"),
    (
        "log_format",
        Value::OneOf(&["raw", "nolog", "enriched"]),
        false,
        "enriched",
    ),
    ("log_group", Value::Any, false, "root"),
    (
        "flush",
        Value::OneOf(&["none", "incremental", "incremental_async", "data", "sync"]),
        false,
        "none",
    ),
    ("freq", Value::Number, false, "0"),
    ("num_logs", Value::Number, false, "0"),
    ("dispatcher", Value::Any, false, ""),
    (
        "name_format",
        Value::OneOf(&["none", "hostname", "fqd", "numeric", "user"]),
        false,
        "none",
    ),
    ("name", Value::Any, false, ""),
    ("disp_qos", Value::Any, false, ""),
    ("max_log_file", Value::Number, false, "0"),
    (
        "max_log_file_action",
        Value::OneOf(SIZE_ACTIONS),
        false,
        "ignore",
    ),
    ("space_left", Value::NumberOrPercent, false, "0"),
    (
        "space_left_action",
        Value::OneOf(FAILURE_ACTIONS),
        true,
        "ignore",
    ),
    ("action_mail_acct", Value::Any, false, "root"),
    ("verify_email", Value::OneOf(YES_NO), false, "yes"),
    ("admin_space_left", Value::NumberOrPercent, false, "0"),
    (
        "admin_space_left_action",
        Value::OneOf(FAILURE_ACTIONS),
        true,
        "ignore",
    ),
    (
        "disk_full_action",
        Value::OneOf(FAILURE_ACTIONS),
        true,
        "ignore",
    ),
    (
        "disk_error_action",
        Value::OneOf(FAILURE_ACTIONS),
        true,
        "syslog",
    ),
    ("priority_boost", Value::Number, false, "4"),
    ("tcp_listen_port", Value::Number, false, "0"),
    ("tcp_listen_queue", Value::Number, false, "5"),
    ("tcp_max_per_addr", Value::Number, false, "1"),
    ("use_libwrap", Value::OneOf(YES_NO), false, "yes"),
    ("tcp_client_ports", Value::Any, false, ""),
    ("tcp_client_max_idle", Value::Number, false, "0"),
    (
        "transport",
        Value::OneOf(&["tcp", "krb5", "ktls"]),
        false,
        "tcp",
    ),
    ("enable_krb5", Value::OneOf(YES_NO), false, "no"),
    ("krb5_principal", Value::Any, false, ""),
    ("krb5_key_file", Value::Any, false, ""),
    ("distribute_network", Value::OneOf(YES_NO), false, "no"),
    ("q_depth", Value::Number, false, "2000"),
    (
        "overflow_action",
        Value::OneOf(&["ignore", "syslog", "suspend", "single", "halt"]),
        false,
        "syslog",
    ),
    ("max_restarts", Value::Number, false, "10"),
    ("plugin_dir", Value::Any, false, "/etc/audit/plugins.d"),
    ("end_of_event_timeout", Value::Number, false, "2"),
];

/// Whether auditd 3.0.9 knows `key` (any case).
pub fn known(key: &str) -> bool {
    keyword(key).is_some()
}

fn keyword(key: &str) -> Option<&'static (&'static str, Value, bool, &'static str)> {
    KEYWORDS.iter().find(|k| k.0.eq_ignore_ascii_case(key))
}

/// auditd 3.0.9's built-in default of `key` (`clear_config`), as a value a file could hold.
pub fn default(key: &str) -> Option<&'static str> {
    keyword(key).map(|k| k.3)
}

/// Parse `bytes` as auditd reads `auditd.conf`. Never fails: what auditd would refuse is
/// reported in [`DaemonConf::refused`]. O(bytes).
pub fn parse(bytes: &[u8]) -> DaemonConf {
    let mut out = DaemonConf::default();
    for (i, raw) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let line = i as u32 + 1;
        let has_newline = raw.last() == Some(&b'\n');
        // fgets with a 160-byte buffer, then a search for the newline: a line of 160 bytes or
        // more, and a last line without a newline, find none and are skipped as too long.
        if raw.len() >= LINE_BUFFER || !has_newline {
            out.too_long.push(line);
            continue;
        }
        let text = String::from_utf8_lossy(raw.strip_suffix(b"\n").unwrap_or(raw)).into_owned();
        let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
        let Some(name) = tokens.first() else { continue };
        if name.starts_with('#') {
            continue;
        }
        let refuse = |reason: String| Refusal { line, reason };
        // Fewer than three tokens leave no value: auditd stops. More than four only earn a
        // logged error: the fourth is the option, the rest is ignored.
        if tokens.len() < 3 {
            out.refused = Some(refuse(
                "wrong number of arguments (auditd splits on spaces only: key = value)".into(),
            ));
            return out;
        }
        if tokens[1] != "=" {
            out.refused = Some(refuse("missing equal sign".into()));
            return out;
        }
        let Some(&(key, check, takes_option, _)) = keyword(name) else {
            out.refused = Some(refuse(format!("unknown keyword \"{name}\"")));
            return out;
        };
        let value = tokens[2];
        let option = tokens.get(3).map(|s| s.to_string());
        if option.is_some() && !takes_option {
            out.refused = Some(refuse(format!("keyword \"{key}\" takes no option")));
            return out;
        }
        let ok = match check {
            Value::OneOf(names) => names.iter().any(|n| n.eq_ignore_ascii_case(value)),
            Value::Number => value.bytes().all(|b| b.is_ascii_digit()),
            Value::NumberOrPercent => {
                let digits = value.strip_suffix('%').unwrap_or(value);
                !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && (!value.ends_with('%') || digits.parse::<u32>().is_ok_and(|n| n < 100))
            }
            Value::Any => true,
        };
        if !ok {
            out.refused = Some(refuse(format!("\"{value}\" is not a valid {key}")));
            return out;
        }
        // num_logs_parser and q_depth_parser cap their values (999, 99999).
        for (k, cap) in [("num_logs", 999u64), ("q_depth", 99_999)] {
            if key == k && value.parse::<u64>().is_ok_and(|n| n > cap) {
                out.refused = Some(refuse(format!("{k} {value} is more than {cap}")));
                return out;
            }
        }
        if value.eq_ignore_ascii_case("exec") && takes_option && option.is_none() {
            out.refused = Some(refuse(format!("{key} = exec needs the program to run")));
            return out;
        }
        out.entries.push(Entry {
            key,
            value: value.to_string(),
            option,
            line,
        });
    }
    // `sanity_check`, run once a file with at least one line has been read.
    if !bytes.is_empty() {
        if let Some(reason) = sanity(&out) {
            out.refused = Some(Refusal { line: 0, reason });
        }
    }
    out
}

/// auditd 3.0.9's `sanity_check`: the settings that are valid alone but not together.
fn sanity(c: &DaemonConf) -> Option<String> {
    let value = |k: &str| {
        c.get(k)
            .map(|e| e.value.clone())
            .or_else(|| default(k).map(str::to_string))
    };
    let num = |v: &str| v.trim_end_matches('%').parse::<u64>().unwrap_or(0);
    let (space, admin) = (value("space_left")?, value("admin_space_left")?);
    if !space.ends_with('%') && !admin.ends_with('%') && num(&space) <= num(&admin) {
        return Some(format!(
            "space_left ({space}) must be larger than admin_space_left ({admin})"
        ));
    }
    let flush = value("flush")?.to_ascii_lowercase();
    if (flush == "incremental" || flush == "incremental_async") && num(&value("freq")?) == 0 {
        return Some("incremental flushing chosen, but 0 selected for freq".into());
    }
    let group = value("log_group")?;
    let log_file = value("log_file")?;
    let dir = std::path::Path::new(&log_file).parent();
    if group != "root" && group != "0" && dir == Some(std::path::Path::new("/var/log")) {
        return Some(
            "log_file is directly in /var/log and log_group is not root (chgrp would alter a \
             system directory)"
                .into(),
        );
    }
    None
}

impl DaemonConf {
    /// The entry that decides `key` (the last one), if the file sets it.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key.eq_ignore_ascii_case(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_wins_case_insensitive_keys_and_defaults() {
        let c = parse(
            b"# comment\nDisk_Full_Action = SYSLOG\ndisk_full_action = HALT\nspace_left = 25%\nadmin_space_left = 5%\n",
        );
        assert_eq!(c.refused, None);
        let e = c.get("disk_full_action").unwrap();
        assert_eq!((e.value.as_str(), e.line), ("HALT", 3));
        assert_eq!(c.get("space_left").unwrap().value, "25%");
        assert_eq!(c.get("max_log_file_action"), None);
        assert_eq!(default("max_log_file_action"), Some("ignore"));
        assert_eq!(default("log_format"), Some("enriched"));
    }

    #[test]
    fn what_auditd_refuses_stops_the_file() {
        for (text, line, why) in [
            (
                &b"log_format = RAW\nlog_format\t=\tRAW\n"[..],
                2,
                "wrong number",
            ),
            (b"log_format RAW\n", 1, "wrong number"),
            (b"log_format : RAW\n", 1, "missing equal"),
            (b"no_such_key = 1\n", 1, "unknown keyword"),
            (b"disk_full_action = explode\n", 1, "not a valid"),
            (b"space_left = 25MB\n", 1, "not a valid"),
            (b"space_left = 100%\n", 1, "not a valid"),
            (b"log_format = RAW extra\n", 1, "takes no option"),
            (b"log_format = RAW extra more\n", 1, "takes no option"),
            (b"disk_full_action = exec\n", 1, "needs the program"),
            (b"num_logs = 5000\n", 1, "more than 999"),
        ] {
            let c = parse(text);
            let r = c.refused.unwrap_or_else(|| panic!("{text:?} accepted"));
            assert_eq!(r.line, line, "{text:?}");
            assert!(r.reason.contains(why), "{text:?}: {}", r.reason);
        }
        let c = parse(b"space_left = 75\nadmin_space_left = 50\ndisk_full_action = exec /usr/local/bin/page\n");
        assert_eq!(c.refused, None);
        // A last line without a newline is dropped (auditd's reader finds no newline).
        let c = parse(b"space_left = 75\nadmin_space_left = 50\nlog_format = RAW");
        assert_eq!((c.get("log_format"), c.too_long.clone()), (None, vec![3]));
    }

    #[test]
    fn long_lines_are_skipped() {
        let long = format!(
            "log_file = /{}\nlog_format = RAW\nspace_left = 75\nadmin_space_left = 50\n",
            "x".repeat(200)
        );
        let c = parse(long.as_bytes());
        assert_eq!(c.too_long, vec![1]);
        assert_eq!(c.get("log_file"), None);
        assert_eq!(c.get("log_format").unwrap().line, 2);
    }
}
