//! Facts about a target that the evaluator needs, computed once at the edge (by
//! `load::configuration::facts`, which reads the target) and handed in as data, so that
//! evaluation reads nothing.

use std::collections::BTreeMap;

/// What a path named by a control is on the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathFacts {
    /// The path with its parent resolved and its last component as named: the inode a watch on
    /// this name sits on.
    pub named: Vec<u8>,
    /// The path with every symlink resolved: the file an exec of it really runs.
    pub resolved: Vec<u8>,
    /// Whether the last component is a symlink.
    pub symlink: bool,
    /// Whether the file exists on the target: `None` where the tree is not an OS image (a
    /// configuration-only tree says nothing about installed programs).
    pub exists: Option<bool>,
}

/// The target facts of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetFacts {
    /// Lowest uid of a real user: `UID_MIN` of the target's `/etc/login.defs`, else 1000.
    pub uid_min: u32,
    /// Every path the controls name, as it is on the target.
    pub paths: BTreeMap<Vec<u8>, PathFacts>,
}

impl TargetFacts {
    /// The facts of `path`; a path nobody looked up is taken as a plain file, as named.
    pub fn path(&self, path: &[u8]) -> PathFacts {
        self.paths.get(path).cloned().unwrap_or_else(|| PathFacts {
            named: path.to_vec(),
            resolved: path.to_vec(),
            symlink: false,
            exists: None,
        })
    }
}
