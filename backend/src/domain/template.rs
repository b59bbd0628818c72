use super::TicketId;

const TICKET_ID: &str = "{ticket_id}";
const BUSINESS_NAME: &str = "{business_name}";
/// Room left for the business name wherever the template mentions it.
const LONGEST_BUSINESS_NAME: usize = 100;

/// The automatic reply to a new ticket. It must mention `{ticket_id}` (the confirmation exists to tell the
/// customer their ticket number) and may mention `{business_name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationTemplate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the template must contain {TICKET_ID}")]
    MissingTicketId,
    #[error("the rendered confirmation would be longer than 1600 characters")]
    TooLong,
    /// It would be texted to every new customer, and PostgreSQL cannot even store it.
    #[error("the template contains a NUL character (U+0000)")]
    NulCharacter,
}

impl ConfirmationTemplate {
    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        if raw.contains('\0') {
            return Err(TemplateError::NulCharacter);
        }
        if !raw.contains(TICKET_ID) {
            return Err(TemplateError::MissingTicketId);
        }
        // Leave room for the longest ticket id (19 digits) and business name in every placeholder.
        let longest = raw.chars().count()
            + raw.matches(TICKET_ID).count() * (19 - TICKET_ID.len())
            + raw.matches(BUSINESS_NAME).count() * (LONGEST_BUSINESS_NAME - BUSINESS_NAME.len());
        if longest > super::MAX_BODY_CHARS {
            return Err(TemplateError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn render(&self, ticket_id: TicketId, business_name: &str) -> String {
        self.0.replace(TICKET_ID, &ticket_id.to_string()).replace(BUSINESS_NAME, business_name)
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
    fn renders_every_placeholder() {
        let t = ConfirmationTemplate::parse("{business_name}: ticket {ticket_id} (ref {ticket_id})").unwrap();
        assert_eq!(t.render(TicketId(42), "Acme"), "Acme: ticket 42 (ref 42)");
    }

    #[test]
    fn a_template_without_the_ticket_id_is_refused() {
        assert_eq!(ConfirmationTemplate::parse("Thanks!"), Err(TemplateError::MissingTicketId));
        assert_eq!(ConfirmationTemplate::parse("Ticket {ticket_id}\0"), Err(TemplateError::NulCharacter));
    }
}
