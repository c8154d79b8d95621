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
    out.display = out.display_name();
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
        assert_eq!(deb.display, "Debian GNU/Linux 12 (bookworm)");
        assert_eq!(odd.display, "a \"b\"");
    }

    #[test]
    fn display_adds_a_codename_the_name_lacks_and_falls_back_to_name_then_id() {
        let alpine = parse("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\n");
        assert_eq!(alpine.display, "Alpine Linux");
        let bare = parse("etc/os-release", "ID=wolfi\nVERSION_CODENAME=edge\n");
        assert_eq!(bare.display, "wolfi [edge]");
        let pretty = parse(
            "etc/os-release",
            "PRETTY_NAME=\"Ubuntu 24.04 LTS\"\nVERSION_CODENAME=noble\n",
        );
        assert_eq!(pretty.display, "Ubuntu 24.04 LTS [noble]");
        let only_codename = parse("x", "VERSION_CODENAME=sid\n");
        assert_eq!(only_codename.display, "[sid]");
        assert_eq!(parse("x", "# nothing\n").display, "");
    }
}
