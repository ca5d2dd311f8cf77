//! Money, rates and quantities as integers: amounts in minor units of an ISO 4217 currency,
//! rates in basis points (1 % = 100 bp), quantities in thousandths of a unit. Nothing here is a
//! float, so a total computed in the browser, on the server and in a test is the same number.
//!
//! **Rounding** ([`round_div`]): to the nearest minor unit, halves away from zero (2.5 → 3,
//! −2.5 → −3), the way a spreadsheet's `ROUND` and a customer's calculator do it. It is symmetric,
//! so a returned line is exactly the negative of the line it returns. Why not halves to even:
//! see `docs/sales.md` (with halves away from zero the sum of n rounded lines never differs from
//! the rounded exact sum by more than ⌊n/2⌋ minor units; with halves to even it can be ⌊(n+1)/2⌋).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::account::ValidationError;

/// 100 % in basis points.
pub const FULL_BP: i64 = 10_000;
/// Thousandths per unit of quantity.
pub const MILLI: i64 = 1_000;
/// The largest amount a money field holds (as the resource fields declare: 9 × 10¹⁵).
pub const MAX_MINOR: i64 = 9_000_000_000_000_000;

/// An ISO 4217 code: three upper-case ASCII letters (`IDR`, `USD`). Copy, no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const IDR: Currency = Currency(*b"IDR");

    /// Reads a code, refusing anything but three upper-case letters (naming `field`).
    pub fn parse(field: &'static str, text: &str) -> Result<Currency, ValidationError> {
        match text.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(ValidationError::new(
                field,
                format!("{text:?} is not an ISO 4217 code like IDR"),
            )
            .because("bad_currency")),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("three ASCII letters")
    }

    /// Decimal digits of one minor unit: Wilayah keeps rupiah whole (IDR 0, as in everyday
    /// use); ISO 4217's currencies without a minor unit 0, its three-decimal dinars 3, the
    /// rest 2.
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"IDR" | b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"PYG" | b"UGX" | b"XAF"
            | b"XOF" | b"XPF" | b"RWF" | b"KMF" | b"GNF" | b"DJF" | b"BIF" | b"VUV" => 0,
            b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for Currency {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse("currency", s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Currency::parse("currency", &text).map_err(serde::de::Error::custom)
    }
}

/// `numerator / denominator` rounded to the nearest integer, halves away from zero.
/// `denominator` must be positive.
pub fn round_div(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    // Twice the remainder against the denominator decides: beyond half rounds away, half too.
    if 2 * remainder.abs() >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// An amount that must fit a money field, or an error naming `field`.
pub fn fit_minor(field: &'static str, amount: i128) -> Result<i64, ValidationError> {
    i64::try_from(amount)
        .ok()
        .filter(|a| a.abs() <= MAX_MINOR)
        .ok_or_else(|| {
            ValidationError::new(
                field,
                format!("the amount is too large (at most {MAX_MINOR} minor units)"),
            )
        })
}

/// Reads a decimal quantity (`3`, `1.5`, `-0.250`) into thousandths of a unit, exactly: no
/// float on the way, and more than three decimals is an error rather than a silent rounding.
pub fn parse_quantity_milli(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not a quantity like 12 or 1.5 (at most 3 decimals)");
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > 3
        || whole.len() > 15
    {
        return Err(bad());
    }
    let mut milli: i64 = 0;
    for b in whole.bytes() {
        milli = milli * 10 + i64::from(b - b'0');
    }
    milli *= MILLI;
    let mut scale = 100;
    for b in fraction.bytes() {
        milli += i64::from(b - b'0') * scale;
        scale /= 10;
    }
    Ok(if negative { -milli } else { milli })
}

/// A quantity in thousandths written back as the shortest decimal (`1500` → `1.5`).
pub fn format_quantity_milli(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let (whole, fraction) = (milli.unsigned_abs() / 1000, milli.unsigned_abs() % 1000);
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{fraction:03}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_takes_halves_away_from_zero_and_is_symmetric() {
        for (n, d, expected) in [
            (5, 2, 3),
            (-5, 2, -3),
            (7, 3, 2),
            (-7, 3, -2),
            (8, 3, 3),
            (-8, 3, -3),
            (4, 2, 2),
            (0, 9, 0),
            (1, 3, 0),
            (-1, 3, 0),
            (14_999, 10_000, 1),
            (15_000, 10_000, 2),
        ] {
            assert_eq!(round_div(n, d), expected, "{n}/{d}");
            assert_eq!(round_div(-n, d), -expected, "-{n}/{d}");
        }
    }

    proptest::proptest! {
        #[test]
        fn rounding_is_within_half_a_unit(n in -1_000_000_000i128..1_000_000_000, d in 1i128..100_000) {
            let r = round_div(n, d);
            // |r − n/d| ≤ 1/2, in integers.
            proptest::prop_assert!(2 * (r * d - n).abs() <= d);
        }
    }

    #[test]
    fn quantities_read_exactly_and_refuse_a_fourth_decimal() {
        for (text, milli) in [
            ("3", 3000),
            ("1.5", 1500),
            ("0.001", 1),
            ("-0.25", -250),
            ("+2.", 2000),
            (".5", 500),
        ] {
            assert_eq!(parse_quantity_milli(text), Ok(milli), "{text}");
        }
        for bad in [
            "",
            "-",
            ".",
            "1.2345",
            "1,5",
            "1e3",
            "x",
            "1.5.1",
            "99999999999999999",
        ] {
            assert!(parse_quantity_milli(bad).is_err(), "{bad}");
        }
        for milli in [0, 1, 1500, -250, 12_000, 1_234_567] {
            assert_eq!(
                parse_quantity_milli(&format_quantity_milli(milli)),
                Ok(milli)
            );
        }
        assert_eq!(format_quantity_milli(1500), "1.5");
        assert_eq!(format_quantity_milli(-2000), "-2");
    }

    #[test]
    fn currencies_are_three_capital_letters() {
        assert_eq!(Currency::parse("currency", "USD").unwrap().as_str(), "USD");
        for bad in ["idr", "ID", "IDRX", "I D", "ÍDR"] {
            assert_eq!(
                Currency::parse("currency", bad).unwrap_err().field,
                "currency"
            );
        }
        let c: Currency = serde_json::from_str("\"EUR\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"EUR\"");
        assert!(serde_json::from_str::<Currency>("\"eur\"").is_err());
    }
}
