//! Quotes and orders through the handle: a sales rep quotes and sells only on their own
//! accounts, a regional manager in their region (the accounts [`Scoped::visible`] admits); a
//! quote or order on any other account reads as one that does not exist (404). Each method
//! checks the role again, as the route's rule does. Pricing, flows and approvals are the pure
//! rules of `wilayah_shared::sales`; the store writes what they decide.

use chrono::{NaiveDate, Utc};
use wilayah_shared::access::Action;
use wilayah_shared::account::{Account, ValidationError};
use wilayah_shared::money::Currency;
use wilayah_shared::resources::OPPORTUNITIES;
use wilayah_shared::sales::{
    DiscountPolicy, Order, OrderHistory, OrderInput, OrderStatus, PricingContext, Product, Quote,
    QuoteLine, QuoteLineInput, QuoteStatus, price_lines,
};

use serde_json::{Map, Value};
use wilayah_shared::account::MAX_PAGE_SIZE;
use wilayah_shared::sales::SalesSettings;
use wilayah_shared::sales::catalogue::PRODUCTS;
use wilayah_shared::transfer::RecordRow;

use super::Scoped;
use crate::db::{OrderImport, OrderRecord, ProductImport, QuoteRecord, ResourceQuery, SalesFilter};
use crate::http::error::ApiError;

const QUOTES: &str = "quotes";
const ORDERS: &str = "orders";

/// A new quote: its first revision, in draft.
#[derive(Debug, Clone)]
pub struct NewQuote {
    pub account_id: i64,
    pub opportunity_id: Option<i64>,
    /// Default: the account's currency.
    pub currency: Option<Currency>,
    pub valid_until: NaiveDate,
    pub terms: Option<String>,
    pub lines: Vec<QuoteLineInput>,
}

/// What a change to a draft revision may set.
#[derive(Debug, Clone, Default)]
pub struct QuoteChange {
    pub lines: Option<Vec<QuoteLineInput>>,
    pub valid_until: Option<NaiveDate>,
    pub terms: Option<Option<String>>,
}

impl Scoped {
    /// The calendar day in the deployment's time zone.
    pub fn today(&self) -> NaiveDate {
        Utc::now()
            .with_timezone(&self.state.utc_offset)
            .date_naive()
    }

    /// How far below the applicable price each role may sell without approval (the admin's
    /// sales settings).
    pub async fn discount_policy(&self) -> Result<DiscountPolicy, ApiError> {
        Ok(self.store().sales_settings().await?.0.discount_policy())
    }

    /// The sales settings and their version: for whoever quotes (a proposal prints the
    /// company), and for admins.
    pub async fn sales_settings(&self) -> Result<(SalesSettings, i64), ApiError> {
        self.require(QUOTES, Action::Read)?;
        Ok(self.store().sales_settings().await?)
    }

    /// Saves the sales settings (admins: `sales_settings` is no other role's resource); 409
    /// when they changed since `version`.
    pub async fn save_sales_settings(
        &self,
        version: i64,
        settings: SalesSettings,
    ) -> Result<(SalesSettings, i64), ApiError> {
        self.require("sales_settings", Action::Update)?;
        let settings = settings.validated()?;
        let version = self.store().save_sales_settings(version, &settings).await?;
        Ok((settings, version))
    }

    /// Imports catalogue rows (admins), all or nothing: known SKUs update their product.
    pub async fn import_products(
        &self,
        rows: &[RecordRow],
        dry_run: bool,
    ) -> Result<ProductImport, ApiError> {
        self.require(PRODUCTS.name, Action::Import)?;
        Ok(self.store().import_products(rows, dry_run).await?)
    }

    /// Every product, in SKU order, for the catalogue export.
    pub async fn export_products(&self) -> Result<Vec<Map<String, Value>>, ApiError> {
        self.require(PRODUCTS.name, Action::Export)?;
        let mut all = Vec::new();
        loop {
            let query = ResourceQuery {
                filters: Vec::new(),
                sort: ("sku", false),
                limit: MAX_PAGE_SIZE,
                offset: all.len() as u64,
            };
            let page = self.records(&PRODUCTS, &query).await?;
            let done = page.items.len() < MAX_PAGE_SIZE as usize;
            all.extend(page.items);
            if done || all.len() as i64 >= page.total {
                return Ok(all);
            }
        }
    }

    /// One of the caller's accounts, for a document being written on it (404 otherwise).
    async fn document_account(&self, id: i64) -> Result<Account, ApiError> {
        self.account(id).await
    }

    /// Prices lines for an account on `day` in `currency` from the catalogue.
    async fn priced(
        &self,
        account: &Account,
        currency: Currency,
        day: NaiveDate,
        inputs: &[QuoteLineInput],
    ) -> Result<(Vec<QuoteLine>, PricingContext), ApiError> {
        let context = PricingContext {
            segment: account.segment.clone(),
            territory_id: account.territory_id,
            currency,
        };
        let mut ids: Vec<i64> = inputs.iter().map(|l| l.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let products: Vec<Product> = self.store().products_by_ids(&ids).await?;
        let lists = self.store().price_lists_on(currency, day, &ids).await?;
        let lines = price_lines(
            inputs,
            |id| products.iter().find(|p| p.id == id),
            &context,
            day,
            &lists,
        )
        .map_err(ApiError::Rows)?;
        Ok((lines, context))
    }

    // ---- quotes ---------------------------------------------------------------------------

    /// A page of quote revisions on the caller's accounts, newest first.
    pub async fn quotes(
        &self,
        mut filter: SalesFilter,
    ) -> Result<(Vec<QuoteRecord>, i64), ApiError> {
        self.require(QUOTES, Action::Read)?;
        filter.account_ids = self.visible().await?.narrow(filter.account_ids.take());
        Ok(self.store().list_quotes(&filter).await?)
    }

    /// A quote revision on one of the caller's accounts (404 otherwise).
    pub async fn quote(&self, id: i64) -> Result<QuoteRecord, ApiError> {
        self.require(QUOTES, Action::Read)?;
        let record = self.store().get_quote(id).await?;
        self.check_account(record.quote.account_id).await?;
        Ok(record)
    }

    pub async fn create_quote(&self, input: NewQuote) -> Result<QuoteRecord, ApiError> {
        self.require(QUOTES, Action::Create)?;
        let account = self.document_account(input.account_id).await?;
        if let Some(deal) = input.opportunity_id {
            let on_account = self
                .store()
                .get_record(&OPPORTUNITIES, deal)
                .await
                .ok()
                .and_then(|d| d.get("account_id").and_then(serde_json::Value::as_i64));
            if on_account != Some(account.id) {
                return Err(ApiError::Invalid(ValidationError::new(
                    "opportunity_id",
                    format!("no deal {deal} on account {}", account.id),
                )));
            }
        }
        let currency = match input.currency {
            Some(c) => c,
            None => Currency::parse("currency", &account.currency)?,
        };
        let (lines, _) = self
            .priced(&account, currency, self.today(), &input.lines)
            .await?;
        let mut quote = Quote::new(
            account.id,
            input.opportunity_id,
            currency,
            input.valid_until,
        );
        quote.set_lines(lines)?;
        quote.set_terms(input.terms)?;
        Ok(self
            .store()
            .create_quote(&quote, self.caller.staff_id)
            .await?)
    }

    /// The revision at `version`, for a change (409 when it moved on).
    async fn quote_at(&self, id: i64, version: i64) -> Result<QuoteRecord, ApiError> {
        self.require(QUOTES, Action::Update)?;
        let record = self.quote(id).await?;
        if record.version != version {
            return Err(ApiError::Conflict {
                current_version: record.version,
            });
        }
        Ok(record)
    }

    /// Changes a draft: lines (priced again, today), validity, terms.
    pub async fn edit_quote(
        &self,
        id: i64,
        version: i64,
        change: QuoteChange,
    ) -> Result<QuoteRecord, ApiError> {
        let record = self.quote_at(id, version).await?;
        let mut quote = record.quote;
        quote.ensure_editable()?;
        if let Some(inputs) = &change.lines {
            let account = self.document_account(quote.account_id).await?;
            let (lines, _) = self
                .priced(&account, quote.currency, self.today(), inputs)
                .await?;
            quote.set_lines(lines)?;
        }
        if let Some(valid_until) = change.valid_until {
            quote.set_valid_until(valid_until)?;
        }
        if let Some(terms) = change.terms {
            quote.set_terms(terms)?;
        }
        Ok(self
            .store()
            .save_quote(id, version, &quote, "update")
            .await?)
    }

    /// Records the caller's approval of a draft's discounts (their limit must cover every line).
    pub async fn approve_quote(&self, id: i64, version: i64) -> Result<QuoteRecord, ApiError> {
        self.require("quote_approvals", Action::Create)?;
        let record = self.quote_at(id, version).await?;
        let staff_id = self.caller.staff_id.ok_or_else(|| {
            ApiError::Invalid(ValidationError::new(
                "approval",
                "only a user who is a staff member can approve",
            ))
        })?;
        let mut quote = record.quote;
        let policy = self.discount_policy().await?;
        quote.approve(staff_id, self.caller.role, &policy)?;
        Ok(self
            .store()
            .save_quote(id, version, &quote, "approve")
            .await?)
    }

    /// Moves a revision to `to` (sent, rejected, expired; accepted: see
    /// [`Self::accept_quote`]).
    pub async fn move_quote(
        &self,
        id: i64,
        version: i64,
        to: QuoteStatus,
    ) -> Result<QuoteRecord, ApiError> {
        let record = self.quote_at(id, version).await?;
        let mut quote = record.quote;
        let today = self.today();
        let action = match to {
            QuoteStatus::Sent => {
                quote.send(today, self.caller.role, &self.discount_policy().await?)?;
                "send"
            }
            QuoteStatus::Rejected => {
                quote.reject(today)?;
                "reject"
            }
            QuoteStatus::Expired => {
                quote.expire(today)?;
                "expire"
            }
            other => {
                return Err(ApiError::Invalid(ValidationError::new(
                    "status",
                    format!(
                        "{other} is not a move to ask for here: use sent, accepted, rejected or expired (superseded comes with a revision)"
                    ),
                )));
            }
        };
        Ok(self.store().save_quote(id, version, &quote, action).await?)
    }

    /// The customer accepts a sent revision: in one transaction it becomes accepted, its deal
    /// won, and its order (dated `order_date`, default today) written.
    pub async fn accept_quote(
        &self,
        id: i64,
        version: i64,
        order_date: Option<NaiveDate>,
    ) -> Result<(QuoteRecord, OrderRecord), ApiError> {
        self.require(ORDERS, Action::Create)?;
        let record = self.quote_at(id, version).await?;
        let mut quote = record.quote;
        let today = self.today();
        quote.accept(today)?;
        let order = Order::from_quote(&quote, order_date.unwrap_or(today))?;
        Ok(self
            .store()
            .accept_quote(id, version, &quote, &order)
            .await?)
    }

    /// Makes the next revision (a draft copy, valid until `valid_until`); a sent one is
    /// superseded.
    pub async fn revise_quote(
        &self,
        id: i64,
        version: i64,
        valid_until: NaiveDate,
    ) -> Result<QuoteRecord, ApiError> {
        let record = self.quote_at(id, version).await?;
        let mut old = record.quote;
        let next = old.revise(self.today(), valid_until)?;
        Ok(self
            .store()
            .revise_quote(id, version, &old, &next, self.caller.staff_id)
            .await?)
    }

    // ---- orders ---------------------------------------------------------------------------

    pub async fn orders(
        &self,
        mut filter: SalesFilter,
    ) -> Result<(Vec<OrderRecord>, i64), ApiError> {
        self.require(ORDERS, Action::Read)?;
        filter.account_ids = self.visible().await?.narrow(filter.account_ids.take());
        Ok(self.store().list_orders(&filter).await?)
    }

    pub async fn order(&self, id: i64) -> Result<OrderRecord, ApiError> {
        self.require(ORDERS, Action::Read)?;
        let record = self.store().get_order(id).await?;
        self.check_account(record.order.account_id).await?;
        Ok(record)
    }

    /// An order entered directly, priced as a quote would be on its date.
    pub async fn create_order(&self, input: &OrderInput) -> Result<OrderRecord, ApiError> {
        self.require(ORDERS, Action::Create)?;
        let account = self.document_account(input.account_id).await?;
        let context = PricingContext {
            segment: account.segment.clone(),
            territory_id: account.territory_id,
            currency: input.currency,
        };
        let mut ids: Vec<i64> = input.lines.iter().map(|l| l.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let products = self.store().products_by_ids(&ids).await?;
        let lists = self
            .store()
            .price_lists_on(input.currency, input.order_date, &ids)
            .await?;
        let order = Order::direct(
            input,
            |id| products.iter().find(|p| p.id == id),
            &context,
            &lists,
        )
        .map_err(ApiError::Rows)?;
        Ok(self.store().create_order(&order).await?)
    }

    async fn order_at(&self, id: i64, version: i64) -> Result<OrderRecord, ApiError> {
        self.require(ORDERS, Action::Update)?;
        let record = self.order(id).await?;
        if record.version != version {
            return Err(ApiError::Conflict {
                current_version: record.version,
            });
        }
        Ok(record)
    }

    pub async fn move_order(
        &self,
        id: i64,
        version: i64,
        to: OrderStatus,
    ) -> Result<OrderRecord, ApiError> {
        let mut order = self.order_at(id, version).await?.order;
        order.set_status(to)?;
        Ok(self
            .store()
            .save_order(id, version, &order, "update")
            .await?)
    }

    /// Goods of a delivered line come back: a negative line at the sold price.
    pub async fn return_goods(
        &self,
        id: i64,
        version: i64,
        line_no: u32,
        quantity_milli: i64,
    ) -> Result<OrderRecord, ApiError> {
        let mut order = self.order_at(id, version).await?.order;
        order.add_return(line_no, quantity_milli)?;
        Ok(self
            .store()
            .save_order(id, version, &order, "return")
            .await?)
    }

    /// Imports past orders (all or nothing) on the caller's accounts: an account outside
    /// them is named like one that does not exist.
    pub async fn import_orders(
        &self,
        history: &OrderHistory,
        dry_run: bool,
    ) -> Result<OrderImport, ApiError> {
        self.require(ORDERS, Action::Import)?;
        let visible = self.visible().await?;
        Ok(self
            .store()
            .import_orders(history, visible.ids(), dry_run, &|_, _| {})
            .await?)
    }
}
