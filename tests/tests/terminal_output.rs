//! Every CLI command on every case of the hostile corpus (tests/hostile/)
//! prints only text that is safe on a terminal (issue 13). For each text
//! output, stdout and stderr alike:
//!
//! - it is valid UTF-8;
//! - it holds no byte 0x00–0x08, 0x0B–0x1F or 0x7F, no C1 control
//!   (U+0080–U+009F) and no bidirectional override or isolate
//!   (U+202A–U+202E, U+2066–U+2069);
//! - no line starts with what follows a newline inside a name or value of
//!   the image (a name holding a newline cannot forge a line of its own).
//!
//! Exempt are the outputs that are file data by design: `cat`'s stdout and
//! `flatten -o -` (not run; `flatten -o FILE` is). `--json` outputs must
//! also parse. The cases built at test time by tests/tests/hostile.rs
//! (gigabytes of zeros, no text) are not run here; the exhaustion cases run
//! `inspect` and `verify` only (each command would stream their gigabyte
//! again). `share` runs on the case and a copy of it. `HOSTILE_CASE=NAME` runs one case.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use layerscope_tests::cli_binary;
use serde_json::Value;

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hostile")
}

/// One committed case of expected.json.
struct Case {
    name: String,
    file: PathBuf,
    exhaustion: bool,
    limit_flags: Vec<String>,
}

fn flag_for(key: &str) -> String {
    // `maxJsonBytes` → `--max-json-bytes`; two keys differ from their flag.
    let flag = match key {
        "maxEntriesPerLayer" => "maxEntries",
        other => other,
    };
    let mut out = String::from("-");
    for c in flag.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    format!("-{out}")
}

/// Cases whose listings grow with the square of their size and whose names
/// are plain ASCII: the 10,000-deep path indexed with a raised limit lists
/// 10,000 entries of up to 20 KB each (200 MB of `ls --json`, about a
/// hundred seconds of this test in a debug build, nothing a terminal could
/// misread). They get the exhaustion cases' short list of commands; the
/// hostile gate still checks their results.
const BULK: &[&str] = &["path_10000_deep_raised"];

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(hostile_dir().join("expected.json")).unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    let only = std::env::var("HOSTILE_CASE").ok();
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|item| {
            let name = item["case"].as_str()?.to_owned();
            let file = hostile_dir().join(item.get("file")?.as_str()?);
            if only.as_ref().is_some_and(|o| *o != name) {
                return None;
            }
            let limit_flags = item
                .get("limits")
                .and_then(Value::as_object)
                .map(|limits| {
                    limits
                        .iter()
                        .flat_map(|(k, v)| [flag_for(k), v.to_string()])
                        .collect()
                })
                .unwrap_or_default();
            Some(Case {
                exhaustion: item["category"] == "exhaustion" || BULK.contains(&name.as_str()),
                name,
                file,
                limit_flags,
            })
        })
        .collect()
}

/// One command's outputs.
struct Run {
    args: String,
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// stdout is file data (`cat`).
    data: bool,
    json: bool,
}

fn run(case: &Case, args: &[&str], scratch: &Path) -> Run {
    let output = Command::new(cli_binary())
        .args(args)
        .args(&case.limit_flags)
        .args(["--threads", "1"])
        .current_dir(scratch)
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    Run {
        args: args.join(" "),
        code: output.status.code(),
        stdout: output.stdout,
        stderr: output.stderr,
        data: args.first() == Some(&"cat"),
        json: args.contains(&"--json"),
    }
}

/// The command lines run on one case.
fn commands(case: &Case, out: &str) -> Vec<Vec<String>> {
    let image = case.file.to_str().unwrap().to_owned();
    let mut list: Vec<Vec<&str>> = vec![
        vec!["inspect"],
        vec!["inspect", "--json"],
        vec!["verify"],
        vec!["verify", "--json"],
    ];
    if !case.exhaustion {
        list.extend([
            vec!["ls", "--layer", "0"],
            vec!["ls", "--layer", "0", "--json"],
            vec!["ls", "--merged"],
            vec!["ls", "--merged", "--json"],
            vec!["cat", "PATH"],
            vec!["diff", "--layer", "0"],
            vec!["diff", "--layer", "0", "--json"],
            vec!["efficiency"],
            vec!["efficiency", "--json"],
            vec!["advise"],
            vec!["advise", "--json"],
            vec!["packages"],
            vec!["packages", "--json"],
            vec!["flatten", "-o", out],
        ]);
    }
    let mut lines: Vec<Vec<String>> = list
        .into_iter()
        .map(|args| {
            let mut line: Vec<String> = vec![args[0].to_owned(), image.clone()];
            line.extend(args[1..].iter().map(|a| (*a).to_owned()));
            if args[0] == "cat" {
                line.truncate(2);
                line.push("etc/passwd".to_owned());
            }
            line
        })
        .collect();
    if !case.exhaustion {
        // `log` of a path whose name and history commands carry escapes
        // (a file changed in both layers of those cases).
        let path = match case.name.as_str() {
            "term_entry_names" => "del\x7f",
            "term_config" => "big\x1b[31m.bin",
            _ => "etc/passwd",
        };
        for extra in [
            &[][..],
            &["--json"],
            &["--diff", "0..1"],
            &["--diff", "0..1", "--json"],
        ] {
            let mut line = vec!["log".to_owned(), image.clone(), path.to_owned()];
            line.extend(extra.iter().map(|a| (*a).to_owned()));
            lines.push(line);
        }
        // `share` with a second copy of the case (the same file twice
        // counts once): the set's text and JSON, the case's names in them.
        let copy = Path::new(out).with_file_name("copy.tar");
        let copy = copy.to_str().unwrap().to_owned();
        for json in [false, true] {
            let mut line = vec!["diff".to_owned(), image.clone(), image.clone()];
            let mut share = vec!["share".to_owned(), image.clone(), copy.clone()];
            if json {
                line.push("--json".to_owned());
                share.push("--json".to_owned());
            }
            lines.push(line);
            lines.push(share);
        }
    }
    lines
}

/// Whether a character must never reach a terminal from an image.
fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Every string of a JSON value that holds a newline, after that newline
/// (what would start a forged line).
fn newline_tails(value: &Value, tails: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            for tail in s.split('\n').skip(1) {
                let tail = tail.trim_start();
                if tail.len() >= 3 {
                    tails.insert(tail.to_owned());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| newline_tails(v, tails)),
        Value::Object(map) => map.values().for_each(|v| newline_tails(v, tails)),
        _ => {}
    }
}

fn check_case(case: &Case) -> Vec<String> {
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("flat.tar");
    if !case.exhaustion {
        std::fs::copy(&case.file, scratch.path().join("copy.tar")).unwrap();
    }
    let runs: Vec<Run> = commands(case, out.to_str().unwrap())
        .iter()
        .map(|line| {
            let args: Vec<&str> = line.iter().map(String::as_str).collect();
            run(case, &args, scratch.path())
        })
        .collect();
    let mut problems = Vec::new();
    let mut tails = BTreeSet::new();
    for r in &runs {
        if !matches!(r.code, Some(0..=2)) {
            problems.push(format!("`{}` exited {:?}", r.args, r.code));
        }
        if r.json && !r.stdout.is_empty() {
            match serde_json::from_slice::<Value>(&r.stdout) {
                Ok(value) => newline_tails(&value, &mut tails),
                Err(e) => problems.push(format!("`{}`: stdout is not JSON: {e}", r.args)),
            }
        }
    }
    for r in &runs {
        let streams = [("stdout", &r.stdout), ("stderr", &r.stderr)];
        for (stream, bytes) in streams {
            if stream == "stdout" && r.data {
                continue;
            }
            let Ok(text) = std::str::from_utf8(bytes) else {
                problems.push(format!("`{}` {stream} is not UTF-8", r.args));
                continue;
            };
            if let Some(c) = text.chars().find(|&c| forbidden(c)) {
                problems.push(format!("`{}` {stream} holds {c:?}", r.args));
            }
            for line in text.lines() {
                if let Some(tail) = tails.iter().find(|t| line.starts_with(t.as_str())) {
                    problems.push(format!(
                        "`{}` {stream}: a line starts with {tail:?}, the text after a newline inside a name",
                        r.args
                    ));
                }
            }
        }
    }
    problems
        .into_iter()
        .map(|p| format!("{}: {p}", case.name))
        .collect()
}

#[test]
fn every_command_prints_only_safe_text() {
    let cases = cases();
    assert!(!cases.is_empty(), "no case to run");
    assert!(
        std::env::var("HOSTILE_CASE").is_ok() || cases.iter().any(|c| c.name == "term_entry_names"),
        "the terminal cases are missing from the corpus"
    );
    let queue = Mutex::new(cases.into_iter());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(case) = next else { break };
                    let problems = check_case(&case);
                    failures.lock().unwrap().extend(problems);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
