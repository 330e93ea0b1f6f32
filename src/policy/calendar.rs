//! Working-day arithmetic for stage deadlines, from `policies/calendar/<year>.toml`
//! (public holidays and the adjusted working weekends, 调休). A year without
//! a file is counted Monday to Friday, and every deadline that runs through
//! it is *provisional*: the State Council announces each year's holidays
//! only in the autumn before.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Deserialize;

use super::PolicyError;

/// Deadlines fall at the end of the working day, 18:00 China Standard Time.
const OFFICE_CLOSE_UTC: NaiveTime = match NaiveTime::from_hms_opt(10, 0, 0) {
    Some(t) => t,
    None => panic!("valid time"),
};
const CST_OFFSET_HOURS: i64 = 8;

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// Years with a calendar file.
    years: BTreeSet<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    holidays: Vec<NaiveDate>,
    #[serde(default)]
    workdays: Vec<NaiveDate>,
}

impl Calendar {
    /// Reads every `<year>.toml` of the calendar folder; none means weekdays only.
    pub fn from_sources<'a>(
        sources: impl Iterator<Item = (PathBuf, &'a str)>,
    ) -> Result<Self, PolicyError> {
        let mut calendar = Calendar::default();
        for (path, source) in sources {
            calendar.add_source(&path, source)?;
        }
        Ok(calendar)
    }

    /// Adds one year's file; its name is the year (`2026.toml`) and every
    /// date in it falls in that year, so that a file covers exactly one year.
    pub fn add_source(&mut self, path: &Path, source: &str) -> Result<(), PolicyError> {
        let year: i32 = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| s.len() == 4)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                PolicyError::new(
                    path,
                    None,
                    "a calendar file is named after its year, e.g. 2027.toml",
                )
            })?;
        let file: CalendarFile =
            toml::from_str(source).map_err(|e| PolicyError::from_toml(path, source, &e))?;
        if let Some(day) = file.holidays.iter().find(|d| file.workdays.contains(d)) {
            return Err(PolicyError::new(
                path,
                None,
                format!("{day} is listed both as a holiday and as a working day"),
            ));
        }
        if let Some(day) = file
            .holidays
            .iter()
            .chain(&file.workdays)
            .find(|d| d.year() != year)
        {
            return Err(PolicyError::new(
                path,
                None,
                format!("{day} is not in {year}: each year has its own file"),
            ));
        }
        self.holidays.extend(file.holidays);
        self.workdays.extend(file.workdays);
        self.years.insert(year);
        Ok(())
    }

    /// Whether the holidays of `year` are known (it has a file).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether working days counted from `from` to `to` (either order) pass
    /// through a year without a file: the count is then Monday–Friday only.
    pub fn is_provisional(&self, from: NaiveDateTime, to: NaiveDateTime) -> bool {
        let (a, b) = (Self::local_date(from).year(), Self::local_date(to).year());
        (a.min(b)..=a.max(b)).any(|year| !self.covers(year))
    }

    /// The year after `now`'s, when its file is missing: operators are told
    /// at start-up and by `policy check` while there is time to add it.
    pub fn next_year_missing(&self, now: NaiveDateTime) -> Option<i32> {
        let next = Self::local_date(now).year() + 1;
        (!self.covers(next)).then_some(next)
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The local (China Standard Time) day a UTC instant falls on.
    pub fn local_date(at: NaiveDateTime) -> NaiveDate {
        (at + Duration::hours(CST_OFFSET_HOURS)).date()
    }

    /// The UTC instant a local day begins: `[start(a), start(b))` is every
    /// instant from local day `a` up to local day `b`.
    pub fn local_day_start(day: NaiveDate) -> NaiveDateTime {
        day.and_time(NaiveTime::MIN) - Duration::hours(CST_OFFSET_HOURS)
    }

    /// Deadline `days` working days after `start` (UTC): 18:00 CST of the
    /// `days`-th working day after the local day on which the stage opened.
    pub fn deadline(&self, start: NaiveDateTime, days: u32) -> NaiveDateTime {
        let mut day = Self::local_date(start);
        let mut left = days;
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day.and_time(OFFICE_CLOSE_UTC)
    }

    /// Working days from `from` to `to` (negative when `to` has passed).
    pub fn working_days_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        let (a, b, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let (mut day, end) = (Self::local_date(a), Self::local_date(b));
        let mut count = 0;
        while day < end {
            day = day.succ_opt().unwrap_or(end);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        sign * count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> Calendar {
        let mut c = Calendar::default();
        c.add_source(
            Path::new("2026.toml"),
            "holidays = [\"2026-10-01\", \"2026-10-02\", \"2026-10-05\", \"2026-10-06\", \"2026-10-07\"]\nworkdays = [\"2026-10-10\"]\n",
        )
        .unwrap();
        c
    }

    #[test]
    fn skips_weekends_and_holidays_and_counts_adjusted_workdays() {
        let c = cal();
        // Opened Wed 30 Sep 2026 09:00 CST; 3 working days: 8 (Thu), 9 (Fri), 10 (Sat, adjusted).
        let start = NaiveDate::from_ymd_opt(2026, 9, 30)
            .unwrap()
            .and_hms_opt(1, 0, 0)
            .unwrap();
        let due = c.deadline(start, 3);
        assert_eq!(
            due,
            NaiveDate::from_ymd_opt(2026, 10, 10)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()
        );
        assert_eq!(c.working_days_between(start, due), 3);
        assert_eq!(c.working_days_between(due, start), -3);
    }

    /// The shipped 2026 file, as the State Council's notice of 4 Nov 2025 has it.
    fn shipped() -> Calendar {
        let mut c = Calendar::default();
        c.add_source(
            Path::new("2026.toml"),
            include_str!("../../policies/calendar/2026.toml"),
        )
        .unwrap();
        c
    }

    fn at_cst(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            - Duration::hours(CST_OFFSET_HOURS)
    }

    fn close_of(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_time(OFFICE_CLOSE_UTC)
    }

    #[test]
    fn spring_festival_2026_counts_the_adjusted_saturdays() {
        let c = shipped();
        // Opened Thu 12 Feb 2026: Fri 13, Sat 14 (调休 working day), then the
        // holiday 15–23 Feb, then Tue 24 … so 5 working days end Thu 26 Feb.
        let opened = at_cst(2026, 2, 12, 9);
        assert_eq!(c.deadline(opened, 5), close_of(2026, 2, 26));
        // Sat 28 Feb is a working day too: 7 days end on it.
        assert_eq!(c.deadline(opened, 7), close_of(2026, 2, 28));
        assert!(!c.is_provisional(opened, c.deadline(opened, 7)));
        assert_eq!(c.working_days_between(opened, close_of(2026, 2, 28)), 7);
    }

    #[test]
    fn national_day_2026_skips_the_week_and_counts_saturday_the_10th() {
        let c = shipped();
        // Opened Fri 18 Sep: Sun 20 Sep is a working day, the 25th is 中秋节,
        // 1–7 Oct are the holiday, Sat 10 Oct a working day.
        let opened = at_cst(2026, 9, 18, 15);
        let days: Vec<_> = (1..=8).map(|n| c.deadline(opened, n).date()).collect();
        let expected: Vec<NaiveDate> = [
            (9, 20),
            (9, 21),
            (9, 22),
            (9, 23),
            (9, 24),
            (9, 28),
            (9, 29),
            (9, 30),
        ]
        .into_iter()
        .map(|(m, d)| NaiveDate::from_ymd_opt(2026, m, d).unwrap())
        .collect();
        assert_eq!(days, expected);
        assert_eq!(c.deadline(opened, 9), close_of(2026, 10, 8));
        assert_eq!(c.deadline(opened, 11), close_of(2026, 10, 10));
    }

    #[test]
    fn a_year_without_a_file_counts_weekdays_and_is_provisional() {
        let c = shipped();
        // Opened Tue 29 Dec 2026: Wed 30, Thu 31, then 2027 with no file:
        // Fri 1 Jan counts (元旦 unknown), Mon 4, Tue 5.
        let opened = at_cst(2026, 12, 29, 10);
        let due = c.deadline(opened, 5);
        assert_eq!(due, close_of(2027, 1, 5));
        assert!(c.is_provisional(opened, due));
        assert!(!c.is_provisional(opened, c.deadline(opened, 2)));
        assert_eq!(c.next_year_missing(opened), Some(2027));
        assert_eq!(c.next_year_missing(at_cst(2025, 6, 1, 9)), None);
    }

    #[test]
    fn a_calendar_file_is_one_named_year() {
        let mut c = Calendar::default();
        let err = c
            .add_source(Path::new("holidays.toml"), "holidays = []\n")
            .unwrap_err();
        assert!(
            err.message.contains("named after its year"),
            "{}",
            err.message
        );
        let err = c
            .add_source(Path::new("2027.toml"), "holidays = [\"2026-10-01\"]\n")
            .unwrap_err();
        assert!(
            err.message.contains("2026-10-01 is not in 2027"),
            "{}",
            err.message
        );
    }

    #[test]
    fn local_days_are_china_standard_time() {
        let late_utc = NaiveDate::from_ymd_opt(2026, 12, 31)
            .unwrap()
            .and_hms_opt(16, 30, 0)
            .unwrap();
        let new_year = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(Calendar::local_date(late_utc), new_year);
        assert_eq!(
            Calendar::local_day_start(new_year),
            NaiveDate::from_ymd_opt(2026, 12, 31)
                .unwrap()
                .and_hms_opt(16, 0, 0)
                .unwrap()
        );
    }

    #[test]
    fn a_day_cannot_be_both() {
        let mut c = Calendar::default();
        let err = c
            .add_source(
                Path::new("2026.toml"),
                "holidays = [\"2026-01-01\"]\nworkdays = [\"2026-01-01\"]\n",
            )
            .unwrap_err();
        assert!(err.message.contains("2026-01-01"));
    }
}
