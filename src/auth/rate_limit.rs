//! Request quotas on the public side: `per_minute` requests per client —
//! the API key or token it presents, else its address — and, so that
//! rotating made-up credentials buys nothing, ten times that per address
//! whatever it presents. GCRA (governor): smooth, no bursts at the minute.
//!
//! A registered bulk user (注册登记) has its own quota, set by an
//! administrator, for the account as a whole and free of the address cap
//! (an organisation's harvester shares its office's address). Which
//! credentials are a bulk user's is learnt when the guard resolves them,
//! so a refused request still costs no lookup: a bulk user's first request
//! counts against the default quota.
//!
//! Per instance, in memory, like the sign-in throttle.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys tracked before idle ones are forgotten (memory bound).
const MAX_KEYS: usize = 100_000;
/// How many clients one address may carry (a NAT, an office).
const ADDRESS_FACTOR: u32 = 10;

/// The account each known bulk credential (its digest) belongs to, and
/// each bulk account's limiter with the quota it was made for.
#[derive(Default)]
struct BulkUsers {
    credentials: HashMap<String, String>,
    accounts: HashMap<String, (u32, DefaultDirectRateLimiter)>,
}

pub struct PublicRateLimit {
    client: DefaultKeyedRateLimiter<String>,
    address: DefaultKeyedRateLimiter<IpAddr>,
    bulk: Mutex<BulkUsers>,
    clock: DefaultClock,
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
}

impl PublicRateLimit {
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            client: RateLimiter::keyed(quota(per_minute)),
            address: RateLimiter::keyed(quota(per_minute.saturating_mul(ADDRESS_FACTOR))),
            bulk: Mutex::default(),
            clock: DefaultClock::default(),
        }
    }

    /// Admits one request from `address` presenting `credential` (a digest
    /// of the key or token, if any), or says how long to wait.
    pub fn admit(&self, credential: Option<&str>, address: IpAddr) -> Result<(), Duration> {
        self.forget_idle();
        let now = self.clock.now();
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(now);
        let Some(credential) = credential else {
            return self
                .client
                .check_key(&format!("address:{address}"))
                .map_err(wait);
        };
        {
            let bulk = self.bulk.lock().unwrap_or_else(|e| e.into_inner());
            let limiter = bulk
                .credentials
                .get(credential)
                .and_then(|account| bulk.accounts.get(account));
            if let Some((_, limiter)) = limiter {
                return limiter.check().map_err(wait);
            }
        }
        self.address.check_key(&address).map_err(wait)?;
        self.client.check_key(&credential.to_string()).map_err(wait)
    }

    /// Records what a presented credential turned out to be: a bulk user's
    /// (its account and quota) or not. A changed quota starts afresh.
    pub fn learn(&self, credential: &str, bulk_user: Option<(&str, u32)>) {
        let mut bulk = self.bulk.lock().unwrap_or_else(|e| e.into_inner());
        let Some((account, per_minute)) = bulk_user else {
            bulk.credentials.remove(credential);
            return;
        };
        if bulk.credentials.len() >= MAX_KEYS {
            // Tokens come and go; whoever is still active is learnt again.
            bulk.credentials.clear();
        }
        bulk.credentials
            .insert(credential.to_string(), account.to_string());
        match bulk.accounts.get(account) {
            Some((made_for, _)) if *made_for == per_minute => {}
            _ => {
                let limiter = RateLimiter::direct(quota(per_minute));
                bulk.accounts
                    .insert(account.to_string(), (per_minute, limiter));
            }
        }
    }

    fn forget_idle(&self) {
        if self.client.len() > MAX_KEYS {
            self.client.retain_recent();
        }
        if self.address.len() > MAX_KEYS {
            self.address.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_quota_and_an_address_carries_ten() {
        let limit = PublicRateLimit::per_minute(3);
        let home: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..3 {
            limit.admit(None, home).unwrap();
        }
        let wait = limit.admit(None, home).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        // A key from the same address has its own quota...
        for _ in 0..3 {
            limit.admit(Some("key-a"), home).unwrap();
        }
        assert!(limit.admit(Some("key-a"), home).is_err());
        // ...but made-up keys from one address run into the address's 30
        // (of which key-a took four: three admitted, one refused by its key).
        let admitted = (0..100)
            .filter(|i| limit.admit(Some(&format!("made-up-{i}")), home).is_ok())
            .count();
        assert_eq!(admitted, 30 - 4);
    }

    #[test]
    fn a_bulk_user_has_its_own_quota_beyond_the_address_cap() {
        let limit = PublicRateLimit::per_minute(2);
        let office: IpAddr = "203.0.113.9".parse().unwrap();
        limit.learn("org-key", Some(("org-1", 50)));
        limit.learn("org-token", Some(("org-1", 50)));
        // 50 is past the default (2) and the address cap (20).
        for _ in 0..50 {
            limit.admit(Some("org-key"), office).unwrap();
        }
        assert!(limit.admit(Some("org-key"), office).is_err());
        // The account's other credential shares the quota; the office's
        // other clients are untouched.
        assert!(limit.admit(Some("org-token"), office).is_err());
        limit.admit(Some("colleague"), office).unwrap();
        // A raised quota applies at once.
        limit.learn("org-token", Some(("org-1", 60)));
        for _ in 0..60 {
            limit.admit(Some("org-token"), office).unwrap();
        }
        assert!(limit.admit(Some("org-key"), office).is_err());
        // Without the quota the key is an ordinary client again.
        limit.learn("org-key", None);
        limit.admit(Some("org-key"), office).unwrap();
        limit.admit(Some("org-key"), office).unwrap();
        assert!(limit.admit(Some("org-key"), office).is_err());
    }
}
