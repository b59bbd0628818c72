use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// 200 while the database answers; 503 when it does not.
#[utoipa::path(
    tag = "system",
    responses(
        (status = 200, description = "The server and its database are up", body = Health),
        (status = 503, description = "The database is not reachable", body = ErrorBody),
    )
)]
#[get("/healthz")]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.db.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(Health { status: "ok" })),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "The database is not reachable.",
            ))
        }
    }
}
