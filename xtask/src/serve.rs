//! The static file server of `cargo xtask serve` and of the browser gates
//! (e2e, hostile-wasm, agree): GET and HEAD of files under `web/` (and
//! folders mounted under URL prefixes), `Cache-Control: no-store`,
//! `X-Content-Type-Options: nosniff`; the page's CSP is in its own
//! `<meta>`. Request heads are parsed by httparse, MIME types are
//! mime_guess's (text types as UTF-8), URL decoding is percent-encoding's.
//! What is ours: the mapping of a URL path to a file, which refuses
//! anything that would leave the served folder (`..`, encoded separators,
//! symlinks pointing outside), and the one-request-per-connection loop.
//!
//! Every connection gets its own thread and answers one request, then
//! closes (`Connection: close`). A keep-alive server with a fixed thread
//! pool (tiny_http, which this replaced) let a browser's first page load
//! hang: its six parallel keep-alive connections held the pool's four
//! threads, and the last two module requests waited forever.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

/// The port `cargo xtask serve` tries first.
pub const DEFAULT_PORT: u16 = 8080;

/// The longest request head read (request line and headers).
const MAX_HEAD: usize = 16 * 1024;

/// How long a connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// `cargo xtask serve`: builds the wasm (unless `--no-build`), then serves
/// `web/` on 127.0.0.1 until interrupted. The page's URL,
/// `http://127.0.0.1:PORT/`, is printed alone on a line of stdout (the
/// port is `port`, or a free one when it is taken); the rest goes to
/// stderr.
pub fn run(port: u16, build: bool) -> Result<()> {
    if build {
        crate::wasm::build()?;
    }
    let site = Arc::new(Site::new(&crate::shell::root().join("web"), &[])?);
    let (listener, addr) = bind(port)?;
    eprintln!(
        "serving {} (Ctrl-C to stop); requests are logged here",
        site.root.display()
    );
    println!("http://{addr}/");
    serve(&listener, &site, true);
    Ok(())
}

/// Starts serving `dir`, plus each `(prefix, folder)` of `mounts` (a URL
/// prefix such as `/hostile-corpus/` → a folder), on a free port of
/// 127.0.0.1 on a background thread; returns the address. The server lives
/// until the process exits.
pub fn spawn(dir: &Path, mounts: &[(&str, &Path)]) -> Result<SocketAddr> {
    let site = Arc::new(Site::new(dir, mounts)?);
    let (listener, addr) = bind(0)?;
    std::thread::spawn(move || serve(&listener, &site, false));
    Ok(addr)
}

/// Binds 127.0.0.1:`port`, falling back to a free port when it is taken.
fn bind(port: u16) -> Result<(TcpListener, SocketAddr)> {
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) if port != 0 => {
            eprintln!("port {port} unavailable ({e}); using a free one");
            TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1")?
        }
        Err(e) => return Err(e).context("binding 127.0.0.1"),
    };
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Accepts connections forever, each answered on its own thread (a large
/// file does not hold up the others).
fn serve(listener: &TcpListener, site: &Arc<Site>, log: bool) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let site = Arc::clone(site);
        std::thread::spawn(move || match answer(&site, stream) {
            Ok(line) if log => eprintln!("{line}"),
            Err(e) if log => eprintln!("connection: {e}"),
            _ => {}
        });
    }
}

/// A parsed request head: what we need of it.
struct Head {
    method: String,
    target: String,
}

/// Reads and parses one request head from `stream`. Err(status) when it is
/// malformed (400), too long (431) or never completes (408).
fn read_head(stream: &mut TcpStream) -> Result<Head, u16> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(400),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(408);
            }
            Err(_) => return Err(400),
        };
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(_)) => {
                return Ok(Head {
                    method: request.method.unwrap_or_default().to_owned(),
                    target: request.path.unwrap_or_default().to_owned(),
                });
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Err(431),
            Err(_) => return Err(400),
        }
    }
}

/// Answers the one request of a connection, then closes it; returns the
/// log line (`METHOD TARGET STATUS`).
fn answer(site: &Site, mut stream: TcpStream) -> std::io::Result<String> {
    stream.set_read_timeout(Some(HEAD_TIMEOUT))?;
    let head = match read_head(&mut stream) {
        Ok(head) => head,
        Err(code) => {
            respond_error(&mut stream, code)?;
            return Ok(format!("(unreadable request) {code}"));
        }
    };
    let line = format!("{} {}", head.method, head.target);
    let found = match head.method.as_str() {
        "GET" | "HEAD" => site.file(&head.target),
        _ => Err(405),
    };
    let opened = found.and_then(|path| {
        let file = File::open(&path).map_err(|_| 404u16)?;
        let len = file.metadata().map_err(|_| 404u16)?.len();
        Ok((path, file, len))
    });
    let code = match opened {
        Ok((path, mut file, len)) => {
            let head_only = head.method == "HEAD";
            let headers = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\n{}\r\n",
                content_type(&path),
                COMMON_HEADERS
            );
            stream.write_all(headers.as_bytes())?;
            if !head_only {
                std::io::copy(&mut file, &mut stream)?;
            }
            200
        }
        Err(code) => {
            respond_error(&mut stream, code)?;
            code
        }
    };
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(format!("{line} {code}"))
}

/// The headers every response carries.
const COMMON_HEADERS: &str =
    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n";

/// Sends a plain-text error response with status `code`.
fn respond_error(stream: &mut TcpStream, code: u16) -> std::io::Result<()> {
    let reason = reason_phrase(code);
    let body = format!("{code} {reason}\n");
    let allow = if code == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let response = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{allow}{}\r\n{body}",
        body.len(),
        COMMON_HEADERS
    );
    stream.write_all(response.as_bytes())
}

/// The reason phrase of the statuses this server sends.
fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Error",
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A browser opens several keep-alive connections at once and sends one
    /// request on each without closing; every one must be answered (the
    /// tiny_http server this replaced answered four and left the rest
    /// waiting, which hung the page's first load).
    #[test]
    fn many_open_keep_alive_connections_are_all_answered() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-ka-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap_or_else(|e| panic!("{e}"));
        let addr = spawn(&dir, &[]).unwrap_or_else(|e| panic!("{e}"));
        let mut streams: Vec<TcpStream> = (0..12)
            .map(|i| {
                let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {i}: {e}"));
                s.write_all(
                    b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
                )
                .unwrap_or_else(|e| panic!("write {i}: {e}"));
                s.set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap_or_else(|e| panic!("{e}"));
                s
            })
            .collect();
        for (i, s) in streams.iter_mut().enumerate().rev() {
            let mut out = String::new();
            s.read_to_string(&mut out)
                .unwrap_or_else(|e| panic!("connection {i} was not answered: {e}"));
            assert!(out.starts_with("HTTP/1.1 200"), "{i}: {out}");
            assert!(out.ends_with("<p>hi</p>"), "{i}: {out}");
        }
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
