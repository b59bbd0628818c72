//! The counting rules, written once: which figure a message or a timeline event counts towards, the hour it
//! is counted in, how rows add up, and how durations are summarised. The rollup (`rollup.rs`) and the live
//! count of what it has not reached yet (`service.rs`) both go through these.

use std::collections::BTreeMap;

use chrono::{DurationRound, NaiveDateTime, TimeDelta};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::reports::{CountRow, EventFact, MessageFact};
use crate::domain::{Direction, EventKind, UserId};
use crate::tickets::events::EventDetails;

/// What `report_counts` counts, by its stored name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Texts from customers (user: none).
    InboundTexts,
    /// Agent replies sent to the customer: outbound, not internal, with an author (user: the author).
    OutboundReplies,
    /// What smsdesk sent on its own: confirmations, help replies, out-of-office replies (user: none).
    AutomaticReplies,
    /// Internal notes (user: the author, or none).
    Notes,
    /// Tickets assigned, from the timeline (user: the new assignee).
    Assigned,
}

impl Metric {
    pub const ALL: [Metric; 5] =
        [Self::InboundTexts, Self::OutboundReplies, Self::AutomaticReplies, Self::Notes, Self::Assigned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InboundTexts => "inbound_texts",
            Self::OutboundReplies => "outbound_replies",
            Self::AutomaticReplies => "automatic_replies",
            Self::Notes => "notes",
            Self::Assigned => "assigned",
        }
    }

    /// `None` for a name this version does not count (a newer one may).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|metric| metric.as_str() == raw)
    }
}

/// The `user_id` of a count that belongs to nobody (customer texts, automatic replies).
pub const NO_USER: UserId = UserId(0);

/// The figure a message counts towards, and whose it is. A note is a note whoever wrote it; an outgoing
/// message without an author is smsdesk's own (never a reply, so never a first response either).
pub fn message_metric(direction: Direction, internal: bool, author: Option<UserId>) -> (Metric, UserId) {
    match (internal, direction, author) {
        (true, _, author) => (Metric::Notes, author.unwrap_or(NO_USER)),
        (false, Direction::Inbound, _) => (Metric::InboundTexts, NO_USER),
        (false, Direction::Outbound, Some(author)) => (Metric::OutboundReplies, author),
        (false, Direction::Outbound, None) => (Metric::AutomaticReplies, NO_USER),
    }
}

/// The figure a timeline event counts towards, if any: an assignment counts for the new assignee.
pub fn event_metric(kind: EventKind, details: &str) -> Option<(Metric, UserId)> {
    if kind != EventKind::Assigned {
        return None;
    }
    // A details object we cannot read still was an assignment; it counts for nobody.
    let to = serde_json::from_str::<EventDetails>(details).ok().and_then(|d| d.to_assignee);
    Some((Metric::Assigned, to.unwrap_or(NO_USER)))
}

/// The UTC hour a moment is counted in.
pub fn hour_of(at: NaiveDateTime) -> NaiveDateTime {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// What a count is kept per: hour, number of ours, figure and user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountKey {
    pub hour: NaiveDateTime,
    pub channel_number: String,
    pub metric: Metric,
    pub user: UserId,
}

/// Rows added up into counts per [`CountKey`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(BTreeMap<CountKey, i64>);

impl Tally {
    pub fn add(&mut self, key: CountKey, count: i64) {
        *self.0.entry(key).or_insert(0) += count;
    }

    pub fn add_message(&mut self, message: &MessageFact) {
        let (metric, user) = message_metric(message.direction, message.internal, message.author_id);
        let key = CountKey {
            hour: hour_of(message.created_at),
            channel_number: message.channel_number.clone(),
            metric,
            user,
        };
        self.add(key, 1);
    }

    pub fn add_event(&mut self, event: &EventFact) {
        if let Some((metric, user)) = event.kind.and_then(|kind| event_metric(kind, &event.details)) {
            self.add(
                CountKey { hour: hour_of(event.at), channel_number: event.channel_number.clone(), metric, user },
                1,
            );
        }
    }

    /// Stored counts, as read back from `report_counts`.
    pub fn add_stored(&mut self, rows: impl IntoIterator<Item = CountRow>) {
        for row in rows {
            if let Some(metric) = Metric::parse(&row.metric) {
                let key = CountKey { hour: row.hour, channel_number: row.channel_number, metric, user: row.user_id };
                self.add(key, row.count);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&CountKey, i64)> {
        self.0.iter().map(|(key, count)| (key, *count))
    }

    /// The rows to store.
    pub fn rows(&self) -> Vec<CountRow> {
        self.iter()
            .map(|(key, count)| CountRow {
                hour: key.hour,
                channel_number: key.channel_number.clone(),
                metric: key.metric.as_str().to_owned(),
                user_id: key.user,
                count,
            })
            .collect()
    }
}

/// The median and the 90th percentile of durations, and how many there were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DurationStats {
    /// Seconds; `null` when there are none.
    #[schema(required = true, example = 60)]
    pub median: Option<i64>,
    /// Seconds; `null` when there are none.
    #[schema(required = true, example = 300)]
    pub p90: Option<i64>,
    #[schema(example = 12)]
    pub count: i64,
}

impl DurationStats {
    /// Nearest rank over whole seconds: the p-th percentile of n sorted values is the one at index
    /// ceil(p·n) − 1.
    pub fn of(mut seconds: Vec<i64>) -> Self {
        seconds.sort_unstable();
        Self {
            median: nearest_rank(&seconds, 50),
            p90: nearest_rank(&seconds, 90),
            count: i64::try_from(seconds.len()).unwrap_or(i64::MAX),
        }
    }
}

/// The `percent`-th percentile of `sorted` by nearest rank; `None` for no values.
pub fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    let rank = (percent * sorted.len()).div_ceil(100);
    sorted.get(rank.max(1) - 1).copied()
}

/// The median by nearest rank (see [`DurationStats::of`]).
pub fn median(mut seconds: Vec<i64>) -> Option<i64> {
    seconds.sort_unstable();
    nearest_rank(&seconds, 50)
}

/// Whole seconds from `start` to `end`, rounded down; never negative.
pub fn whole_seconds(start: NaiveDateTime, end: NaiveDateTime) -> i64 {
    (end - start).num_seconds().max(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(raw: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn each_message_counts_towards_one_figure() {
        let ana = Some(UserId(3));
        assert_eq!(message_metric(Direction::Inbound, false, None), (Metric::InboundTexts, NO_USER));
        assert_eq!(message_metric(Direction::Outbound, false, ana), (Metric::OutboundReplies, UserId(3)));
        // Confirmations, help and out-of-office replies have no author: automatic, never a reply.
        assert_eq!(message_metric(Direction::Outbound, false, None), (Metric::AutomaticReplies, NO_USER));
        assert_eq!(message_metric(Direction::Outbound, true, ana), (Metric::Notes, UserId(3)));
        assert_eq!(message_metric(Direction::Outbound, true, None), (Metric::Notes, NO_USER));
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()), Some(metric));
        }
        assert_eq!(Metric::parse("replies"), None);
    }

    #[test]
    fn only_assignments_count_among_events_for_the_new_assignee() {
        assert_eq!(
            event_metric(EventKind::Assigned, r#"{"from_assignee":2,"to_assignee":5}"#),
            Some((Metric::Assigned, UserId(5)))
        );
        assert_eq!(event_metric(EventKind::Assigned, "not json"), Some((Metric::Assigned, NO_USER)));
        assert_eq!(event_metric(EventKind::Unassigned, r#"{"from_assignee":2}"#), None);
        assert_eq!(event_metric(EventKind::StatusChanged, "{}"), None);
    }

    #[test]
    fn moments_count_in_their_utc_hour_and_tallies_add_up() {
        assert_eq!(hour_of(at("2026-12-01 10:59:59.999999")), at("2026-12-01 10:00:00"));
        assert_eq!(hour_of(at("2026-12-01 11:00:00")), at("2026-12-01 11:00:00"));
        let message = |created: &str, direction, author| MessageFact {
            id: 1,
            created_at: at(created),
            channel_number: "+14155550100".into(),
            direction,
            internal: false,
            author_id: author,
        };
        let mut tally = Tally::default();
        tally.add_message(&message("2026-12-01 10:05:00", Direction::Inbound, None));
        tally.add_message(&message("2026-12-01 10:55:00", Direction::Inbound, None));
        tally.add_message(&message("2026-12-01 11:00:00", Direction::Inbound, None));
        tally.add_message(&message("2026-12-01 10:10:00", Direction::Outbound, Some(UserId(3))));
        tally.add_event(&EventFact {
            id: 1,
            at: at("2026-12-01 10:20:00"),
            channel_number: "+14155550100".into(),
            kind: Some(EventKind::TagsChanged),
            details: "{}".into(),
        });
        let rows = tally.rows();
        let summary: Vec<(String, &str, i64, i64)> =
            rows.iter().map(|r| (r.hour.format("%H").to_string(), r.metric.as_str(), r.user_id.0, r.count)).collect();
        assert_eq!(
            summary,
            [
                ("10".to_owned(), "inbound_texts", 0, 2),
                ("10".to_owned(), "outbound_replies", 3, 1),
                ("11".to_owned(), "inbound_texts", 0, 1)
            ]
        );
        let mut again = Tally::default();
        again.add_stored(rows.clone());
        again.add_stored(rows);
        assert_eq!(again.rows().iter().map(|r| r.count).sum::<i64>(), 8);
    }

    #[test]
    fn percentiles_are_the_nearest_rank_over_whole_seconds() {
        assert_eq!(DurationStats::of(vec![]), DurationStats { median: None, p90: None, count: 0 });
        assert_eq!(DurationStats::of(vec![42]), DurationStats { median: Some(42), p90: Some(42), count: 1 });
        // n = 4: median at ceil(2) - 1 = index 1, p90 at ceil(3.6) - 1 = index 3.
        assert_eq!(
            DurationStats::of(vec![40, 10, 30, 20]),
            DurationStats { median: Some(20), p90: Some(40), count: 4 }
        );
        // n = 10: median index 4, p90 index 8.
        let ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(DurationStats::of(ten), DurationStats { median: Some(5), p90: Some(9), count: 10 });
        // n = 11: median index 5, p90 ceil(9.9) - 1 = 9.
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(DurationStats::of(eleven), DurationStats { median: Some(6), p90: Some(10), count: 11 });
        assert_eq!(median(vec![3, 1, 2]), Some(2));
        let start = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_micro_opt(10, 0, 0, 900_000).unwrap();
        assert_eq!(whole_seconds(start, start + TimeDelta::milliseconds(1_050)), 1);
        assert_eq!(whole_seconds(start, start + TimeDelta::milliseconds(999)), 0);
        assert_eq!(whole_seconds(start, start - TimeDelta::seconds(5)), 0);
    }
}
