//! Index of the outer tar's members: names, data offsets, sizes and links,
//! built from headers alone (file data is skipped by seeking).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use crate::display::quoted;
use crate::error::{Error, Result};
use crate::layer::guard::{self, TarGuard};
use crate::layer::tar_fault;
use crate::limits::{Limits, flags};
use crate::model::Warning;
use crate::names;
use crate::paths::{self, normalize};

/// What a member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    /// Regular file with data in the archive.
    File,
    /// Directory.
    Dir,
    /// Symbolic link; target is a normalized archive path.
    Symlink(String),
    /// Hard link; target is a normalized archive path.
    Hardlink(String),
    /// Anything else (devices, fifos): never read.
    Other,
}

/// One member of the outer archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Normalized path.
    pub path: String,
    /// Offset of the first data byte in the archive.
    pub offset: u64,
    /// Declared data size.
    pub size: u64,
    /// Kind and link target.
    pub kind: MemberKind,
}

/// All members of an outer archive, by path (the last member of a
/// duplicated path wins, as with `tar x`).
#[derive(Debug, Clone, Default)]
pub struct MemberIndex {
    members: Vec<Member>,
    by_path: HashMap<String, usize>,
    /// Total length of the archive in bytes.
    pub archive_len: u64,
    /// Oddities met while indexing.
    pub warnings: Vec<Warning>,
    /// The first member whose data runs past the end of the input.
    pub truncated: Option<TruncatedMember>,
}

/// A member cut short by the end of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncatedMember {
    /// Member path.
    pub path: String,
    /// Declared size.
    pub expected: u64,
    /// Bytes present.
    pub available: u64,
}

impl MemberIndex {
    /// Reads every header of a tar archive, seeking past data.
    pub fn read<R: Read + Seek>(reader: &mut R, limits: &Limits) -> Result<MemberIndex> {
        let archive_len = reader
            .seek(SeekFrom::End(0))
            .and_then(|len| reader.seek(SeekFrom::Start(0)).map(|_| len))
            .map_err(|source| Error::Io {
                what: "outer archive".into(),
                offset: 0,
                source,
            })?;
        let mut index = MemberIndex {
            archive_len,
            ..MemberIndex::default()
        };
        let tar_error = |offset: u64, source: std::io::Error| match guard::violation(&source) {
            Some(violation) => Error::Limit {
                what: format!("outer archive: {violation}"),
                limit: "max_pax_bytes",
                value: limits.max_pax_bytes,
                flag: flags::MAX_PAX_BYTES,
            },
            None => Error::ArchiveTar {
                offset,
                source: tar_fault::describe(source, tar_fault::block_at(offset)),
            },
        };
        let mut archive = tar::Archive::new(TarGuard::new(reader, limits.max_pax_bytes));
        let entries = archive.entries_with_seek().map_err(|e| tar_error(0, e))?;
        let mut last_offset = 0u64;
        for entry in entries {
            let entry = entry.map_err(|e| tar_error(last_offset, e))?;
            let header_offset = entry.raw_header_position();
            let offset = entry.raw_file_position();
            let size = entry.size();
            last_offset = offset.saturating_add(size);
            if index.members.len() as u64 >= limits.max_archive_members {
                return Err(Error::Limit {
                    what: "outer archive".into(),
                    limit: "max_archive_members",
                    value: limits.max_archive_members,
                    flag: flags::MAX_ARCHIVE_MEMBERS,
                });
            }
            let raw_path = entry.path_bytes();
            if raw_path.len() as u64 > limits.max_path_bytes {
                return Err(Error::Limit {
                    what: format!(
                        "outer archive: member at offset {header_offset} has a {}-byte name",
                        raw_path.len()
                    ),
                    limit: "max_path_bytes",
                    value: limits.max_path_bytes,
                    flag: flags::MAX_PATH_BYTES,
                });
            }
            let normalized = match normalize(&raw_path) {
                Ok(n) => n,
                Err(why) => {
                    index.warnings.push(
                        Warning::new(
                            "unsafe-member-path",
                            format!(
                                "archive member {} ignored: {}",
                                quoted(&names::encode(&raw_path)),
                                why.describe()
                            ),
                        )
                        .at(header_offset),
                    );
                    continue;
                }
            };
            let (parent, _) = paths::split_parent(&normalized.path);
            let link = entry
                .link_name_bytes()
                .map(|l| names::encode(&l).into_owned());
            let kind = match entry.header().entry_type() {
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse => MemberKind::File,
                tar::EntryType::Directory => MemberKind::Dir,
                tar::EntryType::Symlink => {
                    match link
                        .as_deref()
                        .and_then(|l| paths::resolve_member_link(parent, l))
                    {
                        Some(target) => MemberKind::Symlink(target),
                        None => MemberKind::Other,
                    }
                }
                tar::EntryType::Link => {
                    match link
                        .as_deref()
                        .and_then(|l| normalize(&names::decode(l)).ok())
                    {
                        Some(target) => MemberKind::Hardlink(target.path),
                        None => MemberKind::Other,
                    }
                }
                _ => MemberKind::Other,
            };
            let member = Member {
                path: normalized.path,
                offset,
                size,
                kind,
            };
            index.insert(member);
        }
        Ok(index)
    }

    /// Builds an index from members directly (tests, layout directories).
    pub fn from_members(members: Vec<Member>, archive_len: u64) -> MemberIndex {
        let mut index = MemberIndex {
            archive_len,
            ..MemberIndex::default()
        };
        for m in members {
            index.insert(m);
        }
        index
    }

    fn insert(&mut self, mut member: Member) {
        // A hard link names the member its target is *now* (a link to
        // itself, or to a path replaced later, keeps the earlier data).
        if let MemberKind::Hardlink(target) = &member.kind {
            if let Some(existing) = self.get(target).cloned() {
                member.offset = existing.offset;
                member.size = existing.size;
                member.kind = existing.kind;
            }
        }
        if self.truncated.is_none() && member.kind == MemberKind::File {
            let end = member.offset.saturating_add(member.size);
            if end > self.archive_len {
                self.truncated = Some(TruncatedMember {
                    path: member.path.clone(),
                    expected: member.size,
                    available: self.archive_len.saturating_sub(member.offset),
                });
            }
        }
        let position = self.members.len();
        self.by_path.insert(member.path.clone(), position);
        self.members.push(member);
    }

    /// All members in archive order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The member at `path`, without following links.
    pub fn get(&self, path: &str) -> Option<&Member> {
        self.by_path.get(path).and_then(|&i| self.members.get(i))
    }

    /// The regular-file member that `path` names, following symlinks and
    /// hardlinks between members (bounded, so link cycles end).
    pub fn resolve(&self, path: &str) -> Option<&Member> {
        let mut current = self.get(path)?;
        for _ in 0..32 {
            match &current.kind {
                MemberKind::File => return Some(current),
                MemberKind::Symlink(target) | MemberKind::Hardlink(target) => {
                    current = self.get(target)?;
                }
                MemberKind::Dir | MemberKind::Other => return None,
            }
        }
        None
    }

    /// Whether the archive has a member at `path` (any kind).
    pub fn contains(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }
}
