//! The fit a user checks on their own data (`wilayah analytics fit`): both models on a
//! calibration period, and optionally the holdout check.

use super::summary::{CustomerSummary, DAYS_PER_WEEK, Purchase, summarise};
use super::{FitError, bgnbd, gamma_gamma};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Fewer customers than this in the calibration period is too little data to fit on.
pub const MIN_CUSTOMERS: usize = 30;
/// Fewer customers with a repeat purchase than this leaves the dropout and spend models unidentified.
pub const MIN_REPEAT_CUSTOMERS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Time unit of the BG/NBD parameters: always `"week"`.
    pub unit: String,
    pub customers: usize,
    pub bgnbd: bgnbd::BgNbdParams,
    pub gamma_gamma: gamma_gamma::GammaGammaParams,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<HoldoutCheck>,
}

/// Total repeat purchases (purchase days) after the calibration end: seen, and expected by the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HoldoutCheck {
    pub actual: u64,
    pub predicted: f64,
}

/// Fits BG/NBD and Gamma-Gamma on the purchases up to `calibration_end` and, with a
/// `holdout_end`, compares the repeat purchases after it with the model's expectation.
pub fn fit_report(
    purchases: &[Purchase],
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
) -> Result<FitReport, FitError> {
    let customers = summarise(purchases, calibration_end, holdout_end)?;
    fit_summaries(&customers, calibration_end, holdout_end)
}

/// [`fit_report`] on summaries already made.
pub fn fit_summaries(
    customers: &[CustomerSummary],
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
) -> Result<FitReport, FitError> {
    if customers.len() < MIN_CUSTOMERS {
        return Err(FitError::TooFewCustomers {
            calibration_end,
            found: customers.len(),
            needed: MIN_CUSTOMERS,
        });
    }
    let spend = gamma_gamma::fitting_data(customers);
    if spend.len() < MIN_REPEAT_CUSTOMERS {
        return Err(FitError::TooFewRepeatCustomers {
            calibration_end,
            found: spend.len(),
            needed: MIN_REPEAT_CUSTOMERS,
        });
    }
    let bg = bgnbd::fit(customers)?;
    let gg = gamma_gamma::fit(&spend)?;
    let holdout = holdout_end.map(|end| {
        let t = (end - calibration_end).num_days() as f64 / DAYS_PER_WEEK;
        HoldoutCheck {
            actual: customers.iter().map(|c| c.holdout_purchases as u64).sum(),
            predicted: customers
                .iter()
                .map(|c| bg.expected_purchases(c.frequency, c.recency_weeks(), c.age_weeks(), t))
                .sum(),
        }
    });
    Ok(FitReport {
        unit: "week".into(),
        customers: customers.len(),
        bgnbd: bg,
        gamma_gamma: gg,
        holdout,
    })
}
