//! Numbers and dates as a spreadsheet shows them: date styles, Excel
//! serial dates in both date systems, and exact decimal digits.

use super::*;

/// For each cell format (`<cellXfs><xf>`), whether it displays a date/time.
pub(super) fn parse_date_styles(xml: &str, member: &str) -> Result<Vec<bool>, ExtractError> {
    let ns = Ns::detect(xml, MAIN_NS, "");
    let mut reader = Reader::from_str(xml);
    let mut custom: Vec<(u32, bool)> = Vec::new();
    let (mut in_xfs, mut out) = (false, Vec::new());
    loop {
        match reader.read_event().map_err(|e| xml_error(member, e))? {
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "numFmt") => {
                let id = attr(&e, b"numFmtId").and_then(|v| v.parse().ok());
                let code = attr(&e, b"formatCode").unwrap_or_default();
                if let Some(id) = id {
                    custom.push((id, is_date_code(&code)));
                }
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "cellXfs") => in_xfs = true,
            Event::End(e) if ns.is(e.name().as_ref(), "cellXfs") => in_xfs = false,
            Event::Start(e) | Event::Empty(e) if in_xfs && ns.is(e.name().as_ref(), "xf") => {
                let id: u32 = attr(&e, b"numFmtId")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let date = match custom.iter().find(|(c, _)| *c == id) {
                    Some((_, date)) => *date,
                    // Built-in date/time formats, including the zh-CN ones (27–36, 50–58).
                    None => matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58),
                };
                out.push(date);
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Whether a custom number format shows a date or time: it uses y, m, d, h
/// or s outside quoted literals, `[...]` blocks and `\x` escapes.
pub(super) fn is_date_code(code: &str) -> bool {
    let (mut quoted, mut bracket, mut escaped) = (false, false, false);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' if !quoted && !bracket => {
                return true
            }
            _ => {}
        }
    }
    false
}

/// An Excel date serial as `YYYY-MM-DD` (with ` HH:MM:SS` when it has a time).
pub(crate) fn excel_date(raw: &str, date1904: bool) -> Option<String> {
    let serial: f64 = raw
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| (0.0..2_958_466.0).contains(v))?;
    let mut days = serial.floor() as i64;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    // Shift to days from 1970-01-01. The 1900 system counts a non-existent
    // 1900-02-29 (serial 60), so serials before it are one day off.
    days += if date1904 {
        -24_107
    } else if days < 61 {
        -25_568
    } else {
        -25_569
    };
    let (y, m, d) = civil_from_days(days + seconds.div_euclid(86_400));
    let secs = seconds.rem_euclid(86_400);
    Some(if secs == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}")
    })
}

/// Proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's algorithm).
pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A stored number as plain digits: `1.38123456789E10` → `13812345678`,
/// so ID and phone numbers kept as numbers are scanned as what they are.
/// Works on the decimal text, never through f64, so no digit is lost.
pub(crate) fn plain_number(raw: &str) -> String {
    let raw = raw.trim();
    let Some((mantissa, exp)) = raw.split_once(['E', 'e']) else {
        return raw.to_owned();
    };
    let Some(exp) = exp.parse::<i32>().ok().filter(|e| (0..=40).contains(e)) else {
        return raw.to_owned();
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return raw.to_owned();
    }
    let exp = exp as usize;
    let mut digits = format!("{int}{}", &frac[..exp.min(frac.len())]);
    digits.extend(std::iter::repeat_n('0', exp.saturating_sub(frac.len())));
    let digits = match digits.trim_start_matches('0') {
        "" => "0",
        d => d,
    };
    let rest = frac.get(exp..).unwrap_or("").trim_end_matches('0');
    if rest.is_empty() {
        format!("{sign}{digits}")
    } else {
        format!("{sign}{digits}.{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_their_exponent_not_their_digits() {
        assert_eq!(plain_number("1.3812345678E10"), "13812345678");
        assert_eq!(plain_number("1.38123456789E10"), "13812345678.9");
        assert_eq!(plain_number("4.20106198501011E+17"), "420106198501011000");
        assert_eq!(plain_number("420106198501011234"), "420106198501011234");
        assert_eq!(plain_number("1.5E1"), "15");
        assert_eq!(plain_number("1.25E1"), "12.5");
        assert_eq!(plain_number("-2E3"), "-2000");
        assert_eq!(plain_number("3.14"), "3.14");
        assert_eq!(plain_number("1E-5"), "1E-5");
        assert_eq!(plain_number("xE5"), "xE5");
    }

    #[test]
    fn dates_from_serials_and_formats() {
        assert_eq!(excel_date("43832", false).as_deref(), Some("2020-01-02"));
        assert_eq!(excel_date("1", false).as_deref(), Some("1900-01-01"));
        assert_eq!(excel_date("61", false).as_deref(), Some("1900-03-01"));
        assert_eq!(excel_date("0", true).as_deref(), Some("1904-01-01"));
        assert_eq!(
            excel_date("43832.5", false).as_deref(),
            Some("2020-01-02 12:00:00")
        );
        assert_eq!(excel_date("x", false), None);
        assert!(is_date_code("yyyy/m/d"));
        assert!(is_date_code("[$-804]yyyy\"年\"m\"月\"d\"日\""));
        assert!(!is_date_code("#,##0.00\"元\""));
        assert!(!is_date_code("[Red]0.00"));
        assert!(!is_date_code("0.00E+00"));
    }
}
