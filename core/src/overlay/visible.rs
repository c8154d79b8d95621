//! Which layer supplies each of a few paths in the merged tree, to tell
//! whether a (layer, path) is still visible: the question `advise` asks of
//! its few secret candidates, answered with one pass over the merged tree
//! that hashes no path.

use crate::overlay::view::MergedEntry;

/// The candidates that the final filesystem shows as supplied by their own
/// layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visible {
    /// (path, layer) of every merged entry whose path was asked about,
    /// sorted.
    found: Vec<(String, usize)>,
}

impl Visible {
    /// Looks up every path of `wanted` in the merged `tree` (from
    /// [`Overlay::entries`](crate::overlay::Overlay::entries)), keeping the
    /// layer that supplies it.
    pub fn among<'w>(tree: &[MergedEntry], wanted: impl IntoIterator<Item = &'w str>) -> Visible {
        let mut paths: Vec<&str> = wanted.into_iter().collect();
        paths.sort_unstable();
        paths.dedup();
        let mut found = Vec::new();
        if !paths.is_empty() {
            for entry in tree {
                if let Some(layer) = entry.layer
                    && paths.binary_search(&entry.path.as_str()).is_ok()
                {
                    found.push((entry.path.clone(), layer));
                }
            }
        }
        found.sort_unstable();
        Visible { found }
    }

    /// Whether the final filesystem shows `path` as written by `layer`
    /// (only answered for the paths given to [`Visible::among`]).
    pub fn contains(&self, layer: usize, path: &str) -> bool {
        self.found
            .binary_search_by(|(p, l)| (p.as_str(), *l).cmp(&(path, layer)))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entry, EntryKind};
    use crate::overlay::Overlay;

    #[test]
    fn answers_for_the_pairs_asked() {
        let base = [
            Entry::sample("etc", EntryKind::Dir, 0),
            Entry::sample("etc/key.pem", EntryKind::File, 10),
            Entry::sample("srv", EntryKind::Dir, 0),
        ];
        let top = [
            Entry::sample("etc/key.pem", EntryKind::File, 20),
            Entry::sample("root/.aws/credentials", EntryKind::File, 30),
        ];
        let overlay = Overlay::new(&[&base[..], &top[..]]);
        let tree = overlay.entries();
        let visible = Visible::among(&tree, ["etc/key.pem", "root/.aws/credentials", "gone"]);
        assert!(visible.contains(1, "etc/key.pem"));
        assert!(!visible.contains(0, "etc/key.pem"), "replaced by layer 1");
        assert!(visible.contains(1, "root/.aws/credentials"));
        assert!(!visible.contains(1, "gone"));
        assert!(!Visible::among(&tree, []).contains(0, "etc"));
    }
}
