//! Quotes and orders over HTTP: `/quotes` (create priced from the catalogue, edit a draft,
//! approve, send / accept / reject / expire, revise) and `/orders` (direct entry, status,
//! returns). Who may reach which records is the handle's business (`scope/sales.rs`); these
//! handlers read requests and shape answers. The history import is in `transfer.rs`.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Read, Update};
use wilayah_shared::access::Rule::{AdminOnly, Can};
use wilayah_shared::account::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use wilayah_shared::money::Currency;
use wilayah_shared::sales::{
    ApprovalRequest, DiscountPolicy, LineAmounts, OrderInput, OrderStatus, QuoteLineInput,
    QuoteStatus, SalesSettings, Totals,
};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::{NewQuote, QuoteChange, Scoped};
use crate::db::{OrderRecord, QuoteRecord, SalesFilter};

pub fn declare(api: Api) -> Api {
    api.route(Can("quotes", Read), routes!(list_quotes))
        .route(Can("quotes", Create), routes!(create_quote))
        .route(Can("quotes", Read), routes!(read_quote))
        .route(Can("quotes", Update), routes!(edit_quote))
        .route(Can("quotes", Update), routes!(move_quote))
        .route(Can("quotes", Update), routes!(revise_quote))
        .route(Can("quote_approvals", Create), routes!(approve_quote))
        .route(Can("orders", Read), routes!(list_orders))
        .route(Can("orders", Create), routes!(create_order))
        .route(Can("orders", Read), routes!(read_order))
        .route(Can("orders", Update), routes!(move_order))
        .route(Can("orders", Update), routes!(return_goods))
        .route(Can("quotes", Read), routes!(read_settings))
        .route(AdminOnly, routes!(save_settings))
}

/// One line as answered: what it was priced at and its amounts.
fn line_view(line_no: usize, line: &impl Serialize, amounts: &LineAmounts) -> Value {
    let mut map = Map::new();
    map.insert("line_no".into(), line_no.into());
    for part in [serde_json::to_value(line), serde_json::to_value(amounts)] {
        if let Ok(Value::Object(fields)) = part {
            map.extend(fields);
        }
    }
    map.entry("line_no").or_insert(line_no.into());
    Value::Object(map)
}

#[derive(Debug, Serialize)]
struct QuoteView {
    id: i64,
    quote_no: i64,
    revision: u32,
    version: i64,
    account_id: i64,
    opportunity_id: Option<i64>,
    /// As of today: a sent revision past its validity reads `expired`.
    status: QuoteStatus,
    currency: Currency,
    valid_until: NaiveDate,
    terms: Option<String>,
    lines: Vec<Value>,
    totals: Totals,
    approval: Option<wilayah_shared::sales::Approval>,
    /// What stands between the caller and sending this revision, if anything.
    approval_needed: Option<ApprovalRequest>,
    sent_on: Option<NaiveDate>,
    decided_on: Option<NaiveDate>,
    created_by: Option<i64>,
    created_at: String,
    updated_at: String,
}

/// One revision as answered (reads the discount policy: use [`quote_view_under`] for many).
async fn quote_view(scoped: &Scoped, r: QuoteRecord) -> Result<QuoteView, ApiError> {
    let policy = scoped.discount_policy().await?;
    quote_view_under(scoped, &policy, r)
}

fn quote_view_under(
    scoped: &Scoped,
    policy: &DiscountPolicy,
    r: QuoteRecord,
) -> Result<QuoteView, ApiError> {
    let amounts = r.quote.amounts()?;
    let lines = r
        .quote
        .lines
        .iter()
        .zip(&amounts.lines)
        .enumerate()
        .map(|(i, (l, a))| line_view(i + 1, l, a))
        .collect();
    let approval_needed = r.quote.approval_needed(scoped.caller().role, policy);
    let q = r.quote;
    Ok(QuoteView {
        id: r.id,
        quote_no: r.quote_no,
        revision: q.revision,
        version: r.version,
        account_id: q.account_id,
        opportunity_id: q.opportunity_id,
        status: q.status_on(scoped.today()),
        currency: q.currency,
        valid_until: q.valid_until,
        terms: q.terms,
        lines,
        totals: amounts.totals,
        approval: q.approval,
        approval_needed,
        sent_on: q.sent_on,
        decided_on: q.decided_on,
        created_by: r.created_by,
        created_at: r.created_at.to_rfc3339(),
        updated_at: r.updated_at.to_rfc3339(),
    })
}

#[derive(Debug, Serialize)]
struct OrderView {
    id: i64,
    version: i64,
    account_id: i64,
    quote_id: Option<i64>,
    currency: Currency,
    order_date: NaiveDate,
    status: OrderStatus,
    external_order_id: Option<String>,
    lines: Vec<Value>,
    totals: Totals,
    created_at: String,
    updated_at: String,
}

fn order_view(r: OrderRecord) -> Result<OrderView, ApiError> {
    let amounts = r.order.amounts()?;
    let lines = r
        .order
        .lines
        .iter()
        .zip(&amounts.lines)
        .map(|(l, a)| line_view(l.line_no as usize, l, a))
        .collect();
    let o = r.order;
    Ok(OrderView {
        id: r.id,
        version: r.version,
        account_id: o.account_id,
        quote_id: r.quote_id,
        currency: o.currency,
        order_date: o.order_date,
        status: o.status,
        external_order_id: o.external_order_id,
        lines,
        totals: amounts.totals,
        created_at: r.created_at.to_rfc3339(),
        updated_at: r.updated_at.to_rfc3339(),
    })
}

#[derive(Debug, Serialize)]
struct ListPage<T> {
    items: Vec<T>,
    total: i64,
    limit: u32,
    offset: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    account_id: Option<i64>,
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

impl ListQuery {
    fn filter(self, statuses: &[&str]) -> Result<SalesFilter, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::bad_field(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        if let Some(s) = self.status.as_deref().filter(|s| !statuses.contains(s)) {
            return Err(ApiError::bad_field(
                "status",
                format!("{s:?} is not one of {}", statuses.join(", ")),
            ));
        }
        Ok(SalesFilter {
            account_ids: None,
            account_id: self.account_id,
            status: self.status,
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// `GET /quotes?account_id=&status=&limit=&offset=`
#[utoipa::path(get, path = "/quotes", tag = "sales",
    summary = "Quote revisions on the caller's accounts, newest first",
    params(("account_id" = Option<i64>, Query), ("status" = Option<String>, Query, description = "As stored: draft, sent, accepted, rejected, expired or superseded"),
        ("limit" = Option<u32>, Query), ("offset" = Option<u64>, Query)),
    responses((status = 200, description = "A page of quotes", body = ref("#/components/schemas/QuotePage")),
        (status = 400, description = "Malformed parameter", body = ref("#/components/schemas/Error"))))]
async fn list_quotes(
    scoped: Scoped,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ListPage<QuoteView>>, ApiError> {
    let filter = query.filter(QuoteStatus::NAMES)?;
    let (limit, offset) = (filter.limit, filter.offset);
    let (records, total) = scoped.quotes(filter).await?;
    let policy = scoped.discount_policy().await?;
    let items = records
        .into_iter()
        .map(|r| quote_view_under(&scoped, &policy, r))
        .collect::<Result<_, _>>()?;
    Ok(Json(ListPage {
        items,
        total,
        limit,
        offset,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteInput {
    account_id: i64,
    opportunity_id: Option<i64>,
    currency: Option<Currency>,
    valid_until: NaiveDate,
    terms: Option<String>,
    #[serde(default)]
    lines: Vec<QuoteLineInput>,
}

/// `POST /quotes`
#[utoipa::path(post, path = "/quotes", tag = "sales",
    summary = "Start a quote on an account (revision 1, draft): each line priced from the applicable price list, or the product's list price, today",
    request_body = ref("#/components/schemas/QuoteInput"),
    responses((status = 201, description = "The draft", body = ref("#/components/schemas/Quote")),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 404, description = "Not one of the caller's accounts", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A line or field breaks a rule (errors by line number as row, and field)", body = ref("#/components/schemas/Error"))))]
async fn create_quote(
    scoped: Scoped,
    ApiJson(input): ApiJson<QuoteInput>,
) -> Result<(StatusCode, Json<QuoteView>), ApiError> {
    let record = scoped
        .create_quote(NewQuote {
            account_id: input.account_id,
            opportunity_id: input.opportunity_id,
            currency: input.currency,
            valid_until: input.valid_until,
            terms: input.terms,
            lines: input.lines,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(quote_view(&scoped, record).await?),
    ))
}

/// `GET /quotes/{id}`
#[utoipa::path(get, path = "/quotes/{id}", tag = "sales",
    summary = "A quote revision with its lines, amounts, totals and what approval it needs",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The revision", body = ref("#/components/schemas/Quote")),
        (status = 404, description = "No such quote among the caller's", body = ref("#/components/schemas/Error"))))]
async fn read_quote(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<QuoteView>, ApiError> {
    let record = scoped.quote(id).await?;
    Ok(Json(quote_view(&scoped, record).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteEdit {
    version: i64,
    lines: Option<Vec<QuoteLineInput>>,
    valid_until: Option<NaiveDate>,
    /// Empty text clears them.
    terms: Option<String>,
}

/// `PATCH /quotes/{id}`
#[utoipa::path(patch, path = "/quotes/{id}", tag = "sales",
    summary = "Change a draft revision (lines priced again today, validity, terms); a sent revision is frozen",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/QuoteEdit"),
    responses((status = 200, description = "The changed draft", body = ref("#/components/schemas/Quote")),
        (status = 404, description = "No such quote among the caller's", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Not a draft, or a line breaks a rule", body = ref("#/components/schemas/Error"))))]
async fn edit_quote(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(edit): ApiJson<QuoteEdit>,
) -> Result<Json<QuoteView>, ApiError> {
    let change = QuoteChange {
        lines: edit.lines,
        valid_until: edit.valid_until,
        terms: edit.terms.map(Some),
    };
    let record = scoped.edit_quote(id, edit.version, change).await?;
    Ok(Json(quote_view(&scoped, record).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuoteMove {
    version: i64,
    status: QuoteStatus,
    /// For `accepted`: the order's date (default today).
    order_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
struct MovedQuote {
    quote: QuoteView,
    /// The order an accepted quote became.
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<OrderView>,
}

/// `POST /quotes/{id}/status {version, status}`
#[utoipa::path(post, path = "/quotes/{id}/status", tag = "sales",
    summary = "Send, accept, reject or expire a revision. Sending needs an approval when a line's discount is beyond the sender's limit; accepting makes the order and wins the deal in one transaction",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/QuoteMove"),
    responses((status = 200, description = "The revision (and, when accepted, its order)", body = ref("#/components/schemas/MovedQuote")),
        (status = 404, description = "No such quote among the caller's", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "The move is not allowed (field status, approval, valid_until or lines)", body = ref("#/components/schemas/Error"))))]
async fn move_quote(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(change): ApiJson<QuoteMove>,
) -> Result<Json<MovedQuote>, ApiError> {
    if change.status == QuoteStatus::Accepted {
        let (quote, order) = scoped
            .accept_quote(id, change.version, change.order_date)
            .await?;
        return Ok(Json(MovedQuote {
            quote: quote_view(&scoped, quote).await?,
            order: Some(order_view(order)?),
        }));
    }
    if change.order_date.is_some() {
        return Err(ApiError::bad_field(
            "order_date",
            "only an accepted quote makes an order",
        ));
    }
    let quote = scoped.move_quote(id, change.version, change.status).await?;
    Ok(Json(MovedQuote {
        quote: quote_view(&scoped, quote).await?,
        order: None,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Versioned {
    version: i64,
}

/// `POST /quotes/{id}/approve {version}`
#[utoipa::path(post, path = "/quotes/{id}/approve", tag = "sales",
    summary = "Approve a draft's discounts (a manager up to 25 %, an admin any): then anyone may send it",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/Versioned"),
    responses((status = 200, description = "The approved draft", body = ref("#/components/schemas/Quote")),
        (status = 404, description = "No such quote among the caller's", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Beyond the approver's own limit, or not a draft", body = ref("#/components/schemas/Error"))))]
async fn approve_quote(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Versioned>,
) -> Result<Json<QuoteView>, ApiError> {
    let record = scoped.approve_quote(id, body.version).await?;
    Ok(Json(quote_view(&scoped, record).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Revise {
    version: i64,
    valid_until: NaiveDate,
}

/// `POST /quotes/{id}/revise {version, valid_until}`
#[utoipa::path(post, path = "/quotes/{id}/revise", tag = "sales",
    summary = "Make the next revision (a draft copy of the lines and terms); a sent revision becomes superseded",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/Revise"),
    responses((status = 201, description = "The new revision", body = ref("#/components/schemas/Quote")),
        (status = 404, description = "No such quote among the caller's", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "This revision cannot be revised", body = ref("#/components/schemas/Error"))))]
async fn revise_quote(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Revise>,
) -> Result<(StatusCode, Json<QuoteView>), ApiError> {
    let record = scoped
        .revise_quote(id, body.version, body.valid_until)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(quote_view(&scoped, record).await?),
    ))
}

/// `GET /orders?account_id=&status=&limit=&offset=`
#[utoipa::path(get, path = "/orders", tag = "sales",
    summary = "Orders on the caller's accounts, newest first",
    params(("account_id" = Option<i64>, Query), ("status" = Option<String>, Query, description = "open, delivered, invoiced or cancelled"),
        ("limit" = Option<u32>, Query), ("offset" = Option<u64>, Query)),
    responses((status = 200, description = "A page of orders", body = ref("#/components/schemas/OrderPage")),
        (status = 400, description = "Malformed parameter", body = ref("#/components/schemas/Error"))))]
async fn list_orders(
    scoped: Scoped,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ListPage<OrderView>>, ApiError> {
    let filter = query.filter(OrderStatus::NAMES)?;
    let (limit, offset) = (filter.limit, filter.offset);
    let (records, total) = scoped.orders(filter).await?;
    let items = records
        .into_iter()
        .map(order_view)
        .collect::<Result<_, _>>()?;
    Ok(Json(ListPage {
        items,
        total,
        limit,
        offset,
    }))
}

/// `POST /orders`
#[utoipa::path(post, path = "/orders", tag = "sales",
    summary = "Enter an order directly: lines priced as a quote would be on the order date",
    request_body = ref("#/components/schemas/OrderInput"),
    responses((status = 201, description = "The order (open)", body = ref("#/components/schemas/Order")),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 404, description = "Not one of the caller's accounts", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A line or field breaks a rule", body = ref("#/components/schemas/Error"))))]
async fn create_order(
    scoped: Scoped,
    ApiJson(input): ApiJson<OrderInput>,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let record = scoped.create_order(&input).await?;
    Ok((StatusCode::CREATED, Json(order_view(record)?)))
}

/// `GET /orders/{id}`
#[utoipa::path(get, path = "/orders/{id}", tag = "sales",
    summary = "An order with its lines (price and cost at the sale) and totals",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The order", body = ref("#/components/schemas/Order")),
        (status = 404, description = "No such order among the caller's", body = ref("#/components/schemas/Error"))))]
async fn read_order(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(order_view(scoped.order(id).await?)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderMove {
    version: i64,
    status: OrderStatus,
}

/// `POST /orders/{id}/status {version, status}`
#[utoipa::path(post, path = "/orders/{id}/status", tag = "sales",
    summary = "Move an order: open → delivered → invoiced; open or delivered → cancelled",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/OrderMove"),
    responses((status = 200, description = "The order", body = ref("#/components/schemas/Order")),
        (status = 404, description = "No such order among the caller's", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "The move is not allowed", body = ref("#/components/schemas/Error"))))]
async fn move_order(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(change): ApiJson<OrderMove>,
) -> Result<Json<OrderView>, ApiError> {
    let record = scoped.move_order(id, change.version, change.status).await?;
    Ok(Json(order_view(record)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReturnInput {
    version: i64,
    line_no: u32,
    quantity_milli: i64,
}

/// `POST /orders/{id}/returns {version, line_no, quantity_milli}`
#[utoipa::path(post, path = "/orders/{id}/returns", tag = "sales",
    summary = "Goods of a delivered line come back: a negative line at the sold price, never more than was delivered",
    params(("id" = i64, Path)),
    request_body = ref("#/components/schemas/ReturnInput"),
    responses((status = 200, description = "The order with the return line", body = ref("#/components/schemas/Order")),
        (status = 404, description = "No such order among the caller's", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Not returnable (status, line or quantity)", body = ref("#/components/schemas/Error"))))]
async fn return_goods(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReturnInput>,
) -> Result<Json<OrderView>, ApiError> {
    let record = scoped
        .return_goods(id, input.version, input.line_no, input.quantity_milli)
        .await?;
    Ok(Json(order_view(record)?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    /// The version last read (0 before the first save).
    version: i64,
    settings: SalesSettings,
}

/// `GET /sales/settings`
#[utoipa::path(get, path = "/sales/settings", tag = "sales",
    summary = "The sales settings: the company a proposal prints (name, address, logo, default terms) and each role's discount limit",
    responses((status = 200, description = "The settings and their version", body = ref("#/components/schemas/SalesSettingsAnswer"))))]
async fn read_settings(scoped: Scoped) -> Result<Json<SettingsBody>, ApiError> {
    let (settings, version) = scoped.sales_settings().await?;
    Ok(Json(SettingsBody { version, settings }))
}

/// `PUT /sales/settings {version, settings}`
#[utoipa::path(put, path = "/sales/settings", tag = "sales",
    summary = "Change the sales settings (admins): the discount limits apply to every quote from then on",
    request_body = ref("#/components/schemas/SalesSettingsEdit"),
    responses((status = 200, description = "The saved settings and their new version", body = ref("#/components/schemas/SalesSettingsAnswer")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A field breaks a rule (named)", body = ref("#/components/schemas/Error"))))]
async fn save_settings(
    scoped: Scoped,
    ApiJson(body): ApiJson<SettingsBody>,
) -> Result<Json<SettingsBody>, ApiError> {
    let (settings, version) = scoped
        .save_sales_settings(body.version, body.settings)
        .await?;
    Ok(Json(SettingsBody { version, settings }))
}
