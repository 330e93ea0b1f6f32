//! Public accounts: registration with a mailed verification token, sign-in
//! (throttled like staff sign-in), and API keys shown once.

use std::net::IpAddr;

use chrono::Duration;
use diesel::prelude::*;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::hash_password;
use crate::db::models::{PublicAccount, PublicKey};
use crate::db::schema::{public_accounts, public_keys, revoked_tokens};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::accounts::{check_password, password_matches};
use crate::service::fields::required_text;
use crate::service::releases::Page;
use crate::store::sha256_hex;

/// How long a mailed verification token stays good.
const VERIFY_FOR_HOURS: i64 = 48;
/// Keys an account may hold at once (revoked ones do not count).
const MAX_ACTIVE_KEYS: i64 = 10;
/// What every key starts with, so a leaked one is recognisable in a scan
/// (the credential detectors) and in a support request.
const KEY_PREFIX: &str = "rgk_";

/// What someone registering gives.
pub struct Registration<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub organisation: Option<&'a str>,
    pub password: &'a str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub organisation: Option<String>,
    /// Whether the e-mail address was confirmed; only then can the account sign in.
    pub verified: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&PublicAccount> for AccountView {
    fn from(a: &PublicAccount) -> Self {
        Self {
            id: a.id.clone(),
            email: a.email.clone(),
            name: a.name.clone(),
            organisation: a.organisation.clone(),
            verified: a.verified_at.is_some(),
            created_at: crate::audit::format_time(&a.created_at),
        }
    }
}

/// A signed-in member of the public, by token or by API key.
#[derive(Debug, Clone)]
pub struct PublicCaller {
    pub account_id: String,
    pub email: String,
    pub name: String,
    /// The key the request presented; `None` for a token.
    pub key_id: Option<String>,
    /// A registered bulk user's own quota, requests per minute.
    pub requests_per_minute: Option<u32>,
}

impl PublicCaller {
    fn from_account(account: PublicAccount, key_id: Option<String>) -> Self {
        Self {
            account_id: account.id,
            email: account.email,
            name: account.name,
            key_id,
            requests_per_minute: account
                .requests_per_minute
                .and_then(|n| u32::try_from(n).ok()),
        }
    }
}

/// An address as stored: trimmed and lower-cased, so one mailbox is one account.
fn normalise_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let shaped = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if shaped {
        Ok(email)
    } else {
        Err(AppError::BadRequest(format!(
            "email {email:?} is not an e-mail address"
        )))
    }
}

/// A random secret of 32 bytes, hex-encoded.
fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Registers an account and queues the mail with its verification token.
/// The account cannot sign in until the token comes back.
pub fn register(
    state: &AppState,
    conn: &mut DbConn,
    reg: &Registration<'_>,
) -> AppResult<AccountView> {
    let email = normalise_email(reg.email)?;
    let name = required_text("name", reg.name, 100)?;
    let organisation = reg
        .organisation
        .filter(|o| !o.trim().is_empty())
        .map(|o| required_text("organisation", o, 200))
        .transpose()?;
    check_password(reg.password)?;
    let password_hash =
        hash_password(reg.password).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let token = random_secret();
    let now = crate::audit::now();
    let account = PublicAccount {
        id: ulid::Ulid::new().to_string(),
        email,
        name,
        organisation,
        password_hash,
        verify_digest: Some(sha256_hex(token.as_bytes())),
        verify_expires_at: Some(now + Duration::hours(VERIFY_FOR_HOURS)),
        verified_at: None,
        active: true,
        created_at: now,
        requests_per_minute: None,
    };
    write_tx(conn, |conn| {
        let taken: i64 = public_accounts::table
            .filter(public_accounts::email.eq(&account.email))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("an account for {} already exists", account.email),
            });
        }
        diesel::insert_into(public_accounts::table)
            .values(&account)
            .execute(conn)?;
        crate::notify::verification_mail(
            conn,
            &account.email,
            &account.name,
            &token,
            &state.settings.public_url,
            now,
        )?;
        Ok(AccountView::from(&account))
    })
}

/// Confirms the address the token was mailed to.
pub fn verify_email(conn: &mut DbConn, token: &str) -> AppResult<AccountView> {
    let digest = sha256_hex(token.trim().as_bytes());
    let now = crate::audit::now();
    write_tx(conn, |conn| {
        let account: Option<PublicAccount> = public_accounts::table
            .filter(public_accounts::verify_digest.eq(&digest))
            .filter(public_accounts::verify_expires_at.gt(now))
            .select(PublicAccount::as_select())
            .first(conn)
            .optional()?;
        let mut account = account.ok_or_else(|| {
            AppError::NotFound("the verification token is unknown, used or expired".into())
        })?;
        diesel::update(public_accounts::table.find(&account.id))
            .set((
                public_accounts::verified_at.eq(now),
                public_accounts::verify_digest.eq(None::<String>),
                public_accounts::verify_expires_at.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)?;
        account.verified_at = Some(now);
        Ok(AccountView::from(&account))
    })
}

/// Signs a member of the public in, through the same throttle as staff
/// (keyed apart from staff usernames). An unverified account is told so
/// only once its password is right.
pub fn sign_in(
    state: &AppState,
    conn: &mut DbConn,
    email: &str,
    password: &str,
    address: IpAddr,
) -> AppResult<PublicAccount> {
    let email = email.trim().to_lowercase();
    let throttle_key = format!("public:{email}");
    state
        .sign_in
        .admit(&throttle_key, address)
        .map_err(|wait| AppError::TooManyRequests(wait.as_secs().max(1)))?;
    let account: Option<PublicAccount> = public_accounts::table
        .filter(public_accounts::email.eq(&email))
        .filter(public_accounts::active.eq(true))
        .select(PublicAccount::as_select())
        .first(conn)
        .optional()?;
    let hash = account.as_ref().map(|a| a.password_hash.as_str());
    if !password_matches(password, hash) {
        return Err(AppError::Unauthorized(
            "wrong e-mail address or password".into(),
        ));
    }
    let account = account.expect("a matching password has an account");
    if account.verified_at.is_none() {
        return Err(AppError::Forbidden(
            "confirm your e-mail address first: the token is in the mail sent at registration"
                .into(),
        ));
    }
    state.sign_in.succeeded(&throttle_key, address);
    Ok(account)
}

/// Loads the account a public token names: it must still exist, be active
/// and verified.
pub fn authenticate_token(
    state: &AppState,
    conn: &mut DbConn,
    token: &str,
) -> AppResult<PublicCaller> {
    let claims = state
        .tokens
        .verify_public(token)
        .map_err(|e| AppError::Unauthorized(format!("invalid public token: {e}")))?;
    let signed_out: bool = diesel::select(diesel::dsl::exists(
        revoked_tokens::table.find(crate::auth::token_digest(token)),
    ))
    .get_result(conn)?;
    if signed_out {
        return Err(AppError::Unauthorized(
            "this session was ended by signing out".into(),
        ));
    }
    let account = usable_account(conn, &claims.sub)?;
    let caller = PublicCaller::from_account(account, None);
    super::blocklist::check_caller(conn, &caller)?;
    Ok(caller)
}

/// Ends a public session: the token is refused from now until it would
/// have expired.
pub fn sign_out(state: &AppState, conn: &mut DbConn, token: &str) -> AppResult<()> {
    let claims = state
        .tokens
        .verify_public(token)
        .map_err(|e| AppError::Unauthorized(format!("invalid public token: {e}")))?;
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
        .unwrap_or_default()
        .naive_utc();
    let digest = crate::auth::token_digest(token);
    write_tx(conn, |conn| {
        crate::service::accounts::revoke_token(conn, &digest, expires_at)?;
        Ok(())
    })
}

/// Loads the account an API key belongs to; a revoked key is refused at once.
pub fn authenticate_key(conn: &mut DbConn, key: &str) -> AppResult<PublicCaller> {
    let digest = sha256_hex(key.trim().as_bytes());
    let key_id: Option<(String, String)> = public_keys::table
        .filter(public_keys::key_digest.eq(&digest))
        .filter(public_keys::revoked_at.is_null())
        .select((public_keys::id, public_keys::account_id))
        .first(conn)
        .optional()?;
    let (key_id, account_id) =
        key_id.ok_or_else(|| AppError::Unauthorized("unknown or revoked API key".into()))?;
    let account = usable_account(conn, &account_id)?;
    let caller = PublicCaller::from_account(account, Some(key_id));
    super::blocklist::check_caller(conn, &caller)?;
    Ok(caller)
}

fn usable_account(conn: &mut DbConn, id: &str) -> AppResult<PublicAccount> {
    public_accounts::table
        .find(id)
        .filter(public_accounts::active.eq(true))
        .filter(public_accounts::verified_at.is_not_null())
        .select(PublicAccount::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::Unauthorized("the account no longer exists or is disabled".into()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<&PublicKey> for KeyView {
    fn from(k: &PublicKey) -> Self {
        Self {
            id: k.id.clone(),
            prefix: k.prefix.clone(),
            created_at: crate::audit::format_time(&k.created_at),
            revoked_at: k.revoked_at.as_ref().map(crate::audit::format_time),
        }
    }
}

/// A new key: the only time its secret is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewKey {
    pub id: String,
    /// Present it as `X-API-Key`; it is stored only as a digest and cannot be shown again.
    pub key: String,
    pub prefix: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

pub fn create_key(conn: &mut DbConn, account_id: &str) -> AppResult<NewKey> {
    let secret = format!("{KEY_PREFIX}{}", random_secret());
    let key = PublicKey {
        id: ulid::Ulid::new().to_string(),
        account_id: account_id.into(),
        key_digest: sha256_hex(secret.as_bytes()),
        prefix: secret[..KEY_PREFIX.len() + 8].to_string(),
        created_at: crate::audit::now(),
        revoked_at: None,
    };
    write_tx(conn, |conn| {
        let active: i64 = public_keys::table
            .filter(public_keys::account_id.eq(account_id))
            .filter(public_keys::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if active >= MAX_ACTIVE_KEYS {
            return Err(AppError::Rule {
                code: ErrorCode::LimitReached,
                message: format!(
                    "an account holds at most {MAX_ACTIVE_KEYS} keys: revoke one first"
                ),
            });
        }
        diesel::insert_into(public_keys::table)
            .values(&key)
            .execute(conn)?;
        Ok(())
    })?;
    Ok(NewKey {
        id: key.id,
        key: secret,
        prefix: key.prefix,
        created_at: crate::audit::format_time(&key.created_at),
    })
}

/// The account's keys, newest first.
pub fn list_keys(
    conn: &mut DbConn,
    account_id: &str,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<KeyView>> {
    let mut query = public_keys::table
        .filter(public_keys::account_id.eq(account_id))
        .order(public_keys::id.desc())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(public_keys::id.lt(before.to_string()));
    }
    let rows: Vec<PublicKey> = query
        .limit(limit + 1)
        .select(PublicKey::as_select())
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |k| k.id.clone(),
        |k| KeyView::from(&k),
    ))
}

/// Revokes one of the account's keys; it stops working at once.
pub fn revoke_key(conn: &mut DbConn, account_id: &str, key_id: &str) -> AppResult<()> {
    let changed = diesel::update(
        public_keys::table
            .filter(public_keys::id.eq(key_id))
            .filter(public_keys::account_id.eq(account_id))
            .filter(public_keys::revoked_at.is_null()),
    )
    .set(public_keys::revoked_at.eq(crate::audit::now()))
    .execute(conn)?;
    if changed == 0 {
        return Err(AppError::NotFound(format!("no active key {key_id}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised_and_non_addresses_refused() {
        assert_eq!(
            normalise_email("  Li.Ming@Example.ORG ").unwrap(),
            "li.ming@example.org"
        );
        for bad in [
            "",
            "li",
            "li@",
            "@example.org",
            "li@example",
            "li@.org",
            "li ming@example.org",
            "a@b@example.org",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?}");
        }
    }
}
