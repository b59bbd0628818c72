//! What every request and response goes through, whatever its route.

mod body_deadline;
mod security_headers;

pub use body_deadline::BodyDeadline;
pub use security_headers::SecurityHeaders;
