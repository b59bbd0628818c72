/// What an agent typed in the search box, split into words that can be placed into full-text query syntax
/// (SQLite FTS5, PostgreSQL tsquery) without any of the user's characters acting as operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// As typed, trimmed: matched as a substring of contact names.
    text: String,
    /// Lower-cased words (letters and digits only), at most [`MAX_WORDS`].
    words: Vec<String>,
    /// The digits, when the query looks like (part of) a phone number.
    digits: Option<String>,
}

const MAX_WORDS: usize = 8;
const MAX_CHARS: usize = 200;

impl SearchQuery {
    /// `None` for a query with nothing to search for.
    pub fn parse(raw: &str) -> Option<Self> {
        // Control characters match nothing anyone typed into a name or a text, and a NUL would make
        // PostgreSQL refuse the whole query: they separate words like spaces do.
        let spaced: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let text: String = spaced.trim().chars().take(MAX_CHARS).collect();
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(str::to_lowercase)
            .collect();
        let looks_like_number = text.chars().all(|c| c.is_ascii_digit() || "+-() .".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let digits = (looks_like_number && digits.len() >= 3).then_some(digits);
        if words.is_empty() && digits.is_none() {
            return None;
        }
        Some(Self { text, words, digits })
    }

    /// A LIKE pattern matching the query anywhere, with `\` as the escape character.
    pub fn contains_pattern(&self) -> String {
        format!("%{}%", escape_like(&self.text))
    }

    /// A LIKE pattern matching the phone digits anywhere in an E.164 number, if the query is a number.
    pub fn number_pattern(&self) -> Option<String> {
        self.digits.as_ref().map(|d| format!("%{d}%"))
    }

    /// FTS5 MATCH expression: every word as a quoted prefix term, all required.
    pub fn fts5(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| {
            self.words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ")
        })
    }

    /// PostgreSQL `to_tsquery('simple', …)` text: every word as a prefix, all required.
    pub fn tsquery(&self) -> Option<String> {
        (!self.words.is_empty()).then(|| self.words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "))
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_separate_words_and_never_reach_a_pattern() {
        let q = SearchQuery::parse("par\0cel\u{7}").unwrap();
        assert_eq!(q.fts5().unwrap(), r#""par"* AND "cel"*"#);
        assert_eq!(q.contains_pattern(), "%par cel%");
        assert_eq!(SearchQuery::parse("\0\0"), None);
    }

    #[test]
    fn operators_in_the_query_are_only_words() {
        let q = SearchQuery::parse(r#"refund" OR NEAR(x) -y:*"#).unwrap();
        assert_eq!(q.fts5().unwrap(), r#""refund"* AND "or"* AND "near"* AND "x"* AND "y"*"#);
        assert_eq!(q.tsquery().unwrap(), "refund:* & or:* & near:* & x:* & y:*");
    }

    #[test]
    fn numbers_match_by_digits_and_like_wildcards_are_escaped() {
        let q = SearchQuery::parse("(415) 555-0123").unwrap();
        assert_eq!(q.number_pattern().as_deref(), Some("%4155550123%"));
        assert_eq!(SearchQuery::parse("50%_off").unwrap().contains_pattern(), r"%50\%\_off%");
        assert_eq!(SearchQuery::parse("Ana").unwrap().number_pattern(), None);
        assert_eq!(SearchQuery::parse("  ?! "), None);
    }

    #[test]
    fn non_latin_words_are_kept() {
        assert_eq!(SearchQuery::parse("Зайцев").unwrap().fts5().unwrap(), "\"зайцев\"*");
    }
}
