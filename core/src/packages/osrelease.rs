//! `/etc/os-release` and `/usr/lib/os-release` (os-release(5)): `KEY=value`
//! lines, values optionally in single or double quotes with backslash
//! escapes; comments and other lines ignored.

use super::model::OsRelease;

/// Parses an os-release file read from `path`.
pub fn parse(path: &str, text: &str) -> OsRelease {
    let mut out = OsRelease {
        path: path.to_owned(),
        ..OsRelease::default()
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        if value.is_empty() {
            continue;
        }
        match key.trim() {
            "ID" => out.id = Some(value),
            "NAME" => out.name = Some(value),
            "PRETTY_NAME" => out.pretty_name = Some(value),
            "VERSION" => out.version = Some(value),
            "VERSION_ID" => out.version_id = Some(value),
            "VERSION_CODENAME" => out.codename = Some(value),
            "ID_LIKE" => out.id_like = value.split_whitespace().map(str::to_owned).collect(),
            _ => {}
        }
    }
    out
}

fn unquote(raw: &str) -> String {
    let quote = raw.chars().next().filter(|c| *c == '"' || *c == '\'');
    let Some(q) = quote else {
        return raw.to_owned();
    };
    let mut out = String::new();
    let mut chars = raw.chars().skip(1);
    while let Some(c) = chars.next() {
        match c {
            '\\' if q == '"' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            c if c == q => break,
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_and_alpine() {
        let deb = parse(
            "etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
             VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n# c\n",
        );
        assert_eq!(deb.id.as_deref(), Some("debian"));
        assert_eq!(deb.version_id.as_deref(), Some("12"));
        assert_eq!(deb.codename.as_deref(), Some("bookworm"));
        let odd = parse(
            "x",
            "NAME='a \"b\"'\nVERSION=\"say \\\"hi\\\"\"\nID_LIKE=\"rhel fedora\"\nID=",
        );
        assert_eq!(odd.name.as_deref(), Some("a \"b\""));
        assert_eq!(odd.version.as_deref(), Some("say \"hi\""));
        assert_eq!(odd.id_like, ["rhel", "fedora"]);
        assert_eq!(odd.id, None);
    }
}
