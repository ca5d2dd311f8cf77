//! The accounts workspace's routes (issue 14 items 2, 6, 7) against a real database (SQLite, or
//! PostgreSQL when `DATABASE_URL` says so): the list's search over address, contacts, phones and
//! e-mails (scoped); saved views, own and shared; a selection's export; the duplicates of an
//! account not yet saved; owner changes a rep may not make (the bulk action sends one PATCH per
//! row); contacts' consent per channel.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{Client, TestApp};

async fn create(client: &Client, body: Value) -> Value {
    let (status, created) = client.send_json("POST", "/api/v1/accounts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn search(client: &Client, q: &str) -> Vec<i64> {
    let uri = format!(
        "/api/v1/accounts?limit=1000&q={}",
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let (status, page) = client.get_json(&uri).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// A territory some sales rep owns, that rep, and a position inside it (an account's there).
async fn rep_territory(app: &TestApp) -> (i64, i64, f64, f64) {
    let (status, territories) = app.get_json("/api/v1/territories?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    for t in territories["items"].as_array().unwrap() {
        let Some(rep) = t["owner_id"].as_i64() else {
            continue;
        };
        let (_, page) = app
            .get_json(&format!(
                "/api/v1/accounts?territory_id={}&limit=1",
                t["id"]
            ))
            .await;
        if let Some(a) = page["items"].get(0) {
            return (
                t["id"].as_i64().unwrap(),
                rep,
                a["lon"].as_f64().unwrap(),
                a["lat"].as_f64().unwrap(),
            );
        }
    }
    panic!("the demo data has a rep's territory with accounts");
}

/// Another sales rep than `not`.
async fn other_rep(app: &TestApp, not: i64) -> i64 {
    let (_, staff) = app
        .get_json("/api/v1/staff?role=sales_rep&limit=1000")
        .await;
    staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|id| *id != not)
        .expect("two reps in the demo data")
}

#[tokio::test]
async fn search_finds_address_contacts_phones_and_emails_within_the_callers_rows() {
    let app = TestApp::start().await;
    let by_address = create(
        &app,
        json!({"name": "Toko Qwz Satu", "address": "Jl. Zelkova Raya 12, Bandung", "lon": 107.61, "lat": -6.91}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let with_contact = create(
        &app,
        json!({"name": "CV Qwz Dua", "lon": 107.62, "lat": -6.92}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (status, contact) = app
        .send_json(
            "POST",
            "/api/v1/contacts",
            &json!({"account_id": with_contact, "name": "Wulandari Prasetyo",
                "email": "wulan.qwz@example.id", "phone": "+62 812-7766-5544"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");

    assert_eq!(search(&app, "zelkova raya").await, vec![by_address]);
    assert_eq!(
        search(&app, "QWZ SATU").await,
        vec![by_address],
        "the name, any case"
    );
    assert_eq!(search(&app, "wulandari").await, vec![with_contact]);
    assert_eq!(search(&app, "wulan.qwz@").await, vec![with_contact]);
    assert_eq!(
        search(&app, "0812 7766").await,
        vec![with_contact],
        "the local form of the number"
    );
    assert_eq!(
        search(&app, "77665544").await,
        vec![with_contact],
        "without spacing"
    );
    // The digits are stored with the contact: an edited number is found by its new digits only.
    let (status, changed) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/contacts/{}", contact["id"]),
            &json!({"version": contact["version"], "phone": "(022) 4455.9911"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(
        search(&app, "77665544").await.is_empty(),
        "the old number is gone"
    );
    assert_eq!(search(&app, "022 4455 9911").await, vec![with_contact]);
    assert_eq!(search(&app, "qwz").await, {
        let mut both = vec![by_address, with_contact];
        both.sort_unstable();
        both
    });
    assert!(
        search(&app, "100%_zelkova").await.is_empty(),
        "pattern characters are literal"
    );

    // A rep finds neither: the accounts are outside their rows, whatever matches.
    let (_, rep, _, _) = rep_territory(&app).await;
    let client = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    assert!(search(&client, "wulandari").await.is_empty());
    assert!(search(&client, "zelkova").await.is_empty());

    // The selection's export holds the selected accounts only.
    let (status, csv) = app
        .get(&format!("/api/v1/accounts/export?ids={by_address}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("Toko Qwz Satu") && !csv.contains("CV Qwz Dua"),
        "{csv}"
    );
    let (status, body) = app.get_json("/api/v1/accounts/export?ids=3,x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "ids");
    // A rep's selection is cut to their rows.
    let (status, csv) = client
        .get(&format!(
            "/api/v1/accounts/export?ids={by_address},{with_contact}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(!csv.contains("Qwz"), "{csv}");
}

#[tokio::test]
async fn views_are_the_users_own_and_the_shared_ones() {
    let app = TestApp::start().await;
    let (_, rep, _, _) = rep_territory(&app).await;
    let other = other_rep(&app, rep).await;
    let budi = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    let siti = app.as_user(Role::SalesRep, Some(other), vec![]).await;

    let save = |client: &Client, name: &str, shared: bool| {
        let client = client.clone();
        let body = json!({"name": name, "query": "?status=at_risk&q=toko&sort=-revenue", "shared": shared});
        async move { client.send_json("POST", "/api/v1/views", &body).await }
    };
    let (status, private) = save(&budi, "  Budi at risk ", false).await;
    assert_eq!(status, StatusCode::CREATED, "{private}");
    assert_eq!(private["name"], "Budi at risk");
    assert_eq!(private["query"], "status=at_risk&q=toko&sort=-revenue");
    assert_eq!(private["mine"], true);
    let (status, shared) = save(&budi, "Team at risk", true).await;
    assert_eq!(status, StatusCode::CREATED, "{shared}");
    let (status, bad) = save(&siti, " ", false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["field"], "name");

    let names = |views: &Value| -> Vec<(String, bool)> {
        views
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_owned(),
                    v["mine"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let (_, budis) = budi.get_json("/api/v1/views").await;
    assert_eq!(
        names(&budis),
        [
            ("Budi at risk".to_owned(), true),
            ("Team at risk".to_owned(), true)
        ]
    );
    let (_, sitis) = siti.get_json("/api/v1/views").await;
    assert_eq!(
        names(&sitis),
        [("Team at risk".to_owned(), false)],
        "not Budi's private one"
    );

    // Siti may delete neither of Budi's: the shared one is refused, the private one unknown.
    let delete = |client: &Client, id: &Value| {
        let client = client.clone();
        let uri = format!("/api/v1/views/{id}");
        async move {
            client
                .request_json(Request::delete(uri).body(Body::empty()).unwrap())
                .await
                .0
        }
    };
    assert_eq!(delete(&siti, &shared["id"]).await, StatusCode::FORBIDDEN);
    assert_eq!(delete(&siti, &private["id"]).await, StatusCode::NOT_FOUND);
    let (_, budis) = budi.get_json("/api/v1/views").await;
    assert_eq!(budis.as_array().unwrap().len(), 2, "nothing was deleted");
    // Budi deletes his own, an admin anyone's.
    assert_eq!(delete(&budi, &private["id"]).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(&app, &shared["id"]).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(&budi, &shared["id"]).await, StatusCode::NOT_FOUND);
    let (_, budis) = budi.get_json("/api/v1/views").await;
    assert_eq!(budis, json!([]));
}

#[tokio::test]
async fn a_rep_may_tag_their_accounts_but_not_move_anothers_to_themself() {
    let app = TestApp::start().await;
    let (territory, rep, lon, lat) = rep_territory(&app).await;
    let other = other_rep(&app, rep).await;
    // A prospect in the rep's territory owned by another rep: the rep sees it, may not take it.
    let theirs = create(
        &app,
        json!({"name": "Prospek Orang Lain", "kind": "prospect", "lon": lon, "lat": lat,
            "owner_id": other, "territory_id": territory}),
    )
    .await;
    let mine = create(
        &app,
        json!({"name": "Prospek Sendiri", "kind": "prospect", "lon": lon, "lat": lat,
            "owner_id": rep, "territory_id": territory}),
    )
    .await;
    let client = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    let patch = |id: &Value, body: Value| {
        let client = client.clone();
        let uri = format!("/api/v1/accounts/{id}");
        async move { client.send_json("PATCH", &uri, &body).await }
    };
    // The bulk action: one PATCH per selected row, each answered on its own.
    let (status, body) = patch(&theirs["id"], json!({"version": 1, "owner_id": rep})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = patch(&mine["id"], json!({"version": 1, "tags": ["bulk"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tags"], json!(["bulk"]));
    let (_, unchanged) = app
        .get_json(&format!("/api/v1/accounts/{}", theirs["id"]))
        .await;
    assert_eq!(unchanged["owner_id"], other);
    assert_eq!(unchanged["version"], 1);
}

#[tokio::test]
async fn duplicates_of_an_unsaved_account() {
    let app = TestApp::start().await;
    let existing = create(
        &app,
        json!({"name": "Toko Kembar Jaya", "lon": 110.4203, "lat": -6.9932}),
    )
    .await;
    let (status, found) = app
        .get_json("/api/v1/accounts/duplicates?name=TOKO%20KEMBAR%20JAYA&lon=110.4204&lat=-6.9933")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let hit = found
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["account_id"] == existing["id"])
        .unwrap_or_else(|| panic!("{found}"));
    assert_eq!(hit["reasons"][0]["reason"], "same_name_nearby");
    let (status, far) = app
        .get_json("/api/v1/accounts/duplicates?name=Toko%20Kembar%20Jaya&lon=112.0&lat=-7.5")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !far.as_array()
            .unwrap()
            .iter()
            .any(|d| d["account_id"] == existing["id"])
    );
    let (status, none) = app.get_json("/api/v1/accounts/duplicates").await;
    assert_eq!((status, none), (StatusCode::OK, json!([])));
    let (status, body) = app
        .get_json("/api/v1/accounts/duplicates?name=x&lon=110.4")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "lat");
    // A rep is told only of their own accounts.
    let (_, rep, _, _) = rep_territory(&app).await;
    let client = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    let (_, theirs) = client
        .get_json("/api/v1/accounts/duplicates?name=Toko%20Kembar%20Jaya&lon=110.4204&lat=-6.9933")
        .await;
    assert_eq!(theirs, json!([]));
}

#[tokio::test]
async fn contacts_record_consent_per_channel_with_its_date() {
    let app = TestApp::start().await;
    let account = create(
        &app,
        json!({"name": "Apotek Sehat", "lon": 106.8, "lat": -6.2}),
    )
    .await;
    let (status, body) = app
        .send_json(
            "POST",
            "/api/v1/contacts",
            &json!({"account_id": account["id"], "name": "Dewi", "consent_email": "granted"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "consent_email_on");
    let (status, body) = app
        .send_json(
            "POST",
            "/api/v1/contacts",
            &json!({"account_id": account["id"], "name": "Dewi", "consent_sms": "maybe"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "consent_sms");
    let (status, created) = app
        .send_json(
            "POST",
            "/api/v1/contacts",
            &json!({"account_id": account["id"], "name": "Dewi", "phone": "0812 1111 2222",
                "consent_email": "granted", "consent_email_on": "2026-11-02", "consent_email_source": "web form",
                "consent_sms": "refused", "consent_sms_on": "2026-11-03"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, read) = app
        .get_json(&format!("/api/v1/contacts/{}", created["id"]))
        .await;
    assert_eq!(read["consent_email"], "granted");
    assert_eq!(read["consent_email_on"], "2026-11-02");
    assert_eq!(read["consent_email_source"], "web form");
    assert_eq!(read["consent_sms"], "refused");
    assert_eq!(read["consent_phone"], Value::Null);
    let (_, granted) = app
        .get_json(&format!(
            "/api/v1/contacts?account_id={}&consent_email=granted",
            account["id"]
        ))
        .await;
    assert_eq!(granted["items"].as_array().unwrap().len(), 1, "{granted}");
}
