//! The probes: `/healthz` (the process is alive) and `/readyz` (it can serve: the database answers and its
//! schema is the one this binary was built for).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::ApiError;
use crate::state::AppState;

/// How long the database may take to answer before the server counts as not ready.
const READY_WITHIN: Duration = Duration::from_secs(1);

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// 200 while the process runs. It does not touch the database: a slow database is a reason to send no
/// traffic here (`/readyz`), not to restart the process.
#[utoipa::path(
    tag = "system",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/healthz")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// 200 when the database answered within 1 s and has exactly the migrations this binary carries; 503 with
/// a code saying why not: `database_unavailable`, `database_timeout`, `schema_behind` (migrations not yet
/// applied) or `schema_unknown` (a newer smsdesk migrated the database).
#[utoipa::path(
    tag = "system",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "Not ready: the database is unreachable or slow, or its schema is not this \
            version's; see the error code", body = ErrorBody),
    )
)]
#[get("/readyz")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let status = match tokio::time::timeout(READY_WITHIN, state.db.schema_status()).await {
        Err(_) => {
            tracing::warn!(within_ms = READY_WITHIN.as_millis() as u64, "readiness: the database did not answer");
            return Err(not_ready("database_timeout", "The database did not answer within 1 s."));
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database is unreachable");
            return Err(not_ready("database_unavailable", "The database is not reachable."));
        }
        Ok(Ok(status)) => status,
    };
    if !status.unknown.is_empty() {
        return Err(not_ready(
            "schema_unknown",
            format!(
                "The database has migrations this version does not know ({}): a newer smsdesk migrated it.",
                status.unknown.join(", ")
            ),
        ));
    }
    if !status.pending.is_empty() {
        return Err(not_ready(
            "schema_behind",
            format!("The database lacks this version's migrations: {}.", status.pending.join(", ")),
        ));
    }
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

fn not_ready(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
}
