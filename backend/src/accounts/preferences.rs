//! Each agent's own choices: which browser notifications they want, a sound, compact queue rows. Stored on
//! the server so they follow the agent from browser to browser; kept as a JSON object so the dashboard can
//! add a choice without a migration (a missing key takes its default, an unknown one is dropped).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::user_preferences;
use crate::db::{AnyConnection, now};
use crate::domain::UserId;

/// An agent's choices. Notifications are opt-in: nothing is shown until the agent turns them on (and the
/// browser grants permission); then each kind can be turned off on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Preferences {
    /// Browser notifications at all (the dashboard asks the browser's permission when it is turned on).
    pub notifications: bool,
    /// A new ticket in Unassigned.
    pub notify_new_unassigned: bool,
    /// A new customer text on a ticket assigned to me.
    pub notify_assigned_texts: bool,
    /// A reply on one of my tickets failed or went undelivered.
    pub notify_failed_deliveries: bool,
    /// A short sound with each notification.
    pub sound: bool,
    /// Denser queue rows (more tickets on screen).
    pub compact_rows: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            notifications: false,
            notify_new_unassigned: true,
            notify_assigned_texts: true,
            notify_failed_deliveries: true,
            sound: false,
            compact_rows: false,
        }
    }
}

/// A change of some choices; absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    pub notifications: Option<bool>,
    pub notify_new_unassigned: Option<bool>,
    pub notify_assigned_texts: Option<bool>,
    pub notify_failed_deliveries: Option<bool>,
    pub sound: Option<bool>,
    pub compact_rows: Option<bool>,
}

impl Preferences {
    fn apply(mut self, change: &PreferencesChange) -> Self {
        let fields = [
            (&mut self.notifications, change.notifications),
            (&mut self.notify_new_unassigned, change.notify_new_unassigned),
            (&mut self.notify_assigned_texts, change.notify_assigned_texts),
            (&mut self.notify_failed_deliveries, change.notify_failed_deliveries),
            (&mut self.sound, change.sound),
            (&mut self.compact_rows, change.compact_rows),
        ];
        for (field, new) in fields {
            if let Some(new) = new {
                *field = new;
            }
        }
        self
    }
}

/// The user's choices, or the defaults if they never changed any.
pub fn preferences(conn: &mut AnyConnection, user: UserId) -> QueryResult<Preferences> {
    let stored: Option<String> =
        user_preferences::table.find(user).select(user_preferences::choices).first(conn).optional()?;
    match stored {
        None => Ok(Preferences::default()),
        Some(raw) => serde_json::from_str(&raw).map_err(|e| diesel::result::Error::DeserializationError(e.into())),
    }
}

/// Applies a change to the user's choices (in the caller's write transaction) and returns them.
pub fn update_preferences(
    conn: &mut AnyConnection,
    user: UserId,
    change: &PreferencesChange,
) -> QueryResult<Preferences> {
    let updated = preferences(conn, user)?.apply(change);
    let choices = serde_json::to_string(&updated).map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    let at = now();
    let row = (
        user_preferences::user_id.eq(user),
        user_preferences::choices.eq(&choices),
        user_preferences::updated_at.eq(at),
    );
    crate::on_backend!(conn, |c| diesel::insert_into(user_preferences::table)
        .values(row)
        .on_conflict(user_preferences::user_id)
        .do_update()
        .set((user_preferences::choices.eq(&choices), user_preferences::updated_at.eq(at)))
        .execute(c))?;
    Ok(updated)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_change_keeps_what_it_does_not_name_and_stored_choices_tolerate_new_and_old_keys() {
        let change = PreferencesChange { notifications: Some(true), sound: Some(true), ..Default::default() };
        let changed = Preferences::default().apply(&change);
        assert!(changed.notifications && changed.sound && changed.notify_new_unassigned && !changed.compact_rows);
        let stored: Preferences = serde_json::from_str(r#"{"sound": true, "retired_choice": 1}"#).unwrap();
        assert_eq!(stored, Preferences { sound: true, ..Preferences::default() });
    }
}
