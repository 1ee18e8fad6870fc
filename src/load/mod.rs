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
    range: Range<usize>,
}

impl LineText {
    /// The bytes `range` of `source` (an empty line if the range is outside it).
    pub fn new(source: &Arc<[u8]>, range: Range<usize>) -> LineText {
        let range = if source.get(range.clone()).is_some() {
            range
        } else {
            0..0
        };
        LineText {
            source: Arc::clone(source),
            range,
        }
    }
}

impl Deref for LineText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.source[self.range.clone()]
    }
}

impl From<Vec<u8>> for LineText {
    fn from(bytes: Vec<u8>) -> LineText {
        let range = 0..bytes.len();
        LineText {
            source: bytes.into(),
            range,
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
