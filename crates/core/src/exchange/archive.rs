//! Hash-linked message-log archives in X-Road's format (research notes §3.4, X-Road's
//! `LinkingInfoBuilder` and the archive verifier): a ZIP of ASiC-E containers plus a
//! `linkinginfo` entry. Its first line names the previous archive (`<digest> <file> <algorithm>`,
//! `-` for none); each following line is `<digest> <entry>`, where each digest is
//! hex(SHA-512(previous digest as hex text + hex(SHA-512(entry bytes)))), starting from the
//! previous archive's last digest. Changing, removing, reordering or inserting a container, or
//! replacing a whole archive, breaks the chain at that point and every later archive.

use std::io::{Cursor, Read, Write};

use sha2::{Digest, Sha512};

/// The digest algorithm's name as X-Road writes it into the linking info.
pub const ALGORITHM: &str = "SHA-512";
/// The linking-info entry's name inside an archive.
pub const LINKING_INFO: &str = "linkinginfo";
/// Largest archive opened for verification, and largest total once inflated.
const MAX_ARCHIVE_BYTES: u64 = 1024 * 1024 * 1024;

/// Where a chain of archives stands: the last archive's file name and its last linking digest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArchiveLink {
    pub digest: String,
    pub file_name: String,
}

impl ArchiveLink {
    pub fn is_start(&self) -> bool {
        self.digest.is_empty()
    }
}

fn hex_sha512(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

/// The next linking digest after `last`, for an entry with these bytes.
pub fn next_digest(last: &str, entry: &[u8]) -> String {
    hex_sha512(format!("{last}{}", hex_sha512(entry)).as_bytes())
}

/// X-Road's archive file name: `mlog-<first>-<last>-<16 chars of the last linking digest>.zip`,
/// times as `yyyyMMddHHmmss` UTC.
pub fn archive_name(first: &str, last: &str, link: &ArchiveLink) -> String {
    let tail: String = link.digest.chars().take(16).collect();
    format!("mlog-{first}-{last}-{tail}.zip")
}

/// Write an archive of `entries` (name, container bytes) linked to `previous`. Returns the ZIP
/// and the new link (its `file_name` is left for the caller to set once it names the file).
pub fn write_archive(
    previous: &ArchiveLink,
    entries: &[(String, Vec<u8>)],
) -> Result<(Vec<u8>, ArchiveLink), String> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // Stored: containers are ZIPs already. No timestamps from the clock: archiving is
    // deterministic, as in X-Road.
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut last = previous.digest.clone();
    let writable = |s: &str| {
        if s.trim().is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    let mut info = format!(
        "{} {} {ALGORITHM}\n",
        writable(&previous.digest),
        writable(&previous.file_name)
    );
    for (name, bytes) in entries {
        if name == LINKING_INFO || name.contains(char::is_whitespace) || name.is_empty() {
            return Err(format!("entry name {name:?} cannot go into an archive"));
        }
        zip.start_file(name.as_str(), options)
            .map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
        last = next_digest(&last, bytes);
        info.push_str(&format!("{last} {name}\n"));
    }
    zip.start_file(LINKING_INFO, options)
        .map_err(|e| e.to_string())?;
    zip.write_all(info.as_bytes()).map_err(|e| e.to_string())?;
    let bytes = zip.finish().map_err(|e| e.to_string())?.into_inner();
    Ok((
        bytes,
        ArchiveLink {
            digest: last,
            file_name: String::new(),
        },
    ))
}

/// Why an archive does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveFault {
    /// Not a readable ZIP, or no linking info.
    Unreadable(String),
    /// The first line does not name the archive before it.
    BrokenLink { expected: String, found: String },
    /// An entry's bytes do not give the recorded digest (changed, or order changed).
    EntryMismatch { entry: String },
    /// A container is in the ZIP but not in the linking info, or the other way round.
    EntrySetMismatch { detail: String },
}

impl std::fmt::Display for ArchiveFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArchiveFault::Unreadable(e) => write!(f, "unreadable archive: {e}"),
            ArchiveFault::BrokenLink { expected, found } => write!(
                f,
                "the archive does not follow the previous one (expected {expected}, found {found})"
            ),
            ArchiveFault::EntryMismatch { entry } => {
                write!(f, "{entry} was changed, or the entries were reordered")
            }
            ArchiveFault::EntrySetMismatch { detail } => write!(f, "{detail}"),
        }
    }
}

impl ArchiveFault {
    pub fn code(&self) -> &'static str {
        match self {
            ArchiveFault::Unreadable(_) => "archive_unreadable",
            ArchiveFault::BrokenLink { .. } => "archive_link_broken",
            ArchiveFault::EntryMismatch { .. } => "archive_entry_changed",
            ArchiveFault::EntrySetMismatch { .. } => "archive_entries_differ",
        }
    }
}

/// The verified archive: its containers in order, and where the chain now stands.
#[derive(Debug)]
pub struct VerifiedArchive {
    pub entries: Vec<(String, Vec<u8>)>,
    pub link: ArchiveLink,
    /// The previous archive as this one names it.
    pub previous: ArchiveLink,
}

/// Check an archive's linking info against its entries, and (unless `previous` is `None`) that
/// it follows `previous`. The returned link carries `file_name` as given.
pub fn verify_archive(
    bytes: &[u8],
    file_name: &str,
    previous: Option<&ArchiveLink>,
) -> Result<VerifiedArchive, ArchiveFault> {
    let unreadable = |e: String| ArchiveFault::Unreadable(e);
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let mut files = std::collections::HashMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| unreadable(e.to_string()))?;
        if f.is_dir() {
            continue;
        }
        let name = f
            .name()
            .map_err(|e| unreadable(e.to_string()))?
            .into_owned();
        let mut data = Vec::new();
        (&mut f)
            .take(MAX_ARCHIVE_BYTES - total + 1)
            .read_to_end(&mut data)
            .map_err(|e| unreadable(e.to_string()))?;
        total += data.len() as u64;
        if total > MAX_ARCHIVE_BYTES {
            return Err(unreadable(format!(
                "inflates to more than {MAX_ARCHIVE_BYTES} bytes"
            )));
        }
        files.insert(name, data);
    }
    let info = files
        .remove(LINKING_INFO)
        .ok_or_else(|| unreadable(format!("no {LINKING_INFO} entry")))?;
    let info = String::from_utf8(info).map_err(|e| unreadable(e.to_string()))?;
    let mut lines = info.lines();
    let head: Vec<&str> = lines
        .next()
        .ok_or_else(|| unreadable(format!("{LINKING_INFO} is empty")))?
        .split(' ')
        .collect();
    let [prev_digest, prev_file, algorithm] = head.as_slice() else {
        return Err(unreadable(format!(
            "{LINKING_INFO}'s first line is not '<digest> <file> <algorithm>'"
        )));
    };
    if !algorithm.eq_ignore_ascii_case(ALGORITHM) && !algorithm.eq_ignore_ascii_case("SHA512") {
        return Err(unreadable(format!(
            "digest algorithm {algorithm} is not supported"
        )));
    }
    let named = ArchiveLink {
        digest: if *prev_digest == "-" {
            String::new()
        } else {
            prev_digest.to_string()
        },
        file_name: if *prev_file == "-" {
            String::new()
        } else {
            prev_file.to_string()
        },
    };
    if let Some(expected) = previous
        && expected.digest != named.digest
    {
        return Err(ArchiveFault::BrokenLink {
            expected: if expected.is_start() {
                "-".into()
            } else {
                expected.digest.clone()
            },
            found: prev_digest.to_string(),
        });
    }
    let mut last = named.digest.clone();
    let mut entries = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (digest, name) = line.split_once(' ').ok_or_else(|| {
            unreadable(format!(
                "{LINKING_INFO} line {line:?} is not '<digest> <entry>'"
            ))
        })?;
        let data = files
            .remove(name)
            .ok_or_else(|| ArchiveFault::EntrySetMismatch {
                detail: format!("{name} is in the linking info but not in the archive"),
            })?;
        let next = next_digest(&last, &data);
        if next != digest {
            return Err(ArchiveFault::EntryMismatch {
                entry: name.to_string(),
            });
        }
        last = next;
        entries.push((name.to_string(), data));
    }
    if let Some(extra) = files.keys().next() {
        return Err(ArchiveFault::EntrySetMismatch {
            detail: format!("{extra} is in the archive but not in the linking info"),
        });
    }
    Ok(VerifiedArchive {
        entries,
        link: ArchiveLink {
            digest: last,
            file_name: file_name.to_string(),
        },
        previous: named,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                (
                    format!("q{i}-request.asice"),
                    format!("container {i}").into_bytes(),
                )
            })
            .collect()
    }

    #[test]
    fn the_digest_is_x_roads_chained_hex_sha512() {
        // hex(sha512("" + hex(sha512(b"abc")))): the first entry after an empty chain.
        let inner = hex::encode(Sha512::digest(b"abc"));
        let expected = hex::encode(Sha512::digest(inner.as_bytes()));
        assert_eq!(next_digest("", b"abc"), expected);
        assert_eq!(expected.len(), 128);
    }

    #[test]
    fn archives_chain_and_every_kind_of_tampering_is_found() {
        let (first, mut l1) = write_archive(&ArchiveLink::default(), &entries(3)).unwrap();
        l1.file_name = archive_name("20261128000000", "20261128060000", &l1);
        assert!(
            l1.file_name
                .starts_with("mlog-20261128000000-20261128060000-")
        );
        let v1 = verify_archive(&first, &l1.file_name, Some(&ArchiveLink::default())).unwrap();
        assert_eq!(v1.link, l1);
        assert_eq!(v1.entries.len(), 3);

        let (second, l2) = write_archive(&l1, &entries(2)).unwrap();
        let v2 = verify_archive(&second, "b.zip", Some(&l1)).unwrap();
        assert_eq!(v2.previous, l1);
        assert_eq!(v2.link.digest, l2.digest);
        // The same entries written again give the same bytes: deterministic.
        assert_eq!(write_archive(&l1, &entries(2)).unwrap().0, second);

        // The second archive does not follow some other chain.
        let other = ArchiveLink {
            digest: next_digest("", b"x"),
            file_name: "x.zip".into(),
        };
        assert_eq!(
            verify_archive(&second, "b.zip", Some(&other))
                .unwrap_err()
                .code(),
            "archive_link_broken"
        );

        // A changed container.
        let mut changed = entries(3);
        changed[1].1 = b"container 1, altered".to_vec();
        let (tampered, _) = write_archive(&ArchiveLink::default(), &changed).unwrap();
        let forged = splice_linking_info(&tampered, &first);
        assert_eq!(
            verify_archive(&forged, "a.zip", None).unwrap_err(),
            ArchiveFault::EntryMismatch {
                entry: "q1-request.asice".into()
            }
        );

        // A container removed from the ZIP but still in the linking info.
        let fewer = entries(2);
        let (short, _) = write_archive(&ArchiveLink::default(), &fewer).unwrap();
        let forged = splice_linking_info(&short, &first);
        assert_eq!(
            verify_archive(&forged, "a.zip", None).unwrap_err().code(),
            "archive_entries_differ"
        );

        assert_eq!(
            verify_archive(b"not a zip", "a.zip", None)
                .unwrap_err()
                .code(),
            "archive_unreadable"
        );
    }

    /// `containers`' entries with `linking`'s linking info: what an attacker who edits the ZIP
    /// without being able to fix the chain produces.
    fn splice_linking_info(containers: &[u8], linking: &[u8]) -> Vec<u8> {
        let read = |bytes: &[u8]| {
            let mut z = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
            (0..z.len())
                .map(|i| {
                    let mut f = z.by_index(i).unwrap();
                    let mut d = Vec::new();
                    f.read_to_end(&mut d).unwrap();
                    (f.name().unwrap().into_owned(), d)
                })
                .collect::<Vec<_>>()
        };
        let info = read(linking)
            .into_iter()
            .find(|(n, _)| n == LINKING_INFO)
            .unwrap()
            .1;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in read(containers) {
            zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(if name == LINKING_INFO { &info } else { &data })
                .unwrap();
        }
        zip.finish().unwrap().into_inner()
    }
}
