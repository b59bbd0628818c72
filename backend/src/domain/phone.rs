use std::fmt;

use serde::Serialize;

/// A phone number in E.164 form (`+` country code and national number), parsed with libphonenumber's
/// metadata (the `phonenumber` crate).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "+14155550123")]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("a phone number needs its country code, e.g. +14155550123")]
    MissingCountryCode,
    #[error("{0:?} is not a phone number")]
    Unparsable(String),
    #[error("{0:?} is not a valid phone number for its country")]
    Invalid(String),
    #[error("{0:?} is not an SMS address")]
    NotSms(String),
}

impl PhoneNumber {
    /// Parses a number typed by a person: it must be a valid number for its country.
    pub fn parse(raw: &str) -> Result<Self, PhoneNumberError> {
        let number = parse_international(raw)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneNumberError::Invalid(raw.trim().to_owned()));
        }
        Ok(Self::from_parsed(&number))
    }

    /// Parses a number reported by an SMS gateway. The gateway has already routed a text from it, so a
    /// number that is well-formed but unknown to the metadata (a new range, a test range) is kept rather
    /// than losing the customer's text.
    pub fn from_gateway(raw: &str) -> Result<Self, PhoneNumberError> {
        // Gateways send the same few thousand numbers over and over, and a libphonenumber parse costs
        // tens of microseconds.
        static PARSED: Remembered<Result<PhoneNumber, PhoneNumberError>> = Remembered::new();
        PARSED.get_or_compute(raw, || {
            parse_international(raw).map(|number| {
                let parsed = Self::from_parsed(&number);
                // A new customer's number is in every agent's queue next: format it for people now, while
                // it is parsed, rather than parse it again on the poll that lists it first (while new
                // customers stream in, that is every poll, fifty numbers each).
                SHOWN.get_or_compute(parsed.as_str(), || international(&number));
                parsed
            })
        })
    }

    /// Trusted E.164 text read back from our own database.
    pub(crate) fn from_stored(e164: String) -> Self {
        Self(e164)
    }

    fn from_parsed(number: &phonenumber::PhoneNumber) -> Self {
        Self(number.format().mode(phonenumber::Mode::E164).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How people write the number: international format with the country's grouping (`+1 415-555-0123`).
    /// Falls back to the E.164 text for numbers the metadata cannot format.
    pub fn display(e164: &str) -> String {
        SHOWN.get_or_compute(e164, || {
            phonenumber::parse(None, e164).map(|number| international(&number)).unwrap_or_else(|_| e164.to_owned())
        })
    }

    /// The digits without the leading `+` (MessageBird's recipient format).
    pub fn digits(&self) -> &str {
        self.0.trim_start_matches('+')
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How people write each number, by its E.164 text. Every ticket in every list answer is shown this way, and
/// formatting a number parses it and runs the metadata's regular expressions (~20 µs).
static SHOWN: Remembered<String> = Remembered::new();

fn international(number: &phonenumber::PhoneNumber) -> String {
    number.format().mode(phonenumber::Mode::International).to_string()
}

/// Results of a per-number computation shared by every thread of the process: a number's first sight
/// (its webhook, or the first list that shows it) pays for it, every later request finds it. Bounded:
/// numbers seen rarely are forgotten first.
struct Remembered<V> {
    results: std::sync::LazyLock<quick_cache::sync::Cache<String, V>>,
}

impl<V: Clone> Remembered<V> {
    const NUMBERS: usize = 65_536;

    const fn new() -> Self {
        Self { results: std::sync::LazyLock::new(|| quick_cache::sync::Cache::new(Self::NUMBERS)) }
    }

    fn get_or_compute(&self, key: &str, compute: impl FnOnce() -> V) -> V {
        self.results
            .get_or_insert_with::<str, std::convert::Infallible>(key, || Ok(compute()))
            .unwrap_or_else(|never| match never {})
    }
}

fn parse_international(raw: &str) -> Result<phonenumber::PhoneNumber, PhoneNumberError> {
    let trimmed = raw.trim();
    // `phonenumber` silently drops a `whatsapp:` prefix; a WhatsApp or other channel address must not
    // become an SMS ticket, so any scheme other than tel: is refused.
    let trimmed = match trimmed.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("tel") => rest.trim(),
        Some(_) => return Err(PhoneNumberError::NotSms(trimmed.to_owned())),
        None => trimmed,
    };
    let international = if let Some(rest) = trimmed.strip_prefix("00") {
        format!("+{rest}")
    } else if trimmed.starts_with('+') {
        trimmed.to_owned()
    } else if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) && trimmed.len() > 10 {
        // MessageBird reports numbers as international digits without the plus (31612345678).
        format!("+{trimmed}")
    } else if trimmed.bytes().any(|b| b.is_ascii_digit()) && trimmed.bytes().all(|b| !b.is_ascii_alphabetic()) {
        return Err(PhoneNumberError::MissingCountryCode);
    } else {
        return Err(PhoneNumberError::Unparsable(trimmed.to_owned()));
    };
    let number =
        phonenumber::parse(None, &international).map_err(|_| PhoneNumberError::Unparsable(trimmed.to_owned()))?;
    // E.164 allows at most 15 digits; extensions have no place in an SMS address.
    let digits = number.format().mode(phonenumber::Mode::E164).to_string().len() - 1;
    if number.extension().is_some() || !(7..=15).contains(&digits) {
        return Err(PhoneNumberError::Unparsable(trimmed.to_owned()));
    }
    Ok(number)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_spellings_to_e164() {
        for raw in ["+1 (415) 867-5309", "+14158675309", "0014158675309", "tel:+1-415-867-5309", " +14158675309 "] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), "+14158675309", "{raw}");
        }
        assert_eq!(PhoneNumber::from_gateway("31612345678").unwrap().as_str(), "+31612345678");
    }

    #[test]
    fn refuses_national_numbers_channels_and_garbage() {
        assert_eq!(PhoneNumber::parse("(415) 867-5309"), Err(PhoneNumberError::MissingCountryCode));
        assert!(matches!(PhoneNumber::parse("whatsapp:+14158675309"), Err(PhoneNumberError::NotSms(_))));
        assert!(matches!(PhoneNumber::parse("hello"), Err(PhoneNumberError::Unparsable(_))));
        assert!(PhoneNumber::parse("+999123").is_err());
        assert!(PhoneNumber::parse("").is_err());
        assert!(PhoneNumber::parse("+1415867530912345678").is_err());
    }

    #[test]
    fn people_must_type_valid_numbers_but_gateway_numbers_only_need_to_be_well_formed() {
        assert!(matches!(PhoneNumber::parse("+15551234567"), Err(PhoneNumberError::Invalid(_))));
        assert_eq!(PhoneNumber::from_gateway("+15551234567").unwrap().as_str(), "+15551234567");
    }
}
