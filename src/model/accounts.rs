//! The target's user and group names (`-F uid=root`, `-F gid=wheel`), read once at the edge
//! and handed to the parser as data.
//!
//! auditctl resolves names with `getpwnam`/`getgrnam` (libaudit 3.0.9 `audit_name_to_uid`);
//! on a target we read its `/etc/passwd` and `/etc/group` instead: `name:x:ID:...` lines, the
//! first line of a name wins as with the files NSS module.

use rustc_hash::FxHashMap;

/// Name → id tables of one target. Building costs O(size of the files); a lookup O(1).
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    users: FxHashMap<Vec<u8>, u32>,
    groups: FxHashMap<Vec<u8>, u32>,
    /// The databases are not part of the tree (a configuration-only tree): every name
    /// resolves, to [`Accounts::UNKNOWN_ID`], instead of being refused.
    names_unknown: bool,
}

impl Accounts {
    /// Tables from the bytes of a passwd-format and a group-format file (either may be empty).
    ///
    /// ```
    /// use auditguard::model::Accounts;
    /// let a = Accounts::from_files(b"root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/h:/bin/sh\n", b"wheel:x:10:\n");
    /// assert_eq!(a.user_id(b"alice"), Some(1000));
    /// assert_eq!(a.group_id(b"wheel"), Some(10));
    /// assert_eq!(a.user_id(b"bob"), None);
    /// ```
    pub fn from_files(passwd: &[u8], group: &[u8]) -> Accounts {
        Accounts {
            users: table(passwd),
            groups: table(group),
            names_unknown: false,
        }
    }

    /// The id a name gets where the databases are unknown (`nobody`'s): some user, which is
    /// what a narrowing by name means to the evaluator.
    pub const UNKNOWN_ID: u32 = 65534;

    /// Tables for a tree that does not carry the databases: every name resolves to
    /// [`Accounts::UNKNOWN_ID`] (the host the configuration lands on knows the names).
    pub fn unknown() -> Accounts {
        Accounts {
            names_unknown: true,
            ..Accounts::default()
        }
    }

    /// The uid of a user name.
    pub fn user_id(&self, name: &[u8]) -> Option<u32> {
        let known = self.users.get(name).copied();
        known.or(self.names_unknown.then_some(Self::UNKNOWN_ID))
    }

    /// The gid of a group name.
    pub fn group_id(&self, name: &[u8]) -> Option<u32> {
        let known = self.groups.get(name).copied();
        known.or(self.names_unknown.then_some(Self::UNKNOWN_ID))
    }
}

/// `name:x:ID:` lines of a passwd- or group-format file; the first line of a name wins.
fn table(db: &[u8]) -> FxHashMap<Vec<u8>, u32> {
    let mut out = FxHashMap::default();
    for line in db.split(|b| *b == b'\n') {
        let mut cols = line.split(|b| *b == b':');
        let (Some(name), Some(_), Some(id)) = (cols.next(), cols.next(), cols.next()) else {
            continue;
        };
        let Some(id) = std::str::from_utf8(id).ok().and_then(|s| s.parse().ok()) else {
            continue;
        };
        out.entry(name.to_vec()).or_insert(id);
    }
    out
}
