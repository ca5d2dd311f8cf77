//! The background scoring job: BG/NBD and Gamma-Gamma fitted on the whole order history (not
//! one caller's part of it, so every caller reads the same scores) and every customer scored —
//! P(alive), expected purchases and CLV over the horizon — with the results stored per customer
//! with the day of the fit. The job's row records its progress (customers done of total), which
//! the analytics page polls. Started by an admin or manager from the page
//! (`POST /api/v1/analytics/scoring-jobs`) or from the CLI (`wilayah analytics score`). Runs as
//! the system: what a caller may read of the scores is decided when they are read.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use wilayah_shared::analytics::{ClvSettings, Purchase, Scorer, fit_report, summarise};
use wilayah_shared::money::Currency;

use crate::db::{ServerStore, StoredScore};

/// Customers scored and stored per step (one transaction and one progress update each).
pub const SCORES_PER_STEP: usize = 5_000;

/// What a scoring job computes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoringRequest {
    /// Purchases up to this day are fitted and scored; the scores' "fitted on" day.
    pub calibration_end: NaiveDate,
    pub settings: ClvSettings,
}

/// What a finished job did.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringSummary {
    pub currency: String,
    pub customers: usize,
}

/// Runs a job begun with `begin_scoring_job` to its end: a failure (too little data, orders in
/// several currencies, the database) ends it as failed with the message, and is returned too.
pub async fn run(
    store: Arc<dyn ServerStore>,
    job: i64,
    request: ScoringRequest,
    currency: Option<String>,
) -> Result<ScoringSummary, String> {
    let outcome = score_all(store.as_ref(), job, request, currency).await;
    let error = outcome.as_ref().err().map(String::as_str);
    if let Err(e) = store.finish_scoring_job(job, error, Utc::now()).await {
        tracing::error!(job, error = %e, "could not record the end of a scoring job");
        return Err(e.to_string());
    }
    outcome
}

async fn score_all(
    store: &dyn ServerStore,
    job: i64,
    request: ScoringRequest,
    currency: Option<String>,
) -> Result<ScoringSummary, String> {
    let orders = store.order_figures(None).await.map_err(|e| e.to_string())?;
    let currency = match currency {
        Some(c) => c,
        None => {
            let mut found: Vec<&str> = orders.iter().map(|o| o.currency.as_str()).collect();
            found.sort_unstable();
            found.dedup();
            match found.as_slice() {
                [] => return Err("there are no orders to score customers on".to_owned()),
                [one] => (*one).to_owned(),
                several => {
                    return Err(format!(
                        "the orders are in several currencies ({}); choose one",
                        several.join(", ")
                    ));
                }
            }
        }
    };
    let purchases: Vec<Purchase> = orders
        .iter()
        .filter(|o| o.currency == currency && o.revenue_minor >= 0)
        .map(|o| Purchase {
            customer: o.account,
            day: o.day,
            amount_minor: o.revenue_minor,
        })
        .collect();
    let calibration_end = request.calibration_end;
    let mut report = fit_report(&purchases, calibration_end, None).map_err(|e| e.to_string())?;
    let mut scorer = Scorer::new(report.bgnbd, report.gamma_gamma, request.settings)
        .map_err(|e| e.to_string())?;
    let customers = summarise(&purchases, calibration_end, None).map_err(|e| e.to_string())?;
    if let Ok(c) = Currency::parse("currency", &currency) {
        report.gamma_gamma.v /= 10f64.powi(c.minor_digits() as i32);
    }
    let fit = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    let total = customers.len() as i64;
    store
        .scoring_progress(job, Some(&currency), Some(&fit), 0, total)
        .await
        .map_err(|e| e.to_string())?;
    let mut done = 0i64;
    for step in customers.chunks(SCORES_PER_STEP) {
        let scores: Vec<StoredScore> = step
            .iter()
            .map(|c| {
                let s = scorer.score(c);
                StoredScore {
                    account_id: c.customer,
                    job_id: job,
                    fitted_on: calibration_end,
                    currency: currency.clone(),
                    frequency: i64::from(c.frequency),
                    recency_days: i64::from(c.recency_days),
                    age_days: i64::from(c.age_days),
                    p_alive: s.p_alive,
                    expected_purchases: s.expected_purchases,
                    expected_value_minor: s.expected_value_minor,
                    clv_minor: s.clv_minor,
                }
            })
            .collect();
        store
            .save_scores(job, &scores)
            .await
            .map_err(|e| e.to_string())?;
        done += step.len() as i64;
        store
            .scoring_progress(job, None, None, done, total)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(ScoringSummary {
        currency,
        customers: customers.len(),
    })
}
