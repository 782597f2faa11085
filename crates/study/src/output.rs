//! The output folder: every file is written into a hidden staging folder next to the target,
//! which is renamed into place only when the whole study has succeeded. A failure (or a panic)
//! removes the staging folder, so nothing half-written is ever passed off as a result.

use std::fs;
use std::path::{Path, PathBuf};

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use serde::Serialize;

/// A staging folder that becomes `target` on [`commit`](Self::commit).
#[derive(Debug)]
pub(crate) struct OutputDir {
    target: PathBuf,
    staging: PathBuf,
    files: Vec<String>,
    committed: bool,
}

fn unwritable(target: &Path, e: std::io::Error) -> Error {
    Error::io(
        format!("cannot write the output folder {}", target.display()),
        e,
    )
}

impl OutputDir {
    /// Create the staging folder beside `target` (creating `target`'s parents).
    pub(crate) fn create(target: &Path) -> Result<Self> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .ok_or_else(|| {
                Error::invalid_param("--out", target.display(), "must name a folder (e.g. out/)")
            })?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.exists() && !target.is_dir() {
            return Err(Error::invalid_param(
                "--out",
                target.display(),
                "exists and is not a folder",
            ));
        }
        fs::create_dir_all(&parent).map_err(|e| unwritable(target, e))?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| unwritable(target, e))?;
        }
        fs::create_dir(&staging).map_err(|e| unwritable(target, e))?;
        Ok(OutputDir {
            target: target.to_path_buf(),
            staging,
            files: Vec::new(),
            committed: false,
        })
    }

    fn path(&mut self, name: &str) -> PathBuf {
        self.files.push(name.to_string());
        self.staging.join(name)
    }

    fn io(&self, name: &str, e: std::io::Error) -> Error {
        Error::io(format!("writing {}", self.target.join(name).display()), e)
    }

    /// Write a table as CSV.
    pub(crate) fn csv(&mut self, name: &str, table: &Table) -> Result<()> {
        let p = self.path(name);
        table.write_csv(&p)
    }

    /// Write a value as pretty JSON.
    pub(crate) fn json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::io(format!("formatting {name}"), std::io::Error::other(e)))?;
        self.text(name, &(text + "\n"))
    }

    /// Write a text file (SVG, HTML).
    pub(crate) fn text(&mut self, name: &str, text: &str) -> Result<()> {
        let p = self.path(name);
        fs::write(&p, text).map_err(|e| self.io(name, e))
    }

    /// Rename the staging folder to the target (replacing an earlier result there) and return
    /// the names of the files written.
    pub(crate) fn commit(mut self) -> Result<Vec<String>> {
        let old = self.staging.with_file_name(format!(
            "{}.old",
            self.staging
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(".out")
        ));
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &old).map_err(|e| unwritable(&self.target, e))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if had_old {
                // Put the earlier result back: a failed run must not lose it.
                let _ = fs::rename(&old, &self.target);
            }
            return Err(unwritable(&self.target, e));
        }
        if had_old {
            let _ = fs::remove_dir_all(&old);
        }
        self.committed = true;
        Ok(std::mem::take(&mut self.files))
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_failure_leaves_nothing() {
        let base = std::env::temp_dir().join(format!("cartera-study-out-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let target = base.join("res");
        {
            let mut o = OutputDir::create(&target).unwrap();
            o.text("a.txt", "1").unwrap();
            // Dropped without commit: no target, no staging left.
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(&base).unwrap().count(), 0);
        let mut o = OutputDir::create(&target).unwrap();
        o.text("a.txt", "1").unwrap();
        assert_eq!(o.commit().unwrap(), vec!["a.txt"]);
        let mut o = OutputDir::create(&target).unwrap();
        o.text("b.txt", "2").unwrap();
        o.commit().unwrap();
        assert!(target.join("b.txt").exists() && !target.join("a.txt").exists());
        assert_eq!(fs::read_dir(&base).unwrap().count(), 1);
        fs::remove_dir_all(&base).unwrap();
    }
}
