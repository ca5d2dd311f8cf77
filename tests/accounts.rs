//! `/api/v1/accounts` against a real database (SQLite, or PostgreSQL when `DATABASE_URL` says so):
//! CRUD, validation errors naming the field, optimistic concurrency, list filters checked against
//! a scan of all accounts, and the spatial lists (within an area, nearby) checked against brute
//! force on the sphere.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::geojson::parse_area;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::TestApp;

fn new_account() -> Value {
    json!({
        "name": "Toko Sinar Baru", "kind": "prospect", "segment": "retail",
        "lon": 106.8272, "lat": -6.1754, "tags": ["new-outlet"],
    })
}

/// Every account, read through the API (the demo has a few hundred).
async fn all_accounts(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/accounts?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["total"].as_u64().unwrap() as usize,
        page["items"].as_array().unwrap().len()
    );
    page["items"].as_array().unwrap().clone()
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|a| a["id"].as_i64().unwrap()).collect()
}

fn position(a: &Value) -> LonLat {
    LonLat::new(a["lon"].as_f64().unwrap(), a["lat"].as_f64().unwrap()).unwrap()
}

#[tokio::test]
async fn create_read_update_delete() {
    let app = TestApp::start().await;
    let (status, created) = app
        .send_json("POST", "/api/v1/accounts", &new_account())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "new", "a new prospect by default");
    assert_eq!(created["currency"], "IDR");

    let (status, read) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    // The create answer adds the likely duplicates to the stored account.
    assert_eq!(created["duplicates"], json!([]));
    let mut stored = created.clone();
    stored.as_object_mut().unwrap().remove("duplicates");
    assert_eq!(read, stored);

    let patch =
        json!({ "version": 1, "kind": "customer", "revenue_minor": 25_000_000, "segment": null });
    let (status, updated) = app
        .send_json("PATCH", &format!("/api/v1/accounts/{id}"), &patch)
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    assert_eq!(
        (updated["kind"].as_str(), updated["status"].as_str()),
        (Some("customer"), Some("active"))
    );
    assert_eq!(updated["segment"], Value::Null);
    assert_eq!(updated["name"], "Toko Sinar Baru", "untouched fields stay");

    let (status, _) = app
        .request_json(
            Request::delete(format!("/api/v1/accounts/{id}?version=2"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn a_stale_update_gets_409_with_the_current_version_and_changes_nothing() {
    let app = TestApp::start().await;
    let (_, created) = app
        .send_json("POST", "/api/v1/accounts", &new_account())
        .await;
    let uri = format!("/api/v1/accounts/{}", created["id"]);

    // Two people edit the same version at once: exactly one wins.
    let first = json!({ "version": 1, "name": "Edited by Budi" });
    let second = json!({ "version": 1, "name": "Edited by Siti" });
    let ((s1, b1), (s2, b2)) = tokio::join!(
        app.send_json("PATCH", &uri, &first),
        app.send_json("PATCH", &uri, &second)
    );
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{b1} / {b2}"
    );
    let (winner, loser) = if s1 == StatusCode::OK {
        (b1, b2)
    } else {
        (b2, b1)
    };
    assert_eq!(loser["current_version"], 2);
    assert!(
        loser["error"]
            .as_str()
            .unwrap()
            .contains("changed by someone else")
    );

    let (_, now) = app.get_json(&uri).await;
    assert_eq!(
        now["name"], winner["name"],
        "the loser's write did not land"
    );
    assert_eq!(now["version"], 2);

    // A delete against the old version is refused too.
    let (status, body) = app
        .request_json(
            Request::delete(format!("{uri}?version=1"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["current_version"], 2);
    let (status, _) = app
        .request_json(
            Request::delete(&uri)
                .header("if-match", "\"1\"")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_input_is_a_4xx_naming_the_field_and_writes_nothing() {
    let app = TestApp::start().await;
    let before = all_accounts(&app).await.len();
    let with = |change: Value| {
        let mut body = new_account();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            with(json!({ "lon": 181.0 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("lon"),
        ),
        (
            with(json!({ "lat": -90.5 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("lat"),
        ),
        (
            with(json!({ "name": "   " })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            with(json!({ "kind": "customer", "status": "qualified" })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("status"),
        ),
        (
            with(json!({ "revenue_minor": -5 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("revenue_minor"),
        ),
        (
            with(json!({ "owner_id": 999_999 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("owner_id"),
        ),
        (
            with(json!({ "territory_id": 999_999 })),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("territory_id"),
        ),
        (
            with(json!({ "kind": "vip" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            with(json!({ "colour": "red" })),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            json!({ "lon": 1.0, "lat": 1.0 }),
            StatusCode::BAD_REQUEST,
            None,
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = app.send_json("POST", "/api/v1/accounts", &body).await;
        assert_eq!(got, status, "{body} -> {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
        if let Some(field) = field {
            assert_eq!(answer["field"], field, "{answer}");
        }
    }
    // serde's message says which field is unknown or missing.
    let (_, answer) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &with(json!({ "colour": "red" })),
        )
        .await;
    assert!(
        answer["error"].as_str().unwrap().contains("colour"),
        "{answer}"
    );

    let malformed = Request::post("/api/v1/accounts")
        .header("content-type", "application/json")
        .body(Body::from("{\"name\":"))
        .unwrap();
    let (status, answer) = app.request_json(malformed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let no_type = Request::post("/api/v1/accounts")
        .body(Body::from(new_account().to_string()))
        .unwrap();
    assert_eq!(
        app.request_json(no_type).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let huge = Request::post("/api/v1/accounts")
        .header("content-type", "application/json")
        .body(Body::from(format!(
            "{{\"name\":\"{}\"}}",
            "x".repeat(9 * 1024 * 1024)
        )))
        .unwrap();
    let (status, answer) = app.request_json(huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");

    assert_eq!(
        all_accounts(&app).await.len(),
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn duplicate_external_ids_are_a_conflict_on_that_field() {
    let app = TestApp::start().await;
    let mut body = new_account();
    body["external_id"] = json!("ERP-1");
    assert_eq!(
        app.send_json("POST", "/api/v1/accounts", &body).await.0,
        StatusCode::CREATED
    );
    let (status, answer) = app.send_json("POST", "/api/v1/accounts", &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["field"], "external_id");
}

#[tokio::test]
async fn list_filters_sorting_and_paging_agree_with_a_scan() {
    let app = TestApp::start().await;
    let all = all_accounts(&app).await;
    let owner = all[0]["owner_id"].as_i64().unwrap();
    let tag = all
        .iter()
        .find_map(|a| a["tags"].as_array().and_then(|t| t.first()).cloned())
        .unwrap();
    let tag = tag.as_str().unwrap();
    let (status, contacts) = app.get_json("/api/v1/contacts?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{contacts}");
    assert!(
        contacts["total"].as_u64().unwrap() as usize == contacts["items"].as_array().unwrap().len()
    );
    let contacts = contacts["items"].as_array().unwrap().clone();
    // Six digits from inside some contact's phone (not starting like a country or trunk prefix,
    // which the search drops): found however the number is written.
    let digits: Vec<char> = contacts
        .iter()
        .find_map(|c| c["phone"].as_str())
        .expect("a contact with a phone")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let phone_digits: String = digits
        .windows(6)
        .skip(2)
        .map(|w| w.iter().collect::<String>())
        .find(|w| !w.starts_with('0') && !w.starts_with("62"))
        .expect("six digits inside a phone number");
    let expect = |pred: &dyn Fn(&Value) -> bool| {
        ids(&all.iter().filter(|a| pred(a)).cloned().collect::<Vec<_>>())
    };

    let cases: Vec<(String, Vec<i64>)> = vec![
        ("kind=customer".into(), expect(&|a| a["kind"] == "customer")),
        (
            "kind=prospect&status=qualified".into(),
            expect(&|a| a["kind"] == "prospect" && a["status"] == "qualified"),
        ),
        (
            format!("owner_id={owner}"),
            expect(&|a| a["owner_id"] == owner),
        ),
        (
            format!("tag={tag}"),
            expect(&|a| a["tags"].as_array().unwrap().iter().any(|t| t == tag)),
        ),
        (
            "segment=healthcare".into(),
            expect(&|a| a["segment"] == "healthcare"),
        ),
        // The search reads the name, the address and the account's contacts (name, e-mail,
        // and the phone by its digits).
        (
            "q=JAYA".into(),
            expect(&|a| {
                let has = |v: &Value| {
                    v.as_str()
                        .is_some_and(|s| s.to_lowercase().contains("jaya"))
                };
                has(&a["name"])
                    || has(&a["address"])
                    || contacts.iter().any(|c| {
                        c["account_id"] == a["id"] && (has(&c["name"]) || has(&c["email"]))
                    })
            }),
        ),
        (
            format!("q={}", phone_digits),
            expect(&|a| {
                contacts.iter().any(|c| {
                    c["account_id"] == a["id"]
                        && c["phone"].as_str().is_some_and(|p| {
                            p.chars()
                                .filter(char::is_ascii_digit)
                                .collect::<String>()
                                .contains(&phone_digits)
                        })
                })
            }),
        ),
        // Pattern characters are matched literally, and SQL in a filter is just text.
        ("q=%25".into(), vec![]),
        ("q=x'%20OR%20'1'='1".into(), vec![]),
        ("tag=x'%20OR%201=1--".into(), vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = app
            .get_json(&format!("/api/v1/accounts?limit=1000&{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(ids(page["items"].as_array().unwrap()), expected, "{query}");
        assert_eq!(
            page["total"].as_u64().unwrap() as usize,
            expected.len(),
            "{query}"
        );
    }

    // Sorted by revenue, descending, paged 25 at a time: the pages join up to the full order.
    let mut paged = Vec::new();
    for offset in (0..all.len()).step_by(25) {
        let (_, page) = app
            .get_json(&format!(
                "/api/v1/accounts?sort=-revenue&limit=25&offset={offset}"
            ))
            .await;
        assert_eq!(page["total"].as_u64().unwrap() as usize, all.len());
        paged.extend(page["items"].as_array().unwrap().clone());
    }
    let mut expected = all.clone();
    expected.sort_by_key(|a| {
        (
            std::cmp::Reverse(a["revenue_minor"].as_i64().unwrap()),
            std::cmp::Reverse(a["id"].as_i64().unwrap()),
        )
    });
    assert_eq!(ids(&paged), ids(&expected));

    for (query, field) in [
        ("sort=colour", "sort"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("kind=vip", "kind"),
    ] {
        let (status, answer) = app.get_json(&format!("/api/v1/accounts?{query}")).await;
        assert_eq!(
            status,
            if field == "sort" {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_REQUEST
            },
            "{query}"
        );
        assert_eq!(answer["field"], field, "{query}");
    }
    let (status, answer) = app.get_json("/api/v1/accounts?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"].as_str().unwrap().contains("colour"),
        "{answer}"
    );
}

#[tokio::test]
async fn within_a_territory_or_an_area_equals_a_point_in_polygon_scan() {
    let app = TestApp::start().await;
    let all = all_accounts(&app).await;
    // Demo territories contain exactly their own accounts.
    let territory = all[0]["territory_id"].as_i64().unwrap();
    let (status, page) = app
        .get_json(&format!("/api/v1/accounts?limit=1000&within={territory}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let expected = ids(&all
        .iter()
        .filter(|a| a["territory_id"] == territory)
        .cloned()
        .collect::<Vec<_>>());
    assert_eq!(ids(page["items"].as_array().unwrap()), expected);

    // An ad-hoc area around central Jakarta, combined with a kind filter.
    let area = r#"{"type":"Polygon","coordinates":[[[106.70,-6.35],[106.95,-6.35],[106.95,-6.10],[106.70,-6.10],[106.70,-6.35]]]}"#;
    let region = parse_area(area, "within").unwrap();
    let encoded: String = area.bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, page) = app
        .get_json(&format!(
            "/api/v1/accounts?limit=1000&kind=customer&within={encoded}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let expected = ids(&all
        .iter()
        .filter(|a| a["kind"] == "customer" && region.contains(position(a)))
        .cloned()
        .collect::<Vec<_>>());
    assert!(
        !expected.is_empty(),
        "the area should hold some demo customers"
    );
    assert_eq!(ids(page["items"].as_array().unwrap()), expected);

    let (status, answer) = app.get_json("/api/v1/accounts?within=999999").await;
    assert_eq!(
        (status, answer["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("within")),
        "{answer}"
    );
    let bowtie = r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#;
    let (status, answer) = app
        .get_json(&format!(
            "/api/v1/accounts?within={}",
            bowtie
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        ))
        .await;
    assert_eq!(
        (status, answer["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("within")),
        "{answer}"
    );
}

#[tokio::test]
async fn nearby_prospects_are_the_brute_force_nearest_in_metres() {
    let app = TestApp::start().await;
    let all = all_accounts(&app).await;
    let centre = LonLat::new(106.8456, -6.2088).unwrap(); // central Jakarta
    let mut prospects: Vec<(f64, i64)> = all
        .iter()
        .filter(|a| a["kind"] == "prospect")
        .map(|a| (haversine_m(centre, position(a)), a["id"].as_i64().unwrap()))
        .collect();
    prospects.sort_by(|a, b| a.partial_cmp(b).unwrap());

    let (status, hits) = app
        .get_json("/api/v1/accounts/nearby?lon=106.8456&lat=-6.2088&k=7&kind=prospect")
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    let hits = hits.as_array().unwrap();
    let got: Vec<i64> = hits
        .iter()
        .map(|h| h["account"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, prospects[..7].iter().map(|p| p.1).collect::<Vec<_>>());
    for (hit, (distance, _)) in hits.iter().zip(&prospects) {
        assert!(
            (hit["distance_m"].as_f64().unwrap() - distance).abs() < 0.5,
            "{hit}"
        );
        assert_eq!(hit["account"]["kind"], "prospect");
    }

    let radius = 15_000.0;
    let (status, hits) = app
        .get_json(&format!(
            "/api/v1/accounts/nearby?lon=106.8456&lat=-6.2088&radius_m={radius}&kind=prospect"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let got: Vec<i64> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["account"]["id"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = prospects
        .iter()
        .take_while(|p| p.0 <= radius)
        .map(|p| p.1)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);

    // A new prospect right at the centre becomes the nearest; once deleted it is gone again.
    let mut body = new_account();
    body["lon"] = json!(106.8456);
    body["lat"] = json!(-6.2088);
    let (_, created) = app.send_json("POST", "/api/v1/accounts", &body).await;
    let (_, hits) = app
        .get_json("/api/v1/accounts/nearby?lon=106.8456&lat=-6.2088&k=1&kind=prospect")
        .await;
    assert_eq!(hits[0]["account"]["id"], created["id"]);
    assert!(hits[0]["distance_m"].as_f64().unwrap() < 0.01);
    // Moving it 50 km away moves it in the index too.
    let patch = json!({ "version": 1, "lat": -6.66 });
    assert_eq!(
        app.send_json(
            "PATCH",
            &format!("/api/v1/accounts/{}", created["id"]),
            &patch
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, hits) = app
        .get_json("/api/v1/accounts/nearby?lon=106.8456&lat=-6.2088&k=1&kind=prospect")
        .await;
    assert_eq!(hits[0]["account"]["id"].as_i64(), Some(prospects[0].1));

    for (query, field) in [
        ("lon=200&lat=0", "lon"),
        ("lon=0&lat=0&k=0", "k"),
        ("lon=0&lat=0&radius_m=-1", "radius_m"),
        ("lon=0&lat=0&k=3&radius_m=10", "k"),
        ("lon=0&lat=0&kind=vip", "kind"),
    ] {
        let (status, answer) = app
            .get_json(&format!("/api/v1/accounts/nearby?{query}"))
            .await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{query}: {answer}"
        );
    }
}
