//! SLO windows: rolling (`28d`, `4w`, `1h`, `30m`) or calendar (`calendar-month`, or an
//! OpenSLO duration with `isRolling: false`), their length in minutes and the bounds of
//! the window that contains a given moment.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;

/// A calendar period that restarts at its boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Calendar {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Calendar {
    fn months(self) -> Option<u32> {
        match self {
            Calendar::Month => Some(1),
            Calendar::Quarter => Some(3),
            Calendar::Year => Some(12),
            Calendar::Day | Calendar::Week => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Calendar::Day => "day",
            Calendar::Week => "week",
            Calendar::Month => "month",
            Calendar::Quarter => "quarter",
            Calendar::Year => "year",
        }
    }
}

/// The period an objective is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `minutes` minutes, ending now.
    Rolling { minutes: i64 },
    /// The current calendar period (weeks start on Monday).
    Calendar(Calendar),
}

/// Units accepted in a duration, for error messages.
pub const UNITS_HELP: &str = "write a number and a unit: m (minutes), h (hours), d (days), w (weeks), M (months = 30d), Q (quarters = 90d), Y (years = 365d); or calendar-week, calendar-month, calendar-quarter, calendar-year";

/// Longest window accepted (ten years), so budget arithmetic cannot overflow.
const MAX_MINUTES: i64 = 10 * 366 * 24 * 60;

/// Splits `28d` into (28, 'd'); the unit is one of `mhdwMQY`.
fn split_duration(s: &str) -> Result<(i64, char), String> {
    let s = s.trim();
    let unit = s
        .chars()
        .last()
        .ok_or_else(|| "the window is empty".to_string())?;
    let digits = &s[..s.len() - unit.len_utf8()];
    if !"mhdwMQY".contains(unit) {
        return Err(format!("`{s}`: unknown window unit `{unit}`"));
    }
    let n: i64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: `{digits}` is not a whole number"))?;
    if n <= 0 {
        return Err(format!("`{s}`: the window must be longer than zero"));
    }
    Ok((n, unit))
}

fn unit_minutes(unit: char) -> i64 {
    match unit {
        'm' => 1,
        'h' => 60,
        'd' => 24 * 60,
        'w' => 7 * 24 * 60,
        'M' => 30 * 24 * 60,
        'Q' => 90 * 24 * 60,
        _ => 365 * 24 * 60,
    }
}

impl Window {
    /// Parses a window as written in front matter: a rolling duration or
    /// `calendar-<unit>` (`calendar-month`, also `calendar month`, `monthly`, `month`).
    pub fn parse(s: &str) -> Result<Window, String> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase().replace([' ', '_'], "-");
        let cal = match lower.as_str() {
            "calendar-day" | "daily" | "day" => Some(Calendar::Day),
            "calendar-week" | "weekly" | "week" => Some(Calendar::Week),
            "calendar-month" | "monthly" | "month" => Some(Calendar::Month),
            "calendar-quarter" | "quarterly" | "quarter" => Some(Calendar::Quarter),
            "calendar-year" | "yearly" | "year" => Some(Calendar::Year),
            _ => None,
        };
        if let Some(c) = cal {
            return Ok(Window::Calendar(c));
        }
        Window::duration(t, true)
    }

    /// Parses an OpenSLO `timeWindow` duration: rolling, or with `is_rolling = false`
    /// one calendar period (`1M` is a calendar month).
    pub fn duration(s: &str, is_rolling: bool) -> Result<Window, String> {
        let (n, unit) = split_duration(s)?;
        if !is_rolling {
            let c = match unit {
                'd' => Calendar::Day,
                'w' => Calendar::Week,
                'M' => Calendar::Month,
                'Q' => Calendar::Quarter,
                'Y' => Calendar::Year,
                _ => {
                    return Err(format!(
                        "`{s}`: a calendar window is a day, week, month, quarter or year"
                    ))
                }
            };
            if n != 1 {
                return Err(format!(
                    "`{s}`: a calendar window covers one period (1{unit})"
                ));
            }
            return Ok(Window::Calendar(c));
        }
        let minutes = n
            .checked_mul(unit_minutes(unit))
            .filter(|m| *m <= MAX_MINUTES)
            .ok_or_else(|| format!("`{s}`: the window is longer than ten years"))?;
        Ok(Window::Rolling { minutes })
    }

    /// How the window reads in JSON and on pages: `28d`, `90m`, `calendar-month`.
    pub fn label(&self) -> String {
        match *self {
            Window::Calendar(c) => format!("calendar-{}", c.as_str()),
            Window::Rolling { minutes } => {
                for (unit, size) in [('w', 7 * 1440), ('d', 1440), ('h', 60)] {
                    if minutes % size == 0 {
                        // Weeks read better as days when they are a common SLO length.
                        if unit == 'w' && minutes / 1440 % 7 == 0 && minutes / 1440 >= 28 {
                            return format!("{}d", minutes / 1440);
                        }
                        return format!("{}{unit}", minutes / size);
                    }
                }
                format!("{minutes}m")
            }
        }
    }

    /// The window containing `now`: `[start, end)`. A rolling window ends at `now`; a
    /// calendar window is the whole period (so its budget is the period's).
    pub fn bounds(
        &self,
        now: DateTime<FixedOffset>,
    ) -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
        match *self {
            Window::Rolling { minutes } => (now - Duration::minutes(minutes), now),
            Window::Calendar(c) => {
                let tz = *now.offset();
                let day = now.date_naive();
                let at = |d: NaiveDate| {
                    tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
                        .single()
                        .unwrap_or(now)
                };
                let (start, end) = match c {
                    Calendar::Day => (day, day + Duration::days(1)),
                    Calendar::Week => {
                        let s = day - Duration::days(day.weekday().num_days_from_monday() as i64);
                        (s, s + Duration::days(7))
                    }
                    _ => {
                        let span = c.months().unwrap_or(1);
                        let m0 = (day.month0() / span) * span;
                        let s = NaiveDate::from_ymd_opt(day.year(), m0 + 1, 1).unwrap_or(day);
                        let e = s
                            .checked_add_months(chrono::Months::new(span))
                            .unwrap_or(s + Duration::days(30 * span as i64));
                        (s, e)
                    }
                };
                (at(start), at(end))
            }
        }
    }

    /// Length in minutes of the window containing `now`.
    #[cfg(test)]
    pub fn minutes(&self, now: DateTime<FixedOffset>) -> i64 {
        let (s, e) = self.bounds(now);
        (e - s).num_minutes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn rolling_units() {
        assert_eq!(
            Window::parse("28d"),
            Ok(Window::Rolling { minutes: 28 * 1440 })
        );
        assert_eq!(
            Window::parse("4w"),
            Ok(Window::Rolling { minutes: 28 * 1440 })
        );
        assert_eq!(Window::parse("1h"), Ok(Window::Rolling { minutes: 60 }));
        assert_eq!(Window::parse(" 30m "), Ok(Window::Rolling { minutes: 30 }));
        assert_eq!(
            Window::parse("1M"),
            Ok(Window::Rolling { minutes: 30 * 1440 })
        );
        assert_eq!(Window::parse("4w").unwrap().label(), "28d");
        assert_eq!(Window::parse("2w").unwrap().label(), "2w");
        assert_eq!(Window::parse("36h").unwrap().label(), "36h");
        assert_eq!(Window::parse("90m").unwrap().label(), "90m");
    }

    #[test]
    fn bad_windows_say_why() {
        assert!(Window::parse("28x")
            .unwrap_err()
            .contains("unknown window unit `x`"));
        assert!(Window::parse("d")
            .unwrap_err()
            .contains("not a whole number"));
        assert!(Window::parse("0d")
            .unwrap_err()
            .contains("longer than zero"));
        assert!(Window::parse("").is_err());
        assert!(Window::parse("99999999999Y")
            .unwrap_err()
            .contains("ten years"));
        assert!(Window::parse("28日")
            .unwrap_err()
            .contains("unknown window unit"));
        assert!(Window::duration("2M", false)
            .unwrap_err()
            .contains("one period"));
        assert!(Window::duration("1h", false).is_err());
    }

    #[test]
    fn calendar_month_bounds_and_length() {
        let w = Window::parse("calendar-month").unwrap();
        assert_eq!(w, Window::duration("1M", false).unwrap());
        assert_eq!(w.label(), "calendar-month");
        let (s, e) = w.bounds(at("2026-02-10T12:00:00+09:00"));
        assert_eq!(s, at("2026-02-01T00:00:00+09:00"));
        assert_eq!(e, at("2026-03-01T00:00:00+09:00"));
        assert_eq!(w.minutes(at("2026-02-10T12:00:00+09:00")), 28 * 1440);
        assert_eq!(w.minutes(at("2026-12-31T23:00:00+09:00")), 31 * 1440);
    }

    #[test]
    fn calendar_week_quarter_year() {
        let now = at("2026-12-03T08:00:00+00:00"); // a Thursday
        let (s, e) = Window::Calendar(Calendar::Week).bounds(now);
        assert_eq!(
            (s, e),
            (
                at("2026-11-30T00:00:00+00:00"),
                at("2026-12-07T00:00:00+00:00")
            )
        );
        let (s, e) = Window::Calendar(Calendar::Quarter).bounds(now);
        assert_eq!(
            (s, e),
            (
                at("2026-10-01T00:00:00+00:00"),
                at("2027-01-01T00:00:00+00:00")
            )
        );
        let (s, _) = Window::Calendar(Calendar::Year).bounds(now);
        assert_eq!(s, at("2026-01-01T00:00:00+00:00"));
    }

    #[test]
    fn rolling_bounds_end_now() {
        let now = at("2026-12-03T00:00:00+09:00");
        let (s, e) = Window::parse("28d").unwrap().bounds(now);
        assert_eq!(e, now);
        assert_eq!(s, at("2026-11-05T00:00:00+09:00"));
    }
}
