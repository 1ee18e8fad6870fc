//! Loading, as the host would: which loader runs at boot ([`detect`]), what augenrules
//! writes ([`augenrules`]), what the kernel makes of each rule on this target ([`resolve`]:
//! the only reader between parse and simulation), and what `auditctl -R` then puts into the
//! kernel ([`auditctl`], pure). [`configuration`] ties them together.

pub mod auditctl;
pub mod auditd_conf;
pub mod augenrules;
pub mod boot;
pub mod configuration;
pub mod detect;
pub mod resolve;
pub mod systemd_unit;
pub mod version_sort;

use std::ops::{Deref, Range};
use std::path::Path;
use std::sync::Arc;

/// Where a line came from: a file on the target and a 1-based line number in it.
///
/// The path is shared: every line of one file points at the same `Arc`, so an origin per
/// line of a 100,000-line configuration costs a reference count, not a path copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The file, as a path on the target (`/etc/audit/rules.d/x.rules`).
    pub file: Arc<Path>,
    /// The 1-based line number.
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// The bytes of one line, kept as a range of the text it was read from (shared, not
/// copied): evidence for a loaded rule or an error without a copy per line. Dereferences to
/// the line's bytes; compares and debug-prints as those bytes.
///
/// ```
/// use auditguard::load::LineText;
/// use std::sync::Arc;
/// let text: Arc<[u8]> = Arc::from(&b"-D\n-w /etc/hosts\n"[..]);
/// let line = LineText::new(&text, 3..16);
/// assert_eq!(&*line, b"-w /etc/hosts");
/// assert_eq!(line, LineText::from(b"-w /etc/hosts".to_vec()));
/// ```
#[derive(Clone, Default)]
pub struct LineText {
    source: Arc<[u8]>,
    /// The range as 32-bit offsets (every loaded rule holds one: 24 bytes, not 32). A line
    /// beyond 4 GiB of text gets a copy of its own instead.
    start: u32,
    end: u32,
}

impl LineText {
    /// The bytes `range` of `source` (an empty line if the range is outside it).
    pub fn new(source: &Arc<[u8]>, range: Range<usize>) -> LineText {
        let Some(bytes) = source.get(range.clone()) else {
            return LineText {
                source: Arc::clone(source),
                start: 0,
                end: 0,
            };
        };
        match (u32::try_from(range.start), u32::try_from(range.end)) {
            (Ok(start), Ok(end)) => LineText {
                source: Arc::clone(source),
                start,
                end,
            },
            _ => LineText::from(bytes.to_vec()),
        }
    }
}

impl Deref for LineText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.source[self.start as usize..self.end as usize]
    }
}

impl From<Vec<u8>> for LineText {
    fn from(bytes: Vec<u8>) -> LineText {
        match u32::try_from(bytes.len()) {
            Ok(end) => LineText {
                source: bytes.into(),
                start: 0,
                end,
            },
            // Unreachable from a load: no file is read beyond `host::MAX_READ` (256 MiB), so
            // no line is 4 GiB long; its first 4 GiB stand for it.
            Err(_) => LineText::from(bytes[..u32::MAX as usize].to_vec()),
        }
    }
}

impl PartialEq for LineText {
    fn eq(&self, other: &LineText) -> bool {
        **self == **other
    }
}

impl Eq for LineText {}

impl std::fmt::Debug for LineText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", &**self)
    }
}
