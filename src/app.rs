//! Application state and start-up: what `serve`, the CLI and every test build.

use std::path::Path;
use std::sync::Arc;

use actix_web::web;
use anyhow::Context;
use diesel::prelude::*;

use crate::audit::checkpoint::CheckpointKey;
use crate::auth::{PublicRateLimit, SignInThrottle, TokenKeys};
use crate::config::Settings;
use crate::db::{self, DbConn, Pool};
use crate::error::AppError;
use crate::notify::Mailer;
use crate::policy::Policies;
use crate::service::public::BlockedRanges;
use crate::slots::Slots;
use crate::store::FileStore;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub policies: Arc<Policies>,
    pub store: FileStore,
    pub tokens: TokenKeys,
    pub checkpoint_key: Arc<CheckpointKey>,
    /// Who may co-sign checkpoints (`RELEASEGATE_AUDIT_COSIGNERS`).
    pub cosigners: Arc<Vec<signed_note::StandardVerifier>>,
    pub mailer: Arc<Mailer>,
    /// Wakes an idle job worker when this instance queues a job.
    pub job_wake: Arc<tokio::sync::Notify>,
    /// The turn to write an audited change. Audited writers are serialised
    /// by the audit-chain lock anyway; waiting for it here, before a pooled
    /// connection is checked out, keeps the pool free for everyone else.
    pub writer: Arc<Slots>,
    pub sign_in: Arc<SignInThrottle>,
    pub public_limit: Arc<PublicRateLimit>,
    pub blocked_ranges: Arc<BlockedRanges>,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Opens the database (migrating it), loads and validates the policies,
    /// opens the file store and settles the token secret.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let policies = Policies::resolve(settings.policy_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("invalid policy: {e}"))?;
        tracing::info!(policies = %policies.files.describe(), digest = %policies.digest, "policies loaded");
        let pool = db::connect(&settings.database, settings.pool_size)?;
        let store = FileStore::open(&settings.data_dir).with_context(|| {
            format!(
                "cannot open the data directory {}",
                settings.data_dir.display()
            )
        })?;
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.clone(),
            None => secret_file(&settings.jwt_secret_file, "token signing secret")?,
        };
        if secret.len() < 32 {
            anyhow::bail!("the token secret must be at least 32 characters");
        }
        forget_stored_secret(&mut *pool.get()?)?;
        let tokens = TokenKeys::hs256(secret.as_bytes(), settings.token_ttl);
        let checkpoint_key = Arc::new(load_checkpoint_key(
            &settings.audit_key_file,
            settings.audit_origin.as_deref(),
        )?);
        let cosigners = settings
            .audit_cosigners
            .iter()
            .map(|k| crate::audit::checkpoint::verifier(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("RELEASEGATE_AUDIT_COSIGNERS: {e}"))?;
        // Events an earlier version wrote before the log had a Merkle tree.
        let added = crate::service::audit_tree::catch_up(&mut *pool.get()?)?;
        if added > 0 {
            tracing::info!(
                events = added,
                "added earlier audit events to the Merkle tree"
            );
        }
        let mailer = Arc::new(Mailer::new(
            settings.smtp_url.as_deref(),
            &settings.mail_from,
            settings.data_dir.join("mail"),
        )?);
        Ok(Self {
            pool,
            policies: Arc::new(policies),
            store,
            tokens,
            checkpoint_key,
            cosigners: Arc::new(cosigners),
            mailer,
            job_wake: Arc::new(tokio::sync::Notify::new()),
            writer: Arc::new(Slots::new(1)),
            sign_in: Arc::new(SignInThrottle::default()),
            public_limit: Arc::new(PublicRateLimit::per_minute(settings.public_rate_limit)),
            blocked_ranges: Arc::default(),
            settings: Arc::new(settings),
        })
    }

    /// Runs slow work that needs no database (inspecting an upload) on the
    /// blocking thread pool, holding no pooled connection meanwhile.
    pub async fn off_pool<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        web::block(move || f(&state))
            .await
            .map_err(AppError::internal)?
    }

    /// `run` for work that needs the state too (policies, store, settings).
    pub async fn call<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&AppState, &mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        self.run(move |conn| f(&state, conn)).await
    }

    /// An audited change: waits for the writer's turn first, then checks out
    /// a connection, so requests queued behind a long write hold none.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&AppState, &mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        web::block(move || state.write_now(f))
            .await
            .map_err(AppError::internal)?
    }

    /// `write` for a caller already on a blocking thread (a job).
    pub fn write_now<T>(
        &self,
        f: impl FnOnce(&AppState, &mut DbConn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let _turn = self.writer.acquire();
        let mut conn = self.pool.get()?;
        f(self, &mut conn)
    }

    /// Runs blocking database work on the blocking thread pool, never on an
    /// actix worker (each worker is a single-threaded runtime).
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }
}

/// Reads a secret kept in a file outside the database, creating it
/// (owner-only, 32 random bytes as hex) on first start.
fn secret_file(path: &Path, what: &str) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = hex::encode(rand::random::<[u8; 32]>());
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut f) => {
                    std::io::Write::write_all(&mut f, secret.as_bytes())
                        .and_then(|()| f.sync_all())
                        .with_context(|| format!("cannot write the {what} {}", path.display()))?;
                    tracing::info!(path = %path.display(), "created the {what}");
                    Ok(secret)
                }
                // Another instance created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Ok(std::fs::read_to_string(path)?.trim().to_string())
                }
                Err(e) => {
                    Err(e).with_context(|| format!("cannot create the {what} {}", path.display()))
                }
            }
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the {what} {}", path.display())),
    }
}

/// The checkpoint signing key, from its seed file.
fn load_checkpoint_key(path: &Path, origin: Option<&str>) -> anyhow::Result<CheckpointKey> {
    let text = secret_file(path, "audit checkpoint signing key")?;
    let seed = hex::decode(&text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .with_context(|| {
            format!(
                "{} must hold 64 hex characters (an ed25519 seed)",
                path.display()
            )
        })?;
    CheckpointKey::from_seed(seed, origin).map_err(|e| anyhow::anyhow!(e))
}

/// Earlier versions kept the token secret in the database, where a stolen
/// backup could mint tokens. It is removed on start; tokens signed with it
/// stop working, and users sign in again.
fn forget_stored_secret(conn: &mut DbConn) -> anyhow::Result<()> {
    use crate::db::schema::settings::dsl::*;
    let removed = diesel::delete(settings.filter(key.eq("jwt_secret"))).execute(conn)?;
    if removed > 0 {
        tracing::warn!(
            "removed the token secret stored in the database; it now lives in a key file"
        );
    }
    Ok(())
}
