//! Who is calling: password hashing, tokens, and the request extractor that
//! makes authentication impossible to forget in a handler.

mod extract;
mod password;
mod token;

pub use extract::{presented_token, CurrentUser, SESSION_COOKIE};
pub use password::{hash_password, verify_password};
pub use token::{token_digest, Claims, TokenKeys};
