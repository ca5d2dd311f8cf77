//! Accounts (customers and prospects): the record, what clients send to create or change one,
//! and the validation both the API and imports run. Pure: no database, no clock.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::LonLat;
use crate::domain::{AccountKind, AccountStatus};

/// A rule an input broke, naming the field as the API spells it. `message` is English for API
/// users; `code` names the rule in a stable word and `params` its values (`max`, `allowed`...),
/// so a client can say it in its user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
    pub code: &'static str,
    pub params: std::collections::BTreeMap<&'static str, String>,
}

impl ValidationError {
    /// A broken rule with no code of its own (`invalid`): clients show a general refusal of the
    /// field.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
            code: "invalid",
            params: Default::default(),
        }
    }

    /// Names the rule broken (see [`ERROR_CODES`]).
    pub fn because(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// Adds a parameter of the rule (`max` of `too_long`, ...).
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.insert(name, value.to_string());
        self
    }
}

/// The codes of broken rules the API sends with an English message, and the parameters each
/// carries. Clients translate these; an unknown code reads as `invalid`.
pub const ERROR_CODES: &[(&str, &[&str])] = &[
    ("invalid", &[]),
    ("required", &[]),
    ("immutable", &[]),
    ("too_long", &["max"]),
    ("one_of", &["allowed"]),
    ("out_of_range", &["min", "max"]),
    ("not_text", &[]),
    ("not_whole_number", &[]),
    ("not_number", &[]),
    ("not_date", &[]),
    ("not_timestamp", &[]),
    ("bad_id", &[]),
    ("unknown_field", &["field"]),
    ("no_such_record", &[]),
    ("transition", &["from", "to"]),
    ("bad_currency", &[]),
    ("too_many", &["max"]),
    ("unreadable", &[]),
    ("not_email", &[]),
    ("no_place", &[]),
];

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 500;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;
pub const DEFAULT_CURRENCY: &str = "IDR";

/// An account as stored, with its concurrency `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub segment: Option<String>,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    /// Money in minor units of `currency` (rupiah for IDR, which has no minor unit in use).
    /// Revenue to date: once the account has orders, the sum of their subtotals (cancelled
    /// orders left out, returns subtracted); before, the figure it was created or imported with.
    pub revenue_minor: i64,
    /// Revenue minus the orders' cost of goods; `None` while the account has no orders (a
    /// typed-in revenue has no known cost).
    #[serde(default)]
    pub margin_minor: Option<i64>,
    pub cost_to_serve_minor: i64,
    pub currency: String,
    pub acquired_on: Option<NaiveDate>,
    pub tags: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a client sends to create an account. Optional fields take sensible defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: Option<AccountKind>,
    /// Defaults to `active` for customers and `new` for prospects.
    pub status: Option<AccountStatus>,
    pub segment: Option<String>,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub revenue_minor: Option<i64>,
    pub cost_to_serve_minor: Option<i64>,
    pub currency: Option<String>,
    pub acquired_on: Option<NaiveDate>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A partial change. `version` is the version the client last saw; a nullable field distinguishes
/// "absent" (leave as is: `None`) from `null` (clear it: `Some(None)`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    pub version: i64,
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<Option<String>>,
    pub name: Option<String>,
    pub kind: Option<AccountKind>,
    pub status: Option<AccountStatus>,
    #[serde(default, deserialize_with = "present")]
    pub segment: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub address: Option<Option<String>>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    pub owner_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    pub territory_id: Option<Option<i64>>,
    pub revenue_minor: Option<i64>,
    pub cost_to_serve_minor: Option<i64>,
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub acquired_on: Option<Option<NaiveDate>>,
    pub tags: Option<Vec<String>>,
}

/// Marks a field that was present in the JSON (even as `null`) as `Some(..)`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An account that passed validation: what the store writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAccount {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub segment: Option<String>,
    pub address: Option<String>,
    pub position: LonLat,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub revenue_minor: i64,
    pub cost_to_serve_minor: i64,
    pub currency: String,
    pub acquired_on: Option<NaiveDate>,
    pub tags: Vec<String>,
}

/// Which statuses an account of a kind may have.
pub fn statuses_for(kind: AccountKind) -> &'static [AccountStatus] {
    use AccountStatus::*;
    match kind {
        AccountKind::Customer => &[Active, AtRisk, Churned],
        AccountKind::Prospect => &[New, Contacted, Qualified, Disqualified],
    }
}

fn trimmed(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(ValidationError::new(
            field,
            format!("longer than {max} characters"),
        )
        .because("too_long")
        .with("max", max)),
        other => Ok(other),
    }
}

fn non_negative(field: &'static str, value: i64) -> Result<i64, ValidationError> {
    if value < 0 {
        Err(
            ValidationError::new(field, format!("must not be negative (got {value})"))
                .because("out_of_range")
                .with("min", 0)
                .with("max", i64::MAX),
        )
    } else {
        Ok(value)
    }
}

fn positive_id(field: &'static str, value: Option<i64>) -> Result<Option<i64>, ValidationError> {
    match value {
        Some(id) if id <= 0 => {
            Err(ValidationError::new(field, format!("{id} is not a valid id")).because("bad_id"))
        }
        other => Ok(other),
    }
}

impl AccountInput {
    pub fn validate(self) -> Result<ValidAccount, ValidationError> {
        let name = trimmed("name", Some(self.name), MAX_NAME_CHARS)?
            .ok_or_else(|| ValidationError::new("name", "must not be empty").because("required"))?;
        let kind = self.kind.unwrap_or(AccountKind::Prospect);
        let status = self.status.unwrap_or(match kind {
            AccountKind::Customer => AccountStatus::Active,
            AccountKind::Prospect => AccountStatus::New,
        });
        if !statuses_for(kind).contains(&status) {
            let allowed: Vec<&str> = statuses_for(kind).iter().map(|s| s.as_str()).collect();
            return Err(ValidationError::new(
                "status",
                format!(
                    "{status} is not a status of a {kind}; expected one of: {}",
                    allowed.join(", ")
                ),
            )
            .because("one_of")
            .with("allowed", allowed.join(", ")));
        }
        let position = LonLat::new(self.lon, self.lat).map_err(|e| {
            ValidationError::new(e.field(), e.to_string())
                .because("out_of_range")
                .with("min", if e.field() == "lon" { -180 } else { -90 })
                .with("max", if e.field() == "lon" { 180 } else { 90 })
        })?;
        let currency = self
            .currency
            .map(|c| c.trim().to_ascii_uppercase())
            .unwrap_or_else(|| DEFAULT_CURRENCY.into());
        crate::money::Currency::parse("currency", &currency)?;
        if self.tags.len() > MAX_TAGS {
            return Err(
                ValidationError::new("tags", format!("at most {MAX_TAGS} tags"))
                    .because("too_many")
                    .with("max", MAX_TAGS),
            );
        }
        let mut tags = Vec::with_capacity(self.tags.len());
        for tag in self.tags {
            let tag = trimmed("tags", Some(tag), MAX_TAG_CHARS)?.ok_or_else(|| {
                ValidationError::new("tags", "a tag must not be empty").because("required")
            })?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Ok(ValidAccount {
            external_id: trimmed("external_id", self.external_id, MAX_NAME_CHARS)?,
            name,
            kind,
            status,
            segment: trimmed("segment", self.segment, MAX_NAME_CHARS)?,
            address: trimmed("address", self.address, MAX_TEXT_CHARS)?,
            position,
            owner_id: positive_id("owner_id", self.owner_id)?,
            territory_id: positive_id("territory_id", self.territory_id)?,
            revenue_minor: non_negative("revenue_minor", self.revenue_minor.unwrap_or(0))?,
            cost_to_serve_minor: non_negative(
                "cost_to_serve_minor",
                self.cost_to_serve_minor.unwrap_or(0),
            )?,
            currency,
            acquired_on: self.acquired_on,
            tags,
        })
    }
}

impl Account {
    /// The input that would recreate this account (used to apply a patch, and by exports).
    pub fn to_input(&self) -> AccountInput {
        AccountInput {
            external_id: self.external_id.clone(),
            name: self.name.clone(),
            kind: Some(self.kind),
            status: Some(self.status),
            segment: self.segment.clone(),
            address: self.address.clone(),
            lon: self.lon,
            lat: self.lat,
            owner_id: self.owner_id,
            territory_id: self.territory_id,
            revenue_minor: Some(self.revenue_minor),
            cost_to_serve_minor: Some(self.cost_to_serve_minor),
            currency: Some(self.currency.clone()),
            acquired_on: self.acquired_on,
            tags: self.tags.clone(),
        }
    }

    /// This account with `patch` applied, validated as a whole (a kind change must come with a
    /// status that fits it, unless the current status already does).
    pub fn patched(&self, patch: AccountPatch) -> Result<ValidAccount, ValidationError> {
        let mut input = self.to_input();
        if let Some(v) = patch.external_id {
            input.external_id = v;
        }
        if let Some(v) = patch.name {
            input.name = v;
        }
        if let Some(v) = patch.kind {
            input.kind = Some(v);
            if patch.status.is_none() && !statuses_for(v).contains(&self.status) {
                input.status = None;
            }
        }
        if let Some(v) = patch.status {
            // A lead moves through the lead flow (`POST /accounts/{id}/lead`), which checks the
            // step, asks why it was disqualified and writes the history; an edit may not skip it.
            let stays_prospect = patch.kind.is_none_or(|k| k == AccountKind::Prospect);
            if self.kind == AccountKind::Prospect && stays_prospect && v != self.status {
                return Err(ValidationError::new(
                    "status",
                    format!(
                        "a lead goes from {} to {v} through POST /accounts/{{id}}/lead, not an edit",
                        self.status
                    ),
                )
                .because("transition")
                .with("from", self.status)
                .with("to", v));
            }
            input.status = Some(v);
        }
        if let Some(v) = patch.segment {
            input.segment = v;
        }
        if let Some(v) = patch.address {
            input.address = v;
        }
        if let Some(v) = patch.lon {
            input.lon = v;
        }
        if let Some(v) = patch.lat {
            input.lat = v;
        }
        if let Some(v) = patch.owner_id {
            input.owner_id = v;
        }
        if let Some(v) = patch.territory_id {
            input.territory_id = v;
        }
        if let Some(v) = patch.revenue_minor {
            input.revenue_minor = Some(v);
        }
        if let Some(v) = patch.cost_to_serve_minor {
            input.cost_to_serve_minor = Some(v);
        }
        if let Some(v) = patch.currency {
            input.currency = Some(v);
        }
        if let Some(v) = patch.acquired_on {
            input.acquired_on = v;
        }
        if let Some(v) = patch.tags {
            input.tags = v;
        }
        input.validate()
    }
}

/// The orders an account list can be sorted in (a closed set, so no caller-supplied SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountSort {
    #[default]
    Id,
    Name,
    NameDesc,
    Revenue,
    RevenueDesc,
    UpdatedAt,
    UpdatedAtDesc,
}

impl AccountSort {
    pub const KEYS: &'static [&'static str] = &[
        "id",
        "name",
        "-name",
        "revenue",
        "-revenue",
        "updated_at",
        "-updated_at",
    ];

    /// Parses `name`, `-revenue` (descending) and the like.
    pub fn parse(key: &str) -> Result<Self, ValidationError> {
        Ok(match key {
            "id" => AccountSort::Id,
            "name" => AccountSort::Name,
            "-name" => AccountSort::NameDesc,
            "revenue" => AccountSort::Revenue,
            "-revenue" => AccountSort::RevenueDesc,
            "updated_at" => AccountSort::UpdatedAt,
            "-updated_at" => AccountSort::UpdatedAtDesc,
            other => {
                return Err(ValidationError::new(
                    "sort",
                    format!(
                        "unknown sort {other:?}; expected one of: {}",
                        Self::KEYS.join(", ")
                    ),
                ));
            }
        })
    }
}

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Filters, order and page of an account list. `ids` restricts the list to accounts a spatial
/// query found (e.g. inside a territory).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountQuery {
    pub kind: Option<AccountKind>,
    pub status: Option<AccountStatus>,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub segment: Option<String>,
    pub tag: Option<String>,
    /// Accounts with at least one deal at this pipeline stage.
    pub stage: Option<String>,
    /// Case-insensitive text found in the name, the address, or a contact's name, e-mail or
    /// phone (a phone number matches whatever its spacing; see [`phone_digits`]).
    pub search: Option<String>,
    pub ids: Option<Vec<i64>>,
    pub sort: AccountSort,
    pub limit: u32,
    pub offset: u64,
}

/// The digits a search text stands for when it reads as (part of) a phone number: at least
/// four digits and nothing but digits, spaces, `+ - . ( )`. A leading trunk `0` or country code
/// `62` is dropped, so "0812-345" finds "+62 812 345 678". `None` for other text.
pub fn phone_digits(text: &str) -> Option<String> {
    let text = text.trim();
    if !text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.()".contains(c))
    {
        return None;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = digits
        .strip_prefix("62")
        .or_else(|| digits.strip_prefix('0'))
        .unwrap_or(&digits);
    (national.len() >= 4).then(|| national.to_owned())
}

/// One page of a list, with the total the filters match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: u32,
    pub offset: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AccountInput {
        AccountInput {
            name: "Toko Maju".into(),
            lon: 106.8,
            lat: -6.2,
            ..Default::default()
        }
    }

    #[test]
    fn phone_searches_ignore_spacing_and_the_trunk_prefix() {
        assert_eq!(phone_digits("0812-345"), Some("812345".into()));
        assert_eq!(phone_digits("+62 812 345"), Some("812345".into()));
        assert_eq!(phone_digits("(022) 4201"), Some("224201".into()));
        assert_eq!(phone_digits("081"), None, "too short to mean a number");
        assert_eq!(phone_digits("Toko 24"), None, "words are not a number");
    }

    #[test]
    fn defaults_make_a_new_prospect_in_rupiah() {
        let valid = input().validate().unwrap();
        assert_eq!(
            (valid.kind, valid.status),
            (AccountKind::Prospect, AccountStatus::New)
        );
        assert_eq!(valid.currency, "IDR");
        assert_eq!(valid.revenue_minor, 0);
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(AccountInput, &str)> = vec![
            (
                AccountInput {
                    name: "  ".into(),
                    ..input()
                },
                "name",
            ),
            (
                AccountInput {
                    name: "x".repeat(201),
                    ..input()
                },
                "name",
            ),
            (
                AccountInput {
                    lon: 181.0,
                    ..input()
                },
                "lon",
            ),
            (
                AccountInput {
                    lat: f64::NAN,
                    ..input()
                },
                "lat",
            ),
            (
                AccountInput {
                    revenue_minor: Some(-1),
                    ..input()
                },
                "revenue_minor",
            ),
            (
                AccountInput {
                    currency: Some("rupiah".into()),
                    ..input()
                },
                "currency",
            ),
            (
                AccountInput {
                    kind: Some(AccountKind::Customer),
                    status: Some(AccountStatus::New),
                    ..input()
                },
                "status",
            ),
            (
                AccountInput {
                    tags: vec!["".into()],
                    ..input()
                },
                "tags",
            ),
            (
                AccountInput {
                    owner_id: Some(0),
                    ..input()
                },
                "owner_id",
            ),
        ];
        for (bad, field) in cases {
            assert_eq!(bad.validate().unwrap_err().field, field);
        }
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let valid = AccountInput {
            tags: vec![" vip ".into(), "vip".into(), "cash".into()],
            ..input()
        }
        .validate()
        .unwrap();
        assert_eq!(valid.tags, ["vip", "cash"]);
    }

    #[test]
    fn patches_tell_absent_from_null() {
        let patch: AccountPatch =
            serde_json::from_str(r#"{"version":3,"segment":null,"lon":107.0}"#).unwrap();
        assert_eq!(patch.segment, Some(None));
        assert_eq!(patch.address, None);
        assert_eq!(patch.lon, Some(107.0));
        assert!(serde_json::from_str::<AccountPatch>(r#"{"version":1,"colour":"red"}"#).is_err());
    }

    #[test]
    fn converting_a_prospect_to_a_customer_resets_an_unfitting_status() {
        let valid = input().validate().unwrap();
        let account = Account {
            id: 1,
            external_id: None,
            name: valid.name,
            kind: valid.kind,
            status: AccountStatus::Qualified,
            segment: Some("retail".into()),
            address: None,
            lon: 106.8,
            lat: -6.2,
            owner_id: None,
            territory_id: None,
            revenue_minor: 0,
            margin_minor: None,
            cost_to_serve_minor: 0,
            currency: "IDR".into(),
            acquired_on: None,
            tags: vec![],
            version: 1,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        };
        let patch = AccountPatch {
            version: 1,
            kind: Some(AccountKind::Customer),
            segment: Some(None),
            ..Default::default()
        };
        let changed = account.patched(patch).unwrap();
        assert_eq!(
            (changed.kind, changed.status),
            (AccountKind::Customer, AccountStatus::Active)
        );
        assert_eq!(changed.segment, None);

        // A lead's status moves through the lead flow, not an edit (which would skip the
        // disqualification reason and the history).
        let skip = AccountPatch {
            version: 1,
            status: Some(AccountStatus::Disqualified),
            ..Default::default()
        };
        let refused = account.patched(skip).unwrap_err();
        assert_eq!((refused.field, refused.code), ("status", "transition"));
        let same = AccountPatch {
            version: 1,
            status: Some(AccountStatus::Qualified),
            name: Some("Renamed".into()),
            ..Default::default()
        };
        assert!(account.patched(same).is_ok());
    }
}

/// Accounts described field by field for the API documentation (the OpenAPI document). A test
/// checks these names against [`AccountInput`], so the two cannot drift apart.
pub static ACCOUNT_FIELDS: [crate::resource::Field; 15] = {
    use crate::resource::{Field, FieldType::*};
    [
        Field::new(
            "external_id",
            Text,
            "Id in another system (ERP, import); unique",
        )
        .max_chars(MAX_NAME_CHARS),
        Field::new("name", Text, "Business name")
            .required()
            .max_chars(MAX_NAME_CHARS)
            .sort(),
        Field::new("kind", Text, "customer or prospect (default prospect)")
            .one_of(&["customer", "prospect"])
            .filter(),
        Field::new(
            "status",
            Text,
            "customer: active, at_risk, churned; prospect: new, contacted, qualified, disqualified",
        )
        .one_of(&[
            "active",
            "at_risk",
            "churned",
            "new",
            "contacted",
            "qualified",
            "disqualified",
        ])
        .filter(),
        Field::new("segment", Text, "Market segment")
            .max_chars(MAX_NAME_CHARS)
            .filter(),
        Field::new("address", Text, "Postal address").max_chars(MAX_TEXT_CHARS),
        Field::new("lon", Float, "Longitude, WGS84")
            .required()
            .range(-180.0, 180.0),
        Field::new("lat", Float, "Latitude, WGS84")
            .required()
            .range(-90.0, 90.0),
        Field::new("owner_id", Int, "Owning rep")
            .references("staff")
            .filter(),
        Field::new("territory_id", Int, "Territory")
            .references("territories")
            .filter(),
        Field::new("revenue_minor", Int, "Revenue to date, minor units")
            .range(0.0, 9.0e15)
            .sort(),
        Field::new("cost_to_serve_minor", Int, "Cost to serve, minor units").range(0.0, 9.0e15),
        Field::new("currency", Text, "ISO 4217 code (default IDR)"),
        Field::new("acquired_on", Date, "When the customer was won"),
        Field::new("tags", Json, "Labels (list of text)"),
    ]
};

#[cfg(test)]
mod documentation_tests {
    use super::*;

    #[test]
    fn the_documented_fields_are_exactly_the_input_fields() {
        let input = serde_json::to_value(AccountInput::default()).unwrap();
        let mut actual: Vec<&str> = input
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut documented: Vec<&str> = ACCOUNT_FIELDS.iter().map(|f| f.name).collect();
        actual.sort_unstable();
        documented.sort_unstable();
        assert_eq!(actual, documented);
    }
}

/// One line of an account's timeline (`GET /accounts/{id}/history`, the customer panel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// `activity`, `visit`, `case` or `opportunity`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Kind of activity, visit status, case status or deal stage.
    pub label: String,
    pub title: String,
    pub detail: Option<String>,
    /// An activity's channel; `pipeline`, `case` and `visit` mark the notes the server writes
    /// when a deal's stage or a case's or visit's status changes (see `access::timeline_resource`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// Everything the customer panel shows about one account, in one round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPanel {
    pub account: Account,
    pub owner_name: Option<String>,
    pub territory_name: Option<String>,
    pub contacts: Vec<PanelContact>,
    /// Deals not yet won or lost.
    pub open_deals: Vec<PanelDeal>,
    /// Cases not yet resolved or closed.
    pub open_cases: Vec<PanelCase>,
    pub last_visit: Option<PanelVisit>,
    /// Newest first, at most [`PANEL_HISTORY`] lines.
    pub history: Vec<TimelineEntry>,
}

pub const PANEL_HISTORY: u32 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelContact {
    pub name: String,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelDeal {
    pub title: String,
    pub stage: String,
    pub value_minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelCase {
    pub subject: String,
    pub status: String,
    pub priority: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelVisit {
    pub window_start: DateTime<Utc>,
    pub status: String,
}

/// A field visit as the map draws it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapVisit {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub technician_id: Option<i64>,
    pub lon: f64,
    pub lat: f64,
    pub status: String,
    pub window_start: DateTime<Utc>,
}
