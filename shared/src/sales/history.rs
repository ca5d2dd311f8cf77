//! Importing past orders from another system, the pure part: reading the CSV, checking every row,
//! grouping lines into orders by `external_order_id`, and listing the SKUs the catalogue lacks.
//! The server does the rest in one transaction (accounts by external id, products for unknown
//! SKUs, skipping orders already imported).
//!
//! Columns (any order and letter case, as for accounts; row numbers as in
//! [`crate::transfer`]: row 1 is the first record after the header):
//!
//! | column | | |
//! |---|---|---|
//! | `account_external_id` | required | the account's `external_id` |
//! | `order_date` | required | `YYYY-MM-DD` |
//! | `external_order_id` | required | the order's id in the other system; its lines share it |
//! | `sku` | required | the product's SKU |
//! | `quantity` | required | decimal, up to 3 decimals, not 0; negative for a returned line |
//! | `unit_price_minor` | required | whole minor units, ≥ 0 |
//! | `currency` | required | ISO 4217 |
//! | `cost_minor` | optional | unit cost at the sale, whole minor units ≥ 0 (empty: the product's cost price) |
//! | `line_no` | optional | when the column is there, every row needs one, unique within its order; lines are sorted by it |
//!
//! The lines of one order must agree on account, date and currency; a row that disagrees is an
//! error of that row and field, naming the row it disagrees with. Lines of an order need not be
//! next to each other in the file.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::account::MAX_NAME_CHARS;
use crate::money::{Currency, MAX_MINOR, parse_quantity_milli};
use crate::sales::catalogue::{Product, check_sku};
use crate::sales::order::{Order, OrderLine, OrderStatus};
use crate::sales::quote::MAX_QUANTITY_MILLI;
use crate::transfer::{Fields, Progress, RowError, RowErrors, read_csv};

pub const HISTORY_COLUMNS: [&str; 9] = [
    "account_external_id",
    "order_date",
    "external_order_id",
    "sku",
    "quantity",
    "unit_price_minor",
    "currency",
    "cost_minor",
    "line_no",
];

/// The first seven columns; `cost_minor` and `line_no` may be left out.
pub const HISTORY_REQUIRED_COLUMNS: &[&str] = HISTORY_COLUMNS.split_at(7).0;

/// One line of a past order, from row `row`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    pub row: usize,
    pub line_no: Option<u32>,
    pub sku: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub cost_minor: Option<i64>,
}

/// A past order: its lines, in file order or by `line_no`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryOrder {
    pub external_order_id: String,
    pub account_external_id: String,
    pub order_date: NaiveDate,
    pub currency: Currency,
    /// The row of its first line.
    pub row: usize,
    pub lines: Vec<HistoryLine>,
}

/// Every order of a file that passed all checks, in the order of their first rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderHistory {
    pub orders: Vec<HistoryOrder>,
    pub line_count: usize,
}

/// A SKU the catalogue does not have: the import creates an inactive product named by it and
/// flagged for review, and lists it in its report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownSku {
    pub sku: String,
    pub first_row: usize,
    pub lines: usize,
    /// The currency and unit price of its first line: the new product's list price, so that
    /// the product is not worth nothing in the catalogue until someone reviews it.
    pub currency: Currency,
    pub unit_price_minor: i64,
}

impl UnknownSku {
    /// The body that creates its product through [`crate::sales::catalogue::PRODUCTS`]: named by
    /// the SKU in both languages, `status` review (inactive until someone looks), priced as
    /// its first line, default unit and tax rate.
    pub fn product_body(&self) -> serde_json::Value {
        serde_json::json!({
            "sku": self.sku,
            "name_en": self.sku,
            "name_id": self.sku,
            "list_price_minor": self.unit_price_minor,
            "currency": self.currency,
            "status": "review",
        })
    }
}

/// The row's own fields, read and checked one by one (every bad field reported).
struct RowValues<'r> {
    account: &'r str,
    date: NaiveDate,
    order: &'r str,
    currency: Currency,
    line: HistoryLine,
}

fn read_row<'r>(
    row: usize,
    cells: &crate::transfer::Cells<'r>,
    with_line_no: bool,
) -> Result<RowValues<'r>, Vec<RowError>> {
    let mut f = Fields::new(row);
    let required = |f: &mut Fields, column: &'static str| {
        let text = cells.text(column);
        match text {
            None => f.fail(column, "is required"),
            Some(t) if column != "sku" && t.chars().count() > MAX_NAME_CHARS => {
                f.fail(column, format!("longer than {MAX_NAME_CHARS} characters"))
            }
            _ => {}
        }
        text.unwrap_or_default()
    };
    let account = required(&mut f, "account_external_id");
    let order = required(&mut f, "external_order_id");
    let date_text = required(&mut f, "order_date");
    let sku_text = required(&mut f, "sku");
    let quantity_text = required(&mut f, "quantity");
    let price_text = required(&mut f, "unit_price_minor");
    let currency_text = required(&mut f, "currency");

    let date = match parse_date(date_text) {
        Some(d) => d,
        None if date_text.is_empty() => NaiveDate::default(),
        None => {
            f.fail(
                "order_date",
                format!("{date_text:?} is not a date like 2026-11-23"),
            );
            NaiveDate::default()
        }
    };
    let sku = match (sku_text.is_empty(), check_sku(sku_text)) {
        (true, _) => "",
        (false, Ok(sku)) => sku,
        (false, Err(message)) => {
            f.fail("sku", message);
            ""
        }
    };
    let quantity_milli = if quantity_text.is_empty() {
        0
    } else {
        match parse_quantity_milli(quantity_text) {
            Ok(0) => {
                f.fail("quantity", "must not be 0");
                0
            }
            Ok(q) if q.abs() > MAX_QUANTITY_MILLI => {
                f.fail(
                    "quantity",
                    format!("{quantity_text} is more than a billion units"),
                );
                0
            }
            Ok(q) => q,
            Err(message) => {
                f.fail("quantity", message);
                0
            }
        }
    };
    let money = |f: &mut Fields, column: &'static str, text: &str| -> i64 {
        match text.parse::<i64>() {
            Ok(v) if (0..=MAX_MINOR).contains(&v) => v,
            Ok(v) => {
                f.fail(column, format!("{v} is outside 0..={MAX_MINOR}"));
                0
            }
            Err(_) => {
                f.fail(
                    column,
                    format!("{text:?} is not a whole number of minor units"),
                );
                0
            }
        }
    };
    let unit_price_minor = if price_text.is_empty() {
        0
    } else {
        money(&mut f, "unit_price_minor", price_text)
    };
    let cost_minor = cells
        .text("cost_minor")
        .map(|text| money(&mut f, "cost_minor", text));
    let currency = match Currency::parse("currency", currency_text) {
        Ok(c) => c,
        Err(_) if currency_text.is_empty() => Currency::IDR,
        Err(e) => {
            f.fail("currency", e.message);
            Currency::IDR
        }
    };
    let line_no = if with_line_no {
        match cells.text("line_no").map(str::parse::<u32>) {
            None => {
                f.fail("line_no", "is required when the file has a line_no column");
                None
            }
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => {
                f.fail("line_no", "expected a whole number from 1");
                None
            }
        }
    } else {
        None
    };
    f.finish(RowValues {
        account,
        date,
        order,
        currency,
        line: HistoryLine {
            row,
            line_no,
            sku: sku.to_owned(),
            quantity_milli,
            unit_price_minor,
            cost_minor,
        },
    })
}

/// A date as chrono reads it, with a direct path for the usual `YYYY-MM-DD`: chrono's general
/// parser was the slowest step of a million-line file. A test holds both to the same answers.
fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_plain_date(text).or_else(|| text.parse().ok())
}

fn parse_plain_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)
}

/// Reads a CSV file of past orders (see the module docs), checks every row and groups the lines
/// into orders. Every bad row is reported by row and field (up to
/// [`crate::transfer::MAX_ERRORS`], then it stops reading and says there were more); one bad row
/// fails the whole file.
pub fn parse_order_history(data: &[u8], progress: Progress) -> Result<OrderHistory, RowErrors> {
    let mut errors = RowErrors::default();
    let mut orders: Vec<HistoryOrder> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut line_count = 0;
    let mut with_line_no = None;
    read_csv(
        data,
        &HISTORY_COLUMNS,
        HISTORY_REQUIRED_COLUMNS,
        progress,
        |row, cells| {
            let cells = match cells {
                Ok(cells) => cells,
                Err(error) => {
                    errors.push(error);
                    return !errors.more;
                }
            };
            let with_line_no = *with_line_no.get_or_insert_with(|| cells.has("line_no"));
            match read_row(row, &cells, with_line_no) {
                Err(row_errors) => row_errors.into_iter().for_each(|e| errors.push(e)),
                Ok(values) => match index.get(values.order) {
                    None => {
                        index.insert(values.order.to_owned(), orders.len());
                        orders.push(HistoryOrder {
                            external_order_id: values.order.to_owned(),
                            account_external_id: values.account.to_owned(),
                            order_date: values.date,
                            currency: values.currency,
                            row,
                            lines: vec![values.line],
                        });
                        line_count += 1;
                    }
                    Some(&i) => {
                        let order = &mut orders[i];
                        match disagreement(order, &values) {
                            Some(error) => errors.push(error),
                            None => {
                                order.lines.push(values.line);
                                line_count += 1;
                            }
                        }
                    }
                },
            }
            !errors.more
        },
    )?;
    for order in &mut orders {
        if with_line_no == Some(true) {
            order.lines.sort_by_key(|l| l.line_no);
            for pair in order.lines.windows(2) {
                if pair[0].line_no == pair[1].line_no {
                    let (first, second) =
                        (pair[0].row.min(pair[1].row), pair[0].row.max(pair[1].row));
                    errors.push(RowError::at(
                        second,
                        "line_no",
                        format!(
                            "order {:?} has line {} twice (also in row {first})",
                            order.external_order_id,
                            pair[0].line_no.unwrap_or_default()
                        ),
                    ));
                }
            }
        }
    }
    errors.errors.sort_by_key(|e| e.row);
    errors.or_ok(OrderHistory { orders, line_count })
}

/// Why a row cannot be a line of `order`: it names another account, date or currency. (Compared
/// first, worded only when they differ: this runs for every line of a large file.)
fn disagreement(order: &HistoryOrder, values: &RowValues) -> Option<RowError> {
    let (field, first, here) = if order.account_external_id != values.account {
        (
            "account_external_id",
            format!("{:?}", order.account_external_id),
            format!("{:?}", values.account),
        )
    } else if order.order_date != values.date {
        (
            "order_date",
            order.order_date.to_string(),
            values.date.to_string(),
        )
    } else if order.currency != values.currency {
        (
            "currency",
            order.currency.to_string(),
            values.currency.to_string(),
        )
    } else {
        return None;
    };
    Some(RowError::at(
        values.line.row,
        field,
        format!(
            "order {:?} has {field} {first} in row {} but {here} here; all lines of an order must agree",
            order.external_order_id, order.row
        ),
    ))
}

impl OrderHistory {
    /// The SKUs `is_known` does not know, in the order they first appear, with how many lines
    /// name each.
    pub fn unknown_skus(&self, is_known: impl Fn(&str) -> bool) -> Vec<UnknownSku> {
        let mut found: Vec<UnknownSku> = Vec::new();
        // Each SKU asked once: None when known, else its place in `found`.
        let mut seen: HashMap<&str, Option<usize>> = HashMap::new();
        for (order, line) in self
            .orders
            .iter()
            .flat_map(|o| o.lines.iter().map(move |l| (o, l)))
        {
            match seen.get(line.sku.as_str()) {
                Some(Some(i)) => found[*i].lines += 1,
                Some(None) => {}
                None if is_known(&line.sku) => {
                    seen.insert(&line.sku, None);
                }
                None => {
                    seen.insert(&line.sku, Some(found.len()));
                    found.push(UnknownSku {
                        sku: line.sku.clone(),
                        first_row: line.row,
                        lines: 1,
                        currency: order.currency,
                        unit_price_minor: line.unit_price_minor,
                    });
                }
            }
        }
        found.sort_by_key(|u| u.first_row);
        found
    }
}

impl HistoryOrder {
    /// The order to store, for the account it belongs to: a past order is invoiced. Each line
    /// keeps the file's price and cost (the product's cost price where the file has none), no
    /// discount, and the product's tax rate. Every SKU must be in the catalogue by now (the server
    /// creates the unknown ones first); one that is not is an error of its row.
    pub fn to_order<'p>(
        &self,
        account_id: i64,
        product: impl Fn(&str) -> Option<&'p Product>,
    ) -> Result<Order, RowErrors> {
        let mut errors = RowErrors::default();
        let mut lines = Vec::with_capacity(self.lines.len());
        for (line, no) in self.lines.iter().zip(1..) {
            match product(&line.sku) {
                None => errors.push(RowError::at(
                    line.row,
                    "sku",
                    format!("no product {:?} in the catalogue", line.sku),
                )),
                Some(p) => lines.push(OrderLine {
                    line_no: line.line_no.unwrap_or(no),
                    product_id: p.id,
                    sku: p.sku.clone(),
                    quantity_milli: line.quantity_milli,
                    unit_price_minor: line.unit_price_minor,
                    discount_bp: 0,
                    tax_rate_bp: p.tax_rate_bp,
                    unit_cost_minor: line.cost_minor.unwrap_or(p.cost_price_minor),
                    returns_line: None,
                }),
            }
        }
        errors.or_ok(Order {
            account_id,
            currency: self.currency,
            order_date: self.order_date,
            status: OrderStatus::Invoiced,
            lines,
            external_order_id: Some(self.external_order_id.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sales::fixtures::product;
    use crate::transfer::tests::places;

    const HEADER: &str =
        "account_external_id,order_date,external_order_id,sku,quantity,unit_price_minor,currency";

    fn parse(body: &str) -> Result<OrderHistory, RowErrors> {
        parse_order_history(format!("{HEADER}\n{body}").as_bytes(), &mut |_, _| {})
    }

    #[test]
    fn dates_read_as_chrono_reads_them() {
        for text in [
            "2025-03-01",
            "2024-02-29",
            "2025-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-1-01",
            "25-03-01",
            "2025/03/01",
            "2025-03-0x",
            "+202-03-01",
            "0000-01-01",
            "9999-12-31",
        ] {
            assert_eq!(parse_date(text), text.parse::<NaiveDate>().ok(), "{text}");
        }
    }

    #[test]
    fn lines_are_grouped_by_order_wherever_they_are() {
        let history = parse(
            "A1,2025-03-01,O-1,SKU-1,2,10000,IDR\n\
             A2,2025-03-02,O-2,SKU-2,1.5,3333,IDR\n\
             A1,2025-03-01,O-1,NEW-9,-1,10000,IDR\n",
        )
        .unwrap();
        assert_eq!(history.line_count, 3);
        assert_eq!(history.orders.len(), 2);
        let first = &history.orders[0];
        assert_eq!((first.external_order_id.as_str(), first.row), ("O-1", 1));
        let rows: Vec<usize> = first.lines.iter().map(|l| l.row).collect();
        assert_eq!(rows, [1, 3]);
        assert_eq!(first.lines[1].quantity_milli, -1_000);
        assert_eq!(history.orders[1].lines[0].quantity_milli, 1_500);
        let known = ["SKU-1", "SKU-2"];
        let unknown = history.unknown_skus(|s| known.contains(&s));
        assert_eq!(
            unknown,
            [UnknownSku {
                sku: "NEW-9".into(),
                first_row: 3,
                lines: 1,
                currency: Currency::IDR,
                unit_price_minor: 10_000,
            }]
        );
        // Its product passes the catalogue's own rules and waits for review.
        let created = crate::sales::catalogue::PRODUCTS
            .validate_create(&unknown[0].product_body())
            .unwrap()
            .record;
        assert_eq!(created["status"], "review");
        assert_eq!(created["name_en"], "NEW-9");
    }

    #[test]
    fn every_bad_row_is_named_with_its_field() {
        let err = parse(
            "A1,2025-03-01,O-1,SKU-1,2,10000,IDR\n\
             A1,01/03/2025,O-2,SKU-1,2,10000,IDR\n\
             A1,2025-03-01,O-3,SKU-1,0,10000,IDR\n\
             A1,2025-03-01,O-4,SKU-1,1.2345,10000,IDR\n\
             A1,2025-03-01,O-5,SKU-1,1,12.50,IDR\n\
             A1,2025-03-01,O-6,SKU-1,1,-5,IDR\n\
             A1,2025-03-01,O-7,SKU-1,1,100,rupiah\n\
             ,2025-03-01,O-8,,1,100,IDR\n\
             A1,2025-03-01,,SKU-1,x,100,IDR\n\
             A2,2025-03-01,O-1,SKU-2,1,100,IDR\n\
             A1,2025-03-02,O-1,SKU-2,1,100,IDR\n\
             A1,2025-03-01,O-1,SKU-2,1,100,USD\n\
             A1,2025-03-01,O-9,SKU-1,1,100\n",
        )
        .unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("order_date")),
                (Some(3), Some("quantity")),
                (Some(4), Some("quantity")),
                (Some(5), Some("unit_price_minor")),
                (Some(6), Some("unit_price_minor")),
                (Some(7), Some("currency")),
                (Some(8), Some("account_external_id")),
                (Some(8), Some("sku")),
                (Some(9), Some("external_order_id")),
                (Some(9), Some("quantity")),
                (Some(10), Some("account_external_id")),
                (Some(11), Some("order_date")),
                (Some(12), Some("currency")),
                (Some(13), None),
            ]
        );
        let disagreement = &err.errors[10].message;
        assert!(
            disagreement.contains("\"A1\" in row 1") && disagreement.contains("\"A2\" here"),
            "{disagreement}"
        );
    }

    #[test]
    fn the_header_names_missing_and_unknown_columns() {
        let err = parse_order_history(
            b"account_external_id,order_date,sku,quantity,price,currency\n",
            &mut |_, _| {},
        )
        .unwrap_err();
        assert_eq!(
            places(&err),
            [
                (None, Some("price")),
                (None, Some("external_order_id, unit_price_minor"))
            ]
        );
    }

    #[test]
    fn line_numbers_order_the_lines_and_must_be_unique_in_an_order() {
        let text = format!(
            "{HEADER},line_no,cost_minor\n\
             A1,2025-03-01,O-1,SKU-1,1,100,IDR,2,60\n\
             A1,2025-03-01,O-1,SKU-2,1,100,IDR,1,\n\
             A1,2025-03-01,O-2,SKU-2,1,100,IDR,1,\n"
        );
        let history = parse_order_history(text.as_bytes(), &mut |_, _| {}).unwrap();
        let first = &history.orders[0];
        assert_eq!(first.lines[0].sku, "SKU-2");
        assert_eq!(
            (first.lines[1].line_no, first.lines[1].cost_minor),
            (Some(2), Some(60))
        );
        let text = format!(
            "{HEADER},line_no\n\
             A1,2025-03-01,O-1,SKU-1,1,100,IDR,1\n\
             A1,2025-03-01,O-1,SKU-2,1,100,IDR,\n\
             A1,2025-03-01,O-1,SKU-3,1,100,IDR,1\n\
             A1,2025-03-01,O-2,SKU-3,1,100,IDR,0\n"
        );
        let err = parse_order_history(text.as_bytes(), &mut |_, _| {}).unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("line_no")),
                (Some(3), Some("line_no")),
                (Some(4), Some("line_no"))
            ]
        );
        assert!(err.errors[1].message.contains("also in row 1"), "{err}");
    }

    #[test]
    fn a_parsed_order_becomes_an_invoiced_order_keeping_the_file_s_prices() {
        let text = format!(
            "{HEADER},cost_minor\n\
             A1,2025-03-01,O-1,SKU-1,2,9000,IDR,4000\n\
             A1,2025-03-01,O-1,SKU-2,1,3000,IDR,\n\
             A1,2025-03-01,O-1,GONE,1,3000,IDR,\n"
        );
        let history = parse_order_history(text.as_bytes(), &mut |_, _| {}).unwrap();
        let catalogue = [
            Product {
                sku: "SKU-1".into(),
                ..product(1, 10_000)
            },
            Product {
                sku: "SKU-2".into(),
                ..product(2, 2_000)
            },
        ];
        let find = |sku: &str| catalogue.iter().find(|p| p.sku == sku);
        let err = history.orders[0].to_order(5, find).unwrap_err();
        assert_eq!(places(&err), [(Some(3), Some("sku"))]);
        let mut order_only_known = history.orders[0].clone();
        order_only_known.lines.pop();
        let order = order_only_known.to_order(5, find).unwrap();
        assert_eq!(order.status, OrderStatus::Invoiced);
        assert_eq!(order.external_order_id.as_deref(), Some("O-1"));
        assert_eq!(
            order
                .lines
                .iter()
                .map(|l| (l.unit_price_minor, l.unit_cost_minor))
                .collect::<Vec<_>>(),
            [(9_000, 4_000), (3_000, 1_000)]
        );
    }
}
