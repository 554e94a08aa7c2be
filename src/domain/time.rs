//! How the API writes an instant, wherever it appears: the `DateTime` scalar, the JSON of
//! data exports, the open data files.

use chrono::{DateTime, SecondsFormat, Utc};

/// `at` in RFC 3339, in UTC with `Z`, to the second: `2020-05-14T16:30:00Z`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_written_in_utc_with_z_to_the_second() {
        let at = DateTime::parse_from_rfc3339("2020-05-14T18:30:00.123456+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339(at), "2020-05-14T16:30:00Z");
    }
}
