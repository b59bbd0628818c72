use reqwest::StatusCode;
use serde::Deserialize;

use super::{Accepted, OutgoingSms, SendError, retry_after};
use crate::config::{Secret, TwilioApiSettings};
use crate::domain::{DeliveryStatus, Provider};

/// Twilio's Programmable Messaging API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).
pub struct TwilioGateway {
    client: reqwest::Client,
    messages_url: String,
    account_sid: String,
    auth_token: Secret,
    status_callback: String,
}

#[derive(Deserialize)]
struct CreatedMessage {
    sid: String,
    status: String,
    error_code: Option<i64>,
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

/// Twilio error codes that are about our account or rate, not this message: retry them.
const RETRYABLE_CODES: &[i64] = &[20003, 20005, 20429, 20500, 20503];

impl TwilioGateway {
    pub fn new(client: reqwest::Client, api: &TwilioApiSettings, status_callback: String) -> Self {
        let base = api.api_base.as_str().trim_end_matches('/');
        Self {
            client,
            messages_url: format!("{base}/2010-04-01/Accounts/{}/Messages.json", api.account_sid),
            account_sid: api.account_sid.clone(),
            auth_token: api.auth_token.clone(),
            status_callback,
        }
    }

    pub async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SendError> {
        let response = self
            .client
            .post(&self.messages_url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(&[
                ("To", sms.to.as_str()),
                ("From", sms.from.as_str()),
                ("Body", sms.body.as_str()),
                ("StatusCallback", self.status_callback.as_str()),
            ])
            .send()
            .await
            .map_err(|e| SendError::temporary(format!("could not reach Twilio: {e}")))?;
        let status = response.status();
        if status.is_success() {
            let created: CreatedMessage = response
                .json()
                .await
                .map_err(|e| SendError::temporary(format!("unreadable answer from Twilio: {e}")))?;
            return match DeliveryStatus::from_twilio(&created.status) {
                Some(DeliveryStatus::Failed | DeliveryStatus::Undelivered) => Err(SendError::Refused {
                    code: created.error_code.map(|c| c.to_string()).unwrap_or_else(|| created.status.clone()),
                    message: created.error_message.unwrap_or_else(|| format!("Twilio reported {}", created.status)),
                }),
                mapped => Ok(Accepted {
                    provider: Provider::Twilio,
                    provider_message_id: created.sid,
                    status: mapped.unwrap_or(DeliveryStatus::Sending),
                }),
            };
        }
        let wait = retry_after(&response);
        let error: Option<ApiError> = response.json().await.ok();
        let code = error.as_ref().and_then(|e| e.code);
        let message =
            error.and_then(|e| e.message).unwrap_or_else(|| format!("Twilio answered HTTP {}", status.as_u16()));
        if is_retryable(status, code) {
            return Err(SendError::Temporary { message: format!("Twilio: {message}"), retry_after: wait });
        }
        Err(SendError::Refused { code: code.map_or_else(|| status.as_u16().to_string(), |c| c.to_string()), message })
    }
}

fn is_retryable(status: StatusCode, code: Option<i64>) -> bool {
    status.is_server_error()
        || matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS
                | StatusCode::UNAUTHORIZED
                | StatusCode::FORBIDDEN
                | StatusCode::NOT_FOUND
                | StatusCode::REQUEST_TIMEOUT
        )
        || code.is_some_and(|c| RETRYABLE_CODES.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_of_the_message_are_final_but_account_and_rate_problems_are_retried() {
        assert!(!is_retryable(StatusCode::BAD_REQUEST, Some(21211)));
        assert!(!is_retryable(StatusCode::BAD_REQUEST, Some(21610)));
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS, Some(20429)));
        assert!(is_retryable(StatusCode::BAD_REQUEST, Some(20429)));
        assert!(is_retryable(StatusCode::UNAUTHORIZED, Some(20003)));
        assert!(is_retryable(StatusCode::SERVICE_UNAVAILABLE, None));
    }
}
