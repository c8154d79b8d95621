//! The *overlay* phase: merged tree, per-layer changesets, wasted space, flatten, diff.
