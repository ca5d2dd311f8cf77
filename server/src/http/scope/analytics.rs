//! Customer analytics through the handle: every figure is computed from the orders of the
//! caller's accounts only (a rep's own accounts, a regional manager's region, everything for
//! admins, managers without a region and planners), read through `AnalyticsStore` narrowed to
//! [`Scoped::visible`]. The models are the pure ones of `wilayah_shared::analytics`; each method
//! checks the role again, as the route's rule does.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use wilayah_shared::LonLat;
use wilayah_shared::access::Action;
use wilayah_shared::account::ValidationError;
use wilayah_shared::analytics::cohorts::{self, Cohort, MovementChange, PeriodMovement};
use wilayah_shared::analytics::cross_sell::{self, Basket, LookAlikes, Recommendation, Rule};
use wilayah_shared::analytics::pareto::{ValueCurve, value_curve};
use wilayah_shared::analytics::profitability::{
    self, Activity, Case, GreatCircle, OrderTotals, TripStop, Visit, Waterfall,
};
use wilayah_shared::analytics::rfm::{self, RfmScore, SegmentTotals};
use wilayah_shared::analytics::unusual::{OrderScore, OrderValue, UnusualSettings, score_orders};
use wilayah_shared::analytics::{
    ClvSettings, CustomerScore, CustomerSummary, FitError, FitReport, Purchase, Scorer, fit_report,
    summarise,
};
use wilayah_shared::money::Currency;

use super::Scoped;
use crate::db::{BasketLine, OrderFigures, ScoringJob, ServiceVisit, StoredScore};
use crate::http::error::ApiError;
use crate::scoring::{self, ScoringRequest};

const ANALYTICS: &str = "analytics";
const AT_RISK: &str = "at_risk";

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

/// The cross-selling work list of the caller's customers.
#[derive(Debug, Clone)]
pub struct Offers {
    /// Customers with purchases the list was drawn from.
    pub customers: usize,
    pub offers: Vec<(i64, Recommendation)>,
    pub skus: BTreeMap<i64, String>,
}

/// Most customers the offers are drawn from at once: every customer's look-alikes are a
/// search over the others, so the work grows with the square of the customers.
pub const MAX_OFFER_CUSTOMERS: usize = 3_000;

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

/// Profitability waterfalls of the caller's customers over a period.
#[derive(Debug, Clone)]
pub struct ProfitabilityResult {
    pub currency: Option<String>,
    /// By account id: the caller's customers with any order, visit or case in the period.
    pub waterfalls: Vec<Waterfall>,
}

/// The visits done as the profitability model takes them: a technician's visits of one day
/// (in the deployment's time zone) are one trip from their base, in the order they started; a
/// visit without a technician or whose technician has no base costs its time on site only.
fn visits_as_trips(visits: &[ServiceVisit], offset: chrono::FixedOffset) -> Vec<Visit> {
    let mut trips: HashMap<(i64, NaiveDate), (i64, u32)> = HashMap::new();
    let place = |(lon, lat): (f64, f64)| LonLat::new(lon, lat);
    visits
        .iter()
        .filter_map(|v| {
            let day = v.start.with_timezone(&offset).date_naive();
            let site = place(v.site).ok()?;
            let base = v.base.and_then(|b| place(b).ok());
            let trip = match (v.technician, base) {
                (Some(technician), Some(_)) => {
                    let next = trips.len() as i64 + 1;
                    let entry = trips.entry((technician, day)).or_insert((next, 0));
                    entry.1 += 1;
                    Some(TripStop {
                        trip: entry.0,
                        sequence: entry.1,
                    })
                }
                _ => None,
            };
            Some(Visit {
                customer: v.account,
                day,
                base: base.unwrap_or(site),
                site,
                minutes_on_site: u32::try_from(v.duration_min.max(0)).unwrap_or(u32::MAX),
                trip,
            })
        })
        .collect()
}

/// Revenue by month per group and the period totals against the period before.
#[derive(Debug, Clone)]
pub struct RevenueTrend {
    pub currency: Option<String>,
    pub months: Vec<cohorts::GroupMonth<Option<i64>>>,
    pub current: BTreeMap<Option<i64>, i64>,
    pub previous: BTreeMap<Option<i64>, i64>,
    pub previous_from: NaiveDate,
}

/// The page's filter: accounts of a territory, of an owner (rep), of an account segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub territory_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub segment: Option<String>,
}

impl AccountFilter {
    pub fn is_empty(&self) -> bool {
        self.territory_id.is_none() && self.owner_id.is_none() && self.segment.is_none()
    }
}

impl Scoped {
    /// This handle with every analytics answer narrowed to the caller's accounts matching
    /// `filter` (the analytics page's territory, rep and segment): the scope only ever narrows.
    pub async fn narrowed(mut self, filter: &AccountFilter) -> Result<Self, ApiError> {
        if filter.is_empty() {
            return Ok(self);
        }
        let query = wilayah_shared::account::AccountQuery {
            territory_id: filter.territory_id,
            owner_id: filter.owner_id,
            segment: filter.segment.clone(),
            ..Default::default()
        };
        let mut ids: Vec<i64> = self
            .map_accounts(query)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.visible = tokio::sync::OnceCell::new_with(Some(super::Visible(Some(ids))));
        Ok(self)
    }

    /// Profitability of the caller's customers (or of account `only`) over `from..=to`: revenue
    /// and cost of goods from their orders, the cost to serve from the visits done, the cases
    /// opened and the campaign contacts made, at the deployment's rates (`--cost-*`). A
    /// technician's day is one tour shared between its stops whoever's
    /// they are; only the caller's customers are answered.
    pub async fn profitability(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        only: Option<i64>,
        currency: Option<&str>,
    ) -> Result<ProfitabilityResult, ApiError> {
        if let Some(id) = only {
            self.require(ANALYTICS, Action::Read)?;
            self.check_account(id).await?;
        }
        let orders = self.analytics_orders(currency).await?;
        let visible = self.visible().await?;
        let order_totals: Vec<OrderTotals> = orders
            .orders
            .iter()
            .filter(|o| only.is_none_or(|id| o.account == id))
            .map(|o| OrderTotals {
                customer: o.account,
                day: o.day,
                revenue_minor: o.revenue_minor,
                cost_of_goods_minor: o.cost_minor,
            })
            .collect();
        let visits = visits_as_trips(&self.store().done_visits().await?, self.state.utc_offset);
        let settings = self.state.cost_to_serve;
        let cases: Vec<Case> = self
            .store()
            .case_openings(visible.ids())
            .await?
            .into_iter()
            .filter(|c| only.is_none_or(|id| c.account == id))
            .map(|c| Case {
                customer: c.account,
                day: c.opened.with_timezone(&self.state.utc_offset).date_naive(),
                handling_minutes: settings.case_minutes,
            })
            .collect();
        let contacts = campaign_contacts(
            &self.store().campaign_contacts().await?,
            orders.currency.as_deref(),
            &settings.contacts,
            self.state.utc_offset,
        );
        let activity = Activity {
            orders: &order_totals,
            visits: &visits,
            cases: &cases,
            contacts: &contacts,
        };
        let travel = GreatCircle {
            speed_kmh: settings.speed_kmh,
        };
        let waterfalls = profitability::waterfalls(&activity, from, to, &settings.rates, &travel)
            .map_err(|e| ApiError::Invalid(ValidationError::new("rates", e.to_string())))?
            .into_iter()
            .filter(|w| visible.admits(w.customer) && only.is_none_or(|id| w.customer == id))
            .collect();
        Ok(ProfitabilityResult {
            currency: orders.currency,
            waterfalls,
        })
    }

    /// Revenue by month per territory (`by_territory`) or per owner (rep) of the caller's
    /// customers over `from..=to` with the change against each group's previous month, and
    /// each group's revenue in the period of the same length just before (`None`: no
    /// territory or no owner).
    pub async fn revenue_trend(
        &self,
        by_territory: bool,
        from: NaiveDate,
        to: NaiveDate,
        currency: Option<&str>,
    ) -> Result<RevenueTrend, ApiError> {
        let orders = self.analytics_orders(currency).await?;
        let mut ids: Vec<i64> = orders.orders.iter().map(|o| o.account).collect();
        ids.sort_unstable();
        ids.dedup();
        let group: HashMap<i64, Option<i64>> = self
            .accounts_by_ids(&ids)
            .await?
            .into_iter()
            .map(|a| {
                (
                    a.id,
                    if by_territory {
                        a.territory_id
                    } else {
                        a.owner_id
                    },
                )
            })
            .collect();
        let group_of = |customer: i64| group.get(&customer).copied().flatten();
        let purchases: Vec<Purchase> = orders
            .orders
            .iter()
            .map(|o| Purchase {
                customer: o.account,
                day: o.day,
                amount_minor: o.revenue_minor,
            })
            .collect();
        let months = cohorts::revenue_by_month(&purchases, group_of, from, to);
        let length = (to - from).num_days() + 1;
        let previous_from = from - chrono::Duration::days(length);
        let mut previous: BTreeMap<Option<i64>, i64> = BTreeMap::new();
        let mut current: BTreeMap<Option<i64>, i64> = BTreeMap::new();
        for p in &purchases {
            if previous_from <= p.day && p.day < from {
                *previous.entry(group_of(p.customer)).or_default() += p.amount_minor;
            } else if from <= p.day && p.day <= to {
                *current.entry(group_of(p.customer)).or_default() += p.amount_minor;
            }
        }
        Ok(RevenueTrend {
            currency: orders.currency,
            months,
            current,
            previous,
            previous_from,
        })
    }

    /// Starts the background scoring job on the whole order history (admins and managers):
    /// 409 while one runs. The job runs as the system after this answers; its row shows its
    /// progress.
    pub async fn start_scoring(
        &self,
        request: ScoringRequest,
        currency: Option<String>,
    ) -> Result<ScoringJob, ApiError> {
        self.require(ANALYTICS, Action::Create)?;
        if let Some(c) = &currency {
            Currency::parse("currency", c)?;
        }
        // The handler checked the settings' ranges; the model's own check runs in the job.
        let settings = serde_json::json!(request.settings).to_string();
        let store = self.store().clone();
        let job = store
            .begin_scoring_job(
                Some(self.caller.user_id),
                request.calibration_end,
                &settings,
                Utc::now(),
            )
            .await?
            .ok_or_else(|| ApiError::ConflictMessage("a scoring job is already running".into()))?;
        let started = store.latest_scoring_job().await?;
        tokio::spawn(async move {
            if let Err(e) = scoring::run(store, job, request, currency).await {
                tracing::warn!(job, error = %e, "scoring job failed");
            }
        });
        started.ok_or(ApiError::NotFound)
    }

    /// The most recent scoring job (its fit and progress hold no customer's data).
    pub async fn latest_scoring_job(&self) -> Result<Option<ScoringJob>, ApiError> {
        self.require(ANALYTICS, Action::Read)?;
        Ok(self.store().latest_scoring_job().await?)
    }

    /// The stored scores of the caller's customers, by account id.
    /// The stored scores of the caller's accounts for the at-risk lists (`at_risk` read: a
    /// technician's are the customers they serve); what of them a caller is told is
    /// [`Self::sees_customer_value`]'s.
    pub async fn at_risk_scores(&self) -> Result<Vec<StoredScore>, ApiError> {
        self.require(AT_RISK, Action::Read)?;
        let visible = self.visible().await?;
        Ok(self.store().stored_scores(visible.ids()).await?)
    }

    /// Whether the caller may see what customers are worth (lifetime value, expected spend):
    /// analytics readers may; a technician sees only who is at risk.
    pub fn sees_customer_value(&self) -> bool {
        self.caller().may(ANALYTICS, Action::Read)
    }

    pub async fn stored_scores(&self) -> Result<Vec<StoredScore>, ApiError> {
        self.require(ANALYTICS, Action::Read)?;
        let visible = self.visible().await?;
        Ok(self.store().stored_scores(visible.ids()).await?)
    }

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

    /// Each of the caller's customers' best `per_customer` products to offer (from `k`
    /// look-alikes among the caller's customers), most promising first. More than
    /// [`MAX_OFFER_CUSTOMERS`] customers at once is refused: the filter narrows them.
    pub async fn offers(&self, k: usize, per_customer: usize) -> Result<Offers, ApiError> {
        self.require(ANALYTICS, Action::Read)?;
        let lines = self.analytics_baskets().await?;
        let (baskets, skus) = baskets_by(&lines, |l| l.account);
        let look_alikes = LookAlikes::new(&baskets);
        let customers = look_alikes.customers();
        if customers > MAX_OFFER_CUSTOMERS {
            return Err(ApiError::Invalid(ValidationError::new(
                "owner_id",
                format!(
                    "{customers} customers are too many for one list of offers (at most {MAX_OFFER_CUSTOMERS}): choose a rep, a territory or a segment"
                ),
            )
            .because("too_many")
            .with("max", MAX_OFFER_CUSTOMERS)));
        }
        Ok(Offers {
            customers,
            offers: look_alikes.offers(k, per_customer),
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

/// The campaign contacts as profitability prices them: a campaign's budget counts when it is in
/// the orders' `currency` (or the campaign names none); otherwise, and without a budget, each
/// contact costs its channel's rate. The day is the deployment's calendar day.
fn campaign_contacts(
    made: &[crate::db::CampaignContactMade],
    currency: Option<&str>,
    rates: &wilayah_shared::campaigns::ContactRates,
    utc_offset: chrono::FixedOffset,
) -> Vec<wilayah_shared::analytics::profitability::CampaignContact> {
    use wilayah_shared::campaigns::{CampaignCosting, Channel, Reached, contact_costs};
    let mut campaigns = BTreeMap::new();
    let mut reached = Vec::with_capacity(made.len());
    for m in made {
        let Some(channel) = Channel::parse(&m.channel) else {
            continue;
        };
        let comparable = m.currency.is_none() || m.currency.as_deref() == currency;
        campaigns.entry(m.campaign).or_insert(CampaignCosting {
            channel,
            budget_minor: m.budget_minor.filter(|_| comparable),
        });
        reached.push(Reached {
            campaign: m.campaign,
            customer: m.account,
            day: m.at.with_timezone(&utc_offset).date_naive(),
        });
    }
    contact_costs(&campaigns, &reached, rates)
}
