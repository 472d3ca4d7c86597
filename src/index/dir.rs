//! The index directory: Tantivy's mmap directory, except that small reads of
//! the document store and of posting lists are copied out with `pread`.
//!
//! A result page reads a handful of compressed blocks of a few KB each from
//! the `.store` files, and a query the posting lists of its terms from the
//! `.idx` files. Through the mmap every page fault maps 64 KB around it (the
//! kernel's fault-around), and the pages stay in the server's resident set
//! for as long as the segment lives: serving queries at 100k CoEs kept 15 MB
//! of the doc store and 9 MB of postings resident. A `pread` costs about the
//! same as the faults and leaves nothing behind (decompressed blocks are
//! cached by Tantivy's own doc-store cache). Large reads (a very common
//! term's postings; merging segments, which stacks whole stores) still go
//! through the mmap, as does everything else.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::directory::error::{DeleteError, OpenReadError, OpenWriteError};
use tantivy::directory::{Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr};

/// Reads of the document store up to this size are copied out with `pread`.
const PREAD_MAX: usize = 256 * 1024;

/// Reads of posting lists up to this size are copied out with `pread`
/// (larger lists are read on every query that has their term: copying them
/// would cost more than their pages).
const PREAD_MAX_POSTINGS: usize = 64 * 1024;

/// Which files are read with `pread`, and up to what size a read.
fn pread_max(path: &Path) -> Option<usize> {
    match path.extension()?.to_str()? {
        "store" => Some(PREAD_MAX),
        "idx" => Some(PREAD_MAX_POSTINGS),
        _ => None,
    }
}

/// [`MmapDirectory`] with `pread` for small reads of documents and postings.
#[derive(Debug, Clone)]
pub struct IndexDirectory {
    root: PathBuf,
    mmap: MmapDirectory,
}

impl IndexDirectory {
    /// Open the index directory `root` (it must exist).
    pub fn open(root: &Path) -> Result<IndexDirectory, tantivy::directory::error::OpenDirectoryError> {
        Ok(IndexDirectory { root: root.to_path_buf(), mmap: MmapDirectory::open(root)? })
    }
}

/// A file read by `pread` up to `max` bytes a read, from the mmap beyond.
#[derive(Debug)]
struct PreadFile {
    file: std::fs::File,
    mapped: Arc<dyn FileHandle>,
    max: usize,
}

impl tantivy::HasLen for PreadFile {
    fn len(&self) -> usize {
        self.mapped.len()
    }
}

impl FileHandle for PreadFile {
    fn read_bytes(&self, range: Range<usize>) -> std::io::Result<OwnedBytes> {
        #[cfg(unix)]
        {
            if range.len() <= self.max && range.end <= self.mapped.len() {
                let mut buf = vec![0u8; range.len()];
                std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut buf, range.start as u64)?;
                return Ok(OwnedBytes::new(buf));
            }
        }
        self.mapped.read_bytes(range)
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let mapped = self.mmap.get_file_handle(path)?;
        let Some(max) = pread_max(path) else { return Ok(mapped) };
        let full = self.root.join(path);
        let file = std::fs::File::open(&full).map_err(|e| OpenReadError::wrap_io_error(e, full))?;
        Ok(Arc::new(PreadFile { file, mapped, max }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mmap.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mmap.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mmap.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mmap.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.mmap.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.mmap.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, tantivy::directory::error::LockError> {
        self.mmap.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mmap.watch(watch_callback)
    }
}

/// Drop this process's resident pages of `bytes`, a read-only view of a
/// mapped index file, once it has been read through: the next access maps
/// them again from the page cache. The facet columns are unpacked into
/// memory once per segment; without this their pages (8 MB at 100k CoEs)
/// would stay in the server's resident set for nothing.
pub(crate) fn drop_resident_pages(bytes: &[u8]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = (bytes.as_ptr() as usize).next_multiple_of(PAGE);
        let end = (bytes.as_ptr() as usize + bytes.len()) / PAGE * PAGE;
        if end > start {
            // SAFETY: [start, end) lies inside `bytes`, a shared read-only
            // file mapping that is never written: MADV_DONTNEED only unmaps
            // its pages from this process, and a later read faults the same
            // file contents back in.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use tantivy::directory::TerminatingWrite;

    #[test]
    fn files_read_the_same_by_pread_and_by_mmap_and_after_dropping_pages() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDirectory::open(tmp.path()).unwrap();
        // Bigger than PREAD_MAX, so both read paths are taken.
        let data: Vec<u8> = (0..PREAD_MAX * 2 + 12_345).map(|i| (i * 7 % 251) as u8).collect();
        for name in ["seg.store", "seg.idx", "seg.fast"] {
            let mut w = dir.open_write(Path::new(name)).unwrap();
            w.write_all(&data).unwrap();
            w.terminate().unwrap();
            let h = dir.get_file_handle(Path::new(name)).unwrap();
            assert_eq!(h.len(), data.len());
            for r in [0..10, 4_000..9_000, PREAD_MAX - 1..PREAD_MAX + 1, 100..PREAD_MAX + 5_000, 0..data.len()] {
                assert_eq!(h.read_bytes(r.clone()).unwrap().as_slice(), &data[r.clone()], "{name} {r:?}");
            }
            let all = h.read_bytes(0..data.len()).unwrap();
            drop_resident_pages(all.as_slice());
            assert_eq!(all.as_slice(), &data[..], "{name}: the mapping reads the same after its pages were dropped");
        }
    }
}
