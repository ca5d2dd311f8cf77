//! Declarative CRM resources (contacts, staff, territories, opportunities, activities, cases,
//! visits): each is a table described field by field, and one generic engine validates JSON
//! input against that description, and the server stores, lists, filters and sorts it. A field's
//! type, nullability, allowed values and limits live in one place, so the API, the validation
//! and the OpenAPI document cannot drift apart.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use crate::account::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Int,
    Float,
    /// Any JSON (stored as JSON text in SQLite, JSONB in PostgreSQL).
    Json,
    /// RFC 3339 timestamp, stored in UTC.
    Timestamp,
    /// Calendar date `YYYY-MM-DD`.
    Date,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    /// Must be given on create (and may not be set to null).
    pub required: bool,
    /// May be null. Required fields never are.
    pub nullable: bool,
    /// Value when absent on create (JSON literal).
    pub default: Option<&'static str>,
    /// The closed set of values a text field may take.
    pub one_of: Option<&'static [&'static str]>,
    /// Inclusive numeric bounds (ints and floats).
    pub range: Option<(f64, f64)>,
    /// Longest text, in characters.
    pub max_chars: Option<usize>,
    /// The table an id field refers to.
    pub references: Option<&'static str>,
    /// The referenced row must belong to this record's account (a task's deal is one of its
    /// account's deals), so a record cannot tie in a row from someone else's account.
    pub same_account: bool,
    /// Lists can filter on `?name=value`.
    pub filter: bool,
    /// Lists can sort on it (`?sort=name` / `?sort=-name`).
    pub sort: bool,
    /// May not change after create (e.g. the account a contact belongs to).
    pub immutable: bool,
    pub doc: &'static str,
}

impl Field {
    pub const fn new(name: &'static str, ty: FieldType, doc: &'static str) -> Self {
        Field {
            name,
            ty,
            required: false,
            nullable: true,
            default: None,
            one_of: None,
            range: None,
            max_chars: None,
            references: None,
            same_account: false,
            filter: false,
            sort: false,
            immutable: false,
            doc,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self.nullable = false;
        self
    }
    /// Not null, but has a default when absent.
    pub const fn defaults_to(mut self, json: &'static str) -> Self {
        self.default = Some(json);
        self.nullable = false;
        self
    }
    pub const fn one_of(mut self, values: &'static [&'static str]) -> Self {
        self.one_of = Some(values);
        self
    }
    pub const fn range(mut self, min: f64, max: f64) -> Self {
        self.range = Some((min, max));
        self
    }
    pub const fn max_chars(mut self, n: usize) -> Self {
        self.max_chars = Some(n);
        self
    }
    pub const fn references(mut self, table: &'static str) -> Self {
        self.references = Some(table);
        self
    }

    /// Refers to a row of `table` of the same account as the record (see [`Field::same_account`]).
    pub const fn references_on_same_account(mut self, table: &'static str) -> Self {
        self.references = Some(table);
        self.same_account = true;
        self
    }
    pub const fn filter(mut self) -> Self {
        self.filter = true;
        self
    }
    pub const fn sort(mut self) -> Self {
        self.sort = true;
        self
    }
    pub const fn immutable(mut self) -> Self {
        self.immutable = true;
        self
    }
}

/// A value ready to bind to a SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Json(Value),
    Timestamp(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

/// Checks that need more than one field, or the record before the change (e.g. allowed status
/// transitions). Both maps hold every field (absent ones as null).
pub type RecordCheck =
    fn(new: &Map<String, Value>, old: Option<&Map<String, Value>>) -> Result<(), ValidationError>;

/// For a change worth a line in the account's contact history (a deal moving stage, a case
/// closing): the channel and subject of that line. Gets the record before and after.
pub type HistoryNote =
    fn(old: &Map<String, Value>, new: &Map<String, Value>) -> Option<(&'static str, String)>;

#[derive(Debug)]
pub struct ResourceSpec {
    /// URL segment and table name.
    pub name: &'static str,
    /// Singular, for messages and documentation.
    pub singular: &'static str,
    pub fields: &'static [Field],
    /// Has `version` (optimistic concurrency) and `updated_at`; records without it are
    /// append-only (the contact history).
    pub versioned: bool,
    pub check: Option<RecordCheck>,
    /// Writes a line into the account's history when an update changes something that matters.
    pub history_note: Option<HistoryNote>,
    /// Default sort key when the client gives none.
    pub default_sort: &'static str,
}

impl ResourceSpec {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Validates a create body: every field checked, defaults filled, unknown fields refused.
    /// Returns the full record (every field, nulls included) and the values to write.
    pub fn validate_create(&self, body: &Value) -> Result<Validated, ValidationError> {
        let object = as_object(body)?;
        refuse_unknown(self, object, &[])?;
        let mut record = Map::new();
        for field in self.fields {
            let value = match object.get(field.name) {
                Some(v) => v.clone(),
                None if field.required => {
                    return Err(ValidationError::new(field.name, "is required").because("required"));
                }
                None => match field.default {
                    Some(json) => {
                        serde_json::from_str(json).expect("field defaults are valid JSON")
                    }
                    None => Value::Null,
                },
            };
            record.insert(field.name.to_owned(), value);
        }
        self.finish(record, None)
    }

    /// Validates a patch (a JSON object with `version` and the fields to change) against the
    /// current record; returns the whole new record.
    pub fn validate_patch(
        &self,
        current: &Map<String, Value>,
        patch: &Value,
    ) -> Result<Validated, ValidationError> {
        let object = as_object(patch)?;
        refuse_unknown(self, object, &["version"])?;
        let mut record = Map::new();
        for field in self.fields {
            let value = match object.get(field.name) {
                Some(v) if field.immutable && current.get(field.name) != Some(v) => {
                    return Err(
                        ValidationError::new(field.name, "cannot be changed").because("immutable")
                    );
                }
                Some(v) => v.clone(),
                None => current.get(field.name).cloned().unwrap_or(Value::Null),
            };
            record.insert(field.name.to_owned(), value);
        }
        self.finish(record, Some(current))
    }

    fn finish(
        &self,
        mut record: Map<String, Value>,
        old: Option<&Map<String, Value>>,
    ) -> Result<Validated, ValidationError> {
        let mut values = Vec::with_capacity(self.fields.len());
        for field in self.fields {
            let (normalised, value) =
                convert(field, record.get(field.name).unwrap_or(&Value::Null))?;
            record.insert(field.name.to_owned(), normalised);
            values.push((field, value));
        }
        if let Some(check) = self.check {
            check(&record, old)?;
        }
        Ok(Validated { record, values })
    }
}

/// A body that passed validation.
#[derive(Debug, Clone)]
pub struct Validated {
    /// Every field, normalised (trimmed text, UTC timestamps).
    pub record: Map<String, Value>,
    pub values: Vec<(&'static Field, SqlValue)>,
}

fn as_object(body: &Value) -> Result<&Map<String, Value>, ValidationError> {
    body.as_object()
        .ok_or_else(|| ValidationError::new("body", "expected a JSON object"))
}

fn refuse_unknown(
    spec: &ResourceSpec,
    object: &Map<String, Value>,
    extra: &[&str],
) -> Result<(), ValidationError> {
    for key in object.keys() {
        if spec.field(key).is_none() && !extra.contains(&key.as_str()) {
            let known: Vec<&str> = spec.fields.iter().map(|f| f.name).collect();
            return Err(ValidationError::new(
                "body",
                format!(
                    "unknown field {key:?} for a {}; known fields: {}",
                    spec.singular,
                    known.join(", ")
                ),
            )
            .because("unknown_field")
            .with("field", key));
        }
    }
    Ok(())
}

/// Parses a query-string value for a filter on `field` (same rules as a body value).
pub fn parse_filter(field: &'static Field, text: &str) -> Result<SqlValue, ValidationError> {
    let json = match field.ty {
        FieldType::Int => Value::from(text.parse::<i64>().map_err(|_| {
            ValidationError::new(field.name, "expected a whole number").because("not_whole_number")
        })?),
        FieldType::Float => Value::from(text.parse::<f64>().map_err(|_| {
            ValidationError::new(field.name, "expected a number").because("not_number")
        })?),
        _ => Value::from(text),
    };
    convert(field, &json).map(|(_, v)| v)
}

/// Checks one value against its field and converts it for SQL; returns the normalised JSON too.
fn convert(field: &'static Field, value: &Value) -> Result<(Value, SqlValue), ValidationError> {
    let bad = |code: &'static str, message: String| {
        ValidationError::new(field.name, message).because(code)
    };
    if value.is_null() {
        if !field.nullable {
            return Err(bad("required", "must not be null".into()));
        }
        let null = match field.ty {
            FieldType::Text => SqlValue::Text(None),
            FieldType::Int => SqlValue::Int(None),
            FieldType::Float => SqlValue::Float(None),
            FieldType::Json => SqlValue::Json(Value::Null),
            FieldType::Timestamp => SqlValue::Timestamp(None),
            FieldType::Date => SqlValue::Date(None),
        };
        return Ok((Value::Null, null));
    }
    match field.ty {
        FieldType::Text => {
            let text = value
                .as_str()
                .ok_or_else(|| bad("not_text", "expected text".into()))?
                .trim()
                .to_owned();
            if text.is_empty() {
                if field.required || !field.nullable {
                    return Err(bad("required", "must not be empty".into()));
                }
                return Ok((Value::Null, SqlValue::Text(None)));
            }
            if let Some(max) = field.max_chars
                && text.chars().count() > max
            {
                return Err(
                    bad("too_long", format!("longer than {max} characters")).with("max", max)
                );
            }
            if let Some(allowed) = field.one_of
                && !allowed.contains(&text.as_str())
            {
                return Err(bad(
                    "one_of",
                    format!(
                        "unknown value {text:?}; expected one of: {}",
                        allowed.join(", ")
                    ),
                )
                .with("allowed", allowed.join(", ")));
            }
            Ok((Value::from(text.clone()), SqlValue::Text(Some(text))))
        }
        FieldType::Int => {
            let n = value
                .as_i64()
                .ok_or_else(|| bad("not_whole_number", "expected a whole number".into()))?;
            if let Some((min, max)) = field.range
                && !((min as i64)..=(max as i64)).contains(&n)
            {
                return Err(
                    bad("out_of_range", format!("must be between {min} and {max}"))
                        .with("min", min)
                        .with("max", max),
                );
            }
            if field.references.is_some() && n <= 0 {
                return Err(bad("bad_id", format!("{n} is not a valid id")));
            }
            Ok((Value::from(n), SqlValue::Int(Some(n))))
        }
        FieldType::Float => {
            let x = value
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad("not_number", "expected a finite number".into()))?;
            if let Some((min, max)) = field.range
                && !(min..=max).contains(&x)
            {
                return Err(bad("out_of_range", format!("{x} is outside {min}..={max}"))
                    .with("min", min)
                    .with("max", max));
            }
            Ok((Value::from(x), SqlValue::Float(Some(x))))
        }
        FieldType::Json => Ok((value.clone(), SqlValue::Json(value.clone()))),
        FieldType::Timestamp => {
            let text = value
                .as_str()
                .ok_or_else(|| bad("not_timestamp", "expected an RFC 3339 timestamp".into()))?;
            let t = DateTime::parse_from_rfc3339(text)
                .map_err(|e| {
                    bad(
                        "not_timestamp",
                        format!(
                            "{text:?} is not an RFC 3339 timestamp like 2026-11-23T09:30:00+07:00: {e}"
                        ),
                    )
                })?
                .with_timezone(&Utc);
            Ok((Value::from(t.to_rfc3339()), SqlValue::Timestamp(Some(t))))
        }
        FieldType::Date => {
            let text = value
                .as_str()
                .ok_or_else(|| bad("not_date", "expected a date".into()))?;
            let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                bad(
                    "not_date",
                    format!("{text:?} is not a date like 2026-11-23"),
                )
            })?;
            Ok((Value::from(d.to_string()), SqlValue::Date(Some(d))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static FIELDS: [Field; 5] = [
        Field::new("name", FieldType::Text, "")
            .required()
            .max_chars(5),
        Field::new("stage", FieldType::Text, "")
            .defaults_to("\"lead\"")
            .one_of(&["lead", "won"]),
        Field::new("owner_id", FieldType::Int, "")
            .references("staff")
            .filter(),
        Field::new("lat", FieldType::Float, "").range(-90.0, 90.0),
        Field::new("due", FieldType::Timestamp, ""),
    ];
    static SPEC: ResourceSpec = ResourceSpec {
        name: "things",
        singular: "thing",
        fields: &FIELDS,
        versioned: true,
        check: None,
        history_note: None,
        default_sort: "id",
    };

    #[test]
    fn each_broken_rule_names_its_code_and_the_parameters_it_promises() {
        let cases = [
            (json!({}), "name", "required"),
            (json!({"name": "toolong"}), "name", "too_long"),
            (json!({"name": "ab", "stage": "lost"}), "stage", "one_of"),
            (json!({"name": "ab", "lat": 91.5}), "lat", "out_of_range"),
            (
                json!({"name": "ab", "owner_id": "x"}),
                "owner_id",
                "not_whole_number",
            ),
            (json!({"name": "ab", "owner_id": -1}), "owner_id", "bad_id"),
            (json!({"name": "ab", "due": "soon"}), "due", "not_timestamp"),
            (
                json!({"name": "ab", "colour": "red"}),
                "body",
                "unknown_field",
            ),
        ];
        for (body, field, code) in cases {
            let err = SPEC.validate_create(&body).unwrap_err();
            assert_eq!((err.field, err.code), (field, code), "{body}");
            let (_, promised) = crate::account::ERROR_CODES
                .iter()
                .find(|(c, _)| *c == code)
                .unwrap_or_else(|| panic!("{code} is not in ERROR_CODES"));
            let sent: Vec<&str> = err.params.keys().copied().collect();
            let mut promised = promised.to_vec();
            promised.sort_unstable();
            assert_eq!(sent, promised, "{code}");
        }
    }

    #[test]
    fn create_fills_defaults_and_normalises() {
        let v = SPEC
            .validate_create(&json!({"name": " ab ", "due": "2026-11-23T09:30:00+07:00"}))
            .unwrap();
        assert_eq!(v.record["name"], "ab");
        assert_eq!(v.record["stage"], "lead");
        assert_eq!(v.record["owner_id"], Value::Null);
        assert_eq!(v.record["due"], "2026-11-23T02:30:00+00:00");
    }

    #[test]
    fn every_rule_names_its_field() {
        for (body, field) in [
            (json!({}), "name"),
            (json!({"name": ""}), "name"),
            (json!({"name": "toolong"}), "name"),
            (json!({"name": "a", "stage": "closed"}), "stage"),
            (json!({"name": "a", "stage": null}), "stage"),
            (json!({"name": "a", "owner_id": 0}), "owner_id"),
            (json!({"name": "a", "owner_id": "3"}), "owner_id"),
            (json!({"name": "a", "lat": 91.0}), "lat"),
            (json!({"name": "a", "due": "tomorrow"}), "due"),
            (json!({"name": "a", "colour": "red"}), "body"),
            (json!([1, 2]), "body"),
        ] {
            assert_eq!(
                SPEC.validate_create(&body).unwrap_err().field,
                field,
                "{body}"
            );
        }
    }

    #[test]
    fn patches_merge_into_the_current_record() {
        let current = SPEC
            .validate_create(&json!({"name": "a", "owner_id": 4}))
            .unwrap()
            .record;
        let v = SPEC
            .validate_patch(
                &current,
                &json!({"version": 1, "stage": "won", "owner_id": null}),
            )
            .unwrap();
        assert_eq!(v.record["name"], "a");
        assert_eq!(v.record["stage"], "won");
        assert_eq!(v.record["owner_id"], Value::Null);
        assert_eq!(
            SPEC.validate_patch(&current, &json!({"version": 1, "name": null}))
                .unwrap_err()
                .field,
            "name"
        );
    }

    #[test]
    fn filters_parse_by_field_type() {
        let owner = SPEC.field("owner_id").unwrap();
        assert_eq!(parse_filter(owner, "7").unwrap(), SqlValue::Int(Some(7)));
        assert_eq!(parse_filter(owner, "x").unwrap_err().field, "owner_id");
        let stage = SPEC.field("stage").unwrap();
        assert_eq!(
            parse_filter(stage, "won").unwrap(),
            SqlValue::Text(Some("won".into()))
        );
        assert!(parse_filter(stage, "lost").is_err());
    }
}
