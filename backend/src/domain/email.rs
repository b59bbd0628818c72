use std::fmt;

/// An email address, trimmed and lower-cased, so that sign-in and uniqueness ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an email address")]
pub struct EmailError(pub String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.contains(char::is_whitespace)
                    && email.len() <= 254 =>
            {
                Ok(Self(email))
            }
            _ => Err(EmailError(raw.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(EmailAddress::parse(" Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "@example.com", "ana@localhost", "a na@example.com", "ana@example.", "ana@.com"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
