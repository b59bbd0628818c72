//! Values that are valid by construction: once a `PhoneNumber` or a `TicketStatus` exists, nobody
//! downstream checks it again.

mod body;
mod business_hours;
mod email;
mod ids;
mod inbound;
mod keyword;
mod password;
mod phone;
mod search;
mod segments;
mod status;
mod tag;
mod template;

pub use body::{MAX_BODY_CHARS, MessageBody, MessageBodyError};
pub use business_hours::{
    BusinessHours, BusinessHoursError, BusinessHoursInput, BusinessHoursView, DAY_NAMES, Opening, WeeklyView,
};
pub use email::{EmailAddress, EmailError};
pub use ids::{MessageId, TicketId, UserId};
pub use inbound::{MediaUrl, MediaUrlError, SmsText};
pub use keyword::OptKeyword;
pub use password::{Password, PasswordError, PasswordHash, password_matches};
pub use phone::{PhoneNumber, PhoneNumberError};
pub use search::SearchQuery;
pub use segments::{Encoding, SegmentCount, count_segments};
pub use status::{AssignmentPolicy, DeliveryStatus, Direction, EventKind, Provider, Role, TicketStatus, UnknownValue};
pub use tag::{Priority, TagColour, TagError, TagName};
pub use template::{
    AutoReplyTemplate, CONFIRMATION_PLACEHOLDERS, ConfirmationTemplate, HELP_PLACEHOLDERS, OUT_OF_OFFICE_PLACEHOLDERS,
    Placeholder, REPLY_PLACEHOLDERS, Template, TemplateError, Values,
};
