//! The OpenAPI 3.1 document of `/api/v1`. Each REST route's operation is declared on its
//! handler (`#[utoipa::path]`, collected by the same declaration that routes it and gives its
//! policy, see `declare`); the generic resources' paths and the record schemas are generated
//! from the same field descriptions the validation uses (`wilayah_shared::resource` specs and the
//! account fields), so the document cannot describe fields the server does not accept. The other
//! bodies are described here by name, and every `$ref` must resolve (tested in tests/api.rs).

use std::sync::LazyLock;

use axum::Json;
use serde_json::{Map, Value, json};
use wilayah_shared::account::{ACCOUNT_FIELDS, AccountSort, MAX_PAGE_SIZE};
use wilayah_shared::resource::{Field, FieldType, ResourceSpec};
use wilayah_shared::resources::{ALL, PIPELINE_STAGES};

fn field_schema(field: &Field) -> Value {
    let mut schema = match field.ty {
        FieldType::Text => json!({ "type": "string" }),
        FieldType::Int => json!({ "type": "integer", "format": "int64" }),
        FieldType::Float => json!({ "type": "number", "format": "double" }),
        FieldType::Json => json!({}),
        FieldType::Timestamp => json!({ "type": "string", "format": "date-time" }),
        FieldType::Date => json!({ "type": "string", "format": "date" }),
    };
    let object = schema.as_object_mut().expect("a schema object");
    object.insert("description".into(), field.doc.into());
    if let Some(values) = field.one_of {
        object.insert("enum".into(), json!(values));
    }
    if let Some((min, max)) = field.range {
        object.insert("minimum".into(), json!(min));
        object.insert("maximum".into(), json!(max));
    }
    if let Some(max) = field.max_chars {
        object.insert("maxLength".into(), json!(max));
    }
    if let Some(default) = field.default {
        object.insert(
            "default".into(),
            serde_json::from_str(default).unwrap_or(Value::Null),
        );
    }
    if field.nullable && field.ty != FieldType::Json {
        let ty = object.remove("type").unwrap_or(Value::Null);
        object.insert("type".into(), json!([ty, "null"]));
    }
    schema
}

fn properties(fields: &[Field]) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| (f.name.to_owned(), field_schema(f)))
        .collect()
}

fn required(fields: &[Field]) -> Vec<&'static str> {
    fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect()
}

fn pascal(name: &str) -> String {
    name.split([' ', '_'])
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_content(schema: Value) -> Value {
    json!({ "content": { "application/json": { "schema": schema } } })
}

fn error_response(description: &str) -> Value {
    let mut response = json_content(schema_ref("Error"));
    response["description"] = description.into();
    response
}

fn ok(description: &str, schema: Value) -> Value {
    let mut response = json_content(schema);
    response["description"] = description.into();
    response
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description })
}

fn id_param() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int64" } })
}

fn page_params() -> Vec<Value> {
    vec![
        query_param(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE }),
            "Page size (default 50)",
        ),
        query_param(
            "offset",
            json!({ "type": "integer", "minimum": 0 }),
            "Records to skip",
        ),
    ]
}

fn filter_params(fields: &[Field]) -> Vec<Value> {
    fields
        .iter()
        .filter(|f| f.filter)
        .map(|f| query_param(f.name, field_schema(f), f.doc))
        .collect()
}

/// Schemas and paths of one record type: record, create input, patch; list/create, read/patch/delete.
/// (The accounts' paths are declared on their handlers; only their schemas are used.)
fn describe(
    schemas: &mut Map<String, Value>,
    paths: &mut Map<String, Value>,
    collection: &str,
    singular: &str,
    fields: &[Field],
    versioned: bool,
    sort_keys: Vec<String>,
) {
    let type_name = pascal(singular);
    let mut record_props = properties(fields);
    record_props.insert("id".into(), json!({ "type": "integer", "format": "int64" }));
    record_props.insert(
        "created_at".into(),
        json!({ "type": "string", "format": "date-time" }),
    );
    if versioned {
        record_props.insert(
            "version".into(),
            json!({ "type": "integer", "description": "Send it back with a change" }),
        );
        record_props.insert(
            "updated_at".into(),
            json!({ "type": "string", "format": "date-time" }),
        );
    }
    schemas.insert(
        type_name.clone(),
        json!({ "type": "object", "properties": record_props }),
    );
    schemas.insert(
        format!("{type_name}Input"),
        json!({ "type": "object", "properties": properties(fields), "required": required(fields), "additionalProperties": false }),
    );
    let mut list_params = page_params();
    list_params.push(query_param(
        "sort",
        json!({ "type": "string", "enum": sort_keys }),
        "Order; `-` for descending",
    ));
    list_params.extend(filter_params(fields));
    let page_schema = json!({
        "type": "object",
        "properties": {
            "items": { "type": "array", "items": schema_ref(&type_name) },
            "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" },
        },
    });
    paths.insert(
        format!("/api/v1/{collection}"),
        json!({
            "get": { "summary": format!("List {collection}"), "parameters": list_params,
                     "responses": { "200": ok("One page", page_schema), "400": error_response("Bad parameter") } },
            "post": { "summary": format!("Create a {singular}"),
                      "requestBody": json_content(schema_ref(&format!("{type_name}Input"))),
                      "responses": { "201": ok("Created", schema_ref(&type_name)), "400": error_response("Malformed body"),
                                     "409": error_response("A unique value is taken"), "422": error_response("A field breaks a rule") } },
        }),
    );
    let mut item = json!({
        "parameters": [id_param()],
        "get": { "summary": format!("Read a {singular}"),
                 "responses": { "200": ok("Found", schema_ref(&type_name)), "404": error_response("No such record") } },
        "delete": { "summary": format!("Delete a {singular}"),
                    "parameters": [query_param("version", json!({ "type": "integer" }), "Refuse with 409 if the record changed since this version")],
                    "responses": { "204": { "description": "Deleted" }, "404": error_response("No such record"), "409": error_response("Changed since") } },
    });
    if versioned {
        let mut patch_props = properties(fields);
        patch_props.insert(
            "version".into(),
            json!({ "type": "integer", "description": "The version you last read" }),
        );
        schemas.insert(
            format!("{type_name}Patch"),
            json!({ "type": "object", "properties": patch_props, "required": ["version"], "additionalProperties": false }),
        );
        item["patch"] = json!({
            "summary": format!("Change a {singular}: only the fields given; null clears a field"),
            "requestBody": json_content(schema_ref(&format!("{type_name}Patch"))),
            "responses": { "200": ok("Changed", schema_ref(&type_name)), "404": error_response("No such record"),
                           "409": error_response("Changed by someone else: `current_version` says to what"),
                           "422": error_response("A field breaks a rule") },
        });
    }
    paths.insert(format!("/api/v1/{collection}/{{id}}"), item);
}

fn spec_sort_keys(spec: &ResourceSpec) -> Vec<String> {
    let mut keys = vec!["id".to_owned(), "created_at".to_owned()];
    keys.extend(
        spec.fields
            .iter()
            .filter(|f| f.sort)
            .map(|f| f.name.to_owned()),
    );
    keys.iter()
        .flat_map(|k| [k.clone(), format!("-{k}")])
        .collect()
}

/// API tokens and the browser session (see docs/security.md).
fn security_schemes() -> Value {
    json!({
        "apiToken": { "type": "http", "scheme": "bearer",
            "description": "An API token from POST /api/v1/tokens; no CSRF token needed" },
        "session": { "type": "apiKey", "in": "cookie", "name": "wilayah_session",
            "description": "The sign-in cookie; writes also send X-CSRF-Token (from the login answer or the wilayah_csrf cookie)" },
    })
}

/// The document: the declared operations, the generic resources' paths, every schema.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(super::declared_openapi()).expect("OpenAPI serialises");
    let mut schemas = Map::new();
    let mut paths = Map::new();
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error", "code"], "properties": {
            "error": { "type": "string", "description": "What went wrong, in English" },
            "code": { "type": "string", "description": "What went wrong in a stable word for clients to translate: a broken rule (invalid, required, immutable, too_long, one_of, out_of_range, not_text, not_whole_number, not_number, not_date, not_timestamp, bad_id, unknown_field, no_such_record, transition, bad_currency, too_many, unreadable) or bad_request, not_found, conflict, duplicate, method_not_allowed, too_large, unsupported_media_type, unavailable, internal, unauthorized, forbidden, rate_limited, busy" },
            "params": { "type": "object", "additionalProperties": { "type": "string" }, "description": "The values of the rule broken (max, min, allowed, from, to, retry_after_s...)" },
            "field": { "type": "string" }, "row": { "type": "integer" },
            "current_version": { "type": "integer" } } }),
    );
    let account_sorts: Vec<String> = AccountSort::KEYS.iter().map(|k| k.to_string()).collect();
    describe(
        &mut schemas,
        &mut Map::new(),
        "accounts",
        "account",
        &ACCOUNT_FIELDS,
        true,
        account_sorts.clone(),
    );
    for spec in ALL {
        describe(
            &mut schemas,
            &mut paths,
            spec.name,
            spec.singular,
            spec.fields,
            spec.versioned,
            spec_sort_keys(spec),
        );
    }
    account_schemas(&mut schemas);
    auth_schemas(&mut schemas);
    routes_schemas(&mut schemas);
    field_schemas(&mut schemas);
    planning_schemas(&mut schemas);
    sales_schemas(&mut schemas);
    super::pipeline::schemas(&mut schemas);
    super::cases::schemas(&mut schemas);
    let declared = doc["paths"].as_object_mut().expect("paths");
    declared.extend(paths);
    account_parameters(declared, &account_sorts);
    doc["openapi"] = "3.1.0".into();
    doc["info"] = json!({ "title": "Wilayah API", "version": env!("CARGO_PKG_VERSION"),
        "description": "Map-first CRM. Money is integer minor units; coordinates are WGS84; errors are {error, field?, row?}." });
    let components = doc["components"]
        .as_object_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut all_schemas = components
        .get("schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    all_schemas.extend(schemas);
    doc["components"] = json!({ "schemas": all_schemas, "securitySchemes": security_schemes() });
    doc["security"] = json!([{ "apiToken": [] }, { "session": [] }]);
    doc
}

/// The account filters of the declared account operations take their schema (enums, ranges)
/// from the account fields, and `sort` its keys, as validation does.
fn account_parameters(paths: &mut Map<String, Value>, sorts: &[String]) {
    for (path, item) in paths.iter_mut() {
        if !(path.starts_with("/api/v1/accounts") || path == "/api/v1/map/accounts.geojson") {
            continue;
        }
        let Some(parameters) = item
            .get_mut("get")
            .and_then(|op| op.get_mut("parameters"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters.iter_mut().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            let schema = match ACCOUNT_FIELDS.iter().find(|f| f.filter && f.name == name) {
                Some(field) => field_schema(field),
                None if name == "sort" => json!({ "type": "string", "enum": sorts
                    .iter().flat_map(|k| [k.clone(), format!("-{k}")]).collect::<Vec<_>>() }),
                None if name == "stage" => json!({ "type": "string", "enum": PIPELINE_STAGES }),
                None if name == "limit" => {
                    json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE })
                }
                None => continue,
            };
            parameter["schema"] = schema;
        }
    }
}

/// Pages and lists of accounts, the timeline, import answers.
fn account_schemas(schemas: &mut Map<String, Value>) {
    let int = json!({ "type": "integer" });
    schemas.insert(
        "AccountPage".into(),
        json!({ "type": "object", "properties": {
            "items": { "type": "array", "items": schema_ref("Account") },
            "total": int, "limit": int, "offset": int } }),
    );
    schemas.insert(
        "NearbyAccounts".into(),
        json!({ "type": "array", "items": { "type": "object", "properties": {
            "distance_m": { "type": "number" }, "account": schema_ref("Account") } } }),
    );
    schemas.insert(
        "Timeline".into(),
        json!({ "type": "array", "items": { "type": "object", "properties": {
            "type": { "type": "string", "enum": ["activity", "visit", "case", "opportunity"] },
            "id": int, "at": { "type": "string", "format": "date-time" },
            "label": { "type": "string" }, "title": { "type": "string" }, "detail": { "type": ["string", "null"] } } } }),
    );
    schemas.insert(
        "Imported".into(),
        json!({ "type": "object", "properties": {
            "imported": int, "ids": { "type": "array", "items": int } } }),
    );
    schemas.insert(
        "DryRun".into(),
        json!({ "type": "object", "properties": {
            "dry_run": { "type": "boolean" }, "valid": { "type": "integer", "description": "Rows that would be written" },
            "rows": schema_ref("RowReports") } }),
    );
    schemas.insert(
        "Geocoded".into(),
        json!({ "type": "object", "properties": {
            "lon": { "type": "number" }, "lat": { "type": "number" },
            "precision": { "type": "string", "enum": ["province", "regency", "district", "place", "street"] },
            "matched_name": { "type": "string", "description": "What the position is of, e.g. \"Bandung, Jawa Barat\"" },
            "ambiguous": { "type": "boolean", "description": "Several places fitted equally; one was picked by a fixed rule" } } }),
    );
    schemas.insert(
        "Duplicates".into(),
        json!({ "type": "array", "items": { "type": "object", "properties": {
            "account_id": int,
            "reasons": { "type": "array", "items": { "type": "object", "properties": {
                "reason": { "type": "string", "enum": ["same_name_nearby", "same_phone", "same_email", "same_external_id"] },
                "distance_m": { "type": "number" }, "phone": { "type": "string" },
                "email": { "type": "string" }, "external_id": { "type": "string" } } } } } } }),
    );
    schemas.insert(
        "RowReports".into(),
        json!({ "type": "array", "description": "Rows placed by their address or with likely duplicates", "items": { "type": "object", "properties": {
            "row": int, "geocoded": schema_ref("Geocoded"), "duplicates": schema_ref("Duplicates"),
            "same_as_rows": { "type": "array", "description": "Earlier rows of the file likely the same account", "items": int } } } }),
    );
    schemas.insert(
        "SavedView".into(),
        json!({ "type": "object", "properties": {
            "id": int, "name": { "type": "string" },
            "query": { "type": "string", "description": "The accounts list's query string: the map's filter (kind, status, owner_id, territory_id, segment, tag, stage), q and sort" },
            "shared": { "type": "boolean", "description": "Every user who may open the accounts list sees it" },
            "user_id": int, "mine": { "type": "boolean", "description": "The caller saved it" } } }),
    );
    schemas.insert(
        "SavedViews".into(),
        json!({ "type": "array", "items": schema_ref("SavedView") }),
    );
    schemas.insert(
        "NewView".into(),
        json!({ "type": "object", "required": ["name", "query"], "additionalProperties": false, "properties": {
            "name": { "type": "string", "maxLength": 100 }, "query": { "type": "string", "maxLength": 2000 },
            "shared": { "type": "boolean", "default": false } } }),
    );
    schemas.insert(
        "Merged".into(),
        json!({ "type": "object", "properties": {
            "account": schema_ref("Account"), "merged_from": int,
            "moved": { "type": "object", "description": "Rows moved per table", "additionalProperties": int } } }),
    );
    schemas.insert(
        "CustomerData".into(),
        json!({ "type": "object", "description": "Everything held about one customer", "properties": {
            "account": schema_ref("Account"),
            "contacts": { "type": "array", "items": schema_ref("Contact") },
            "activities": { "type": "array", "items": schema_ref("Activity") },
            "visits": { "type": "array", "items": schema_ref("Visit") },
            "cases": { "type": "array", "items": schema_ref("Case") },
            "opportunities": { "type": "array", "items": schema_ref("Opportunity") },
            "audit": schema_ref("AuditEntries") } }),
    );
}

/// Sign-in, users, API tokens, the audit log.
fn auth_schemas(schemas: &mut Map<String, Value>) {
    let text = json!({ "type": "string" });
    let int = json!({ "type": "integer" });
    let roles = json!({ "type": "string", "enum": ["admin", "manager", "planner", "sales_rep", "technician"] });
    let time = json!({ "type": "string", "format": "date-time" });
    let entries = [
        (
            "Credentials",
            json!({ "type": "object", "required": ["email", "password"], "additionalProperties": false,
            "properties": { "email": text, "password": text } }),
        ),
        (
            "SetupRequest",
            json!({ "type": "object", "required": ["token", "email", "password"], "additionalProperties": false,
            "properties": { "token": { "type": "string", "description": "From the one-time setup link" },
                "email": text, "password": { "type": "string", "minLength": 10, "maxLength": 256 } } }),
        ),
        (
            "User",
            json!({ "type": "object", "properties": {
            "id": int, "email": text, "role": roles, "staff_id": { "type": ["integer", "null"] },
            "region": { "type": "array", "items": int, "description": "A manager's territories (empty: all)" },
            "disabled": { "type": "boolean" }, "created_at": time } }),
        ),
        (
            "UserList",
            json!({ "type": "array", "items": schema_ref("User") }),
        ),
        (
            "SignedIn",
            json!({ "type": "object", "properties": {
            "user": schema_ref("User"), "csrf_token": { "type": "string", "description": "Send it in X-CSRF-Token with cookie-authenticated writes" } } }),
        ),
        (
            "Me",
            json!({ "type": "object", "properties": {
            "user": { "type": "object", "description": "The caller: user_id, email, role, staff_id, region" },
            "csrf_token": { "type": ["string", "null"], "description": "The session's CSRF token (none for API tokens)" } } }),
        ),
        (
            "UserInput",
            json!({ "type": "object", "required": ["email", "password", "role"], "additionalProperties": false,
            "properties": { "email": text, "password": { "type": "string", "minLength": 10, "maxLength": 256 }, "role": roles,
                "staff_id": { "type": "integer", "description": "Required for sales reps and technicians" },
                "region": { "type": "array", "items": int, "description": "Managers only" } } }),
        ),
        (
            "PasswordInput",
            json!({ "type": "object", "required": ["password"], "additionalProperties": false,
            "properties": { "password": { "type": "string", "minLength": 10, "maxLength": 256 } } }),
        ),
        (
            "ApiToken",
            json!({ "type": "object", "description": "A token's record (never the token)", "properties": {
            "id": int, "user_id": int, "name": text, "created_at": time,
            "last_used_at": { "type": ["string", "null"], "format": "date-time" },
            "revoked_at": { "type": ["string", "null"], "format": "date-time" } } }),
        ),
        (
            "ApiTokenList",
            json!({ "type": "array", "items": schema_ref("ApiToken") }),
        ),
        (
            "TokenInput",
            json!({ "type": "object", "required": ["name"], "additionalProperties": false, "properties": {
            "name": { "type": "string", "minLength": 1, "maxLength": 100 },
            "user_id": { "type": "integer", "description": "Whose token (default: the caller's own)" } } }),
        ),
        (
            "NewApiToken",
            json!({ "type": "object", "properties": {
            "token": { "type": "string", "description": "wly_…: shown this once" }, "record": schema_ref("ApiToken") } }),
        ),
        (
            "AuditEntries",
            json!({ "type": "array", "items": { "type": "object", "properties": {
            "id": int, "at": time, "actor_user_id": { "type": ["integer", "null"] }, "actor": text,
            "action": { "type": "string", "enum": ["create", "update", "delete", "import", "export", "erase", "revoke"] },
            "entity": text, "entity_id": { "type": ["integer", "null"] }, "account_id": { "type": ["integer", "null"] },
            "changes": { "type": "object", "description": "Changed fields with their new values; personal ones as \"[personal]\"" } } } }),
        ),
    ];
    for (name, schema) in entries {
        schemas.insert(name.into(), schema);
    }
}

/// Route planning: `POST /routes/plan` and `POST /routes/suggest`.
fn routes_schemas(schemas: &mut Map<String, Value>) {
    let search = json!({
        "utc_offset_minutes": { "type": "integer", "minimum": -720, "maximum": 840, "default": 420,
            "description": "Local time of the shifts and of the day (default WIB, UTC+7)" },
        "time_budget_ms": { "type": "integer", "minimum": 1, "maximum": 5000, "default": 1000 },
        "max_iterations": { "type": "integer", "minimum": 0, "default": 50000,
            "description": "Iteration cap; when it stops the search before the time budget, the plan is reproducible for the seed" },
        "seed": { "type": "integer", "default": 1 },
    });
    let mut plan_body = json!({
        "date": { "type": "string", "format": "date", "description": "Local day; visits whose window starts on it and are not done or missed" },
        "technician_ids": { "type": "array", "items": { "type": "integer" },
            "description": "Default: every technician with a visit that day (all with a home base when some visits have no technician)" },
        "include_unassigned": { "type": "boolean", "default": true, "description": "Plan visits without a technician too" },
        "reassign": { "type": "boolean", "default": false, "description": "Let visits move to another technician" },
    });
    plan_body
        .as_object_mut()
        .expect("object")
        .extend(search.as_object().expect("object").clone());
    let time = json!({ "type": "string", "format": "date-time" });
    let stop = json!({ "type": "object", "properties": {
        "visit_id": { "type": "integer" }, "account_id": { "type": "integer" }, "account_name": { "type": "string" },
        "lon": { "type": "number" }, "lat": { "type": "number" }, "status": { "type": "string" },
        "window_start": time, "window_end": time, "duration_min": { "type": "integer" },
        "arrival_at": time, "start_at": time, "departure_at": time,
        "leg_distance_m": { "type": "number" }, "leg_travel_s": { "type": "number" } } });
    let route = json!({ "type": "object", "properties": {
        "technician_id": { "type": "integer" }, "technician_name": { "type": "string" },
        "home_lon": { "type": "number" }, "home_lat": { "type": "number" },
        "shift_start": { "type": "string" }, "shift_end": { "type": "string" },
        "depart_at": { "type": ["string", "null"], "format": "date-time" }, "return_at": { "type": ["string", "null"], "format": "date-time" },
        "stops": { "type": "array", "items": stop }, "return_leg_distance_m": { "type": "number" },
        "distance_m": { "type": "number" }, "travel_s": { "type": "number" }, "visits": { "type": "integer" } } });
    schemas.insert(
        "RoutePlanRequest".into(),
        json!({ "type": "object", "required": ["date"], "additionalProperties": false, "properties": plan_body }),
    );
    schemas.insert(
        "RoutePlan".into(),
        json!({ "type": "object", "properties": {
            "date": { "type": "string", "format": "date" }, "utc_offset_minutes": { "type": "integer" },
            "distances": { "type": "string", "enum": ["great_circle", "osrm", "great_circle_fallback"] }, "speed_kmh": { "type": ["number", "null"] },
            "routes": { "type": "array", "items": route },
            "unassigned": { "type": "array", "items": { "type": "object", "properties": {
                "visit_id": { "type": "integer" }, "account_id": { "type": "integer" }, "account_name": { "type": "string" },
                "technician_id": { "type": ["integer", "null"] }, "window_start": time, "window_end": time,
                "reason": { "type": "string", "enum": ["no_suitable_technician", "outside_working_hours", "no_room", "exceeds_capacity", "technician_without_home_base"] } } } },
            "totals": { "type": "object", "properties": { "distance_m": { "type": "number" }, "travel_s": { "type": "number" },
                "visits": { "type": "integer" }, "unassigned": { "type": "integer" }, "technicians_used": { "type": "integer" } } },
            "iterations": { "type": "integer" }, "elapsed_ms": { "type": "integer" } } }),
    );
    let mut suggest_body = json!({
        "technician_id": { "type": "integer" },
        "date": { "type": "string", "format": "date" },
        "stops": { "type": "array", "items": { "type": "integer" }, "description": "Visit ids in route order; default: the technician's plan" },
        "max_detour_m": { "type": "number", "default": 5000, "maximum": 200000 },
        "max_detour_min": { "type": "number", "default": 30, "maximum": 600, "description": "Extra driving time" },
        "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 10 },
        "kind": { "type": "string", "enum": ["prospect", "customer"], "default": "prospect" },
        "visit_min": { "type": "integer", "minimum": 1, "maximum": 480, "default": 30, "description": "Time on site assumed for a suggested stop" },
    });
    suggest_body
        .as_object_mut()
        .expect("object")
        .extend(search.as_object().expect("object").clone());
    schemas.insert(
        "RouteSuggestRequest".into(),
        json!({ "type": "object", "required": ["technician_id", "date"], "additionalProperties": false, "properties": suggest_body }),
    );
    schemas.insert(
        "RouteSuggestions".into(),
        json!({ "type": "object", "properties": {
            "technician_id": { "type": "integer" }, "date": { "type": "string", "format": "date" },
            "stops": { "type": "array", "items": { "type": "integer" } }, "route_distance_m": { "type": "number" },
            "candidates": { "type": "integer" },
            "suggestions": { "type": "array", "items": { "type": "object", "properties": {
                "account_id": { "type": "integer" }, "account_name": { "type": "string" },
                "lon": { "type": "number" }, "lat": { "type": "number" },
                "position": { "type": "integer", "description": "Insert before stops[position]" },
                "after_visit_id": { "type": ["integer", "null"] }, "before_visit_id": { "type": ["integer", "null"] },
                "extra_distance_m": { "type": "number" }, "extra_travel_min": { "type": "number" },
                "extra_duration_min": { "type": "number" }, "distance_from_route_m": { "type": "number" },
                "arrival_at": time, "start_at": time, "departure_at": time, "return_at": time } } } } }),
    );
}

/// Field service: the technician's day, their actions, adding a stop to a route.
fn field_schemas(schemas: &mut Map<String, Value>) {
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let number_or_null = json!({ "type": ["number", "null"] });
    let text_or_null = json!({ "type": ["string", "null"] });
    let stop = json!({ "type": "object", "properties": {
        "visit_id": { "type": "integer" }, "version": { "type": "integer" },
        "account_id": { "type": "integer" }, "account_name": { "type": "string" }, "address": text_or_null,
        "lon": { "type": "number" }, "lat": { "type": "number" },
        "status": { "type": "string", "enum": ["scheduled", "en_route", "on_site", "done", "missed"] },
        "window_start": time, "window_end": time, "duration_min": { "type": "integer" },
        "planned_arrival": opt_time, "planned_start": opt_time,
        "left_out": { "type": ["string", "null"], "description": "Why the plan could not place this open visit" },
        "checkin_at": opt_time, "checkin_accuracy_m": number_or_null, "checkin_distance_m": number_or_null,
        "outcome": text_or_null, "notes": text_or_null } });
    schemas.insert(
        "FieldDay".into(),
        json!({ "type": "object", "properties": {
            "technician_id": { "type": "integer" }, "technician_name": { "type": "string" },
            "date": { "type": "string", "format": "date" }, "utc_offset_minutes": { "type": "integer" },
            "home_lon": number_or_null, "home_lat": number_or_null,
            "stops": { "type": "array", "items": stop, "description": "Closed visits first (in the order done), then open ones in planned route order, then open ones the plan could not place" },
            "distances": { "type": "string" }, "fetched_at": time } }),
    );
    schemas.insert(
        "FieldActionResult".into(),
        json!({ "type": "object", "properties": {
            "client_id": { "type": "string" }, "visit_id": { "type": "integer" }, "action": { "type": "string" },
            "result": { "type": "string", "enum": ["applied", "conflict", "rejected"] },
            "visit_version": { "type": "integer" }, "visit_status": { "type": "string" }, "message": text_or_null,
            "distance_m": number_or_null, "far": { "type": "boolean", "description": "Check-in more than 300 m from the account" },
            "recorded_at": time, "received_at": time,
            "replayed": { "type": "boolean", "description": "This repeats the answer to an earlier submission of the same client_id" } } }),
    );
    schemas.insert(
        "FieldActionList".into(),
        json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema_ref("FieldActionResult") } } }),
    );
    schemas.insert(
        "FieldActionInput".into(),
        json!({ "type": "object", "required": ["client_id", "visit_id", "base_version", "action", "recorded_at"],
            "properties": {
                "client_id": { "type": "string", "format": "uuid", "description": "Made on the device; a resend with the same id returns the first result" },
                "visit_id": { "type": "integer" },
                "base_version": { "type": "integer", "description": "The visit version the device knew (plus one per own action queued before)" },
                "action": { "type": "string", "enum": ["status", "check_in", "report"] },
                "status": { "type": "string", "enum": ["en_route", "on_site", "done", "missed"] },
                "lon": { "type": "number" }, "lat": { "type": "number" }, "accuracy_m": { "type": "number" },
                "outcome": { "type": "string", "maxLength": 2000 }, "notes": { "type": "string", "maxLength": 2000 },
                "recorded_at": time } }),
    );
    schemas.insert(
        "AddStopRequest".into(),
        json!({ "type": "object", "required": ["technician_id", "account_id", "date"], "additionalProperties": false, "properties": {
            "technician_id": { "type": "integer" }, "account_id": { "type": "integer" },
            "date": { "type": "string", "format": "date" },
            "utc_offset_minutes": { "type": "integer", "default": 420 },
            "duration_min": { "type": "integer", "minimum": 1, "maximum": 480, "default": 30 } } }),
    );
    schemas.insert(
        "AddedStop".into(),
        json!({ "type": "object", "properties": {
            "visit": schema_ref("Visit"), "planned": { "type": "boolean" }, "day": schema_ref("FieldDay") } }),
    );
}

/// Territory planning (`/planning/...`, see docs/planning.md): drafts, validation, previews,
/// publications, balancing.
fn planning_schemas(schemas: &mut Map<String, Value>) {
    let int = json!({ "type": "integer" });
    let geometry = json!({ "type": "object", "description": "A GeoJSON Polygon or MultiPolygon" });
    schemas.insert(
        "DraftTerritory".into(),
        json!({ "type": "object", "required": ["name", "geometry"], "properties": {
            "id": { "type": ["integer", "null"], "description": "The published territory this one replaces; none for a new one" },
            "name": { "type": "string", "maxLength": 200 },
            "owner_id": { "type": ["integer", "null"], "description": "The rep who will own it and its accounts" },
            "geometry": geometry } }),
    );
    let territories = json!({ "type": "array", "items": schema_ref("DraftTerritory") });
    schemas.insert(
        "Draft".into(),
        json!({ "type": "object", "properties": {
            "id": int, "name": { "type": "string" },
            "base_revision": { "type": "integer", "description": "The published revision the draft started from" },
            "status": { "type": "string", "enum": ["open", "published"] },
            "territories": territories,
            "created_by": { "type": ["string", "null"] }, "version": int,
            "created_at": { "type": "string", "format": "date-time" },
            "updated_at": { "type": "string", "format": "date-time" } } }),
    );
    schemas.insert(
        "PlanningProblem".into(),
        json!({ "type": "object", "properties": {
            "kind": { "type": "string", "enum": ["self_intersection", "overlap", "gap", "invalid_geometry", "missing_name", "duplicate_name"] },
            "severity": { "type": "string", "enum": ["error", "warning"] },
            "territories": { "type": "array", "items": { "type": "string" }, "description": "Names of the territories involved" },
            "indexes": { "type": "array", "items": int, "description": "Their positions in the list" },
            "message": { "type": "string" },
            "location": { "type": ["array", "null"], "items": { "type": "number" }, "description": "[lon, lat] to point at" },
            "area": { "description": "The overlap or gap as MultiPolygon coordinates" },
            "area_km2": { "type": ["number", "null"] } } }),
    );
    let totals = json!({ "type": "object", "properties": {
        "accounts": int, "revenue_minor": int, "visit_hours": { "type": "number" } } });
    let spreads = json!({ "type": "object", "description": "max/min over the sales reps (null = infinite: a rep has none)",
        "properties": { "accounts": { "type": ["number", "null"] }, "revenue": { "type": ["number", "null"] },
                        "visit_hours": { "type": ["number", "null"] } } });
    let reps = json!({ "type": "array", "items": { "type": "object", "properties": {
        "owner_id": { "type": ["integer", "null"] }, "name": { "type": "string" },
        "before": totals, "after": totals } } });
    let account_ref =
        json!({ "type": "object", "properties": { "id": int, "name": { "type": "string" } } });
    let text_or_null = json!({ "type": ["string", "null"] });
    let int_or_null = json!({ "type": ["integer", "null"] });
    schemas.insert(
        "PlanningPreview".into(),
        json!({ "type": "object", "properties": {
            "draft_id": int, "base_revision": int, "current_revision": int,
            "stale": { "type": "boolean", "description": "Someone published since the draft was made: publishing would be refused" },
            "publishable": { "type": "boolean" },
            "problems": { "type": "array", "items": schema_ref("PlanningProblem") },
            "moves": { "type": "array", "items": { "type": "object", "properties": {
                "account_id": int, "account_name": { "type": "string" },
                "from_territory": text_or_null, "to_territory": text_or_null,
                "from_owner_id": int_or_null, "to_owner_id": int_or_null,
                "from_owner": text_or_null, "to_owner": text_or_null } } },
            "unassigned": { "type": "array", "items": account_ref, "description": "Accounts that would be in no territory" },
            "ambiguous": { "type": "array", "items": account_ref, "description": "Accounts in more than one territory" },
            "reps": reps, "spread_before": spreads, "spread_after": spreads } }),
    );
    let change = json!({ "type": "object", "properties": {
        "account_id": int, "from_territory": int_or_null, "to_territory": int_or_null,
        "from_owner": int_or_null, "to_owner": int_or_null } });
    schemas.insert(
        "PlanningOutcome".into(),
        json!({ "type": "object", "description": "What a publication or auto-assignment changed", "properties": {
            "revision": int, "publication_id": int,
            "created": { "type": "array", "items": int }, "updated": { "type": "array", "items": int },
            "deleted": { "type": "array", "items": int },
            "reassigned": { "type": "array", "items": change },
            "unassigned": { "type": "array", "items": int, "description": "Accounts in no territory" } } }),
    );
    let actor = json!({ "type": "string", "description": "Only used for requests without a signed-in user" });
    let entries = [
        (
            "PlanningRevision",
            json!({ "type": "object", "properties": { "revision": int } }),
        ),
        (
            "PlanningValidateRequest",
            json!({ "type": "object", "required": ["territories"], "additionalProperties": false,
            "properties": { "territories": territories } }),
        ),
        (
            "PlanningProblems",
            json!({ "type": "object", "properties": {
            "valid": { "type": "boolean", "description": "No errors (warnings allowed)" },
            "problems": { "type": "array", "items": schema_ref("PlanningProblem") } } }),
        ),
        (
            "DraftList",
            json!({ "type": "array", "items": schema_ref("Draft") }),
        ),
        (
            "DraftInput",
            json!({ "type": "object", "additionalProperties": false, "properties": {
            "name": { "type": "string", "maxLength": 200 }, "territories": territories, "actor": actor } }),
        ),
        (
            "DraftPatch",
            json!({ "type": "object", "required": ["version"], "additionalProperties": false, "properties": {
            "version": { "type": "integer", "description": "The version you last read" },
            "name": { "type": "string", "maxLength": 200 }, "territories": territories,
            "rebase": { "type": "boolean", "default": false, "description": "Move the draft onto the current revision" } } }),
        ),
        (
            "PublishRequest",
            json!({ "type": "object", "additionalProperties": false, "properties": {
            "version": { "type": "integer", "description": "The draft version previewed (default: the current one)" },
            "actor": actor } }),
        ),
        (
            "PublishRefused",
            json!({ "type": "object", "properties": {
            "error": { "type": "string" }, "field": { "type": "string" },
            "problems": { "type": "array", "items": schema_ref("PlanningProblem") } } }),
        ),
        (
            "AutoAssignRequest",
            json!({ "type": "object", "additionalProperties": false, "properties": {
            "dry_run": { "type": "boolean", "default": false }, "actor": actor } }),
        ),
        (
            "UnassignedAccounts",
            json!({ "type": "array", "items": { "type": "object", "properties": {
            "id": int, "name": { "type": "string" }, "lon": { "type": "number" }, "lat": { "type": "number" },
            "owner_id": int_or_null, "territory_id": { "type": ["integer", "null"], "description": "The territory the record names, though none contains it" } } } }),
        ),
        (
            "BalanceRequest",
            json!({ "type": "object", "additionalProperties": false, "properties": {
            "measure": { "type": "string", "enum": ["accounts", "revenue", "visit_hours"], "default": "accounts" },
            "rep_ids": { "type": "array", "items": int, "description": "Default: every sales rep" },
            "seed": { "type": "integer", "default": 1 },
            "time_budget_ms": { "type": "integer", "minimum": 1, "maximum": 5000, "default": 1000 },
            "max_iterations": { "type": "integer", "minimum": 1, "default": 1000000 },
            "compactness_weight": { "type": "number", "minimum": 0, "maximum": 10, "default": 0.005 },
            "cell_deg": { "type": "number", "minimum": 0.01, "maximum": 2, "default": 0.1, "description": "Grid cell size the territories are built from" },
            "start": { "type": "string", "enum": ["seeds", "current"], "default": "seeds" },
            "service_hours": { "type": "number" }, "speed_kmh": { "type": "number" },
            "draft_name": { "type": "string", "maxLength": 200 }, "actor": actor } }),
        ),
        (
            "BalanceProposal",
            json!({ "type": "object", "properties": {
            "draft": schema_ref("Draft"), "measure": { "type": "string" },
            "search": { "type": "object", "description": "atoms, started_from, district spreads and CVs at the start and end, iterations, moves, elapsed_ms" },
            "reps": reps, "spread_before": spreads, "spread_after": spreads, "preview": schema_ref("PlanningPreview") } }),
        ),
        (
            "Publications",
            json!({ "type": "array", "items": { "type": "object", "properties": {
            "id": int, "draft_id": int_or_null, "revision": int, "actor": { "type": "string" },
            "summary": { "type": "object" }, "published_at": { "type": "string", "format": "date-time" } } } }),
        ),
    ];
    for (name, schema) in entries {
        schemas.insert(name.into(), schema);
    }
}

/// `GET /api/v1/openapi.json`: this document (built once).
#[utoipa::path(get, path = "/openapi.json", tag = "meta", summary = "This OpenAPI document",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub async fn openapi_json() -> Json<Value> {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(document);
    Json(DOCUMENT.clone())
}

/// Quotes, orders and the order-history import.
fn sales_schemas(schemas: &mut Map<String, Value>) {
    let int = json!({ "type": "integer" });
    let date = json!({ "type": "string", "format": "date" });
    let opt_int = json!({ "type": ["integer", "null"] });
    let line_input = json!({ "type": "object", "required": ["product_id", "quantity_milli"], "additionalProperties": false,
        "properties": {
            "product_id": int, "quantity_milli": { "type": "integer", "description": "Thousandths of a unit (1.5 kg = 1500)" },
            "unit_price_minor": { "type": "integer", "description": "Override of the applicable price (discount limits count from the applicable one)" },
            "discount_bp": { "type": "integer", "minimum": 0, "maximum": 10000, "description": "Basis points (1 % = 100)" } } });
    let totals = json!({ "type": "object", "description": "Plain sums of the line figures (every rounding is per line, halves away from zero: docs/sales.md)",
        "properties": { "gross_minor": int, "discount_minor": int, "subtotal_minor": int, "tax_minor": int,
            "total_minor": int, "cost_minor": int, "margin_minor": int } });
    let line = json!({ "type": "object", "description": "A line as priced, with its amounts (gross, discount, net, tax, total, cost in minor units)",
        "properties": { "line_no": int, "product_id": int, "sku": { "type": "string" }, "quantity_milli": int,
            "unit_price_minor": int, "discount_bp": int, "tax_rate_bp": int, "unit_cost_minor": int,
            "gross_minor": int, "discount_minor": int, "net_minor": int, "tax_minor": int, "total_minor": int } });
    schemas.insert(
        "Quote".into(),
        json!({ "type": "object", "properties": {
            "id": int, "quote_no": { "type": "integer", "description": "The id of revision 1: shared by every revision of the quote" },
            "revision": int, "version": int, "account_id": int, "opportunity_id": opt_int,
            "status": { "type": "string", "enum": ["draft", "sent", "accepted", "rejected", "expired", "superseded"] },
            "currency": { "type": "string" }, "valid_until": date, "terms": { "type": ["string", "null"] },
            "lines": { "type": "array", "items": line }, "totals": totals,
            "approval": { "type": ["object", "null"] },
            "approval_needed": { "type": ["object", "null"], "description": "Lines beyond the caller's discount limit and the deepest reduction: a manager must approve before the caller can send" },
            "sent_on": date, "decided_on": date } }),
    );
    schemas.insert(
        "Order".into(),
        json!({ "type": "object", "properties": {
            "id": int, "version": int, "account_id": int, "quote_id": opt_int, "currency": { "type": "string" },
            "order_date": date, "status": { "type": "string", "enum": ["open", "delivered", "invoiced", "cancelled"] },
            "external_order_id": { "type": ["string", "null"] },
            "lines": { "type": "array", "items": line }, "totals": totals } }),
    );
    for (name, item) in [("QuotePage", "Quote"), ("OrderPage", "Order")] {
        schemas.insert(
            name.into(),
            json!({ "type": "object", "properties": { "items": { "type": "array", "items": schema_ref(item) },
                "total": int, "limit": int, "offset": int } }),
        );
    }
    schemas.insert(
        "QuoteInput".into(),
        json!({ "type": "object", "required": ["account_id", "valid_until"], "additionalProperties": false, "properties": {
            "account_id": int, "opportunity_id": int, "currency": { "type": "string", "description": "Default: the account's" },
            "valid_until": date, "terms": { "type": "string" }, "lines": { "type": "array", "items": line_input } } }),
    );
    schemas.insert(
        "QuoteEdit".into(),
        json!({ "type": "object", "required": ["version"], "additionalProperties": false, "properties": {
            "version": int, "valid_until": date, "terms": { "type": "string", "description": "Empty clears them" },
            "lines": { "type": "array", "items": line_input } } }),
    );
    schemas.insert(
        "QuoteMove".into(),
        json!({ "type": "object", "required": ["version", "status"], "additionalProperties": false, "properties": {
            "version": int, "status": { "type": "string", "enum": ["sent", "accepted", "rejected", "expired"] },
            "order_date": date } }),
    );
    schemas.insert(
        "MovedQuote".into(),
        json!({ "type": "object", "properties": { "quote": schema_ref("Quote"), "order": schema_ref("Order") } }),
    );
    schemas.insert(
        "Versioned".into(),
        json!({ "type": "object", "required": ["version"], "additionalProperties": false, "properties": { "version": int } }),
    );
    schemas.insert(
        "Revise".into(),
        json!({ "type": "object", "required": ["version", "valid_until"], "additionalProperties": false,
            "properties": { "version": int, "valid_until": date } }),
    );
    schemas.insert(
        "OrderInput".into(),
        json!({ "type": "object", "required": ["account_id", "currency", "order_date", "lines"], "additionalProperties": false,
            "properties": { "account_id": int, "currency": { "type": "string" }, "order_date": date,
                "lines": { "type": "array", "items": line_input } } }),
    );
    schemas.insert(
        "OrderMove".into(),
        json!({ "type": "object", "required": ["version", "status"], "additionalProperties": false, "properties": {
            "version": int, "status": { "type": "string", "enum": ["delivered", "invoiced", "cancelled"] } } }),
    );
    schemas.insert(
        "ReturnInput".into(),
        json!({ "type": "object", "required": ["version", "line_no", "quantity_milli"], "additionalProperties": false,
            "properties": { "version": int, "line_no": int, "quantity_milli": { "type": "integer", "minimum": 1 } } }),
    );
    schemas.insert(
        "OrderImport".into(),
        json!({ "type": "object", "properties": {
            "dry_run": { "type": "boolean" }, "orders": int, "lines": int,
            "skipped_orders": { "type": "integer", "description": "Already imported (same external_order_id): left as they were" },
            "review_products": { "type": "array", "items": { "type": "object", "properties": {
                "id": int, "sku": { "type": "string" }, "first_row": int, "lines": int } } } } }),
    );
    let ids = json!({ "type": "array", "items": int });
    schemas.insert(
        "ProductImport".into(),
        json!({ "type": "object", "properties": {
            "dry_run": { "type": "boolean" },
            "created": ids, "updated": ids,
            "unchanged": { "type": "integer", "description": "Rows equal to the stored product" } } }),
    );
    let bp = json!({ "type": "integer", "minimum": 0, "maximum": 10000 });
    let settings = json!({ "type": "object", "required": ["company_name"], "properties": {
        "company_name": { "type": "string", "maxLength": 500 },
        "company_address": { "type": ["string", "null"] },
        "logo_url": { "type": ["string", "null"], "description": "https URL, a path on this server or a data:image URL" },
        "default_terms": { "type": ["string", "null"], "description": "Printed on a proposal whose quote has no terms" },
        "discount_limits": { "type": "object", "description": "How far below the applicable price each role may sell without approval (basis points)",
            "properties": { "sales_rep_bp": bp, "manager_bp": bp, "admin_bp": bp } } } });
    schemas.insert("SalesSettings".into(), settings.clone());
    schemas.insert(
        "SalesSettingsEdit".into(),
        json!({ "type": "object", "required": ["version", "settings"], "additionalProperties": false,
            "properties": { "version": { "type": "integer", "description": "0 before the first save" }, "settings": settings } }),
    );
    schemas.insert(
        "SalesSettingsAnswer".into(),
        json!({ "type": "object", "properties": { "version": int, "settings": schema_ref("SalesSettings") } }),
    );
}
