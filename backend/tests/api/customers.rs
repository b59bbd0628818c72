//! The customer panel and the Contacts page: one customer's name, notes, opt-outs per number of ours and
//! tickets, by contact id and by phone number (also for a number whose tickets have no contact yet), edits,
//! search and paging.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use smsdesk::domain::Role;

use crate::helpers::*;

const CUSTOMER_PATH: &str = "/api/contacts/by-number/%2B14155550123";

async fn only_ticket(app: &TestClient, customer: &str, channel: &str) -> Value {
    let query = format!("/api/tickets?status=open,pending&customer_number={}", urlencode(customer));
    let list = app.get(&query).await.body["tickets"].as_array().unwrap().clone();
    let mine: Vec<Value> = list.into_iter().filter(|t| t["channel_number"] == channel).collect();
    assert_eq!(mine.len(), 1, "one unclosed ticket of {customer} on {channel}: {mine:?}");
    mine[0].clone()
}

fn ticket_ids(customer: &Value) -> Vec<i64> {
    customer["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

fn numbers(answer: &Answer) -> Vec<String> {
    answer.body["contacts"].as_array().unwrap().iter().map(|c| c["phone_number"].as_str().unwrap().to_owned()).collect()
}

pub async fn the_panel_shows_every_ticket_on_any_number_of_ours_and_opt_outs_per_number(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text_with_sid(CUSTOMER, OUR_NUMBER, "My order is late", &new_sid()).await;
    let first = only_ticket(&app, CUSTOMER, OUR_NUMBER).await;
    let first_id = first["id"].as_i64().unwrap();
    app.patch_json(&format!("/api/tickets/{first_id}"), json!({"status": "closed"})).await;
    app.text_with_sid(CUSTOMER, OTHER_NUMBER_OF_OURS, "Is this the shop?", &new_sid()).await;
    let second_id = only_ticket(&app, CUSTOMER, OTHER_NUMBER_OF_OURS).await["id"].as_i64().unwrap();
    app.text_with_sid(CUSTOMER, OTHER_NUMBER_OF_OURS, "STOP", &new_sid()).await;
    app.text_with_sid(CUSTOMER, OUR_NUMBER, "Me again", &new_sid()).await;
    let latest = only_ticket(&app, CUSTOMER, OUR_NUMBER).await;
    let latest_id = latest["id"].as_i64().unwrap();
    // Someone else's tickets are not theirs.
    app.text("+14155550124", "hello").await;

    let contact_id = latest["contact"]["id"].as_i64().unwrap();
    let agent = new_token(&app.db, Role::Agent).await;
    let by_id = app.get_as(&format!("/api/contacts/{contact_id}"), &agent).await;
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    let customer = &by_id.body;
    assert_eq!(customer["id"], contact_id);
    assert_eq!(customer["phone_number"], CUSTOMER);
    assert_eq!(customer["phone_number_display"], "+1 415-555-0123");
    assert_eq!(ticket_ids(customer), [latest_id, second_id, first_id], "newest first, on both numbers");
    let tickets = customer["tickets"].as_array().unwrap();
    assert_eq!(
        tickets
            .iter()
            .map(|t| (t["status"].as_str().unwrap(), t["channel_number"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        [("open", OUR_NUMBER), ("open", OTHER_NUMBER_OF_OURS), ("closed", OUR_NUMBER)]
    );
    assert_eq!(tickets[0]["preview"], "Me again");
    assert_eq!(tickets[0]["created_at"], latest["created_at"]);
    assert!(tickets[0]["last_message_at"].is_string());
    assert_eq!(customer["more_tickets"], false);

    let numbers = customer["numbers"].as_array().unwrap();
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    let ours = numbers.iter().find(|n| n["channel_number"] == OUR_NUMBER).unwrap();
    let other = numbers.iter().find(|n| n["channel_number"] == OTHER_NUMBER_OF_OURS).unwrap();
    assert_eq!(ours["opted_out_at"], Value::Null, "they can be texted from our main number");
    assert!(other["opted_out_at"].is_string(), "they opted out of the other: {other}");
    assert_eq!(customer["opted_out"], true);

    let first_seen = customer["first_seen_at"].as_str().unwrap();
    assert!(first_seen <= first["created_at"].as_str().unwrap(), "{first_seen} after the first ticket");
    assert!(first_seen.ends_with('Z'), "UTC: {first_seen}");

    // By number, with the `+` escaped or not, the same answer.
    assert_eq!(&app.get(CUSTOMER_PATH).await.body, customer);
    assert_eq!(&app.get("/api/contacts/by-number/+14155550123").await.body, customer);
}

pub async fn a_customer_without_a_contact_gets_one_on_their_first_edit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "Hi, I ordered before you had contacts").await;
    let ticket_id = only_ticket(&app, CUSTOMER, OUR_NUMBER).await["id"].as_i64().unwrap();
    // As a ticket from before contacts existed: no contact row, no link.
    app.db
        .write(|conn| -> Result<(), smsdesk::db::StoreError> {
            use diesel::prelude::*;
            use smsdesk::db::schema::{contacts, tickets};
            diesel::update(tickets::table).set(tickets::contact_id.eq(None::<i64>)).execute(conn)?;
            diesel::delete(contacts::table).execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    let before = app.get(CUSTOMER_PATH).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(
        (&before.body["id"], &before.body["name"], &before.body["notes"]),
        (&Value::Null, &Value::Null, &json!(""))
    );
    assert_eq!(ticket_ids(&before.body), [ticket_id]);
    assert_eq!(before.body["created_at"], Value::Null);

    let noted = app.patch_json(CUSTOMER_PATH, json!({"notes": "Prefers a call after 5 pm"})).await;
    assert_eq!(noted.status, 200, "{}", noted.text);
    let id = noted.body["id"].as_i64().unwrap();
    assert_eq!(noted.body["notes"], "Prefers a call after 5 pm");
    assert_eq!(app.get(&format!("/api/tickets/{ticket_id}")).await.body["contact"]["id"], id, "the ticket is linked");

    let renamed = app.patch_json(&format!("/api/contacts/{id}"), json!({"name": "  Dana Li "})).await;
    assert_eq!(renamed.body["name"], "Dana Li");
    let after = app.get(CUSTOMER_PATH).await.body;
    assert_eq!(
        (&after["id"], &after["name"], &after["notes"]),
        (&json!(id), &json!("Dana Li"), &json!("Prefers a call after 5 pm"))
    );
    assert!(after["first_seen_at"].as_str().unwrap() <= after["tickets"][0]["created_at"].as_str().unwrap());
    // A second edit by number changes the same contact.
    let again = app.patch_json(CUSTOMER_PATH, json!({"name": null})).await;
    assert_eq!((&again.body["id"], &again.body["name"]), (&json!(id), &Value::Null));
    assert_eq!(app.get("/api/contacts").await.body["contacts"].as_array().unwrap().len(), 1);
}

pub async fn customer_edits_and_lookups_refuse_bad_input_unknown_customers_and_strangers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.text(CUSTOMER, "hello").await;
    let contact = only_ticket(&app, CUSTOMER, OUR_NUMBER).await["contact"]["id"].as_i64().unwrap();

    for path in ["/api/contacts", &format!("/api/contacts/{contact}"), CUSTOMER_PATH] {
        let anonymous = app.client.get(app.url(path)).send().await.unwrap();
        Answer::from_response(anonymous).await.assert_error(401, "unauthorized");
    }
    let anonymous = app.client.patch(app.url(CUSTOMER_PATH)).json(&json!({"name": "Eve"})).send().await.unwrap();
    Answer::from_response(anonymous).await.assert_error(401, "unauthorized");

    app.get("/api/contacts/999999").await.assert_error(404, "not_found");
    let stranger = "/api/contacts/by-number/%2B14155550999";
    app.get(stranger).await.assert_error(404, "not_found");
    app.patch_json(stranger, json!({"name": "Nobody"})).await.assert_error(404, "not_found");
    app.patch_json("/api/contacts/999999", json!({"name": "Nobody"})).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/contacts").await.body["contacts"].as_array().unwrap().len(), 1, "no contact was made");

    app.get("/api/contacts/by-number/12").await.assert_error(422, "invalid_phone_number");
    app.get("/api/contacts/by-number/call-me").await.assert_error(422, "invalid_phone_number");
    app.patch_json("/api/contacts/by-number/12", json!({"name": "x"})).await.assert_error(422, "invalid_phone_number");
    app.patch_json(CUSTOMER_PATH, json!({"name": "x".repeat(101)})).await.assert_error(422, "invalid_name");
    app.patch_json(CUSTOMER_PATH, json!({"notes": "x".repeat(5001)})).await.assert_error(422, "invalid_notes");
    app.patch_json(CUSTOMER_PATH, json!({"phone_number": "+14155550124"})).await.assert_error(422, "invalid_body");
    app.patch_json(CUSTOMER_PATH, json!({"notes": 7})).await.assert_error(422, "invalid_body");
    app.get("/api/contacts?limit=0").await.assert_error(422, "invalid_limit");
    let unchanged = app.get(CUSTOMER_PATH).await.body;
    assert_eq!((&unchanged["name"], &unchanged["notes"]), (&Value::Null, &json!("")), "refused edits change nothing");
}

pub async fn contacts_are_found_by_name_number_or_notes_and_paged(backend: Backend) {
    let app = spawn_app(backend).await;
    for number in ["+14155551301", "+14155551302", "+14155551303"] {
        app.text(number, "hello").await;
    }
    app.patch_json("/api/contacts/by-number/%2B14155551301", json!({"name": "Priya Natarajan"})).await;
    app.patch_json(
        "/api/contacts/by-number/%2B14155551302",
        json!({"notes": "Allergic to PEANUTS; wholesale account"}),
    )
    .await;

    assert_eq!(numbers(&app.get("/api/contacts?q=natara").await), ["+14155551301"], "by part of the name");
    assert_eq!(numbers(&app.get("/api/contacts?q=peanuts").await), ["+14155551302"], "by the notes, any case");
    assert_eq!(numbers(&app.get("/api/contacts?q=wholesale%20acc").await), ["+14155551302"]);
    assert_eq!(numbers(&app.get("/api/contacts?q=%28415%29%20555-1303").await), ["+14155551303"], "by number as typed");
    assert_eq!(numbers(&app.get("/api/contacts?q=100%25").await), Vec::<String>::new(), "% is no wildcard");
    assert_eq!(numbers(&app.get("/api/contacts?q=nobody").await), Vec::<String>::new());

    let page = app.get("/api/contacts?limit=2").await;
    assert_eq!(numbers(&page), ["+14155551301", "+14155551302"]);
    let next = page.body["next_cursor"].as_i64().unwrap();
    let rest = app.get(&format!("/api/contacts?limit=2&cursor={next}")).await;
    assert_eq!(numbers(&rest), ["+14155551303"]);
    assert_eq!(rest.body["next_cursor"], Value::Null);
}
