//! Dates in front matter: `YYYY-MM-DD`, RFC 3339 with offset, or a local date-time
//! (`YYYY-MM-DD HH:MM[:SS]`) read in the site's configured offset.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Serialize, Serializer};

/// A point in time as written in front matter; `has_time` is false for plain dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub at: DateTime<FixedOffset>,
    pub has_time: bool,
}

impl Date {
    pub fn parse(s: &str, offset: FixedOffset) -> Option<Date> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let at = offset
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single()?;
            return Some(Date {
                at,
                has_time: false,
            });
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(s) {
            return Some(Date { at, has_time: true });
        }
        // RFC 3339 allows a space instead of `T`.
        if let Ok(at) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%:z") {
            return Some(Date { at, has_time: true });
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
                let at = offset.from_local_datetime(&naive).single()?;
                return Some(Date { at, has_time: true });
            }
        }
        None
    }

    pub fn date_naive(&self) -> NaiveDate {
        self.at.date_naive()
    }

    /// RFC 3339, or `YYYY-MM-DD` for plain dates.
    pub fn to_string_short(self) -> String {
        if self.has_time {
            self.at.to_rfc3339()
        } else {
            self.at.format("%Y-%m-%d").to_string()
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.at.to_rfc3339())
    }
}

/// "+09:00", "-05:30", "Z" or "UTC".
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jst() -> FixedOffset {
        parse_offset("+09:00").unwrap()
    }

    #[test]
    fn plain_dates_are_midnight_in_site_offset() {
        let d = Date::parse("2025-05-12", jst()).unwrap();
        assert!(!d.has_time);
        assert_eq!(d.at.to_rfc3339(), "2025-05-12T00:00:00+09:00");
        assert_eq!(d.to_string_short(), "2025-05-12");
    }

    #[test]
    fn rfc3339_keeps_its_own_offset() {
        let d = Date::parse("2025-05-12T10:03:00Z", jst()).unwrap();
        assert_eq!(d.at.offset().local_minus_utc(), 0);
        let d = Date::parse("2025-05-12 10:03:00+02:00", jst()).unwrap();
        assert_eq!(d.at.offset().local_minus_utc(), 7200);
    }

    #[test]
    fn local_datetimes_take_site_offset() {
        let d = Date::parse("2025-05-12 10:03", jst()).unwrap();
        assert_eq!(d.at.to_rfc3339(), "2025-05-12T10:03:00+09:00");
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for s in [
            "2025-13-01",
            "2025-02-30",
            "yesterday",
            "",
            "2025-05-12T25:00:00Z",
        ] {
            assert!(Date::parse(s, jst()).is_none(), "{s}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("-05:30").unwrap().local_minus_utc(), -19800);
        assert!(parse_offset("JST").is_none());
        assert!(parse_offset("+9").is_none());
    }
}
