//! How many SMS parts a body is billed as, so the composer can warn an agent before one stray curly quote doubles the
//! cost of a reply.
//!
//! A body goes out either as GSM-7 (7-bit septets) or, as soon as one character is outside GSM-7, entirely as UCS-2
//! (UTF-16 code units). The character tables follow 3GPP TS 23.038 (GSM 03.38): the default alphabet and its extension
//! table, cross-checked against Twilio's `message-segment-calculator` (`src/libs/UnicodeToGSM.ts`), whose counts match
//! what gateways bill. National language shift tables (Turkish, Spanish, Portuguese…) are left out: gateways do not
//! use them unless asked to, so counting them would under-quote.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Encoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl Encoding {
    /// A lone SMS carries 140 octets of text: 160 septets or 70 UTF-16 units.
    const fn single_limit(self) -> u32 {
        match self {
            Self::Gsm7 => 160,
            Self::Ucs2 => 70,
        }
    }

    /// Once split, each part spends 6 octets on the concatenation header (UDH), leaving 153 septets or 67 units.
    const fn part_limit(self) -> u32 {
        match self {
            Self::Gsm7 => 153,
            Self::Ucs2 => 67,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SegmentCount {
    pub encoding: Encoding,
    /// Number of SMS parts the message is sent as (0 for an empty body).
    pub segments: u32,
    /// Characters as the user sees them (Unicode scalar values).
    pub characters: u32,
    /// Length in the encoding's units: GSM-7 septets (escape characters count 2) or UCS-2 code units (UTF-16).
    pub units: u32,
    /// Units still free in the last segment before another segment is needed.
    pub units_left_in_segment: u32,
    /// The distinct characters that force UCS-2, in order of first appearance (empty for GSM-7).
    pub non_gsm_characters: Vec<char>,
    /// If replacing typographic punctuation (curly quotes ‘ ’ “ ”, en/em dashes, ellipsis …, non-breaking
    /// and other unicode spaces, etc.) with plain equivalents makes the whole body GSM-7, that body; else None.
    #[schema(required = true)]
    pub gsm_alternative: Option<String>,
}

/// Counts the parts `body` is sent as. An empty body is 0 segments with a whole single segment (160 septets) free.
///
/// One pass packs the body both ways, because which encoding applies is only known at the end of the text.
#[must_use]
pub fn count_segments(body: &str) -> SegmentCount {
    let mut gsm7 = Packer::new(Encoding::Gsm7);
    let mut ucs2 = Packer::new(Encoding::Ucs2);
    let mut characters: u32 = 0;
    let mut non_gsm_characters: Vec<char> = Vec::new();
    for c in body.chars() {
        characters = characters.saturating_add(1);
        match gsm7_septets(c) {
            Some(septets) => gsm7.push(septets),
            // A linear scan: bodies are short (Twilio caps them at 1600 characters) and so is this list.
            None if !non_gsm_characters.contains(&c) => non_gsm_characters.push(c),
            None => {}
        }
        // `len_utf16` is 1 or 2: a character outside the BMP is a surrogate pair.
        ucs2.push(c.len_utf16() as u32);
    }
    let (encoding, packed) =
        if non_gsm_characters.is_empty() { (Encoding::Gsm7, gsm7) } else { (Encoding::Ucs2, ucs2) };
    let (segments, units, units_left_in_segment) = packed.finish();
    let gsm_alternative = gsm_alternative(body, &non_gsm_characters);
    SegmentCount { encoding, segments, characters, units, units_left_in_segment, non_gsm_characters, gsm_alternative }
}

/// Fills parts greedily. A character that does not fit in the current part starts the next one whole, because a
/// gateway never splits an escape pair (GSM-7) or a surrogate pair (UCS-2) across parts: that is why
/// `ceil(units / 153)` can under-count.
struct Packer {
    encoding: Encoding,
    total: u32,
    parts: u32,
    used_in_part: u32,
}

impl Packer {
    const fn new(encoding: Encoding) -> Self {
        Self { encoding, total: 0, parts: 1, used_in_part: 0 }
    }

    fn push(&mut self, units: u32) {
        self.total = self.total.saturating_add(units);
        if self.used_in_part + units > self.encoding.part_limit() {
            self.parts = self.parts.saturating_add(1);
            self.used_in_part = 0;
        }
        self.used_in_part += units;
    }

    /// `(segments, units, units_left_in_segment)`. The split sizes only apply once the body outgrows one SMS.
    fn finish(&self) -> (u32, u32, u32) {
        let single = self.encoding.single_limit();
        if self.total <= single {
            (u32::from(self.total > 0), self.total, single - self.total)
        } else {
            (self.parts, self.total, self.encoding.part_limit() - self.used_in_part)
        }
    }
}

/// Septets `c` costs in GSM-7: 1 in the default alphabet, 2 in the extension table (escape 0x1B, then the code), or
/// `None` when it has no GSM-7 form and forces the whole body into UCS-2.
///
/// Easy to get wrong, so spelled out: the default alphabet's 0x09 is capital `Ç`; Unicode's GSM0338.TXT maps it to
/// small `ç` instead, and gateways differ, so `ç` counts as UCS-2, the side that never under-quotes. Only the accents
/// listed are in: `á í ó ú â ê ã õ` are not. The backtick and the tab are not GSM-7 although they are ASCII. The Greek
/// capitals that look Latin (Α, Β, Ε…) are not listed in the spec; only the ten below are.
const fn gsm7_septets(c: char) -> Option<u32> {
    match c {
        // Printable ASCII except the backtick and the six symbols that live in the extension table.
        '\n' | '\r' | ' '..='Z' | '_' | 'a'..='z' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Æ' | 'æ' | 'ß' | 'É' => {
            Some(1)
        }
        'Δ' | 'Φ' | 'Γ' | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' => Some(1),
        '¤' | '¡' | 'Ä' | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        // Extension table; U+000C is the form feed (page break).
        '\u{c}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        _ => None,
    }
}

/// A GSM-7 stand-in for typography that word processors and phones insert on their own (smart quotes, dashes, odd
/// spaces, invisible joiners). Swapping these changes how the text looks, not what it says, which is why letters
/// such as `ç` are deliberately absent: the agent decides about those.
const fn plain_equivalent(c: char) -> Option<&'static str> {
    Some(match c {
        // Backtick and acute accent are typed or pasted as apostrophes.
        '‘' | '’' | '‚' | '‛' | '′' | '‹' | '›' | '´' | '`' => "'",
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => "\"",
        // Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign, bullet.
        '\u{2010}' | '\u{2011}' | '‒' | '–' | '—' | '―' | '−' | '•' => "-",
        '…' => "...",
        // Tab, no-break space, the U+2000 block of sized spaces, narrow no-break, math and ideographic spaces.
        '\t' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        '\u{2028}' | '\u{2029}' => "\n",
        // Soft hyphen, zero-width space, word joiner, byte-order mark: invisible, so dropping them loses nothing.
        '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}' => "",
        _ => return None,
    })
}

/// The body with typography swapped for plain characters, if that is all that keeps it out of GSM-7.
fn gsm_alternative(body: &str, non_gsm_characters: &[char]) -> Option<String> {
    if non_gsm_characters.is_empty() || !non_gsm_characters.iter().all(|&c| plain_equivalent(c).is_some()) {
        return None;
    }
    let mut plain = String::with_capacity(body.len());
    for c in body.chars() {
        match plain_equivalent(c) {
            Some(replacement) => plain.push_str(replacement),
            None => plain.push(c),
        }
    }
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default alphabet in code order 0x00–0x7F as printed in 3GPP TS 23.038, minus 0x1B (the escape).
    const SPEC_DEFAULT_ALPHABET: &str = concat!(
        "@£$¥èéùìòÇ\nØø\rÅå",
        "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
        " !\"#¤%&'()*+,-./",
        "0123456789:;<=>?",
        "¡ABCDEFGHIJKLMNO",
        "PQRSTUVWXYZÄÖÑÜ§",
        "¿abcdefghijklmno",
        "pqrstuvwxyzäöñüà",
    );
    const SPEC_EXTENSION: [char; 10] = ['\u{c}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

    fn all_chars() -> impl Iterator<Item = char> {
        (0..=u32::from(char::MAX)).filter_map(char::from_u32)
    }

    fn count(body: impl AsRef<str>) -> SegmentCount {
        count_segments(body.as_ref())
    }

    /// The match must hold exactly the spec's 127 + 10 characters: each listed one, and nothing else.
    #[test]
    fn charset_matches_the_spec_tables() {
        assert_eq!(SPEC_DEFAULT_ALPHABET.chars().count(), 127);
        for c in SPEC_DEFAULT_ALPHABET.chars() {
            assert_eq!(gsm7_septets(c), Some(1), "{c:?} is in the default alphabet");
        }
        let basic: Vec<char> = all_chars().filter(|&c| gsm7_septets(c) == Some(1)).collect();
        assert_eq!(basic.len(), 127);
        let extension: Vec<char> = all_chars().filter(|&c| gsm7_septets(c) == Some(2)).collect();
        let mut expected = SPEC_EXTENSION.to_vec();
        expected.sort_unstable();
        assert_eq!(extension, expected);
    }

    #[test]
    fn every_extension_character_costs_two_septets() {
        for c in SPEC_EXTENSION {
            let n = count(c.to_string());
            assert_eq!(
                (n.encoding, n.segments, n.characters, n.units, n.units_left_in_segment),
                (Encoding::Gsm7, 1, 1, 2, 158)
            );
            assert_eq!(count(format!("a{c}b")).units, 4, "{c:?}");
        }
        assert_eq!(count("{".repeat(80)).segments, 1);
        // 81 pairs = 162 septets: 76 pairs fill 152 of the first part's 153, the 77th moves on whole.
        let n = count("{".repeat(81));
        assert_eq!((n.segments, n.units, n.units_left_in_segment), (2, 162, 153 - 10));
    }

    #[test]
    fn newline_and_carriage_return_are_basic() {
        let n = count("Hi\r\nthere\n");
        assert_eq!((n.encoding, n.units, n.characters, n.segments), (Encoding::Gsm7, 10, 10, 1));
    }

    #[test]
    fn gsm7_single_segment_boundary() {
        let n = count("a".repeat(160));
        assert_eq!((n.encoding, n.segments, n.units, n.units_left_in_segment), (Encoding::Gsm7, 1, 160, 0));
        let n = count("a".repeat(161));
        assert_eq!((n.segments, n.units, n.units_left_in_segment), (2, 161, 145));
        assert_eq!(count("a".repeat(306)).segments, 2);
        assert_eq!(count("a".repeat(307)).segments, 3);
    }

    #[test]
    fn escape_pair_is_never_split() {
        // 152 + 2 + 152 = 306 septets, which `ceil(306 / 153)` calls 2 parts; the € cannot share part one.
        let n = count(format!("{}€{}", "a".repeat(152), "a".repeat(152)));
        assert_eq!((n.encoding, n.units, n.segments, n.units_left_in_segment), (Encoding::Gsm7, 306, 3, 152));
        // A single SMS has no parts to split: 158 + 2 fits exactly, one more septet tips it over.
        let n = count(format!("{}€", "a".repeat(158)));
        assert_eq!((n.segments, n.units_left_in_segment), (1, 0));
        assert_eq!(count(format!("{}€", "a".repeat(159))).segments, 2);
    }

    #[test]
    fn accents_in_and_out_of_gsm7() {
        let n = count("é".repeat(70));
        assert_eq!((n.encoding, n.segments, n.units, n.units_left_in_segment), (Encoding::Gsm7, 1, 70, 90));
        assert_eq!(count("Ç".repeat(70)).encoding, Encoding::Gsm7);
        let n = count("ç".repeat(70));
        assert_eq!((n.encoding, n.segments, n.units_left_in_segment), (Encoding::Ucs2, 1, 0));
        assert_eq!((n.non_gsm_characters, n.gsm_alternative), (vec!['ç'], None));
        assert_eq!(count("ç".repeat(71)).segments, 2);
    }

    #[test]
    fn lookalikes_that_are_not_gsm7() {
        // OHM SIGN and ANGSTROM SIGN (not Ω and Å, though NFC folds them into those), GREEK CAPITAL ALPHA (not A).
        for c in [
            '`', '\t', 'á', 'í', 'ó', 'ú', 'â', 'ê', 'ã', 'õ', 'ç', '\u{2126}', '\u{212b}', '\u{391}', '\u{1b}', '¢',
            '°', '©',
        ] {
            assert_eq!(count(format!("ok {c}")).encoding, Encoding::Ucs2, "{c:?}");
        }
        for c in ['@', '$', '_', '¤', '§', '¿', '¡', 'Δ', 'Ω', 'ß', 'ø', 'Å'] {
            assert_eq!(count(format!("ok {c}")).units, 4, "{c:?}");
        }
    }

    #[test]
    fn ucs2_single_segment_boundary() {
        let n = count("Ж".repeat(70));
        assert_eq!((n.encoding, n.segments, n.units, n.units_left_in_segment), (Encoding::Ucs2, 1, 70, 0));
        let n = count("Ж".repeat(71));
        assert_eq!((n.segments, n.units, n.units_left_in_segment), (2, 71, 63));
    }

    #[test]
    fn emoji_are_surrogate_pairs() {
        // 268 units, but 67 is odd: each part holds 33 emoji (66 units), so 134 emoji need 5 parts, not 4.
        let n = count("😀".repeat(134));
        assert_eq!(
            (n.encoding, n.characters, n.units, n.segments, n.units_left_in_segment),
            (Encoding::Ucs2, 134, 268, 5, 63)
        );
        assert_eq!((count("😀".repeat(35)).segments, count("😀".repeat(35)).units_left_in_segment), (1, 0));
        let n = count("😀".repeat(36));
        assert_eq!((n.segments, n.units_left_in_segment), (2, 67 - 6));
        // A ZWJ family is one glyph but five scalar values (three of them surrogate pairs).
        let n = count("👨\u{200d}👩\u{200d}👧");
        assert_eq!((n.characters, n.units), (5, 8));
    }

    #[test]
    fn surrogate_pair_on_a_ucs2_part_boundary() {
        // The emoji would take units 67 and 68: it moves to part two, which then overflows by one unit.
        let n = count(format!("{}😀{}", "Ж".repeat(66), "Ж".repeat(66)));
        assert_eq!((n.units, n.segments, n.units_left_in_segment), (134, 3, 66));
        // Ending exactly on the boundary moves nothing.
        let n = count(format!("{}😀{}", "Ж".repeat(65), "Ж".repeat(66)));
        assert_eq!((n.units, n.segments, n.units_left_in_segment), (133, 2, 1));
    }

    #[test]
    fn one_non_gsm_character_turns_the_whole_body_ucs2() {
        // In UCS-2 the extension characters are ordinary single units.
        let n = count("Price {€5} Ж");
        assert_eq!((n.encoding, n.units, n.characters, n.units_left_in_segment), (Encoding::Ucs2, 12, 12, 58));
        assert_eq!(count("ЖaЖbЯ😀Я").non_gsm_characters, vec!['Ж', 'Я', '😀']);
    }

    #[test]
    fn empty_body() {
        let n = count("");
        let empty = SegmentCount {
            encoding: Encoding::Gsm7,
            segments: 0,
            characters: 0,
            units: 0,
            units_left_in_segment: 160,
            non_gsm_characters: Vec::new(),
            gsm_alternative: None,
        };
        assert_eq!(n, empty);
    }

    #[test]
    fn curly_apostrophe_has_a_gsm_alternative() {
        let n = count("It’s ready");
        assert_eq!((n.encoding, n.units_left_in_segment, n.non_gsm_characters), (Encoding::Ucs2, 60, vec!['’']));
        assert_eq!(n.gsm_alternative.as_deref(), Some("It's ready"));
    }

    #[test]
    fn typography_is_replaced_everywhere() {
        let body = "“Hi”\u{a0}– see you… tomorrow—‘ok’\u{200b}";
        let n = count(body);
        assert_eq!(n.non_gsm_characters, vec!['“', '”', '\u{a0}', '–', '…', '—', '‘', '’', '\u{200b}']);
        let plain = n.gsm_alternative.unwrap_or_default();
        assert_eq!(plain, "\"Hi\" - see you... tomorrow-'ok'");
        assert_eq!(count(plain).encoding, Encoding::Gsm7);
    }

    #[test]
    fn no_alternative_when_something_real_stays_non_gsm() {
        assert_eq!(count("Thanks 😀").gsm_alternative, None);
        assert_eq!(count("It’s 😀").gsm_alternative, None);
        assert_eq!(count("Merci François’").gsm_alternative, None);
        assert_eq!(count("already plain").gsm_alternative, None);
    }

    /// Every replaced character is outside GSM-7 (else it would never be offered) and every replacement is inside it.
    #[test]
    fn replacements_lead_into_gsm7() {
        for c in all_chars() {
            if let Some(plain) = plain_equivalent(c) {
                assert_eq!(gsm7_septets(c), None, "{c:?}");
                assert!(plain.chars().all(|p| gsm7_septets(p) == Some(1)), "{c:?} -> {plain:?}");
            }
        }
    }
}
