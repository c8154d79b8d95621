//! Opening what the user names: a tar file, an OCI layout directory, or
//! `-` (standard input, spooled to an anonymous temporary file so the core
//! can seek).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use layerscope::archive::{ImageSource, LayoutDir, LayoutDirSource, TarSource};
use layerscope::model::BlobLocation;
use layerscope::{Error, Limits};

/// A layout directory on the local file system. Symbolic links inside it
/// are followed only while they stay inside it: a blob that is a link to
/// a file outside the layout is absent.
#[derive(Debug, Clone)]
pub struct FsLayout {
    root: PathBuf,
}

impl FsLayout {
    /// A layout rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsLayout { root: root.into() }
    }

    fn full(&self, path: &str) -> io::Result<PathBuf> {
        // The core hands out normalized relative paths only.
        inside(&self.root, path)
    }
}

/// `root/path`, resolved, when it exists and stays inside `root`; a path
/// whose links lead outside is NotFound, as if it were absent.
fn inside(root: &Path, path: &str) -> io::Result<PathBuf> {
    let real = std::fs::canonicalize(root.join(path))?;
    if real.starts_with(std::fs::canonicalize(root)?) {
        Ok(real)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            "a link that leads outside the layout directory",
        ))
    }
}

impl LayoutDir for FsLayout {
    fn file_size(&mut self, path: &str) -> io::Result<Option<u64>> {
        match self.full(path).and_then(std::fs::metadata) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open_file(&mut self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(File::open(self.full(path)?)?))
    }
}

/// What makes two arguments the same file or directory (device and inode
/// on Unix, the canonical path elsewhere); None for standard input.
pub fn identity(arg: &str) -> Option<String> {
    if arg == "-" {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(arg)
            .ok()
            .map(|m| format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(arg)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    }
}

/// What the user named, ready to be opened as often as needed (one handle
/// per worker thread).
#[derive(Debug)]
pub enum Input {
    /// A tar file (or the spool of standard input).
    Tar(PathBuf, Option<tempfile::TempPath>),
    /// A layout directory.
    Dir(PathBuf),
}

impl Input {
    /// Resolves a command-line argument.
    pub fn from_arg(arg: &str) -> io::Result<Input> {
        if arg == "-" {
            let mut spool = tempfile::NamedTempFile::new()?;
            io::copy(&mut io::stdin().lock(), spool.as_file_mut())?;
            let path = spool.into_temp_path();
            return Ok(Input::Tar(path.to_path_buf(), Some(path)));
        }
        let path = Path::new(arg);
        if path.is_dir() {
            Ok(Input::Dir(path.to_path_buf()))
        } else {
            // Opening checks existence with a clear OS message.
            File::open(path)?;
            Ok(Input::Tar(path.to_path_buf(), None))
        }
    }

    /// A fresh source over the input.
    pub fn source(&self, limits: &Limits) -> Result<Box<dyn ImageSource>, Error> {
        match self {
            Input::Tar(path, _) => {
                let file = File::open(path).map_err(|source| Error::Io {
                    what: path.display().to_string(),
                    offset: 0,
                    source,
                })?;
                Ok(Box::new(TarSource::new(
                    BufReader::with_capacity(64 * 1024, file),
                    limits,
                )?))
            }
            Input::Dir(path) => Ok(Box::new(LayoutDirSource::new(FsLayout::new(path)))),
        }
    }

    /// Opens a fresh reader on one blob (exactly its bytes).
    pub fn open_blob(&self, location: &BlobLocation) -> io::Result<Box<dyn Read + Send>> {
        use std::io::{Seek, SeekFrom};
        match (self, location) {
            (Input::Tar(path, _), BlobLocation::ArchiveRange { offset, size, .. }) => {
                let mut file = File::open(path)?;
                file.seek(SeekFrom::Start(*offset))?;
                Ok(Box::new(layerscope::archive::source::ExactReader::new(
                    file.take(*size),
                    *size,
                )))
            }
            (Input::Dir(root), BlobLocation::LayoutFile { path, size }) => {
                let file = File::open(inside(root, path)?)?;
                Ok(Box::new(layerscope::archive::source::ExactReader::new(
                    file.take(*size),
                    *size,
                )))
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "location does not belong to this input",
            )),
        }
    }
}
