use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's recommended floor for argon2id (Password Storage Cheat Sheet): 19 MiB of memory, two passes, one
/// lane. Each check holds that much memory while it runs, which is why checks are rationed
/// ([`crate::accounts::PasswordWork`]). Stored hashes carry their own parameters, so raising these later
/// applies to new passwords and old ones still verify.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's limits; `Params::DEFAULT` is the same set, should they
    // ever be refused.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Shorter passwords are refused; longer than this is refused too (argon2 would take them, but nobody
/// types 1,024 characters and huge inputs are a cheap way to burn CPU).
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password a person chose, checked for length. Never logged (its `Debug` is redacted).
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password may have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

impl Password {
    pub fn parse(raw: String) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(raw))
    }

    /// An argon2id PHC string with a random salt.
    pub fn hash(&self) -> Result<PasswordHash, argon2::password_hash::Error> {
        Ok(PasswordHash(argon2().hash_password(self.0.as_bytes())?.to_string()))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A stored argon2 hash (PHC string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// A well-formed hash no password matches, verified in place of a missing account's.
const NO_ACCOUNT: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c21zZGVzay1kdW1teQ$kX1a8E0mFqsoHQmOZ2lVVvmG2S2nL8oB2S9vXg8Q0xM";

/// Checks a sign-in attempt against a stored hash. `None` (no such user, or no password set) still costs one
/// argon2 verification, so a sign-in takes as long whether or not the account exists.
pub fn password_matches(attempt: &str, stored: Option<&str>) -> bool {
    let argon2 = argon2();
    match stored {
        Some(hash) => argon2.verify_password(attempt.as_bytes(), hash).is_ok(),
        None => {
            let _ = argon2.verify_password(attempt.as_bytes(), NO_ACCOUNT);
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_a_salt_and_verify() {
        let password = Password::parse("correct horse battery".into()).unwrap();
        let (a, b) = (password.hash().unwrap(), password.hash().unwrap());
        assert_ne!(a, b, "salted");
        assert!(a.0.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", Some(&a.0)));
        assert!(!password_matches("correct horse battery!", Some(&a.0)));
        assert!(!password_matches("anything at all", None));
        assert!(!password_matches("x", Some("not a hash")));
    }

    #[test]
    fn new_hashes_use_owasps_argon2id_floor() {
        let hash = Password::parse("correct horse battery".into()).unwrap().hash().unwrap();
        assert!(hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash.0);
        assert!(
            NO_ACCOUNT.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "a missing account costs what a real one does"
        );
    }

    #[test]
    fn the_stand_in_hash_is_well_formed_so_missing_accounts_cost_a_real_verification() {
        assert!(argon2::password_hash::phc::PasswordHash::new(NO_ACCOUNT).is_ok());
    }

    #[test]
    fn length_limits_apply_and_debug_hides_the_password() {
        assert_eq!(Password::parse("short".into()).unwrap_err(), PasswordError::TooShort);
        assert_eq!(Password::parse("x".repeat(257)).unwrap_err(), PasswordError::TooLong);
        assert!(!format!("{:?}", Password::parse("a secret phrase".into()).unwrap()).contains("secret"));
    }
}
