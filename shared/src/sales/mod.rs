//! Sales documents, pure: the product catalogue and price lists ([`catalogue`]), line amounts and
//! totals ([`amounts`]), quotes with discount approval, status flow and revisions ([`quote`]),
//! orders with returns ([`order`]) and the transaction-history import ([`history`]). No database,
//! no clock: the server passes "today" and the records, and stores what comes back.
//!
//! The rules (rounding, price precedence, approval, flows) are written down in `docs/sales.md`.
//!
//! Naming: the quote *versions* are called **revisions** here, because `version` is every
//! stored record's optimistic-concurrency counter.

pub mod amounts;
pub mod catalogue;
pub mod history;
pub mod order;
pub mod quote;
pub mod settings;

pub use amounts::{DocumentAmounts, LineAmounts, Totals, line_amounts};
pub use catalogue::{
    AppliedPrice, PriceList, PriceSource, PricingContext, Product, ProductStatus, Unit,
    applicable_price,
};
pub use history::{HistoryLine, HistoryOrder, OrderHistory, UnknownSku, parse_order_history};
pub use order::{Order, OrderInput, OrderLine, OrderLineInput, OrderStatus};
pub use quote::{
    Approval, ApprovalRequest, DiscountPolicy, Quote, QuoteLine, QuoteLineInput, QuoteStatus,
    price_lines,
};
pub use settings::{DiscountLimits, SalesSettings};

/// Fixtures the sales tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::NaiveDate;

    use crate::money::Currency;
    use crate::sales::catalogue::{PricingContext, Product, ProductStatus, Unit};
    use crate::sales::quote::QuoteLineInput;

    pub(crate) fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// An active product in rupiah at `list_price`, costing half of it, taxed 11 %.
    pub(crate) fn product(id: i64, list_price: i64) -> Product {
        Product {
            id,
            sku: format!("SKU-{id}"),
            name_en: format!("Product {id}"),
            name_id: None,
            unit: Unit::Piece,
            category: None,
            list_price_minor: list_price,
            cost_price_minor: list_price / 2,
            currency: Currency::IDR,
            tax_rate_bp: 1100,
            status: ProductStatus::Active,
            version: 1,
        }
    }

    /// An account with neither segment nor territory, priced in rupiah.
    pub(crate) fn context() -> PricingContext {
        PricingContext {
            segment: None,
            territory_id: None,
            currency: Currency::IDR,
        }
    }

    /// A line of `quantity_milli` of a product at its applicable price.
    pub(crate) fn input(product_id: i64, quantity_milli: i64) -> QuoteLineInput {
        QuoteLineInput {
            product_id,
            quantity_milli,
            unit_price_minor: None,
            discount_bp: None,
        }
    }
}
