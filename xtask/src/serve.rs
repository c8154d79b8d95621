//! A small static file server over `std::net`: GET and HEAD, one thread per
//! connection, `Connection: close`, `Cache-Control: no-store`. Used by
//! `cargo xtask serve` and, on a free port, by the end-to-end gate.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

/// Longest request head accepted (request line plus headers).
const MAX_HEAD: usize = 16 * 1024;

/// `cargo xtask serve`: build the wasm (unless `--no-build`), then serve
/// `web/` until interrupted.
pub fn run(port: u16, build: bool) -> Result<()> {
    if build {
        crate::wasm::build()?;
    }
    let root = crate::shell::root().join("web");
    let listener = bind(port)?;
    let addr = listener.local_addr()?;
    println!(
        "serving {} at http://{addr}/  (Ctrl-C to stop)",
        root.display()
    );
    accept_loop(listener, root.canonicalize()?, true);
    Ok(())
}

/// Starts serving `dir` on a background thread and returns the bound address
/// (`port` 0 picks a free one). The thread lives until the process exits.
pub fn spawn(dir: &Path, port: u16) -> Result<SocketAddr> {
    let root = dir
        .canonicalize()
        .with_context(|| format!("cannot serve {}", dir.display()))?;
    let listener = bind(port)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || accept_loop(listener, root, false));
    Ok(addr)
}

/// Binds 127.0.0.1:`port`, falling back to a free port when it is taken.
fn bind(port: u16) -> Result<TcpListener> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => Ok(l),
        Err(e) if port != 0 => {
            eprintln!("port {port} unavailable ({e}); choosing a free one");
            TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1")
        }
        Err(e) => Err(e).context("binding 127.0.0.1"),
    }
}

fn accept_loop(listener: TcpListener, root: PathBuf, log: bool) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            if let Err(e) = handle(stream, &root, log)
                && log
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

/// A response that is not a file.
struct Status {
    code: u16,
    reason: &'static str,
}

const BAD_REQUEST: Status = Status {
    code: 400,
    reason: "Bad Request",
};
const NOT_FOUND: Status = Status {
    code: 404,
    reason: "Not Found",
};
const NOT_ALLOWED: Status = Status {
    code: 405,
    reason: "Method Not Allowed",
};
const TOO_LARGE: Status = Status {
    code: 431,
    reason: "Request Header Fields Too Large",
};

fn handle(mut stream: TcpStream, root: &Path, log: bool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let head = match read_head(&mut stream)? {
        Some(head) => head,
        None => return respond_status(&mut stream, &TOO_LARGE, true),
    };
    let mut words = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let is_head = method == "HEAD";
    let outcome = if method != "GET" && !is_head {
        Err(NOT_ALLOWED)
    } else {
        resolve(root, target)
    };
    if log {
        let code = outcome.as_ref().map_or_else(|s| s.code, |_| 200);
        println!("{method} {target} {code}");
    }
    match outcome {
        Ok(path) => respond_file(&mut stream, &path, is_head),
        Err(status) => respond_status(&mut stream, &status, is_head),
    }
}

/// Reads up to the blank line ending the request head; None when too long.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

/// Maps a request target to a file under `root`, refusing anything that
/// would leave it (`..`, encoded separators, symlinks pointing outside).
fn resolve(root: &Path, target: &str) -> Result<PathBuf, Status> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(BAD_REQUEST);
    }
    let decoded = percent_decode(path).ok_or(BAD_REQUEST)?;
    let mut file = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(NOT_FOUND),
            s if s.contains(['\\', '\0']) => return Err(BAD_REQUEST),
            s => {
                // A segment must stay one plain component (no drive prefixes etc.).
                let mut parts = Path::new(s).components();
                if !matches!(
                    (parts.next(), parts.next()),
                    (Some(Component::Normal(_)), None)
                ) {
                    return Err(BAD_REQUEST);
                }
                file.push(s);
            }
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    let real = file.canonicalize().map_err(|_| NOT_FOUND)?;
    if !real.starts_with(root) || !real.is_file() {
        return Err(NOT_FOUND);
    }
    Ok(real)
}

/// Decodes `%XX` escapes; None on a malformed escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The Content-Type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "tar" => "application/x-tar",
        "gz" | "tgz" => "application/gzip",
        "zst" => "application/zstd",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn write_head(
    out: &mut impl Write,
    code: u16,
    reason: &str,
    content_type: &str,
    length: u64,
) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\n\
         Content-Type: {content_type}\r\n\
         Content-Length: {length}\r\n\
         Cache-Control: no-store\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Connection: close\r\n"
    )?;
    if code == NOT_ALLOWED.code {
        write!(out, "Allow: GET, HEAD\r\n")?;
    }
    write!(out, "\r\n")
}

fn respond_file(stream: &mut TcpStream, path: &Path, is_head: bool) -> io::Result<()> {
    let mut file = File::open(path)?;
    let length = file.metadata()?.len();
    let mut out = BufWriter::with_capacity(64 * 1024, stream);
    write_head(&mut out, 200, "OK", content_type(path), length)?;
    if !is_head {
        io::copy(&mut file, &mut out)?;
    }
    out.flush()
}

fn respond_status(stream: &mut TcpStream, status: &Status, is_head: bool) -> io::Result<()> {
    let body = format!("{} {}\n", status.code, status.reason);
    write_head(
        stream,
        status.code,
        status.reason,
        "text/plain; charset=utf-8",
        body.len() as u64,
    )?;
    if !is_head {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
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

    #[test]
    fn serves_files_types_and_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-test-{}", std::process::id()));
        let site = dir.join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(site.join("index.html"), "<p>hi</p>").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(site.join("pkg/a b.wasm"), [0u8, 97, 115, 109])
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("secret.txt"), "no").unwrap_or_else(|e| panic!("{e}"));
        let addr = spawn(&site, 0).unwrap_or_else(|e| panic!("{e}"));

        let index = get(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
        assert!(index.contains("Content-Type: text/html"));
        assert!(index.contains("Cache-Control: no-store"));
        assert!(index.ends_with("<p>hi</p>"));

        let wasm = get(addr, "GET /pkg/a%20b.wasm?v=1 HTTP/1.1\r\n\r\n");
        assert!(wasm.contains("Content-Type: application/wasm"), "{wasm}");
        assert!(wasm.contains("Content-Length: 4\r\n"));

        let head = get(addr, "HEAD /index.html HTTP/1.1\r\n\r\n");
        assert!(
            head.contains("Content-Length: 9\r\n") && head.ends_with("\r\n\r\n"),
            "{head}"
        );

        for escape in [
            "/../secret.txt",
            "/pkg/..%2f..%2fsecret.txt",
            "/%2e%2e/secret.txt",
            "/missing.js",
        ] {
            let r = get(addr, &format!("GET {escape} HTTP/1.1\r\n\r\n"));
            assert!(
                r.starts_with("HTTP/1.1 404") || r.starts_with("HTTP/1.1 400"),
                "{escape}: {r}"
            );
        }
        let post = get(addr, "POST / HTTP/1.1\r\n\r\n");
        assert!(
            post.starts_with("HTTP/1.1 405") && post.contains("Allow: GET, HEAD"),
            "{post}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("a.mjs")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("a.JS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.tar")), "application/x-tar");
        assert_eq!(content_type(Path::new("x.png")), "image/png");
        assert_eq!(content_type(Path::new("x.json")), "application/json");
        assert_eq!(content_type(Path::new("x.css")), "text/css; charset=utf-8");
    }
}
