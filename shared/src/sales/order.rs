//! Orders: made from an accepted quote or entered directly, with lines that keep the price and
//! cost of the sale, the status flow open → delivered → invoiced | cancelled, and returns as
//! negative lines that never return more than was delivered.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::domain::{check_move, string_enum};
use crate::money::{Currency, format_quantity_milli};
use crate::sales::amounts::{DocumentAmounts, LineAmounts, line_amounts};
use crate::sales::catalogue::{PriceList, PricingContext, Product};
use crate::sales::quote::{
    MAX_QUANTITY_MILLI, Quote, QuoteLine, QuoteLineInput, QuoteStatus, price_lines,
};
use crate::transfer::RowErrors;

string_enum!(
    /// An order's life: open → delivered → invoiced; open or delivered → cancelled.
    OrderStatus {
        Open => "open",
        Delivered => "delivered",
        Invoiced => "invoiced",
        Cancelled => "cancelled",
    }
);

/// The moves an order's status may make. Cancelling stays possible after delivery (the goods
/// then come back through returns) but not once invoiced: that takes a credit note.
pub const ORDER_STATUS_FLOW: &[(OrderStatus, OrderStatus)] = {
    use OrderStatus::*;
    &[
        (Open, Delivered),
        (Open, Cancelled),
        (Delivered, Invoiced),
        (Delivered, Cancelled),
    ]
};

/// One line of an order: price, discount, tax rate and unit cost as they were at the sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// 1-based, in the order lines were added.
    pub line_no: u32,
    pub product_id: i64,
    pub sku: String,
    /// Thousandths of a unit; negative on a return.
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub discount_bp: i64,
    pub tax_rate_bp: i64,
    pub unit_cost_minor: i64,
    /// On a return: the line it returns goods of.
    pub returns_line: Option<u32>,
}

impl OrderLine {
    pub fn amounts(&self) -> Result<LineAmounts, ValidationError> {
        line_amounts(
            self.unit_price_minor,
            self.quantity_milli,
            self.discount_bp,
            self.tax_rate_bp,
            self.unit_cost_minor,
        )
    }

    fn sold(line_no: u32, line: &QuoteLine) -> OrderLine {
        OrderLine {
            line_no,
            product_id: line.product_id,
            sku: line.sku.clone(),
            quantity_milli: line.quantity_milli,
            unit_price_minor: line.unit_price_minor,
            discount_bp: line.discount_bp,
            tax_rate_bp: line.tax_rate_bp,
            unit_cost_minor: line.unit_cost_minor,
            returns_line: None,
        }
    }
}

/// What a client sends to enter an order directly: lines as on a quote (the applicable price on
/// the order date unless overridden).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub account_id: i64,
    pub currency: Currency,
    pub order_date: NaiveDate,
    pub lines: Vec<QuoteLineInput>,
}

/// An order line as a client enters it is a quote line input.
pub type OrderLineInput = QuoteLineInput;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub account_id: i64,
    pub currency: Currency,
    pub order_date: NaiveDate,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    /// The id in the system it was imported from (imports are idempotent on it).
    pub external_order_id: Option<String>,
}

impl Order {
    /// The order an accepted quote becomes: its lines with the quote's prices, discounts, tax
    /// rates and costs, unchanged whatever the catalogue says today.
    pub fn from_quote(quote: &Quote, order_date: NaiveDate) -> Result<Order, ValidationError> {
        if quote.status != QuoteStatus::Accepted {
            return Err(ValidationError::new(
                "status",
                format!(
                    "only an accepted quote becomes an order; revision {} is {}",
                    quote.revision, quote.status
                ),
            ));
        }
        Ok(Order {
            account_id: quote.account_id,
            currency: quote.currency,
            order_date,
            status: OrderStatus::Open,
            lines: numbered(&quote.lines),
            external_order_id: None,
        })
    }

    /// An order entered directly, priced as a quote would be on the order date (every bad
    /// line named by its number and field).
    pub fn direct<'p>(
        input: &OrderInput,
        product: impl Fn(i64) -> Option<&'p Product>,
        context: &PricingContext,
        price_lists: &[PriceList],
    ) -> Result<Order, RowErrors> {
        if input.lines.is_empty() {
            return Err(RowErrors::single(crate::transfer::RowError::file(
                Some("lines".into()),
                "an order needs at least one line",
            )));
        }
        if input.currency != context.currency {
            return Err(RowErrors::single(crate::transfer::RowError::file(
                Some("currency".into()),
                format!(
                    "the order is in {} but priced in {}",
                    input.currency, context.currency
                ),
            )));
        }
        let lines = price_lines(
            &input.lines,
            product,
            context,
            input.order_date,
            price_lists,
        )?;
        Ok(Order {
            account_id: input.account_id,
            currency: input.currency,
            order_date: input.order_date,
            status: OrderStatus::Open,
            lines: numbered(&lines),
            external_order_id: None,
        })
    }

    pub fn amounts(&self) -> Result<DocumentAmounts, ValidationError> {
        DocumentAmounts::of(self.lines.iter().map(OrderLine::amounts))
    }

    /// Moves the order along [`ORDER_STATUS_FLOW`].
    pub fn set_status(&mut self, to: OrderStatus) -> Result<(), ValidationError> {
        check_move("status", self.status, to, ORDER_STATUS_FLOW)?;
        self.status = to;
        Ok(())
    }

    fn line(&self, line_no: u32) -> Result<&OrderLine, ValidationError> {
        self.lines
            .iter()
            .find(|l| l.line_no == line_no)
            .ok_or_else(|| ValidationError::new("returns_line", format!("no line {line_no}")))
    }

    /// How much of a sold line can still come back: what was delivered less what was returned.
    pub fn returnable_milli(&self, line_no: u32) -> Result<i64, ValidationError> {
        let line = self.line(line_no)?;
        if line.returns_line.is_some() {
            return Err(ValidationError::new(
                "returns_line",
                format!("line {line_no} is itself a return"),
            ));
        }
        let returned: i64 = self
            .lines
            .iter()
            .filter(|l| l.returns_line == Some(line_no))
            .map(|l| -l.quantity_milli)
            .sum();
        Ok(line.quantity_milli - returned)
    }

    /// Records a return of `quantity_milli` (positive: how much comes back) of line `line_no`
    /// as a new negative line at the sold price, discount, tax rate and cost. Only a delivered
    /// or invoiced order takes returns, and never more than was delivered and not yet returned.
    pub fn add_return(
        &mut self,
        line_no: u32,
        quantity_milli: i64,
    ) -> Result<&OrderLine, ValidationError> {
        if !matches!(self.status, OrderStatus::Delivered | OrderStatus::Invoiced) {
            return Err(ValidationError::new(
                "status",
                format!(
                    "the order is {}: only delivered goods can be returned",
                    self.status
                ),
            ));
        }
        let returnable = self.returnable_milli(line_no)?;
        if !(1..=MAX_QUANTITY_MILLI).contains(&quantity_milli) {
            return Err(ValidationError::new(
                "quantity_milli",
                format!(
                    "{quantity_milli} is not a quantity to return (thousandths of a unit, more than 0)"
                ),
            ));
        }
        if quantity_milli > returnable {
            let sold = self.line(line_no)?.quantity_milli;
            return Err(ValidationError::new(
                "quantity_milli",
                format!(
                    "line {line_no} delivered {}, of which {} already came back: at most {} can be returned",
                    format_quantity_milli(sold),
                    format_quantity_milli(sold - returnable),
                    format_quantity_milli(returnable)
                ),
            ));
        }
        let sold = self.line(line_no)?.clone();
        let next = self.lines.iter().map(|l| l.line_no).max().unwrap_or(0) + 1;
        self.lines.push(OrderLine {
            line_no: next,
            quantity_milli: -quantity_milli,
            returns_line: Some(line_no),
            ..sold
        });
        Ok(self.lines.last().expect("just pushed"))
    }
}

fn numbered(lines: &[QuoteLine]) -> Vec<OrderLine> {
    lines
        .iter()
        .zip(1..)
        .map(|(line, no)| OrderLine::sold(no, line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StaffRole as Role;
    use crate::sales::fixtures::{context, day, input, product};
    use crate::sales::quote::DiscountPolicy;
    use crate::transfer::tests::places;

    fn accepted_quote() -> Quote {
        let catalogue = [product(1, 10_000), product(2, 3_333)];
        let lines = price_lines(
            &[
                input(1, 2_000),
                QuoteLineInput {
                    discount_bp: Some(500),
                    ..input(2, 1_500)
                },
            ],
            |id| catalogue.iter().find(|p| p.id == id),
            &context(),
            day("2026-12-01"),
            &[],
        )
        .unwrap();
        let mut q = Quote::new(7, Some(3), Currency::IDR, day("2026-12-31"));
        q.set_lines(lines).unwrap();
        q.send(
            day("2026-12-01"),
            Role::SalesRep,
            &DiscountPolicy::default(),
        )
        .unwrap();
        q.accept(day("2026-12-02")).unwrap();
        q
    }

    #[test]
    fn an_order_from_a_quote_keeps_its_prices_and_costs() {
        let q = accepted_quote();
        let order = Order::from_quote(&q, day("2026-12-02")).unwrap();
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.account_id, 7);
        for (o, l) in order.lines.iter().zip(&q.lines) {
            assert_eq!(
                (
                    o.unit_price_minor,
                    o.discount_bp,
                    o.tax_rate_bp,
                    o.unit_cost_minor,
                    o.quantity_milli
                ),
                (
                    l.unit_price_minor,
                    l.discount_bp,
                    l.tax_rate_bp,
                    l.unit_cost_minor,
                    l.quantity_milli
                )
            );
        }
        assert_eq!(order.lines[1].line_no, 2);
        assert_eq!(order.amounts().unwrap().totals, q.amounts().unwrap().totals);
        let mut draft = q.clone();
        draft.status = QuoteStatus::Sent;
        assert_eq!(
            Order::from_quote(&draft, day("2026-12-02"))
                .unwrap_err()
                .field,
            "status"
        );
    }

    #[test]
    fn direct_orders_are_priced_on_their_date_and_name_bad_lines() {
        let catalogue = [product(1, 10_000)];
        let find = |id: i64| catalogue.iter().find(|p| p.id == id);
        let order_input = OrderInput {
            account_id: 4,
            currency: Currency::IDR,
            order_date: day("2026-12-03"),
            lines: vec![input(1, 1_000), input(5, 1_000), input(1, -3)],
        };
        let err = Order::direct(&order_input, find, &context(), &[]).unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("product_id")),
                (Some(3), Some("quantity_milli"))
            ]
        );
        let ok = OrderInput {
            lines: vec![input(1, 1_000)],
            ..order_input
        };
        let order = Order::direct(&ok, find, &context(), &[]).unwrap();
        assert_eq!(order.lines[0].unit_price_minor, 10_000);
        assert_eq!(order.lines[0].unit_cost_minor, 5_000);
    }

    #[test]
    fn every_move_outside_the_order_flow_is_refused() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let mut order = Order::from_quote(&accepted_quote(), day("2026-12-02")).unwrap();
                order.status = *from;
                let result = order.set_status(*to);
                assert_eq!(
                    result.is_ok(),
                    ORDER_STATUS_FLOW.contains(&(*from, *to)),
                    "{from} → {to}"
                );
                if result.is_err() {
                    assert_eq!(order.status, *from);
                }
            }
        }
    }

    #[test]
    fn returns_are_negative_lines_and_never_exceed_what_was_delivered() {
        let mut order = Order::from_quote(&accepted_quote(), day("2026-12-02")).unwrap();
        let sold = order.amounts().unwrap().totals;
        assert_eq!(order.add_return(1, 500).unwrap_err().field, "status");
        order.set_status(OrderStatus::Delivered).unwrap();
        let back = order.add_return(1, 500).unwrap().clone();
        assert_eq!(
            (back.line_no, back.quantity_milli, back.returns_line),
            (3, -500, Some(1))
        );
        assert_eq!(back.unit_price_minor, order.lines[0].unit_price_minor);
        assert_eq!(order.returnable_milli(1).unwrap(), 1_500);
        let err = order.add_return(1, 1_501).unwrap_err();
        assert_eq!(err.field, "quantity_milli");
        assert!(err.message.contains("at most 1.5"), "{err}");
        assert_eq!(order.add_return(3, 1).unwrap_err().field, "returns_line");
        assert_eq!(order.add_return(9, 1).unwrap_err().field, "returns_line");
        assert_eq!(order.add_return(1, 0).unwrap_err().field, "quantity_milli");
        order.add_return(1, 1_500).unwrap();
        order.set_status(OrderStatus::Invoiced).unwrap();
        order.add_return(2, 1_500).unwrap();
        assert_eq!(order.returnable_milli(2).unwrap(), 0);
        assert!(order.add_return(2, 1).is_err());
        // Everything came back: the order's totals are nothing at all.
        let after = order.amounts().unwrap().totals;
        assert_ne!(sold.total_minor, 0);
        assert_eq!(
            (
                after.subtotal_minor,
                after.tax_minor,
                after.total_minor,
                after.cost_minor
            ),
            (0, 0, 0, 0)
        );
    }
}
