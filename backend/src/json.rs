//! How stored values appear in API JSON.

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

/// Stored timestamps are UTC; the API writes them as RFC 3339 with a `Z`.
pub fn utc<S: Serializer>(value: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    value.and_utc().serialize(serializer)
}

pub fn utc_opt<S: Serializer>(value: &Option<NaiveDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
    value.map(|v| v.and_utc()).serialize(serializer)
}
