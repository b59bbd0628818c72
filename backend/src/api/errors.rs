//! How each domain error answers over HTTP: its status and stable code.

use crate::accounts::{AccountError, PasswordWorkError, SignInError};
use crate::app_settings::SettingsError;
use crate::canned::CannedReplyError;
use crate::contacts::ContactError;
use crate::domain::{MessageBodyError, PasswordError, PhoneNumberError, TemplateError};
use actix_web::http::StatusCode;

use crate::error::ApiError;
use crate::numbers::SenderError;
use crate::tickets::{StartConversationError, TicketError};

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::TicketNotFound => ApiError::not_found("There is no such ticket."),
            TicketError::MessageNotFound => ApiError::not_found("There is no such message."),
            TicketError::TicketClosed => {
                ApiError::conflict("ticket_closed", "The ticket is closed. Reopen it to reply.")
            }
            TicketError::NewerTicketOpen(newer) => ApiError::conflict(
                "newer_ticket_open",
                format!("The customer's conversation continues in ticket {newer}, which is not closed; reply there."),
            )
            .about_ticket(newer.0),
            TicketError::ReopenRaced => ApiError::internal(e),
            TicketError::RecipientOptedOut => ApiError::conflict("recipient_opted_out", e.to_string()),
            TicketError::InvalidAssignee => ApiError::unprocessable("invalid_assignee", e.to_string()),
            TicketError::UnknownTag(_) => ApiError::unprocessable("unknown_tag", e.to_string()),
            TicketError::NotRetryable => ApiError::conflict("not_retryable", e.to_string()),
            TicketError::Store(e) => e.into(),
        }
    }
}

impl From<StartConversationError> for ApiError {
    fn from(e: StartConversationError) -> Self {
        match e {
            StartConversationError::RecipientOptedOut => ApiError::conflict("recipient_opted_out", e.to_string()),
            StartConversationError::Sender(e) => e.into(),
            StartConversationError::Store(e) => e.into(),
        }
    }
}

impl From<SenderError> for ApiError {
    fn from(e: SenderError) -> Self {
        match e {
            SenderError::Unknown(number) => ApiError::unprocessable(
                "unknown_sender_number",
                format!(
                    "{number} is not one of our numbers. Choose one of ours (GET /api/numbers), or ask an admin \
                     to add it under Settings → Our numbers."
                ),
            ),
            SenderError::NoneGiven => ApiError::unprocessable(
                "no_sender_number",
                "Choose which of our numbers to send from, or ask an admin to set a default sender number.",
            ),
            SenderError::Store(e) => e.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken(_) => ApiError::conflict("email_taken", e.to_string()),
            AccountError::NotFound => ApiError::not_found("There is no such user."),
            AccountError::LastAdmin => ApiError::conflict("last_admin", e.to_string()),
            AccountError::InvalidName => ApiError::unprocessable("invalid_name", e.to_string()),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> Self {
        match e {
            ContactError::NotFound => ApiError::not_found("There is no such contact."),
            ContactError::NameTooLong => ApiError::unprocessable("invalid_name", e.to_string()),
            ContactError::NotesTooLong => ApiError::unprocessable("invalid_notes", e.to_string()),
            ContactError::Store(e) => e.into(),
        }
    }
}

impl From<CannedReplyError> for ApiError {
    fn from(e: CannedReplyError) -> Self {
        match e {
            CannedReplyError::NotFound => ApiError::not_found("There is no such canned reply."),
            CannedReplyError::InvalidTitle => ApiError::unprocessable("invalid_title", e.to_string()),
            CannedReplyError::InvalidBody => ApiError::unprocessable("invalid_body", e.to_string()),
            CannedReplyError::Template(e) => template_error(e).for_field("body"),
            CannedReplyError::Store(e) => e.into(),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid { field, .. } => {
                ApiError::unprocessable("invalid_setting", e.to_string()).for_field(field)
            }
            SettingsError::Template { field, error } => template_error(error).for_field(field),
            SettingsError::Store(e) => e.into(),
            SettingsError::BusinessHours(e) => {
                ApiError::unprocessable(e.code(), e.to_string()).for_field("business_hours")
            }
        }
    }
}

/// A template refused by the template engine: the message names what to change.
fn template_error(e: TemplateError) -> ApiError {
    let code = match e {
        TemplateError::UnknownPlaceholder { .. } => "unknown_placeholder",
        TemplateError::NotAllowed { .. } => "placeholder_not_allowed",
        TemplateError::Unclosed { .. } => "unclosed_brace",
        TemplateError::MissingTicketId | TemplateError::TooLong | TemplateError::NulCharacter => "invalid_template",
    };
    ApiError::unprocessable(code, e.to_string())
}

impl From<MessageBodyError> for ApiError {
    fn from(e: MessageBodyError) -> Self {
        match e {
            MessageBodyError::Empty => ApiError::unprocessable("empty_body", e.to_string()),
            MessageBodyError::TooLong(_) => ApiError::unprocessable("body_too_long", e.to_string()),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        ApiError::unprocessable("invalid_password", e.to_string())
    }
}

impl From<PhoneNumberError> for ApiError {
    fn from(e: PhoneNumberError) -> Self {
        ApiError::unprocessable("invalid_phone_number", e.to_string())
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::WrongCredentials => {
                ApiError::unauthorized("Wrong email or password.").with_code("invalid_credentials")
            }
            SignInError::Deactivated => {
                ApiError::forbidden("account_deactivated", "This account is deactivated. Ask an admin.")
            }
            SignInError::Throttled(wait) => {
                let seconds = wait.as_secs_f64().ceil().max(1.0);
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("Too many failed sign-ins. Try again in {seconds} s."),
                )
                .retry_after(wait)
            }
            SignInError::Busy => PasswordWorkError::Busy.into(),
            SignInError::Store(e) => e.into(),
            SignInError::Failed(cause) => ApiError::internal(cause),
        }
    }
}

impl From<PasswordWorkError> for ApiError {
    fn from(e: PasswordWorkError) -> Self {
        match e {
            PasswordWorkError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "Too many passwords are being checked right now. Try again in a moment.",
            )
            .retry_after(std::time::Duration::from_secs(1)),
            PasswordWorkError::Failed(cause) => ApiError::internal(cause),
        }
    }
}

impl From<crate::export::RangeError> for ApiError {
    fn from(e: crate::export::RangeError) -> Self {
        use crate::export::RangeError;
        match e {
            RangeError::InvalidFrom => ApiError::unprocessable("invalid_date", e.to_string()).for_field("from"),
            RangeError::InvalidTo => ApiError::unprocessable("invalid_date", e.to_string()).for_field("to"),
            RangeError::Reversed => ApiError::unprocessable("invalid_date_range", e.to_string()).for_field("from"),
        }
    }
}

impl From<crate::export::ExportError> for ApiError {
    fn from(e: crate::export::ExportError) -> Self {
        match e {
            crate::export::ExportError::Store(e) => e.into(),
            e @ crate::export::ExportError::Csv(_) => ApiError::internal(e),
        }
    }
}

impl From<crate::reports::ReportError> for ApiError {
    fn from(e: crate::reports::ReportError) -> Self {
        use crate::reports::{PeriodError, ReportError};
        match e {
            ReportError::Period(PeriodError::Invalid(_)) => ApiError::unprocessable("invalid_period", e.to_string()),
            ReportError::Period(PeriodError::UnknownTimezone(_)) => {
                ApiError::unprocessable("invalid_timezone", e.to_string()).for_field("tz")
            }
            ReportError::Period(PeriodError::UnknownBucket(_)) => {
                ApiError::unprocessable("invalid_bucket", e.to_string()).for_field("bucket")
            }
            ReportError::Period(PeriodError::TooManyPoints { .. }) => {
                ApiError::unprocessable("too_many_points", e.to_string())
            }
            ReportError::InvalidMetric(_) => {
                ApiError::unprocessable("invalid_metric", e.to_string()).for_field("metric")
            }
            ReportError::InvalidInbox(_) => ApiError::unprocessable("invalid_inbox", e.to_string()).for_field("inbox"),
            ReportError::Forbidden => ApiError::forbidden("forbidden", e.to_string()),
            ReportError::Store(e) => e.into(),
        }
    }
}
