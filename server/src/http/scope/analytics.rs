//! Customer analytics through the handle: every figure is computed from the orders of the
//! caller's accounts only (a rep's own accounts, a regional manager's region, everything for
//! admins, managers without a region and planners), read through `AnalyticsStore` narrowed to
//! [`Scoped::visible`]. The models are the pure ones of `wilayah_shared::analytics`; each method
//! checks the role again, as the route's rule does.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use wilayah_shared::access::Action;
use wilayah_shared::account::ValidationError;
use wilayah_shared::analytics::cohorts::{self, Cohort, MovementChange, PeriodMovement};
use wilayah_shared::analytics::cross_sell::{self, Basket, LookAlikes, Recommendation, Rule};
use wilayah_shared::analytics::pareto::{ValueCurve, value_curve};
use wilayah_shared::analytics::rfm::{self, RfmScore, SegmentTotals};
use wilayah_shared::analytics::unusual::{OrderScore, OrderValue, UnusualSettings, score_orders};
use wilayah_shared::analytics::{
    ClvSettings, CustomerScore, CustomerSummary, FitError, FitReport, Purchase, Scorer, fit_report,
    summarise,
};
use wilayah_shared::money::Currency;

use super::Scoped;
use crate::db::{BasketLine, OrderFigures};
use crate::http::error::ApiError;

const ANALYTICS: &str = "analytics";

/// The caller's orders (not cancelled) in one currency.
#[derive(Debug, Clone)]
pub struct ScopedOrders {
    /// `None` when the caller's accounts have no orders.
    pub currency: Option<String>,
    pub orders: Vec<OrderFigures>,
}

impl ScopedOrders {
    /// The orders that are purchases for the customer models: not negative before tax.
    pub fn purchases(&self) -> Vec<Purchase> {
        self.orders
            .iter()
            .filter(|o| o.revenue_minor >= 0)
            .map(|o| Purchase {
                customer: o.account,
                day: o.day,
                amount_minor: o.revenue_minor,
            })
            .collect()
    }
}

/// Which value ranks customers on the 80/20 curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Revenue before tax (returns subtract).
    Revenue,
    /// Gross profit: revenue less the cost of goods at the sale (the cost to serve is not in yet).
    Profit,
}

/// RFM scores as of a day, with the totals per segment.
#[derive(Debug, Clone)]
pub struct RfmResult {
    pub currency: Option<String>,
    pub segments: Vec<SegmentTotals>,
    /// By account id.
    pub scores: Vec<RfmScore>,
}

/// Retention by acquisition month and movement per month.
#[derive(Debug, Clone)]
pub struct CohortResult {
    pub currency: Option<String>,
    pub cohorts: Vec<Cohort>,
    pub movement: Vec<PeriodMovement>,
    pub change: Vec<MovementChange>,
}

/// Association rules over the order baskets, with the skus of the products they name.
#[derive(Debug, Clone)]
pub struct CrossSell {
    pub baskets: usize,
    pub rules: Vec<Rule>,
    pub skus: BTreeMap<i64, String>,
}

/// Look-alikes of an account and what they buy that it does not.
#[derive(Debug, Clone)]
pub struct LookAlikeAdvice {
    pub neighbours: Vec<(i64, f64)>,
    pub products: Vec<Recommendation>,
    pub skus: BTreeMap<i64, String>,
}

/// An order with its robust score.
#[derive(Debug, Clone)]
pub struct ScoredOrder {
    pub figures: OrderFigures,
    pub score: OrderScore,
}

/// A lifetime-value fit over the caller's customers and their scores.
#[derive(Debug, Clone)]
pub struct ClvResult {
    pub currency: Option<String>,
    /// The fit as the CLI prints it (Gamma-Gamma scale in whole units of the currency).
    pub report: FitReport,
    /// Every customer of the calibration period, with their score.
    pub customers: Vec<(CustomerSummary, CustomerScore)>,
}

/// The parameter a model's refusal is about, for the 422 naming it.
fn fit_field(e: &FitError) -> &'static str {
    match e {
        FitError::HoldoutNotAfterCalibration { .. } => "holdout_end",
        FitError::InvalidSetting { name, .. } => name,
        _ => "calibration_end",
    }
}

fn fit_error(e: FitError) -> ApiError {
    ApiError::Invalid(ValidationError::new(fit_field(&e), e.to_string()))
}

impl Scoped {
    /// The caller's orders in `currency`; without one, their orders must all be in one currency
    /// (amounts in different currencies do not add up).
    pub async fn analytics_orders(&self, currency: Option<&str>) -> Result<ScopedOrders, ApiError> {
        self.require(ANALYTICS, Action::Read)?;
        let visible = self.visible().await?;
        let mut orders = self.store().order_figures(visible.ids()).await?;
        let currency = match currency {
            Some(wanted) => {
                Currency::parse("currency", wanted)?;
                orders.retain(|o| o.currency == wanted);
                Some(wanted.to_owned())
            }
            None => {
                let mut found: Vec<&str> = orders.iter().map(|o| o.currency.as_str()).collect();
                found.sort_unstable();
                found.dedup();
                match found.as_slice() {
                    [] => None,
                    [one] => Some((*one).to_owned()),
                    several => {
                        return Err(ApiError::Invalid(ValidationError::new(
                            "currency",
                            format!(
                                "the orders are in several currencies ({}); choose one with currency=",
                                several.join(", ")
                            ),
                        )));
                    }
                }
            }
        };
        Ok(ScopedOrders { currency, orders })
    }

    /// The products sold on the caller's accounts' orders, by order.
    async fn analytics_baskets(&self) -> Result<Vec<BasketLine>, ApiError> {
        self.require(ANALYTICS, Action::Read)?;
        let visible = self.visible().await?;
        Ok(self.store().basket_lines(visible.ids()).await?)
    }

    /// RFM scores of the caller's customers from their purchases on or before `as_of`.
    pub async fn rfm(
        &self,
        as_of: NaiveDate,
        currency: Option<&str>,
    ) -> Result<RfmResult, ApiError> {
        let orders = self.analytics_orders(currency).await?;
        let scores = rfm::score(&rfm::rfm_inputs(&orders.purchases(), as_of));
        Ok(RfmResult {
            currency: orders.currency,
            segments: rfm::segment_totals(&scores),
            scores,
        })
    }

    /// The Pareto (revenue) or whale (profit) curve of the caller's customers with orders dated
    /// `from..=to` (either end open), and the share of the top `top_fraction`.
    pub async fn value_curve(
        &self,
        measure: Measure,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        top_fraction: f64,
        currency: Option<&str>,
    ) -> Result<(Option<String>, ValueCurve), ApiError> {
        let orders = self.analytics_orders(currency).await?;
        let mut values: BTreeMap<i64, i64> = BTreeMap::new();
        for o in orders
            .orders
            .iter()
            .filter(|o| from.is_none_or(|f| o.day >= f) && to.is_none_or(|t| o.day <= t))
        {
            *values.entry(o.account).or_default() += match measure {
                Measure::Revenue => o.revenue_minor,
                Measure::Profit => o.revenue_minor - o.cost_minor,
            };
        }
        let values: Vec<(i64, i64)> = values.into_iter().collect();
        Ok((orders.currency, value_curve(&values, top_fraction)))
    }

    /// Retention of the cohorts acquired from the month of `from` through `to`, and customers
    /// gained, lost (no purchase for `lapse_days`) and won back per month.
    pub async fn cohorts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        lapse_days: u32,
        currency: Option<&str>,
    ) -> Result<CohortResult, ApiError> {
        let orders = self.analytics_orders(currency).await?;
        let purchases = orders.purchases();
        let first = cohorts::month_of(from);
        let cohorts = cohorts::retention(&purchases, to)
            .into_iter()
            .filter(|c| c.month >= first)
            .collect();
        let movement = cohorts::movement(&purchases, lapse_days, from, to);
        let change = cohorts::month_over_month(&movement);
        Ok(CohortResult {
            currency: orders.currency,
            cohorts,
            movement,
            change,
        })
    }

    /// Association rules over the baskets (one per order) of the caller's accounts.
    pub async fn cross_sell(
        &self,
        settings: &cross_sell::RuleSettings,
    ) -> Result<CrossSell, ApiError> {
        let lines = self.analytics_baskets().await?;
        let (baskets, skus) = baskets_by(&lines, |l| l.order);
        Ok(CrossSell {
            baskets: baskets.len(),
            rules: cross_sell::association_rules(&baskets, settings),
            skus,
        })
    }

    /// Products the `k` look-alikes (among the caller's accounts) of account `id` buy and it
    /// does not, at most `limit` (404 for an account outside the caller's).
    pub async fn recommendations(
        &self,
        id: i64,
        k: usize,
        limit: usize,
    ) -> Result<LookAlikeAdvice, ApiError> {
        self.require(ANALYTICS, Action::Read)?;
        self.check_account(id).await?;
        let lines = self.analytics_baskets().await?;
        let (baskets, skus) = baskets_by(&lines, |l| l.account);
        let look_alikes = LookAlikes::new(&baskets);
        Ok(LookAlikeAdvice {
            neighbours: look_alikes.neighbours(id, k),
            products: look_alikes.recommend(id, k, limit),
            skus,
        })
    }

    /// Every order of the caller's accounts with a positive value, scored against its
    /// customer's own pattern.
    pub async fn scored_orders(
        &self,
        settings: &UnusualSettings,
        currency: Option<&str>,
    ) -> Result<(Option<String>, Vec<ScoredOrder>), ApiError> {
        let orders = self.analytics_orders(currency).await?;
        let values: Vec<OrderValue> = orders
            .orders
            .iter()
            .map(|o| OrderValue {
                order: o.order,
                customer: o.account,
                day: o.day,
                amount_minor: o.revenue_minor,
            })
            .collect();
        let by_id: BTreeMap<i64, &OrderFigures> =
            orders.orders.iter().map(|o| (o.order, o)).collect();
        let scored = score_orders(&values, settings)
            .into_iter()
            .map(|score| ScoredOrder {
                figures: by_id[&score.order].clone(),
                score,
            })
            .collect();
        Ok((orders.currency, scored))
    }

    /// BG/NBD and Gamma-Gamma fitted on the caller's customers up to `calibration_end` (and
    /// checked against a holdout), and every one of those customers scored.
    pub async fn clv(
        &self,
        calibration_end: NaiveDate,
        holdout_end: Option<NaiveDate>,
        settings: ClvSettings,
        currency: Option<&str>,
    ) -> Result<ClvResult, ApiError> {
        let orders = self.analytics_orders(currency).await?;
        let purchases = orders.purchases();
        let mut report = fit_report(&purchases, calibration_end, holdout_end).map_err(fit_error)?;
        let mut scorer =
            Scorer::new(report.bgnbd, report.gamma_gamma, settings).map_err(fit_error)?;
        let customers = summarise(&purchases, calibration_end, None)
            .map_err(fit_error)?
            .into_iter()
            .map(|c| (c, scorer.score(&c)))
            .collect();
        if let Some(code) = &orders.currency
            && let Ok(c) = Currency::parse("currency", code)
        {
            report.gamma_gamma.v /= 10f64.powi(c.minor_digits() as i32);
        }
        Ok(ClvResult {
            currency: orders.currency,
            report,
            customers,
        })
    }
}

/// Baskets grouped by `key` (an order, or a customer), and the skus of their products.
fn baskets_by(
    lines: &[BasketLine],
    key: impl Fn(&BasketLine) -> i64,
) -> (Vec<Basket>, BTreeMap<i64, String>) {
    let mut grouped: BTreeMap<i64, (i64, Vec<i64>)> = BTreeMap::new();
    let mut skus = BTreeMap::new();
    for l in lines {
        let entry = grouped.entry(key(l)).or_insert((l.account, Vec::new()));
        entry.1.push(l.product);
        skus.entry(l.product).or_insert_with(|| l.sku.clone());
    }
    let baskets = grouped
        .into_values()
        .map(|(customer, mut products)| {
            products.sort_unstable();
            products.dedup();
            Basket { customer, products }
        })
        .collect();
    (baskets, skus)
}
