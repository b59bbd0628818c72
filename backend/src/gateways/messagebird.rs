use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{Accepted, OutgoingSms, SendError, retry_after};
use crate::config::{MessageBirdApiSettings, Secret};
use crate::domain::{DeliveryStatus, Provider};

/// MessageBird's SMS API (`POST /messages`).
pub struct MessageBirdGateway {
    client: reqwest::Client,
    messages_url: String,
    access_key: Secret,
    report_url: String,
}

#[derive(Deserialize)]
struct CreatedMessage {
    id: String,
}

#[derive(Deserialize)]
struct ApiErrors {
    errors: Vec<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<i64>,
    description: Option<String>,
}

/// MessageBird error codes about our account, not this message: 2 = access key refused, 25 = not
/// enough balance. Worth retrying once an admin has fixed them.
const RETRYABLE_CODES: &[i64] = &[2, 25];

impl MessageBirdGateway {
    pub fn new(client: reqwest::Client, api: &MessageBirdApiSettings, report_url: String) -> Self {
        Self {
            client,
            messages_url: format!("{}/messages", api.api_base.as_str().trim_end_matches('/')),
            access_key: api.access_key.clone(),
            report_url,
        }
    }

    pub async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, SendError> {
        let response = self
            .client
            .post(&self.messages_url)
            .header(reqwest::header::AUTHORIZATION, format!("AccessKey {}", self.access_key.expose()))
            .json(&json!({
                "originator": sms.from.digits(),
                "recipients": [sms.to.digits()],
                "body": sms.body,
                "reference": sms.message_id.to_string(),
                "reportUrl": self.report_url,
            }))
            .send()
            .await
            .map_err(|e| SendError::temporary(format!("could not reach MessageBird: {e}")))?;
        let status = response.status();
        if status.is_success() {
            let created: CreatedMessage = response
                .json()
                .await
                .map_err(|e| SendError::temporary(format!("unreadable answer from MessageBird: {e}")))?;
            return Ok(Accepted {
                provider: Provider::MessageBird,
                provider_message_id: created.id,
                status: DeliveryStatus::Sending,
            });
        }
        let wait = retry_after(&response);
        let first_error = response.json::<ApiErrors>().await.ok().and_then(|e| e.errors.into_iter().next());
        let code = first_error.as_ref().and_then(|e| e.code);
        let message = first_error
            .and_then(|e| e.description)
            .unwrap_or_else(|| format!("MessageBird answered HTTP {}", status.as_u16()));
        let retryable = status.is_server_error()
            || matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            || code.is_some_and(|c| RETRYABLE_CODES.contains(&c));
        if retryable {
            return Err(SendError::Temporary { message: format!("MessageBird: {message}"), retry_after: wait });
        }
        Err(SendError::Refused { code: code.map_or_else(|| status.as_u16().to_string(), |c| c.to_string()), message })
    }
}
