//! The output folder: every file is written into a hidden staging folder next to the target,
//! which is renamed into place only when the whole study has succeeded. A failure (or a panic)
//! removes the staging folder, so nothing half-written is ever passed off as a result.
//!
//! A run replaces the whole folder, so it only ever replaces a folder that holds nothing but
//! an earlier run's files: each run lists the files it wrote in [`MANIFEST`], and a folder that
//! is not empty must have that list and nothing outside it. A folder holding anything else (the
//! input CSV, a user's notes) is refused before any work starts, never deleted.

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

/// The hidden file, inside every output folder, that lists the files the run wrote (one name
/// per line, itself included).
pub(crate) const MANIFEST: &str = ".cartera-study-files";

/// Checks that `target`, an existing folder, may be replaced: empty, or holding only the files
/// that its manifest lists (an earlier run's output).
fn check_replaceable(target: &Path) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::invalid_param(
            "--out",
            target.display(),
            format!(
                "{why}; a study replaces its output folder as a whole, so it only writes into a new \
                 or empty folder or over an earlier study's output"
            ),
        ))
    };
    let mut entries: Vec<String> = fs::read_dir(target)
        .map_err(|e| unwritable(target, e))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| unwritable(target, e))?;
    // Sorted, so that the entry an error names does not depend on the file system's order.
    entries.sort();
    let Some(first) = entries.first() else {
        return Ok(());
    };
    let Ok(manifest) = fs::read_to_string(target.join(MANIFEST)) else {
        return refuse(format!(
            "the folder is not empty and is not a cartera study's output (it holds {first})"
        ));
    };
    let listed: Vec<&str> = manifest.lines().collect();
    let foreign: Vec<&String> = entries
        .iter()
        .filter(|e| !listed.contains(&e.as_str()))
        .collect();
    match foreign.first() {
        None => Ok(()),
        Some(f) => refuse(format!(
            "the folder holds {f}, which no earlier study wrote{}",
            if foreign.len() > 1 {
                format!(" (and {} more)", foreign.len() - 1)
            } else {
                String::new()
            }
        )),
    }
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
        if target.is_dir() {
            check_replaceable(target)?;
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
        // The manifest lists every file, itself included, so the next run may replace them all.
        let mut manifest: Vec<&str> = self.files.iter().map(String::as_str).collect();
        manifest.push(MANIFEST);
        let text = manifest.join("\n") + "\n";
        fs::write(self.staging.join(MANIFEST), text).map_err(|e| self.io(MANIFEST, e))?;
        // Checked again: the folder may have changed while the study ran.
        if self.target.is_dir() {
            check_replaceable(&self.target)?;
        }
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

    /// A folder holding anything an earlier run did not write is refused, before and at
    /// commit, and left as it was; an empty folder and an earlier run's output are replaced.
    #[test]
    fn never_replaces_a_folder_with_foreign_files() {
        let base = std::env::temp_dir().join(format!("cartera-study-keep-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let target = base.join("res");
        fs::create_dir_all(&target).unwrap();
        // Empty: accepted.
        let mut o = OutputDir::create(&target).unwrap();
        o.text("a.csv", "1").unwrap();
        o.commit().unwrap();
        assert!(target.join(MANIFEST).exists());
        // A user's file beside an earlier run's output: refused, and kept.
        fs::write(target.join("keep.txt"), "mine").unwrap();
        let e = OutputDir::create(&target).unwrap_err().to_string();
        assert!(e.contains("keep.txt"), "{e}");
        assert_eq!(fs::read_to_string(target.join("keep.txt")).unwrap(), "mine");
        // A non-empty folder that no run wrote: refused.
        let other = base.join("data");
        fs::create_dir_all(&other).unwrap();
        fs::write(other.join("input.csv"), "a,b\n").unwrap();
        let e = OutputDir::create(&other).unwrap_err().to_string();
        assert!(
            e.contains("input.csv") && e.contains("not a cartera study"),
            "{e}"
        );
        // A file appearing while the study runs: the commit refuses and keeps it.
        fs::remove_file(target.join("keep.txt")).unwrap();
        let mut o = OutputDir::create(&target).unwrap();
        o.text("b.csv", "2").unwrap();
        fs::write(target.join("late.txt"), "mine").unwrap();
        assert!(o.commit().unwrap_err().to_string().contains("late.txt"));
        assert!(target.join("late.txt").exists() && target.join("a.csv").exists());
        fs::remove_dir_all(&base).unwrap();
    }
}
