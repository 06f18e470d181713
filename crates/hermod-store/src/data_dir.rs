//! The data directory: created on first use, locked while a broker uses it, stamped with the
//! on-disk format version.
//!
//! Layout: `FORMAT` (the format stamp, one line), `LOCK` (held with an exclusive advisory lock
//! for the life of the [`DataDir`]) and `engine/` (the storage engine's own files).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// The on-disk format this build reads and writes. Raise it with any change of the key layout
/// or of a record's encoding that an older build would misread.
pub const FORMAT_VERSION: u32 = 1;

const FORMAT_FILE: &str = "FORMAT";
const LOCK_FILE: &str = "LOCK";
const ENGINE_DIR: &str = "engine";

/// An open, locked data directory.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    /// Holds the lock until dropped (the operating system releases it with the file, also
    /// when the process is killed).
    _lock: File,
}

impl DataDir {
    /// Opens `path`, creating it if needed; fails if another process has it open, if it holds
    /// files that are not a Hermod data directory or if its format is not [`FORMAT_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<DataDir, StoreError> {
        let path = path.as_ref().to_path_buf();
        std::fs::create_dir_all(&path).map_err(|error| StoreError::io(&path, error))?;
        let stamp_path = path.join(FORMAT_FILE);
        let stamp = match std::fs::read_to_string(&stamp_path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(StoreError::io(&stamp_path, error)),
        };
        if stamp.is_none() && has_entries_other_than(&path, LOCK_FILE)? {
            return Err(StoreError::NotADataDir { path });
        }
        let lock_path = path.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| StoreError::io(&lock_path, error))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked { path }),
            Err(TryLockError::Error(error)) => return Err(StoreError::io(&lock_path, error)),
        }
        match stamp {
            Some(text) => check_stamp(&path, &text)?,
            None => write_stamp(&path)?,
        }
        Ok(DataDir { path, _lock: lock })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the storage engine keeps its files.
    pub fn engine_path(&self) -> PathBuf {
        self.path.join(ENGINE_DIR)
    }
}

fn stamp_text() -> String {
    format!("hermod-store {FORMAT_VERSION}\n")
}

fn check_stamp(path: &Path, text: &str) -> Result<(), StoreError> {
    let found = text.trim();
    let version = found
        .strip_prefix("hermod-store ")
        .and_then(|version| version.parse::<u32>().ok());
    if version == Some(FORMAT_VERSION) {
        Ok(())
    } else {
        Err(StoreError::IncompatibleFormat {
            path: path.to_path_buf(),
            found: found.to_owned(),
            supported: FORMAT_VERSION,
        })
    }
}

/// Writes the stamp through a temporary file and a rename, then syncs the directory, so that
/// a crash leaves either no stamp or a whole one.
fn write_stamp(path: &Path) -> Result<(), StoreError> {
    let temporary = path.join("FORMAT.tmp");
    let mut file = File::create(&temporary).map_err(|error| StoreError::io(&temporary, error))?;
    file.write_all(stamp_text().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| StoreError::io(&temporary, error))?;
    let stamp_path = path.join(FORMAT_FILE);
    std::fs::rename(&temporary, &stamp_path).map_err(|error| StoreError::io(&stamp_path, error))?;
    File::open(path)
        .and_then(|directory| directory.sync_all())
        .map_err(|error| StoreError::io(path, error))
}

fn has_entries_other_than(path: &Path, allowed: &str) -> Result<bool, StoreError> {
    let entries = std::fs::read_dir(path).map_err(|error| StoreError::io(path, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| StoreError::io(path, error))?;
        let name = entry.file_name();
        if name != allowed && name != "FORMAT.tmp" {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    #[test]
    fn a_new_directory_is_created_and_stamped() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("data");
        let dir = DataDir::open(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(path.join(FORMAT_FILE)).unwrap(),
            stamp_text()
        );
        assert_eq!(dir.engine_path(), path.join("engine"));
    }

    #[test]
    fn a_second_open_is_refused_while_the_first_holds_the_lock() {
        let root = tempfile::tempdir().unwrap();
        let first = DataDir::open(root.path()).unwrap();
        let second = DataDir::open(root.path());
        assert!(
            matches!(second, Err(StoreError::Locked { .. })),
            "{second:?}"
        );
        drop(first);
        DataDir::open(root.path()).unwrap();
    }

    #[test]
    fn a_directory_of_other_files_is_refused_and_left_alone() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("notes.txt"), "mine").unwrap();
        let result = DataDir::open(root.path());
        assert!(
            matches!(result, Err(StoreError::NotADataDir { .. })),
            "{result:?}"
        );
        assert!(!root.path().join(FORMAT_FILE).exists());
        assert_eq!(
            std::fs::read_to_string(root.path().join("notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn another_format_version_is_refused_with_what_it_found() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(FORMAT_FILE), "hermod-store 99\n").unwrap();
        let error = DataDir::open(root.path()).unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(
                error,
                StoreError::IncompatibleFormat {
                    supported: FORMAT_VERSION,
                    ..
                }
            ),
            "{text}"
        );
        assert!(text.contains("hermod-store 99"), "{text}");
        assert!(text.contains(&root.path().display().to_string()), "{text}");
        // Nothing was rewritten.
        assert_eq!(
            std::fs::read_to_string(root.path().join(FORMAT_FILE)).unwrap(),
            "hermod-store 99\n"
        );
    }
}
