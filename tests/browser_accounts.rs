//! The accounts workspace in a real browser, as a regional manager: create an account by typing
//! its address (it lands at the gazetteer's position, and the territory's rep owns it), an edit
//! with a bad value (the error next to the field, in Indonesian), a stale save (the conflict view,
//! then re-applying the change on the new version), and the list's search and a saved view.
//! Screenshots of `/accounts` and `/accounts/{id}` in English and Indonesian at desktop and
//! tablet size go to `target/screenshots/`.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use wilayah_shared::access::Role;
use wilayah_tests::TestApp;
use wilayah_tests::browser::{
    click_test_id, connect_sized, save_screenshot, sign_in_as, start_chromedriver, text_of,
    type_into, wait_for_js, wait_for_test_id, wait_for_text,
};

const ADDRESS: &str = "Jl. Braga 10, Bandung";
const NAME: &str = "Toko Uji Peramban";

async fn switch_language(client: &Client, to: &str) {
    if text_of(client, "lang-switch").await != to {
        return;
    }
    click_test_id(client, "lang-switch").await;
}

async fn account(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
    assert!(status.is_success(), "{body}");
    body
}

#[tokio::test]
async fn create_by_address_edit_conflict_search_and_saved_view() {
    let app = TestApp::start().await;
    let base = app.serve().await;
    let driver = start_chromedriver();
    let client = connect_sized(&driver, 1366, 900).await;
    sign_in_as(&app, &client, &base, Role::Manager, None).await;

    // Where the gazetteer puts the address, and whose territory that is (asked of the API).
    let (status, hit) = app
        .get_json("/api/v1/geocode?q=Jl.%20Braga%2010%2C%20Bandung")
        .await;
    assert!(status.is_success(), "{hit}");

    // 1. A new account placed by its address.
    client.goto(&format!("{base}/accounts/new")).await.unwrap();
    wait_for_js(
        &client,
        "the account form to hydrate",
        "return document.querySelector('[data-testid=account-form][data-hydrated=true]') !== null",
    )
    .await;
    type_into(&client, "field-name", NAME).await;
    type_into(&client, "field-address", ADDRESS).await;
    click_test_id(&client, "geocode").await;
    wait_for_test_id(&client, "the geocoded position", "geocoded").await;
    let expected_pin = format!(
        "{:.5},{:.5}",
        hit["lon"].as_f64().unwrap(),
        hit["lat"].as_f64().unwrap()
    );
    wait_for_js(
        &client,
        "the pin at the geocoded position",
        &format!(
            "const m = document.querySelector('[data-testid=pin-map]');
             return m !== null && m.getAttribute('data-pin') === {};",
            json!(expected_pin)
        ),
    )
    .await;
    click_test_id(&client, "save-account").await;
    wait_for_js(
        &client,
        "the account page of the new account",
        "return /^\\/accounts\\/\\d+$/.test(location.pathname)
            && document.querySelector('[data-testid=account-name]') !== null",
    )
    .await;
    let path = client.current_url().await.unwrap().path().to_owned();
    let id: i64 = path.trim_start_matches("/accounts/").parse().unwrap();
    let created = account(&app, id).await;
    assert_eq!(created["name"], NAME);
    assert_eq!(created["lon"], hit["lon"], "placed where the address is");
    assert_eq!(created["lat"], hit["lat"]);
    let owner = created["owner_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("the territory's rep owns it: {created}"));
    let territory = created["territory_id"].as_i64().expect("in a territory");
    let (_, t) = app
        .get_json(&format!("/api/v1/territories/{territory}"))
        .await;
    assert_eq!(t["owner_id"], owner, "the territory's rep");
    let (_, rep) = app.get_json(&format!("/api/v1/staff/{owner}")).await;
    wait_for_text(
        &client,
        "the rep's name on the page",
        "account-owner",
        rep["name"].as_str().unwrap(),
    )
    .await;
    save_screenshot(&client, "accounts-page-account-en-desktop").await;

    // 2. A bad value: the error next to the field, in Indonesian.
    switch_language(&client, "Bahasa Indonesia").await;
    wait_for_text(&client, "the Indonesian page", "lang-switch", "English").await;
    type_into(&client, "field-name", "").await;
    click_test_id(&client, "save-account").await;
    wait_for_text(
        &client,
        "the name's error in Indonesian",
        "error-name",
        &wilayah_app::account_page::field_refusal(
            &wilayah_app::errors::ApiFailure::from_answer(
                422,
                r#"{"code": "required", "field": "name"}"#,
            ),
            wilayah_app::i18n::Locale::Id,
        ),
    )
    .await;

    // 3. Someone else saves meanwhile: the conflict view, then the change re-applied.
    let (status, theirs) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            &json!({"version": created["version"], "segment": "grosir"}),
        )
        .await;
    assert!(status.is_success(), "{theirs}");
    type_into(&client, "field-name", "Toko Uji Baru").await;
    click_test_id(&client, "save-account").await;
    wait_for_test_id(&client, "the conflict view", "conflict-segment").await;
    let conflict = text_of(&client, "conflict").await;
    assert!(conflict.contains("grosir"), "{conflict}");
    assert!(
        conflict.contains("Orang lain telah mengubah akun ini"),
        "{conflict}"
    );
    save_screenshot(&client, "accounts-page-account-id-desktop").await;
    click_test_id(&client, "reapply").await;
    wait_for_test_id(&client, "the re-applied save", "saved").await;
    let saved = account(&app, id).await;
    assert_eq!(saved["name"], "Toko Uji Baru", "the user's change");
    assert_eq!(saved["segment"], "grosir", "the other's change kept");

    // 4. The list: search, save the view, clear, and open the saved view.
    client.goto(&format!("{base}/accounts")).await.unwrap();
    wait_for_test_id(&client, "the list's rows", "account-row").await;
    type_into(&client, "accounts-search", "uji baru").await;
    wait_for_js(
        &client,
        "the search's one row",
        &format!(
            "const rows = document.querySelectorAll('[data-testid=account-row]');
             return rows.length === 1 && rows[0].getAttribute('data-account') === '{id}';"
        ),
    )
    .await;
    type_into(&client, "view-name", "Uji").await;
    click_test_id(&client, "save-view").await;
    wait_for_test_id(&client, "the saved view", "saved-view").await;
    click_test_id(&client, "clear-filter").await;
    wait_for_js(
        &client,
        "the whole list again",
        "return document.querySelectorAll('[data-testid=account-row]').length > 1",
    )
    .await;
    save_screenshot(&client, "accounts-page-list-id-desktop").await;
    click_test_id(&client, "saved-view").await;
    wait_for_js(
        &client,
        "the saved view's one row",
        &format!(
            "const rows = document.querySelectorAll('[data-testid=account-row]');
             return rows.length === 1 && rows[0].getAttribute('data-account') === '{id}'
                 && document.querySelector('[data-testid=accounts-search]').value === 'uji baru';"
        ),
    )
    .await;
    click_test_id(&client, "clear-filter").await;
    switch_language(&client, "English").await;
    wait_for_text(
        &client,
        "the English page",
        "lang-switch",
        "Bahasa Indonesia",
    )
    .await;
    wait_for_js(
        &client,
        "the whole list again",
        "return document.querySelectorAll('[data-testid=account-row]').length > 1",
    )
    .await;
    save_screenshot(&client, "accounts-page-list-en-desktop").await;

    // 5. Tablet size, both languages.
    client.set_window_size(1024, 768).await.expect("resize");
    save_screenshot(&client, "accounts-page-list-en-tablet").await;
    switch_language(&client, "Bahasa Indonesia").await;
    wait_for_text(&client, "the Indonesian page", "lang-switch", "English").await;
    save_screenshot(&client, "accounts-page-list-id-tablet").await;
    client.goto(&format!("{base}/accounts/{id}")).await.unwrap();
    wait_for_test_id(&client, "the account page", "account-name").await;
    wait_for_test_id(&client, "the pin", "pin-map").await;
    save_screenshot(&client, "accounts-page-account-id-tablet").await;
    switch_language(&client, "English").await;
    wait_for_text(
        &client,
        "the English page",
        "lang-switch",
        "Bahasa Indonesia",
    )
    .await;
    save_screenshot(&client, "accounts-page-account-en-tablet").await;

    client.close().await.ok();
}
