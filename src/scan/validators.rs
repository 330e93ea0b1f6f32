//! Named validators referenced from detector packs (`validator = "cn_id_card"`).
//! Each takes the matched value folded to ASCII (full-width forms already
//! mapped) and says whether it is a real instance of the entity.

/// A validator a pack can name.
#[derive(Debug, Clone, Copy)]
pub struct Validator {
    pub name: &'static str,
    pub check: fn(&str) -> bool,
}

const VALIDATORS: &[Validator] = &[
    Validator {
        name: "cn_id_card",
        check: cn_id_card,
    },
    Validator {
        name: "cn_uscc",
        check: cn_uscc,
    },
    Validator {
        name: "luhn",
        check: luhn_digits,
    },
    Validator {
        name: "bank_card",
        check: bank_card,
    },
    Validator {
        name: "ipv4",
        check: ipv4,
    },
    Validator {
        name: "ipv6",
        check: ipv6,
    },
    Validator {
        name: "cn_mobile",
        check: cn_mobile,
    },
    Validator {
        name: "random_token",
        check: random_token,
    },
    Validator {
        name: "cn_landline",
        check: cn_landline,
    },
];

pub fn by_name(name: &str) -> Option<Validator> {
    VALIDATORS.iter().copied().find(|v| v.name == name)
}

pub fn validator_names() -> impl Iterator<Item = &'static str> {
    VALIDATORS.iter().map(|v| v.name)
}

fn digits_only(value: &str) -> impl Iterator<Item = u8> + '_ {
    value.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0')
}

/// Province-level prefixes of administrative region codes (GB/T 2260).
pub fn valid_province(code: u32) -> bool {
    matches!(code, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65)
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// A real calendar date within the years identity numbers use.
pub fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2024).contains(&year) && (1..=days).contains(&day)
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |acc, &x| acc * 10 + x as u32)
}

/// Resident identity number: 18 characters with ISO 7064 MOD 11-2 check, or
/// the 15-digit legacy form; region prefix and birth date must be real.
pub fn cn_id_card(value: &str) -> bool {
    let compact: Vec<u8> = value.bytes().filter(|b| *b != b' ').collect();
    match compact.len() {
        18 => {
            let (body, check) = compact.split_at(17);
            if !body.iter().all(u8::is_ascii_digit) {
                return false;
            }
            let d: Vec<u8> = body.iter().map(|b| b - b'0').collect();
            if !valid_province(num(&d[..2]))
                || !valid_date(num(&d[6..10]), num(&d[10..12]), num(&d[12..14]))
            {
                return false;
            }
            const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
            let sum: u32 = d.iter().zip(W).map(|(&x, w)| x as u32 * w).sum();
            let expect = b"10X98765432"[(sum % 11) as usize];
            check[0].to_ascii_uppercase() == expect
        }
        15 => {
            if !compact.iter().all(u8::is_ascii_digit) {
                return false;
            }
            let d: Vec<u8> = compact.iter().map(|b| b - b'0').collect();
            valid_province(num(&d[..2]))
                && valid_date(1900 + num(&d[6..8]), num(&d[8..10]), num(&d[10..12]))
        }
        _ => false,
    }
}

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Unified social credit code, GB 32100-2015.
pub fn cn_uscc(value: &str) -> bool {
    let v = value.as_bytes();
    if v.len() != 18 {
        return false;
    }
    let Some(vals) = v
        .iter()
        .map(|c| USCC_ALPHABET.iter().position(|a| a == c).map(|p| p as u32))
        .collect::<Option<Vec<u32>>>()
    else {
        return false;
    };
    let registrar_ok = matches!(v[0], b'1'..=b'9' | b'A' | b'N' | b'Y');
    let kind_ok = matches!(v[1], b'1' | b'2' | b'3' | b'9');
    let region_ok = v[2..8].iter().all(u8::is_ascii_digit)
        && valid_province((v[2] - b'0') as u32 * 10 + (v[3] - b'0') as u32);
    const W: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u32 = vals[..17].iter().zip(W).map(|(x, w)| x * w).sum();
    let check = (31 - sum % 31) % 31;
    registrar_ok && kind_ok && region_ok && vals[17] == check
}

/// A token a generator or an issuer made: no character repeated six times
/// in a row, which a random key or an issued number almost never has and a
/// placeholder always does (`AKIAXXXXXXXXXXXXXXXX`, `AKID000000…`, a test
/// passport `E00000000`), and no `your` (`xoxb-your-bot-token`).
/// A vendor's documentation key (`…EXAMPLE`) passes: it is published, but
/// it is a key's shape a reviewer should see.
pub fn random_token(value: &str) -> bool {
    let b = value.as_bytes();
    // `AKIAIOSFODNN7EXAMPLE` is the key AWS documents for examples.
    !b.windows(6).any(|w| w.iter().all(|&c| c == w[0]))
        && !b.windows(4).any(|w| w.eq_ignore_ascii_case(b"your"))
        && !b.windows(7).any(|w| w.eq_ignore_ascii_case(b"example"))
}

/// Luhn (mod 10) over the digits of the value; separators are ignored.
pub fn luhn_digits(value: &str) -> bool {
    let digits: Vec<u8> = digits_only(value).collect();
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = d as u32;
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Payment card: 16–19 digits, UnionPay / Visa / Mastercard prefix, Luhn.
pub fn bank_card(value: &str) -> bool {
    let digits: Vec<u8> = digits_only(value).collect();
    let prefix_ok = match digits.as_slice() {
        [6, 2, ..] | [4, ..] => true,
        [5, x, ..] => (1..=5).contains(x),
        _ => false,
    };
    (16..=19).contains(&digits.len()) && prefix_ok && luhn_digits(value)
}

/// A year as file numbers carry it (1990–2039).
fn is_year(group: &str) -> bool {
    group
        .parse::<u32>()
        .is_ok_and(|y| (1990..=2039).contains(&y))
}

/// Dotted quad, each part 0–255 without superfluous leading zeros.
pub fn ipv4(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}

/// A parsable IPv6 address with at least one group: a bare `::` is more
/// often two colons (`联系方式：:`) than the unspecified address.
pub fn ipv6(value: &str) -> bool {
    value.contains(':')
        && value.bytes().any(|b| b.is_ascii_hexdigit())
        && value.parse::<std::net::Ipv6Addr>().is_ok()
}

/// Mainland mobile: 11 digits (after an optional +86 / 0086 prefix) with an
/// allocated three-digit prefix. Eight zeros after the prefix
/// (`13800000000`) are a form's or a test's dummy, no subscriber.
pub fn cn_mobile(value: &str) -> bool {
    let digits: Vec<u8> = digits_only(value).collect();
    let national = match digits.len() {
        11 => &digits[..],
        13 if digits.starts_with(&[8, 6]) => &digits[2..],
        15 if digits.starts_with(&[0, 0, 8, 6]) => &digits[4..],
        _ => return false,
    };
    matches!(
        num(&national[..3]),
        130..=139 | 145..=149 | 150..=153 | 155..=159 | 162 | 165..=167 | 170..=178 | 180..=199
    ) && !matches!(num(&national[..3]), 194)
        && national[3..].iter().any(|&d| d != 0)
}

/// Fixed line: `010`/`02X` + 8 digits or `0XXX` + 7–8 digits (subscriber
/// starts with 2–9); `400`/`800` + 7 digits. Extensions after the subscriber
/// number (`-123`) are allowed.
pub fn cn_landline(value: &str) -> bool {
    let groups: Vec<&str> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let joined;
    let (area, subscriber) = match groups.as_slice() {
        [a, b, c] if (*a == "400" || *a == "800") && b.len() == 3 && c.len() == 4 => return true,
        // An eight-digit number in two groups of four (`027 8723 6699`);
        // with dashes and a year in the middle it is a file or project
        // number (`0711-2024-0031`).
        [_, s1, s2] if s1.len() == 4 && s2.len() == 4 && value.contains('-') && is_year(s1) => {
            return false
        }
        [a, s1, s2] if s1.len() == 4 && s2.len() == 4 => {
            joined = [*s1, *s2].concat();
            (*a, joined.as_str())
        }
        [a, s] | [a, s, _] => (*a, *s),
        // Area code and number written together: Beijing and the 02x cities
        // have three-digit codes, everyone else four.
        [whole] if whole.starts_with('0') && whole.len() > 4 => {
            let cut = if whole.starts_with("010") || whole.starts_with("02") {
                3
            } else {
                4
            };
            whole.split_at(cut)
        }
        _ => return false,
    };
    if groups.len() == 3 && groups[2].len() > 5 {
        return false;
    }
    let sub_ok =
        |lens: &[usize]| lens.contains(&subscriber.len()) && subscriber.as_bytes()[0] >= b'2';
    match area.len() {
        3 => (area == "010" || area.starts_with("02")) && sub_ok(&[8]),
        4 => {
            area.starts_with('0')
                && !area.starts_with("00")
                && !area.starts_with("01")
                && !area.starts_with("02")
                && sub_ok(&[7, 8])
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_card_vectors() {
        // GB 11643-1999 worked example and corpus-style numbers.
        assert!(cn_id_card("11010519491231002X"));
        assert!(cn_id_card("11010519491231002x"));
        assert!(cn_id_card("440524198001010013"));
        assert!(!cn_id_card("440524188001010014")); // born before 1900
        assert!(!cn_id_card("110105194912310021")); // wrong check
        assert!(!cn_id_card("110105194902300020")); // Feb 30
        assert!(!cn_id_card("000704195007237999")); // province 00
        assert!(cn_id_card("420202740823045")); // legacy 15 digits
        assert!(!cn_id_card("420202741323045")); // month 13
        assert!(cn_id_card("110105 19491231 002X"));
    }

    #[test]
    fn dates() {
        assert!(valid_date(2000, 2, 29));
        assert!(!valid_date(1900, 2, 29));
        assert!(!valid_date(1985, 13, 32));
        assert!(!valid_date(2025, 1, 1));
    }

    #[test]
    fn uscc_vectors() {
        // Published example codes with valid check characters.
        assert!(cn_uscc("91350100M000100Y43"));
        assert!(cn_uscc("91420704540751139A"));
        assert!(!cn_uscc("91420704540751139E"));
        assert!(!cn_uscc("9I350100M000100Y43")); // I is not in the alphabet
        assert!(!cn_uscc("91350100M000100Y44"));
        assert!(!cn_uscc("91350100M000100Y4"));
    }

    #[test]
    fn luhn_vectors() {
        assert!(luhn_digits("79927398713"));
        assert!(!luhn_digits("79927398710"));
        assert!(bank_card("4111111111111111"));
        assert!(bank_card("4111 1111 1111 1111"));
        assert!(bank_card("5500000000000004"));
        assert!(!bank_card("378282246310005")); // Amex: prefix not in scope
        assert!(!bank_card("4111111111111112"));
    }

    #[test]
    fn ip_vectors() {
        assert!(ipv4("192.168.1.1") && ipv4("0.0.0.0") && ipv4("255.255.255.255"));
        assert!(!ipv4("283.225.99.169") && !ipv4("1.2.3") && !ipv4("01.2.3.4"));
        assert!(ipv6("2001:db8::1") && ipv6("::1") && ipv6("fe80:0:0:0:0:0:0:1"));
        assert!(!ipv6("00:1A:2B:3C:4D:5E") && !ipv6("12:30"));
    }

    #[test]
    fn phone_vectors() {
        assert!(cn_mobile("13812345678") && cn_mobile("+86 138-1234-5678"));
        assert!(cn_mobile("008613812345678"));
        assert!(
            !cn_mobile("12812345678") && !cn_mobile("16012345678") && !cn_mobile("19412345678")
        );
        assert!(cn_landline("0711-3201234") && cn_landline("027 87654321"));
        assert!(cn_landline("(010)36947797") && cn_landline("0717-3344043-6652"));
        assert!(cn_landline("400-880-1234"));
        assert!(cn_landline("027 8723 6699") && !cn_landline("027 8723 669"));
        assert!(cn_landline("027-8723-6699") && !cn_landline("0711-2024-0031"));
        assert!(cn_landline("02788886666") && cn_landline("057382632102"));
        assert!(!cn_landline("02712345678") && !cn_landline("0711201234"));
        assert!(!cn_landline("027-1234567") && !cn_landline("0711-1201234"));
    }
}
