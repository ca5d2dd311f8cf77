//! Analytical CRM: pure models over plain inputs (purchases, visits, cases, campaign contacts)
//! that the server fills from its database. See docs/analytics.md.
//!
//! - [`summary`], [`bgnbd`], [`gamma_gamma`], [`clv`], [`report`]: lifetime value and churn risk
//!   (BG/NBD and Gamma-Gamma maximum-likelihood fits, P(alive), expected purchases, CLV);
//!   [`simulate`] draws histories from known parameters for tests and benchmarks.
//! - [`rfm`]: quintile scores and named segments. [`pareto`]: Pareto and whale curves.
//! - [`profitability`]: waterfall per customer with a geographic cost to serve.
//! - [`cohorts`]: retention by acquisition month, movement, revenue by month per group.
//! - [`cross_sell`]: association rules and look-alike recommendations.
//! - [`unusual`]: orders far outside a customer's own pattern.
//! - [`classes`]: quantile classes for colouring the map by a metric.

pub mod bgnbd;
pub mod classes;
pub mod clv;
pub mod cohorts;
pub mod cross_sell;
pub mod gamma_gamma;
mod optimise;
pub mod pareto;
pub mod profitability;
pub mod report;
pub mod rfm;
pub mod simulate;
pub mod special;
pub mod summary;
pub mod unusual;

pub use bgnbd::BgNbdParams;
pub use clv::{ClvSettings, CustomerScore, Scorer};
pub use gamma_gamma::GammaGammaParams;
pub use report::{FitReport, HoldoutCheck, fit_report};
pub use summary::{CustomerSummary, Purchase, summarise};

use chrono::NaiveDate;

/// Why a lifetime-value fit could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("customer {customer} has a purchase with a negative amount on {day}")]
    NegativeAmount { customer: i64, day: NaiveDate },
    #[error("the holdout end {holdout_end} must be after the calibration end {calibration_end}")]
    HoldoutNotAfterCalibration {
        calibration_end: NaiveDate,
        holdout_end: NaiveDate,
    },
    #[error(
        "too little data up to {calibration_end}: {found} customers bought in the calibration period, at least {needed} are needed"
    )]
    TooFewCustomers {
        calibration_end: NaiveDate,
        found: usize,
        needed: usize,
    },
    #[error(
        "too little data up to {calibration_end}: {found} customers bought again in the calibration period, at least {needed} are needed"
    )]
    TooFewRepeatCustomers {
        calibration_end: NaiveDate,
        found: usize,
        needed: usize,
    },
    #[error("the {model} fit has no customers to fit on")]
    NoData { model: &'static str },
    #[error("the {model} fit did not converge")]
    NoConvergence { model: &'static str },
    #[error(
        "the {model} fit is degenerate: parameter {parameter} runs to 0 or infinity (too little variation in the data)"
    )]
    Degenerate {
        model: &'static str,
        parameter: &'static str,
    },
    #[error("setting {name} must be {reason}")]
    InvalidSetting {
        name: &'static str,
        reason: &'static str,
    },
}
