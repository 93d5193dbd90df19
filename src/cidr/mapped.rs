//! Reading a log file by mapping it into memory: no copy from the page cache into a buffer, and
//! the whole file can be cut into chunks for several threads.

use std::fs::File;
use std::path::Path;

use memmap2::{Advice, Mmap};

/// Maps `path` read-only when it is a non-empty regular file; `None` means "read it instead"
/// (pipes, devices, empty files, or a failed mapping).
pub fn map_regular_file(path: &Path) -> Option<Mmap> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() == 0 {
        return None;
    }
    // SAFETY: the mapping is only read. If another process truncates the file while it is
    // mapped, reading past the new end raises SIGBUS, as it does for grep and ripgrep with
    // memory maps; netlab cannot prevent that for a file it does not own.
    let map = unsafe { Mmap::map(&file) }.ok()?;
    let _ = map.advise(Advice::Sequential);
    Some(map)
}
