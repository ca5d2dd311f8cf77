//! Satisfaction surveys (issue 17 item 6) against a real database (SQLite, or PostgreSQL when
//! `DATABASE_URL` says so): the sweep opens one survey per resolved case and done visit, once;
//! the e-mail goes to a contact who has not refused e-mail; the link answers once, with a line
//! in the customer's history; the results per staff member, category and territory equal a
//! count by hand and are scoped to the caller; bad input is named.

use axum::http::StatusCode;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{TestApp, created, id};

async fn sweep(app: &TestApp) -> i64 {
    let (status, answer) = app
        .send_json("POST", "/api/v1/surveys/sweep", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["opened"].as_i64().unwrap()
}

fn group<'a>(results: &'a Value, key: &Value) -> &'a Value {
    results["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == *key)
        .unwrap_or_else(|| panic!("no group {key} in {results}"))
}

#[tokio::test]
async fn surveys_open_once_answer_once_and_add_up_per_staff_category_and_territory() {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let staff = |name: &str, role: &str| json!({"name": name, "email": format!("{}@csat.test", name.to_lowercase()), "role": role});
    let rep = id(&created(&app, "/api/v1/staff", staff("Rina", "sales_rep")).await);
    let tech = id(&created(&app, "/api/v1/staff", staff("Tono", "technician")).await);
    let tech2 = id(&created(&app, "/api/v1/staff", staff("Tari", "technician")).await);
    let ring = json!([
        [106.0, -7.0],
        [107.0, -7.0],
        [107.0, -6.0],
        [106.0, -6.0],
        [106.0, -7.0]
    ]);
    let territory = id(&created(
        &app,
        "/api/v1/territories",
        json!({"name": "Barat", "geometry": {"type": "Polygon", "coordinates": [ring]}}),
    )
    .await);
    let account = |name: &str, lon: f64, owner: Option<i64>| json!({"name": name, "kind": "customer", "lon": lon, "lat": -6.5, "owner_id": owner});
    let a = id(&created(
        &app,
        "/api/v1/accounts",
        account("Toko A", 106.5, Some(rep)),
    )
    .await);
    let b = id(&created(&app, "/api/v1/accounts", account("Toko B", 110.5, None)).await);
    for (account, name, consent) in [(a, "Ana", "granted"), (b, "Budi", "refused")] {
        created(
            &app,
            "/api/v1/contacts",
            json!({"account_id": account, "name": name, "email": format!("{name}@x.example"),
                   "consent_email": consent, "consent_email_on": "2026-11-02"}),
        )
        .await;
    }
    // A case on A resolved (billing, assigned to Tono), one still open (no survey).
    created(
        &app,
        "/api/v1/cases",
        json!({"account_id": a, "subject": "Tagihan ganda", "category": "billing", "assigned_to": tech,
               "status": "resolved", "resolution": "Refunded"}),
    )
    .await;
    created(
        &app,
        "/api/v1/cases",
        json!({"account_id": a, "subject": "Open"}),
    )
    .await;
    let now = chrono::Utc::now();
    let window = |h: i64| (now - chrono::Duration::hours(h)).to_rfc3339();
    let visit = |account: i64, technician: i64, status: &str| {
        json!({"account_id": account, "technician_id": technician, "window_start": window(5),
               "window_end": window(1), "duration_min": 30, "status": status})
    };
    let v_b = id(&created(&app, "/api/v1/visits", visit(b, tech, "done")).await);
    let v_a = id(&created(&app, "/api/v1/visits", visit(a, tech2, "done")).await);
    created(&app, "/api/v1/visits", visit(b, tech2, "scheduled")).await;

    assert_eq!(
        sweep(&app).await,
        3,
        "the resolved case and the two done visits"
    );
    assert_eq!(sweep(&app).await, 0, "once each");

    // The e-mails: to Ana (A's case and A's visit); Budi refused e-mail, so B's visit has none.
    let store = app.state.store.system().clone();
    let mut claimed = Vec::new();
    while let Some(claim) = store.claim_next_survey_email().await.unwrap() {
        assert_eq!(claim.address.as_deref(), Some("Ana@x.example"), "{claim:?}");
        store.record_survey_email(claim.id, None).await.unwrap();
        claimed.push(claim);
    }
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    let case_link = claimed
        .iter()
        .find(|c| c.case_subject.is_some())
        .expect("the case's survey")
        .token
        .clone();
    let visit_link = claimed
        .iter()
        .find(|c| c.case_subject.is_none())
        .expect("the visit's survey")
        .token
        .clone();

    // The link, with no sign-in.
    let public = app.anonymous();
    let (status, invite) = public
        .get_json(&format!("/api/v1/public/surveys/{case_link}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{invite}");
    assert_eq!(invite["account_name"], "Toko A");
    assert_eq!(invite["case_subject"], "Tagihan ganda");
    assert_eq!(invite["answered"], false);
    let answer = |token: &str, body: Value| {
        let public = &public;
        let uri = format!("/api/v1/public/surveys/{token}");
        async move { public.send_json("POST", &uri, &body).await }
    };
    for (body, field) in [
        (json!({"score": 0}), "score"),
        (json!({"score": 6}), "score"),
        (json!({"score": 4, "comment": "x".repeat(2001)}), "comment"),
    ] {
        let (status, refused) = answer(&case_link, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["field"], field, "{refused}");
    }
    let (status, _) = answer(
        &case_link,
        json!({"score": 4, "comment": "Cepat, terima kasih"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = answer(&case_link, json!({"score": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT, "the first answer stands");
    let (_, invite) = public
        .get_json(&format!("/api/v1/public/surveys/{case_link}"))
        .await;
    assert_eq!(invite["answered"], true);
    for unknown in ["0123456789abcdef0123456789abcdef", "nope"] {
        let (status, _) = public
            .get_json(&format!("/api/v1/public/surveys/{unknown}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        let (status, _) = answer(unknown, json!({"score": 3})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
    let (status, _) = answer(&visit_link, json!({"score": 3})).await;
    assert_eq!(status, StatusCode::OK);
    // B's visit, answered on the technician's tablet; again changes nothing.
    let answered = store
        .answer_visit_survey(v_b, 2, Some("Terlambat"), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(answered, wilayah_server::db::Answered::Recorded);
    let again = store
        .answer_visit_survey(v_b, 5, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(again, wilayah_server::db::Answered::Already);
    let _ = v_a;

    // The customer's history says so.
    let (_, history) = app.get_json(&format!("/api/v1/accounts/{a}/history")).await;
    let lines: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["title"].as_str())
        .filter(|t| t.contains("satisfaction"))
        .collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(
        lines.contains(&"Tagihan ganda: satisfaction 4/5"),
        "{lines:?}"
    );

    // Results by hand: Tono 4 (case) and 2 (visit at B); Tari 3 (visit at A).
    let (status, by_staff) = app.get_json("/api/v1/surveys/results?group=staff").await;
    assert_eq!(status, StatusCode::OK, "{by_staff}");
    assert_eq!(by_staff["overall"]["answered"], 3);
    assert!((by_staff["overall"]["mean"].as_f64().unwrap() - 3.0).abs() < 1e-12);
    assert!((by_staff["overall"]["csat"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    let tono = group(&by_staff, &json!(tech));
    assert_eq!(tono["name"], "Tono");
    assert_eq!(tono["answered"], 2);
    assert_eq!(tono["counts"], json!([0, 1, 0, 1, 0]));
    assert!((tono["csat"].as_f64().unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(group(&by_staff, &json!(tech2))["answered"], 1);
    let (_, by_category) = app.get_json("/api/v1/surveys/results?group=category").await;
    assert_eq!(group(&by_category, &json!("billing"))["answered"], 1);
    assert_eq!(group(&by_category, &Value::Null)["answered"], 2);
    let (_, by_territory) = app
        .get_json("/api/v1/surveys/results?group=territory")
        .await;
    let barat = group(&by_territory, &json!(territory));
    assert_eq!(barat["name"], "Barat");
    assert_eq!(barat["answered"], 2, "A's two answers: {by_territory}");
    assert_eq!(group(&by_territory, &Value::Null)["answered"], 1);

    // The rep reads A's answers only; technicians read none.
    let rina = app.as_user(Role::SalesRep, Some(rep), vec![]).await;
    let (_, mine) = rina.get_json("/api/v1/surveys/results").await;
    assert_eq!(mine["overall"]["answered"], 2, "{mine}");
    let (_, list) = rina.get_json("/api/v1/surveys").await;
    assert_eq!(list["total"], 2);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["account_id"] == a),
        "{list}"
    );
    let tono_client = app.as_user(Role::Technician, Some(tech), vec![]).await;
    let (status, _) = tono_client.get_json("/api/v1/surveys/results").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An old period holds nothing.
    let (_, old) = app
        .get_json("/api/v1/surveys/results?from=2020-01-01&to=2020-12-31")
        .await;
    assert_eq!(old["overall"], Value::Null);

    for (query, field) in [
        ("group=rep", "group"),
        ("from=2026-13-01", "from"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("colour=red", "colour"),
    ] {
        let (status, refused) = app
            .get_json(&format!("/api/v1/surveys/results?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {refused}");
        assert!(refused.to_string().contains(field), "{query}: {refused}");
    }
}
