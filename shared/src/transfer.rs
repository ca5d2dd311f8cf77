//! Import and export of accounts (CSV and GeoJSON), territories (GeoJSON) and the records of any
//! generic resource (CSV, e.g. the product catalogue): reading files, validating every row, and
//! writing files that read back to the same records. The CSV reader (`read_csv`) and the row
//! errors serve the order-history import too (`sales::history`). Pure: the server does the
//! database part (references, uniqueness against stored rows, the transaction).
//!
//! **Row numbers** are 1-based and count data only. In a CSV file the header is not counted: row 1
//! is the first record after the header (line 2 of a file without multi-line cells). In GeoJSON,
//! row N is the Nth feature of the collection. Errors about the file as a whole (unreadable JSON,
//! a bad header) carry no row.
//!
//! A file is read to the end and every broken row is reported (up to [`MAX_ERRORS`]), so a user
//! can fix them all in one go; one bad row makes the whole file fail.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::account::{Account, AccountInput, MAX_NAME_CHARS, ValidAccount, ValidationError};
use crate::geocode::GeocodeHit;
use crate::geojson::parse_area;
use crate::resource::{Field, FieldType, ResourceSpec, Validated};

/// Most errors one import reports; at the next one it stops reading and says there were more.
pub const MAX_ERRORS: usize = 100;

/// The columns of an accounts CSV file (and, less `lon`/`lat`, the properties of a GeoJSON
/// feature), in the order exports write them: the fields of [`AccountInput`].
pub const ACCOUNT_COLUMNS: [&str; 15] = [
    "external_id",
    "name",
    "kind",
    "status",
    "segment",
    "address",
    "lon",
    "lat",
    "owner_id",
    "territory_id",
    "revenue_minor",
    "cost_to_serve_minor",
    "currency",
    "acquired_on",
    "tags",
];

/// Columns a CSV file must have; every other column may be left out (its default applies).
pub const REQUIRED_COLUMNS: [&str; 3] = ["name", "lon", "lat"];

/// Columns a CSV file with an `address` column must have: rows without lon/lat are placed by
/// their address (the offline gazetteer, [`crate::geocode`]).
pub const REQUIRED_WITH_ADDRESS: [&str; 2] = ["name", "address"];

/// Whether the header row of CSV `data` names an `address` column.
fn has_address_column(data: &[u8]) -> bool {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    csv::ReaderBuilder::new()
        .from_reader(data)
        .headers()
        .is_ok_and(|h| h.iter().any(|c| c.trim().eq_ignore_ascii_case("address")))
}

/// Properties of a territory feature.
pub const TERRITORY_PROPERTIES: [&str; 2] = ["name", "owner_id"];

/// Separates tags inside one CSV cell; a `\` before `;` or `\` keeps it literal.
pub const TAG_SEPARATOR: char = ';';

/// The file formats accounts travel in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    GeoJson,
}

impl Format {
    pub const KEYS: &'static [&'static str] = &["csv", "geojson"];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
        }
    }

    /// The media type of an export in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::GeoJson => "application/geo+json",
        }
    }

    /// The format a media type names (`text/csv`, `application/geo+json`, `application/json`),
    /// ignoring parameters such as `charset`.
    pub fn from_media_type(media_type: &str) -> Option<Format> {
        let essence = media_type.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Format::Csv),
            "application/geo+json" | "application/json" => Some(Format::GeoJson),
            _ => None,
        }
    }

    /// The format a file name suggests (`.csv`, `.geojson`, `.json`).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "geojson" | "json" => Some(Format::GeoJson),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" => Ok(Format::Csv),
            "geojson" => Ok(Format::GeoJson),
            other => Err(ValidationError::new(
                "format",
                format!(
                    "unknown format {other:?}; expected one of: {}",
                    Format::KEYS.join(", ")
                ),
            )),
        }
    }
}

/// One problem in an imported file: the row (none for the file as a whole), the field (a column
/// or property name, when one is at fault) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Cow<'static, str>>,
    #[serde(rename = "error")]
    pub message: String,
    /// The rule broken, as [`ValidationError::code`] (`invalid` when it has no code of its own).
    pub code: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<&'static str, String>,
}

impl RowError {
    pub fn at(row: usize, field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            row: Some(row),
            field: Some(field.into()),
            message: message.into(),
            code: "invalid",
            params: BTreeMap::new(),
        }
    }

    /// A problem with the file as a whole, or its header.
    pub fn file(field: Option<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            field,
            message: message.into(),
            code: "invalid",
            params: BTreeMap::new(),
        }
    }

    pub fn validation(row: usize, e: ValidationError) -> Self {
        Self {
            code: e.code,
            params: e.params,
            ..Self::at(row, e.field, e.message)
        }
    }

    /// A problem of the file as a whole that breaks a rule with a code.
    pub fn file_rule(e: ValidationError) -> Self {
        Self {
            code: e.code,
            params: e.params,
            ..Self::file(Some(e.field.into()), e.message)
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, &self.field) {
            (Some(row), Some(field)) => write!(f, "row {row}, {field}: {}", self.message),
            (Some(row), None) => write!(f, "row {row}: {}", self.message),
            (None, Some(field)) => write!(f, "{field}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Every error an import found (at most [`MAX_ERRORS`]; `more` says some were left out).
/// Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowErrors {
    pub errors: Vec<RowError>,
    pub more: bool,
}

impl RowErrors {
    pub fn single(error: RowError) -> Self {
        Self {
            errors: vec![error],
            more: false,
        }
    }

    pub fn push(&mut self, error: RowError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        } else {
            self.more = true;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when nothing was found, the errors otherwise.
    pub fn or_ok<T>(self, value: T) -> Result<T, RowErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for RowErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        if self.more {
            write!(f, "\n(more errors left out after the first {MAX_ERRORS})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RowErrors {}

/// A valid account read from row `row` of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub row: usize,
    pub account: ValidAccount,
    /// Where the position came from when the row gave an address and no lon/lat.
    pub geocoded: Option<GeocodeHit>,
}

/// Reports how far reading has come: `(done, total)` in the unit the reader counts (bytes of a
/// CSV file, features of a GeoJSON file).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// One cell or property as the file holds it.
#[derive(Clone, Copy)]
pub(crate) enum Raw<'a> {
    Missing,
    Text(&'a str),
    Json(&'a Value),
}

impl Raw<'_> {
    /// The cell as text; empty and `null` are absent.
    pub(crate) fn string(self) -> Result<Option<String>, String> {
        let text = match self {
            Raw::Missing | Raw::Json(Value::Null) => return Ok(None),
            Raw::Text(s) => s.to_owned(),
            Raw::Json(Value::String(s)) => s.clone(),
            Raw::Json(Value::Number(n)) => n.to_string(),
            Raw::Json(other) => return Err(format!("expected text or a number, found {other}")),
        };
        Ok(Some(text).filter(|t| !t.trim().is_empty()))
    }

    /// The cell parsed as a `T` (a number, an enum value, a date); empty is absent.
    pub(crate) fn parse<T: FromStr>(self, what: &str) -> Result<Option<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        match self.string()? {
            None => Ok(None),
            Some(text) => {
                let text = text.trim();
                text.parse()
                    .map(Some)
                    .map_err(|e| format!("{text:?} is not {what}: {e}"))
            }
        }
    }

    fn tags(self) -> Result<Vec<String>, String> {
        match self {
            Raw::Missing | Raw::Json(Value::Null) => Ok(Vec::new()),
            Raw::Text(s) => Ok(split_tags(s)),
            Raw::Json(Value::Array(items)) => items
                .iter()
                .map(|t| match t {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!("a tag must be text, found {other}")),
                })
                .collect(),
            Raw::Json(other) => Err(format!("expected an array of tags, found {other}")),
        }
    }
}

/// What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a text cell needs [`guard_formula`]: it starts like a formula, or with the apostrophe
/// of an already guarded one (so reading it back cannot lose that apostrophe).
fn needs_guard(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS) || text.strip_prefix('\'').is_some_and(needs_guard)
}

/// A text cell as written to CSV: one leading apostrophe when a spreadsheet would otherwise run
/// it as a formula (`=HYPERLINK(...)` in a customer's name). [`unguard_formula`] undoes it.
pub fn guard_formula(text: &str) -> String {
    if needs_guard(text) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A CSV cell as read: the apostrophe [`guard_formula`] added is dropped.
pub fn unguard_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// Splits a CSV tags cell at unescaped `;`; `\;` and `\\` stand for `;` and `\`. Blank pieces
/// (e.g. a trailing `;`) are dropped.
pub fn split_tags(cell: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut current = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.push(chars.next().unwrap_or('\\')),
            TAG_SEPARATOR => tags.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    tags.push(current);
    tags.retain(|t| !t.trim().is_empty());
    tags
}

/// The tags cell [`split_tags`] reads back to `tags`.
pub fn join_tags(tags: &[String]) -> String {
    let escaped: Vec<String> = tags
        .iter()
        .map(|t| t.replace('\\', "\\\\").replace(TAG_SEPARATOR, "\\;"))
        .collect();
    escaped.join(";")
}

/// The fields of one row as they are read: every unreadable field is recorded, so a row with
/// several mistakes reports them all.
pub(crate) struct Fields {
    row: usize,
    errors: Vec<RowError>,
}

impl Fields {
    pub(crate) fn new(row: usize) -> Self {
        Self {
            row,
            errors: Vec::new(),
        }
    }

    pub(crate) fn fail(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.push(RowError::at(self.row, field, message));
    }

    /// Records a broken rule with its code and parameters.
    pub(crate) fn fail_rule(&mut self, rule: ValidationError) {
        self.errors.push(RowError::validation(self.row, rule));
    }

    /// The value, or its default after recording why it could not be read.
    pub(crate) fn take<T: Default>(&mut self, field: &'static str, value: Result<T, String>) -> T {
        value.unwrap_or_else(|message| {
            self.fail(field, message);
            T::default()
        })
    }

    /// A value the row must have.
    pub(crate) fn required<T: Default>(
        &mut self,
        field: &'static str,
        value: Result<Option<T>, String>,
    ) -> T {
        match value {
            Ok(Some(v)) => v,
            Ok(None) => {
                self.fail(field, "is required");
                T::default()
            }
            Err(message) => {
                self.fail(field, message);
                T::default()
            }
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<RowError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.errors)
        }
    }
}

/// Reads the fields of one account through `get`, collecting every unreadable field of the row
/// before validating the whole; returns the valid account or the row's errors.
fn read_account<'a>(
    row: usize,
    get: impl Fn(&'static str) -> Raw<'a>,
) -> Result<ImportRow, Vec<RowError>> {
    let mut f = Fields::new(row);
    let address: Option<String> = f.take("address", get("address").string());
    let (lon, lat, geocoded) = match (get("lon").parse("a number"), get("lat").parse("a number")) {
        (Ok(None), Ok(None)) if address.is_some() => {
            match crate::geocode::geocode(address.as_deref().unwrap_or_default()) {
                Some(hit) => (hit.lon, hit.lat, Some(hit)),
                None => {
                    f.fail_rule(
                        ValidationError::new(
                            "address",
                            "names no place the gazetteer knows; give lon and lat",
                        )
                        .because("no_place"),
                    );
                    (0.0, 0.0, None)
                }
            }
        }
        (lon, lat) => (f.required("lon", lon), f.required("lat", lat), None),
    };
    let input = AccountInput {
        external_id: f.take("external_id", get("external_id").string()),
        name: f.take("name", get("name").string()).unwrap_or_default(),
        kind: f.take("kind", get("kind").parse("a kind")),
        status: f.take("status", get("status").parse("a status")),
        segment: f.take("segment", get("segment").string()),
        address,
        lon,
        lat,
        owner_id: f.take("owner_id", get("owner_id").parse("an id")),
        territory_id: f.take("territory_id", get("territory_id").parse("an id")),
        revenue_minor: f.take(
            "revenue_minor",
            get("revenue_minor").parse("a whole number"),
        ),
        cost_to_serve_minor: f.take(
            "cost_to_serve_minor",
            get("cost_to_serve_minor").parse("a whole number"),
        ),
        currency: f.take("currency", get("currency").string()),
        acquired_on: f.take(
            "acquired_on",
            get("acquired_on").parse("a date (YYYY-MM-DD)"),
        ),
        tags: f.take("tags", get("tags").tags()),
    };
    let account = f
        .finish(input)?
        .validate()
        .map_err(|e| vec![RowError::validation(row, e)])?;
    Ok(ImportRow {
        row,
        account,
        geocoded,
    })
}

/// Collects valid rows and errors, and refuses a value that must be unique within the file when
/// an earlier row already had it, naming both rows.
struct Collector<T> {
    rows: Vec<T>,
    errors: RowErrors,
    seen: HashMap<String, usize>,
    unique_field: &'static str,
}

impl<T> Collector<T> {
    fn new(unique_field: &'static str) -> Self {
        Self {
            rows: Vec::new(),
            errors: RowErrors::default(),
            seen: HashMap::new(),
            unique_field,
        }
    }

    fn add(
        &mut self,
        row: usize,
        result: Result<T, Vec<RowError>>,
        key: impl Fn(&T) -> Option<&str>,
    ) {
        match result {
            Ok(item) => {
                if let Some(key) = key(&item) {
                    if let Some(first) = self.seen.get(key) {
                        self.errors.push(RowError::at(
                            row,
                            self.unique_field,
                            format!(
                                "{key:?} is also in row {first}; each must be unique in the file"
                            ),
                        ));
                        return;
                    }
                    self.seen.insert(key.to_owned(), row);
                }
                self.rows.push(item);
            }
            Err(errors) => errors.into_iter().for_each(|e| self.errors.push(e)),
        }
    }

    fn finish(self) -> Result<Vec<T>, RowErrors> {
        self.errors.or_ok(self.rows)
    }
}

fn account_collector() -> Collector<ImportRow> {
    Collector::new("external_id")
}

fn external_id(row: &ImportRow) -> Option<&str> {
    row.account.external_id.as_deref()
}

/// The position of each known column in a CSV header, refusing unknown, repeated and missing
/// required columns (all named).
fn header_columns(
    header: &csv::StringRecord,
    known: &[&'static str],
    required: &[&'static str],
) -> Result<Vec<&'static str>, RowErrors> {
    let mut errors = RowErrors::default();
    let mut columns = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    for name in header {
        let name = name.trim();
        match known.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            Some(column) if columns.contains(column) => errors.push(RowError::file(
                Some(Cow::Borrowed(column)),
                format!("column {column:?} appears twice in the header"),
            )),
            Some(column) => columns.push(*column),
            None => {
                unknown.push(format!("{name:?}"));
                columns.push("");
            }
        }
    }
    if !unknown.is_empty() {
        errors.push(RowError::file(
            Some(Cow::Owned(unknown.join(", ").replace('"', ""))),
            format!(
                "unknown column(s) {}; the columns are: {}",
                unknown.join(", "),
                known.join(", ")
            ),
        ));
    }
    let missing: Vec<&str> = required
        .iter()
        .filter(|c| !columns.contains(c))
        .copied()
        .collect();
    if !missing.is_empty() {
        errors.push(RowError::file(
            Some(Cow::Owned(missing.join(", "))),
            format!("missing required column(s): {}", missing.join(", ")),
        ));
    }
    errors.or_ok(columns)
}

/// The cells of one CSV record, found by column name.
pub(crate) struct Cells<'r> {
    columns: &'r [&'static str],
    record: &'r csv::StringRecord,
}

impl<'r> Cells<'r> {
    /// The cell of `column` (the guard apostrophe of [`guard_formula`] dropped), or missing when
    /// the file has no such column.
    pub(crate) fn get(&self, column: &'static str) -> Raw<'r> {
        self.columns
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.record.get(i))
            .map_or(Raw::Missing, |cell| Raw::Text(unguard_formula(cell)))
    }

    /// Whether the file has this column at all.
    pub(crate) fn has(&self, column: &'static str) -> bool {
        self.columns.contains(&column)
    }

    /// The cell of `column` trimmed, without copying it; empty or missing is `None`.
    pub(crate) fn text(&self, column: &'static str) -> Option<&'r str> {
        match self.get(column) {
            Raw::Text(text) => Some(text.trim()).filter(|t| !t.is_empty()),
            _ => None,
        }
    }
}

/// Reads CSV text with a header row of `known` columns (`required` among them; a byte-order mark
/// and any letter case are fine) and calls `each` with every record's row number (see the module
/// docs) and its cells, or the reason it is unreadable (a ragged row). Stops when `each` answers
/// false, or at an I/O error. A bad header is the only error returned here.
pub(crate) fn read_csv(
    data: &[u8],
    known: &[&'static str],
    required: &[&'static str],
    progress: Progress,
    mut each: impl FnMut(usize, Result<Cells<'_>, RowError>) -> bool,
) -> Result<(), RowErrors> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let total = data.len() as u64;
    let mut reader = csv::ReaderBuilder::new().from_reader(data);
    let header = reader.headers().map_err(|e| {
        RowErrors::single(RowError::file(
            None,
            format!("cannot read the header row: {e}"),
        ))
    })?;
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(RowErrors::single(RowError::file(
            None,
            format!("the file has no header row; expected: {}", known.join(",")),
        )));
    }
    let columns = header_columns(header, known, required)?;
    let mut record = csv::StringRecord::new();
    let mut row = 0;
    loop {
        let more = reader.read_record(&mut record);
        progress(reader.position().byte(), total);
        let keep_going = match more {
            Ok(false) => break,
            Ok(true) => {
                row += 1;
                let cells = Cells {
                    columns: &columns,
                    record: &record,
                };
                each(row, Ok(cells))
            }
            Err(e) => {
                row += 1;
                let io = matches!(e.kind(), csv::ErrorKind::Io(_));
                let error = RowError {
                    field: None,
                    code: "unreadable",
                    ..RowError::at(row, "", format!("unreadable CSV: {e}"))
                };
                each(row, Err(error)) && !io
            }
        };
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// Reads accounts from CSV text with a header row (see the module docs for row numbers).
pub fn accounts_from_csv(data: &[u8], progress: Progress) -> Result<Vec<ImportRow>, RowErrors> {
    let mut collector = account_collector();
    let required: &[&'static str] = if has_address_column(data) {
        &REQUIRED_WITH_ADDRESS
    } else {
        &REQUIRED_COLUMNS
    };
    read_csv(data, &ACCOUNT_COLUMNS, required, progress, |row, cells| {
        match cells {
            Ok(cells) => collector.add(
                row,
                read_account(row, |field| cells.get(field)),
                external_id,
            ),
            Err(error) => collector.errors.push(error),
        }
        !collector.errors.more
    })?;
    collector.finish()
}

/// The features of a GeoJSON FeatureCollection, or why the text is not one.
fn features(data: &[u8]) -> Result<Vec<Value>, RowErrors> {
    let not_collection = |detail: String| {
        RowErrors::single(RowError::file(
            None,
            format!("not a GeoJSON FeatureCollection: {detail}"),
        ))
    };
    let value: Value = serde_json::from_slice(data).map_err(|e| not_collection(e.to_string()))?;
    let Value::Object(mut collection) = value else {
        return Err(not_collection("expected a JSON object".into()));
    };
    if collection.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(not_collection(
            r#"its "type" must be "FeatureCollection""#.into(),
        ));
    }
    match collection.remove("features") {
        Some(Value::Array(features)) => Ok(features),
        _ => Err(not_collection(r#"it needs a "features" array"#.into())),
    }
}

/// A feature's geometry (none: placed by its address) and properties.
type FeatureParts<'a> = (Option<&'a Value>, &'a Map<String, Value>);

/// A feature's geometry and properties, refusing properties other than `allowed` (all named).
/// The geometry may be missing only where `allowed` has `address` and the feature gives one.
fn feature_parts<'a>(
    row: usize,
    feature: &'a Value,
    allowed: &[&str],
) -> Result<FeatureParts<'a>, Vec<RowError>> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let fail = |field: &'static str, message: String| Err(vec![RowError::at(row, field, message)]);
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        return fail(
            "type",
            r#"each item of "features" must be a "Feature""#.into(),
        );
    }
    let properties = match feature.get("properties") {
        None | Some(Value::Null) => EMPTY.get_or_init(Map::new),
        Some(Value::Object(p)) => p,
        Some(_) => return fail("properties", "properties must be an object".into()),
    };
    let geometry = feature.get("geometry").filter(|g| !g.is_null());
    // An account with an address may leave its position to the geocoder.
    let optional = allowed.contains(&"address")
        && properties
            .get("address")
            .and_then(Value::as_str)
            .is_some_and(|a| !a.trim().is_empty());
    if geometry.is_none() && !optional {
        return fail("geometry", "the feature has no geometry".into());
    }
    let unknown: Vec<&str> = properties
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(vec![RowError::at(
            row,
            unknown.join(", "),
            format!(
                "unknown propert{} {}; the properties are: {}",
                if unknown.len() == 1 { "y" } else { "ies" },
                unknown.join(", "),
                allowed.join(", ")
            ),
        )]);
    }
    Ok((geometry, properties))
}

/// The longitude and latitude of a Point geometry.
fn point(row: usize, geometry: &Value) -> Result<[&Value; 2], Vec<RowError>> {
    let fail = |message: &str| Err(vec![RowError::at(row, "geometry", message.to_owned())]);
    if geometry.get("type").and_then(Value::as_str) != Some("Point") {
        return fail("an account's geometry must be a Point");
    }
    match geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([lon, lat, ..]) => Ok([lon, lat]),
        _ => fail("a Point needs coordinates [longitude, latitude]"),
    }
}

/// Account properties: the CSV columns less `lon` and `lat` (they come from the geometry).
fn account_properties() -> Vec<&'static str> {
    ACCOUNT_COLUMNS
        .into_iter()
        .filter(|c| !matches!(*c, "lon" | "lat"))
        .collect()
}

/// Reads accounts from a GeoJSON FeatureCollection of Point features whose properties are the
/// account fields (row N = feature N, 1-based).
pub fn accounts_from_geojson(data: &[u8], progress: Progress) -> Result<Vec<ImportRow>, RowErrors> {
    let features = features(data)?;
    let allowed = account_properties();
    let total = features.len() as u64;
    let mut collector = account_collector();
    for (i, feature) in features.iter().enumerate() {
        if collector.errors.more {
            break;
        }
        let row = i + 1;
        let account = feature_parts(row, feature, &allowed).and_then(|(geometry, properties)| {
            // No geometry: the position comes from the address.
            let [lon, lat] = match geometry {
                Some(geometry) => point(row, geometry)?.map(Raw::Json),
                None => [Raw::Missing, Raw::Missing],
            };
            read_account(row, |field| match field {
                "lon" => lon,
                "lat" => lat,
                other => properties.get(other).map_or(Raw::Missing, Raw::Json),
            })
        });
        collector.add(row, account, external_id);
        progress(row as u64, total);
    }
    collector.finish()
}

/// Reads accounts in `format`.
pub fn read_accounts(
    format: Format,
    data: &[u8],
    progress: Progress,
) -> Result<Vec<ImportRow>, RowErrors> {
    match format {
        Format::Csv => accounts_from_csv(data, progress),
        Format::GeoJson => accounts_from_geojson(data, progress),
    }
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// CSV text of a header and rows (in memory, so writing cannot fail).
pub fn write_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = |record: &[String]| {
        writer
            .write_record(record)
            .expect("writing CSV into memory cannot fail");
    };
    write(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for row in rows {
        write(&row);
    }
    writer
        .into_inner()
        .expect("flushing CSV into memory cannot fail")
}

/// Accounts as CSV with a header row of [`ACCOUNT_COLUMNS`]; [`accounts_from_csv`] reads it back
/// to the same accounts (less ids, versions and timestamps).
pub fn accounts_to_csv(accounts: &[Account]) -> Vec<u8> {
    write_csv(
        &ACCOUNT_COLUMNS,
        accounts.iter().map(|a| {
            vec![
                guard_formula(&optional(a.external_id.as_ref())),
                guard_formula(&a.name),
                a.kind.to_string(),
                a.status.to_string(),
                guard_formula(&optional(a.segment.as_ref())),
                guard_formula(&optional(a.address.as_ref())),
                a.lon.to_string(),
                a.lat.to_string(),
                optional(a.owner_id),
                optional(a.territory_id),
                a.revenue_minor.to_string(),
                a.cost_to_serve_minor.to_string(),
                guard_formula(&a.currency),
                optional(a.acquired_on),
                guard_formula(&join_tags(&a.tags)),
            ]
        }),
    )
}

/// A valid record of a generic resource read from row `row` of a file.
#[derive(Debug, Clone)]
pub struct RecordRow {
    pub row: usize,
    pub record: Validated,
}

/// A CSV cell as the JSON value the resource engine validates: numbers for number fields,
/// JSON for JSON fields, text otherwise.
fn cell_value(field: &Field, text: &str) -> Result<Value, String> {
    match field.ty {
        FieldType::Int => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not a whole number")),
        FieldType::Float => text
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not a number")),
        FieldType::Json => serde_json::from_str(text).map_err(|e| format!("not JSON: {e}")),
        FieldType::Text | FieldType::Date | FieldType::Timestamp => Ok(Value::from(text)),
    }
}

/// Reads records of a generic resource (products, price lists, …) from CSV whose columns are
/// the resource's fields (its required fields required; an empty cell takes the default), each
/// row validated by the resource's own rules as a create would be. `unique` names a field no two
/// rows may share (e.g. `sku`). Row numbers as for accounts; every bad row reported.
pub fn records_from_csv(
    spec: &'static ResourceSpec,
    unique: Option<&'static str>,
    data: &[u8],
    progress: Progress,
) -> Result<Vec<RecordRow>, RowErrors> {
    let columns: Vec<&'static str> = spec.fields.iter().map(|f| f.name).collect();
    let required: Vec<&'static str> = spec
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let mut collector = Collector::new(unique.unwrap_or(""));
    read_csv(data, &columns, &required, progress, |row, cells| {
        let cells = match cells {
            Ok(cells) => cells,
            Err(error) => {
                collector.errors.push(error);
                return !collector.errors.more;
            }
        };
        let mut f = Fields::new(row);
        let mut body = Map::new();
        for field in spec.fields {
            if let Some(text) = cells.text(field.name) {
                match cell_value(field, text) {
                    Ok(value) => {
                        body.insert(field.name.to_owned(), value);
                    }
                    Err(message) => f.fail(field.name, message),
                }
            }
        }
        let result = f.finish(()).and_then(|()| {
            spec.validate_create(&Value::Object(body))
                .map(|record| RecordRow { row, record })
                .map_err(|e| vec![RowError::validation(row, e)])
        });
        collector.add(row, result, |r: &RecordRow| {
            unique
                .and_then(|u| r.record.record.get(u))
                .and_then(Value::as_str)
        });
        !collector.errors.more
    })?;
    collector.finish()
}

/// Records of a generic resource as CSV with its fields as columns (ids and versions left
/// out); [`records_from_csv`] reads it back to the same records.
pub fn records_to_csv(spec: &ResourceSpec, records: &[Map<String, Value>]) -> Vec<u8> {
    let columns: Vec<&str> = spec.fields.iter().map(|f| f.name).collect();
    write_csv(
        &columns,
        records.iter().map(|record| {
            spec.fields
                .iter()
                .map(|f| match record.get(f.name) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(text)) => guard_formula(text),
                    Some(Value::Number(n)) => n.to_string(),
                    Some(other) => guard_formula(&other.to_string()),
                })
                .collect()
        }),
    )
}

fn feature_collection(features: Vec<Value>) -> String {
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

/// Accounts as a GeoJSON FeatureCollection of Points (the feature `id` is the account id, which
/// an import ignores); [`accounts_from_geojson`] reads it back to the same accounts.
pub fn accounts_to_geojson(accounts: &[Account]) -> String {
    feature_collection(
        accounts
            .iter()
            .map(|a| {
                json!({
                    "type": "Feature",
                    "id": a.id,
                    "geometry": { "type": "Point", "coordinates": [a.lon, a.lat] },
                    "properties": {
                        "external_id": a.external_id,
                        "name": a.name,
                        "kind": a.kind,
                        "status": a.status,
                        "segment": a.segment,
                        "address": a.address,
                        "owner_id": a.owner_id,
                        "territory_id": a.territory_id,
                        "revenue_minor": a.revenue_minor,
                        "cost_to_serve_minor": a.cost_to_serve_minor,
                        "currency": a.currency,
                        "acquired_on": a.acquired_on,
                        "tags": a.tags,
                    },
                })
            })
            .collect(),
    )
}

/// Writes accounts in `format`.
pub fn write_accounts(format: Format, accounts: &[Account]) -> Vec<u8> {
    match format {
        Format::Csv => accounts_to_csv(accounts),
        Format::GeoJson => accounts_to_geojson(accounts).into_bytes(),
    }
}

/// A territory as stored: its geometry is a GeoJSON Polygon or MultiPolygon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Territory {
    pub id: i64,
    pub name: String,
    pub owner_id: Option<i64>,
    pub geometry: Value,
    pub version: i64,
}

/// A valid territory read from feature `row` of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct TerritoryRow {
    pub row: usize,
    pub name: String,
    pub owner_id: Option<i64>,
    /// The feature's geometry as given (a Polygon or MultiPolygon that passed validation).
    pub geometry: Value,
}

fn read_territory(row: usize, feature: &Value) -> Result<TerritoryRow, Vec<RowError>> {
    let (geometry, properties) = feature_parts(row, feature, &TERRITORY_PROPERTIES)?;
    let Some(geometry) = geometry else {
        return Err(vec![RowError::at(
            row,
            "geometry",
            "the feature has no geometry",
        )]);
    };
    let get = |field: &str| properties.get(field).map_or(Raw::Missing, Raw::Json);
    let mut f = Fields::new(row);
    let name: String = f.required("name", get("name").string());
    let name = name.trim().to_owned();
    if name.chars().count() > MAX_NAME_CHARS {
        f.fail("name", format!("longer than {MAX_NAME_CHARS} characters"));
    }
    let owner_id: Option<i64> = f.take("owner_id", get("owner_id").parse("an id"));
    if let Some(id) = owner_id.filter(|id| *id <= 0) {
        f.fail("owner_id", format!("{id} is not a valid id"));
    }
    let is_area = matches!(
        geometry.get("type").and_then(Value::as_str),
        Some("Polygon" | "MultiPolygon")
    );
    if !is_area {
        f.fail(
            "geometry",
            "a territory's geometry must be a Polygon or MultiPolygon",
        );
    } else if let Err(e) = parse_area(&geometry.to_string(), "geometry") {
        f.fail("geometry", e.message);
    }
    f.finish(TerritoryRow {
        row,
        name,
        owner_id,
        geometry: geometry.clone(),
    })
}

/// Reads territories from a GeoJSON FeatureCollection of Polygon / MultiPolygon features with
/// properties `name` (required, unique in the file) and `owner_id` (optional).
pub fn territories_from_geojson(
    data: &[u8],
    progress: Progress,
) -> Result<Vec<TerritoryRow>, RowErrors> {
    let features = features(data)?;
    let total = features.len() as u64;
    let mut collector = Collector::new("name");
    let mut budget = crate::geojson::VertexBudget::new();
    for (i, feature) in features.iter().enumerate() {
        if collector.errors.more {
            break;
        }
        let row = i + 1;
        let sized = feature
            .get("geometry")
            .map_or(Ok(()), |g| budget.take_geojson(g, "geometry"));
        if let Err(e) = sized {
            return Err(RowErrors::single(RowError::validation(row, e)));
        }
        collector.add(row, read_territory(row, feature), |t: &TerritoryRow| {
            Some(t.name.as_str())
        });
        progress(row as u64, total);
    }
    collector.finish()
}

/// Territories as a GeoJSON FeatureCollection (feature `id` = territory id, ignored by imports);
/// [`territories_from_geojson`] reads it back.
pub fn territories_to_geojson(territories: &[Territory]) -> String {
    feature_collection(
        territories
            .iter()
            .map(|t| {
                json!({
                    "type": "Feature",
                    "id": t.id,
                    "geometry": t.geometry,
                    "properties": { "name": t.name, "owner_id": t.owner_id },
                })
            })
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::domain::{AccountKind, AccountStatus};

    fn csv(text: &str) -> Result<Vec<ImportRow>, RowErrors> {
        accounts_from_csv(text.as_bytes(), &mut |_, _| {})
    }

    fn geojson(value: Value) -> Result<Vec<ImportRow>, RowErrors> {
        accounts_from_geojson(value.to_string().as_bytes(), &mut |_, _| {})
    }

    fn territories(value: Value) -> Result<Vec<TerritoryRow>, RowErrors> {
        territories_from_geojson(value.to_string().as_bytes(), &mut |_, _| {})
    }

    /// (row, field) of each error.
    pub(crate) fn places(errors: &RowErrors) -> Vec<(Option<usize>, Option<&str>)> {
        errors
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_deref()))
            .collect()
    }

    fn account(id: i64, tags: &[&str]) -> Account {
        Account {
            id,
            external_id: Some(format!("EXT-{id}")),
            name: format!("Toko \"Maju\", cabang {id}"),
            kind: AccountKind::Customer,
            status: AccountStatus::AtRisk,
            segment: Some("retail".into()),
            address: Some("Jl. Sudirman 1\nJakarta".into()),
            lon: 106.827_153_1,
            lat: -6.175_392_2,
            owner_id: Some(3),
            territory_id: None,
            revenue_minor: 25_000_000,
            margin_minor: None,
            cost_to_serve_minor: 1_250_000,
            currency: "IDR".into(),
            acquired_on: NaiveDate::from_ymd_opt(2024, 2, 29),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            version: 4,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn valid(a: &Account) -> ValidAccount {
        a.to_input().validate().unwrap()
    }

    #[test]
    fn csv_reads_rows_with_defaults_and_only_the_required_columns() {
        let rows = csv("name,lon,lat\nToko A,106.8,-6.2\n\"Toko, B\",107,-6.9\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].row, rows[1].row),
            (1, 2),
            "the header is not counted"
        );
        assert_eq!(rows[1].account.name, "Toko, B");
        assert_eq!(rows[0].account.kind, AccountKind::Prospect);
        assert_eq!(rows[0].account.currency, "IDR");
    }

    #[test]
    fn csv_header_names_unknown_and_missing_columns() {
        let err = csv("name,colour,size,lon\nA,red,3,1\n").unwrap_err();
        assert_eq!(
            places(&err),
            [(None, Some("colour, size")), (None, Some("lat"))]
        );
        assert!(
            err.errors[0].message.contains("\"colour\", \"size\""),
            "{err}"
        );
        let err = csv("name,lon,lat,name\n").unwrap_err();
        assert_eq!(places(&err), [(None, Some("name"))]);
        assert!(csv("").is_err());
        // A spreadsheet's byte-order mark and upper-case header are fine.
        assert_eq!(csv("\u{feff}Name,LON,Lat\nA,1,2\n").unwrap().len(), 1);
    }

    #[test]
    fn every_broken_row_is_reported_with_its_field() {
        let text = "name,kind,status,lon,lat,revenue_minor,acquired_on\n\
                    Good,customer,active,106,-6,1,2024-01-01\n\
                    Bad kind,vip,,106,-6,,\n\
                    Bad coords,,,200,-6,,\n\
                    ,,,106,-6,,\n\
                    Two faults,,,x,-6,1.5,\n\
                    Bad date,,,106,-6,,31/12/2024\n\
                    Status,customer,new,106,-6,,\n\
                    No lat,,,106,,,\n";
        let err = csv(text).unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("kind")),
                (Some(3), Some("lon")),
                (Some(4), Some("name")),
                (Some(5), Some("lon")),
                (Some(5), Some("revenue_minor")),
                (Some(6), Some("acquired_on")),
                (Some(7), Some("status")),
                (Some(8), Some("lat")),
            ]
        );
        assert!(
            err.errors[0]
                .message
                .contains("expected one of: customer, prospect"),
            "{err}"
        );
        assert!(
            err.errors[1].message.contains("outside -180..=180"),
            "{err}"
        );
    }

    #[test]
    fn errors_stop_at_the_cap() {
        let mut text = String::from("name,lon,lat\n");
        for _ in 0..MAX_ERRORS + 50 {
            text.push_str("x,999,0\n");
        }
        let err = csv(&text).unwrap_err();
        assert_eq!(err.errors.len(), MAX_ERRORS);
        assert!(err.more);
        assert!(err.to_string().contains("more errors"));
    }

    #[test]
    fn a_ragged_row_is_an_error_of_that_row() {
        let err = csv("name,lon,lat\nA,1,2\nB,1\nC,1,2\n").unwrap_err();
        assert_eq!(places(&err), [(Some(2), None)]);
    }

    #[test]
    fn duplicate_external_ids_name_both_rows() {
        let err = csv("external_id,name,lon,lat\nX1,A,1,2\nX2,B,1,2\n X1 ,C,1,2\n").unwrap_err();
        assert_eq!(places(&err), [(Some(3), Some("external_id"))]);
        assert!(err.errors[0].message.contains("also in row 1"), "{err}");
    }

    #[test]
    fn tags_split_at_unescaped_semicolons() {
        assert_eq!(split_tags("vip; cash ;;"), ["vip", " cash "]);
        assert_eq!(split_tags(r"a\;b;c\\"), ["a;b", "c\\"]);
        assert!(split_tags("").is_empty());
        let tags = vec!["a;b".to_owned(), "c\\d".to_owned(), "e".to_owned()];
        assert_eq!(split_tags(&join_tags(&tags)), tags);
    }

    #[test]
    fn csv_export_reads_back_to_the_same_accounts() {
        let accounts = [account(1, &["vip", "a;b", "back\\slash"]), {
            let mut a = account(2, &[]);
            a.external_id = None;
            a.segment = None;
            a.acquired_on = None;
            a.kind = AccountKind::Prospect;
            a.status = AccountStatus::Qualified;
            a
        }];
        let text = accounts_to_csv(&accounts);
        let header = String::from_utf8_lossy(&text)
            .lines()
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(header, ACCOUNT_COLUMNS.join(","));
        let rows = accounts_from_csv(&text, &mut |_, _| {}).unwrap();
        let read: Vec<ValidAccount> = rows.into_iter().map(|r| r.account).collect();
        assert_eq!(read, accounts.iter().map(valid).collect::<Vec<_>>());
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_guarded_and_read_back_unchanged() {
        let mut risky = account(3, &["=cmd|' /C calc'!A0", "-", "'@x"]);
        risky.name = "=HYPERLINK(\"http://evil.example\",\"Click\")".into();
        risky.address = Some("+62 Jl. Merdeka".into());
        risky.segment = Some("'=already quoted".into());
        risky.external_id = Some("@ref-7".into());
        let text = accounts_to_csv(std::slice::from_ref(&risky));
        let mut reader = csv::Reader::from_reader(text.as_slice());
        for record in reader.records() {
            for cell in record.unwrap().iter().filter(|c| c.parse::<f64>().is_err()) {
                assert!(!cell.starts_with(FORMULA_STARTS), "unguarded cell {cell:?}");
            }
        }
        let rows = accounts_from_csv(&text, &mut |_, _| {}).unwrap();
        assert_eq!(rows[0].account, valid(&risky));
        // Numbers stay numbers: the negative latitude is not quoted.
        assert!(String::from_utf8_lossy(&text).contains(&risky.lat.to_string()));
    }

    proptest::proptest! {
        #[test]
        fn guarding_round_trips_any_text(text in "['=+@\\-]{0,3}[a-z ]{0,4}") {
            let guarded = guard_formula(&text);
            proptest::prop_assert!(!guarded.starts_with(FORMULA_STARTS));
            proptest::prop_assert_eq!(unguard_formula(&guarded), text.as_str());
        }
    }

    #[test]
    fn geojson_export_reads_back_to_the_same_accounts() {
        let accounts = [account(7, &["x"]), account(8, &[])];
        let text = accounts_to_geojson(&accounts);
        let rows = accounts_from_geojson(text.as_bytes(), &mut |_, _| {}).unwrap();
        let read: Vec<ValidAccount> = rows.into_iter().map(|r| r.account).collect();
        assert_eq!(read, accounts.iter().map(valid).collect::<Vec<_>>());
    }

    fn point_feature(properties: Value, coordinates: Value) -> Value {
        json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": coordinates }, "properties": properties })
    }

    #[test]
    fn geojson_rows_are_features_and_errors_name_them() {
        let features = json!({ "type": "FeatureCollection", "features": [
            point_feature(json!({ "name": "ok", "tags": ["a"] }), json!([106.8, -6.2])),
            point_feature(json!({ "name": "lat", "kind": "vip" }), json!([106.8, -91])),
            point_feature(json!({ "name": "colour", "colour": "red", "lon": 1 }), json!([1, 2])),
            json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[1, 2], [3, 4]] } }),
            point_feature(json!({ "name": "short" }), json!([1])),
            point_feature(json!({ "name": "tags", "tags": "a;b" }), json!([1, 2])),
            json!({ "type": "Point", "coordinates": [1, 2] }),
        ]});
        let err = geojson(features).unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("kind")),
                (Some(3), Some("colour, lon")),
                (Some(4), Some("geometry")),
                (Some(5), Some("geometry")),
                (Some(6), Some("tags")),
                (Some(7), Some("type")),
            ]
        );
    }

    #[test]
    fn geojson_that_is_not_a_feature_collection_is_refused() {
        for bad in [
            "nope".to_owned(),
            json!([1, 2]).to_string(),
            json!({ "type": "Feature" }).to_string(),
            json!({ "type": "FeatureCollection" }).to_string(),
        ] {
            let err = accounts_from_geojson(bad.as_bytes(), &mut |_, _| {}).unwrap_err();
            assert_eq!(places(&err), [(None, None)], "{bad}");
        }
    }

    #[test]
    fn progress_reaches_the_total() {
        let mut last = (0, 0);
        accounts_from_csv(b"name,lon,lat\nA,1,2\nB,3,4\n", &mut |done, total| {
            last = (done, total)
        })
        .unwrap();
        assert_eq!(last.0, last.1);
    }

    fn square(x: f64) -> Value {
        json!({ "type": "Polygon", "coordinates": [[[x, 0], [x + 1.0, 0], [x + 1.0, 1], [x, 1], [x, 0]]] })
    }

    fn territory(properties: Value, geometry: Value) -> Value {
        json!({ "type": "Feature", "properties": properties, "geometry": geometry })
    }

    #[test]
    fn territories_read_back_and_refuse_bad_features() {
        let stored = vec![
            Territory {
                id: 4,
                name: "North".into(),
                owner_id: Some(2),
                geometry: square(0.0),
                version: 3,
            },
            Territory {
                id: 5,
                name: "South".into(),
                owner_id: None,
                geometry: square(5.0),
                version: 1,
            },
        ];
        let rows =
            territories_from_geojson(territories_to_geojson(&stored).as_bytes(), &mut |_, _| {})
                .unwrap();
        let read: Vec<_> = rows
            .iter()
            .map(|r| (r.name.clone(), r.owner_id, r.geometry.clone()))
            .collect();
        let expected: Vec<_> = stored
            .iter()
            .map(|t| (t.name.clone(), t.owner_id, t.geometry.clone()))
            .collect();
        assert_eq!(read, expected);

        let bowtie =
            json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] });
        let err = territories(json!({ "type": "FeatureCollection", "features": [
            territory(json!({ "name": "ok" }), square(0.0)),
            territory(json!({ "name": "bowtie" }), bowtie),
            territory(json!({ "name": "point" }), json!({ "type": "Point", "coordinates": [1, 2] })),
            territory(json!({ "owner_id": 0 }), square(1.0)),
            territory(json!({ "name": " ok " }), square(2.0)),
            territory(json!({ "name": "x", "colour": "red" }), square(3.0)),
        ]}))
        .unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("geometry")),
                (Some(3), Some("geometry")),
                (Some(4), Some("name")),
                (Some(4), Some("owner_id")),
                (Some(5), Some("name")),
                (Some(6), Some("colour")),
            ]
        );
        assert!(err.errors[0].message.contains("crosses"), "{err}");
        assert!(err.errors[4].message.contains("also in row 1"), "{err}");
    }

    #[test]
    fn records_of_a_resource_read_back_and_bad_rows_are_named() {
        use crate::sales::catalogue::PRODUCTS;
        let text = "SKU,name_en,name_id,list_price_minor,tax_rate_bp,unit\n\
                    AB-1,Freezer,Lemari beku,4500000,,\n\
                    =cmd,\"Chest, 200 l\",,10,0,kg\n";
        let rows =
            records_from_csv(&PRODUCTS, Some("sku"), text.as_bytes(), &mut |_, _| {}).unwrap();
        assert_eq!((rows[0].row, rows[1].row), (1, 2));
        assert_eq!(
            rows[0].record.record["tax_rate_bp"], 1100,
            "an empty cell takes the default"
        );
        assert_eq!(rows[1].record.record["name_en"], "Chest, 200 l");
        let records: Vec<Map<String, Value>> =
            rows.iter().map(|r| r.record.record.clone()).collect();
        let exported = records_to_csv(&PRODUCTS, &records);
        assert!(
            String::from_utf8_lossy(&exported).contains("'=cmd"),
            "the formula is guarded"
        );
        let again = records_from_csv(&PRODUCTS, Some("sku"), &exported, &mut |_, _| {}).unwrap();
        let read: Vec<Map<String, Value>> = again.into_iter().map(|r| r.record.record).collect();
        assert_eq!(read, records);

        let bad = "sku,name_en,list_price_minor,unit\n\
                   A,A,1,piece\n\
                   B,B,x,piece\n\
                   C,C,1,bucket\n\
                   A,D,1,piece\n\
                   ,E,1,piece\n";
        let err =
            records_from_csv(&PRODUCTS, Some("sku"), bad.as_bytes(), &mut |_, _| {}).unwrap_err();
        assert_eq!(
            places(&err),
            [
                (Some(2), Some("list_price_minor")),
                (Some(3), Some("unit")),
                (Some(4), Some("sku")),
                (Some(5), Some("sku")),
            ]
        );
        assert!(err.errors[2].message.contains("also in row 1"), "{err}");
        let err = records_from_csv(&PRODUCTS, None, b"name_en\nA\n", &mut |_, _| {}).unwrap_err();
        assert_eq!(places(&err), [(None, Some("sku, list_price_minor"))]);
    }

    #[test]
    fn formats_come_from_names_media_types_and_file_names() {
        assert_eq!("csv".parse::<Format>().unwrap(), Format::Csv);
        assert_eq!("xml".parse::<Format>().unwrap_err().field, "format");
        assert_eq!(
            Format::from_media_type("text/csv; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_media_type("application/geo+json"),
            Some(Format::GeoJson)
        );
        assert_eq!(Format::from_media_type("text/plain"), None);
        assert_eq!(Format::from_file_name("a.GeoJSON"), Some(Format::GeoJson));
        assert_eq!(Format::from_file_name("accounts"), None);
    }
}
