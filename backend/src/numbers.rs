//! Our numbers: the ones customers text and agents text from. Agents may send only from a number of ours,
//! or a conversation could go out under someone else's number through our gateway account.
//!
//! A number is ours when the configuration names it (`TWILIO_PHONE_NUMBER`, `MESSAGEBIRD_ORIGINATOR`), when
//! the settings do (the default sender, the admins' `sender_numbers`), or when a customer has texted us on it
//! (the gateway delivered it to us, so it is on our account).

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app_settings::RuntimeSettings;
use crate::db::schema::texted_numbers;
use crate::db::{AnyConnection, StoreError, now};
use crate::domain::PhoneNumber;
use crate::on_backend;

/// One of our numbers, for the dashboard's sender picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NumberOfOurs {
    #[schema(example = "+14155550100")]
    pub number: String,
    /// As people write it.
    #[schema(example = "+1 415-555-0100")]
    pub display: String,
    /// Conversations go out from it unless another is chosen.
    pub default: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("{0} is not one of our numbers")]
    Unknown(PhoneNumber),
    #[error("no number of ours was named, and no default sender number is set")]
    NoneGiven,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for SenderError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

/// The number an agent's new conversation goes out from: `asked` if it is ours, else the default sender.
pub fn sender_number(
    conn: &mut AnyConnection,
    settings: &RuntimeSettings,
    asked: Option<PhoneNumber>,
) -> Result<PhoneNumber, SenderError> {
    match asked {
        None => settings.default_sender.clone().ok_or(SenderError::NoneGiven),
        Some(number) if is_ours(conn, settings, &number)? => Ok(number),
        Some(number) => Err(SenderError::Unknown(number)),
    }
}

fn is_ours(conn: &mut AnyConnection, settings: &RuntimeSettings, number: &PhoneNumber) -> QueryResult<bool> {
    if settings.listed_numbers().contains(&number) {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(texted_numbers::table.find(number.as_str()))).get_result(conn)
}

/// Every number of ours: the listed ones in the settings' order, then the texted ones, oldest first.
pub fn numbers_of_ours(conn: &mut AnyConnection, settings: &RuntimeSettings) -> QueryResult<Vec<NumberOfOurs>> {
    let texted: Vec<String> =
        texted_numbers::table.order(texted_numbers::first_texted_at.asc()).select(texted_numbers::number).load(conn)?;
    let mut numbers: Vec<String> = settings.listed_numbers().into_iter().map(ToString::to_string).collect();
    for number in texted {
        if !numbers.contains(&number) {
            numbers.push(number);
        }
    }
    let default = settings.default_sender.as_ref().map(PhoneNumber::as_str);
    Ok(numbers
        .into_iter()
        .map(|number| NumberOfOurs {
            display: PhoneNumber::display(&number),
            default: Some(number.as_str()) == default,
            number,
        })
        .collect())
}

/// Records that a customer texted us on `number`, and gives the number its inbox; nothing if that is known
/// already. Runs in the transaction that stores the text, so they stand or fall together.
pub fn remember_texted_number(conn: &mut AnyConnection, number: &PhoneNumber) -> QueryResult<()> {
    let row = (texted_numbers::number.eq(number.as_str()), texted_numbers::first_texted_at.eq(now()));
    on_backend!(conn, |c| diesel::insert_into(texted_numbers::table).values(row).on_conflict_do_nothing().execute(c))?;
    crate::db::inboxes::ensure_inbox(conn, number.as_str(), &PhoneNumber::display(number.as_str()), now())
}

/// The numbers this process has seen stored in `texted_numbers`, so that a text on a known number costs no
/// extra statement: a desk has a handful of numbers and takes thousands of texts on each.
#[derive(Clone, Default)]
pub struct KnownTextedNumbers(Arc<RwLock<HashSet<PhoneNumber>>>);

impl KnownTextedNumbers {
    pub fn contains(&self, number: &PhoneNumber) -> bool {
        match self.0.read() {
            Ok(known) => known.contains(number),
            Err(poisoned) => poisoned.into_inner().contains(number),
        }
    }

    /// After the transaction that remembered `number` committed.
    pub fn insert(&self, number: PhoneNumber) {
        match self.0.write() {
            Ok(mut known) => known.insert(number),
            Err(poisoned) => poisoned.into_inner().insert(number),
        };
    }
}
