//! A read-only listener on the audit multicast group, and the little record parsing that
//! proving collection needs: the event id `audit(SECS.MILLIS:SERIAL)` that groups the
//! records of one event, and the keys of a SYSCALL record.
//!
//! Joining `AUDIT_NLGRP_READLOG` (netlink group 1) needs CAP_AUDIT_READ and changes no kernel
//! state; the kernel copies every record there whether or not auditd runs.
//! Each record arrives as its own datagram. The kernel sets `nlmsg_len` inconsistently on
//! audit records (the unicast path to auditd subtracts the header, kernel/audit.c
//! `audit_log_end`), so, like go-libaudit, the listener ignores it and takes the whole
//! datagram after the header as the record text.
//!
//! This module refuses to interpret records beyond ids and keys: a full event parser is a
//! different job (see `linux-audit-parser`).

use crate::kernel::client::{KernelError, Result};
use crate::kernel::netlink::{AuditSocket, TransportError, AUDIT_NLGRP_READLOG};
use crate::kernel::wire::{Header, NLMSG_HDRLEN};
use crate::model::rule::KEY_SEPARATOR;
use rustix::io::Errno;
use std::time::{Duration, Instant};

/// `AUDIT_SYSCALL`: the record that carries the rule's key (the model's number, as a
/// netlink message type).
pub const AUDIT_SYSCALL: u16 = crate::model::rule::AUDIT_SYSCALL as u16;
/// `AUDIT_EOE`: end of a multi-record event.
pub const AUDIT_EOE: u16 = 1320;

/// One audit record: its type and its text (`audit(...): field=value ...`), as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record type (`AUDIT_SYSCALL`, `AUDIT_PATH`, ...).
    pub kind: u16,
    /// The text, trailing NULs removed.
    pub text: Vec<u8>,
}

/// What identifies an event: every record of one event carries the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId {
    /// Seconds since the epoch.
    pub secs: u64,
    /// Milliseconds.
    pub millis: u32,
    /// The event serial number.
    pub serial: u64,
}

impl Record {
    /// Decode one received datagram: header type, then the rest as text.
    pub fn decode(datagram: &[u8]) -> Option<Record> {
        let header = Header::decode(datagram).ok()?;
        let mut text = datagram.get(NLMSG_HDRLEN..)?.to_vec();
        while text.last() == Some(&0) {
            text.pop();
        }
        Some(Record {
            kind: header.kind,
            text,
        })
    }

    /// The event id from the `audit(SECS.MILLIS:SERIAL):` prefix.
    ///
    /// ```
    /// use auditguard::kernel::events::{EventId, Record};
    /// let r = Record { kind: 1300, text: b"audit(1700000000.123:456): arch=c000003e".to_vec() };
    /// assert_eq!(r.event_id(), Some(EventId { secs: 1700000000, millis: 123, serial: 456 }));
    /// ```
    pub fn event_id(&self) -> Option<EventId> {
        let rest = self.text.strip_prefix(b"audit(")?;
        let close = rest.iter().position(|b| *b == b')')?;
        let inner = std::str::from_utf8(&rest[..close]).ok()?;
        let (time, serial) = inner.split_once(':')?;
        let (secs, millis) = time.split_once('.')?;
        Some(EventId {
            secs: secs.parse().ok()?,
            millis: millis.parse().ok()?,
            serial: serial.parse().ok()?,
        })
    }

    /// The value of field `name` as the kernel wrote it (quotes kept). Values never contain
    /// spaces: the kernel hex-encodes any value with a space, quote or control byte
    /// (`audit_log_untrustedstring`), so fields split on spaces.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        let body = self
            .text
            .iter()
            .position(|b| *b == b' ')
            .map_or(&self.text[..], |i| &self.text[i + 1..]);
        body.split(|b| *b == b' ').find_map(|tok| {
            tok.strip_prefix(name.as_bytes())
                .and_then(|t| t.strip_prefix(b"="))
        })
    }

    /// The keys of the record's `key=` field: `key="k"` is one key, `key=(null)` none, and a
    /// bare hex value (used when the key holds a space, quote or control byte, and always
    /// for several keys joined by 0x01) is decoded and split at 0x01.
    ///
    /// ```
    /// use auditguard::kernel::events::Record;
    /// let r = Record { kind: 1300, text: b"audit(1.2:3): pid=7 key=6101627C".to_vec() };
    /// assert_eq!(r.keys(), vec![b"a".to_vec(), b"b|".to_vec()]);
    /// ```
    pub fn keys(&self) -> Vec<Vec<u8>> {
        let Some(v) = self.field("key") else {
            return Vec::new();
        };
        if v == b"(null)" {
            return Vec::new();
        }
        let raw = match v.strip_prefix(b"\"") {
            Some(q) => q.strip_suffix(b"\"").unwrap_or(q).to_vec(),
            None => decode_hex(v).unwrap_or_else(|| v.to_vec()),
        };
        raw.split(|b| *b == KEY_SEPARATOR)
            .map(<[u8]>::to_vec)
            .collect()
    }
}

fn decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    if s.is_empty() || s.len() % 2 != 0 {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// A socket joined to the audit multicast group.
#[derive(Debug)]
pub struct EventListener {
    socket: AuditSocket,
    overruns: u64,
}

impl EventListener {
    /// Join `AUDIT_NLGRP_READLOG`. Fails with [`KernelError::NotPermitted`] without
    /// CAP_AUDIT_READ.
    pub fn open() -> Result<EventListener> {
        Ok(EventListener {
            socket: AuditSocket::open_multicast(1 << (AUDIT_NLGRP_READLOG - 1))?,
            overruns: 0,
        })
    }

    /// How often the receive queue overflowed (ENOBUFS) and records were lost, so that
    /// "no record came" can be told apart from "records were dropped".
    pub fn overruns(&self) -> u64 {
        self.overruns
    }

    /// The next record, waiting at most `timeout`; `Ok(None)` if none came.
    pub fn recv(&mut self, timeout: Duration) -> Result<Option<Record>> {
        self.recv_until(Instant::now() + timeout)
    }

    /// The next record, waiting at most until `deadline`; `Ok(None)` if none came.
    pub fn recv_until(&mut self, deadline: Instant) -> Result<Option<Record>> {
        loop {
            match self.socket.recv_until(deadline) {
                Ok(None) => return Ok(None),
                Ok(Some(d)) => {
                    if let Some(r) = Record::decode(d) {
                        return Ok(Some(r));
                    }
                }
                // The socket's queue overflowed: records were dropped, later ones still come.
                Err(TransportError::Errno(Errno::NOBUFS)) => self.overruns += 1,
                Err(e) => return Err(KernelError::from(e)),
            }
        }
    }

    /// Records until `deadline` or until `stop` says so (the matching record is included).
    pub fn collect_until(
        &mut self,
        deadline: Instant,
        mut stop: impl FnMut(&Record) -> bool,
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        while let Some(r) = self.recv_until(deadline)? {
            let done = stop(&r);
            out.push(r);
            if done {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(text: &str) -> Record {
        Record {
            kind: AUDIT_SYSCALL,
            text: text.as_bytes().to_vec(),
        }
    }

    const SYSCALL: &str = "audit(1767225600.042:981): arch=c000003e syscall=176 success=no \
        exit=-2 a0=55d0 a1=0 a2=0 a3=0 items=0 ppid=10 pid=11 auid=4294967295 uid=0 gid=0 \
        euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"t\" \
        exe=\"/x\" subj=unconfined key=\"agtest\"";

    #[test]
    fn quoted_key_and_event_id() {
        let r = rec(SYSCALL);
        assert_eq!(r.keys(), vec![b"agtest".to_vec()]);
        assert_eq!(
            r.event_id(),
            Some(EventId {
                secs: 1767225600,
                millis: 42,
                serial: 981
            })
        );
        assert_eq!(r.field("pid"), Some(&b"11"[..]));
        assert_eq!(r.field("ppid"), Some(&b"10"[..]));
    }

    #[test]
    fn hex_keys_split_at_separator() {
        let r = rec("audit(1.001:2): pid=1 key=6D6F64756C6573016D6F6432");
        assert_eq!(r.keys(), vec![b"modules".to_vec(), b"mod2".to_vec()]);
        let r = rec("audit(1.001:2): pid=1 key=77697468207370616365");
        assert_eq!(r.keys(), vec![b"with space".to_vec()]);
    }

    #[test]
    fn no_key() {
        assert!(rec("audit(1.001:2): pid=1 key=(null)").keys().is_empty());
        assert!(rec("audit(1.001:2): pid=1").keys().is_empty());
        // a key= inside another field's hex value is not a key
        assert!(rec("audit(1.001:2): comm=6B65793D78 pid=1")
            .keys()
            .is_empty());
    }

    #[test]
    fn bad_ids_are_none() {
        for t in [
            "",
            "audit(",
            "audit(1:2)",
            "audit(a.1:2)",
            "audit(1.1:)",
            "xaudit(1.1:1)",
        ] {
            assert_eq!(rec(t).event_id(), None, "{t}");
        }
    }

    #[test]
    fn datagram_decoding_ignores_nlmsg_len() {
        let mut d = Vec::new();
        d.extend_from_slice(&5u32.to_ne_bytes()); // a wrong length, as the kernel may send
        d.extend_from_slice(&AUDIT_SYSCALL.to_ne_bytes());
        d.extend_from_slice(&[0; 10]);
        d.extend_from_slice(b"audit(1.001:2): key=\"k\"\0\0");
        let r = Record::decode(&d).unwrap();
        assert_eq!(r.kind, AUDIT_SYSCALL);
        assert_eq!(r.keys(), vec![b"k".to_vec()]);
        assert_eq!(Record::decode(&d[..10]), None);
    }
}
