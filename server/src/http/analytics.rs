//! Customer analytics over HTTP, for the analytics page: RFM, the 80/20 curve, cohorts and
//! movement, cross-sell rules and look-alike recommendations, unusual orders and lifetime value.
//! Every answer is computed from the orders of the caller's accounts only (`scope/analytics.rs`);
//! these handlers read parameters (each refusal names its field), cap lists and shape JSON or
//! CSV. Amounts are integer minor units of the answer's `currency`.

use std::str::FromStr;

use axum::Json;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::routes;
use wilayah_shared::access::Action::Read;
use wilayah_shared::access::Rule::Can;
use wilayah_shared::analytics::ClvSettings;
use wilayah_shared::analytics::cross_sell::RuleSettings;
use wilayah_shared::analytics::rfm::Segment;
use wilayah_shared::analytics::unusual::UnusualSettings;

use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiQuery;
use super::scope::{Measure, Scoped};

pub fn declare(api: Api) -> Api {
    api.route(Can("analytics", Read), routes!(rfm))
        .route(Can("analytics", Read), routes!(pareto))
        .route(Can("analytics", Read), routes!(cohorts))
        .route(Can("analytics", Read), routes!(cross_sell))
        .route(Can("analytics", Read), routes!(recommendations))
        .route(Can("analytics", Read), routes!(unusual_orders))
        .route(Can("analytics", Read), routes!(clv))
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
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        text,
    )
        .into_response()
}

// ---- RFM -----------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RfmQuery {
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

// ---- unusual orders ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnusualQuery {
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
