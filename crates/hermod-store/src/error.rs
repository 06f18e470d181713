//! Why the store could not do something.

use std::path::PathBuf;

/// A failure of the data directory or the storage engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The directory or one of its files could not be created, read or written.
    #[error("data directory {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Another process (a second broker) holds the directory's lock.
    #[error(
        "data directory {path} is in use by another process (its LOCK file is held); stop that broker or give this one another --data-dir"
    )]
    Locked {
        /// The data directory.
        path: PathBuf,
    },
    /// The directory holds files but no format stamp: it is not a Hermod data directory.
    #[error(
        "{path} is not empty and is not a Hermod data directory (no FORMAT file); give an empty or new directory with --data-dir, or move its contents away"
    )]
    NotADataDir {
        /// The directory.
        path: PathBuf,
    },
    /// The directory was written by a Hermod with another on-disk format.
    #[error(
        "data directory {path} has on-disk format {found:?}, this Hermod reads format {supported}; run the Hermod version that wrote it, or move the directory away to start empty (its data is kept as it is)"
    )]
    IncompatibleFormat {
        /// The directory.
        path: PathBuf,
        /// What its FORMAT file says.
        found: String,
        /// The format this build reads and writes.
        supported: u32,
    },
    /// The storage engine failed (I/O error, corrupt files, full disk).
    #[error("storage engine: {source}")]
    Engine {
        /// The engine's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored record cannot be read: the directory is damaged or was written by a build
    /// with an incompatible record layout. Startup stops rather than lose it.
    #[error(
        "data directory {path}: unreadable {space} record {key:?} ({reason}); the data is left as it is: restore the directory from a backup, run the Hermod version that wrote it, or move it away to start empty"
    )]
    CorruptRecord {
        /// The data directory.
        path: PathBuf,
        /// Which space the record is in.
        space: &'static str,
        /// Its key, lossily as text.
        key: String,
        /// What is wrong with it.
        reason: crate::record::RecordError,
    },
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
}

impl StoreError {
    /// Wraps an engine error.
    pub fn engine(source: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Engine {
            source: Box::new(source),
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}
