//! Customer analytics over HTTP, for the analytics page: RFM, the 80/20 curve, cohorts and
//! movement, cross-sell rules and look-alike recommendations, unusual orders and lifetime value.
//! Every answer is computed from the orders of the caller's accounts only (`scope/analytics.rs`);
//! these handlers read parameters (each refusal names its field), cap lists and shape JSON or
//! CSV. Amounts are integer minor units of the answer's `currency`.

use std::collections::BTreeMap;
use std::str::FromStr;

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Read};
use wilayah_shared::access::Rule::Can;
use wilayah_shared::account::Account;
use wilayah_shared::analytics::ClvSettings;
use wilayah_shared::analytics::cross_sell::{Recommendation, RuleSettings};
use wilayah_shared::analytics::pareto::value_curve;
use wilayah_shared::analytics::profitability::Waterfall;
use wilayah_shared::analytics::rfm::Segment;
use wilayah_shared::analytics::unusual::UnusualSettings;

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::{AccountFilter, Measure, Reach, Scoped};
use crate::db::StoredScore;
use crate::scoring::ScoringRequest;

pub fn declare(api: Api) -> Api {
    api.route(Can("analytics", Read), routes!(rfm))
        .route(Can("analytics", Read), routes!(pareto))
        .route(Can("analytics", Read), routes!(cohorts))
        .route(Can("analytics", Read), routes!(cross_sell))
        .route(Can("analytics", Read), routes!(recommendations))
        .route(Can("analytics", Read), routes!(offers))
        .route(Can("analytics", Read), routes!(unusual_orders))
        .route(Can("analytics", Read), routes!(clv))
        .route(Can("analytics", Read), routes!(profitability))
        .route(Can("analytics", Read), routes!(account_profitability))
        .route(Can("analytics", Create), routes!(start_scoring))
        .route(Can("analytics", Read), routes!(latest_scoring_job))
        .route(Can("analytics", Read), routes!(scores))
        .route(Can("analytics", Read), routes!(revenue_trend))
        .route(Can("analytics", Read), routes!(metric_map))
        .route(Can("at_risk", Read), routes!(at_risk_nearby))
        .route(Can("at_risk", Read), routes!(at_risk_along_route))
        .route(Can("analytics", Read), routes!(territory_map))
}

/// Longest per-account list one answer carries.
const MAX_LIMIT: usize = 10_000;
/// Points of the 80/20 curve at most.
const CURVE_POINTS: usize = 200;
/// The top share the 80/20 curve reports.
const TOP_FRACTION: f64 = 0.2;

// ---- parameters ----------------------------------------------------------------------------

/// A parameter parsed with `FromStr`; 400 naming it when it does not parse.
fn parsed<T: FromStr>(
    field: &'static str,
    value: Option<&str>,
    expected: &str,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| ApiError::bad_field(field, format!("expected {expected}, got {v:?}")))
        })
        .transpose()
}

fn day(field: &'static str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    parsed(field, value, "a date YYYY-MM-DD")
}

/// A number in `range` (inclusive), or `default`.
fn number(
    field: &'static str,
    value: Option<&str>,
    range: (f64, f64),
    default: f64,
) -> Result<f64, ApiError> {
    let v = parsed::<f64>(field, value, "a number")?.unwrap_or(default);
    if v.is_finite() && v >= range.0 && v <= range.1 {
        Ok(v)
    } else {
        Err(ApiError::bad_field(
            field,
            format!("must be between {} and {}", range.0, range.1),
        ))
    }
}

/// A count in `1..=max`, or `default`.
fn count(
    field: &'static str,
    value: Option<&str>,
    max: usize,
    default: usize,
) -> Result<usize, ApiError> {
    let v = parsed::<usize>(field, value, "a whole number")?.unwrap_or(default);
    if (1..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::bad_field(
            field,
            format!("must be between 1 and {max}"),
        ))
    }
}

/// `from` not after `to`.
fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), ApiError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(ApiError::bad_field(
            "from",
            format!("{f} is after to ({t})"),
        )),
        _ => Ok(()),
    }
}

/// Whether the caller asked for CSV (`format=csv`) rather than JSON.
fn wants_csv(format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::bad_field(
            "format",
            format!("{other:?} is not one of json, csv"),
        )),
    }
}

/// A CSV download: a header and rows of cells (numbers, dates, identifiers and skus, quoted
/// when they hold a separator or a quote).
fn csv(name: &str, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Response {
    let cell = |c: &str| {
        if c.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", c.replace('"', "\"\""))
        } else {
            c.to_owned()
        }
    };
    let mut text = header.join(",");
    text.push('\n');
    for row in rows {
        text.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        text.push('\n');
    }
    super::csv_file(name, text.into_bytes())
}

/// The handle narrowed to the page's filter (`territory_id`, `owner_id`, `account_segment`).
async fn narrow(
    scoped: Scoped,
    territory_id: &Option<String>,
    owner_id: &Option<String>,
    account_segment: &Option<String>,
) -> Result<Scoped, ApiError> {
    let filter = AccountFilter {
        territory_id: parsed("territory_id", territory_id.as_deref(), "an id")?,
        owner_id: parsed("owner_id", owner_id.as_deref(), "an id")?,
        segment: account_segment
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    };
    scoped.narrowed(&filter).await
}

// ---- RFM -----------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RfmQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    as_of: Option<String>,
    currency: Option<String>,
    segment: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    format: Option<String>,
}

/// `GET /analytics/rfm?as_of=&segment=&limit=&offset=&currency=&format=`
#[utoipa::path(get, path = "/analytics/rfm", tag = "analytics",
    summary = "RFM of the caller's customers as of a day: recency, frequency and monetary quintile scores (5 best), customers and value per named segment, and a page of per-account scores (by account id)",
    params(("as_of" = Option<String>, Query, description = "YYYY-MM-DD; purchases on or before it count (default: today)"),
        ("segment" = Option<String>, Query, description = "Only accounts of this segment in `accounts` (champions, loyal, potential_loyalist, new, promising, need_attention, about_to_sleep, at_risk, cant_lose, hibernating, lost)"),
        ("limit" = Option<usize>, Query, description = "Accounts per page (default 100, at most 10000)"), ("offset" = Option<usize>, Query),
        ("currency" = Option<String>, Query, description = "Needed when the orders are in several currencies"),
        ("format" = Option<String>, Query, description = "json (default) or csv (the page of accounts)")),
    responses((status = 200, description = "Segments and scores", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Orders in several currencies and none chosen", body = ref("#/components/schemas/Error"))))]
async fn rfm(scoped: Scoped, ApiQuery(q): ApiQuery<RfmQuery>) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let as_of = day("as_of", q.as_of.as_deref())?.unwrap_or_else(|| scoped.today());
    let segment = q
        .segment
        .as_deref()
        .map(|s| {
            serde_json::from_value::<Segment>(Value::String(s.to_owned()))
                .map_err(|_| ApiError::bad_field("segment", format!("{s:?} is not a segment")))
        })
        .transpose()?;
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let offset = parsed::<usize>("offset", q.offset.as_deref(), "a whole number")?.unwrap_or(0);
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let result = scoped.rfm(as_of, q.currency.as_deref()).await?;
    let matching: Vec<_> = result
        .scores
        .iter()
        .filter(|s| segment.is_none_or(|seg| s.segment == seg))
        .collect();
    let page: Vec<_> = matching.iter().skip(offset).take(limit).collect();
    if csv_wanted {
        return Ok(csv(
            "rfm",
            &["account_id", "r", "f", "m", "segment", "monetary_minor"],
            page.iter().map(|s| {
                vec![
                    s.customer.to_string(),
                    s.r.to_string(),
                    s.f.to_string(),
                    s.m.to_string(),
                    json!(s.segment).as_str().unwrap_or_default().to_owned(),
                    s.monetary_minor.to_string(),
                ]
            }),
        ));
    }
    let accounts: Vec<Value> = page
        .iter()
        .map(|s| {
            json!({"account_id": s.customer, "r": s.r, "f": s.f, "m": s.m,
                   "segment": s.segment, "monetary_minor": s.monetary_minor})
        })
        .collect();
    Ok(Json(json!({
        "as_of": as_of,
        "currency": result.currency,
        "customers": result.scores.len(),
        "segments": result.segments,
        "accounts": accounts,
        "total": matching.len(),
        "limit": limit,
        "offset": offset,
    }))
    .into_response())
}

// ---- 80/20 ---------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParetoQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    measure: Option<String>,
    from: Option<String>,
    to: Option<String>,
    currency: Option<String>,
}

/// The indices of a curve of `n + 1` points kept when it is drawn with at most `max` points:
/// evenly spaced, first and last included.
fn sample_points(n: usize, max: usize) -> Vec<usize> {
    if n < max {
        return (0..=n).collect();
    }
    let steps = max - 1;
    let mut kept: Vec<usize> = (0..=steps)
        .map(|i| ((i as u128 * n as u128 + steps as u128 / 2) / steps as u128) as usize)
        .collect();
    kept.dedup();
    kept
}

/// `GET /analytics/pareto?measure=revenue|profit&from=&to=&currency=`
#[utoipa::path(get, path = "/analytics/pareto", tag = "analytics",
    summary = "The 80/20 curve of the caller's customers with orders in the period: cumulative revenue (Pareto) or gross profit (whale curve: revenue less cost of goods) by customer, most valuable first, at most 200 points; the total, the peak and the share of the top 20 %",
    params(("measure" = Option<String>, Query, description = "revenue (default) or profit"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD, first order day counted (default: all)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD, last order day counted (default: all)"),
        ("currency" = Option<String>, Query)),
    responses((status = 200, description = "The curve", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Orders in several currencies and none chosen", body = ref("#/components/schemas/Error"))))]
async fn pareto(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<ParetoQuery>,
) -> Result<Json<Value>, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let measure = match q.measure.as_deref() {
        None | Some("revenue") => Measure::Revenue,
        Some("profit") => Measure::Profit,
        Some(other) => {
            return Err(ApiError::bad_field(
                "measure",
                format!("{other:?} is not one of revenue, profit"),
            ));
        }
    };
    let from = day("from", q.from.as_deref())?;
    let to = day("to", q.to.as_deref())?;
    period(from, to)?;
    let (currency, curve) = scoped
        .value_curve(measure, from, to, TOP_FRACTION, q.currency.as_deref())
        .await?;
    let n = curve.ranking.len();
    let points: Vec<Value> = sample_points(n, CURVE_POINTS)
        .into_iter()
        .map(|k| {
            json!({"customers": k, "cumulative_minor": curve.cumulative_minor[k],
                   "customer_share": if n == 0 { 0.0 } else { k as f64 / n as f64 }})
        })
        .collect();
    let top = ((n as f64 * TOP_FRACTION).ceil() as usize).min(n);
    Ok(Json(json!({
        "measure": if measure == Measure::Revenue { "revenue" } else { "profit" },
        "from": from,
        "to": to,
        "currency": currency,
        "customers": n,
        "total_minor": curve.total_minor,
        "peak_minor": curve.peak_minor,
        "peak_customers": curve.peak_customers,
        "top_fraction": TOP_FRACTION,
        "top_customers": top,
        "top_share": curve.top_share,
        "points": points,
    })))
}

// ---- cohorts -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CohortQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    from: Option<String>,
    to: Option<String>,
    lapse_days: Option<String>,
    currency: Option<String>,
}

/// `GET /analytics/cohorts?from=&to=&lapse_days=&currency=`
#[utoipa::path(get, path = "/analytics/cohorts", tag = "analytics",
    summary = "Retention of the caller's customers by acquisition month (customers of each cohort buying k months later), and per month customers gained, lost (no purchase for lapse_days), won back, active at the month's end, revenue, with the change against the month before",
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 12 months before to)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("lapse_days" = Option<u32>, Query, description = "Days without a purchase after which a customer counts as lost (default 90)"),
        ("currency" = Option<String>, Query)),
    responses((status = 200, description = "Cohorts and movement", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Orders in several currencies and none chosen", body = ref("#/components/schemas/Error"))))]
async fn cohorts(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<CohortQuery>,
) -> Result<Json<Value>, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let to = day("to", q.to.as_deref())?.unwrap_or_else(|| scoped.today());
    let from = match day("from", q.from.as_deref())? {
        Some(from) => from,
        None => to
            .checked_sub_months(Months::new(12))
            .unwrap_or(NaiveDate::MIN),
    };
    period(Some(from), Some(to))?;
    let lapse_days = count("lapse_days", q.lapse_days.as_deref(), 3650, 90)? as u32;
    let result = scoped
        .cohorts(from, to, lapse_days, q.currency.as_deref())
        .await?;
    let cohorts: Vec<Value> = result
        .cohorts
        .iter()
        .map(|c| {
            let retention: Vec<f64> = (0..c.active.len()).map(|k| c.retention(k)).collect();
            json!({"month": c.month, "customers": c.customers, "active": c.active, "retention": retention})
        })
        .collect();
    Ok(Json(json!({
        "from": from,
        "to": to,
        "lapse_days": lapse_days,
        "currency": result.currency,
        "cohorts": cohorts,
        "movement": result.movement,
        "change": result.change,
    })))
}

// ---- cross-sell ----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossSellQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    min_support: Option<String>,
    min_confidence: Option<String>,
    max_itemset: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// `GET /analytics/cross-sell?min_support=&min_confidence=&max_itemset=&limit=&format=`
#[utoipa::path(get, path = "/analytics/cross-sell", tag = "analytics",
    summary = "Association rules over the order baskets of the caller's accounts (one basket per order): customers who buy these also buy that, with support, confidence and lift, by lift then confidence",
    params(("min_support" = Option<f64>, Query, description = "Share of baskets, above 0 up to 1 (default 0.01)"),
        ("min_confidence" = Option<f64>, Query, description = "0 to 1 (default 0.2)"),
        ("max_itemset" = Option<usize>, Query, description = "Products in a rule, 2 to 4 (default 3)"),
        ("limit" = Option<usize>, Query, description = "Rules at most (default 100, at most 10000)"),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, description = "The rules", body = Object),
        (status = 400, description = "A parameter does not parse or is out of range (named)", body = ref("#/components/schemas/Error"))))]
async fn cross_sell(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<CrossSellQuery>,
) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let min_support = number("min_support", q.min_support.as_deref(), (1e-9, 1.0), 0.01)?;
    let min_confidence = number(
        "min_confidence",
        q.min_confidence.as_deref(),
        (0.0, 1.0),
        0.2,
    )?;
    let max_itemset = count("max_itemset", q.max_itemset.as_deref(), 4, 3)?;
    if max_itemset < 2 {
        return Err(ApiError::bad_field(
            "max_itemset",
            "must be between 2 and 4",
        ));
    }
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let result = scoped
        .cross_sell(&RuleSettings {
            min_support,
            min_confidence,
            max_itemset,
        })
        .await?;
    let sku = |p: &i64| result.skus.get(p).cloned().unwrap_or_default();
    let rules = result.rules.iter().take(limit);
    if csv_wanted {
        return Ok(csv(
            "cross-sell",
            &[
                "antecedent_skus",
                "consequent_sku",
                "baskets",
                "support",
                "confidence",
                "lift",
            ],
            rules.map(|r| {
                vec![
                    r.antecedent.iter().map(sku).collect::<Vec<_>>().join(" "),
                    sku(&r.consequent),
                    r.baskets.to_string(),
                    r.support.to_string(),
                    r.confidence.to_string(),
                    r.lift.to_string(),
                ]
            }),
        ));
    }
    let rules: Vec<Value> = rules
        .map(|r| {
            json!({"antecedent": r.antecedent, "antecedent_skus": r.antecedent.iter().map(sku).collect::<Vec<_>>(),
                   "consequent": r.consequent, "consequent_sku": sku(&r.consequent),
                   "baskets": r.baskets, "support": r.support, "confidence": r.confidence, "lift": r.lift})
        })
        .collect();
    Ok(Json(json!({
        "baskets": result.baskets,
        "min_support": min_support,
        "min_confidence": min_confidence,
        "max_itemset": max_itemset,
        "total": result.rules.len(),
        "rules": rules,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecommendQuery {
    k: Option<String>,
    limit: Option<String>,
}

/// `GET /accounts/{id}/recommendations?k=&limit=`
#[utoipa::path(get, path = "/accounts/{id}/recommendations", tag = "analytics",
    summary = "Products this account's look-alikes buy and it does not: the k most similar of the caller's accounts (cosine of their product sets), each product scored by the sum of their similarities",
    params(("id" = i64, Path, description = "The account"),
        ("k" = Option<usize>, Query, description = "Look-alikes (default 20, at most 1000)"),
        ("limit" = Option<usize>, Query, description = "Products at most (default 10, at most 1000)")),
    responses((status = 200, description = "Look-alikes and products", body = Object),
        (status = 400, description = "A parameter does not parse or is out of range (named)", body = ref("#/components/schemas/Error")),
        (status = 404, description = "Not one of the caller's accounts", body = ref("#/components/schemas/Error"))))]
async fn recommendations(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<RecommendQuery>,
) -> Result<Json<Value>, ApiError> {
    let k = count("k", q.k.as_deref(), 1000, 20)?;
    let limit = count("limit", q.limit.as_deref(), 1000, 10)?;
    let advice = scoped.recommendations(id, k, limit).await?;
    let neighbours: Vec<Value> = advice
        .neighbours
        .iter()
        .map(|(account, similarity)| json!({"account_id": account, "similarity": similarity}))
        .collect();
    let products: Vec<Value> = advice
        .products
        .iter()
        .map(|r| {
            json!({"product_id": r.product, "sku": advice.skus.get(&r.product),
                   "score": r.score, "neighbours": r.neighbours})
        })
        .collect();
    Ok(Json(json!({
        "account_id": id,
        "neighbours": neighbours,
        "products": products,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffersQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    k: Option<String>,
    per_customer: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// `GET /analytics/offers?k=&per_customer=&limit=&format=`
#[utoipa::path(get, path = "/analytics/offers", tag = "analytics",
    summary = "The cross-selling work list: for each of the caller's customers the products their k look-alikes buy and they do not (as /accounts/{id}/recommendations), all together, most promising first; at most 3000 customers at once (422 naming owner_id: narrow the filter)",
    params(("k" = Option<usize>, Query, description = "Look-alikes (default 20, at most 1000)"),
        ("per_customer" = Option<usize>, Query, description = "Products per customer at most (default 1, at most 10)"),
        ("limit" = Option<usize>, Query, description = "Offers at most (default 100, at most 10000)"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
        ("territory_id" = Option<i64>, Query), ("owner_id" = Option<i64>, Query), ("account_segment" = Option<String>, Query)),
    responses((status = 200, description = "The offers", body = Object),
        (status = 400, description = "A parameter does not parse or is out of range (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Too many customers at once (too_many, owner_id)", body = ref("#/components/schemas/Error"))))]
async fn offers(scoped: Scoped, ApiQuery(q): ApiQuery<OffersQuery>) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let k = count("k", q.k.as_deref(), 1000, 20)?;
    let per_customer = count("per_customer", q.per_customer.as_deref(), 10, 1)?;
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let found = scoped.offers(k, per_customer).await?;
    let listed: Vec<&(i64, Recommendation)> = found.offers.iter().take(limit).collect();
    let mut ids: Vec<i64> = listed.iter().map(|(c, _)| *c).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: BTreeMap<i64, String> = scoped
        .accounts_by_ids(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let name = |c: &i64| names.get(c).cloned().unwrap_or_default();
    let sku = |p: &i64| found.skus.get(p).cloned().unwrap_or_default();
    if csv_wanted {
        return Ok(csv(
            "offers",
            &[
                "account_id",
                "name",
                "product_id",
                "sku",
                "score",
                "look_alikes",
            ],
            listed.iter().map(|(c, r)| {
                vec![
                    c.to_string(),
                    name(c),
                    r.product.to_string(),
                    sku(&r.product),
                    r.score.to_string(),
                    r.neighbours.to_string(),
                ]
            }),
        ));
    }
    let offers: Vec<Value> = listed
        .iter()
        .map(|(c, r)| {
            json!({"account_id": c, "name": name(c), "product_id": r.product, "sku": sku(&r.product),
                   "score": r.score, "look_alikes": r.neighbours})
        })
        .collect();
    Ok(Json(json!({
        "customers": found.customers,
        "k": k,
        "total": found.offers.len(),
        "offers": offers,
    }))
    .into_response())
}

// ---- unusual orders ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnusualQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    from: Option<String>,
    to: Option<String>,
    threshold: Option<String>,
    min_own_orders: Option<String>,
    limit: Option<String>,
    currency: Option<String>,
    format: Option<String>,
}

/// `GET /analytics/unusual-orders?from=&to=&threshold=&min_own_orders=&limit=&currency=&format=`
#[utoipa::path(get, path = "/analytics/unusual-orders", tag = "analytics",
    summary = "Orders of the caller's accounts far outside their customer's own pattern: robust (modified z) score of the order's log value against the customer's median and spread, flagged beyond the threshold; largest |score| first",
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD, first order day listed (all orders still make the pattern)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD, last order day listed"),
        ("threshold" = Option<f64>, Query, description = "|score| above which an order is flagged (default 3.5)"),
        ("min_own_orders" = Option<usize>, Query, description = "Orders a customer needs for their own spread to be used (default 5)"),
        ("limit" = Option<usize>, Query, description = "Orders at most (default 100, at most 10000)"),
        ("currency" = Option<String>, Query),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, description = "Flagged orders", body = Object),
        (status = 400, description = "A parameter does not parse or is out of range (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Orders in several currencies and none chosen", body = ref("#/components/schemas/Error"))))]
async fn unusual_orders(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<UnusualQuery>,
) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let from = day("from", q.from.as_deref())?;
    let to = day("to", q.to.as_deref())?;
    period(from, to)?;
    let defaults = UnusualSettings::default();
    let settings = UnusualSettings {
        threshold: number(
            "threshold",
            q.threshold.as_deref(),
            (0.0, 1e6),
            defaults.threshold,
        )?,
        min_own_orders: count(
            "min_own_orders",
            q.min_own_orders.as_deref(),
            10_000,
            defaults.min_own_orders,
        )?,
    };
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let (currency, scored) = scoped
        .scored_orders(&settings, q.currency.as_deref())
        .await?;
    let scored_count = scored.len();
    let mut flagged: Vec<_> = scored
        .into_iter()
        .filter(|s| s.score.unusual)
        .filter(|s| {
            from.is_none_or(|f| s.figures.day >= f) && to.is_none_or(|t| s.figures.day <= t)
        })
        .collect();
    flagged.sort_by(|a, b| {
        b.score
            .score
            .abs()
            .total_cmp(&a.score.score.abs())
            .then(a.figures.order.cmp(&b.figures.order))
    });
    let total = flagged.len();
    flagged.truncate(limit);
    if csv_wanted {
        return Ok(csv(
            "unusual-orders",
            &[
                "order_id",
                "account_id",
                "order_date",
                "amount_minor",
                "score",
                "basis",
            ],
            flagged.iter().map(|s| {
                vec![
                    s.figures.order.to_string(),
                    s.figures.account.to_string(),
                    s.figures.day.to_string(),
                    s.figures.revenue_minor.to_string(),
                    s.score.score.to_string(),
                    json!(s.score.basis).as_str().unwrap_or_default().to_owned(),
                ]
            }),
        ));
    }
    let orders: Vec<Value> = flagged
        .iter()
        .map(|s| {
            json!({"order_id": s.figures.order, "account_id": s.figures.account,
                   "order_date": s.figures.day, "amount_minor": s.figures.revenue_minor,
                   "score": s.score.score, "basis": s.score.basis})
        })
        .collect();
    Ok(Json(json!({
        "currency": currency,
        "threshold": settings.threshold,
        "min_own_orders": settings.min_own_orders,
        "orders_scored": scored_count,
        "total": total,
        "orders": orders,
    }))
    .into_response())
}

// ---- lifetime value ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClvQuery {
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
    calibration_end: Option<String>,
    holdout_end: Option<String>,
    periods: Option<String>,
    discount_rate: Option<String>,
    margin_share: Option<String>,
    limit: Option<String>,
    currency: Option<String>,
    format: Option<String>,
}

/// `GET /analytics/clv?calibration_end=&holdout_end=&periods=&discount_rate=&margin_share=&limit=&currency=&format=`
#[utoipa::path(get, path = "/analytics/clv", tag = "analytics",
    summary = "BG/NBD and Gamma-Gamma fitted on the caller's customers' purchases up to calibration_end (the JSON of `wilayah analytics fit`), and per account P(alive), expected purchases and CLV over the horizon, highest CLV first",
    params(("calibration_end" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("holdout_end" = Option<String>, Query, description = "YYYY-MM-DD after calibration_end: compare the repeat purchases up to it with the model's expectation"),
        ("periods" = Option<u32>, Query, description = "Horizon in months (default 12)"),
        ("discount_rate" = Option<f64>, Query, description = "Per month (default 0.01)"),
        ("margin_share" = Option<f64>, Query, description = "Share of revenue that is margin, 0 to 1 (default 1)"),
        ("limit" = Option<usize>, Query, description = "Accounts at most (default 100, at most 10000)"),
        ("currency" = Option<String>, Query),
        ("format" = Option<String>, Query, description = "json (default) or csv (the accounts)")),
    responses((status = 200, description = "The fit and the scores", body = Object),
        (status = 400, description = "A parameter does not parse or is out of range (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Too little data up to calibration_end, or a holdout not after it (the model's message, naming the field)", body = ref("#/components/schemas/Error"))))]
async fn clv(scoped: Scoped, ApiQuery(q): ApiQuery<ClvQuery>) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let calibration_end =
        day("calibration_end", q.calibration_end.as_deref())?.unwrap_or_else(|| scoped.today());
    let holdout_end = day("holdout_end", q.holdout_end.as_deref())?;
    let defaults = ClvSettings::default();
    let settings = ClvSettings {
        periods: count(
            "periods",
            q.periods.as_deref(),
            1200,
            defaults.periods as usize,
        )? as u32,
        discount_rate: number(
            "discount_rate",
            q.discount_rate.as_deref(),
            (0.0, 10.0),
            defaults.discount_rate,
        )?,
        margin_share: number(
            "margin_share",
            q.margin_share.as_deref(),
            (0.0, 1.0),
            defaults.margin_share,
        )?,
        ..defaults
    };
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let mut result = scoped
        .clv(
            calibration_end,
            holdout_end,
            settings,
            q.currency.as_deref(),
        )
        .await?;
    let total = result.customers.len();
    result.customers.sort_by(|a, b| {
        b.1.clv_minor
            .total_cmp(&a.1.clv_minor)
            .then(a.0.customer.cmp(&b.0.customer))
    });
    result.customers.truncate(limit);
    if csv_wanted {
        return Ok(csv(
            "clv",
            &[
                "account_id",
                "frequency",
                "recency_days",
                "age_days",
                "p_alive",
                "expected_purchases",
                "expected_value_minor",
                "clv_minor",
            ],
            result.customers.iter().map(|(c, s)| {
                vec![
                    c.customer.to_string(),
                    c.frequency.to_string(),
                    c.recency_days.to_string(),
                    c.age_days.to_string(),
                    s.p_alive.to_string(),
                    s.expected_purchases.to_string(),
                    s.expected_value_minor.to_string(),
                    s.clv_minor.to_string(),
                ]
            }),
        ));
    }
    let accounts: Vec<Value> = result
        .customers
        .iter()
        .map(|(c, s)| {
            json!({"account_id": c.customer, "frequency": c.frequency, "recency_days": c.recency_days,
                   "age_days": c.age_days, "p_alive": s.p_alive, "expected_purchases": s.expected_purchases,
                   "expected_value_minor": s.expected_value_minor, "clv_minor": s.clv_minor})
        })
        .collect();
    Ok(Json(json!({
        "calibration_end": calibration_end,
        "currency": result.currency,
        "settings": settings,
        "fit": result.report,
        "total": total,
        "accounts": accounts,
    }))
    .into_response())
}

// ---- profitability -------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfitabilityQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    currency: Option<String>,
    format: Option<String>,
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
}

/// `from..=to`: `to` defaults to today, `from` to twelve months before it.
fn profit_period(
    scoped: &Scoped,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = day("to", to)?.unwrap_or_else(|| scoped.today());
    let from = match day("from", from)? {
        Some(from) => from,
        None => to
            .checked_sub_months(Months::new(12))
            .unwrap_or(NaiveDate::MIN),
    };
    period(Some(from), Some(to))?;
    Ok((from, to))
}

fn waterfall_json(w: &Waterfall, name: Option<&str>) -> Value {
    json!({"account_id": w.customer, "name": name,
           "revenue_minor": w.revenue_minor, "cost_of_goods_minor": w.cost_of_goods_minor,
           "gross_margin_minor": w.gross_margin_minor, "visit_cost_minor": w.visit_cost_minor,
           "case_cost_minor": w.case_cost_minor, "campaign_cost_minor": w.campaign_cost_minor,
           "acquisition_cost_minor": w.acquisition_cost_minor, "profit_minor": w.profit_minor})
}

fn rates_json(scoped: &Scoped) -> Value {
    let c = scoped.state().cost_to_serve;
    json!({"technician_per_hour_minor": c.rates.technician_per_hour_minor,
           "per_km_minor": c.rates.per_km_minor, "case_per_hour_minor": c.rates.case_per_hour_minor,
           "case_minutes": c.case_minutes, "speed_kmh": c.speed_kmh,
           "email_contact_minor": c.contacts.email_minor, "call_contact_minor": c.contacts.call_minor,
           "export_contact_minor": c.contacts.export_minor})
}

/// `GET /analytics/profitability?from=&to=&limit=&currency=&format=`
#[utoipa::path(get, path = "/analytics/profitability", tag = "analytics",
    summary = "Profitability of the caller's customers over a period with the geographic cost to serve: revenue, cost of goods, visits (time on site and the travel share from the technician's base), cases, campaign contacts (each campaign's budget spread over its contacts, or the channel's rate per contact) and acquisition (costs up to the first order), the totals and the whale curve of profit; accounts listed least profitable first",
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 12 months before to)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("limit" = Option<usize>, Query, description = "Accounts at most (default 100, at most 10000)"),
        ("currency" = Option<String>, Query),
        ("format" = Option<String>, Query, description = "json (default) or csv (the accounts)"),
        ("territory_id" = Option<i64>, Query, description = "Only accounts of this territory"),
        ("owner_id" = Option<i64>, Query, description = "Only accounts of this owner (rep)"),
        ("account_segment" = Option<String>, Query, description = "Only accounts of this segment")),
    responses((status = 200, description = "Waterfalls, totals and the whale curve", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Orders in several currencies and none chosen", body = ref("#/components/schemas/Error"))))]
async fn profitability(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<ProfitabilityQuery>,
) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let (from, to) = profit_period(&scoped, q.from.as_deref(), q.to.as_deref())?;
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let result = scoped
        .profitability(from, to, None, q.currency.as_deref())
        .await?;
    let mut total = Waterfall::default();
    for w in &result.waterfalls {
        total.revenue_minor += w.revenue_minor;
        total.cost_of_goods_minor += w.cost_of_goods_minor;
        total.gross_margin_minor += w.gross_margin_minor;
        total.visit_cost_minor += w.visit_cost_minor;
        total.case_cost_minor += w.case_cost_minor;
        total.campaign_cost_minor += w.campaign_cost_minor;
        total.acquisition_cost_minor += w.acquisition_cost_minor;
        total.profit_minor += w.profit_minor;
    }
    let profits: Vec<(i64, i64)> = result
        .waterfalls
        .iter()
        .map(|w| (w.customer, w.profit_minor))
        .collect();
    let curve = value_curve(&profits, TOP_FRACTION);
    let n = curve.ranking.len();
    let points: Vec<Value> = sample_points(n, CURVE_POINTS)
        .into_iter()
        .map(|k| {
            json!({"customers": k, "cumulative_minor": curve.cumulative_minor[k],
                   "customer_share": if n == 0 { 0.0 } else { k as f64 / n as f64 }})
        })
        .collect();
    let mut listed = result.waterfalls.clone();
    listed.sort_by_key(|w| (w.profit_minor, w.customer));
    let losing = listed.iter().filter(|w| w.profit_minor < 0).count();
    listed.truncate(limit);
    let ids: Vec<i64> = listed.iter().map(|w| w.customer).collect();
    let names: BTreeMap<i64, String> = scoped
        .accounts_by_ids(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    if csv_wanted {
        return Ok(csv(
            "profitability",
            &[
                "account_id",
                "name",
                "revenue_minor",
                "cost_of_goods_minor",
                "gross_margin_minor",
                "visit_cost_minor",
                "case_cost_minor",
                "campaign_cost_minor",
                "acquisition_cost_minor",
                "profit_minor",
            ],
            listed.iter().map(|w| {
                vec![
                    w.customer.to_string(),
                    names.get(&w.customer).cloned().unwrap_or_default(),
                    w.revenue_minor.to_string(),
                    w.cost_of_goods_minor.to_string(),
                    w.gross_margin_minor.to_string(),
                    w.visit_cost_minor.to_string(),
                    w.case_cost_minor.to_string(),
                    w.campaign_cost_minor.to_string(),
                    w.acquisition_cost_minor.to_string(),
                    w.profit_minor.to_string(),
                ]
            }),
        ));
    }
    let top = ((n as f64 * TOP_FRACTION).ceil() as usize).min(n);
    Ok(Json(json!({
        "from": from,
        "to": to,
        "currency": result.currency,
        "rates": rates_json(&scoped),
        "customers": n,
        "losing_customers": losing,
        "total": waterfall_json(&total, None),
        "whale": {"total_minor": curve.total_minor, "peak_minor": curve.peak_minor,
                  "peak_customers": curve.peak_customers, "top_fraction": TOP_FRACTION,
                  "top_customers": top, "top_share": curve.top_share, "points": points},
        "accounts": listed.iter().map(|w| waterfall_json(w, names.get(&w.customer).map(String::as_str))).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountProfitQuery {
    from: Option<String>,
    to: Option<String>,
    currency: Option<String>,
}

/// `GET /accounts/{id}/profitability?from=&to=&currency=`
#[utoipa::path(get, path = "/accounts/{id}/profitability", tag = "analytics",
    summary = "One account's profitability waterfall over a period: revenue → cost of goods → gross margin → visit cost (time on site and travel share) → case cost → campaign cost → acquisition cost → profit",
    params(("id" = i64, Path, description = "The account"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 12 months before to)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("currency" = Option<String>, Query)),
    responses((status = 200, description = "The waterfall", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error")),
        (status = 404, description = "Not one of the caller's accounts", body = ref("#/components/schemas/Error"))))]
async fn account_profitability(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<AccountProfitQuery>,
) -> Result<Json<Value>, ApiError> {
    let (from, to) = profit_period(&scoped, q.from.as_deref(), q.to.as_deref())?;
    let result = scoped
        .profitability(from, to, Some(id), q.currency.as_deref())
        .await?;
    let w = result.waterfalls.first().copied().unwrap_or(Waterfall {
        customer: id,
        ..Waterfall::default()
    });
    let mut answer = waterfall_json(&w, None);
    answer["from"] = json!(from);
    answer["to"] = json!(to);
    answer["currency"] = json!(result.currency);
    answer["rates"] = rates_json(&scoped);
    Ok(Json(answer))
}

// ---- revenue trend -------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrendQuery {
    group: Option<String>,
    from: Option<String>,
    to: Option<String>,
    currency: Option<String>,
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
}

/// `GET /analytics/revenue-trend?group=territory|owner&from=&to=`
#[utoipa::path(get, path = "/analytics/revenue-trend", tag = "analytics",
    summary = "Revenue of the caller's customers by month per territory or per owner (rep), with the change against the group's previous month, and each group's revenue in the period against the period of the same length just before",
    params(("group" = Option<String>, Query, description = "territory (default) or owner"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 12 months before to)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("currency" = Option<String>, Query),
        ("territory_id" = Option<i64>, Query), ("owner_id" = Option<i64>, Query), ("account_segment" = Option<String>, Query)),
    responses((status = 200, description = "Groups with their months", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Orders in several currencies and none chosen", body = ref("#/components/schemas/Error"))))]
async fn revenue_trend(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<TrendQuery>,
) -> Result<Json<Value>, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let by_territory = match q.group.as_deref() {
        None | Some("territory") => true,
        Some("owner") => false,
        Some(other) => {
            return Err(ApiError::bad_field(
                "group",
                format!("{other:?} is not one of territory, owner"),
            ));
        }
    };
    let (from, to) = profit_period(&scoped, q.from.as_deref(), q.to.as_deref())?;
    let trend = scoped
        .revenue_trend(by_territory, from, to, q.currency.as_deref())
        .await?;
    let mut groups: BTreeMap<Option<i64>, Vec<Value>> = BTreeMap::new();
    for m in &trend.months {
        groups.entry(m.group).or_default().push(json!({
            "month": m.month, "revenue_minor": m.revenue.current,
            "previous_month_minor": m.revenue.previous, "change_ratio": m.revenue.ratio}));
    }
    for g in trend.previous.keys() {
        groups.entry(*g).or_default();
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(group, months)| {
            let current = trend.current.get(&group).copied().unwrap_or(0);
            let previous = trend.previous.get(&group).copied().unwrap_or(0);
            json!({"group_id": group, "months": months, "revenue_minor": current,
                   "previous_period_minor": previous,
                   "change_ratio": (previous != 0).then(|| (current - previous) as f64 / previous as f64)})
        })
        .collect();
    Ok(Json(json!({
        "group": if by_territory { "territory" } else { "owner" },
        "from": from,
        "to": to,
        "previous_from": trend.previous_from,
        "currency": trend.currency,
        "groups": groups,
    })))
}

// ---- on the map ----------------------------------------------------------------------------

/// Classes a map metric is coloured in.
const MAP_CLASSES: usize = 5;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapQuery {
    metric: Option<String>,
    from: Option<String>,
    to: Option<String>,
    currency: Option<String>,
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
}

/// `GET /analytics/map?metric=revenue|profit|clv|churn|segment&from=&to=`
#[utoipa::path(get, path = "/analytics/map", tag = "analytics",
    summary = "The caller's customers as GeoJSON points weighted by a metric, for the heat-map layer and for colouring accounts: revenue or profit (with the cost to serve) over the period, lifetime value or churn risk from the stored scores, or the RFM segment; each point's `value` and quantile `class` (0 to 4), and the class limits in `legend.breaks`",
    params(("metric" = Option<String>, Query, description = "revenue (default), profit, clv, churn or segment"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 12 months before to)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today); also the RFM day"),
        ("currency" = Option<String>, Query),
        ("territory_id" = Option<i64>, Query), ("owner_id" = Option<i64>, Query), ("account_segment" = Option<String>, Query)),
    responses((status = 200, description = "A FeatureCollection with a `legend` member", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error"))))]
async fn metric_map(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<MapQuery>,
) -> Result<Json<Value>, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let metric = q.metric.as_deref().unwrap_or("revenue");
    let (from, to) = profit_period(&scoped, q.from.as_deref(), q.to.as_deref())?;
    let (values, currency) =
        account_metric(&scoped, metric, from, to, q.currency.as_deref()).await?;
    let ids: Vec<i64> = values.keys().copied().collect();
    let accounts = scoped.accounts_by_ids(&ids).await?;
    let numbers: Vec<f64> = accounts.iter().map(|a| values[&a.id].0).collect();
    let classes = wilayah_shared::analytics::classes::quantile_classes(&numbers, MAP_CLASSES);
    let features: Vec<Value> = accounts
        .iter()
        .zip(&classes.class_of)
        .map(|(a, class)| {
            let (value, segment) = values[&a.id];
            json!({"type": "Feature", "id": a.id,
                   "geometry": {"type": "Point", "coordinates": [a.lon, a.lat]},
                   "properties": {"id": a.id, "name": a.name, "value": value, "class": class,
                                  "segment": segment}})
        })
        .collect();
    Ok(Json(json!({
        "type": "FeatureCollection",
        "features": features,
        "legend": {"metric": metric, "currency": currency, "breaks": classes.breaks,
                   "classes": MAP_CLASSES, "from": from, "to": to},
    })))
}

/// Per account of the caller's (narrowed) customers: the value of `metric` (revenue or profit
/// after the cost to serve over `from..=to`, stored CLV or churn risk, or the RFM monetary
/// value with the segment), and the currency of the amounts.
async fn account_metric(
    scoped: &Scoped,
    metric: &str,
    from: NaiveDate,
    to: NaiveDate,
    currency: Option<&str>,
) -> Result<(BTreeMap<i64, (f64, Option<Segment>)>, Option<String>), ApiError> {
    Ok(match metric {
        "revenue" | "profit" => {
            let result = scoped.profitability(from, to, None, currency).await?;
            let values = result
                .waterfalls
                .iter()
                .filter(|w| metric == "profit" || w.revenue_minor != 0)
                .map(|w| {
                    let v = if metric == "profit" {
                        w.profit_minor
                    } else {
                        w.revenue_minor
                    };
                    (w.customer, (v as f64, None))
                })
                .collect();
            (values, result.currency)
        }
        "clv" | "churn" => {
            let scores = scoped.stored_scores().await?;
            let currency = scores.first().map(|s| s.currency.clone());
            let values = scores
                .into_iter()
                .map(|s| {
                    let v = if metric == "clv" {
                        s.clv_minor
                    } else {
                        1.0 - s.p_alive
                    };
                    (s.account_id, (v, None))
                })
                .collect();
            (values, currency)
        }
        "segment" => {
            let result = scoped.rfm(to, currency).await?;
            let values = result
                .scores
                .iter()
                .map(|s| (s.customer, (s.monetary_minor as f64, Some(s.segment))))
                .collect();
            (values, result.currency)
        }
        other => {
            return Err(ApiError::bad_field(
                "metric",
                format!("{other:?} is not one of revenue, profit, clv, churn, segment"),
            ));
        }
    })
}

/// `GET /analytics/territories?metric=revenue|profit|clv|churn&from=&to=`
#[utoipa::path(get, path = "/analytics/territories", tag = "analytics",
    summary = "Territories shaded by a metric over the caller's customers in them: the sum of revenue, of profit after the cost to serve (over the period) or of stored CLV, or the mean churn risk; each territory's polygon with its `value`, `customers` counted and quantile `class` (0 to 4), the class limits in `legend.breaks` and the customers in no territory in `legend.outside`",
    params(("metric" = Option<String>, Query, description = "revenue (default, sum), profit (sum), clv (sum) or churn (mean)"),
        ("from" = Option<String>, Query, description = "YYYY-MM-DD (default: 12 months before to)"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD (default: today)"),
        ("currency" = Option<String>, Query),
        ("territory_id" = Option<i64>, Query), ("owner_id" = Option<i64>, Query), ("account_segment" = Option<String>, Query)),
    responses((status = 200, description = "A FeatureCollection of the territories holding the caller's customers, with a `legend` member", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error"))))]
async fn territory_map(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<MapQuery>,
) -> Result<Json<Value>, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let metric = q.metric.as_deref().unwrap_or("revenue");
    if metric == "segment" {
        return Err(ApiError::bad_field(
            "metric",
            "\"segment\" is not one of revenue, profit, clv, churn",
        ));
    }
    let (from, to) = profit_period(&scoped, q.from.as_deref(), q.to.as_deref())?;
    let (values, currency) =
        account_metric(&scoped, metric, from, to, q.currency.as_deref()).await?;
    let ids: Vec<i64> = values.keys().copied().collect();
    // Territory → (sum of the values, customers).
    let mut totals: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    let mut outside = 0;
    for a in scoped.accounts_by_ids(&ids).await? {
        match a.territory_id {
            Some(t) => {
                let total = totals.entry(t).or_default();
                total.0 += values[&a.id].0;
                total.1 += 1;
            }
            None => outside += 1,
        }
    }
    let mean = metric == "churn";
    let territories: Vec<_> = super::map::every_territory(&scoped)
        .await?
        .into_iter()
        .filter_map(|t| {
            let (sum, customers) = *totals.get(&t.get("id")?.as_i64()?)?;
            let value = if mean { sum / customers as f64 } else { sum };
            Some((t, value, customers))
        })
        .collect();
    let numbers: Vec<f64> = territories.iter().map(|t| t.1).collect();
    let classes = wilayah_shared::analytics::classes::quantile_classes(&numbers, MAP_CLASSES);
    let features: Vec<Value> = territories
        .iter()
        .zip(&classes.class_of)
        .map(|((t, value, customers), class)| {
            json!({"type": "Feature", "id": t["id"], "geometry": t["geometry"],
                   "properties": {"id": t["id"], "name": t["name"], "value": value,
                                  "customers": customers, "class": class}})
        })
        .collect();
    Ok(Json(json!({
        "type": "FeatureCollection",
        "features": features,
        "legend": {"metric": metric, "aggregate": if mean { "mean" } else { "sum" },
                   "currency": currency, "breaks": classes.breaks, "classes": MAP_CLASSES,
                   "outside": outside, "from": from, "to": to},
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AtRiskQuery {
    lon: Option<String>,
    lat: Option<String>,
    radius_m: Option<String>,
    min_risk: Option<String>,
    limit: Option<String>,
}

/// `GET /analytics/at-risk-nearby?lon=&lat=&radius_m=&min_risk=&limit=`
#[utoipa::path(get, path = "/analytics/at-risk-nearby", tag = "analytics",
    summary = "Valuable customers at risk near a place: the caller's customers within radius_m (spatial index) whose stored churn risk is at least min_risk, most value at risk first ((1 − P(alive)) × expected value × purchases so far), with their distance",
    params(("lon" = f64, Query), ("lat" = f64, Query),
        ("radius_m" = Option<f64>, Query, description = "Metres (default 25000, at most 500000)"),
        ("min_risk" = Option<f64>, Query, description = "0 to 1 (default 0.5)"),
        ("limit" = Option<usize>, Query, description = "At most (default 10, at most 1000)")),
    responses((status = 200, description = "Customers at risk", body = Object),
        (status = 400, description = "A parameter is missing, does not parse or is out of range (named)", body = ref("#/components/schemas/Error"))))]
async fn at_risk_nearby(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<AtRiskQuery>,
) -> Result<Json<Value>, ApiError> {
    let lon = parsed::<f64>("lon", q.lon.as_deref(), "a longitude")?
        .ok_or_else(|| ApiError::bad_field("lon", "is required"))?;
    let lat = parsed::<f64>("lat", q.lat.as_deref(), "a latitude")?
        .ok_or_else(|| ApiError::bad_field("lat", "is required"))?;
    let centre = wilayah_shared::LonLat::new(lon, lat)
        .map_err(|e| ApiError::bad_field(e.field(), e.to_string()))?;
    let radius_m = number(
        "radius_m",
        q.radius_m.as_deref(),
        (1.0, 500_000.0),
        25_000.0,
    )?;
    let min_risk = number("min_risk", q.min_risk.as_deref(), (0.0, 1.0), 0.5)?;
    let limit = count("limit", q.limit.as_deref(), 1000, 10)?;
    let at_risk = at_risk_scores(&scoped, min_risk).await?;
    let mut hits = scoped
        .nearby(
            centre,
            Reach::Within {
                metres: radius_m,
                at_most: 10_000,
            },
            |p| at_risk.contains_key(&p.id),
        )
        .await?;
    let accounts = at_risk_list(&mut hits, &at_risk, limit, scoped.sees_customer_value());
    Ok(Json(json!({
        "lon": lon, "lat": lat, "radius_m": radius_m, "min_risk": min_risk,
        "accounts": accounts,
    })))
}

/// The caller's customers whose stored churn risk is at least `min_risk` and who have value
/// at risk, by account id.
async fn at_risk_scores(
    scoped: &Scoped,
    min_risk: f64,
) -> Result<BTreeMap<i64, StoredScore>, ApiError> {
    Ok(scoped
        .at_risk_scores()
        .await?
        .into_iter()
        .filter(|s| 1.0 - s.p_alive >= min_risk && value_at_risk(s) > 0.0)
        .map(|s| (s.account_id, s))
        .collect())
}

/// Customers at risk found at a distance (metres): most value at risk first, at most `limit`,
/// with their scores, distance and position. Without `money` (a caller who may not read
/// analytics) only the churn risk is told: the order still follows the value at risk.
fn at_risk_list(
    hits: &mut Vec<(Account, f64)>,
    at_risk: &BTreeMap<i64, StoredScore>,
    limit: usize,
    money: bool,
) -> Vec<Value> {
    hits.sort_by(|a, b| {
        value_at_risk(&at_risk[&b.0.id])
            .total_cmp(&value_at_risk(&at_risk[&a.0.id]))
            .then(a.0.id.cmp(&b.0.id))
    });
    hits.truncate(limit);
    hits.iter()
        .map(|(account, distance_m)| {
            let s = &at_risk[&account.id];
            let mut v = if money {
                score_json(s, Some(&account.name))
            } else {
                json!({"account_id": s.account_id, "name": account.name,
                       "fitted_on": s.fitted_on, "churn_risk": 1.0 - s.p_alive})
            };
            v["distance_m"] = json!(distance_m);
            v["lon"] = json!(account.lon);
            v["lat"] = json!(account.lat);
            v
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlongRouteQuery {
    date: Option<String>,
    technician_id: Option<String>,
    radius_m: Option<String>,
    min_risk: Option<String>,
    limit: Option<String>,
}

/// `GET /analytics/at-risk-along-route?date=&radius_m=&min_risk=&limit=`
#[utoipa::path(get, path = "/analytics/at-risk-along-route", tag = "analytics",
    summary = "Valuable customers at risk along the caller's day: the caller's customers within radius_m (great-circle metres, spatial index) of a stop of the day (the visits the caller sees that day), whose stored churn risk is at least min_risk, most value at risk first, each with its distance to the nearest stop and that stop; the stops' own accounts are left out (they are visited already)",
    params(("date" = Option<String>, Query, format = Date, description = "Calendar day in the deployment's time zone, default today"),
        ("technician_id" = Option<i64>, Query, description = "Only this technician's stops (the technician view of a dispatcher)"),
        ("radius_m" = Option<f64>, Query, description = "Metres from a stop (default 5000, at most 100000)"),
        ("min_risk" = Option<f64>, Query, description = "0 to 1 (default 0.5)"),
        ("limit" = Option<usize>, Query, description = "At most (default 10, at most 1000)")),
    responses((status = 200, description = "The day's stops and the customers at risk near them", body = Object),
        (status = 400, description = "A parameter does not parse or is out of range (named)", body = ref("#/components/schemas/Error"))))]
async fn at_risk_along_route(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<AlongRouteQuery>,
) -> Result<Json<Value>, ApiError> {
    let range = super::map::day_range(&scoped, q.date.as_deref())?;
    let radius_m = number("radius_m", q.radius_m.as_deref(), (1.0, 100_000.0), 5_000.0)?;
    let min_risk = number("min_risk", q.min_risk.as_deref(), (0.0, 1.0), 0.5)?;
    let limit = count("limit", q.limit.as_deref(), 1000, 10)?;
    let technician = parsed::<i64>("technician_id", q.technician_id.as_deref(), "an id")?;
    let mut stops = scoped.map_visits(&range).await?;
    stops.retain(|v| technician.is_none() || v.technician_id == technician);
    stops.sort_by_key(|v| (v.window_start, v.id));
    let at_risk = at_risk_scores(&scoped, min_risk).await?;
    let visited: std::collections::BTreeSet<i64> = stops.iter().map(|v| v.account_id).collect();
    // Account → (account, metres to its nearest stop, that stop's index).
    let mut nearest: BTreeMap<i64, (Account, f64, usize)> = BTreeMap::new();
    for (i, stop) in stops.iter().enumerate() {
        let Ok(at) = wilayah_shared::LonLat::new(stop.lon, stop.lat) else {
            continue;
        };
        let hits = scoped
            .nearby(
                at,
                Reach::Within {
                    metres: radius_m,
                    at_most: 10_000,
                },
                |p| at_risk.contains_key(&p.id) && !visited.contains(&p.id),
            )
            .await?;
        for (account, distance_m) in hits {
            match nearest.get(&account.id) {
                Some((_, d, _)) if *d <= distance_m => {}
                _ => {
                    nearest.insert(account.id, (account, distance_m, i));
                }
            }
        }
    }
    let stop_of: BTreeMap<i64, usize> = nearest.iter().map(|(id, n)| (*id, n.2)).collect();
    let mut hits: Vec<(Account, f64)> = nearest.into_values().map(|(a, d, _)| (a, d)).collect();
    let mut accounts = at_risk_list(&mut hits, &at_risk, limit, scoped.sees_customer_value());
    for (v, (account, _)) in accounts.iter_mut().zip(&hits) {
        let stop = &stops[stop_of[&account.id]];
        v["stop"] = json!({"visit_id": stop.id, "account_id": stop.account_id,
                           "name": stop.account_name});
    }
    let stops: Vec<Value> = stops
        .iter()
        .map(|v| {
            json!({"visit_id": v.id, "account_id": v.account_id, "name": v.account_name,
                   "lon": v.lon, "lat": v.lat, "window_start": v.window_start,
                   "status": v.status})
        })
        .collect();
    Ok(Json(json!({
        "radius_m": radius_m, "min_risk": min_risk, "stops": stops, "accounts": accounts,
    })))
}

// ---- background scoring --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoringBody {
    /// YYYY-MM-DD (default: today).
    calibration_end: Option<String>,
    /// Horizon in months (default 12, at most 1200).
    periods: Option<u32>,
    /// Per month (default 0.01).
    discount_rate: Option<f64>,
    /// Share of revenue that is margin, 0 to 1 (default 1).
    margin_share: Option<f64>,
    /// Needed when the orders are in several currencies.
    currency: Option<String>,
}

/// `POST /analytics/scoring-jobs`
#[utoipa::path(post, path = "/analytics/scoring-jobs", tag = "analytics",
    summary = "Starts the background job that fits BG/NBD and Gamma-Gamma on the whole order history and scores every customer (P(alive), expected purchases, CLV), storing the scores with the day of the fit; its row (GET /analytics/scoring-jobs/latest) shows the progress",
    request_body(content = Object, description = "All optional: calibration_end (YYYY-MM-DD, default today), periods (months, default 12, at most 1200), discount_rate (per month, default 0.01), margin_share (0 to 1, default 1), currency (needed when the orders are in several)"),
    responses((status = 202, description = "The job, running", body = Object),
        (status = 400, description = "A setting is out of range (named)", body = ref("#/components/schemas/Error")),
        (status = 409, description = "A scoring job is already running", body = ref("#/components/schemas/Error"))))]
async fn start_scoring(
    scoped: Scoped,
    ApiJson(body): ApiJson<ScoringBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let calibration_end =
        day("calibration_end", body.calibration_end.as_deref())?.unwrap_or_else(|| scoped.today());
    let defaults = ClvSettings::default();
    let periods = body.periods.unwrap_or(defaults.periods);
    if !(1..=1200).contains(&periods) {
        return Err(ApiError::bad_field("periods", "must be between 1 and 1200"));
    }
    let in_range = |field: &'static str, v: Option<f64>, max: f64, default: f64| {
        let v = v.unwrap_or(default);
        if v.is_finite() && (0.0..=max).contains(&v) {
            Ok(v)
        } else {
            Err(ApiError::bad_field(
                field,
                format!("must be between 0 and {max}"),
            ))
        }
    };
    let settings = ClvSettings {
        periods,
        discount_rate: in_range(
            "discount_rate",
            body.discount_rate,
            10.0,
            defaults.discount_rate,
        )?,
        margin_share: in_range(
            "margin_share",
            body.margin_share,
            1.0,
            defaults.margin_share,
        )?,
        ..defaults
    };
    let job = scoped
        .start_scoring(
            ScoringRequest {
                calibration_end,
                settings,
            },
            body.currency,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(json!(job))))
}

/// `GET /analytics/scoring-jobs/latest`
#[utoipa::path(get, path = "/analytics/scoring-jobs/latest", tag = "analytics",
    summary = "The most recently started scoring job: status (running, done, failed), customers done of total, the fit, the error of a failed job; null when none ever ran",
    responses((status = 200, description = "The job or null", body = Object)))]
async fn latest_scoring_job(scoped: Scoped) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"job": scoped.latest_scoring_job().await?})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoresQuery {
    order: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    format: Option<String>,
    territory_id: Option<String>,
    owner_id: Option<String>,
    account_segment: Option<String>,
}

/// What is lost if the customer has gone: (1 − P(alive)) × expected value of a purchase ×
/// (purchases so far, the first included): past business at risk, in minor units.
fn value_at_risk(s: &StoredScore) -> f64 {
    (1.0 - s.p_alive) * s.expected_value_minor * (s.frequency + 1) as f64
}

fn score_json(s: &StoredScore, name: Option<&str>) -> Value {
    json!({"account_id": s.account_id, "name": name, "fitted_on": s.fitted_on, "currency": s.currency,
           "frequency": s.frequency, "recency_days": s.recency_days, "age_days": s.age_days,
           "p_alive": s.p_alive, "churn_risk": 1.0 - s.p_alive,
           "expected_purchases": s.expected_purchases, "expected_value_minor": s.expected_value_minor,
           "clv_minor": s.clv_minor, "value_at_risk_minor": value_at_risk(s)})
}

/// `GET /analytics/scores?order=clv|churn|at_risk&limit=&offset=&format=`
#[utoipa::path(get, path = "/analytics/scores", tag = "analytics",
    summary = "The stored scores of the caller's customers from the latest scoring job, with the day of the fit: P(alive), churn risk (1 − P(alive)), expected purchases, expected value, CLV and value at risk ((1 − P(alive)) × expected value × purchases so far)",
    params(("order" = Option<String>, Query, description = "clv (default, highest first), churn (highest risk first) or at_risk (highest value at risk first)"),
        ("limit" = Option<usize>, Query, description = "Accounts per page (default 100, at most 10000)"), ("offset" = Option<usize>, Query),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
        ("territory_id" = Option<i64>, Query), ("owner_id" = Option<i64>, Query), ("account_segment" = Option<String>, Query)),
    responses((status = 200, description = "The scores", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error"))))]
async fn scores(scoped: Scoped, ApiQuery(q): ApiQuery<ScoresQuery>) -> Result<Response, ApiError> {
    let scoped = narrow(scoped, &q.territory_id, &q.owner_id, &q.account_segment).await?;
    let limit = count("limit", q.limit.as_deref(), MAX_LIMIT, 100)?;
    let offset = parsed::<usize>("offset", q.offset.as_deref(), "a whole number")?.unwrap_or(0);
    let csv_wanted = wants_csv(q.format.as_deref())?;
    let mut all = scoped.stored_scores().await?;
    match q.order.as_deref() {
        None | Some("clv") => all.sort_by(|a, b| {
            b.clv_minor
                .total_cmp(&a.clv_minor)
                .then(a.account_id.cmp(&b.account_id))
        }),
        Some("churn") => all.sort_by(|a, b| {
            a.p_alive
                .total_cmp(&b.p_alive)
                .then(a.account_id.cmp(&b.account_id))
        }),
        Some("at_risk") => all.sort_by(|a, b| {
            value_at_risk(b)
                .total_cmp(&value_at_risk(a))
                .then(a.account_id.cmp(&b.account_id))
        }),
        Some(other) => {
            return Err(ApiError::bad_field(
                "order",
                format!("{other:?} is not one of clv, churn, at_risk"),
            ));
        }
    }
    let total = all.len();
    let page: Vec<&StoredScore> = all.iter().skip(offset).take(limit).collect();
    let ids: Vec<i64> = page.iter().map(|s| s.account_id).collect();
    let names: BTreeMap<i64, String> = scoped
        .accounts_by_ids(&ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    if csv_wanted {
        return Ok(csv(
            "scores",
            &[
                "account_id",
                "name",
                "fitted_on",
                "p_alive",
                "expected_purchases",
                "expected_value_minor",
                "clv_minor",
                "value_at_risk_minor",
            ],
            page.iter().map(|s| {
                vec![
                    s.account_id.to_string(),
                    names.get(&s.account_id).cloned().unwrap_or_default(),
                    s.fitted_on.to_string(),
                    s.p_alive.to_string(),
                    s.expected_purchases.to_string(),
                    s.expected_value_minor.to_string(),
                    s.clv_minor.to_string(),
                    value_at_risk(s).to_string(),
                ]
            }),
        ));
    }
    Ok(Json(json!({
        "fitted_on": all.first().map(|s| s.fitted_on),
        "total": total,
        "limit": limit,
        "offset": offset,
        "accounts": page.iter().map(|s| score_json(s, names.get(&s.account_id).map(String::as_str))).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::sample_points;

    #[test]
    fn curve_samples_keep_both_ends_and_stay_under_the_cap() {
        assert_eq!(sample_points(3, 200), vec![0, 1, 2, 3]);
        assert_eq!(sample_points(0, 200), vec![0]);
        for n in [199, 200, 201, 1000, 123_457] {
            let kept = sample_points(n, 200);
            assert!(kept.len() <= 200, "{n}: {}", kept.len());
            assert_eq!(kept.first(), Some(&0));
            assert_eq!(kept.last(), Some(&n));
            assert!(kept.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
