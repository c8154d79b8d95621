//! The static file server of `cargo xtask serve` and of the browser gates
//! (e2e, hostile-wasm): GET and HEAD of files under `web/` (and, for the
//! hostile gate, the corpus mounted under a URL prefix), `Cache-Control:
//! no-store`, `X-Content-Type-Options: nosniff`; the page's CSP is in its
//! own `<meta>`. HTTP is tiny_http's, MIME types mime_guess's (text types
//! as UTF-8), URL decoding percent-encoding's; what is ours is the mapping
//! of a URL path to a file, which refuses anything that would leave the
//! served folder (`..`, encoded separators, symlinks pointing outside).

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// The port `cargo xtask serve` tries first.
pub const DEFAULT_PORT: u16 = 8080;

/// `cargo xtask serve`: builds the wasm (unless `--no-build`), then serves
/// `web/` on 127.0.0.1 until interrupted. The page's URL,
/// `http://127.0.0.1:PORT/`, is printed alone on a line of stdout (the
/// port is `port`, or a free one when it is taken); the rest goes to
/// stderr.
pub fn run(port: u16, build: bool) -> Result<()> {
    if build {
        crate::wasm::build()?;
    }
    let site = Site::new(&crate::shell::root().join("web"), &[])?;
    let (server, addr) = bind(port)?;
    eprintln!(
        "serving {} (Ctrl-C to stop); requests are logged here",
        site.root.display()
    );
    println!("http://{addr}/");
    serve(&server, &Arc::new(site), true);
    Ok(())
}

/// Starts serving `dir`, plus each `(prefix, folder)` of `mounts` (a URL
/// prefix such as `/hostile-corpus/` → a folder), on a free port of
/// 127.0.0.1 on a background thread; returns the address. The server lives
/// until the process exits.
pub fn spawn(dir: &Path, mounts: &[(&str, &Path)]) -> Result<SocketAddr> {
    let site = Arc::new(Site::new(dir, mounts)?);
    let (server, addr) = bind(0)?;
    std::thread::spawn(move || serve(&server, &site, false));
    Ok(addr)
}

/// Binds 127.0.0.1:`port`, falling back to a free port when it is taken.
fn bind(port: u16) -> Result<(Server, SocketAddr)> {
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) if port != 0 => {
            eprintln!("port {port} unavailable ({e}); using a free one");
            TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1")?
        }
        Err(e) => return Err(e).context("binding 127.0.0.1"),
    };
    let addr = listener.local_addr()?;
    let server = Server::from_listener(listener, None).map_err(|e| anyhow!("{e}"))?;
    Ok((server, addr))
}

/// Answers every request, each on its own thread (a large file does not
/// hold up the others).
fn serve(server: &Server, site: &Arc<Site>, log: bool) {
    for request in server.incoming_requests() {
        let site = Arc::clone(site);
        std::thread::spawn(move || {
            let line = format!("{} {}", request.method(), request.url());
            match respond(&site, request) {
                Ok(code) if log => eprintln!("{line} {code}"),
                Err(e) if log => eprintln!("{line}: {e}"),
                _ => {}
            }
        });
    }
}

/// What is served: a folder, and folders mounted under URL prefixes.
struct Site {
    root: PathBuf,
    mounts: Vec<(String, PathBuf)>,
}

impl Site {
    fn new(root: &Path, mounts: &[(&str, &Path)]) -> Result<Site> {
        let canonical = |dir: &Path| {
            dir.canonicalize()
                .with_context(|| format!("cannot serve {}", dir.display()))
        };
        Ok(Site {
            root: canonical(root)?,
            mounts: mounts
                .iter()
                .map(|(prefix, dir)| Ok((prefix.to_string(), canonical(dir)?)))
                .collect::<Result<_>>()?,
        })
    }

    /// The file a request target names (the query and fragment ignored).
    fn file(&self, target: &str) -> Result<PathBuf, u16> {
        let path = target.split(['?', '#']).next().unwrap_or_default();
        if !path.starts_with('/') {
            return Err(400);
        }
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| 400u16)?;
        let (dir, rest) = self
            .mounts
            .iter()
            .find_map(|(prefix, dir)| Some((dir, decoded.strip_prefix(prefix.as_str())?)))
            .unwrap_or((&self.root, &decoded));
        resolve(dir, rest)
    }
}

/// Maps a decoded URL path to a file under `root`: each segment must be one
/// plain name (no `..`, no backslash, NUL or drive prefix), a directory
/// means its `index.html`, and the real path (symlinks followed) must stay
/// under `root`. Err is the HTTP status.
fn resolve(root: &Path, path: &str) -> Result<PathBuf, u16> {
    let mut file = root.to_path_buf();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(404),
            s if s.contains(['\\', '\0']) => return Err(400),
            s => {
                let mut parts = Path::new(s).components();
                if !matches!(
                    (parts.next(), parts.next()),
                    (Some(Component::Normal(_)), None)
                ) {
                    return Err(400);
                }
                file.push(s);
            }
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let real = file.canonicalize().map_err(|_| 404u16)?;
    if !real.starts_with(root) || !real.is_file() {
        return Err(404);
    }
    Ok(real)
}

/// The Content-Type of a file: mime_guess's, text types as UTF-8.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| panic!("header {name}: {value:?} is not ASCII"))
}

/// Answers one request; returns the status sent.
fn respond(site: &Site, request: Request) -> std::io::Result<u16> {
    let common = [
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
    ];
    let outcome = match request.method() {
        Method::Get | Method::Head => site.file(request.url()),
        _ => Err(405),
    };
    let file = outcome.and_then(|path| {
        let file = File::open(&path).map_err(|_| 404u16)?;
        Ok((path, file))
    });
    match file {
        Ok((path, file)) => {
            let mut response =
                Response::from_file(file).with_header(header("Content-Type", &content_type(&path)));
            for h in common {
                response.add_header(h);
            }
            request.respond(response)?;
            Ok(200)
        }
        Err(code) => {
            let status = StatusCode(code);
            let body = format!("{code} {}\n", status.default_reason_phrase());
            let mut response = Response::from_string(body)
                .with_status_code(status)
                .with_header(header("Content-Type", "text/plain; charset=utf-8"));
            for h in common {
                response.add_header(h);
            }
            if code == 405 {
                response.add_header(header("Allow", "GET, HEAD"));
            }
            request.respond(response)?;
            Ok(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect: {e}"));
        s.write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("write: {e}"));
        let mut out = String::new();
        s.read_to_string(&mut out)
            .unwrap_or_else(|e| panic!("read: {e}"));
        out
    }

    fn header_of<'r>(response: &'r str, name: &str) -> Option<&'r str> {
        response.split("\r\n\r\n").next()?.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[test]
    fn serves_files_types_mounts_and_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-test-{}", std::process::id()));
        let site = dir.join("site");
        let corpus = dir.join("corpus");
        for d in [site.join("pkg"), corpus.clone()] {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(site.join("index.html"), "<p>hi</p>").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(site.join("app.js"), "x").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(site.join("pkg/a b.wasm"), [0u8, 97, 115, 109])
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(corpus.join("case.tar"), [0u8; 1024]).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("secret.txt"), "no").unwrap_or_else(|e| panic!("{e}"));
        let addr = spawn(&site, &[("/corpus/", &corpus)]).unwrap_or_else(|e| panic!("{e}"));
        let close = "Connection: close\r\n\r\n";

        let index = get(addr, &format!("GET / HTTP/1.1\r\nHost: x\r\n{close}"));
        assert!(index.starts_with("HTTP/1.1 200"), "{index}");
        assert_eq!(
            header_of(&index, "Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(header_of(&index, "Cache-Control"), Some("no-store"));
        assert_eq!(header_of(&index, "X-Content-Type-Options"), Some("nosniff"));
        assert!(index.ends_with("<p>hi</p>"));

        let js = get(addr, &format!("GET /app.js HTTP/1.1\r\n{close}"));
        assert_eq!(
            header_of(&js, "Content-Type"),
            Some("text/javascript; charset=utf-8")
        );
        let wasm = get(
            addr,
            &format!("GET /pkg/a%20b.wasm?v=1 HTTP/1.1\r\n{close}"),
        );
        assert_eq!(header_of(&wasm, "Content-Type"), Some("application/wasm"));
        assert_eq!(header_of(&wasm, "Content-Length"), Some("4"));

        let tar = get(addr, &format!("GET /corpus/case.tar HTTP/1.1\r\n{close}"));
        assert_eq!(header_of(&tar, "Content-Type"), Some("application/x-tar"));
        assert_eq!(header_of(&tar, "Content-Length"), Some("1024"));

        let head = get(addr, &format!("HEAD /index.html HTTP/1.1\r\n{close}"));
        assert_eq!(header_of(&head, "Content-Length"), Some("9"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "{head}");

        for escape in [
            "/../secret.txt",
            "/pkg/..%2f..%2fsecret.txt",
            "/%2e%2e/secret.txt",
            "/corpus/../secret.txt",
            "/corpus/%2e%2e/secret.txt",
            "/missing.js",
        ] {
            let r = get(addr, &format!("GET {escape} HTTP/1.1\r\n{close}"));
            assert!(
                r.starts_with("HTTP/1.1 404") || r.starts_with("HTTP/1.1 400"),
                "{escape}: {r}"
            );
            assert!(!r.ends_with("\r\n\r\nno"), "{escape} leaked: {r}");
        }
        let post = get(
            addr,
            &format!("POST / HTTP/1.1\r\nContent-Length: 0\r\n{close}"),
        );
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        assert_eq!(header_of(&post, "Allow"), Some("GET, HEAD"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn content_types() {
        for (name, want) in [
            ("a.JS", "text/javascript; charset=utf-8"),
            ("x.tar", "application/x-tar"),
            ("x.png", "image/png"),
            ("x.json", "application/json"),
            ("x.css", "text/css; charset=utf-8"),
            ("x.wasm", "application/wasm"),
            ("x.unknown-ext", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(name)), want, "{name}");
        }
    }

    #[test]
    fn a_taken_port_falls_back_to_a_free_one() {
        let taken = TcpListener::bind(("127.0.0.1", 0)).unwrap_or_else(|e| panic!("{e}"));
        let port = taken.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
        let (_server, addr) = bind(port).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(addr.port(), port);
        assert!(addr.ip().is_loopback());
    }
}
