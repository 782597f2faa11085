//! Writing an output file so that an interrupted write never leaves half a file under its
//! name: the bytes go to `NAME.partial` beside it, renamed onto `NAME` once complete (and
//! removed on failure). A device, FIFO or socket (`/dev/null`) is written in place instead: a
//! rename would replace the device itself.
//!
//! ```
//! use std::io::Write;
//! let path = std::env::temp_dir().join("cartera-output-doc.txt");
//! cartera_core::output::write_file(&path, |w| {
//!     w.write_all(b"segment,size\n").map_err(|e| cartera_core::Error::io("writing", e))
//! })?;
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "segment,size\n");
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::io::Write;
use std::path::Path;

use crate::validate::{check_output_file, is_special_file};
use crate::{Error, Result};

/// Write `path` through `write` (handed a buffered writer), atomically for a regular file (see
/// the [module docs](self)). Errors: [`Error::Io`] naming `path` (a directory, an unwritable
/// folder), or `write`'s own error; the temporary file is removed either way.
pub fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    check_output_file(path)?;
    let io = |e| Error::io(format!("writing {}", path.display()), e);
    let fill = |target: &Path, in_place: bool| -> Result<()> {
        let file = if in_place {
            std::fs::OpenOptions::new().write(true).open(target)
        } else {
            std::fs::File::create(target)
        }
        .map_err(io)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        w.flush().map_err(io)
    };
    if is_special_file(path) {
        return fill(path, true);
    }
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(".partial");
    let tmp = path.with_file_name(tmp_name);
    let result = fill(&tmp, false).and_then(|()| std::fs::rename(&tmp, path).map_err(io));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`write_file`] of `text`: the JSON of a model or pipeline file, say.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_file(path, |w| {
        w.write_all(text.as_bytes())
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_file() {
        let path = std::env::temp_dir().join(format!("cartera-output-{}.csv", std::process::id()));
        let e = write_file(&path, |w| {
            w.write_all(b"half").map_err(|e| Error::io("x", e))?;
            Err(Error::empty("rows"))
        });
        assert!(e.is_err());
        assert!(!path.exists());
        assert!(
            !path
                .with_file_name(format!("cartera-output-{}.csv.partial", std::process::id()))
                .exists()
        );
    }
}
