//! `/api/export/…`: the queue's tickets and their messages as CSV, for admins (see `crate::export`).

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ErrorBody;
use super::auth::Admin;
use super::tickets::ListQuery;
use crate::error::ApiError;
use crate::export::{CreatedRange, CsvBody, created_range, messages_csv, tickets_csv};
use crate::state::AppState;
use crate::tickets::TicketFilter;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only rows created at or after this: an RFC 3339 time, or a date (`2026-12-01`: from 00:00 UTC).
    #[param(example = "2026-12-01")]
    from: Option<String>,
    /// Only rows created up to this: an RFC 3339 time (included), or a date (`2026-12-07`: the whole day, UTC).
    #[param(example = "2026-12-07")]
    to: Option<String>,
}

/// The queue's paging, which an export has none of: a client that sends it expects a page and would get
/// everything, so it is refused (422 `export_not_paged`) rather than ignored.
#[derive(Deserialize)]
pub struct Paging {
    cursor: Option<String>,
    limit: Option<String>,
}

/// What both exports read from the query string: the queue's filters, as `GET /api/tickets` reads them (so
/// `assignee=me` is the admin exporting), and the date range.
fn parse(
    admin: &Admin,
    filters: web::Query<ListQuery>,
    range: web::Query<ExportQuery>,
    paging: web::Query<Paging>,
) -> Result<(TicketFilter, CreatedRange), ApiError> {
    if paging.cursor.is_some() || paging.limit.is_some() {
        return Err(ApiError::unprocessable(
            "export_not_paged",
            "An export has every matching row: leave out cursor and limit.",
        ));
    }
    let filter = filters.into_inner().parse(admin.0.user_id)?;
    let ExportQuery { from, to } = range.into_inner();
    Ok((filter, created_range(from.as_deref(), to.as_deref())?))
}

/// `200 text/csv`, named for download as `<what>-<today>.csv`.
fn csv_answer(what: &str, body: CsvBody) -> HttpResponse {
    let filename = format!("{what}-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename)],
        })
        // Customers' numbers and words: nothing for a shared cache to keep.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// Every ticket the queue's filters match (with `from`/`to` on when it was opened), by id, as CSV: `id`,
/// `status`, `customer_number`, `contact_name`, `our_number`, `assignee_email`, `assignee_name`,
/// `created_at`, `updated_at`, `closed_at`, `message_count`, `last_message_at`, `opted_out`, `inbox`,
/// `priority`, `tags` (names, `, `-separated), `waiting_since`. Streamed: an
/// error after the first rows cuts the download short rather than changing the status.
#[utoipa::path(
    tag = "admin",
    params(ListQuery, ExportQuery),
    responses(
        (status = 200, description = "The CSV, with a header line", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "attachment; filename=\"tickets-<date>.csv\""))),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/export/tickets.csv")]
pub async fn export_tickets(
    admin: Admin,
    filters: web::Query<ListQuery>,
    range: web::Query<ExportQuery>,
    paging: web::Query<Paging>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (filter, created) = parse(&admin, filters, range, paging)?;
    Ok(csv_answer("tickets", tickets_csv(state.db.clone(), filter, created).await?))
}

/// Every message (texts both ways, automatic messages and internal notes) of the tickets the queue's
/// filters match, with `from`/`to` on when the message was written, by ticket and then by message, as CSV:
/// `id`, `ticket_id`, `created_at`, `direction`, `kind` (`customer`, `agent`, `automatic`, `note`), `author`,
/// `author_email`, `body`, `delivery_status`, `customer_number`, `our_number`. Streamed as the tickets are.
#[utoipa::path(
    tag = "admin",
    params(ListQuery, ExportQuery),
    responses(
        (status = 200, description = "The CSV, with a header line", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "attachment; filename=\"messages-<date>.csv\""))),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
#[get("/export/messages.csv")]
pub async fn export_messages(
    admin: Admin,
    filters: web::Query<ListQuery>,
    range: web::Query<ExportQuery>,
    paging: web::Query<Paging>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (filter, created) = parse(&admin, filters, range, paging)?;
    Ok(csv_answer("messages", messages_csv(state.db.clone(), filter, created).await?))
}
