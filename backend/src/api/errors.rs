//! How each domain error answers over HTTP: its status and stable code.

use crate::accounts::AccountError;
use crate::app_settings::SettingsError;
use crate::canned::CannedReplyError;
use crate::contacts::ContactError;
use crate::domain::{MessageBodyError, PasswordError, PhoneNumberError};
use crate::error::ApiError;
use crate::tickets::{StartConversationError, TicketError};

impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::TicketNotFound => ApiError::not_found("There is no such ticket."),
            TicketError::MessageNotFound => ApiError::not_found("There is no such message."),
            TicketError::TicketClosed => ApiError::conflict("ticket_closed", e.to_string()),
            TicketError::RecipientOptedOut => ApiError::conflict("recipient_opted_out", e.to_string()),
            TicketError::InvalidAssignee => ApiError::unprocessable("invalid_assignee", e.to_string()),
            TicketError::NotRetryable => ApiError::conflict("not_retryable", e.to_string()),
            TicketError::Store(e) => e.into(),
        }
    }
}

impl From<StartConversationError> for ApiError {
    fn from(e: StartConversationError) -> Self {
        match e {
            StartConversationError::RecipientOptedOut => ApiError::conflict("recipient_opted_out", e.to_string()),
            StartConversationError::Store(e) => e.into(),
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
            CannedReplyError::Store(e) => e.into(),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid { .. } => ApiError::unprocessable("invalid_setting", e.to_string()),
            SettingsError::Store(e) => e.into(),
        }
    }
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
