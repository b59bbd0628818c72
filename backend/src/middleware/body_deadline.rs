//! A request's body must arrive within a bounded time. actix-web bounds the wait for a request's headers,
//! not for its body: a client that sends `Content-Length: 60000` and then trickles or stalls held its
//! connection (and a handler waiting on the body) forever; 500 such connections were all still open after
//! 20 s. Here the body is read through a stream that fails once the deadline passes, and the answer is a
//! 408 that closes the connection.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_core::Stream;

use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    /// From the moment the headers are in.
    pub timeout: Duration,
}

impl BodyDeadline {
    pub async fn apply(
        self,
        mut req: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
        if !has_body(&req) {
            return next.call(req).await.map(ServiceResponse::map_into_left_body);
        }
        let timed_out = Rc::new(Cell::new(false));
        let body = DeadlineBody {
            body: req.take_payload(),
            deadline: Box::pin(tokio::time::sleep(self.timeout)),
            timed_out: timed_out.clone(),
        };
        req.set_payload(Payload::from(Box::pin(body) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>));
        let answered = next.call(req).await;
        if !timed_out.get() {
            return answered.map(ServiceResponse::map_into_left_body);
        }
        let seconds = self.timeout.as_secs();
        let too_slow = ApiError::new(
            actix_web::http::StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("The request body did not arrive within {seconds} s."),
        );
        // Whatever the handler made of its cut-off body is replaced. (The request is taken back from the
        // answer: a copy kept across the call would stop the router from matching it.)
        let request = match answered {
            Ok(answer) => answer.into_parts().0,
            Err(_) => return Err(too_slow.into()),
        };
        // The route's pattern, not the path: a path can hold a phone number.
        let route = request.match_pattern();
        tracing::info!(
            timeout_s = seconds,
            route = route.as_deref().unwrap_or(super::UNMATCHED_ROUTE),
            "request body too slow; closing the connection"
        );
        let mut response: HttpResponse = too_slow.error_response();
        response.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
        Ok(ServiceResponse::new(request, response).map_into_right_body())
    }
}

/// Whether the request says a body follows: a non-zero `Content-Length`, or chunked transfer encoding.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    length.is_some_and(|n| n > 0) || headers.contains_key(header::TRANSFER_ENCODING)
}

/// The request's body, failing with a timeout once `deadline` has passed.
struct DeadlineBody {
    body: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timed_out: Rc<Cell<bool>>,
}

impl Stream for DeadlineBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(chunk) = Pin::new(&mut self.body).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.timed_out.set(true);
            let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body arrived too slowly");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}
