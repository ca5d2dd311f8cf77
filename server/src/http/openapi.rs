//! The OpenAPI 3.1 document of `/api/v1`, generated from the same field descriptions the
//! validation uses (`wilayah_shared::resource` specs and the account fields), so it cannot
//! describe fields the server does not accept.

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

pub fn document() -> Value {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"], "properties": {
            "error": { "type": "string" }, "field": { "type": "string" }, "row": { "type": "integer" },
            "current_version": { "type": "integer" } } }),
    );
    let account_sorts = AccountSort::KEYS.iter().map(|k| k.to_string()).collect();
    describe(
        &mut schemas,
        &mut paths,
        "accounts",
        "account",
        &ACCOUNT_FIELDS,
        true,
        account_sorts,
    );
    if let Some(list) = paths
        .get_mut("/api/v1/accounts")
        .and_then(|p| p["get"]["parameters"].as_array_mut())
    {
        list.push(query_param(
            "q",
            json!({ "type": "string" }),
            "Name contains (case-insensitive)",
        ));
        list.push(query_param(
            "tag",
            json!({ "type": "string" }),
            "Has this tag",
        ));
        list.push(query_param(
            "stage",
            json!({ "type": "string", "enum": PIPELINE_STAGES }),
            "Has a deal at this pipeline stage",
        ));
        list.push(query_param(
            "within",
            json!({ "type": "string" }),
            "A territory id, or a GeoJSON Polygon/MultiPolygon/Feature: only accounts inside it",
        ));
    }
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
    paths.insert(
        "/api/v1/accounts/nearby".into(),
        json!({ "get": {
            "summary": "Accounts nearest a point, great-circle metres, nearest first",
            "parameters": [
                { "name": "lon", "in": "query", "required": true, "schema": { "type": "number" } },
                { "name": "lat", "in": "query", "required": true, "schema": { "type": "number" } },
                query_param("radius_m", json!({ "type": "number" }), "All within this distance (max 500 km)"),
                query_param("k", json!({ "type": "integer" }), "The k nearest (default 10, max 500)"),
                query_param("kind", json!({ "type": "string", "enum": ["customer", "prospect"] }), ""),
                query_param("status", json!({ "type": "string" }), ""),
                query_param("owner_id", json!({ "type": "integer" }), "Owned by this rep"),
                query_param("unowned_or_owner", json!({ "type": "integer" }), "Owned by nobody or by this rep"),
                query_param("exclude_id", json!({ "type": "integer" }), "Leave this account out"),
            ],
            "responses": { "200": ok("Nearest first", json!({ "type": "array", "items": { "type": "object", "properties": {
                "distance_m": { "type": "number" }, "account": schema_ref("Account") } } })),
                "400": error_response("Bad parameter") },
        } }),
    );
    paths.insert(
        "/api/v1/accounts/{id}/history".into(),
        json!({ "get": {
            "summary": "The account's timeline: activities, visits, cases, deals and their status changes, newest first",
            "parameters": [id_param(), page_params()[0], page_params()[1]],
            "responses": { "200": ok("Newest first", json!({ "type": "array", "items": { "type": "object", "properties": {
                "type": { "type": "string", "enum": ["activity", "visit", "case", "opportunity"] },
                "id": { "type": "integer" }, "at": { "type": "string", "format": "date-time" },
                "label": { "type": "string" }, "title": { "type": "string" }, "detail": { "type": ["string", "null"] } } } })),
                "404": error_response("No such account") },
        } }),
    );
    let import_responses = json!({
        "201": ok("All rows written", json!({ "type": "object", "properties": {
            "imported": { "type": "integer" }, "ids": { "type": "array", "items": { "type": "integer" } } } })),
        "200": ok("Dry run: every row is valid, nothing written", json!({ "type": "object" })),
        "415": error_response("Unknown Content-Type"),
        "422": error_response("Rows refused (see `errors`: row and field of each); nothing written"),
    });
    paths.insert(
        "/api/v1/accounts/import".into(),
        json!({ "post": {
            "summary": "Import accounts, all or nothing: CSV (text/csv, header row with the account fields, tags separated by ;) or a GeoJSON FeatureCollection of points",
            "parameters": [query_param("dry_run", json!({ "type": "boolean" }), "Check every row, write nothing")],
            "requestBody": { "content": { "text/csv": {}, "application/geo+json": {} } },
            "responses": import_responses.clone(),
        } }),
    );
    paths.insert(
        "/api/v1/accounts/export".into(),
        json!({ "get": {
            "summary": "Export accounts as CSV or GeoJSON (re-importable as is)",
            "parameters": [query_param("format", json!({ "type": "string", "enum": ["csv", "geojson"] }), "Default csv")],
            "responses": { "200": { "description": "The file", "content": { "text/csv": {}, "application/geo+json": {} } } },
        } }),
    );
    paths.insert(
        "/api/v1/territories/import".into(),
        json!({ "post": {
            "summary": "Import territories from a GeoJSON FeatureCollection of (Multi)Polygons with properties name and owner_id",
            "parameters": [query_param("dry_run", json!({ "type": "boolean" }), "Check every feature, write nothing")],
            "requestBody": { "content": { "application/geo+json": {} } },
            "responses": import_responses,
        } }),
    );
    paths.insert(
        "/api/v1/territories/export".into(),
        json!({ "get": { "summary": "Export territories as GeoJSON",
            "responses": { "200": { "description": "FeatureCollection", "content": { "application/geo+json": {} } } } } }),
    );
    paths.insert(
        "/api/v1/map/accounts.geojson".into(),
        json!({ "get": {
            "summary": "Accounts as a GeoJSON FeatureCollection of points, for maps",
            "parameters": [query_param("kind", json!({ "type": "string", "enum": ["customer", "prospect"] }), "")],
            "responses": { "200": { "description": "FeatureCollection", "content": { "application/geo+json": {} } } },
        } }),
    );
    routes_paths(&mut paths);
    field_paths(&mut paths);
    planning_paths(&mut schemas, &mut paths);
    auth_paths(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Wilayah API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Map-first CRM. Money is integer minor units; coordinates are WGS84; errors are {error, field?, row?}." },
        "paths": paths,
        "components": { "schemas": schemas, "securitySchemes": security_schemes() },
        "security": [{ "apiToken": [] }, { "session": [] }],
    })
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

/// Sign-in, users, API tokens, the audit log and privacy.
fn auth_paths(paths: &mut Map<String, Value>) {
    let credentials = json!({ "type": "object", "required": ["email", "password"],
        "properties": { "email": { "type": "string" }, "password": { "type": "string" } } });
    let signed_in = json!({ "200": { "description": "Signed in; the session cookie is set",
        "content": { "application/json": { "schema": { "type": "object",
            "properties": { "user": {}, "csrf_token": { "type": "string" } } } } } },
        "401": error_response("Wrong e-mail or password"),
        "429": error_response("Too many failed sign-ins; see Retry-After") });
    let audit_params: Vec<Value> = [
        "entity",
        "entity_id",
        "account_id",
        "actor",
        "action",
        "since",
        "until",
        "limit",
        "offset",
    ]
    .iter()
    .map(|p| query_param(p, json!({ "type": "string" }), ""))
    .collect();
    let entries: [(&str, Value); 8] = [
        (
            "/api/v1/auth/login",
            json!({ "post": { "summary": "Sign in", "security": [],
            "requestBody": json_content(credentials), "responses": signed_in } }),
        ),
        (
            "/api/v1/auth/logout",
            json!({ "post": { "summary": "Sign out",
            "responses": { "204": { "description": "Session ended" } } } }),
        ),
        (
            "/api/v1/auth/me",
            json!({ "get": { "summary": "Who am I",
            "responses": { "200": { "description": "The caller and the session's CSRF token" } } } }),
        ),
        (
            "/api/v1/users",
            json!({
            "get": { "summary": "Users (admins)", "responses": { "200": { "description": "Users" } } },
            "post": { "summary": "Create a user (admins)", "requestBody": json_content(json!({ "type": "object",
                "required": ["email", "password", "role"], "properties": { "email": { "type": "string" },
                "password": { "type": "string", "minLength": 10 }, "role": { "type": "string",
                "enum": ["admin", "manager", "planner", "sales_rep", "technician"] },
                "staff_id": { "type": "integer" }, "region": { "type": "array", "items": { "type": "integer" } } } })),
                "responses": { "201": { "description": "Created" }, "422": error_response("A field is invalid") } } }),
        ),
        (
            "/api/v1/tokens",
            json!({
            "get": { "summary": "API tokens (admins; never the token itself)", "responses": { "200": { "description": "Tokens" } } },
            "post": { "summary": "Create an API token (admins); the answer shows it once",
                "responses": { "201": { "description": "{token, record}" } } } }),
        ),
        (
            "/api/v1/tokens/{id}",
            json!({ "delete": { "summary": "Revoke an API token (admins)",
            "parameters": [id_param()], "responses": { "204": { "description": "Revoked" } } } }),
        ),
        (
            "/api/v1/audit",
            json!({ "get": { "summary": "Audit log, newest first (admins, managers)",
            "parameters": audit_params,
            "responses": { "200": { "description": "Entries" } } } }),
        ),
        (
            "/api/v1/accounts/{id}/erase",
            json!({ "post": { "summary": "Erase a customer's personal data, keeping aggregates",
            "parameters": [id_param()], "responses": { "200": { "description": "The account afterwards" } } } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.into(), item);
    }
    paths.insert(
        "/api/v1/accounts/{id}/export".into(),
        json!({ "get": { "summary": "Everything held about one customer (JSON)",
            "parameters": [id_param()], "responses": { "200": { "description": "The customer's data" } } } }),
    );
}

/// `POST /routes/plan` and `POST /routes/suggest`.
fn routes_paths(paths: &mut Map<String, Value>) {
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
    paths.insert(
        "/api/v1/routes/plan".into(),
        json!({ "post": {
            "summary": "Plan a day for a team or one technician from the open visits (vehicle routing with time windows, shifts, home bases); visits keep their technician unless reassign",
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["date"], "properties": plan_body } } } },
            "responses": {
                "200": ok("One route per technician (empty when they have no stops), the visits left out with a reason, totals", json!({ "type": "object", "properties": {
                    "date": { "type": "string", "format": "date" }, "utc_offset_minutes": { "type": "integer" },
                    "distances": { "type": "string", "enum": ["great_circle", "osrm", "great_circle_fallback"] }, "speed_kmh": { "type": ["number", "null"] },
                    "routes": { "type": "array", "items": route },
                    "unassigned": { "type": "array", "items": { "type": "object", "properties": {
                        "visit_id": { "type": "integer" }, "account_id": { "type": "integer" }, "account_name": { "type": "string" },
                        "technician_id": { "type": ["integer", "null"] }, "window_start": time, "window_end": time,
                        "reason": { "type": "string", "enum": ["no_suitable_technician", "outside_working_hours", "no_room", "exceeds_capacity", "technician_without_home_base"] } } } },
                    "totals": { "type": "object", "properties": { "distance_m": { "type": "number" }, "travel_s": { "type": "number" },
                        "visits": { "type": "integer" }, "unassigned": { "type": "integer" }, "technicians_used": { "type": "integer" } } },
                    "iterations": { "type": "integer" }, "elapsed_ms": { "type": "integer" } } })),
                "400": error_response("Malformed body or date"),
                "422": error_response("A value out of range, an unknown technician or one without a home base"),
            },
        } }),
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
    paths.insert(
        "/api/v1/routes/suggest".into(),
        json!({ "post": {
            "summary": "Accounts (prospects by default) near a technician's route that fit into it without breaking a visit window or the shift, cheapest detour first",
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["technician_id", "date"], "properties": suggest_body } } } },
            "responses": {
                "200": ok("The route and the suggestions", json!({ "type": "object", "properties": {
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
                        "arrival_at": time, "start_at": time, "departure_at": time, "return_at": time } } } } })),
                "400": error_response("Malformed body, date or missing technician_id"),
                "422": error_response("A value out of range, an unknown technician, or stops that are not open visits of the day or do not fit in that order"),
            },
        } }),
    );
}

/// Field service: the technician's day, their actions, adding a stop to a route.
fn field_paths(paths: &mut Map<String, Value>) {
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
    let day = json!({ "type": "object", "properties": {
        "technician_id": { "type": "integer" }, "technician_name": { "type": "string" },
        "date": { "type": "string", "format": "date" }, "utc_offset_minutes": { "type": "integer" },
        "home_lon": number_or_null, "home_lat": number_or_null,
        "stops": { "type": "array", "items": stop, "description": "Closed visits first (in the order done), then open ones in planned route order, then open ones the plan could not place" },
        "distances": { "type": "string" }, "fetched_at": time } });
    paths.insert(
        "/api/v1/field/day".into(),
        json!({ "get": {
            "summary": "A technician's visits of a day, open ones in planned route order (the technician view's data)",
            "parameters": [
                { "name": "technician_id", "in": "query", "required": true, "schema": { "type": "integer" } },
                { "name": "date", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
                query_param("utc_offset_minutes", json!({ "type": "integer", "default": 420 }), "Local time zone of the day"),
            ],
            "responses": {
                "200": ok("The day", day.clone()),
                "400": error_response("Missing or malformed technician_id or date"),
                "422": error_response("Not a technician"),
            },
        } }),
    );
    let result = json!({ "type": "object", "properties": {
        "client_id": { "type": "string" }, "visit_id": { "type": "integer" }, "action": { "type": "string" },
        "result": { "type": "string", "enum": ["applied", "conflict", "rejected"] },
        "visit_version": { "type": "integer" }, "visit_status": { "type": "string" }, "message": text_or_null,
        "distance_m": number_or_null, "far": { "type": "boolean", "description": "Check-in more than 300 m from the account" },
        "recorded_at": time, "received_at": time,
        "replayed": { "type": "boolean", "description": "This repeats the answer to an earlier submission of the same client_id" } } });
    paths.insert(
        "/api/v1/field/actions".into(),
        json!({
            "post": {
                "summary": "Record a technician's action on a visit: idempotent by client_id; applied only if base_version is the visit's current version; every action is kept",
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["client_id", "visit_id", "base_version", "action", "recorded_at"],
                    "properties": {
                        "client_id": { "type": "string", "format": "uuid", "description": "Made on the device; a resend with the same id returns the first result" },
                        "visit_id": { "type": "integer" },
                        "base_version": { "type": "integer", "description": "The visit version the device knew (plus one per own action queued before)" },
                        "action": { "type": "string", "enum": ["status", "check_in", "report"] },
                        "status": { "type": "string", "enum": ["en_route", "on_site", "done", "missed"] },
                        "lon": { "type": "number" }, "lat": { "type": "number" }, "accuracy_m": { "type": "number" },
                        "outcome": { "type": "string", "maxLength": 2000 }, "notes": { "type": "string", "maxLength": 2000 },
                        "recorded_at": time } } } } },
                "responses": {
                    "200": ok("Applied (or a resend of an applied action: replayed)", result.clone()),
                    "400": error_response("Malformed body or recorded_at"),
                    "409": ok("Recorded, not applied: the visit changed since base_version (error, current_version and the result), or client_id already used for another visit", result.clone()),
                    "422": ok("Recorded, not applied: the action does not fit the visit's current state; or a field breaks a rule (nothing recorded)", result.clone()),
                },
            },
            "get": {
                "summary": "Recorded actions, newest first (conflicts stay visible here)",
                "parameters": [
                    query_param("visit_id", json!({ "type": "integer" }), "Only this visit"),
                    query_param("technician_id", json!({ "type": "integer" }), "Only this technician's visits"),
                    query_param("result", json!({ "type": "string", "enum": ["applied", "conflict", "rejected"] }), "Only these"),
                    query_param("limit", json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }), "At most this many"),
                ],
                "responses": {
                    "200": ok("The actions", json!({ "type": "object", "properties": { "items": { "type": "array", "items": result } } })),
                    "400": error_response("Malformed parameter"),
                },
            },
        }),
    );
    paths.insert(
        "/api/v1/routes/add-stop".into(),
        json!({ "post": {
            "summary": "Add an account to a technician's route of a day (a visit within their shift), then re-plan their day",
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["technician_id", "account_id", "date"], "properties": {
                    "technician_id": { "type": "integer" }, "account_id": { "type": "integer" },
                    "date": { "type": "string", "format": "date" },
                    "utc_offset_minutes": { "type": "integer", "default": 420 },
                    "duration_min": { "type": "integer", "minimum": 1, "maximum": 480, "default": 30 } } } } } },
            "responses": {
                "201": ok("The new visit, whether the plan found room for it, and the re-planned day", json!({ "type": "object", "properties": {
                    "visit": schema_ref("Visit"), "planned": { "type": "boolean" }, "day": day } })),
                "400": error_response("Malformed body or a missing field"),
                "422": error_response("Unknown technician or account, or a value out of range"),
            },
        } }),
    );
}

/// Territory planning (`/planning/...`, see docs/planning.md): drafts, import/export,
/// validation, preview, publishing (409 when stale), auto-assignment, balancing, the audit trail.
fn planning_paths(schemas: &mut Map<String, Value>, paths: &mut Map<String, Value>) {
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
    let draft_param = [id_param()];
    let model_params = [
        query_param(
            "service_hours",
            json!({ "type": "number", "minimum": 0, "maximum": 24, "default": 1 }),
            "Time on site per account (visit hours)",
        ),
        query_param(
            "speed_kmh",
            json!({ "type": "number", "minimum": 1, "maximum": 200, "default": 30 }),
            "Travel speed (visit hours)",
        ),
    ];
    let stale = "Stale: someone published since the draft was made (the message names both revisions; PATCH with rebase after looking), the draft changed since `version`, or it is already published";
    let entries: Vec<(&str, Value)> = vec![
        (
            "/api/v1/planning/revision",
            json!({ "get": { "summary": "The published territories' revision",
                "responses": { "200": ok("The revision", json!({ "type": "object", "properties": { "revision": int } })) } } }),
        ),
        (
            "/api/v1/planning/validate",
            json!({ "post": { "summary": "Problems of a territory set (self-intersections, overlaps, gaps, names), each with the place to point at; nothing stored",
                "requestBody": json_content(json!({ "type": "object", "required": ["territories"], "additionalProperties": false,
                    "properties": { "territories": territories } })),
                "responses": { "200": ok("The problems", json!({ "type": "object", "properties": {
                    "valid": { "type": "boolean", "description": "No errors (warnings allowed)" },
                    "problems": { "type": "array", "items": schema_ref("PlanningProblem") } } })),
                    "400": error_response("Malformed body"), "422": error_response("A name too long, an id twice, a geometry not an object") } } }),
        ),
        (
            "/api/v1/planning/drafts",
            json!({
                "get": { "summary": "Every draft, newest first",
                    "responses": { "200": ok("Drafts", json!({ "type": "array", "items": schema_ref("Draft") })) } },
                "post": { "summary": "Create a draft (default: a copy of the published territories)",
                    "requestBody": json_content(json!({ "type": "object", "additionalProperties": false, "properties": {
                        "name": { "type": "string", "maxLength": 200 }, "territories": territories, "actor": { "type": "string" } } })),
                    "responses": { "201": ok("Created", schema_ref("Draft")), "400": error_response("Malformed body"),
                        "422": error_response("A field breaks a rule") } } }),
        ),
        (
            "/api/v1/planning/drafts/{id}",
            json!({
                "parameters": draft_param,
                "get": { "summary": "Read a draft", "responses": { "200": ok("The draft", schema_ref("Draft")), "404": error_response("No such draft") } },
                "patch": { "summary": "Change a draft's name or territories, or rebase it onto the current published revision",
                    "requestBody": json_content(json!({ "type": "object", "required": ["version"], "additionalProperties": false, "properties": {
                        "version": { "type": "integer", "description": "The version you last read" },
                        "name": { "type": "string", "maxLength": 200 }, "territories": territories,
                        "rebase": { "type": "boolean", "default": false, "description": "Move the draft onto the current revision" } } })),
                    "responses": { "200": ok("Changed", schema_ref("Draft")), "404": error_response("No such draft"),
                        "409": error_response("Changed since `version`, or already published"), "422": error_response("A field breaks a rule") } },
                "delete": { "summary": "Delete a draft", "responses": { "204": { "description": "Deleted" }, "404": error_response("No such draft") } } }),
        ),
        (
            "/api/v1/planning/drafts/{id}/import",
            json!({ "post": { "summary": "Add (or with replace, put instead) the features of a GeoJSON FeatureCollection to a draft: Polygon/MultiPolygon, name from `name` or `NAME`, optional `owner_id`; flawed geometries are kept and reported by validation",
                "parameters": [id_param(),
                    { "name": "version", "in": "query", "required": true, "schema": int, "description": "The draft version you last read" },
                    query_param("replace", json!({ "type": "boolean", "default": false }), "Replace the draft's territories")],
                "requestBody": { "required": true, "content": { "application/geo+json": {}, "application/json": {} } },
                "responses": { "200": ok("The draft with the imported territories", schema_ref("Draft")),
                    "404": error_response("No such draft"), "409": error_response("Changed since `version`, or already published"),
                    "422": error_response("Not GeoJSON, no features, or a feature refused (the message names it by position and name: not an area, a bad or unknown owner_id); nothing imported") } } }),
        ),
        (
            "/api/v1/planning/drafts/{id}/export",
            json!({ "get": { "summary": "A draft's territories as a GeoJSON FeatureCollection (re-importable)", "parameters": draft_param,
                "responses": { "200": { "description": "FeatureCollection", "content": { "application/geo+json": {} } }, "404": error_response("No such draft") } } }),
        ),
        (
            "/api/v1/planning/drafts/{id}/preview",
            json!({ "get": { "summary": "What publishing the draft would do: accounts that move, accounts in no territory, each rep's totals before and after, the spreads, the problems, whether it is stale",
                "parameters": [id_param(), model_params[0].clone(), model_params[1].clone()],
                "responses": { "200": ok("The preview", schema_ref("PlanningPreview")), "404": error_response("No such draft"),
                    "422": error_response("service_hours or speed_kmh out of range") } } }),
        ),
        (
            "/api/v1/planning/drafts/{id}/publish",
            json!({ "post": { "summary": "Publish a draft in one transaction: the territories are replaced and every account moves to the territory that contains it and to its rep (with an activity each and an audit entry)",
                "parameters": draft_param,
                "requestBody": json_content(json!({ "type": "object", "additionalProperties": false, "properties": {
                    "version": { "type": "integer", "description": "The draft version previewed (default: the current one)" },
                    "actor": { "type": "string", "description": "Only used for requests without a signed-in user" } } })),
                "responses": { "200": ok("What changed", schema_ref("PlanningOutcome")), "404": error_response("No such draft"),
                    "409": error_response(stale),
                    "422": ok("The draft has errors: `problems` lists them; nothing written", json!({ "type": "object", "properties": {
                        "error": { "type": "string" }, "field": { "type": "string" },
                        "problems": { "type": "array", "items": schema_ref("PlanningProblem") } } })) } } }),
        ),
        (
            "/api/v1/planning/auto-assign",
            json!({ "post": { "summary": "Assign every account by geometry to the published territory that contains it and to its rep (one transaction, activities, an audit entry)",
                "requestBody": json_content(json!({ "type": "object", "additionalProperties": false, "properties": {
                    "dry_run": { "type": "boolean", "default": false }, "actor": { "type": "string" } } })),
                "responses": { "200": ok("What changed (or would)", schema_ref("PlanningOutcome")), "400": error_response("Malformed body") } } }),
        ),
        (
            "/api/v1/planning/unassigned",
            json!({ "get": { "summary": "Accounts no published territory contains",
                "responses": { "200": ok("By id", json!({ "type": "array", "items": { "type": "object", "properties": {
                    "id": int, "name": { "type": "string" }, "lon": { "type": "number" }, "lat": { "type": "number" },
                    "owner_id": int_or_null, "territory_id": { "type": ["integer", "null"], "description": "The territory the record names, though none contains it" } } } })) } } }),
        ),
        (
            "/api/v1/planning/balance",
            json!({ "post": { "summary": "A balanced proposal as a new draft: contiguous districts of even load, one per rep, with each rep's totals before and after and the spreads",
                "requestBody": json_content(json!({ "type": "object", "additionalProperties": false, "properties": {
                    "measure": { "type": "string", "enum": ["accounts", "revenue", "visit_hours"], "default": "accounts" },
                    "rep_ids": { "type": "array", "items": int, "description": "Default: every sales rep" },
                    "seed": { "type": "integer", "default": 1 },
                    "time_budget_ms": { "type": "integer", "minimum": 1, "maximum": 5000, "default": 1000 },
                    "max_iterations": { "type": "integer", "minimum": 1, "default": 1000000 },
                    "compactness_weight": { "type": "number", "minimum": 0, "maximum": 10, "default": 0.005 },
                    "cell_deg": { "type": "number", "minimum": 0.01, "maximum": 2, "default": 0.1, "description": "Grid cell size the territories are built from" },
                    "start": { "type": "string", "enum": ["seeds", "current"], "default": "seeds" },
                    "service_hours": { "type": "number" }, "speed_kmh": { "type": "number" },
                    "draft_name": { "type": "string", "maxLength": 200 }, "actor": { "type": "string" } } })),
                "responses": { "201": ok("The proposal", json!({ "type": "object", "properties": {
                    "draft": schema_ref("Draft"), "measure": { "type": "string" },
                    "search": { "type": "object", "description": "atoms, started_from, district spreads and CVs at the start and end, iterations, moves, elapsed_ms" },
                    "reps": reps, "spread_before": spreads, "spread_after": spreads, "preview": schema_ref("PlanningPreview") } })),
                    "400": error_response("Malformed body"), "422": error_response("A value out of range or an unknown rep (the field is named)") } } }),
        ),
        (
            "/api/v1/planning/publications",
            json!({ "get": { "summary": "The planning audit trail (publications and auto-assignments), newest first",
                "parameters": [query_param("limit", json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 50 }), "At most this many")],
                "responses": { "200": ok("Newest first", json!({ "type": "array", "items": { "type": "object", "properties": {
                    "id": int, "draft_id": int_or_null, "revision": int, "actor": { "type": "string" },
                    "summary": { "type": "object" }, "published_at": { "type": "string", "format": "date-time" } } } })),
                    "400": error_response("Bad limit") } } }),
        ),
    ];
    for (path, item) in entries {
        paths.insert(path.into(), item);
    }
}

/// `GET /api/v1/openapi.json`
pub async fn openapi_json() -> Json<Value> {
    Json(document())
}
