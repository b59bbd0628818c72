//! When the team answers texts: a weekly schedule in the team's time zone, minus holidays. Outside it a new
//! ticket is answered with the out-of-office reply instead of the confirmation (`tickets/ingest.rs`).
//!
//! Times are wall-clock times in the team's time zone (the tz database, through `chrono-tz`), so "09:00" stays
//! 09:00 across daylight-saving changes. Ranges do not cross midnight: a night shift is two ranges, one ending
//! at `24:00` and one starting at `00:00` the next day. On a spring-forward day a range inside the skipped hour
//! never opens, and one that begins in it opens when the clocks jump; in the repeated autumn hour a range is
//! open whenever the wall clock shows a time inside it, both times round.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The days as the settings name them, Monday first.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MAX_RANGES_PER_DAY: usize = 12;
const MAX_HOLIDAYS: usize = 400;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Business hours as an admin writes them (`PUT /api/settings`): parsed by [`BusinessHours::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursInput {
    /// A tz database name, e.g. `Europe/Amsterdam`.
    #[schema(example = "Europe/Amsterdam")]
    pub timezone: String,
    /// Per day (`mon` … `sun`), the open ranges as `["HH:MM", "HH:MM"]`, start before end, not overlapping; an
    /// end may be `24:00`. A day left out is closed.
    #[serde(default)]
    #[schema(example = json!({"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "sat": [["10:00", "14:00"]]}))]
    pub weekly: BTreeMap<String, Vec<Vec<String>>>,
    /// Dates (`YYYY-MM-DD`, in the team's time zone) closed all day.
    #[serde(default)]
    #[schema(example = json!(["2026-12-25"]))]
    pub holidays: Vec<String>,
}

/// Business hours as the API shows them: every day, Monday first, times as `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BusinessHoursView {
    #[schema(example = "Europe/Amsterdam")]
    pub timezone: String,
    pub weekly: WeeklyView,
    #[schema(example = json!(["2026-12-25"]))]
    pub holidays: Vec<String>,
}

/// The open ranges of each day; `[]` is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WeeklyView {
    #[schema(example = json!([["09:00", "17:00"]]))]
    pub mon: Vec<[String; 2]>,
    pub tue: Vec<[String; 2]>,
    pub wed: Vec<[String; 2]>,
    pub thu: Vec<[String; 2]>,
    pub fri: Vec<[String; 2]>,
    pub sat: Vec<[String; 2]>,
    pub sun: Vec<[String; 2]>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusinessHoursError {
    #[error("{0:?} is not a time zone of the tz database; use a name such as Europe/Amsterdam or America/New_York.")]
    UnknownTimezone(String),
    #[error("{0:?} is not a day; use mon, tue, wed, thu, fri, sat or sun.")]
    UnknownDay(String),
    #[error("{day}: {raw:?} is not a time; write HH:MM, from 00:00 to 24:00.")]
    BadTime { day: String, raw: String },
    #[error("{day}: {range} is not a range; write [\"09:00\", \"17:00\"], ending after it starts.")]
    BadRange { day: String, range: String },
    #[error("{day}: {first} and {second} overlap.")]
    Overlap { day: String, first: String, second: String },
    #[error("{0:?} is not a date; write holidays as YYYY-MM-DD.")]
    BadHoliday(String),
    #[error("At most {MAX_RANGES_PER_DAY} ranges a day and {MAX_HOLIDAYS} holidays.")]
    TooMany,
}

impl BusinessHoursError {
    /// The stable code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownTimezone(_) => "invalid_timezone",
            Self::UnknownDay(_) => "invalid_day",
            Self::BadTime { .. } => "invalid_time",
            Self::BadRange { .. } => "invalid_range",
            Self::Overlap { .. } => "overlapping_ranges",
            Self::BadHoliday(_) => "invalid_holiday",
            Self::TooMany => "too_many_entries",
        }
    }
}

/// An open range of one day, in minutes since local midnight: `start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Range {
    start: u16,
    end: u16,
}

impl Range {
    fn contains(self, seconds: u32) -> bool {
        u32::from(self.start) * 60 <= seconds && seconds < u32::from(self.end) * 60
    }

    fn view(self) -> [String; 2] {
        [clock(self.start), clock(self.end)]
    }
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `HH:MM`, 00:00 to 24:00.
fn parse_clock(raw: &str) -> Option<u16> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let minutes = h * 60 + m;
    (m < 60 && minutes <= MINUTES_PER_DAY).then_some(minutes)
}

/// Where a moment falls in the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    Open,
    Closed {
        /// When this closed period began; `None` when it has not been open for as far back as we look (a week
        /// and the holidays in it).
        since: Option<DateTime<Utc>>,
        /// When it opens next; `None` when it never does.
        until: Option<DateTime<Utc>>,
    },
}

/// A parsed schedule (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    timezone: Tz,
    /// Indexed by days from Monday; sorted, not overlapping.
    weekly: [Vec<Range>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    pub fn parse(input: &BusinessHoursInput) -> Result<Self, BusinessHoursError> {
        let timezone: Tz =
            input.timezone.trim().parse().map_err(|_| BusinessHoursError::UnknownTimezone(input.timezone.clone()))?;
        let mut weekly: [Vec<Range>; 7] = Default::default();
        for (day, ranges) in &input.weekly {
            let index = DAY_NAMES
                .iter()
                .position(|name| name.eq_ignore_ascii_case(day.trim()))
                .ok_or_else(|| BusinessHoursError::UnknownDay(day.clone()))?;
            if ranges.len() > MAX_RANGES_PER_DAY {
                return Err(BusinessHoursError::TooMany);
            }
            let name = DAY_NAMES[index].to_owned();
            let mut parsed = Vec::with_capacity(ranges.len());
            for range in ranges {
                let [start, end] = range.as_slice() else {
                    return Err(BusinessHoursError::BadRange { day: name, range: format!("{range:?}") });
                };
                let time = |raw: &String| {
                    parse_clock(raw.trim())
                        .ok_or_else(|| BusinessHoursError::BadTime { day: name.clone(), raw: raw.clone() })
                };
                let range = Range { start: time(start)?, end: time(end)? };
                if range.start >= range.end {
                    return Err(BusinessHoursError::BadRange { day: name, range: format!("{start}–{end}") });
                }
                parsed.push(range);
            }
            parsed.sort();
            if let Some(pair) = parsed.windows(2).find(|pair| pair[1].start < pair[0].end) {
                let [first, second] = [pair[0].view(), pair[1].view()];
                return Err(BusinessHoursError::Overlap {
                    day: name,
                    first: format!("{}–{}", first[0], first[1]),
                    second: format!("{}–{}", second[0], second[1]),
                });
            }
            weekly[index] = parsed;
        }
        if input.holidays.len() > MAX_HOLIDAYS {
            return Err(BusinessHoursError::TooMany);
        }
        let holidays = input
            .holidays
            .iter()
            .map(|raw| {
                NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                    .map_err(|_| BusinessHoursError::BadHoliday(raw.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { timezone, weekly, holidays })
    }

    pub fn view(&self) -> BusinessHoursView {
        let day = |i: usize| self.weekly[i].iter().map(|r| r.view()).collect::<Vec<_>>();
        BusinessHoursView {
            timezone: self.timezone.name().to_owned(),
            weekly: WeeklyView {
                mon: day(0),
                tue: day(1),
                wed: day(2),
                thu: day(3),
                fri: day(4),
                sat: day(5),
                sun: day(6),
            },
            holidays: self.holidays.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
        }
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    fn ranges(&self, date: NaiveDate) -> &[Range] {
        if self.holidays.contains(&date) {
            return &[];
        }
        &self.weekly[date.weekday().num_days_from_monday() as usize]
    }

    fn open_at_local(&self, local: NaiveDateTime) -> bool {
        let seconds = local.time().num_seconds_from_midnight();
        self.ranges(local.date()).iter().any(|range| range.contains(seconds))
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.timezone).naive_local()
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.open_at_local(self.local(at))
    }

    /// The first moment at or after `at` when it is open; `None` if it never opens.
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return Some(at);
        }
        let today = self.local(at).date();
        // A week, and every holiday ahead may push the opening a day further.
        let ahead = 8 + self.holidays.range(today..).count() as i64;
        self.boundaries(today, today + Duration::days(ahead)).into_iter().find(|t| *t > at && self.is_open(*t))
    }

    /// When the closed period `at` falls in began; `None` when it is open at `at`, or has not been open as far
    /// back as we look.
    pub fn closed_period_start(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return None;
        }
        let today = self.local(at).date();
        let behind = 8 + self.holidays.range(..=today).count() as i64;
        let second = Duration::seconds(1);
        self.boundaries(today - Duration::days(behind), today)
            .into_iter()
            .rev()
            .find(|t| *t <= at && self.is_open(*t - second))
    }

    pub fn opening(&self, at: DateTime<Utc>) -> Opening {
        if self.is_open(at) {
            Opening::Open
        } else {
            Opening::Closed { since: self.closed_period_start(at), until: self.next_open(at) }
        }
    }

    /// How long the schedule is open in `[start, end)` (zero when `end <= start`): a customer's wait in
    /// business time. Open exactly when [`BusinessHours::is_open`] says so, so a range inside the skipped spring
    /// hour adds nothing and one in the repeated autumn hour counts both times round.
    ///
    /// Walks the span a stretch of constant UTC offset at a time; within one, wall-clock time runs evenly, so
    /// each day's ranges are intervals of it to intersect with the stretch.
    pub fn open_duration_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Duration {
        let mut open = Duration::zero();
        let mut t = start;
        while t < end {
            let stretch_end = self.same_offset_until(t, end);
            let offset = Duration::seconds(i64::from(self.offset(t)));
            let (from, to) = (t.naive_utc() + offset, stretch_end.naive_utc() + offset);
            let mut date = from.date();
            while date <= to.date() {
                let midnight = date.and_time(chrono::NaiveTime::MIN);
                for range in self.ranges(date) {
                    let opens = (midnight + Duration::minutes(i64::from(range.start))).max(from);
                    let closes = (midnight + Duration::minutes(i64::from(range.end))).min(to);
                    if opens < closes {
                        open += closes - opens;
                    }
                }
                date += Duration::days(1);
            }
            t = stretch_end;
        }
        open
    }

    /// As [`BusinessHours::open_duration_between`], in whole seconds (rounded down).
    pub fn open_seconds_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        self.open_duration_between(start, end).num_seconds()
    }

    /// The end of the stretch from `t` (before `end`) in which the zone keeps `t`'s offset: its next change, or
    /// `end`.
    fn same_offset_until(&self, t: DateTime<Utc>, end: DateTime<Utc>) -> DateTime<Utc> {
        let offset = self.offset(t);
        let step = Duration::hours(6);
        let mut before = t;
        loop {
            let after = (before + step).min(end);
            if self.offset(after) != offset {
                return self.offset_change(before, after);
            }
            if after >= end {
                return end;
            }
            before = after;
        }
    }

    /// A moment as the out-of-office reply names it, in the team's time zone: "Monday 09:00" within the coming
    /// week, "Monday 4 January 09:00" further ahead.
    pub fn describe(&self, t: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.timezone);
        if t - now < Duration::days(6) {
            local.format("%A %H:%M").to_string()
        } else {
            local.format("%A %-d %B %H:%M").to_string()
        }
    }

    /// Every moment in the local dates `from..=to` (and a day either side) where the schedule may open or
    /// close, sorted: each range's start and end (both times round in a repeated hour), and each change of the
    /// zone's offset (where a wall clock jumps into or out of a range). Between two of them it is all open or
    /// all closed.
    fn boundaries(&self, from: NaiveDate, to: NaiveDate) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut date = from;
        while date <= to {
            for range in self.ranges(date) {
                for minutes in [range.start, range.end] {
                    let local = date.and_time(chrono::NaiveTime::MIN) + Duration::minutes(i64::from(minutes));
                    match self.timezone.from_local_datetime(&local) {
                        chrono::LocalResult::Single(t) => out.push(t.with_timezone(&Utc)),
                        chrono::LocalResult::Ambiguous(a, b) => {
                            out.push(a.with_timezone(&Utc));
                            out.push(b.with_timezone(&Utc));
                        }
                        // In a spring-forward gap: the offset change below is the boundary.
                        chrono::LocalResult::None => {}
                    }
                }
            }
            date += Duration::days(1);
        }
        let start = (from - Duration::days(1)).and_time(chrono::NaiveTime::MIN).and_utc();
        let end = (to + Duration::days(2)).and_time(chrono::NaiveTime::MIN).and_utc();
        let step = Duration::hours(6);
        let mut t = start;
        while t < end {
            if self.offset(t) != self.offset(t + step) {
                out.push(self.offset_change(t, t + step));
            }
            t += step;
        }
        out.sort();
        out.dedup();
        out
    }

    fn offset(&self, t: DateTime<Utc>) -> i32 {
        self.timezone.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()
    }

    /// The first second of the new offset, between `before` (old offset) and `after` (new).
    fn offset_change(&self, mut before: DateTime<Utc>, mut after: DateTime<Utc>) -> DateTime<Utc> {
        let old = self.offset(before);
        while after - before > Duration::seconds(1) {
            let middle = before + (after - before) / 2;
            let middle = middle.with_nanosecond(0).unwrap_or(middle);
            if self.offset(middle) == old {
                before = middle;
            } else {
                after = middle;
            }
        }
        after
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hours(timezone: &str, weekly: &[(&str, &[(&str, &str)])], holidays: &[&str]) -> BusinessHours {
        BusinessHours::parse(&input(timezone, weekly, holidays)).unwrap()
    }

    fn input(timezone: &str, weekly: &[(&str, &[(&str, &str)])], holidays: &[&str]) -> BusinessHoursInput {
        BusinessHoursInput {
            timezone: timezone.into(),
            weekly: weekly
                .iter()
                .map(|(day, ranges)| {
                    ((*day).to_owned(), ranges.iter().map(|(a, b)| vec![(*a).to_owned(), (*b).to_owned()]).collect())
                })
                .collect(),
            holidays: holidays.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().with_timezone(&Utc)
    }

    const WEEKDAYS_9_TO_5: &[(&str, &[(&str, &str)])] = &[
        ("mon", &[("09:00", "17:00")]),
        ("tue", &[("09:00", "17:00")]),
        ("wed", &[("09:00", "17:00")]),
        ("thu", &[("09:00", "17:00")]),
        ("fri", &[("09:00", "17:00")]),
    ];

    #[test]
    fn open_is_wall_clock_time_in_the_team_zone() {
        let amsterdam = hours("Europe/Amsterdam", WEEKDAYS_9_TO_5, &[]);
        // Wednesday 2 December 2026, CET (UTC+1).
        assert!(!amsterdam.is_open(utc("2026-12-02T07:59:59Z")));
        assert!(amsterdam.is_open(utc("2026-12-02T08:00:00Z")));
        assert!(amsterdam.is_open(utc("2026-12-02T15:59:59Z")));
        assert!(!amsterdam.is_open(utc("2026-12-02T16:00:00Z")), "the end is exclusive");
        // Summer: CEST (UTC+2).
        assert!(amsterdam.is_open(utc("2026-07-01T07:00:00Z")));
        assert!(!amsterdam.is_open(utc("2026-07-01T15:00:00Z")));
    }

    #[test]
    fn next_open_crosses_a_weekend_and_a_holiday() {
        let amsterdam = hours("Europe/Amsterdam", WEEKDAYS_9_TO_5, &["2026-12-07"]);
        // Friday 4 December 18:00 local; Monday 7 December is a holiday: Tuesday 09:00 CET.
        let friday_evening = utc("2026-12-04T17:00:00Z");
        let next = amsterdam.next_open(friday_evening).unwrap();
        assert_eq!(next, utc("2026-12-08T08:00:00Z"));
        assert_eq!(amsterdam.describe(next, friday_evening), "Tuesday 09:00");
        assert_eq!(amsterdam.closed_period_start(friday_evening), Some(utc("2026-12-04T16:00:00Z")));
        // During the holiday itself the closed period began on Friday.
        assert_eq!(amsterdam.closed_period_start(utc("2026-12-07T10:00:00Z")), Some(utc("2026-12-04T16:00:00Z")));
        assert!(!amsterdam.is_open(utc("2026-12-07T10:00:00Z")));
        // While open, it is open now and there is no closed period.
        let open = utc("2026-12-08T10:00:00Z");
        assert_eq!((amsterdam.next_open(open), amsterdam.closed_period_start(open)), (Some(open), None));
        assert_eq!(amsterdam.opening(open), Opening::Open);
    }

    #[test]
    fn a_far_opening_names_its_date_and_a_schedule_never_open_has_none() {
        let holidays = ["2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-25", "2026-12-28"];
        let amsterdam = hours("Europe/Amsterdam", WEEKDAYS_9_TO_5, &holidays);
        let now = utc("2026-12-19T12:00:00Z");
        let next = amsterdam.next_open(now).unwrap();
        assert_eq!(next, utc("2026-12-29T08:00:00Z"));
        assert_eq!(amsterdam.describe(next, now), "Tuesday 29 December 09:00");
        let never = hours("Europe/Amsterdam", &[], &[]);
        assert_eq!(never.opening(now), Opening::Closed { since: None, until: None });
    }

    #[test]
    fn spring_forward_skips_the_missing_hour() {
        // Europe/Amsterdam jumps from 02:00 to 03:00 on Sunday 29 March 2026 (01:00 UTC).
        let gap = hours("Europe/Amsterdam", &[("sun", &[("02:00", "03:00")])], &[]);
        let saturday = utc("2026-03-28T12:00:00Z");
        // That Sunday's range never happens: the next opening is a week later, 02:00 CEST.
        assert_eq!(gap.next_open(saturday), Some(utc("2026-04-05T00:00:00Z")));
        for minute in 0..=120 {
            assert!(!gap.is_open(utc("2026-03-29T00:00:00Z") + Duration::minutes(minute)), "{minute}");
        }
        // A range starting in the gap opens when the clocks jump.
        let into = hours("Europe/Amsterdam", &[("sun", &[("02:30", "04:00")])], &[]);
        assert_eq!(into.next_open(saturday), Some(utc("2026-03-29T01:00:00Z")));
        assert!(into.is_open(utc("2026-03-29T01:00:00Z")));
        assert!(!into.is_open(utc("2026-03-29T00:59:59Z")));
        assert!(!into.is_open(utc("2026-03-29T02:00:00Z")), "04:00 CEST");
        // New York: 2 a.m. becomes 3 a.m. on 8 March 2026 (07:00 UTC).
        let new_york = hours("America/New_York", &[("sun", &[("01:00", "02:30")])], &[]);
        assert!(new_york.is_open(utc("2026-03-08T06:59:59Z")));
        assert!(!new_york.is_open(utc("2026-03-08T07:00:00Z")), "the wall clock jumped past 02:30");
        assert_eq!(new_york.closed_period_start(utc("2026-03-08T09:00:00Z")), Some(utc("2026-03-08T07:00:00Z")));
    }

    #[test]
    fn fall_back_opens_in_the_repeated_hour_both_times_round() {
        // Europe/Amsterdam: 03:00 CEST becomes 02:00 CET on Sunday 25 October 2026 (01:00 UTC).
        let repeated = hours("Europe/Amsterdam", &[("sun", &[("02:00", "02:30")])], &[]);
        let saturday = utc("2026-10-24T12:00:00Z");
        assert_eq!(repeated.next_open(saturday), Some(utc("2026-10-25T00:00:00Z")), "02:00 CEST");
        assert!(repeated.is_open(utc("2026-10-25T00:29:59Z")));
        assert!(!repeated.is_open(utc("2026-10-25T00:30:00Z")), "02:30 CEST");
        assert_eq!(repeated.next_open(utc("2026-10-25T00:30:00Z")), Some(utc("2026-10-25T01:00:00Z")), "02:00 CET");
        assert_eq!(repeated.closed_period_start(utc("2026-10-25T00:45:00Z")), Some(utc("2026-10-25T00:30:00Z")));
        assert!(!repeated.is_open(utc("2026-10-25T01:30:00Z")), "02:30 CET");
        // New York: 2 a.m. EDT becomes 1 a.m. EST on 1 November 2026 (06:00 UTC). 01:30–03:00 opens at 01:30
        // EDT, closes when the clock falls back to 01:00 EST, and opens again at 01:30 EST until 03:00 EST.
        let new_york = hours("America/New_York", &[("sun", &[("01:30", "03:00")])], &[]);
        assert!(new_york.is_open(utc("2026-11-01T05:30:00Z")), "01:30 EDT");
        assert!(!new_york.is_open(utc("2026-11-01T06:00:00Z")), "01:00 EST");
        assert_eq!(new_york.next_open(utc("2026-11-01T06:00:00Z")), Some(utc("2026-11-01T06:30:00Z")));
        assert!(new_york.is_open(utc("2026-11-01T07:59:59Z")), "02:59 EST");
        assert!(!new_york.is_open(utc("2026-11-01T08:00:00Z")));
    }

    #[test]
    fn a_night_shift_is_two_ranges_across_midnight() {
        let nights = hours("UTC", &[("mon", &[("22:00", "24:00")]), ("tue", &[("00:00", "06:00")])], &[]);
        // Monday 7 December 2026.
        assert!(nights.is_open(utc("2026-12-07T23:59:59Z")));
        assert!(nights.is_open(utc("2026-12-08T00:00:00Z")));
        assert_eq!(nights.closed_period_start(utc("2026-12-08T07:00:00Z")), Some(utc("2026-12-08T06:00:00Z")));
        assert_eq!(nights.next_open(utc("2026-12-08T07:00:00Z")), Some(utc("2026-12-14T22:00:00Z")));
    }

    #[test]
    fn open_seconds_count_only_business_time_across_nights_weekends_and_holidays() {
        let amsterdam = hours("Europe/Amsterdam", WEEKDAYS_9_TO_5, &["2026-12-07"]);
        let hour = 3600;
        // Within one opening: Wednesday 2 December 10:00 -> 11:30 CET.
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-02T09:00:00Z"), utc("2026-12-02T10:30:00Z")), 5400);
        // Before opening to after closing: the whole 8 hours.
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-02T05:00:00Z"), utc("2026-12-02T20:00:00Z")), 8 * hour);
        // Overnight: Wednesday 16:30 -> Thursday 09:15 local is 30 + 15 minutes.
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-02T15:30:00Z"), utc("2026-12-03T08:15:00Z")), 45 * 60);
        // Friday 4 December 16:00 -> Tuesday 8 December 10:00 local: Friday's last hour, the weekend and the
        // Monday holiday closed, Tuesday's first hour.
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-04T15:00:00Z"), utc("2026-12-08T09:00:00Z")), 2 * hour);
        // Entirely closed, empty or reversed spans are zero; seconds are whole, rounded down.
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-05T10:00:00Z"), utc("2026-12-06T10:00:00Z")), 0);
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-02T10:00:00Z"), utc("2026-12-02T10:00:00Z")), 0);
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-02T11:00:00Z"), utc("2026-12-02T10:00:00Z")), 0);
        assert_eq!(amsterdam.open_seconds_between(utc("2026-12-02T10:00:00.250Z"), utc("2026-12-02T10:00:01.900Z")), 1);
        // Always open is wall-clock time; a schedule never open is zero.
        let always = hours("UTC", &DAY_NAMES.map(|day| (day, &[("00:00", "24:00")][..])), &[]);
        assert_eq!(
            always.open_seconds_between(utc("2026-12-01T10:00:00Z"), utc("2026-12-09T10:00:07Z")),
            8 * 86_400 + 7
        );
        let never = hours("Europe/Amsterdam", &[], &[]);
        assert_eq!(never.open_seconds_between(utc("2026-12-01T10:00:00Z"), utc("2026-12-09T10:00:00Z")), 0);
    }

    #[test]
    fn open_seconds_follow_the_wall_clock_across_daylight_saving_changes() {
        let hour = 3600;
        // Spring: Sunday 29 March 2026, 02:00 CET becomes 03:00 CEST at 01:00 UTC. 00:00-06:00 local is five
        // real hours; a range inside the skipped hour never opens; one starting in it opens at the jump.
        let night = hours("Europe/Amsterdam", &[("sun", &[("00:00", "06:00")])], &[]);
        assert_eq!(night.open_seconds_between(utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")), 5 * hour);
        let gap = hours("Europe/Amsterdam", &[("sun", &[("02:00", "03:00")])], &[]);
        assert_eq!(gap.open_seconds_between(utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")), 0);
        let into = hours("Europe/Amsterdam", &[("sun", &[("02:30", "04:00")])], &[]);
        assert_eq!(into.open_seconds_between(utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")), hour);
        // Autumn: Sunday 25 October 2026, 03:00 CEST becomes 02:00 CET at 01:00 UTC. 00:00-06:00 local is seven
        // real hours, and a range in the repeated hour is open both times round.
        let night = hours("Europe/Amsterdam", &[("sun", &[("00:00", "06:00")])], &[]);
        assert_eq!(night.open_seconds_between(utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z")), 7 * hour);
        let repeated = hours("Europe/Amsterdam", &[("sun", &[("02:00", "02:30")])], &[]);
        assert_eq!(repeated.open_seconds_between(utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z")), hour);
        // Starting inside the second 02:00-02:30 counts only what is left of it.
        assert_eq!(repeated.open_seconds_between(utc("2026-10-25T01:10:00Z"), utc("2026-10-25T12:00:00Z")), 20 * 60);
        // Each second agrees with is_open.
        let from = utc("2026-10-24T23:00:00Z");
        let open_minutes = (0..300).filter(|m| repeated.is_open(from + Duration::minutes(*m))).count() as i64;
        assert_eq!(repeated.open_seconds_between(from, from + Duration::minutes(300)), open_minutes * 60);
        // A span longer than the 6-hour steps, across the change, in New York.
        let new_york = hours("America/New_York", WEEKDAYS_9_TO_5, &[]);
        // Friday 30 October 16:00 EDT -> Monday 2 November 10:00 EST.
        assert_eq!(new_york.open_seconds_between(utc("2026-10-30T20:00:00Z"), utc("2026-11-02T15:00:00Z")), 2 * hour);
    }

    #[test]
    fn bad_schedules_are_refused_with_a_code_each() {
        let refused = |timezone: &str, weekly: &[(&str, &[(&str, &str)])], holidays: &[&str]| {
            BusinessHours::parse(&input(timezone, weekly, holidays)).unwrap_err().code()
        };
        assert_eq!(refused("Mars/Olympus", &[], &[]), "invalid_timezone");
        assert_eq!(refused("UTC", &[("monday", &[("09:00", "17:00")])], &[]), "invalid_day");
        for bad in ["9:00", "25:00", "24:01", "09:60", "0900", "ab:cd", ""] {
            assert_eq!(refused("UTC", &[("mon", &[(bad, "17:00")])], &[]), "invalid_time", "{bad:?}");
        }
        assert_eq!(refused("UTC", &[("mon", &[("17:00", "09:00")])], &[]), "invalid_range");
        assert_eq!(refused("UTC", &[("mon", &[("09:00", "09:00")])], &[]), "invalid_range");
        assert_eq!(refused("UTC", &[("mon", &[("09:00", "12:00"), ("11:00", "17:00")])], &[]), "overlapping_ranges");
        assert_eq!(refused("UTC", &[], &["2026-02-30"]), "invalid_holiday");
        assert_eq!(refused("UTC", &[], &["25-12-2026"]), "invalid_holiday");
        let pair = BusinessHoursInput {
            timezone: "UTC".into(),
            weekly: [("mon".to_owned(), vec![vec!["09:00".to_owned()]])].into(),
            holidays: vec![],
        };
        assert_eq!(BusinessHours::parse(&pair).unwrap_err().code(), "invalid_range");
        // Touching ranges are fine, and the view is sorted and complete.
        let ok = hours("Europe/Amsterdam", &[("mon", &[("13:00", "17:00"), ("09:00", "13:00")])], &["2026-12-25"]);
        let view = ok.view();
        assert_eq!(view.weekly.mon, [["09:00", "13:00"], ["13:00", "17:00"]]);
        assert!(view.weekly.sun.is_empty());
        assert_eq!((view.timezone.as_str(), view.holidays), ("Europe/Amsterdam", vec!["2026-12-25".to_owned()]));
    }
}
