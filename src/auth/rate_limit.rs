//! Request quotas on the public side: `per_minute` requests per client —
//! the API key or token it presents, else its address — and, so that
//! rotating made-up credentials buys nothing, ten times that per address
//! whatever it presents. GCRA (governor): smooth, no bursts at the minute.
//! Per instance, in memory, like the sign-in throttle.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Keys tracked before idle ones are forgotten (memory bound).
const MAX_KEYS: usize = 100_000;
/// How many clients one address may carry (a NAT, an office).
const ADDRESS_FACTOR: u32 = 10;

pub struct PublicRateLimit {
    client: DefaultKeyedRateLimiter<String>,
    address: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl PublicRateLimit {
    pub fn per_minute(per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            client: RateLimiter::keyed(quota(per_minute)),
            address: RateLimiter::keyed(quota(per_minute.saturating_mul(ADDRESS_FACTOR))),
            clock: DefaultClock::default(),
        }
    }

    /// Admits one request from `address` presenting `credential` (a digest
    /// of the key or token, if any), or says how long to wait.
    pub fn admit(&self, credential: Option<&str>, address: IpAddr) -> Result<(), Duration> {
        self.forget_idle();
        let now = self.clock.now();
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(now);
        match credential {
            Some(credential) => {
                self.address.check_key(&address).map_err(wait)?;
                self.client.check_key(&credential.to_string()).map_err(wait)
            }
            None => self
                .client
                .check_key(&format!("address:{address}"))
                .map_err(wait),
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
}
