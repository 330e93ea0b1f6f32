//! Working-day arithmetic for stage deadlines, from `policies/calendar/*.toml`
//! (public holidays and the adjusted working weekends, 调休).

use std::collections::BTreeSet;
use std::path::Path;

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
    /// Loads every `*.toml` in `dir`; a missing directory means weekdays only.
    pub fn load(dir: &Path) -> Result<Self, PolicyError> {
        let mut calendar = Calendar::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(calendar);
        };
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let source = std::fs::read_to_string(&path)
                .map_err(|e| PolicyError::new(&path, None, format!("cannot read: {e}")))?;
            calendar.add_source(&path, &source)?;
        }
        Ok(calendar)
    }

    pub fn add_source(&mut self, path: &Path, source: &str) -> Result<(), PolicyError> {
        let file: CalendarFile =
            toml::from_str(source).map_err(|e| PolicyError::from_toml(path, source, &e))?;
        if let Some(day) = file.holidays.iter().find(|d| file.workdays.contains(d)) {
            return Err(PolicyError::new(
                path,
                None,
                format!("{day} is listed both as a holiday and as a working day"),
            ));
        }
        self.holidays.extend(file.holidays);
        self.workdays.extend(file.workdays);
        Ok(())
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
            Path::new("cal.toml"),
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
                Path::new("x.toml"),
                "holidays = [\"2026-01-01\"]\nworkdays = [\"2026-01-01\"]\n",
            )
            .unwrap_err();
        assert!(err.message.contains("2026-01-01"));
    }
}
