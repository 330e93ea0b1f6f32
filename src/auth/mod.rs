//! Who is calling: password hashing, tokens and the signed-in user (the
//! request extractor that produces one is `http::identity`).

mod password;
mod rate_limit;
mod throttle;
mod token;
mod user;

pub use password::{hash_password, verify_password};
pub use rate_limit::PublicRateLimit;
pub use throttle::SignInThrottle;
pub use token::{token_digest, Claims, TokenKeys};
pub use user::CurrentUser;
