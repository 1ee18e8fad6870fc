//! Repair: findings become an edit plan (data, printable as a diff), and the plan is applied
//! with atomic, locked, confined writes.

pub mod apply;
pub mod edits;
pub mod lines;
pub mod load;
pub mod overlay;
pub mod plan;
pub mod repair;
