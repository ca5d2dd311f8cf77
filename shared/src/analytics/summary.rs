//! Purchase histories reduced to the statistics the customer-base models use.

use super::FitError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One order (or transaction line) of a customer: the input of the lifetime-value models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub customer: i64,
    pub day: NaiveDate,
    /// Order value in minor currency units (e.g. cents, sen); not negative.
    pub amount_minor: i64,
}

/// Days per model time unit: the models count time in weeks (fractional, days / 7).
pub const DAYS_PER_WEEK: f64 = 7.0;

/// A customer's purchase history at the end of a calibration period. Purchases on one day are
/// merged into one (their amounts summed): the models count purchase occasions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    pub customer: i64,
    pub first_day: NaiveDate,
    /// `x`: repeat purchases (purchase days after the first) up to the calibration end.
    pub frequency: u32,
    /// `t_x` in days: from the first to the last purchase up to the calibration end.
    pub recency_days: u32,
    /// `T` in days: from the first purchase to the calibration end.
    pub age_days: u32,
    /// Total value of the repeat purchases in the calibration period (first purchase excluded).
    pub repeat_value_minor: i64,
    /// Purchase days after the calibration end, up to the holdout end (0 without a holdout).
    pub holdout_purchases: u32,
}

impl CustomerSummary {
    pub fn recency_weeks(&self) -> f64 {
        self.recency_days as f64 / DAYS_PER_WEEK
    }

    pub fn age_weeks(&self) -> f64 {
        self.age_days as f64 / DAYS_PER_WEEK
    }

    /// Mean value of a repeat purchase (the Gamma-Gamma model's `m_x`); `None` without repeats.
    pub fn mean_repeat_value_minor(&self) -> Option<f64> {
        (self.frequency > 0).then(|| self.repeat_value_minor as f64 / self.frequency as f64)
    }
}

/// Summaries of every customer whose first purchase is on or before `calibration_end`, ordered
/// by customer id. Purchases after `holdout_end` (or after `calibration_end` without a holdout)
/// are ignored. A negative amount is an error naming the customer and the day.
pub fn summarise(
    purchases: &[Purchase],
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
) -> Result<Vec<CustomerSummary>, FitError> {
    if let Some(end) = holdout_end
        && end <= calibration_end
    {
        return Err(FitError::HoldoutNotAfterCalibration {
            calibration_end,
            holdout_end: end,
        });
    }
    let last_day = holdout_end.unwrap_or(calibration_end);
    let mut rows: Vec<(i64, NaiveDate, i64)> = Vec::with_capacity(purchases.len());
    for p in purchases {
        if p.amount_minor < 0 {
            return Err(FitError::NegativeAmount {
                customer: p.customer,
                day: p.day,
            });
        }
        if p.day <= last_day {
            rows.push((p.customer, p.day, p.amount_minor));
        }
    }
    rows.sort_unstable();
    let mut out = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let customer = rows[i].0;
        let first_day = rows[i].1;
        let mut summary = CustomerSummary {
            customer,
            first_day,
            frequency: 0,
            recency_days: 0,
            age_days: days_between(first_day, calibration_end),
            repeat_value_minor: 0,
            holdout_purchases: 0,
        };
        let mut previous_day = None;
        while i < rows.len() && rows[i].0 == customer {
            let (_, day, amount) = rows[i];
            let new_day = previous_day != Some(day);
            previous_day = Some(day);
            i += 1;
            if day > calibration_end {
                summary.holdout_purchases += u32::from(new_day);
            } else if day > first_day {
                summary.frequency += u32::from(new_day);
                summary.recency_days = days_between(first_day, day);
                summary.repeat_value_minor += amount;
            }
        }
        if first_day <= calibration_end {
            out.push(summary);
        }
    }
    Ok(out)
}

fn days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    (to - from).num_days().max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(customer: i64, d: &str, amount_minor: i64) -> Purchase {
        Purchase {
            customer,
            day: day(d),
            amount_minor,
        }
    }

    #[test]
    fn merges_same_day_purchases_and_splits_calibration_from_holdout() {
        let purchases = [
            p(1, "2024-01-01", 100),
            p(1, "2024-01-01", 50), // same day as the first: merged into it
            p(1, "2024-01-15", 30),
            p(1, "2024-01-15", 20),
            p(1, "2024-01-29", 10),
            p(1, "2024-02-20", 99), // holdout
            p(1, "2024-02-20", 1),  // same holdout day
            p(1, "2024-03-20", 5),  // after the holdout: ignored
            p(2, "2024-02-10", 70), // first purchase after the calibration end: not a customer yet
            p(3, "2024-01-31", 40),
        ];
        let s = summarise(&purchases, day("2024-01-31"), Some(day("2024-03-01"))).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0],
            CustomerSummary {
                customer: 1,
                first_day: day("2024-01-01"),
                frequency: 2,
                recency_days: 28,
                age_days: 30,
                repeat_value_minor: 60,
                holdout_purchases: 1,
            }
        );
        assert_eq!(s[0].mean_repeat_value_minor(), Some(30.0));
        assert_eq!((s[1].customer, s[1].frequency, s[1].age_days), (3, 0, 0));
        assert_eq!(s[1].mean_repeat_value_minor(), None);
    }

    #[test]
    fn rejects_negative_amounts_and_a_holdout_before_the_calibration_end() {
        let err = summarise(&[p(7, "2024-01-02", -5)], day("2024-02-01"), None).unwrap_err();
        assert!(err.to_string().contains("customer 7"), "{err}");
        let err = summarise(&[], day("2024-02-01"), Some(day("2024-02-01"))).unwrap_err();
        assert!(matches!(err, FitError::HoldoutNotAfterCalibration { .. }));
    }
}
