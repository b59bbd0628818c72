//! `GET /api/numbers`: the numbers of ours agents may send from.

use actix_web::{HttpResponse, get, web};

use super::ErrorBody;
use super::auth::Authenticated;
use crate::db::StoreError;
use crate::error::ApiError;
use crate::numbers::{NumberOfOurs, numbers_of_ours};
use crate::state::AppState;

/// Our numbers: the default sender first, then the configured ones, the admins' `sender_numbers` and the
/// numbers customers have texted us on. New conversations may go out from these only.
#[utoipa::path(
    tag = "composer",
    responses((status = 200, body = Vec<NumberOfOurs>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session" = []))
)]
#[get("/numbers")]
pub async fn list_numbers(_: Authenticated, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let settings = state.settings.get();
    let numbers = state.db.read(move |conn| numbers_of_ours(conn, &settings).map_err(StoreError::from)).await?;
    Ok(HttpResponse::Ok().json(numbers))
}
