//! What every request and response goes through, whatever its route.

mod body_deadline;
mod request_log;
mod security_headers;

pub use body_deadline::BodyDeadline;
pub use request_log::{REQUEST_ID_HEADER, RequestId, RequestLog, UNMATCHED_ROUTE};
pub use security_headers::SecurityHeaders;
