use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

/// A stored or submitted value that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Defines a text-backed enum: its stored/JSON names, `as_str`, `FromStr` and `TryFrom<String>` (which
/// diesel uses to read the column, so a corrupt row is an error, not a panic).
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, AsExpression, FromSqlRow, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        #[diesel(sql_type = Text)]
        pub enum $name { $($variant),+ }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                Ok(String::from_sql(bytes)?.parse()?)
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(value: &str) -> Result<Self, UnknownValue> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { kind: $kind, value: value.to_owned() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;
            fn try_from(value: String) -> Result<Self, UnknownValue> {
                value.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where a ticket stands. `Pending` waits on the customer; a closed ticket never reopens.
    TicketStatus, "ticket status" { Open => "open", Pending => "pending", Closed => "closed" }
);

text_enum!(
    /// What happened to a ticket, as its timeline shows it (`tickets/events.rs`).
    EventKind, "event kind" {
        Assigned => "assigned",
        Unassigned => "unassigned",
        StatusChanged => "status_changed",
        AutoClosed => "auto_closed",
        Reopened => "reopened",
        OptedOut => "opted_out",
        OptedIn => "opted_in",
        DeliveryFailed => "delivery_failed",
        TagsChanged => "tags_changed",
        PriorityChanged => "priority_changed",
    }
);

text_enum!(
    /// How an inbox's new tickets get an assignee: `manual` (agents take them) or `round_robin` (the next
    /// available member, see `inboxes/`).
    AssignmentPolicy, "assignment policy" { Manual => "manual", RoundRobin => "round_robin" }
);

text_enum!(Direction, "direction" { Inbound => "inbound", Outbound => "outbound" });

text_enum!(Role, "role" { Admin => "admin", Agent => "agent" });

text_enum!(
    /// Which SMS gateway a message id belongs to.
    Provider, "provider" { Twilio => "twilio", MessageBird => "messagebird", Console => "console", Simulator => "simulator" }
);

text_enum!(
    /// How far an outgoing message has got. `Queued`: in our outbox. `Sending`: the gateway accepted it.
    /// `Sent`: the carrier has it. Then one of the three final states.
    DeliveryStatus, "delivery status" {
        Queued => "queued",
        Sending => "sending",
        Sent => "sent",
        Delivered => "delivered",
        Undelivered => "undelivered",
        Failed => "failed",
    }
);

impl DeliveryStatus {
    fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sending => 1,
            Self::Sent => 2,
            Self::Delivered | Self::Undelivered | Self::Failed => 3,
        }
    }

    pub fn is_final(self) -> bool {
        self.rank() == 3
    }

    /// The states a message may move *from* to reach `self`: only strictly earlier ones, so a late or
    /// repeated report can never move a message back, and a final state is never replaced.
    pub fn earlier_states(self) -> Vec<Self> {
        Self::ALL.iter().copied().filter(|s| s.rank() < self.rank()).collect()
    }

    /// Twilio's `MessageStatus` / `status`; `None` for states that say nothing about an outgoing message.
    pub fn from_twilio(status: &str) -> Option<Self> {
        Some(match status {
            "accepted" | "scheduled" | "queued" | "sending" => Self::Sending,
            "sent" => Self::Sent,
            "delivered" | "read" => Self::Delivered,
            "undelivered" | "partially_delivered" => Self::Undelivered,
            "failed" | "canceled" => Self::Failed,
            _ => return None,
        })
    }

    /// MessageBird's delivery report `status`.
    pub fn from_messagebird(status: &str) -> Option<Self> {
        Some(match status {
            "scheduled" | "buffered" => Self::Sending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "expired" => Self::Undelivered,
            "delivery_failed" => Self::Failed,
            _ => return None,
        })
    }
}

impl TicketStatus {
    /// The status a ticket takes when the customer texts it; `None` for a closed ticket, which a text
    /// never reopens (the text starts a new ticket instead).
    pub fn after_customer_text(self) -> Option<Self> {
        match self {
            Self::Open | Self::Pending => Some(Self::Open),
            Self::Closed => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for s in DeliveryStatus::ALL {
            assert_eq!(s.as_str().parse::<DeliveryStatus>().unwrap(), *s);
        }
        assert_eq!("reopened".parse::<TicketStatus>().unwrap_err().kind, "ticket status");
    }

    #[test]
    fn delivery_status_only_moves_forward() {
        assert!(DeliveryStatus::Queued.earlier_states().is_empty());
        assert_eq!(DeliveryStatus::Sent.earlier_states(), [DeliveryStatus::Queued, DeliveryStatus::Sending]);
        use DeliveryStatus::{Delivered, Queued, Sending, Sent};
        assert_eq!(Delivered.earlier_states(), [Queued, Sending, Sent]);
        assert_eq!(DeliveryStatus::Failed.earlier_states(), DeliveryStatus::Delivered.earlier_states());
    }

    #[test]
    fn gateway_states_map_onto_ours() {
        assert_eq!(DeliveryStatus::from_twilio("queued"), Some(DeliveryStatus::Sending));
        assert_eq!(DeliveryStatus::from_twilio("undelivered"), Some(DeliveryStatus::Undelivered));
        assert_eq!(DeliveryStatus::from_twilio("receiving"), None);
        assert_eq!(DeliveryStatus::from_messagebird("delivery_failed"), Some(DeliveryStatus::Failed));
    }

    #[test]
    fn a_customer_text_reopens_pending_but_never_closed() {
        assert_eq!(TicketStatus::Pending.after_customer_text(), Some(TicketStatus::Open));
        assert_eq!(TicketStatus::Closed.after_customer_text(), None);
    }
}
