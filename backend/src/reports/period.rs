//! A report's period and time zone, and the local hours and days a time series is cut into.
//!
//! Counts are kept per UTC hour, so a period is whole UTC hours: both ends are rounded down to the hour. A
//! date means 00:00 in the report's time zone; as `to`, the whole day. Buckets start at local hour starts or
//! local midnights, so a daylight-saving day is 23 or 25 hours long and the repeated autumn hour is two
//! buckets with different offsets. In a zone whose offset is not whole hours (India, +05:30) the edges are
//! the UTC hour at or before each local start: a known limit.

use chrono::{
    DateTime, Days, DurationRound, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::domain::BusinessHours;

/// The longest period a report covers.
pub const MAX_PERIOD_DAYS: i64 = 400;
/// The most points a time series has.
pub const MAX_POINTS: usize = 1_000;
/// The period when none is asked for: this many days up to now.
const DEFAULT_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0:?} is not a time zone of the tz database; use a name such as Europe/Amsterdam or America/New_York.")]
    UnknownTimezone(String),
    #[error("bucket must be hour or day, not {0:?}.")]
    UnknownBucket(String),
    #[error("{points} points are more than {MAX_POINTS}: choose a shorter period or day buckets.")]
    TooManyPoints { points: usize },
}

/// `[from, until)` in UTC, both on the hour, and the zone dates and buckets are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
    pub timezone: Tz,
}

/// The report's time zone: `requested` (an IANA name) if given, else the business hours' zone, else UTC.
pub fn resolve_timezone(requested: Option<&str>, business_hours: Option<&BusinessHours>) -> Result<Tz, PeriodError> {
    match requested.map(str::trim).filter(|raw| !raw.is_empty()) {
        Some(raw) => raw.parse().map_err(|_| PeriodError::UnknownTimezone(raw.to_owned())),
        None => Ok(business_hours.map_or(Tz::UTC, BusinessHours::timezone)),
    }
}

/// The period `from`/`to` name (see the module's documentation), `now` deciding the default: the last 7
/// days, up to the end of the current hour.
pub fn parse_period(
    from: Option<&str>,
    to: Option<&str>,
    timezone: Tz,
    now: DateTime<Utc>,
) -> Result<Period, PeriodError> {
    let parse = |raw: &str, name: &str, end: bool| {
        parse_bound(raw, timezone, end).ok_or_else(|| {
            PeriodError::Invalid(format!(
                "{name} must be an RFC 3339 time (2026-12-07T09:00:00Z) or a date (2026-12-07), not {raw:?}."
            ))
        })
    };
    let from = from.map(str::trim).filter(|raw| !raw.is_empty()).map(|raw| parse(raw, "from", false)).transpose()?;
    let to = to.map(str::trim).filter(|raw| !raw.is_empty()).map(|raw| parse(raw, "to", true)).transpose()?;
    let default_span = TimeDelta::days(DEFAULT_DAYS);
    let (from, until) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, floor_hour(now.naive_utc()) + TimeDelta::hours(1)),
        (None, Some(to)) => (to - default_span, to),
        (None, None) => {
            let until = floor_hour(now.naive_utc()) + TimeDelta::hours(1);
            (until - default_span, until)
        }
    };
    let (from, until) = (floor_hour(from), floor_hour(until));
    if from >= until {
        return Err(PeriodError::Invalid(
            "from must be before to, at least an hour apart (periods are whole hours).".into(),
        ));
    }
    if until - from > TimeDelta::days(MAX_PERIOD_DAYS) {
        return Err(PeriodError::Invalid(format!("A period is at most {MAX_PERIOD_DAYS} days.")));
    }
    Ok(Period { from, until, timezone })
}

/// An RFC 3339 time, or a date in `timezone`: its start, or as the end of a period the next day's start.
fn parse_bound(raw: &str, timezone: Tz, end: bool) -> Option<NaiveDateTime> {
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let date = if end { date.checked_add_days(Days::new(1))? } else { date };
        return local_midnight(timezone, date).map(|t| t.naive_utc());
    }
    DateTime::parse_from_rfc3339(raw).ok().map(|t| t.naive_utc())
}

/// When `date` begins in `timezone`: its midnight, or where a daylight-saving jump skips midnight, the
/// first moment of the day.
fn local_midnight(timezone: Tz, date: NaiveDate) -> Option<DateTime<Tz>> {
    let midnight = date.and_time(NaiveTime::MIN);
    match timezone.from_local_datetime(&midnight) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => (1..=24).find_map(|minutes| {
            timezone.from_local_datetime(&(midnight + TimeDelta::minutes(minutes * 15))).earliest()
        }),
    }
}

pub fn floor_hour(at: NaiveDateTime) -> NaiveDateTime {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// How a time series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketSize {
    Hour,
    Day,
}

impl BucketSize {
    pub fn parse(raw: &str) -> Result<Self, PeriodError> {
        match raw.trim() {
            "hour" => Ok(Self::Hour),
            "day" => Ok(Self::Day),
            other => Err(PeriodError::UnknownBucket(other.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// A time series' buckets over `period`, every one of them, in order: each bucket's local start (with its
/// offset) and the UTC hour its counting starts at. A bucket counts until the next one starts (the last,
/// until the period ends); the first may start before the period, and counts only from the period's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    pub starts: Vec<DateTime<FixedOffset>>,
    /// Ascending, one per bucket.
    pub edges: Vec<NaiveDateTime>,
}

impl Buckets {
    pub fn of(period: &Period, size: BucketSize) -> Result<Self, PeriodError> {
        let hours = usize::try_from((period.until - period.from).num_hours()).unwrap_or(usize::MAX);
        let estimate = match size {
            BucketSize::Hour => hours,
            BucketSize::Day => hours.div_ceil(24) + 1,
        };
        // Checked before building: a 400-day period has 9,600 hours.
        if estimate > MAX_POINTS + 1 {
            return Err(PeriodError::TooManyPoints { points: estimate });
        }
        let zone = period.timezone;
        let fixed = |utc: NaiveDateTime| {
            let offset = zone.offset_from_utc_datetime(&utc).fix();
            offset.from_utc_datetime(&utc)
        };
        let mut buckets = Self { starts: Vec::new(), edges: Vec::new() };
        match size {
            BucketSize::Hour => {
                let mut hour = period.from;
                while hour < period.until {
                    buckets.starts.push(fixed(hour));
                    buckets.edges.push(hour);
                    hour += TimeDelta::hours(1);
                }
            }
            BucketSize::Day => {
                let mut date = zone.from_utc_datetime(&period.from).date_naive();
                while let Some(start) = local_midnight(zone, date) {
                    let edge = floor_hour(start.naive_utc());
                    if edge >= period.until {
                        break;
                    }
                    // Label the bucket with the local midnight, even where its edge is rounded to the hour.
                    buckets.starts.push(start.fixed_offset());
                    buckets.edges.push(edge);
                    let Some(next) = date.succ_opt() else { break };
                    date = next;
                }
            }
        }
        if buckets.starts.len() > MAX_POINTS {
            return Err(PeriodError::TooManyPoints { points: buckets.starts.len() });
        }
        Ok(buckets)
    }

    pub fn len(&self) -> usize {
        self.edges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// The bucket a moment (inside the period) is counted in.
    pub fn index_of(&self, at: NaiveDateTime) -> Option<usize> {
        self.edges.partition_point(|edge| *edge <= at).checked_sub(1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().with_timezone(&Utc)
    }

    fn naive(raw: &str) -> NaiveDateTime {
        utc(raw).naive_utc()
    }

    const AMSTERDAM: Tz = chrono_tz::Europe::Amsterdam;

    #[test]
    fn dates_are_local_days_and_times_are_rounded_down_to_the_hour() {
        let now = utc("2026-12-07T10:30:00Z");
        let period = parse_period(Some("2026-12-01"), Some("2026-12-02"), AMSTERDAM, now).unwrap();
        // 1 December 00:00 CET to the end of 2 December.
        assert_eq!((period.from, period.until), (naive("2026-11-30T23:00:00Z"), naive("2026-12-02T23:00:00Z")));
        let period =
            parse_period(Some("2026-12-01T10:45:12+01:00"), Some("2026-12-01T12:59:59Z"), AMSTERDAM, now).unwrap();
        assert_eq!((period.from, period.until), (naive("2026-12-01T09:00:00Z"), naive("2026-12-01T12:00:00Z")));
        // Summer time: a date starts at 22:00 UTC the day before.
        let summer = parse_period(Some("2026-07-01"), Some("2026-07-01"), AMSTERDAM, now).unwrap();
        assert_eq!((summer.from, summer.until), (naive("2026-06-30T22:00:00Z"), naive("2026-07-01T22:00:00Z")));
        // India's half-hour offset: local midnight 18:30 UTC is rounded down to 18:00 (a known limit).
        let kolkata = parse_period(Some("2026-12-01"), None, chrono_tz::Asia::Kolkata, now).unwrap();
        assert_eq!(kolkata.from, naive("2026-11-30T18:00:00Z"));
    }

    #[test]
    fn the_default_is_the_last_seven_days_up_to_the_end_of_this_hour() {
        let now = utc("2026-12-07T10:30:00Z");
        let period = parse_period(None, None, Tz::UTC, now).unwrap();
        assert_eq!((period.from, period.until), (naive("2026-11-30T11:00:00Z"), naive("2026-12-07T11:00:00Z")));
        let to_only = parse_period(None, Some("2026-12-03T00:00:00Z"), Tz::UTC, now).unwrap();
        assert_eq!(to_only.from, naive("2026-11-26T00:00:00Z"));
        let from_only = parse_period(Some("2026-12-06"), Some(" "), Tz::UTC, now).unwrap();
        assert_eq!((from_only.from, from_only.until), (naive("2026-12-06T00:00:00Z"), naive("2026-12-07T11:00:00Z")));
    }

    #[test]
    fn bad_periods_and_zones_are_refused() {
        let now = utc("2026-12-07T10:30:00Z");
        for (from, to) in [
            ("yesterday", "2026-12-02"),
            ("2026-12-01", "2026-13-01"),
            ("2026-12-02", "2026-12-01"),
            ("2026-12-01T10:10:00Z", "2026-12-01T10:50:00Z"),
            ("2025-01-01", "2026-12-01"),
        ] {
            assert!(
                matches!(parse_period(Some(from), Some(to), Tz::UTC, now), Err(PeriodError::Invalid(_))),
                "{from} {to}"
            );
        }
        assert!(parse_period(Some("2025-11-01"), Some("2026-12-04"), Tz::UTC, now).is_ok(), "398 days");
        assert_eq!(
            resolve_timezone(Some("Mars/Olympus"), None),
            Err(PeriodError::UnknownTimezone("Mars/Olympus".into()))
        );
        assert_eq!(resolve_timezone(None, None), Ok(Tz::UTC));
        assert_eq!(resolve_timezone(Some("America/New_York"), None), Ok(chrono_tz::America::New_York));
        assert_eq!(BucketSize::parse("week"), Err(PeriodError::UnknownBucket("week".into())));
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours_and_every_bucket_is_there() {
        // Spring forward in Amsterdam: Sunday 29 March 2026.
        let spring =
            parse_period(Some("2026-03-28"), Some("2026-03-30"), AMSTERDAM, utc("2026-12-07T00:00:00Z")).unwrap();
        let days = Buckets::of(&spring, BucketSize::Day).unwrap();
        let labels: Vec<String> = days.starts.iter().map(|s| s.to_rfc3339()).collect();
        assert_eq!(labels, ["2026-03-28T00:00:00+01:00", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"]);
        assert_eq!(days.edges[2] - days.edges[1], TimeDelta::hours(23));
        let hours = Buckets::of(&spring, BucketSize::Hour).unwrap();
        assert_eq!(hours.len(), 24 + 23 + 24);
        let sunday: Vec<String> = hours.starts[24..28].iter().map(|s| s.to_rfc3339()).collect();
        assert_eq!(
            sunday,
            [
                "2026-03-29T00:00:00+01:00",
                "2026-03-29T01:00:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T04:00:00+02:00"
            ]
        );
        // Fall back: Sunday 25 October 2026, 02:00 twice.
        let autumn =
            parse_period(Some("2026-10-25"), Some("2026-10-25"), AMSTERDAM, utc("2026-12-07T00:00:00Z")).unwrap();
        let days = Buckets::of(&autumn, BucketSize::Day).unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(autumn.until - autumn.from, TimeDelta::hours(25));
        let hours = Buckets::of(&autumn, BucketSize::Hour).unwrap();
        assert_eq!(hours.len(), 25);
        let repeated: Vec<String> = hours.starts[2..4].iter().map(|s| s.to_rfc3339()).collect();
        assert_eq!(repeated, ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]);
        assert_eq!(hours.index_of(naive("2026-10-25T01:59:59Z")), Some(3));
        assert_eq!(hours.index_of(naive("2026-10-24T21:59:59Z")), None);
    }

    #[test]
    fn a_period_starting_mid_day_has_its_day_as_the_first_bucket_and_too_many_points_are_refused() {
        let period = parse_period(
            Some("2026-12-01T15:00:00Z"),
            Some("2026-12-03T05:00:00Z"),
            AMSTERDAM,
            utc("2026-12-07T00:00:00Z"),
        )
        .unwrap();
        let days = Buckets::of(&period, BucketSize::Day).unwrap();
        let labels: Vec<String> = days.starts.iter().map(|s| s.to_rfc3339()).collect();
        assert_eq!(labels, ["2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00", "2026-12-03T00:00:00+01:00"]);
        assert_eq!(days.index_of(naive("2026-12-01T15:00:00Z")), Some(0));
        assert_eq!(days.index_of(naive("2026-12-02T23:30:00Z")), Some(2));
        let long = parse_period(Some("2026-01-01"), Some("2026-03-01"), Tz::UTC, utc("2026-12-07T00:00:00Z")).unwrap();
        assert!(matches!(Buckets::of(&long, BucketSize::Hour), Err(PeriodError::TooManyPoints { .. })));
        assert_eq!(Buckets::of(&long, BucketSize::Day).unwrap().len(), 60);
        // 1,000 hours exactly is allowed.
        let thousand =
            Period { from: naive("2026-01-01T00:00:00Z"), until: naive("2026-02-11T16:00:00Z"), timezone: Tz::UTC };
        assert_eq!(Buckets::of(&thousand, BucketSize::Hour).unwrap().len(), 1_000);
    }
}
