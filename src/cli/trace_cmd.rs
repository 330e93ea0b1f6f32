//! `releasegate trace`: who a leaked copy of conditional data was issued to.

use std::path::PathBuf;

use super::scan_cmd::read;
use super::usage_error;

/// Prints `FILE: TRACE` for each file, or `FILE: no trace`; exit 1 when a
/// file carries none, 2 when one cannot be read.
pub fn run(files: &[PathBuf]) -> i32 {
    let mut untraced = false;
    for path in files {
        let traced = read(path).and_then(|(name, bytes)| {
            crate::redact::read_trace(&name, &bytes).map_err(|e| format!("{}: {e}", path.display()))
        });
        match traced {
            Ok(Some(trace)) => println!("{}: {trace}", path.display()),
            Ok(None) => {
                untraced = true;
                println!("{}: no trace", path.display());
            }
            Err(e) => return usage_error(e),
        }
    }
    i32::from(untraced)
}
