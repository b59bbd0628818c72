//! The HTTP layer's error: a status, a stable machine-readable code and a human message, rendered as
//! `{"error": code, "message": text}`. Internal faults keep their cause for the log and show the client
//! only an opaque 500.

use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, error};
use serde::Serialize;

use crate::db::StoreError;

pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Only for 5xx: what really went wrong, logged and never shown.
    cause: Option<String>,
    /// For 429 and 503: when to try again, sent as `Retry-After` (whole seconds, at least 1).
    retry_after: Option<std::time::Duration>,
    /// The ticket the error is about, when the client needs it (e.g. the newer ticket a reopen ran into).
    ticket_id: Option<i64>,
    /// The request field the error is about, when it is about one, so a form can show it there.
    field: Option<&'static str>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket_id: Option<i64>,
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), cause: None, retry_after: None, ticket_id: None, field: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// An opaque 500; `cause` goes to the log only.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: "Something went wrong on our side. It has been logged.".into(),
            cause: Some(cause.to_string()),
            retry_after: None,
            ticket_id: None,
            field: None,
        }
    }

    /// Tells the client when to try again (`Retry-After`).
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The whole seconds `Retry-After` says: rounded up, at least 1.
    fn retry_after_seconds(&self) -> Option<u64> {
        self.retry_after.map(|wait| (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    }

    /// Names the ticket the error is about in the body (`ticket_id`).
    pub fn about_ticket(mut self, id: i64) -> Self {
        self.ticket_id = Some(id);
        self
    }

    /// Says which request field the error is about (`field` in the answer).
    pub fn for_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// The same error under a more specific stable code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(code = self.code, cause = %cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_seconds() {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(ErrorBody {
            error: self.code,
            message: &self.message,
            ticket_id: self.ticket_id,
            field: self.field,
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Self::internal(StoreError::from(e))
    }
}

// --- Extractor errors: actix's defaults answer in plain text; these keep every answer in our JSON shape.

pub fn json_error(err: error::JsonPayloadError, _req: &HttpRequest) -> error::Error {
    use error::JsonPayloadError as E;
    match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => payload_too_large(),
        E::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        E::Deserialize(e) if e.is_data() => ApiError::unprocessable("invalid_body", e.to_string()),
        E::Deserialize(e) => ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {e}")),
        other => ApiError::bad_request("malformed_body", other.to_string()),
    }
    .into()
}

pub fn query_error(err: error::QueryPayloadError, _req: &HttpRequest) -> error::Error {
    ApiError::bad_request("invalid_query", format!("Query string not understood: {err}")).into()
}

pub fn path_error(_err: error::PathError, req: &HttpRequest) -> error::Error {
    ApiError::not_found(format!("Nothing at {}.", req.path())).into()
}

pub fn payload_too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large.")
}

/// Last line of defence for errors raised outside our handlers (unknown method, a framework extractor):
/// any error answer that is not already JSON gets a JSON body named after its status.
pub fn render_plain_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON is ours already; HTML is a page we chose to show (the dashboard's "not built" notice). The
    // framework's own errors are plain text.
    let is_ours = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html"));
    if is_ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal_error",
        _ => "request_failed",
    };
    let message = status.canonical_reason().unwrap_or("Request failed");
    let body =
        serde_json::to_string(&ErrorBody { error: code, message, ticket_id: None, field: None }).unwrap_or_default();
    let (req, mut response) = res.into_parts();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let response = response.set_body(BoxBody::new(body));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}
