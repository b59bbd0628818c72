//! What a gateway reports about a customer's text, made storable. A text a gateway sends is never refused for
//! its content, so its body is repaired rather than checked; what is not content (a media link) is kept only
//! if it is safe to show.

use std::fmt;

/// The body of a customer's text, as a gateway reported it, with every NUL (U+0000) replaced by U+FFFD.
/// PostgreSQL's `text` cannot hold NUL, and refusing the webhook would lose the customer's text: the
/// gateway's retry would fail the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmsText(String);

impl SmsText {
    pub fn from_gateway(raw: &str) -> Self {
        Self(raw.replace('\0', "\u{FFFD}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SmsText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link to a picture or file a customer sent (MMS). Only `https` links are kept: the dashboard shows them
/// as links, and a `javascript:` or `data:` URL there would run or render whatever the sender chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaUrlError {
    #[error("not a URL")]
    Unparsable,
    /// The scheme, for the log: the rest of the URL may identify the customer.
    #[error("a {0}: URL, not https")]
    NotHttps(String),
}

impl MediaUrl {
    pub fn parse(raw: &str) -> Result<Self, MediaUrlError> {
        let url = url::Url::parse(raw.trim()).map_err(|_| MediaUrlError::Unparsable)?;
        if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
            let scheme: String = url.scheme().chars().take(16).collect();
            return Err(MediaUrlError::NotHttps(scheme));
        }
        // The parsed form: percent-encoded, so no control character (NUL included) is left in it.
        Ok(Self(url.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_a_text_becomes_the_replacement_character_and_nothing_else_changes() {
        assert_eq!(SmsText::from_gateway("nul\0byte\0").as_str(), "nul\u{FFFD}byte\u{FFFD}");
        assert_eq!(SmsText::from_gateway("Grüße 👋\n\t").as_str(), "Grüße 👋\n\t");
    }

    #[test]
    fn only_https_media_links_are_kept() {
        let kept = MediaUrl::parse("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1").unwrap();
        assert_eq!(kept.as_str(), "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1");
        assert_eq!(MediaUrl::parse("https://x.test/a\0b").unwrap().as_str(), "https://x.test/a%00b");
        for (bad, scheme) in [
            ("javascript:alert(document.cookie)", "javascript"),
            ("data:text/html,<script>alert(1)</script>", "data"),
            ("http://example.com/a.jpg", "http"),
            ("file:///etc/passwd", "file"),
        ] {
            assert_eq!(MediaUrl::parse(bad), Err(MediaUrlError::NotHttps(scheme.to_owned())), "{bad}");
        }
        assert_eq!(MediaUrl::parse("not a url"), Err(MediaUrlError::Unparsable));
    }
}
