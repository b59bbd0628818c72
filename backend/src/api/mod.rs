//! The REST API for agents and admins, and its OpenAPI document.
//!
//! Every handler is registered through `utoipa_actix_web`, which collects its `#[utoipa::path]` as it wires
//! the route: the document at `/api/openapi.json` cannot list a route the server lacks, or miss one it has.

pub mod auth;
mod body;
mod client;
mod composer;
mod contacts;
mod errors;
pub mod etag;
mod export;
pub mod health;
mod inboxes;
mod me;
mod numbers;
mod people;
mod reports;
mod session;
mod simulator;
mod tagging;
mod tickets;
mod timeline;

pub use client::ClientAddress;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

/// Every error answer: a stable machine-readable code and a sentence for people.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "not_found")]
    pub error: String,
    #[schema(example = "There is no ticket 42.")]
    pub message: String,
    /// Only where the error is about another ticket: `newer_ticket_open` names the pair's newer unclosed
    /// ticket, which is where the conversation continues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<i64>,
    /// The request field the error is about, when it is about one (e.g. `confirmation_template`), so a form
    /// can show the message next to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "confirmation_template")]
    pub field: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "smsdesk",
        description = "An SMS help desk. Customers text; agents answer from here.\n\n\
            Authenticate with an API token (`Authorization: Bearer <token>`, created by an admin or with \
            `smsdesk tokens create`) or a browser session (`POST /api/session` sets the `smsdesk_session` \
            cookie; state-changing requests with the cookie must send the session's `X-CSRF-Token` header).\n\n\
            Errors are JSON: `{\"error\": \"<stable_code>\", \"message\": \"<text>\"}`.\n\n\
            Polling: list and thread responses carry a strong `ETag`; send it back in `If-None-Match` to get \
            `304 Not Modified` while nothing changed. `updated_since` (tickets) and `after` (messages) return \
            only what changed; merge by `id`, a change may be sent twice.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody)),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "tickets", description = "The queue, threads, replies and notes"),
        (name = "contacts", description = "What agents know about customers"),
        (name = "composer", description = "Starting conversations, canned replies, SMS segments"),
        (name = "reports", description = "Volume, first response, resolution, per agent and inbox"),
        (name = "admin", description = "People, API tokens and settings (admins only)"),
        (name = "webhooks", description = "Called by the SMS gateways"),
        (name = "system", description = "Probes and documentation")
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("smsdesk_…").build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "Set by POST /api/session. Unsafe methods also need the X-CSRF-Token header.",
            ))),
        );
    }
}

/// Finishes the document once every route's paths are in it (modifiers on [`ApiDoc`] run before that).
pub fn complete(document: &mut utoipa::openapi::OpenApi) {
    StandardErrors.modify(document);
    ResponseDescriptions.modify(document);
}

/// The error answers the framework gives every operation of a kind, whether or not its handler lists them:
/// JSON bodies can be malformed (400), too large (413), of another type (415) or invalid (422); query
/// strings can be malformed (400).
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let json_body = matches!(&operation.request_body, Some(RefOr::T(body)) if body.content.contains_key("application/json"));
                let query = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
                let mut statuses = Vec::new();
                if json_body {
                    statuses.extend(["400", "413", "415", "422"]);
                }
                if query {
                    statuses.push("400");
                }
                for status in statuses {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(describe_status(status))
                                .content(
                                    "application/json",
                                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                                )
                                .build(),
                        )
                    });
                }
            }
        }
    }
}

/// OpenAPI requires a description on every response; where a handler gives none, say what the status means
/// in this API.
struct ResponseDescriptions;

impl Modify for ResponseDescriptions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        response.description = describe_status(status).to_owned();
                    }
                }
            }
        }
    }
}

fn describe_status(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; nothing to return",
        "304" => "Not modified since the ETag sent in If-None-Match",
        "400" => "Malformed request: JSON, form, query string or cursor",
        "401" => "No valid session or API token",
        "403" => "Not allowed: admins only, a missing X-CSRF-Token, or a bad webhook signature",
        "404" => "No such resource",
        "409" => "Conflicts with the current state; see the error code",
        "413" => "The body is larger than 64 KiB",
        "415" => "The body must be JSON (Content-Type: application/json)",
        "422" => "Well-formed but invalid values; see the error code",
        "429" => "Too many attempts; see Retry-After",
        _ => "See the error code",
    }
}

/// Every API route (under `/api`), the webhooks and the probes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(crate::webhooks::twilio::receive_sms)
        .service(crate::webhooks::twilio::receive_status)
        .service(crate::webhooks::messagebird::receive_sms)
        .service(crate::webhooks::messagebird::receive_status_get)
        .service(crate::webhooks::messagebird::receive_status_post)
        .service(
            utoipa_actix_web::scope("/api")
                .service(session::sign_in)
                .service(session::sign_out)
                .service(session::me)
                .service(me::get_preferences)
                .service(me::update_my_preferences)
                .service(me::notifications)
                // Before `/tickets/{id}`, which would take "bulk" for an id.
                .service(tagging::bulk_update)
                .service(tickets::list_tickets)
                .service(tickets::ticket_counts)
                .service(tickets::get_ticket)
                .service(tickets::update_ticket)
                .service(tickets::list_messages)
                .service(tickets::post_message)
                .service(tickets::mark_read)
                .service(tickets::retry_message)
                .service(timeline::list_events)
                .service(contacts::list_contacts)
                .service(contacts::get_contact)
                .service(contacts::update_contact)
                .service(contacts::get_customer_by_number)
                .service(contacts::update_customer)
                .service(composer::start_conversation)
                .service(composer::list_canned_replies)
                .service(composer::create_canned_reply)
                .service(composer::update_canned_reply)
                .service(composer::delete_canned_reply)
                .service(composer::count_segments)
                .service(numbers::list_numbers)
                .service(people::team)
                .service(people::list_users)
                .service(people::create_user)
                .service(people::get_user)
                .service(people::update_user)
                .service(people::list_tokens)
                .service(people::create_token)
                .service(people::delete_token)
                .service(people::get_settings)
                .service(people::put_settings)
                .service(simulator::simulate_inbound_text)
                .service(export::export_tickets)
                .service(export::export_messages)
                .service(tagging::list_tags)
                .service(tagging::create_tag)
                .service(tagging::update_tag)
                .service(tagging::delete_tag)
                .service(inboxes::list_inboxes)
                .service(inboxes::create_inbox)
                .service(inboxes::update_inbox)
                .service(inboxes::delete_inbox)
                .service(inboxes::update_availability)
                .service(reports::summary)
                .service(reports::timeseries)
                .service(reports::agents)
                .service(reports::inboxes),
        );
}
