//! Settings, read from the environment (and CLI flags that override them):
//!
//! - `DATABASE_URL` — `sqlite://PATH` (default `sqlite://./releasegate.db`) or `postgres://...`
//! - `RELEASEGATE_DATA_DIR` — content-addressed file store (default `./data`)
//! - `RELEASEGATE_POLICY_DIR` — policies (default `./policies` when it exists,
//!   otherwise the set built into the binary)
//! - `RELEASEGATE_JWT_SECRET` — HS256 secret (at least 32 characters); when
//!   absent it is read from `RELEASEGATE_JWT_SECRET_FILE` (default
//!   `<data dir>/token-secret.key`, created owner-only on first start). It is
//!   never kept in the database: a stolen database backup mints no token.
//!   Several instances share it by sharing the file or the variable.
//! - `RELEASEGATE_TOKEN_TTL` — token lifetime, e.g. `8h`, `30m` (default `8h`)
//! - `RELEASEGATE_MAX_TOKEN_TTL` — the longest lifetime `token issue --ttl` may ask (default `24h`)
//! - `RELEASEGATE_TRUSTED_PROXIES` — comma-separated addresses of reverse proxies whose
//!   `X-Forwarded-For` / `X-Forwarded-Proto` are believed (default: none)
//! - `RELEASEGATE_METRICS_TOKEN` — bearer token `/metrics` requires; unset, `/metrics`
//!   answers only to clients on the loopback interface
//! - `RELEASEGATE_MAX_UPLOAD_BYTES` — total upload size per request (default 50 MiB)
//! - `RELEASEGATE_DB_POOL` — connections in the pool (default 8)
//! - `RELEASEGATE_MAX_CONCURRENT_SCANS` — background jobs (file inspections) run at once
//!   per instance (default 2); each holds at most one file's working memory
//! - `RELEASEGATE_JOB_LEASE` — how long a claimed job stays a worker's without a
//!   heartbeat (default `60s`); a job whose worker died is run again after it
//! - `RELEASEGATE_MAX_FILES_PER_RELEASE` — files in one submission or version (default 200)
//! - `RELEASEGATE_PUBLIC_RATE_LIMIT` — public requests per minute per client (default 600)
//! - `RELEASEGATE_ACCESS_LOG_DAYS` — days the access log keeps a public download (default 365)
//! - `RELEASEGATE_MAX_ZIP_MEMBERS`, `RELEASEGATE_MAX_DECOMPRESSED_BYTES`,
//!   `RELEASEGATE_MAX_ROWS`, `RELEASEGATE_MAX_CELLS`, `RELEASEGATE_MAX_LINE_BYTES` —
//!   extraction limits per uploaded file (defaults: `Limits::service_default`)
//! - `RELEASEGATE_SMTP_URL` — `smtp://host:port`, `smtp://user:pass@host:587?tls=required`
//!   or `smtps://user:pass@host:465`; unset: mails are written as `.eml` files to `<data dir>/mail`
//! - `RELEASEGATE_MAIL_FROM` — sender (default `releasegate <releasegate@localhost>`)
//! - `RELEASEGATE_PUBLIC_URL` — base URL for links in mails (default `http://127.0.0.1:8080`)
//! - `RELEASEGATE_AUDIT_KEY_FILE` — ed25519 seed (64 hex characters) that signs
//!   audit checkpoints; default `<data dir>/audit-signing.key`, created on first start
//! - `RELEASEGATE_AUDIT_ORIGIN` — the audit log's name in its checkpoints and
//!   verifier key (a schema-less URL such as `data.example.gov.cn/audit`);
//!   default `releasegate.audit/<16 hex of the key>`. Set it before the first
//!   checkpoint: checkpoints signed under another name no longer verify
//! - `RELEASEGATE_AUDIT_COSIGNERS` — verifier keys (`name+id+base64`, comma-separated)
//!   of the parties who may co-sign checkpoints, e.g. the secrecy office (default: none)
//!
//! `RELEASEGATE_LOG` (a tracing filter such as `info` or `releasegate=debug`)
//! is read by the CLI when it starts logging, not here.

use std::path::PathBuf;

use chrono::Duration;

use crate::db::DbTarget;
use crate::extract::Limits;

#[derive(Clone)]
pub struct Settings {
    pub database: DbTarget,
    pub data_dir: PathBuf,
    /// `None`: `./policies` when it exists, else the built-in set.
    pub policy_dir: Option<PathBuf>,
    pub jwt_secret: Option<String>,
    pub jwt_secret_file: PathBuf,
    pub max_token_ttl: Duration,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub metrics_token: Option<String>,
    pub token_ttl: Duration,
    pub max_upload_bytes: u64,
    /// Extraction limits for each uploaded file.
    pub limits: Limits,
    pub pool_size: u32,
    pub max_concurrent_scans: usize,
    pub job_lease: Duration,
    pub max_files_per_release: usize,
    /// Public requests per minute per client: per key or token, else per address.
    pub public_rate_limit: u32,
    /// Days the access log keeps each row; older rows are deleted hourly.
    pub access_log_days: u32,
    pub audit_key_file: PathBuf,
    pub audit_origin: Option<String>,
    /// Verifier keys of the parties who may co-sign checkpoints.
    pub audit_cosigners: Vec<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub public_url: String,
    /// The licence the catalogue states for every published release.
    pub licence: Licence,
}

/// A data licence: an SPDX-style identifier and the IRI of its text.
#[derive(Debug, Clone)]
pub struct Licence {
    pub id: String,
    pub url: String,
}

impl Default for Licence {
    fn default() -> Self {
        Self {
            id: "CC-BY-4.0".into(),
            url: "https://creativecommons.org/licenses/by/4.0/".into(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database)
            .field("data_dir", &self.data_dir)
            .field("policy_dir", &self.policy_dir)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("jwt_secret_file", &self.jwt_secret_file)
            .field("token_ttl", &self.token_ttl)
            .field("max_token_ttl", &self.max_token_ttl)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("limits", &self.limits)
            .field("max_concurrent_scans", &self.max_concurrent_scans)
            .field("public_rate_limit", &self.public_rate_limit)
            .field("access_log_days", &self.access_log_days)
            .field("job_lease", &self.job_lease)
            .field("audit_key_file", &self.audit_key_file)
            .field("audit_origin", &self.audit_origin)
            .field("audit_cosigners", &self.audit_cosigners)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(crate::db::redact_url),
            )
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .finish()
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A positive number from the environment, or `default`.
fn number<T: std::str::FromStr + PartialOrd + Default>(
    name: &str,
    default: T,
) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > T::default())
            .ok_or_else(|| format!("{name}: {v:?} is not a positive number")),
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, String> {
        let database = DbTarget::parse(
            &var("DATABASE_URL").unwrap_or_else(|| "sqlite://./releasegate.db".into()),
        )?;
        let token_ttl =
            parse_duration(&var("RELEASEGATE_TOKEN_TTL").unwrap_or_else(|| "8h".into()))
                .map_err(|e| format!("RELEASEGATE_TOKEN_TTL: {e}"))?;
        let max_token_ttl =
            parse_duration(&var("RELEASEGATE_MAX_TOKEN_TTL").unwrap_or_else(|| "24h".into()))
                .map_err(|e| format!("RELEASEGATE_MAX_TOKEN_TTL: {e}"))?;
        if token_ttl > max_token_ttl {
            return Err("RELEASEGATE_TOKEN_TTL exceeds RELEASEGATE_MAX_TOKEN_TTL".into());
        }
        let trusted_proxies = var("RELEASEGATE_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse()
                    .map_err(|_| format!("RELEASEGATE_TRUSTED_PROXIES: {a:?} is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_upload_bytes: u64 = number("RELEASEGATE_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)?;
        let pool_size: u32 = number("RELEASEGATE_DB_POOL", 8)?;
        let max_concurrent_scans: usize = number("RELEASEGATE_MAX_CONCURRENT_SCANS", 2)?;
        let job_lease =
            parse_duration(&var("RELEASEGATE_JOB_LEASE").unwrap_or_else(|| "60s".into()))
                .ok()
                .filter(|d| *d >= Duration::seconds(3))
                .ok_or("RELEASEGATE_JOB_LEASE must be a duration of at least 3s, like 60s")?;
        let max_files_per_release: usize = number("RELEASEGATE_MAX_FILES_PER_RELEASE", 200)?;
        let public_rate_limit: u32 = number("RELEASEGATE_PUBLIC_RATE_LIMIT", 600)?;
        let access_log_days: u32 = number("RELEASEGATE_ACCESS_LOG_DAYS", 365)?;
        let defaults = Limits::service_default();
        let limits = Limits {
            max_file_bytes: Some(max_upload_bytes),
            max_zip_members: number("RELEASEGATE_MAX_ZIP_MEMBERS", defaults.max_zip_members)?,
            max_decompressed_bytes: number(
                "RELEASEGATE_MAX_DECOMPRESSED_BYTES",
                defaults.max_decompressed_bytes,
            )?,
            max_rows: number("RELEASEGATE_MAX_ROWS", defaults.max_rows)?,
            max_cells: number("RELEASEGATE_MAX_CELLS", defaults.max_cells)?,
            max_line_bytes: number("RELEASEGATE_MAX_LINE_BYTES", defaults.max_line_bytes)?,
            max_pages: number("RELEASEGATE_MAX_PAGES", defaults.max_pages)?,
            shared_strings_in_memory: number(
                "RELEASEGATE_SHARED_STRINGS_IN_MEMORY",
                defaults.shared_strings_in_memory,
            )?,
        };
        let data_dir: PathBuf = var("RELEASEGATE_DATA_DIR")
            .unwrap_or_else(|| "./data".into())
            .into();
        let jwt_secret_file = var("RELEASEGATE_JWT_SECRET_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("token-secret.key"));
        Ok(Self {
            database,
            audit_key_file: var("RELEASEGATE_AUDIT_KEY_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("audit-signing.key")),
            audit_origin: var("RELEASEGATE_AUDIT_ORIGIN"),
            audit_cosigners: var("RELEASEGATE_AUDIT_COSIGNERS")
                .map(|v| {
                    v.split(',')
                        .map(|k| k.trim().to_string())
                        .filter(|k| !k.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            data_dir,
            policy_dir: var("RELEASEGATE_POLICY_DIR").map(PathBuf::from),
            jwt_secret: var("RELEASEGATE_JWT_SECRET"),
            jwt_secret_file,
            max_token_ttl,
            trusted_proxies,
            metrics_token: var("RELEASEGATE_METRICS_TOKEN"),
            smtp_url: var("RELEASEGATE_SMTP_URL"),
            mail_from: var("RELEASEGATE_MAIL_FROM")
                .unwrap_or_else(|| "releasegate <releasegate@localhost>".into()),
            public_url: var("RELEASEGATE_PUBLIC_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8080".into())
                .trim_end_matches('/')
                .to_string(),
            licence: Licence {
                id: var("RELEASEGATE_LICENSE_ID").unwrap_or_else(|| Licence::default().id),
                url: var("RELEASEGATE_LICENSE_URL").unwrap_or_else(|| Licence::default().url),
            },
            token_ttl,
            max_upload_bytes,
            limits,
            pool_size,
            max_concurrent_scans,
            public_rate_limit,
            access_log_days,
            job_lease,
            max_files_per_release,
        })
    }
}

/// `90s`, `30m`, `8h`, `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30m, 8h or 7d"))?;
    let d = match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(format!("{text:?} is not a duration like 30m, 8h or 7d")),
    };
    if n <= 0 {
        return Err(format!("{text:?} must be positive"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("8h").unwrap(), Duration::hours(8));
        assert_eq!(parse_duration("30m").unwrap(), Duration::minutes(30));
        assert!(parse_duration("8 hours").is_err());
        assert!(parse_duration("0h").is_err());
    }
}
