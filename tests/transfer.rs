//! Import and export through the HTTP router against a real database (SQLite, or PostgreSQL
//! when `DATABASE_URL` says so): all-or-nothing imports whose 422 names every bad row and field,
//! round trips through CSV and GeoJSON into a fresh database, dry runs, and territories.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_tests::TestApp;

const CSV: &str = "text/csv";
const GEOJSON: &str = "application/geo+json";

/// Far from the demo data (Indonesia): nothing is near this point unless a test put it there.
const EMPTY_SPOT: (f64, f64) = (-30.0, -40.0);

async fn import(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let request = Request::post(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    app.request_json(request).await
}

async fn import_accounts(app: &TestApp, content_type: &str, body: String) -> (StatusCode, Value) {
    import(app, "/api/v1/accounts/import", content_type, body).await
}

async fn account_count(app: &TestApp) -> u64 {
    let (status, page) = app.get_json("/api/v1/accounts?limit=1").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["total"].as_u64().unwrap()
}

/// How many accounts the spatial index has within 50 km of `EMPTY_SPOT`.
async fn indexed_near_empty_spot(app: &TestApp) -> usize {
    let (lon, lat) = EMPTY_SPOT;
    let (status, hits) = app
        .get_json(&format!(
            "/api/v1/accounts/nearby?lon={lon}&lat={lat}&radius_m=50000"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    hits.as_array().unwrap().len()
}

/// Every account, without what a database assigns (id, version, timestamps), in id order.
async fn account_contents(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/accounts?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut a = a.clone();
            // The margin comes from the account's orders, which an accounts file does not carry
            // (the revenue does, as a figure).
            for key in ["id", "version", "created_at", "updated_at", "margin_minor"] {
                a.as_object_mut().unwrap().remove(key);
            }
            a
        })
        .collect()
}

async fn export(app: &TestApp, path: &str) -> (String, String, String) {
    let response = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get(path).body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        content_type,
        disposition,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

/// (row, field) of each listed error.
fn places(body: &Value) -> Vec<(Option<u64>, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list: {body}"))
        .iter()
        .map(|e| {
            (
                e["row"].as_u64(),
                e["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn near_empty_spot(i: usize) -> (f64, f64) {
    (EMPTY_SPOT.0 + 0.01 * i as f64, EMPTY_SPOT.1)
}

/// Five accounts near `EMPTY_SPOT`, the third with latitude 95, in CSV and in GeoJSON.
fn five_with_a_broken_third() -> [(&'static str, String); 2] {
    let rows: Vec<(String, f64, f64)> = (1..=5)
        .map(|i| {
            let (lon, lat) = near_empty_spot(i);
            (format!("BATCH-{i}"), lon, if i == 3 { 95.0 } else { lat })
        })
        .collect();
    let mut csv = String::from("external_id,name,lon,lat\n");
    for (ext, lon, lat) in &rows {
        csv.push_str(&format!("{ext},Toko {ext},{lon},{lat}\n"));
    }
    let features: Vec<Value> = rows
        .iter()
        .map(|(ext, lon, lat)| {
            json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": { "external_id": ext, "name": format!("Toko {ext}") },
            })
        })
        .collect();
    let geojson = json!({ "type": "FeatureCollection", "features": features }).to_string();
    [(CSV, csv), (GEOJSON, geojson)]
}

#[tokio::test]
async fn a_broken_row_in_the_middle_writes_nothing() {
    let app = TestApp::start().await;
    let before = account_count(&app).await;
    for (content_type, file) in five_with_a_broken_third() {
        let (status, body) = import_accounts(&app, content_type, file).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            (body["row"].as_u64(), body["field"].as_str()),
            (Some(3), Some("lat"))
        );
        assert!(
            body["error"].as_str().unwrap().contains("outside -90..=90"),
            "{body}"
        );
        assert_eq!(places(&body), [(Some(3), "lat".to_owned())]);
        assert_eq!(account_count(&app).await, before, "nothing written");
        assert_eq!(indexed_near_empty_spot(&app).await, 0, "index unchanged");
    }
}

#[tokio::test]
async fn every_bad_row_is_listed_by_row_and_field() {
    let app = TestApp::start().await;
    let csv = "name,kind,status,lon,lat,owner_id\n\
               Good,customer,active,1,1,\n\
               Enum,vip,,1,1,\n\
               Range,,,181,1,\n\
               Status,customer,new,1,1,\n\
               Owner,,,1,1,999999\n";
    let (status, body) = import_accounts(&app, CSV, csv.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The file's own rules come first; references are checked against the database only when
    // the file itself is clean.
    assert_eq!(
        places(&body),
        [
            (Some(2), "kind".to_owned()),
            (Some(3), "lon".to_owned()),
            (Some(4), "status".to_owned()),
        ]
    );
    assert!(
        body["errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("customer, prospect")
    );

    let (status, body) = import_accounts(
        &app,
        CSV,
        "name,lon,lat,owner_id,territory_id\nA,1,1,999999,\nB,1,1,,888888\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        places(&body),
        [
            (Some(1), "owner_id".to_owned()),
            (Some(2), "territory_id".to_owned())
        ]
    );
}

#[tokio::test]
async fn unknown_and_missing_columns_are_named() {
    let app = TestApp::start().await;
    let (status, body) = import_accounts(&app, CSV, "name,colour,lon\nA,red,1\n".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        places(&body),
        [(None, "colour".to_owned()), (None, "lat".to_owned())]
    );
    assert!(
        body.get("row").is_none(),
        "a header error has no row: {body}"
    );
}

#[tokio::test]
async fn duplicate_external_ids_in_the_file_and_in_the_database_are_refused() {
    let app = TestApp::start().await;
    let before = account_count(&app).await;
    let csv = "external_id,name,lon,lat\nNEW-1,A,1,1\nNEW-2,B,1,1\nNEW-1,C,1,1\n";
    let (status, body) = import_accounts(&app, CSV, csv.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(places(&body), [(Some(3), "external_id".to_owned())]);
    assert!(body["error"].as_str().unwrap().contains("row 1"), "{body}");

    let (_, page) = app.get_json("/api/v1/accounts?limit=1000").await;
    let taken = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a["external_id"].as_str())
        .expect("the demo has external ids")
        .to_owned();
    let csv = format!("external_id,name,lon,lat\nNEW-3,A,1,1\n{taken},B,1,1\n");
    for dry_run in ["?dry_run=true", ""] {
        let (status, body) = import(
            &app,
            &format!("/api/v1/accounts/import{dry_run}"),
            CSV,
            csv.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(places(&body), [(Some(2), "external_id".to_owned())]);
    }
    assert_eq!(account_count(&app).await, before);
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let app = TestApp::start().await;
    let before = account_count(&app).await;
    let (lon, lat) = EMPTY_SPOT;
    let csv = format!("name,lon,lat\nA,{lon},{lat}\nB,{lon},{lat}\n");
    let (status, body) = import(&app, "/api/v1/accounts/import?dry_run=true", CSV, csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // `rows` reports geocoded rows and likely duplicates: none here.
    assert_eq!(body, json!({ "dry_run": true, "valid": 2, "rows": [] }));
    assert_eq!(account_count(&app).await, before);
    assert_eq!(indexed_near_empty_spot(&app).await, 0);
}

#[tokio::test]
async fn imported_accounts_are_stored_and_indexed() {
    let app = TestApp::start().await;
    let before = account_count(&app).await;
    let features: Vec<Value> = (1..=3)
        .map(|i| {
            let (lon, lat) = near_empty_spot(i);
            json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": { "name": format!("Geo {i}"), "kind": "customer", "tags": ["geo"] },
            })
        })
        .collect();
    let body = json!({ "type": "FeatureCollection", "features": features }).to_string();
    let (status, answer) = import_accounts(&app, GEOJSON, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["imported"], 3);
    let id = answer["ids"][0].as_i64().unwrap();
    let (_, first) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(
        (first["name"].as_str(), first["status"].as_str()),
        (Some("Geo 1"), Some("active"))
    );
    assert_eq!(account_count(&app).await, before + 3);
    assert_eq!(indexed_near_empty_spot(&app).await, 3);
}

#[tokio::test]
async fn an_import_needs_a_known_content_type() {
    let app = TestApp::start().await;
    let (status, body) = import_accounts(&app, "text/plain", "name,lon,lat\n".into()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, body) = import_accounts(&app, GEOJSON, "{\"type\":\"Feature\"}".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// Exports every account of a demo database in `format`, imports the file into a fresh one
/// (its own demo accounts deleted first, so staff and territory ids match) and compares.
async fn round_trip(format: &str, content_type: &str) {
    let source = TestApp::start().await;
    let (exported_type, disposition, file) =
        export(&source, &format!("/api/v1/accounts/export?format={format}")).await;
    assert!(exported_type.starts_with(content_type), "{exported_type}");
    assert!(
        disposition.starts_with("attachment; filename=\"wilayah-accounts-")
            && disposition.ends_with(&format!(".{format}\"")),
        "{disposition}"
    );

    let target = TestApp::start().await;
    let (_, page) = target.get_json("/api/v1/accounts?limit=1000").await;
    for account in page["items"].as_array().unwrap() {
        let id = account["id"].as_i64().unwrap();
        let (status, _) = target
            .request_json(
                Request::delete(format!("/api/v1/accounts/{id}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(account_count(&target).await, 0);

    let (status, body) = import_accounts(&target, content_type, file).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let expected = account_contents(&source).await;
    assert_eq!(body["imported"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(account_contents(&target).await, expected);
}

#[tokio::test]
async fn csv_export_round_trips_into_a_fresh_database() {
    round_trip("csv", CSV).await;
}

#[tokio::test]
async fn geojson_export_round_trips_into_a_fresh_database() {
    round_trip("geojson", GEOJSON).await;
}

#[tokio::test]
async fn exports_apply_the_list_filters() {
    let app = TestApp::start().await;
    let (_, prospects) = app.get_json("/api/v1/accounts?kind=prospect&limit=1").await;
    let (_, _, csv) = export(&app, "/api/v1/accounts/export?kind=prospect").await;
    let rows = csv.lines().count() - 1;
    assert_eq!(rows as u64, prospects["total"].as_u64().unwrap());
    let (_, _, geojson) =
        export(&app, "/api/v1/accounts/export?format=geojson&kind=prospect").await;
    let parsed: Value = serde_json::from_str(&geojson).unwrap();
    assert_eq!(parsed["features"].as_array().unwrap().len(), rows);
    let (status, body) = app.get_json("/api/v1/accounts/export?format=xml").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("format"))
    );
}

fn square(x: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [[[x, 10.0], [x + 1.0, 10.0], [x + 1.0, 11.0], [x, 11.0], [x, 10.0]]] })
}

fn territory_collection(features: Vec<(Value, Value)>) -> String {
    let features: Vec<Value> = features
        .into_iter()
        .map(|(properties, geometry)| json!({ "type": "Feature", "properties": properties, "geometry": geometry }))
        .collect();
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

async fn territory_count(app: &TestApp) -> usize {
    let (_, _, file) = export(app, "/api/v1/territories/export").await;
    let parsed: Value = serde_json::from_str(&file).unwrap();
    parsed["features"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_self_intersecting_territory_is_refused_naming_the_feature() {
    let app = TestApp::start().await;
    let before = territory_count(&app).await;
    let bowtie =
        json!({ "type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] });
    let body = territory_collection(vec![
        (json!({ "name": "Fine" }), square(0.0)),
        (json!({ "name": "Bowtie" }), bowtie),
    ]);
    let (status, answer) = import(&app, "/api/v1/territories/import", GEOJSON, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        (answer["row"].as_u64(), answer["field"].as_str()),
        (Some(2), Some("geometry"))
    );
    assert!(
        answer["error"].as_str().unwrap().contains("crosses"),
        "{answer}"
    );
    assert_eq!(territory_count(&app).await, before);
}

#[tokio::test]
async fn territories_round_trip_and_names_stay_unique() {
    let source = TestApp::start().await;
    let (content_type, _, file) = export(&source, "/api/v1/territories/export").await;
    assert_eq!(content_type, GEOJSON);
    let exported: Value = serde_json::from_str(&file).unwrap();
    assert!(!exported["features"].as_array().unwrap().is_empty());

    // Into the same database: every name is taken.
    let (status, body) = import(&source, "/api/v1/territories/import", GEOJSON, file.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        (body["row"].as_u64(), body["field"].as_str()),
        (Some(1), Some("name"))
    );

    // Into an empty database, which has no staff, so without owners.
    let target = TestApp::start_with(|c| c.no_demo = true).await;
    let mut without_owners = exported.clone();
    for feature in without_owners["features"].as_array_mut().unwrap() {
        feature["properties"]["owner_id"] = Value::Null;
    }
    let (status, body) = import(
        &target,
        "/api/v1/territories/import",
        "application/json",
        without_owners.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, _, again) = export(&target, "/api/v1/territories/export").await;
    let again: Value = serde_json::from_str(&again).unwrap();
    let shape = |collection: &Value| -> Vec<(Value, Value)> {
        collection["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["properties"]["name"].clone(), f["geometry"].clone()))
            .collect()
    };
    assert_eq!(shape(&again), shape(&exported));

    // Owners that do not exist are named.
    let body = territory_collection(vec![(
        json!({ "name": "Owned", "owner_id": 424242 }),
        square(20.0),
    )]);
    let (status, answer) = import(&target, "/api/v1/territories/import", GEOJSON, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        (answer["row"].as_u64(), answer["field"].as_str()),
        (Some(1), Some("owner_id"))
    );
}
