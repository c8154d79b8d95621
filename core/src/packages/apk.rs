//! apk's database `lib/apk/db/installed`: one record per package, records
//! separated by blank lines, each line `K:value` with a one-letter key
//! (`P` name, `V` version, `A` arch, `o` origin, `L` license, `F` a
//! directory, `R` a file in the last `F` directory).

use super::model::{DbContent, PackageRecord};
use super::text;

/// Parses an `installed` file; also returns the number of records that
/// lack a name or version and the lines that are not `K:value`.
pub fn parse(text: &str) -> (DbContent, u64, u64) {
    let mut packages = Vec::new();
    let mut incomplete = 0u64;
    let mut skipped = 0u64;
    let mut current = PackageRecord::default();
    let mut dir = String::new();
    let mut finish = |record: &mut PackageRecord, packages: &mut Vec<PackageRecord>| {
        let record = std::mem::take(record);
        if record.name.is_empty() && record.version.is_empty() && record.files.is_empty() {
            return;
        }
        if record.name.is_empty() || record.version.is_empty() {
            incomplete += 1;
        } else {
            packages.push(record);
        }
    };
    for line in text.lines() {
        if line.is_empty() {
            finish(&mut current, &mut packages);
            dir.clear();
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            skipped += 1;
            continue;
        };
        match key {
            "P" => current.name = value.to_owned(),
            "V" => current.version = value.to_owned(),
            "A" => current.arch = Some(value.to_owned()),
            "o" => current.source = Some(value.to_owned()),
            "L" => current.license = Some(value.to_owned()),
            "F" => dir = value.to_owned(),
            "R" => {
                if let Some(path) = text::join_lexical(&dir, value) {
                    current.files.push(path);
                }
            }
            k if k.len() == 1 => {}
            _ => skipped += 1,
        }
    }
    finish(&mut current, &mut packages);
    (DbContent::Apk { packages }, incomplete, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_files() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\n\
                    R:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\nF:etc\nR:securetty\n\n\
                    P:noversion\n\ngarbage line\nP:cut\nV:1";
        let (content, incomplete, skipped) = parse(text);
        let DbContent::Apk { packages } = content else {
            panic!()
        };
        assert_eq!(packages.len(), 3);
        assert_eq!(
            packages[0].files,
            ["lib/ld-musl-x86_64.so.1", "lib/libc.musl-x86_64.so.1"]
        );
        assert_eq!(packages[1].files, ["bin/busybox", "etc/securetty"]);
        assert_eq!(packages[2].name, "cut");
        assert_eq!((incomplete, skipped), (1, 1));
    }
}
