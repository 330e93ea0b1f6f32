//! Sign-in throttling. Password guessing is slowed per client address and
//! per account, before any password is checked, so parallel guesses cannot
//! race past the limit. It throttles the guesser, not the account: there is
//! no lockout that a stranger could trigger to keep a reviewer out, and the
//! addresses an account recently signed in from are exempt from the
//! account-wide limit (a distributed attack on one account cannot lock its
//! owner out of their usual machine).
//!
//! The limits are per instance (in memory): with N instances behind a load
//! balancer an attacker gets N times the rate, still bounded.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many recent sign-in addresses of an account count as its usual ones.
const USUAL_ADDRESSES: usize = 4;
/// Keys tracked before idle ones are forgotten (memory bound).
const MAX_KEYS: usize = 100_000;

/// `burst` attempts at once, then one more every `every`.
fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

pub struct SignInThrottle {
    /// One account from one address: the classic guesser.
    pair: DefaultKeyedRateLimiter<(String, IpAddr)>,
    /// The same from an address the account signed in from lately: looser,
    /// so the owner signing in again and again is not held up.
    usual_pair: DefaultKeyedRateLimiter<(String, IpAddr)>,
    /// One address, any account: a sweep across usernames.
    address: DefaultKeyedRateLimiter<IpAddr>,
    /// One account, any address: a distributed attack.
    account: DefaultKeyedRateLimiter<String>,
    usual: Mutex<HashMap<String, VecDeque<IpAddr>>>,
    clock: DefaultClock,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self {
            pair: RateLimiter::keyed(quota(5, Duration::from_secs(180))),
            usual_pair: RateLimiter::keyed(quota(20, Duration::from_secs(30))),
            address: RateLimiter::keyed(quota(30, Duration::from_secs(2))),
            account: RateLimiter::keyed(quota(20, Duration::from_secs(30))),
            usual: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }
}

impl SignInThrottle {
    /// Admits one sign-in attempt, or says how long to wait. The same for
    /// existing and unknown usernames, so it reveals nothing.
    pub fn admit(&self, username: &str, address: IpAddr) -> Result<(), Duration> {
        let account = username.trim().to_lowercase();
        self.forget_idle();
        let wait = |not_until: governor::NotUntil<_>| not_until.wait_time_from(self.clock.now());
        self.address.check_key(&address).map_err(wait)?;
        let key = (account.clone(), address);
        if self.is_usual(&account, address) {
            self.usual_pair.check_key(&key).map_err(wait)?;
        } else {
            self.pair.check_key(&key).map_err(wait)?;
            self.account.check_key(&account).map_err(wait)?;
        }
        Ok(())
    }

    /// Remembers a successful sign-in's address as one of the account's usual ones.
    pub fn succeeded(&self, username: &str, address: IpAddr) {
        let account = username.trim().to_lowercase();
        let mut usual = self.usual.lock().unwrap_or_else(|e| e.into_inner());
        if usual.len() >= MAX_KEYS {
            usual.clear();
        }
        let seen = usual.entry(account).or_default();
        seen.retain(|a| *a != address);
        seen.push_front(address);
        seen.truncate(USUAL_ADDRESSES);
    }

    fn is_usual(&self, account: &str, address: IpAddr) -> bool {
        let usual = self.usual.lock().unwrap_or_else(|e| e.into_inner());
        usual.get(account).is_some_and(|a| a.contains(&address))
    }

    fn forget_idle(&self) {
        if self.pair.len() > MAX_KEYS {
            self.pair.retain_recent();
        }
        if self.usual_pair.len() > MAX_KEYS {
            self.usual_pair.retain_recent();
        }
        if self.address.len() > MAX_KEYS {
            self.address.retain_recent();
        }
        if self.account.len() > MAX_KEYS {
            self.account.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn five_guesses_per_account_and_address_then_a_wait() {
        let t = SignInThrottle::default();
        for _ in 0..5 {
            assert!(t.admit("Reviewer", ip(1)).is_ok());
        }
        let wait = t.admit("reviewer ", ip(1)).unwrap_err();
        assert!(wait > Duration::from_secs(60), "{wait:?}");
        // The same account from another address is not affected.
        assert!(t.admit("reviewer", ip(2)).is_ok());
    }

    #[test]
    fn a_distributed_attack_does_not_lock_the_owner_out_of_their_usual_address() {
        let t = SignInThrottle::default();
        t.succeeded("owner", ip(200));
        let mut refused = 0;
        for last in 0..60 {
            refused += usize::from(t.admit("owner", ip(last)).is_err());
        }
        assert!(refused > 30, "the attack is throttled: {refused}");
        assert!(t.admit("owner", ip(200)).is_ok(), "the owner still gets in");
    }

    #[test]
    fn the_owner_signing_in_often_from_their_usual_address_is_not_held_up() {
        let t = SignInThrottle::default();
        for _ in 0..12 {
            assert!(t.admit("owner", ip(7)).is_ok());
            t.succeeded("owner", ip(7));
        }
    }

    #[test]
    fn one_address_sweeping_usernames_is_throttled() {
        let t = SignInThrottle::default();
        let admitted = (0..100)
            .filter(|n| t.admit(&format!("user{n}"), ip(9)).is_ok())
            .count();
        assert_eq!(admitted, 30);
    }
}
