//! The one template engine: the confirmation of a new ticket and canned replies are both parsed by
//! [`Template::parse`] into literal text and placeholders, and rendered by [`Template::render`].
//!
//! The syntax:
//! - `{ticket_id}`, `{contact_name}`, `{business_name}`, `{agent_name}` (replies only) are filled in;
//! - `{contact_name|there}` falls back to `there` when the contact has no name (or an empty one);
//! - `{{` is a literal `{` and `}}` a literal `}` (as in Rust's and Python's format strings); a lone `}` is
//!   literal too, so a smiley needs no escaping.
//!
//! A placeholder that comes out empty (an unnamed contact without a fallback) is removed with one space
//! before it, so `Hi {contact_name}, ticket 7` reads `Hi, ticket 7`; at the start of a line it takes the
//! punctuation and spaces after it instead, so `{contact_name}, thanks!` reads `thanks!`.

use std::fmt;

use super::{MAX_BODY_CHARS, TicketId};

/// Something a template may mention, filled in when it is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    TicketId,
    ContactName,
    BusinessName,
    /// The agent who inserts a canned reply.
    AgentName,
    /// When business hours next begin ("Monday 09:00"), in the out-of-office reply only.
    NextOpen,
}

impl Placeholder {
    const ALL: [Placeholder; 5] =
        [Self::TicketId, Self::ContactName, Self::BusinessName, Self::AgentName, Self::NextOpen];

    pub fn name(self) -> &'static str {
        match self {
            Self::TicketId => "ticket_id",
            Self::ContactName => "contact_name",
            Self::BusinessName => "business_name",
            Self::AgentName => "agent_name",
            Self::NextOpen => "next_open",
        }
    }

    /// The longest value it can take, in characters: a 64-bit ticket id has at most 19 digits; contact,
    /// business and user names are at most 100 characters (`contacts::MAX_NAME_CHARS`, the settings,
    /// `accounts::parse_name`).
    fn longest(self) -> usize {
        match self {
            Self::TicketId => 19,
            Self::ContactName | Self::BusinessName | Self::AgentName => 100,
            // "Wednesday 30 September 09:00" (BusinessHours::describe).
            Self::NextOpen => 30,
        }
    }

    /// Whether it may be empty, and so may name a fallback: a contact may have no name, and a schedule may
    /// never open.
    fn takes_fallback(self) -> bool {
        matches!(self, Self::ContactName | Self::NextOpen)
    }
}

/// What the confirmation of a new ticket may mention: it is sent automatically, so there is no agent.
pub const CONFIRMATION_PLACEHOLDERS: &[Placeholder] =
    &[Placeholder::TicketId, Placeholder::ContactName, Placeholder::BusinessName];
/// What a canned reply may mention.
pub const REPLY_PLACEHOLDERS: &[Placeholder] =
    &[Placeholder::TicketId, Placeholder::ContactName, Placeholder::BusinessName, Placeholder::AgentName];
/// What the answer to HELP may mention: it answers whoever asks, ticket or not.
pub const HELP_PLACEHOLDERS: &[Placeholder] = &[Placeholder::ContactName, Placeholder::BusinessName];
/// What the out-of-office reply may mention.
pub const OUT_OF_OFFICE_PLACEHOLDERS: &[Placeholder] =
    &[Placeholder::TicketId, Placeholder::ContactName, Placeholder::BusinessName, Placeholder::NextOpen];

/// The longest piece of a refused template an error message quotes.
const QUOTED_CHARS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Unknown placeholder {placeholder}; use {allowed}. Write {{{{ for a literal {{.")]
    UnknownPlaceholder { placeholder: String, allowed: Allowed },
    #[error("{placeholder} cannot be used here; use {allowed}.")]
    NotAllowed { placeholder: String, allowed: Allowed },
    #[error(
        "The {{ at character {at} is never closed (\"{quoted}\"); end the placeholder with }}, or write {{{{ for a literal {{."
    )]
    Unclosed { at: usize, quoted: String },
    #[error("the template must contain {{ticket_id}}")]
    MissingTicketId,
    #[error("the filled-in text would be longer than {MAX_BODY_CHARS} characters")]
    TooLong,
    /// It would be texted to customers, and PostgreSQL cannot even store it.
    #[error("the template contains a NUL character (U+0000)")]
    NulCharacter,
}

/// The placeholders a template may use, as an error message lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed(&'static [Placeholder]);

impl fmt::Display for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for placeholder in self.0 {
            let forms: &[&str] = if placeholder.takes_fallback() { &["", "|there"] } else { &[""] };
            for form in forms {
                if !first {
                    f.write_str(", ")?;
                }
                first = false;
                write!(f, "{{{}{form}}}", placeholder.name())?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value { placeholder: Placeholder, fallback: Option<String> },
}

/// A parsed template: literal text and placeholders, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

/// What a template is filled in with. `None` (or an empty name) uses the placeholder's fallback.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    pub ticket_id: TicketId,
    pub contact_name: Option<&'a str>,
    pub business_name: &'a str,
    pub agent_name: Option<&'a str>,
}

impl Values<'_> {
    fn get(&self, placeholder: Placeholder) -> Option<String> {
        match placeholder {
            Placeholder::TicketId => Some(self.ticket_id.to_string()),
            Placeholder::ContactName => self.contact_name.map(str::to_owned),
            Placeholder::BusinessName => Some(self.business_name.to_owned()),
            Placeholder::AgentName => self.agent_name.map(str::to_owned),
            // Filled in by Template::render_with only.
            Placeholder::NextOpen => None,
        }
    }
}

impl Template {
    /// Parses a template that may mention the `allowed` placeholders; anything else in braces is refused.
    pub fn parse(raw: &str, allowed: &'static [Placeholder]) -> Result<Self, TemplateError> {
        Self::parse_with(raw, allowed, true)
    }

    /// Parses a template stored before these rules (or under other ones): what [`Template::parse`] would
    /// refuse stays literal text, so it keeps reading as it did until someone edits it.
    pub fn parse_stored(raw: &str, allowed: &'static [Placeholder]) -> Result<Self, TemplateError> {
        Self::parse_with(raw, allowed, false)
    }

    fn parse_with(raw: &str, allowed: &'static [Placeholder], strict: bool) -> Result<Self, TemplateError> {
        if raw.contains('\0') {
            return Err(TemplateError::NulCharacter);
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = raw;
        while let Some(open) = rest.find('{') {
            push_text(&mut text, &rest[..open]);
            let after = &rest[open + 1..];
            if let Some(escaped) = after.strip_prefix('{') {
                text.push('{');
                rest = escaped;
                continue;
            }
            // A placeholder is one line without braces; anything else is an unclosed brace.
            let end = after.find(['}', '{', '\n']).filter(|&end| after[end..].starts_with('}'));
            let Some(end) = end else {
                if strict {
                    let at = raw[..raw.len() - rest.len() + open].chars().count() + 1;
                    return Err(TemplateError::Unclosed { at, quoted: quote(&rest[open..]) });
                }
                text.push('{');
                rest = after;
                continue;
            };
            let inner = &after[..end];
            match placeholder(inner, allowed) {
                Ok(part) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(part);
                }
                Err(e) if strict => return Err(e),
                Err(_) => {
                    text.push('{');
                    text.push_str(inner);
                    text.push('}');
                }
            }
            rest = &after[end + 1..];
        }
        push_text(&mut text, rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self { source: raw.to_owned(), parts })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn mentions(&self, wanted: Placeholder) -> bool {
        self.parts.iter().any(|part| matches!(part, Part::Value { placeholder, .. } if *placeholder == wanted))
    }

    /// The most characters it can render to, with every value as long as it may be.
    pub fn longest_render(&self) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.chars().count(),
                Part::Value { placeholder, fallback } => {
                    placeholder.longest().max(fallback.as_ref().map_or(0, |f| f.chars().count()))
                }
            })
            .sum()
    }

    pub fn render(&self, values: &Values<'_>) -> String {
        self.render_with(values, None)
    }

    /// [`Template::render`], with when business hours next begin for `{next_open}`.
    pub fn render_with(&self, values: &Values<'_>, next_open: Option<&str>) -> String {
        let mut out = String::with_capacity(self.source.len());
        // Set when an empty value began a line: the punctuation after it goes too.
        let mut tidy_next = false;
        for part in &self.parts {
            match part {
                Part::Text(text) => {
                    let text =
                        if tidy_next { text.trim_start_matches([',', ';', ':']).trim_start_matches(' ') } else { text };
                    tidy_next = false;
                    out.push_str(text);
                }
                Part::Value { placeholder, fallback } => {
                    let value = match placeholder {
                        Placeholder::NextOpen => next_open.map(str::to_owned),
                        other => values.get(*other),
                    };
                    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
                    match value.or_else(|| fallback.clone()) {
                        Some(value) => out.push_str(&value),
                        None if out.ends_with(' ') => {
                            out.pop();
                        }
                        None => tidy_next = out.is_empty() || out.ends_with('\n'),
                    }
                }
            }
        }
        out
    }
}

/// Literal text outside placeholders, where `}}` stands for `}`.
fn push_text(text: &mut String, literal: &str) {
    text.push_str(&literal.replace("}}", "}"));
}

/// One placeholder's inside (between the braces).
fn placeholder(inner: &str, allowed: &'static [Placeholder]) -> Result<Part, TemplateError> {
    let (name, fallback) = match inner.split_once('|') {
        Some((name, fallback)) => (name.trim(), Some(fallback.trim())),
        None => (inner.trim(), None),
    };
    let written = || quote(&format!("{{{inner}}}"));
    let known = Placeholder::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .filter(|p| fallback.is_none() || p.takes_fallback())
        .ok_or_else(|| TemplateError::UnknownPlaceholder { placeholder: written(), allowed: Allowed(allowed) })?;
    if !allowed.contains(&known) {
        return Err(TemplateError::NotAllowed { placeholder: written(), allowed: Allowed(allowed) });
    }
    Ok(Part::Value { placeholder: known, fallback: fallback.filter(|f| !f.is_empty()).map(str::to_owned) })
}

/// The start of `text`, short enough for an error message.
fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTED_CHARS {
        return text.to_owned();
    }
    let mut quoted: String = text.chars().take(QUOTED_CHARS).collect();
    quoted.push('…');
    quoted
}

/// The automatic reply to a new ticket. It must mention `{ticket_id}` (the confirmation exists to tell the
/// customer their ticket number), may mention `{contact_name}` and `{business_name}`, and must fit in
/// [`MAX_BODY_CHARS`] with every value as long as it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationTemplate(Template);

impl ConfirmationTemplate {
    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        Self::checked(Template::parse(raw, CONFIRMATION_PLACEHOLDERS)?)
    }

    /// One an older version stored: what [`ConfirmationTemplate::parse`] refuses in braces stays literal
    /// text (see [`Template::parse_stored`]); the other rules still hold.
    pub fn parse_stored(raw: &str) -> Result<Self, TemplateError> {
        Self::checked(Template::parse_stored(raw, CONFIRMATION_PLACEHOLDERS)?)
    }

    fn checked(template: Template) -> Result<Self, TemplateError> {
        if !template.mentions(Placeholder::TicketId) {
            return Err(TemplateError::MissingTicketId);
        }
        if template.longest_render() > MAX_BODY_CHARS {
            return Err(TemplateError::TooLong);
        }
        Ok(Self(template))
    }

    /// Whether rendering it needs the contact's name (otherwise nobody need look it up).
    pub fn mentions_contact_name(&self) -> bool {
        self.0.mentions(Placeholder::ContactName)
    }

    pub fn render(&self, ticket_id: TicketId, contact_name: Option<&str>, business_name: &str) -> String {
        self.0.render(&Values { ticket_id, contact_name, business_name, agent_name: None })
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// An automatic reply other than the confirmation (the answer to HELP, the out-of-office reply): the
/// placeholders it may use, and fitting in [`MAX_BODY_CHARS`] with every value as long as it may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoReplyTemplate(Template);

impl AutoReplyTemplate {
    pub fn parse(raw: &str, allowed: &'static [Placeholder]) -> Result<Self, TemplateError> {
        Self::checked(Template::parse(raw, allowed)?)
    }

    /// One stored earlier: see [`Template::parse_stored`].
    pub fn parse_stored(raw: &str, allowed: &'static [Placeholder]) -> Result<Self, TemplateError> {
        Self::checked(Template::parse_stored(raw, allowed)?)
    }

    fn checked(template: Template) -> Result<Self, TemplateError> {
        if template.longest_render() > MAX_BODY_CHARS {
            return Err(TemplateError::TooLong);
        }
        Ok(Self(template))
    }

    pub fn mentions_contact_name(&self) -> bool {
        self.0.mentions(Placeholder::ContactName)
    }

    pub fn render(&self, values: &Values<'_>, next_open: Option<&str>) -> String {
        self.0.render_with(values, next_open)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn values(contact_name: Option<&'static str>) -> Values<'static> {
        Values { ticket_id: TicketId(42), contact_name, business_name: "Acme", agent_name: Some("Bo") }
    }

    fn reply(raw: &str, contact_name: Option<&'static str>) -> String {
        Template::parse(raw, REPLY_PLACEHOLDERS).unwrap().render(&values(contact_name))
    }

    #[test]
    fn renders_every_placeholder() {
        let t = ConfirmationTemplate::parse("{business_name}: ticket {ticket_id} (ref {ticket_id})").unwrap();
        assert_eq!(t.render(TicketId(42), None, "Acme"), "Acme: ticket 42 (ref 42)");
        assert_eq!(
            reply("Hi {contact_name}, {agent_name} from {business_name} about #{ticket_id}.", Some("Ana")),
            "Hi Ana, Bo from Acme about #42."
        );
    }

    #[test]
    fn a_fallback_stands_in_for_a_missing_or_empty_name() {
        let t = ConfirmationTemplate::parse("Hi {contact_name|there}, your ticket is {ticket_id}.").unwrap();
        assert_eq!(t.render(TicketId(12), Some("Ana"), "Acme"), "Hi Ana, your ticket is 12.");
        assert_eq!(t.render(TicketId(13), None, "Acme"), "Hi there, your ticket is 13.");
        assert_eq!(t.render(TicketId(13), Some("  "), "Acme"), "Hi there, your ticket is 13.");
        assert_eq!(reply("Hi { contact_name | dear customer }!", None), "Hi dear customer!");
        // An empty fallback is no fallback.
        assert_eq!(reply("Hi {contact_name|}!", None), "Hi!");
    }

    #[test]
    fn an_empty_name_without_a_fallback_leaves_readable_text() {
        assert_eq!(reply("Hi {contact_name}, ticket {ticket_id}", None), "Hi, ticket 42");
        assert_eq!(reply("Thanks {contact_name} for writing.", None), "Thanks for writing.");
        assert_eq!(reply("{contact_name}, thanks!", None), "thanks!");
        assert_eq!(reply("Hello.\n{contact_name}: done", None), "Hello.\ndone");
        assert_eq!(reply("Hi {contact_name}, ticket {ticket_id}", Some("Ana")), "Hi Ana, ticket 42");
    }

    #[test]
    fn unknown_placeholders_are_refused_by_name_with_the_ones_to_use() {
        let e = ConfirmationTemplate::parse("Hi {name}, ticket {ticket_id}").unwrap_err();
        assert!(matches!(&e, TemplateError::UnknownPlaceholder { placeholder, .. } if placeholder == "{name}"));
        assert_eq!(
            e.to_string(),
            "Unknown placeholder {name}; use {ticket_id}, {contact_name}, {contact_name|there}, {business_name}. \
             Write {{ for a literal {."
        );
        let e = Template::parse("{foo}", REPLY_PLACEHOLDERS).unwrap_err();
        assert!(e.to_string().ends_with("{business_name}, {agent_name}. Write {{ for a literal {."), "{e}");
        // Only a contact's name takes a fallback.
        assert!(matches!(
            Template::parse("{ticket_id|none}", REPLY_PLACEHOLDERS),
            Err(TemplateError::UnknownPlaceholder { placeholder, .. }) if placeholder == "{ticket_id|none}"
        ));
    }

    #[test]
    fn a_placeholder_another_template_knows_is_refused_where_it_does_not_belong() {
        let e = ConfirmationTemplate::parse("{agent_name} here, ticket {ticket_id}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "{agent_name} cannot be used here; use {ticket_id}, {contact_name}, {contact_name|there}, {business_name}."
        );
        assert!(Template::parse("{agent_name}", REPLY_PLACEHOLDERS).is_ok());
    }

    #[test]
    fn an_unclosed_brace_is_refused_with_its_position() {
        let e = Template::parse("Hi {contact_name, ticket {ticket_id}", REPLY_PLACEHOLDERS).unwrap_err();
        assert_eq!(e, TemplateError::Unclosed { at: 4, quoted: "{contact_name, ticket {ticket_…".into() });
        assert!(matches!(
            Template::parse("ticket {ticket_id", REPLY_PLACEHOLDERS),
            Err(TemplateError::Unclosed { at: 8, .. })
        ));
        assert!(matches!(Template::parse("a {b\nc}", REPLY_PLACEHOLDERS), Err(TemplateError::Unclosed { at: 3, .. })));
        // Characters, not bytes.
        assert!(matches!(Template::parse("ñ {", REPLY_PLACEHOLDERS), Err(TemplateError::Unclosed { at: 3, .. })));
    }

    #[test]
    fn doubled_braces_are_literal_and_a_lone_closing_brace_is_text() {
        assert_eq!(reply("{{ticket_id}} is {ticket_id} :-}", None), "{ticket_id} is 42 :-}");
        assert_eq!(reply("{{{ticket_id}}}", None), "{42}");
        assert_eq!(reply("{{{ticket_id}}", None), "{42}");
        assert_eq!(reply("}}}}", None), "}}");
        assert_eq!(reply("no placeholders", None), "no placeholders");
    }

    #[test]
    fn the_confirmation_needs_the_ticket_id_fits_in_an_sms_worst_case_and_has_no_nul() {
        assert_eq!(ConfirmationTemplate::parse("Thanks!"), Err(TemplateError::MissingTicketId));
        assert_eq!(ConfirmationTemplate::parse("{{ticket_id}"), Err(TemplateError::MissingTicketId));
        assert_eq!(ConfirmationTemplate::parse("Ticket {ticket_id}\0"), Err(TemplateError::NulCharacter));
        // 19 digits + 100 for the name + 100 for the business: 219 characters besides the text.
        let text = "x".repeat(MAX_BODY_CHARS - 219);
        let fits = format!("{text}{{ticket_id}}{{contact_name}}{{business_name}}");
        assert_eq!(ConfirmationTemplate::parse(&fits).unwrap().0.longest_render(), MAX_BODY_CHARS);
        let over = format!("x{fits}");
        assert_eq!(ConfirmationTemplate::parse(&over), Err(TemplateError::TooLong));
        // A fallback longer than any name counts instead.
        let long_fallback = format!("{text}{{ticket_id}}{{contact_name|{}}}{{business_name}}", "y".repeat(101));
        assert_eq!(ConfirmationTemplate::parse(&long_fallback), Err(TemplateError::TooLong));
    }

    #[test]
    fn next_open_is_only_for_the_out_of_office_reply_and_may_fall_back() {
        let ooo = AutoReplyTemplate::parse("Closed; back {next_open|soon}. #{ticket_id}", OUT_OF_OFFICE_PLACEHOLDERS)
            .unwrap();
        assert_eq!(ooo.render(&values(None), Some("Monday 09:00")), "Closed; back Monday 09:00. #42");
        assert_eq!(ooo.render(&values(None), None), "Closed; back soon. #42");
        assert!(matches!(
            AutoReplyTemplate::parse("{next_open}", HELP_PLACEHOLDERS),
            Err(TemplateError::NotAllowed { .. })
        ));
        assert!(matches!(Template::parse("{next_open}", REPLY_PLACEHOLDERS), Err(TemplateError::NotAllowed { .. })));
        assert!(matches!(
            AutoReplyTemplate::parse("{ticket_id}", HELP_PLACEHOLDERS),
            Err(TemplateError::NotAllowed { .. })
        ));
        let help = AutoReplyTemplate::parse("{business_name}: reply STOP to opt out.", HELP_PLACEHOLDERS).unwrap();
        assert_eq!(help.render(&values(None), None), "Acme: reply STOP to opt out.");
    }

    #[test]
    fn a_stored_template_keeps_what_the_rules_now_refuse_as_text() {
        let t = ConfirmationTemplate::parse_stored("Hi {name}, ticket {ticket_id} {agent_name} {oops").unwrap();
        assert_eq!(t.render(TicketId(11), Some("Ana"), "Acme"), "Hi {name}, ticket 11 {agent_name} {oops");
        assert_eq!(t.as_str(), "Hi {name}, ticket {ticket_id} {agent_name} {oops");
        assert_eq!(ConfirmationTemplate::parse_stored("Hi {name}"), Err(TemplateError::MissingTicketId));
    }
}
