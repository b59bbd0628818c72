//! Validation of Twilio's `X-Twilio-Signature` webhook header.
//!
//! Mirrors `twilio/request_validator.py` of the official twilio-python SDK:
//!
//! * string to sign = the full URL exactly as Twilio called it, then for each POST parameter name in
//!   sorted order (each name once), every value of that name in sorted order, appended as
//!   `name + value` with no separator. Values are **not** de-duplicated (twilio-python keeps
//!   repeated identical values; twilio-node de-duplicates them, which only matters for a form that
//!   repeats the same name *and* value);
//! * signature = base64(HMAC-SHA1(auth token, UTF-8 string to sign));
//! * port quirk: a signature is accepted for the URL as given and for one alternative: the URL
//!   without its explicit port when it has one, or else the URL with the scheme's default port
//!   (`:443` for https, `:80` for http) added;
//! * JSON bodies: Twilio adds `bodySHA256=<hex sha256 of the raw body>` to the query string and
//!   signs the URL alone; [`TwilioSignature::is_valid_json`] checks both.
//!
//! Behind a reverse proxy the URL must be the public URL Twilio called (configure it; do not rebuild
//! it from the request's `Host` header alone).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

type HmacSha1 = Hmac<Sha1>;

/// Query parameter Twilio adds to the URL when the request body is JSON.
const BODY_SHA256_PARAM: &str = "bodySHA256";

/// Validates `X-Twilio-Signature` (HMAC-SHA1 over URL + sorted params, base64).
#[derive(Clone)]
pub struct TwilioSignature {
    auth_token: Vec<u8>,
}

impl fmt::Debug for TwilioSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSignature").field("auth_token", &"<redacted>").finish()
    }
}

impl TwilioSignature {
    /// Creates a validator for the account's auth token (used as UTF-8 bytes, as the SDKs do).
    pub fn new(auth_token: &str) -> Self {
        Self { auth_token: auth_token.as_bytes().to_vec() }
    }

    /// Signature Twilio would send for this URL and POST params (params may repeat a name).
    pub fn compute(&self, url: &str, params: &[(String, String)]) -> String {
        self.try_compute(url, params).unwrap_or_default()
    }

    /// True when `signature` matches the URL as given, or the URL with an explicit port removed,
    /// or with the scheme's default port (:443/:80) added — the SDKs' port quirk. Constant-time compare.
    ///
    /// Returns false when the auth token or the signature is empty, and when the URL's query carries
    /// `bodySHA256` (such a signature covers the URL only, never the body: use [`Self::is_valid_json`]).
    pub fn is_valid(&self, url: &str, params: &[(String, String)], signature: &str) -> bool {
        if query_value(url, BODY_SHA256_PARAM).is_some() {
            return false;
        }
        self.matches_any_url_variant(url, params, signature)
    }

    /// Validates a JSON-body request: `url` must carry `bodySHA256` in its query, its (first
    /// non-empty) value must equal the lowercase hex SHA-256 of `raw_body`, and `signature` must match
    /// the URL alone (no params), with the same port rules as [`Self::is_valid`].
    pub fn is_valid_json(&self, url: &str, raw_body: &[u8], signature: &str) -> bool {
        let Some(expected_hash) = query_value(url, BODY_SHA256_PARAM) else {
            return false;
        };
        let body_hash = hex::encode(Sha256::digest(raw_body));
        let body_ok = constant_time_eq(body_hash.as_bytes(), expected_hash.as_bytes());
        let signature_ok = self.matches_any_url_variant(url, &[], signature);
        body_ok & signature_ok
    }

    fn matches_any_url_variant(&self, url: &str, params: &[(String, String)], signature: &str) -> bool {
        if self.auth_token.is_empty() || signature.is_empty() {
            return false;
        }
        let mut valid = false;
        for candidate in url_variants(url) {
            if let Some(expected) = self.try_compute(&candidate, params) {
                // Non-short-circuiting: every candidate is computed and compared.
                valid |= constant_time_eq(expected.as_bytes(), signature.as_bytes());
            }
        }
        valid
    }

    fn try_compute(&self, url: &str, params: &[(String, String)]) -> Option<String> {
        let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, value) in params {
            by_name.entry(name.as_str()).or_default().push(value.as_str());
        }
        let mut data = String::from(url);
        for (name, values) in &mut by_name {
            // `str` ordering is byte-wise UTF-8, i.e. code point order, like Python's `sorted`.
            values.sort_unstable();
            for value in values.iter() {
                data.push_str(name);
                data.push_str(value);
            }
        }
        // HMAC takes keys of any length, so this never fails in practice.
        let mut mac = HmacSha1::new_from_slice(&self.auth_token).ok()?;
        mac.update(data.as_bytes());
        Some(STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The URL as given plus, per the SDKs, the variant without the explicit port (if it has one)
/// or with the scheme's default port added (if it has none).
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Some(parts) = split_authority(url) else {
        return variants;
    };
    match parts.port_colon {
        Some(colon) => {
            let port = &url[colon + 1..parts.authority_end];
            if port.bytes().all(|b| b.is_ascii_digit()) {
                variants.push(format!("{}{}", &url[..colon], &url[parts.authority_end..]));
            }
        }
        None => {
            let default_port = if parts.scheme.eq_ignore_ascii_case("https") {
                Some("443")
            } else if parts.scheme.eq_ignore_ascii_case("http") {
                Some("80")
            } else {
                None
            };
            if let Some(port) = default_port {
                variants.push(format!("{}:{}{}", &url[..parts.authority_end], port, &url[parts.authority_end..]));
            }
        }
    }
    variants
}

struct AuthorityParts<'a> {
    scheme: &'a str,
    /// Byte offset just past the authority (start of path, query or fragment, or end of string).
    authority_end: usize,
    /// Byte offset of the `:` that introduces an explicit port, if any.
    port_colon: Option<usize>,
}

fn split_authority(url: &str) -> Option<AuthorityParts<'_>> {
    let scheme_end = url.find("://")?;
    let scheme = &url[..scheme_end];
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..].find(['/', '?', '#']).map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    let colon_in_host_port = if host_port.starts_with('[') {
        // IPv6 literal: a port can only follow the closing bracket.
        let close = host_port.find(']')?;
        host_port[close + 1..].starts_with(':').then_some(close + 1)
    } else {
        host_port.rfind(':')
    };
    Some(AuthorityParts {
        scheme,
        authority_end,
        port_colon: colon_in_host_port.map(|i| authority_start + host_start + i),
    })
}

/// First non-empty value of `name` in the URL's query (form-decoded, like Python's `parse_qs`).
fn query_value(url: &str, name: &str) -> Option<String> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let (_, query) = without_fragment.split_once('?')?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // Vectors from twilio-python tests/unit/test_request_validator.py.
    const TOKEN: &str = "12345";
    const URI: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    const BODY: &str = "{\"property\": \"value\", \"boolean\": true}";
    const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    const BODY_SIGNATURE: &str = "a9nBmqA0ju/hNViExpshrM61xv4=";
    const DUPLICATE_EXPECTED: &str = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn params() -> Vec<(String, String)> {
        p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ])
    }

    fn validator() -> TwilioSignature {
        TwilioSignature::new(TOKEN)
    }

    fn uri_with_body() -> String {
        format!("{URI}&bodySHA256={BODY_HASH}")
    }

    #[test]
    fn compute_signature() {
        assert_eq!(validator().compute(URI, &params()), EXPECTED);
    }

    #[test]
    fn compute_signature_is_independent_of_param_order() {
        let mut reversed = params();
        reversed.reverse();
        assert_eq!(validator().compute(URI, &reversed), EXPECTED);
    }

    #[test]
    fn compute_hash_unicode() {
        assert_eq!(hex::encode(Sha256::digest(BODY.as_bytes())), BODY_HASH);
    }

    #[test]
    fn compute_signature_duplicate_names() {
        let params = p(&[("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]);
        assert_eq!(validator().compute(URI, &params), DUPLICATE_EXPECTED);
        assert!(validator().is_valid(URI, &params, DUPLICATE_EXPECTED));
        let reordered = p(&[("Digits", "1234"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Sid", "CA123")]);
        assert!(validator().is_valid(URI, &reordered, DUPLICATE_EXPECTED));
    }

    #[test]
    fn validation() {
        assert!(validator().is_valid(URI, &params(), EXPECTED));
    }

    #[test]
    fn validation_removes_port_on_https() {
        let uri = URI.replace(".com", ".com:1234");
        assert!(validator().is_valid(&uri, &params(), EXPECTED));
    }

    #[test]
    fn validation_removes_port_on_http() {
        let expected = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="; // hash of http uri with port 1234
        let uri = URI.replace(".com", ".com:1234").replace("https", "http");
        assert!(validator().is_valid(&uri, &params(), expected));
    }

    #[test]
    fn validation_adds_port_on_https() {
        let expected = "kvajT1Ptam85bY51eRf/AJRuM3w="; // hash of uri with port 443
        assert!(validator().is_valid(URI, &params(), expected));
        let with_443 = URI.replace(".com", ".com:443");
        assert_eq!(validator().compute(&with_443, &params()), expected);
        assert!(validator().is_valid(&with_443, &params(), expected));
        assert!(validator().is_valid(&with_443, &params(), EXPECTED));
    }

    #[test]
    fn validation_adds_port_on_http() {
        let uri = URI.replace("https", "http");
        let expected = "0ZXoZLH/DfblKGATFgpif+LLRf4="; // hash of uri with port 80
        assert!(validator().is_valid(&uri, &params(), expected));
    }

    #[test]
    fn validation_of_body_succeeds() {
        assert!(validator().is_valid_json(&uri_with_body(), BODY.as_bytes(), BODY_SIGNATURE));
    }

    #[test]
    fn json_signature_covers_url_only() {
        assert_eq!(validator().compute(&uri_with_body(), &[]), BODY_SIGNATURE);
    }

    #[test]
    fn json_with_tampered_body_fails() {
        let tampered = BODY.replace("value", "evil");
        assert!(!validator().is_valid_json(&uri_with_body(), tampered.as_bytes(), BODY_SIGNATURE));
        assert!(!validator().is_valid_json(&uri_with_body(), b"", BODY_SIGNATURE));
    }

    #[test]
    fn json_without_body_hash_param_fails() {
        let signature = validator().compute(URI, &[]);
        assert!(!validator().is_valid_json(URI, BODY.as_bytes(), &signature));
        let blank = format!("{URI}&bodySHA256=");
        let signature = validator().compute(&blank, &[]);
        assert!(!validator().is_valid_json(&blank, b"", &signature));
    }

    #[test]
    fn json_with_wrong_token_or_port_variant() {
        let wrong = TwilioSignature::new("54321");
        assert!(!wrong.is_valid_json(&uri_with_body(), BODY.as_bytes(), BODY_SIGNATURE));
        let with_port = uri_with_body().replace(".com", ".com:8443");
        assert!(validator().is_valid_json(&with_port, BODY.as_bytes(), BODY_SIGNATURE));
    }

    #[test]
    fn form_validation_refuses_body_hash_urls() {
        // The signature of a JSON request covers the URL only; accepting it with params would
        // leave the body unauthenticated.
        assert!(!validator().is_valid(&uri_with_body(), &[], BODY_SIGNATURE));
    }

    #[test]
    fn wrong_token_fails() {
        assert!(!TwilioSignature::new("54321").is_valid(URI, &params(), EXPECTED));
    }

    #[test]
    fn empty_token_or_signature_fails() {
        let empty = TwilioSignature::new("");
        let signature = empty.compute(URI, &params());
        assert!(!empty.is_valid(URI, &params(), &signature));
        assert!(!validator().is_valid(URI, &params(), ""));
    }

    #[test]
    fn tampered_param_fails() {
        let mut tampered = params();
        tampered[1].1 = "9999".to_owned();
        assert!(!validator().is_valid(URI, &tampered, EXPECTED));
    }

    #[test]
    fn missing_param_fails() {
        let mut missing = params();
        missing.remove(0);
        assert!(!validator().is_valid(URI, &missing, EXPECTED));
    }

    #[test]
    fn extra_param_fails() {
        let mut extra = params();
        extra.push(("Body".to_owned(), "hi".to_owned()));
        assert!(!validator().is_valid(URI, &extra, EXPECTED));
    }

    #[test]
    fn tampered_url_or_signature_fails() {
        assert!(!validator().is_valid(&URI.replace("foo=1", "foo=2"), &params(), EXPECTED));
        assert!(!validator().is_valid(&URI.replace("https", "http"), &params(), EXPECTED));
        assert!(!validator().is_valid(URI, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
        assert!(!validator().is_valid(URI, &params(), "rsoydt4t1cutdk1pdd93/vvr8b8="));
    }

    // The following vectors were produced with twilio-python's compute_signature algorithm
    // (sorted(set(names)), sorted(getall(name)), no de-duplication).

    #[test]
    fn repeated_identical_values_are_not_deduplicated() {
        let dup = p(&[("Digits", "1234"), ("Digits", "1234"), ("Sid", "CA123")]);
        let dedup = p(&[("Digits", "1234"), ("Sid", "CA123")]);
        assert_eq!(validator().compute(URI, &dup), "OhCuXh1OaXZMqb9esZd6PzAtdH4=");
        assert_eq!(validator().compute(URI, &dedup), "AYhE0a2ui6PNAEt076/ajEFM6hc=");
    }

    #[test]
    fn unicode_names_and_values_sort_by_code_point() {
        let params = p(&[
            ("Body", "Héllo 😀 wörld"),
            ("body", "x"),
            ("Zeta", "1"),
            ("Émoji", "é"),
            ("MediaUrl0", "https://a/b?c=d&e=f"),
        ]);
        assert_eq!(validator().compute(URI, &params), "VfEO7ggel2xdKaofJMep9ArKaFk=");
    }

    #[test]
    fn empty_params_and_empty_values() {
        assert_eq!(validator().compute(URI, &[]), "zYQTYrRWXE7LtzbG4PfP7/bkkGo=");
        let params = p(&[("A", ""), ("B", "b")]);
        assert_eq!(validator().compute(URI, &params), "ASsccQvlaEGJK4EnZZwxPt6rcPM=");
    }

    #[test]
    fn ipv6_host_port_rules() {
        let params = p(&[("A", "1")]);
        let without_port = "TbyGa0zOOHC+pAa8Z1/igmkB02w="; // https://[::1]/x
        let with_default = "Ec5zlEWHhoTxPde28QOYG44UBZM="; // https://[::1]:443/x
        assert!(validator().is_valid("https://[::1]/x", &params, without_port));
        assert!(validator().is_valid("https://[::1]/x", &params, with_default));
        assert!(validator().is_valid("https://[::1]:443/x", &params, without_port));
        assert!(validator().is_valid("https://[::1]:8443/x", &params, without_port));
    }

    #[test]
    fn url_variants_cover_sdk_port_rules() {
        assert_eq!(url_variants("https://a.com/x?y=1"), ["https://a.com/x?y=1", "https://a.com:443/x?y=1"]);
        assert_eq!(url_variants("http://a.com?y=1"), ["http://a.com?y=1", "http://a.com:80?y=1"]);
        assert_eq!(url_variants("https://a.com"), ["https://a.com", "https://a.com:443"]);
        assert_eq!(url_variants("https://a.com:8443/x"), ["https://a.com:8443/x", "https://a.com/x"]);
        assert_eq!(url_variants("https://u:p@a.com:8443/x"), ["https://u:p@a.com:8443/x", "https://u:p@a.com/x"]);
        assert_eq!(url_variants("https://u:p@a.com/x"), ["https://u:p@a.com/x", "https://u:p@a.com:443/x"]);
        assert_eq!(url_variants("https://[::1]/x"), ["https://[::1]/x", "https://[::1]:443/x"]);
        assert_eq!(url_variants("https://a.com:abc/x"), ["https://a.com:abc/x"]);
        assert_eq!(url_variants("not a url"), ["not a url"]);
        assert_eq!(url_variants("ftp://a.com/x"), ["ftp://a.com/x"]);
    }

    #[test]
    fn query_value_reads_first_non_empty() {
        assert_eq!(query_value("https://a/x?bodySHA256=&bodySHA256=ab#frag", "bodySHA256").as_deref(), Some("ab"));
        assert_eq!(query_value("https://a/x#?bodySHA256=ab", "bodySHA256"), None);
        assert_eq!(query_value("https://a/x", "bodySHA256"), None);
    }

    #[test]
    fn debug_does_not_leak_token() {
        assert!(!format!("{:?}", validator()).contains(TOKEN));
    }
}
