//! The type-replacement fixture (`tests/fixtures/make-type-replacement.sh`,
//! issue 9): layer 1 turns the file `etc/conf` into a directory and the
//! directory `opt/x` into a symlink, and adds `part`. The one definition —
//! a type replacement is one `modified` change with aspect `type` and the
//! previous kind — holds in the core's changeset, its per-entry and
//! per-path changes, the merged history and the CLI's `--json`.

use std::process::Command;

use layerscope::model::{Entry, EntryKind};
use layerscope::overlay::{Aspect, ChangeAction, EntryAction, LayerListing, Overlay};
use layerscope_test_support::fixtures::generated;
use layerscope_tests::{cli_binary, inspect_ok, scan};

const FIXTURE: &str = "type-replacement.docker.tar";

#[test]
fn core_calls_a_type_replacement_one_modification() {
    let inspection = inspect_ok(&generated(FIXTURE));
    let layers: Vec<&[Entry]> = (0..2)
        .map(|i| scan(&inspection, i).entries.as_slice())
        .collect();
    let overlay = Overlay::new(&layers);
    let changes = &overlay.changes()[1];
    let of = |path: &str| {
        let found: Vec<_> = changes.changes.iter().filter(|c| c.path == path).collect();
        assert_eq!(found.len(), 1, "{path}: one change, got {found:?}");
        found[0].clone()
    };
    for (path, before, after) in [
        ("etc/conf", EntryKind::File, EntryKind::Dir),
        ("opt/x", EntryKind::Dir, EntryKind::Symlink),
    ] {
        let c = of(path);
        assert_eq!(c.action, ChangeAction::Modified, "{path}");
        assert_eq!(c.aspects, vec![Aspect::Type], "{path}");
        assert_eq!((c.previous_kind, c.kind), (Some(before), after), "{path}");
        assert_eq!(c.previous_layer, Some(0), "{path}");
    }
    // The symlink took opt/x/y with it.
    assert_eq!(of("opt/x").removed_entries, 2);
    assert_eq!(of("part").action, ChangeAction::Added);
    // `etc` and `opt` are listed again unchanged (modified, no aspects).
    assert!(of("etc").aspects.is_empty() && of("opt").aspects.is_empty());
    assert_eq!(
        (changes.added, changes.modified, changes.deleted),
        (2, 4, 0)
    );

    let listing = LayerListing::build(layers[1]);
    let by_path = listing.path_changes(changes);
    let word = |path: &str| by_path[listing.lookup(path).unwrap()].action;
    assert_eq!(word("etc/conf"), EntryAction::Modified);
    assert_eq!(word("opt/x"), EntryAction::Modified);
    assert_eq!(word("part"), EntryAction::Added);
    assert_eq!(word("etc/conf/main.conf"), EntryAction::Added);
    assert_eq!(word("etc"), EntryAction::Unchanged);

    // The merged history: `~1` on the path itself.
    let conf = overlay.get("etc/conf").unwrap();
    let history: Vec<_> = conf.history.iter().map(|e| (e.layer, e.action)).collect();
    assert_eq!(
        history,
        [(0, ChangeAction::Added), (1, ChangeAction::Modified)]
    );
}

#[test]
fn cli_json_says_modified_type_with_the_previous_kind() {
    let out = Command::new(cli_binary())
        .args(["ls", "--layer", "1", "--json"])
        .arg(generated(FIXTURE))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = doc["entries"].as_array().unwrap();
    let change = |path: &str| {
        entries
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("{path} listed"))["change"]
            .clone()
    };
    assert_eq!(
        change("etc/conf"),
        serde_json::json!({ "action": "modified", "aspects": ["type"], "previousLayer": 0, "previousKind": "file" })
    );
    assert_eq!(
        change("opt/x"),
        serde_json::json!({ "action": "modified", "aspects": ["type"], "previousLayer": 0, "previousKind": "dir" })
    );
    assert_eq!(change("part")["action"], "added");

    let out = Command::new(cli_binary())
        .args(["diff", "--layer", "1", "--json"])
        .arg(generated(FIXTURE))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&doc["added"], &doc["modified"], &doc["deleted"]),
        (&2.into(), &4.into(), &0.into())
    );
}
