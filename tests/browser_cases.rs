//! The service desk in a real browser: a manager works the queue on `/cases` (takes a case,
//! starts it, resolves it with a resolution, closes it; the breached case reads "overdue" in
//! words), finds a caller by phone on `/call-centre` and logs the call and a case there; on the
//! public `/report` form (not signed in) a bot that fills in the hidden field is refused without
//! a number and nothing is written, and a person gets a confirmation number whose case is in the
//! queue. Screenshots of the three pages in English and Indonesian at desktop (1366×900) and
//! tablet (1024×768) size go to `target/screenshots/service-*.png`.

use axum::http::StatusCode;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::browser::{
    click_test_id, connect_sized, save_screenshot, select_value, sign_in_as, start_chromedriver,
    text_of, type_into, until_api, wait_for_js, wait_testid,
};
use wilayah_tests::{TestApp, created, id};

async fn case_field(app: &TestApp, case: i64, field: &str, expected: Value) -> Value {
    until_api(
        app,
        &format!("case {case} {field} = {expected}"),
        &format!("/api/v1/cases/{case}"),
        |c| c[field] == expected,
    )
    .await
}

async fn count_cases(app: &TestApp) -> i64 {
    let (_, page) = app.get_json("/api/v1/cases?limit=1").await;
    page["total"].as_i64().expect("a total")
}

/// Opens `/report` and waits until the form is hydrated (before, it would submit natively).
async fn open_report_form(client: &Client, base: &str) {
    client
        .goto(&format!("{base}/report"))
        .await
        .expect("open /report");
    wait_for_js(
        client,
        "the hydrated report form",
        "return document.querySelector(\"[data-testid='report-form'][data-hydrated=true]\") !== null",
    )
    .await;
}

async fn fill_report(client: &Client, name: &str, email: &str, subject: &str) {
    type_into(client, "report-name", name).await;
    type_into(client, "report-email", email).await;
    type_into(client, "report-town", "Bandung").await;
    select_value(client, "report-category", "product").await;
    type_into(client, "report-subject", subject).await;
}

/// Whether any two visible elements among `selector` overlap on screen.
async fn overlaps(client: &Client, selector: &str) -> Value {
    client
        .execute(
            "const boxes = [...document.querySelectorAll(arguments[0])]
                 .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
             for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                 const a = boxes[i], b = boxes[j];
                 if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
                     return [i, j];
             }
             return null;",
            vec![json!(selector)],
        )
        .await
        .expect("measure the layout")
}

#[tokio::test]
async fn the_queue_is_worked_the_call_centre_logs_a_call_and_the_public_form_refuses_a_bot() {
    wilayah_tests::planning::require_site();
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let base = app.serve().await;
    let rep = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Sari Wulandari", "email": "sari@service.test", "role": "sales_rep"}),
    )
    .await;
    let me = created(
        &app,
        "/api/v1/staff",
        json!({"name": "Dewi Manager", "email": "dewi@service.test", "role": "manager"}),
    )
    .await;
    let customer = created(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Dingin Sejahtera", "kind": "customer", "lon": 107.6, "lat": -6.9, "owner_id": id(&rep),
               "address": "Jl. Asia Afrika 8, Bandung"}),
    )
    .await;
    created(
        &app,
        "/api/v1/contacts",
        json!({"account_id": id(&customer), "name": "Pak Hendra", "title": "Pemilik", "phone": "+62 812-3456-7890",
               "email": "hendra@dingin.test"}),
    )
    .await;
    let late = created(
        &app,
        "/api/v1/cases",
        json!({"account_id": id(&customer), "subject": "Freezer not cooling", "priority": "high",
               "category": "maintenance", "sla_due_at": "2021-03-01T02:00:00Z"}),
    )
    .await;
    let fresh = created(
        &app,
        "/api/v1/cases",
        json!({"account_id": id(&customer), "subject": "Invoice shows the wrong amount", "priority": "normal",
               "category": "billing"}),
    )
    .await;
    let (late_id, fresh_id) = (id(&late), id(&fresh));

    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1366, 900).await;
    sign_in_as(&app, &client, &base, Role::Manager, Some(id(&me))).await;

    // The queue: the breached case first, overdue in words; take it, start it, resolve it.
    client
        .goto(&format!("{base}/cases"))
        .await
        .expect("open /cases");
    wait_testid(&client, &format!("case-{late_id}")).await;
    let order: Value = client
        .execute(
            "return [...document.querySelectorAll('.case-row')].map(e => e.dataset.testid)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        order,
        json!([format!("case-{late_id}"), format!("case-{fresh_id}")])
    );
    let words = text_of(&client, &format!("case-{late_id}-sla")).await;
    assert!(words.starts_with("Resolution overdue by"), "{words}");
    click_test_id(&client, &format!("case-{late_id}-take")).await;
    case_field(&app, late_id, "assigned_to", json!(id(&me))).await;
    wait_testid(&client, &format!("case-{late_id}-start")).await;
    wait_for_js(
        &client,
        "the case reloaded at its new version",
        &format!("return document.querySelector(\"[data-testid='case-{late_id}-take']\") === null"),
    )
    .await;
    click_test_id(&client, &format!("case-{late_id}-start")).await;
    case_field(&app, late_id, "status", json!("in_progress")).await;
    wait_for_js(
        &client,
        "the case in progress",
        &format!(
            "return document.querySelector(\"[data-testid='case-{late_id}-start']\") === null"
        ),
    )
    .await;
    click_test_id(&client, &format!("case-{late_id}-resolve")).await;
    wait_testid(&client, "case-resolution").await;
    type_into(
        &client,
        "case-resolution",
        "Compressor relay replaced on site",
    )
    .await;
    click_test_id(&client, "case-resolve-confirm").await;
    let resolved = case_field(&app, late_id, "status", json!("resolved")).await;
    assert_eq!(resolved["resolution"], "Compressor relay replaced on site");
    // Resolved cases are out of the open queue; show them and close it.
    select_value(&client, "cases-status", "resolved").await;
    wait_testid(&client, &format!("case-{late_id}-close")).await;
    click_test_id(&client, &format!("case-{late_id}-close")).await;
    case_field(&app, late_id, "status", json!("closed")).await;
    select_value(&client, "cases-status", "").await;
    wait_testid(&client, &format!("case-{fresh_id}")).await;
    // The resolved case's satisfaction survey goes to the customer's contact by e-mail.
    let (status, swept) = app
        .send_json("POST", "/api/v1/surveys/sweep", &json!({}))
        .await;
    assert_eq!(
        (status, &swept["opened"]),
        (StatusCode::OK, &json!(1)),
        "{swept}"
    );
    let survey = app
        .state
        .store
        .system()
        .claim_next_survey_email()
        .await
        .unwrap()
        .expect("the survey e-mail");
    assert_eq!(survey.address.as_deref(), Some("hendra@dingin.test"));

    // The call centre: find the caller by another spelling of the number, log the call and a case.
    client
        .goto(&format!("{base}/call-centre"))
        .await
        .expect("open /call-centre");
    wait_for_js(
        &client,
        "the hydrated search",
        "return document.querySelector(\"[data-testid='caller-search'][data-hydrated=true]\") !== null",
    )
    .await;
    type_into(&client, "caller-phone", "0812 3456 7890").await;
    click_test_id(&client, "caller-find").await;
    let card = format!("caller-{}", id(&customer));
    wait_testid(&client, &format!("{card}-cases")).await;
    let cases_text = text_of(&client, &format!("{card}-cases")).await;
    assert!(
        cases_text.contains("Invoice shows the wrong amount"),
        "{cases_text}"
    );
    assert!(
        !cases_text.contains("Freezer not cooling"),
        "closed: {cases_text}"
    );
    type_into(&client, "call-subject", "Asked when the technician comes").await;
    type_into(&client, "call-outcome", "Promised a call back").await;
    click_test_id(&client, "call-save").await;
    wait_testid(&client, "call-notice").await;
    until_api(
        &app,
        "the call in the history",
        &format!("/api/v1/activities?account_id={}", id(&customer)),
        |a| {
            a["items"].as_array().is_some_and(|items| {
                items.iter().any(|i| {
                    i["kind"] == "call"
                        && i["channel"] == "phone"
                        && i["subject"] == "Asked when the technician comes"
                        && i["staff_id"] == id(&me)
                })
            })
        },
    )
    .await;
    type_into(&client, "call-case-subject", "Door seal torn").await;
    select_value(&client, "call-case-priority", "high").await;
    click_test_id(&client, "call-case-save").await;
    until_api(
        &app,
        "the case opened by phone",
        &format!("/api/v1/cases?account_id={}&channel=phone", id(&customer)),
        |c| {
            c["total"] == 1
                && c["items"][0]["subject"] == "Door seal torn"
                && c["items"][0]["priority"] == "high"
        },
    )
    .await;

    // The public form, not signed in: a bot fills in the hidden field and gets no number.
    let public = connect_sized(&driver, 1366, 900).await;
    let before = count_cases(&app).await;
    open_report_form(&public, &base).await;
    fill_report(&public, "Spam Bot", "bot@spam.test", "Cheap pills").await;
    public
        .execute(
            "const f = document.querySelector(\"[data-testid='report-website']\");
             f.value = 'http://spam.test'; f.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("fill in the honeypot");
    click_test_id(&public, "report-send").await;
    wait_testid(&public, "report-received").await;
    assert!(
        public
            .find(Locator::Css("[data-testid='report-confirmation']"))
            .await
            .is_err(),
        "a bot gets no confirmation number"
    );
    assert_eq!(
        count_cases(&app).await,
        before,
        "nothing written for the bot"
    );

    // A person gets a confirmation number, and the case is on the customer by their e-mail.
    open_report_form(&public, &base).await;
    fill_report(&public, "Hendra", "hendra@dingin.test", "Display shows E4").await;
    type_into(
        &public,
        "report-details",
        "The freezer display shows E4 since this morning.",
    )
    .await;
    click_test_id(&public, "report-send").await;
    wait_testid(&public, "report-confirmation").await;
    let number = text_of(&public, "report-confirmation").await;
    assert!(number.starts_with("WL-") && number.len() == 12, "{number}");
    let (_, queue) = app.get_json("/api/v1/cases/queue?sort=-created_at").await;
    let newest = &queue["items"][0];
    assert_eq!(newest["reference"], number.as_str(), "{queue}");
    assert_eq!(newest["account_id"], id(&customer));
    assert_eq!(newest["channel"], "web");
    assert_eq!(count_cases(&app).await, before + 1);

    // Each page in both languages at both sizes: filled, nothing overlapping, no raw codes.
    for (lang, size, (width, height)) in [
        ("en", "desktop", (1366, 900)),
        ("en", "tablet", (1024, 768)),
        ("id", "desktop", (1366, 900)),
        ("id", "tablet", (1024, 768)),
    ] {
        for c in [&client, &public] {
            c.set_window_size(width, height).await.expect("resize");
            c.execute(
                "document.cookie = 'wilayah_lang=' + arguments[0] + '; path=/'",
                vec![json!(lang)],
            )
            .await
            .expect("choose the language");
        }
        client
            .goto(&format!("{base}/cases"))
            .await
            .expect("open /cases");
        wait_for_js(
            &client,
            "the queue",
            &format!(
                "return document.querySelector(\"[data-testid='case-{fresh_id}']\") !== null
                    && document.querySelector(\"[data-testid='sla-policies']\") !== null
                    && document.documentElement.lang === '{lang}'"
            ),
        )
        .await;
        let body: String = client
            .execute("return document.querySelector('main').innerText", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for raw in [
            "in_progress",
            "on_track",
            "at_risk",
            "maintenance\n",
            "billing\n",
        ] {
            assert!(
                !body.contains(raw),
                "{lang}: raw code {raw:?} on /cases:\n{body}"
            );
        }
        assert_eq!(
            overlaps(&client, ".case-row").await,
            Value::Null,
            "{lang} {size}"
        );
        save_screenshot(&client, &format!("service-cases-{lang}-{size}")).await;

        client
            .goto(&format!("{base}/call-centre"))
            .await
            .expect("open /call-centre");
        wait_for_js(
            &client,
            "the hydrated search",
            "return document.querySelector(\"[data-testid='caller-search'][data-hydrated=true]\") !== null",
        )
        .await;
        type_into(&client, "caller-phone", "+62 812 3456 7890").await;
        click_test_id(&client, "caller-find").await;
        wait_testid(&client, &format!("{card}-cases")).await;
        assert_eq!(
            overlaps(&client, ".caller-body section, .call-form").await,
            Value::Null,
            "{lang} {size}"
        );
        save_screenshot(&client, &format!("service-call-centre-{lang}-{size}")).await;

        open_report_form(&public, &base).await;
        wait_for_js(
            &public,
            "the form in the language",
            &format!("return document.documentElement.lang === '{lang}'"),
        )
        .await;
        assert_eq!(
            overlaps(&public, ".report-form > label, .form-pair > label").await,
            Value::Null,
            "{lang} {size}"
        );
        save_screenshot(&public, &format!("service-report-{lang}-{size}")).await;

        public
            .goto(&format!("{base}/survey/{}", survey.token))
            .await
            .expect("open the survey");
        wait_for_js(
            &public,
            "the survey form in the language",
            &format!(
                "return document.querySelector(\"[data-testid='survey-form']\") !== null
                    && document.documentElement.lang === '{lang}'"
            ),
        )
        .await;
        let about = text_of(&public, "survey-about").await;
        assert!(about.contains("Freezer not cooling"), "{about}");
        assert_eq!(
            overlaps(&public, ".survey-score").await,
            Value::Null,
            "{lang} {size}"
        );
        save_screenshot(&public, &format!("service-survey-{lang}-{size}")).await;
    }

    // The customer answers once: a score and a comment; the result counts it.
    click_test_id(&public, "survey-send").await;
    wait_testid(&public, "survey-error").await;
    click_test_id(&public, "survey-score-5").await;
    type_into(&public, "survey-comment", "Cepat ditangani").await;
    click_test_id(&public, "survey-send").await;
    wait_testid(&public, "survey-thanks").await;
    let (_, results) = app.get_json("/api/v1/surveys/results").await;
    assert_eq!(
        results["overall"]["counts"],
        json!([0, 0, 0, 0, 1]),
        "{results}"
    );
    public.refresh().await.expect("reload the survey");
    wait_testid(&public, "survey-answered").await;
}
