//! Where the policy files come from: a directory on disk, or the shipped set
//! built into the binary, so that `releasegate scan FILE` works on a machine
//! that has nothing but the binary.
//!
//! Which one is used: an explicit directory (`--policy-dir`,
//! `RELEASEGATE_POLICY_DIR`) must exist; without one, `./policies` is read
//! when it is there, otherwise the built-in set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::PolicyError;

/// The shipped `policies/` directory, file for file (a test keeps the two
/// equal). Paths are relative, `/`-separated.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "assessment.toml",
        include_str!("../../policies/assessment.toml"),
    ),
    (
        "calendar/2026.toml",
        include_str!("../../policies/calendar/2026.toml"),
    ),
    (
        "detectors/commercial.toml",
        include_str!("../../policies/detectors/commercial.toml"),
    ),
    (
        "detectors/credentials.toml",
        include_str!("../../policies/detectors/credentials.toml"),
    ),
    (
        "detectors/personal.toml",
        include_str!("../../policies/detectors/personal.toml"),
    ),
    (
        "detectors/secrecy.toml",
        include_str!("../../policies/detectors/secrecy.toml"),
    ),
    (
        "statistics.toml",
        include_str!("../../policies/statistics.toml"),
    ),
    (
        "workflow.toml",
        include_str!("../../policies/workflow.toml"),
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Dir(PathBuf),
    BuiltIn,
}

/// Every `*.toml` policy file, by path relative to the policy root.
#[derive(Debug, Clone)]
pub struct PolicyFiles {
    pub origin: Origin,
    files: BTreeMap<String, String>,
}

impl PolicyFiles {
    /// The directory named by the operator, `./policies` when it exists, or
    /// the built-in set.
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, PolicyError> {
        match explicit {
            Some(dir) => Self::read_dir(dir),
            None if Path::new("policies").is_dir() => Self::read_dir(Path::new("policies")),
            None => Ok(Self::built_in()),
        }
    }

    pub fn built_in() -> Self {
        Self {
            origin: Origin::BuiltIn,
            files: BUILT_IN
                .iter()
                .map(|(path, source)| (path.to_string(), source.to_string()))
                .collect(),
        }
    }

    pub fn read_dir(dir: &Path) -> Result<Self, PolicyError> {
        if !dir.is_dir() {
            return Err(PolicyError::new(
                dir,
                None,
                "policy directory not found (set RELEASEGATE_POLICY_DIR, or leave it unset for the built-in policies)",
            ));
        }
        let mut paths = Vec::new();
        collect_toml(dir, &mut paths)?;
        let mut files = BTreeMap::new();
        for path in paths {
            let source = std::fs::read_to_string(&path)
                .map_err(|e| PolicyError::new(&path, None, format!("cannot read: {e}")))?;
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            let key = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.insert(key, source);
        }
        Ok(Self {
            origin: Origin::Dir(dir.to_path_buf()),
            files,
        })
    }

    /// The path a message names for `relative`: on disk, or marked built-in.
    pub fn path(&self, relative: &str) -> PathBuf {
        match &self.origin {
            Origin::Dir(dir) => dir.join(relative),
            Origin::BuiltIn => Path::new("(built-in policies)").join(relative),
        }
    }

    pub fn get(&self, relative: &str) -> Option<&str> {
        self.files.get(relative).map(String::as_str)
    }

    /// The files directly inside `folder`, in name order, with their paths.
    pub fn in_folder<'a>(
        &'a self,
        folder: &'a str,
    ) -> impl Iterator<Item = (PathBuf, &'a str)> + 'a {
        self.files.iter().filter_map(move |(key, source)| {
            let name = key.strip_prefix(folder)?.strip_prefix('/')?;
            (!name.contains('/')).then(|| (self.path(key), source.as_str()))
        })
    }

    /// Every file, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// SHA-256 over every file (relative path and content) in path order:
    /// the same for a directory and the built-in set holding the same files.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for (path, source) in &self.files {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update((source.len() as u64).to_be_bytes());
            hasher.update(source.as_bytes());
        }
        hex::encode(hasher.finalize())
    }

    /// What a person is told the policies were read from.
    pub fn describe(&self) -> String {
        match &self.origin {
            Origin::Dir(dir) => format!("directory {}", dir.display()),
            Origin::BuiltIn => "the built-in defaults".to_string(),
        }
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| PolicyError::new(dir, None, format!("cannot list: {e}")))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PolicyFiles {
        PolicyFiles::read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap()
    }

    #[test]
    fn the_built_in_set_is_the_shipped_directory_file_for_file() {
        let (dir, built_in) = (shipped(), PolicyFiles::built_in());
        let names = |f: &PolicyFiles| f.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(&built_in),
            names(&dir),
            "add the new file to BUILT_IN"
        );
        assert_eq!(built_in.digest(), dir.digest());
    }

    #[test]
    fn a_folder_lists_its_own_files_only() {
        let files = PolicyFiles::built_in();
        let detectors: Vec<_> = files
            .in_folder("detectors")
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            detectors,
            [
                "commercial.toml",
                "credentials.toml",
                "personal.toml",
                "secrecy.toml"
            ]
        );
        assert!(files
            .path("workflow.toml")
            .starts_with("(built-in policies)"));
    }

    #[test]
    fn an_explicit_directory_must_exist() {
        let e = PolicyFiles::resolve(Some(Path::new("/nonexistent/policies"))).unwrap_err();
        assert!(e.to_string().contains("policy directory not found"), "{e}");
    }
}
