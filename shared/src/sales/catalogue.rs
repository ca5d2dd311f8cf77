//! Products and price lists: their field rules for the generic resource engine (validation, SQL,
//! OpenAPI from one declaration, see [`crate::resource`]), the typed records pricing works on,
//! and which price applies to an account on a day ([`applicable_price`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::ValidationError;
use crate::domain::string_enum;
use crate::money::{Currency, FULL_BP};
use crate::resource::{Field, FieldType::*, ResourceSpec};
use crate::resources::{CURRENCY_DOC, check_currency, check_transition, text};

pub const MAX_SKU_CHARS: usize = 64;

string_enum!(
    /// Whether a product can be sold: `active` ones can be quoted and ordered; `review` marks a
    /// product an import created for an unknown SKU (inactive until someone checks it).
    ProductStatus { Active => "active", Inactive => "inactive", Review => "review" }
);

string_enum!(
    /// The unit a product is sold in (a closed set, so every page can name it in both languages).
    Unit {
        Piece => "piece",
        Box => "box",
        Pack => "pack",
        Kilogram => "kg",
        Gram => "g",
        Litre => "l",
        Millilitre => "ml",
        Metre => "m",
        SquareMetre => "m2",
        Hour => "hour",
        Day => "day",
        Month => "month",
        Service => "service",
    }
);

/// A SKU as stored: trimmed, 1–64 characters, no control characters. Case is kept and matters
/// (`ab-1` and `AB-1` are two SKUs), as in most stock systems.
pub fn check_sku(text: &str) -> Result<&str, String> {
    let sku = text.trim();
    if sku.is_empty() {
        return Err("must not be empty".into());
    }
    if sku.chars().count() > MAX_SKU_CHARS {
        return Err(format!("longer than {MAX_SKU_CHARS} characters"));
    }
    if sku.chars().any(char::is_control) {
        return Err(format!("{sku:?} holds a control character"));
    }
    Ok(sku)
}

/// The moves a product's status may make: `review` is where an import puts an unknown SKU, and
/// it leaves it once someone has looked (nothing goes back to `review`).
pub const PRODUCT_STATUS_FLOW: &[(&str, &str)] = &[
    ("active", "inactive"),
    ("inactive", "active"),
    ("review", "active"),
    ("review", "inactive"),
];

static PRODUCT_FIELDS: [Field; 10] = [
    Field::new("sku", Text, "Stock-keeping unit, unique; case matters")
        .required()
        .max_chars(MAX_SKU_CHARS)
        .filter()
        .sort(),
    Field::new("name_en", Text, "Name in English")
        .required()
        .max_chars(200)
        .sort(),
    Field::new(
        "name_id",
        Text,
        "Name in Bahasa Indonesia (pages fall back to the English name)",
    )
    .max_chars(200),
    Field::new("unit", Text, "The unit quantities count")
        .defaults_to("\"piece\"")
        .one_of(Unit::NAMES)
        .filter(),
    Field::new("category", Text, "Product group")
        .max_chars(100)
        .filter()
        .sort(),
    Field::new(
        "list_price_minor",
        Int,
        "Price per unit before any price list, minor units",
    )
    .required()
    .range(0.0, 9.0e15)
    .sort(),
    Field::new(
        "cost_price_minor",
        Int,
        "What one unit costs us, minor units",
    )
    .defaults_to("0")
    .range(0.0, 9.0e15),
    Field::new("currency", Text, CURRENCY_DOC).defaults_to("\"IDR\""),
    Field::new(
        "tax_rate_bp",
        Int,
        "Tax rate in basis points (1100 = 11 %), added to the net line amount",
    )
    .defaults_to("1100")
    .range(0.0, FULL_BP as f64),
    Field::new(
        "status",
        Text,
        "active, inactive, or review (made by an import for an unknown SKU)",
    )
    .defaults_to("\"active\"")
    .one_of(ProductStatus::NAMES)
    .filter()
    .sort(),
];

pub static PRODUCTS: ResourceSpec = ResourceSpec {
    name: "products",
    singular: "product",
    fields: &PRODUCT_FIELDS,
    versioned: true,
    check: Some(|new, old| {
        check_currency(new)?;
        check_sku(text(new, "sku").unwrap_or_default())
            .map_err(|message| ValidationError::new("sku", message))?;
        check_transition("status", new, old, PRODUCT_STATUS_FLOW)
    }),
    history_note: None,
    default_sort: "sku",
};

static PRICE_LIST_FIELDS: [Field; 6] = [
    Field::new(
        "name",
        Text,
        "What the list is for, e.g. Wholesale Java 2027",
    )
    .required()
    .max_chars(200)
    .sort(),
    Field::new("currency", Text, CURRENCY_DOC).defaults_to("\"IDR\""),
    Field::new(
        "segment",
        Text,
        "Applies to accounts of this segment only (none: any segment)",
    )
    .max_chars(200)
    .filter(),
    Field::new(
        "territory_id",
        Int,
        "Applies to accounts in this territory only (none: anywhere)",
    )
    .references("territories")
    .filter(),
    Field::new("valid_from", Date, "First day the list applies")
        .required()
        .sort(),
    Field::new(
        "valid_until",
        Date,
        "Last day the list applies (inclusive; none: open-ended)",
    )
    .sort(),
];

fn date(record: &Map<String, Value>, name: &str) -> Option<NaiveDate> {
    text(record, name).and_then(|d| d.parse().ok())
}

pub static PRICE_LISTS: ResourceSpec = ResourceSpec {
    name: "price_lists",
    singular: "price list",
    fields: &PRICE_LIST_FIELDS,
    versioned: true,
    check: Some(|new, _| {
        check_currency(new)?;
        match (date(new, "valid_from"), date(new, "valid_until")) {
            (Some(from), Some(until)) if until < from => Err(ValidationError::new(
                "valid_until",
                format!("{until} is before valid_from {from}"),
            )),
            _ => Ok(()),
        }
    }),
    history_note: None,
    default_sort: "id",
};

static PRICE_LIST_ITEM_FIELDS: [Field; 3] = [
    Field::new("price_list_id", Int, "The price list")
        .required()
        .references("price_lists")
        .filter()
        .immutable(),
    Field::new(
        "product_id",
        Int,
        "The product (one price per product and list)",
    )
    .required()
    .references("products")
    .filter()
    .immutable(),
    Field::new(
        "price_minor",
        Int,
        "Price per unit on this list, minor units of the list's currency",
    )
    .required()
    .range(0.0, 9.0e15)
    .sort(),
];

pub static PRICE_LIST_ITEMS: ResourceSpec = ResourceSpec {
    name: "price_list_items",
    singular: "price list item",
    fields: &PRICE_LIST_ITEM_FIELDS,
    versioned: true,
    check: None,
    history_note: None,
    default_sort: "id",
};

/// The catalogue's resources (also in [`crate::resources::ALL`], which routes them).
pub static CATALOGUE: [&ResourceSpec; 3] = [&PRODUCTS, &PRICE_LISTS, &PRICE_LIST_ITEMS];

/// A product as stored: a validated [`PRODUCTS`] record plus its id and version deserialise
/// into it (a test holds the two together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name_en: String,
    pub name_id: Option<String>,
    pub unit: Unit,
    pub category: Option<String>,
    pub list_price_minor: i64,
    pub cost_price_minor: i64,
    pub currency: Currency,
    pub tax_rate_bp: i64,
    pub status: ProductStatus,
    #[serde(default)]
    pub version: i64,
}

impl Product {
    /// The name in a language (`"id"` for Bahasa Indonesia; English otherwise and as fallback).
    pub fn name(&self, language: &str) -> &str {
        match (language, &self.name_id) {
            ("id", Some(name)) => name,
            _ => &self.name_en,
        }
    }
}

/// A price list with its prices (product id → price per unit in minor units of `currency`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceList {
    pub id: i64,
    pub name: String,
    pub currency: Currency,
    pub segment: Option<String>,
    pub territory_id: Option<i64>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    #[serde(default)]
    pub prices: BTreeMap<i64, i64>,
    #[serde(default)]
    pub version: i64,
}

impl PriceList {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_until.is_none_or(|until| day <= until)
    }

    /// Whether the list is meant for an account of this context (a list without a segment or
    /// territory applies to any).
    pub fn targets(&self, context: &PricingContext) -> bool {
        let segment_fits = self
            .segment
            .as_deref()
            .is_none_or(|s| context.segment.as_deref() == Some(s));
        let territory_fits = self
            .territory_id
            .is_none_or(|t| context.territory_id == Some(t));
        segment_fits && territory_fits
    }

    /// How specific the list is: segment and territory 3, segment 2, territory 1, neither 0. A
    /// segment list beats a territory list: a segment price is a commercial term agreed for a kind
    /// of customer, a regional list adjusts the general one for an area.
    pub fn specificity(&self) -> u8 {
        match (self.segment.is_some(), self.territory_id.is_some()) {
            (true, true) => 3,
            (true, false) => 2,
            (false, true) => 1,
            (false, false) => 0,
        }
    }
}

/// What pricing needs to know about the account and the document: its segment and territory,
/// and the currency of the quote or order (normally the account's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingContext {
    pub segment: Option<String>,
    pub territory_id: Option<i64>,
    pub currency: Currency,
}

/// Where a price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceSource {
    PriceList { price_list_id: i64 },
    ListPrice,
}

/// The price that applies, per unit, in minor units of `currency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedPrice {
    pub unit_price_minor: i64,
    pub currency: Currency,
    pub source: PriceSource,
}

/// The price of `product` for an account on `day`. Precedence, deterministic whatever the order
/// of `price_lists`:
/// 1. among the lists in the context's currency that are valid on `day`, target the account
///    (segment and territory each either unset or equal) and price the product: the most
///    specific ([`PriceList::specificity`]); on a tie the one whose validity started latest
///    (the newer agreement); on a further tie the lowest id;
/// 2. otherwise the product's list price, if it is in the context's currency;
/// 3. otherwise none: the product has no price in that currency.
pub fn applicable_price(
    product: &Product,
    context: &PricingContext,
    day: NaiveDate,
    price_lists: &[PriceList],
) -> Option<AppliedPrice> {
    let best = price_lists
        .iter()
        .filter(|l| l.currency == context.currency && l.valid_on(day) && l.targets(context))
        .filter_map(|l| l.prices.get(&product.id).map(|price| (l, *price)))
        .max_by_key(|(l, _)| (l.specificity(), l.valid_from, std::cmp::Reverse(l.id)));
    match best {
        Some((list, price)) => Some(AppliedPrice {
            unit_price_minor: price,
            currency: list.currency,
            source: PriceSource::PriceList {
                price_list_id: list.id,
            },
        }),
        None if product.currency == context.currency => Some(AppliedPrice {
            unit_price_minor: product.list_price_minor,
            currency: product.currency,
            source: PriceSource::ListPrice,
        }),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sales::fixtures::{day, product};
    use serde_json::json;

    #[test]
    fn units_and_statuses_travel_as_the_text_the_field_rules_accept() {
        for unit in Unit::ALL {
            let sent = serde_json::to_value(unit).unwrap();
            assert_eq!(sent, json!(unit.as_str()));
            assert!(Unit::NAMES.contains(&sent.as_str().unwrap()));
            assert_eq!(serde_json::from_value::<Unit>(sent).unwrap(), *unit);
        }
        for status in ProductStatus::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.as_str())
            );
        }
        let refused = serde_json::from_value::<Unit>(json!("kilogram")).unwrap_err();
        assert!(refused.to_string().contains("kg"), "{refused}");
    }

    fn list(
        id: i64,
        segment: Option<&str>,
        territory: Option<i64>,
        from: &str,
        until: Option<&str>,
        price: i64,
    ) -> PriceList {
        PriceList {
            id,
            name: format!("List {id}"),
            currency: Currency::IDR,
            segment: segment.map(str::to_owned),
            territory_id: territory,
            valid_from: day(from),
            valid_until: until.map(day),
            prices: BTreeMap::from([(1, price)]),
            version: 1,
        }
    }

    fn context(segment: Option<&str>, territory: Option<i64>) -> PricingContext {
        PricingContext {
            segment: segment.map(str::to_owned),
            territory_id: territory,
            currency: Currency::IDR,
        }
    }

    fn price_of(lists: &[PriceList], ctx: &PricingContext, on: &str) -> Option<i64> {
        applicable_price(&product(1, 1000), ctx, day(on), lists).map(|p| p.unit_price_minor)
    }

    #[test]
    fn the_most_specific_valid_list_wins_then_the_list_price() {
        let lists = [
            list(1, None, None, "2026-01-01", None, 900),
            list(2, None, Some(7), "2026-01-01", None, 880),
            list(3, Some("wholesale"), None, "2026-01-01", None, 850),
            list(
                4,
                Some("wholesale"),
                Some(7),
                "2026-01-01",
                Some("2026-06-30"),
                800,
            ),
        ];
        let wholesale_in_7 = context(Some("wholesale"), Some(7));
        assert_eq!(price_of(&lists, &wholesale_in_7, "2026-03-01"), Some(800));
        // The segment-and-territory list ended: the segment list beats the territory list.
        assert_eq!(price_of(&lists, &wholesale_in_7, "2026-07-01"), Some(850));
        assert_eq!(
            price_of(&lists, &context(Some("retail"), Some(7)), "2026-07-01"),
            Some(880)
        );
        assert_eq!(
            price_of(&lists, &context(None, None), "2026-07-01"),
            Some(900)
        );
        // Before every list: the product's list price.
        let before = applicable_price(
            &product(1, 1000),
            &wholesale_in_7,
            day("2025-12-31"),
            &lists,
        )
        .unwrap();
        assert_eq!(before.unit_price_minor, 1000);
        assert_eq!(before.source, PriceSource::ListPrice);
        // valid_until is inclusive.
        assert_eq!(price_of(&lists, &wholesale_in_7, "2026-06-30"), Some(800));
    }

    #[test]
    fn ties_go_to_the_newest_list_then_the_lowest_id_in_any_order() {
        let mut lists = vec![
            list(5, Some("retail"), None, "2026-01-01", None, 700),
            list(6, Some("retail"), None, "2026-02-01", None, 650),
            list(9, Some("retail"), None, "2026-02-01", None, 640),
        ];
        let ctx = context(Some("retail"), None);
        assert_eq!(price_of(&lists, &ctx, "2026-03-01"), Some(650));
        lists.reverse();
        assert_eq!(price_of(&lists, &ctx, "2026-03-01"), Some(650));
        assert_eq!(price_of(&lists, &ctx, "2026-01-15"), Some(700));
    }

    #[test]
    fn lists_in_another_currency_or_without_the_product_do_not_apply() {
        let mut usd = list(1, None, None, "2026-01-01", None, 5);
        usd.currency = Currency::parse("currency", "USD").unwrap();
        let mut other_product = list(2, None, None, "2026-01-01", None, 5);
        other_product.prices = BTreeMap::from([(2, 5)]);
        let lists = [usd, other_product];
        assert_eq!(
            price_of(&lists, &context(None, None), "2026-03-01"),
            Some(1000)
        );
        let in_usd = PricingContext {
            currency: Currency::parse("currency", "USD").unwrap(),
            ..context(None, None)
        };
        assert_eq!(price_of(&lists, &in_usd, "2026-03-01"), Some(5));
        // No USD list for product 1 ... and no USD list price: no price at all.
        let lists = [list(2, None, None, "2026-01-01", None, 5)];
        assert_eq!(price_of(&lists, &in_usd, "2026-03-01"), None);
    }

    #[test]
    fn a_validated_product_record_is_a_product() {
        let v = PRODUCTS
            .validate_create(&json!({"sku": " AB-1 ", "name_en": "Freezer 200 l", "list_price_minor": 4_500_000}))
            .unwrap();
        let mut record = v.record;
        record.insert("id".into(), json!(3));
        let p: Product = serde_json::from_value(Value::Object(record)).unwrap();
        assert_eq!(p.sku, "AB-1");
        assert_eq!(p.unit, Unit::Piece);
        assert_eq!(p.tax_rate_bp, 1100);
        assert_eq!(p.status, ProductStatus::Active);
        assert_eq!(p.name("id"), "Freezer 200 l");
        // Every field of the declaration is a field of the struct.
        let as_json = serde_json::to_value(&p).unwrap();
        for f in PRODUCTS.fields {
            assert!(as_json.get(f.name).is_some(), "{}", f.name);
        }
    }

    #[test]
    fn product_and_price_list_rules_name_their_field() {
        let base = json!({"sku": "A", "name_en": "A", "list_price_minor": 1});
        for (change, field) in [
            (json!({"sku": "A\u{7}"}), "sku"),
            (json!({"sku": "x".repeat(65)}), "sku"),
            (json!({"unit": "bucket"}), "unit"),
            (json!({"list_price_minor": -1}), "list_price_minor"),
            (json!({"tax_rate_bp": 10_001}), "tax_rate_bp"),
            (json!({"currency": "rp"}), "currency"),
            (json!({"status": "gone"}), "status"),
        ] {
            let mut body = base.clone();
            body.as_object_mut()
                .unwrap()
                .extend(change.as_object().unwrap().clone());
            assert_eq!(
                PRODUCTS.validate_create(&body).unwrap_err().field,
                field,
                "{change}"
            );
        }
        let review = PRODUCTS
            .validate_create(
                &json!({"sku": "A", "name_en": "A", "list_price_minor": 0, "status": "review"}),
            )
            .unwrap()
            .record;
        let active = PRODUCTS
            .validate_patch(&review, &json!({"version": 1, "status": "active"}))
            .unwrap()
            .record;
        let err = PRODUCTS
            .validate_patch(&active, &json!({"version": 2, "status": "review"}))
            .unwrap_err();
        assert_eq!(err.field, "status");
        let reversed =
            json!({"name": "L", "valid_from": "2026-02-01", "valid_until": "2026-01-31"});
        assert_eq!(
            PRICE_LISTS.validate_create(&reversed).unwrap_err().field,
            "valid_until"
        );
        let list = PRICE_LISTS
            .validate_create(&json!({"name": "L", "valid_from": "2026-02-01", "segment": "retail"}))
            .unwrap();
        let mut record = list.record;
        record.insert("id".into(), json!(1));
        let typed: PriceList = serde_json::from_value(Value::Object(record)).unwrap();
        assert!(typed.valid_on(day("2030-01-01")) && !typed.valid_on(day("2026-01-31")));
        assert_eq!(
            PRICE_LIST_ITEMS
                .validate_create(&json!({"price_list_id": 1, "product_id": 0, "price_minor": 5}))
                .unwrap_err()
                .field,
            "product_id"
        );
    }
}
