//! Campaigns (issue 16 item 2) against a real database (SQLite, or PostgreSQL when
//! `DATABASE_URL` says so): a campaign launched on a segment freezes one recipient per contact
//! of each member, each eligible or left out for its reason (no consent for the channel, no
//! address on it, the control group, a running campaign with the same objective); the reached
//! customers' histories say so; the export holds only the eligible; a launched campaign no
//! longer changes; recipients are scoped to the caller; who may use campaigns.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::{Client, TestApp};

async fn post(client: &Client, uri: &str, body: Value) -> Value {
    let (status, answer) = client.send_json("POST", uri, &body).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "POST {uri} {body} → {status} {answer}"
    );
    answer
}

/// A contact to create: `(name, e-mail, phone, consent for e-mail, consent for the phone)`.
type NewContact<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// An account near Suva (far from the demo data) with contacts.
async fn customer(app: &TestApp, name: &str, lon: f64, contacts: &[NewContact<'_>]) -> i64 {
    let account = post(
        app,
        "/api/v1/accounts",
        json!({"name": name, "lon": lon, "lat": -17.0}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    for (contact, email, phone, consent_email, consent_phone) in contacts {
        let mut body =
            json!({"account_id": account, "name": contact, "email": email, "phone": phone});
        if let Some(consent) = consent_email {
            body["consent_email"] = json!(consent);
            body["consent_email_on"] = json!("2026-11-02");
        }
        if let Some(consent) = consent_phone {
            body["consent_phone"] = json!(consent);
            body["consent_phone_on"] = json!("2026-11-02");
        }
        post(app, "/api/v1/contacts", body).await;
    }
    account
}

async fn campaign(
    app: &TestApp,
    name: &str,
    objective: &str,
    channel: &str,
    segment: i64,
    share: f64,
) -> Value {
    post(
        app,
        "/api/v1/campaigns",
        json!({"name": name, "objective": objective, "offer": "Diskon 10%", "channel": channel,
               "budget_minor": 5000000, "currency": "IDR", "starts_on": "2026-12-01", "ends_on": "2026-12-31",
               "segment_id": segment, "control_share": share,
               "templates": {"en": {"subject": "Hello {{contact}}", "body": "{{offer}}"}}}),
    )
    .await
}

async fn launch(app: &TestApp, campaign: &Value) -> (StatusCode, Value) {
    app.send_json(
        "POST",
        &format!("/api/v1/campaigns/{}/launch", campaign["id"]),
        &json!({"version": campaign["version"]}),
    )
    .await
}

/// Recipients as `account → [(contact name, exclusion)]`.
async fn recipients(client: &Client, id: &Value) -> BTreeMap<i64, Vec<(String, Value)>> {
    let (status, list) = client
        .get_json(&format!("/api/v1/campaigns/{id}/recipients"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let mut out: BTreeMap<i64, Vec<(String, Value)>> = BTreeMap::new();
    for r in list.as_array().unwrap() {
        out.entry(r["account_id"].as_i64().unwrap())
            .or_default()
            .push((
                r["contact_name"].as_str().unwrap_or("-").to_owned(),
                r["excluded"].clone(),
            ));
    }
    out
}

#[tokio::test]
async fn a_launch_freezes_each_members_contacts_with_the_reason_each_was_left_out() {
    let app = TestApp::start().await;
    let granted = Some("granted");
    let reached = customer(
        &app,
        "Toko Suva",
        179.60,
        &[
            (
                "Ana",
                Some("ana@suva.example"),
                Some("+679 1"),
                granted,
                granted,
            ),
            (
                "Budi",
                Some("budi@suva.example"),
                None,
                Some("refused"),
                None,
            ),
        ],
    )
    .await;
    let no_email = customer(
        &app,
        "Toko Nadi",
        179.61,
        &[("Citra", None, Some("+679 2"), granted, granted)],
    )
    .await;
    let never_asked = customer(
        &app,
        "Toko Lautoka",
        179.62,
        &[("Dedi", Some("dedi@x.example"), None, None, None)],
    )
    .await;
    let no_contact = customer(&app, "Toko Sigatoka", 179.63, &[]).await;
    let segment = post(
        &app,
        "/api/v1/segments",
        json!({"name": "Suva", "definition": {"area": {"type": "radius", "lon": 179.6, "lat": -17.0, "metres": 20000.0}}}),
    )
    .await;
    let segment_id = segment["id"].as_i64().unwrap();

    let email = campaign(&app, "Natal", "retention", "email", segment_id, 0.0).await;
    assert_eq!(email["status"], "draft");
    let (status, running) = launch(&app, &email).await;
    assert_eq!(status, StatusCode::OK, "{running}");
    assert_eq!(running["status"], "running");
    let frozen = recipients(&app, &email["id"]).await;
    assert_eq!(
        frozen,
        BTreeMap::from([
            (
                reached,
                vec![
                    ("Ana".into(), Value::Null),
                    ("Budi".into(), json!("no_consent"))
                ]
            ),
            (no_email, vec![("Citra".into(), json!("no_address"))]),
            (never_asked, vec![("Dedi".into(), json!("no_consent"))]),
            (no_contact, vec![("-".into(), json!("no_address"))]),
        ])
    );
    let (_, view) = app
        .get_json(&format!("/api/v1/campaigns/{}", email["id"]))
        .await;
    assert_eq!(view["tally"]["eligible"], 1, "{view}");
    assert_eq!(view["tally"]["excluded"]["no_consent"], 2, "{view}");
    assert_eq!(view["tally"]["states"]["pending"], 1, "{view}");

    // The reached customer's history says so; the others' do not.
    let history = |account: i64| {
        let app = &app;
        async move {
            let (_, history) = app
                .get_json(&format!("/api/v1/accounts/{account}/history"))
                .await;
            history.to_string()
        }
    };
    assert!(history(reached).await.contains("Campaign: Natal"));
    assert!(!history(no_email).await.contains("Campaign: Natal"));

    // Launched once: no change, no second launch.
    let (status, refused) = launch(&app, &running).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, _) = launch(&app, &email).await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version");
    let (status, refused) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/campaigns/{}", email["id"]),
            &json!({"name": "Natal 2", "objective": "retention", "channel": "email", "segment_id": segment_id,
                    "templates": {"en": {"subject": "s", "body": "b"}}, "version": running["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    // The call list needs the phone's consent and a number: Ana and Citra. Another campaign
    // with the same objective finds Toko Suva busy; one with another objective does not.
    let calls = campaign(&app, "Telepon", "retention", "call_list", segment_id, 0.0).await;
    launch(&app, &calls).await;
    let frozen = recipients(&app, &calls["id"]).await;
    assert_eq!(frozen[&reached][0].1, json!("running_campaign"));
    assert_eq!(frozen[&no_email], vec![("Citra".into(), Value::Null)]);
    // Each reached account's owning rep gets a task to call, with the offer.
    let (status, tasks) = app
        .get_json(&format!("/api/v1/tasks?account_id={no_email}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{tasks}");
    let titles: Vec<&str> = tasks["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Campaign call: Telepon — Diskon 10%"], "{tasks}");
    let (_, owner) = app.get_json(&format!("/api/v1/accounts/{no_email}")).await;
    assert_eq!(tasks["items"][0]["assignee_id"], owner["owner_id"]);
    let (_, tasks) = app
        .get_json(&format!("/api/v1/tasks?account_id={reached}"))
        .await;
    assert_eq!(tasks["items"].as_array().unwrap().len(), 0, "busy: {tasks}");
    let export = campaign(&app, "Ekspor", "cross-sell", "export", segment_id, 0.0).await;
    launch(&app, &export).await;
    // The export needs SMS consent, which nobody gave: the file has its header only.
    let (status, csv) = app
        .get(&format!("/api/v1/campaigns/{}/export", export["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let (status, csv) = app
        .get(&format!("/api/v1/campaigns/{}/export", calls["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 2, "Citra only: {csv}");
    assert!(csv.contains("Citra") && csv.contains("+679 2"), "{csv}");

    // Recipients are the caller's: a manager of a region elsewhere sees none of them; a
    // planner and a rep do not use campaigns.
    let (_, territories) = app.get_json("/api/v1/territories?limit=1").await;
    let region = territories["items"][0]["id"].as_i64().unwrap();
    let regional = app.as_user(Role::Manager, None, vec![region]).await;
    assert!(recipients(&regional, &email["id"]).await.is_empty());
    for role in [Role::Planner, Role::SalesRep] {
        let client = app.as_user(role, None, vec![]).await;
        let (status, _) = client.get_json("/api/v1/campaigns").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
}

#[tokio::test]
async fn the_control_group_holds_out_the_chosen_share_of_eligible_accounts() {
    let app = TestApp::start().await;
    let granted = Some("granted");
    for i in 0..10 {
        let name = format!("Toko Kontrol {i}");
        let email = format!("k{i}@x.example");
        customer(
            &app,
            &name,
            179.6 + f64::from(i) * 0.001,
            &[("Eka", Some(email.as_str()), None, granted, None)],
        )
        .await;
    }
    let segment = post(
        &app,
        "/api/v1/segments",
        json!({"name": "Kontrol", "definition": {"area": {"type": "radius", "lon": 179.6, "lat": -17.0, "metres": 5000.0}}}),
    )
    .await;
    let held = campaign(
        &app,
        "Uji",
        "lift",
        "email",
        segment["id"].as_i64().unwrap(),
        0.3,
    )
    .await;
    let (status, _) = launch(&app, &held).await;
    assert_eq!(status, StatusCode::OK);
    let frozen = recipients(&app, &held["id"]).await;
    assert_eq!(frozen.len(), 10);
    let control = frozen
        .values()
        .filter(|r| r[0].1 == json!("control_group"))
        .count();
    assert_eq!(control, 3);
    // A share above one half is refused, naming the field.
    let (status, refused) = app
        .send_json(
            "POST",
            "/api/v1/campaigns",
            &json!({"name": "x", "objective": "y", "channel": "export", "segment_id": segment["id"], "control_share": 0.9}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["field"], "control_share");
}
