//! Reports: what a support lead reads each morning (issue 18). How many texts came in, how fast the team
//! answered, how long tickets stayed open, who carried the load, and what is waiting.
//!
//! - **Definitions** (the README's "Reports" section says them for people): new tickets by when they were
//!   opened; closed tickets by their last close (a reopen clears it); first response from the customer text
//!   that opened a ticket to the first agent reply (notes and automatic replies never count; a ticket an agent
//!   opened has none); resolution from opening to the last close; messages by when they were written.
//! - **Where the figures come from.** Ticket figures from facts kept on the ticket as it changes
//!   (`first_inbound_at`, `first_response_at`, `closed_by_id`, …) through indexes made for them; message and
//!   assignment counts from hourly counts the rollup keeps in the background ([`rollup`]), plus whatever it
//!   has not reached yet, counted live with the same rules ([`rules`]). Reports are correct without the
//!   rollup; it only makes them fast.
//! - **Periods** are whole UTC hours in a time zone ([`period`]).
//! - **Visibility.** Admins see everything; agents see only inboxes they can see
//!   ([`crate::inboxes::hidden_for`]) in every figure, and only their own row of the agents' table.

pub mod period;
pub mod rollup;
pub mod rules;
mod service;

pub use period::{BucketSize, Buckets, Period, PeriodError};
pub use rollup::{ROUND_ROWS, RollupRound, roll_up};
pub use rules::DurationStats;
pub use service::{
    AgentReportRow, Backlog, InboxReportRow, ReportAgents, ReportFilter, ReportInboxes, ReportPeriod, ReportRequest,
    ReportSummary, ReportTimeseries, SeriesBucket, SeriesMetric, TimeseriesPoint, agents, agents_at, inboxes,
    inboxes_at, summary, summary_at, timeseries, timeseries_at,
};

use crate::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error("metric must be new_tickets, inbound_texts, outbound_replies or first_response_median, not {0:?}.")]
    InvalidMetric(String),
    #[error("inbox must be one of our numbers, not {0:?}.")]
    InvalidInbox(String),
    #[error("Agents see only their own figures: leave out agent, or give your own id.")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ReportError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

#[cfg(test)]
mod tests;
