//! Placing accounts (issue 14 items 4–6) against a real database (SQLite, or PostgreSQL when
//! `DATABASE_URL` says so): accounts placed by address land on the gazetteer's position inside
//! the right territory with its rep; an explicit owner is kept only where the rules allow it;
//! imports geocode rows without coordinates and name the row of an unknown address; the
//! duplicates found equal a brute-force scan; a merge moves every child row, all or nothing;
//! and a rep neither sees duplicates nor merges outside their rows.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::access::Role;
use wilayah_shared::duplicates::{SAME_NAME_RADIUS_M, company_name_key, email_key, phone_e164};
use wilayah_shared::geocode::{GeocodeHit, geocode};
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::spatial::haversine_m;
use wilayah_tests::{Client, TestApp, created, id};

const BANDUNG: &str = "Jl. Asia Afrika No. 8, Bandung, Jawa Barat";
const SURABAYA: &str = "Jl. Tunjungan No. 1, Kota Surabaya, Jawa Timur";
const MEDAN: &str = "Jl. Gatot Subroto 3, Medan, Sumatera Utara";

/// The gazetteer's answer for `address`, read from the shared core (the server must agree).
fn hit(address: &str) -> GeocodeHit {
    geocode(address).unwrap_or_else(|| panic!("the gazetteer knows {address:?}"))
}

fn square(centre: &GeocodeHit, half: f64) -> Value {
    let (x, y) = (centre.lon, centre.lat);
    json!({"type": "Polygon", "coordinates": [[[x - half, y - half], [x + half, y - half],
        [x + half, y + half], [x - half, y + half], [x - half, y - half]]]})
}

/// An empty database with two reps, a territory around Bandung owned by the first and one
/// around Surabaya owned by the second.
struct World {
    app: TestApp,
    reps: [i64; 2],
    territories: [i64; 2],
}

async fn world() -> World {
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let mut reps = [0; 2];
    for (i, rep) in reps.iter_mut().enumerate() {
        let staff = json!({"name": format!("Rep {i}"), "email": format!("rep{i}@placing.test"), "role": "sales_rep"});
        *rep = id(&created(&app, "/api/v1/staff", staff).await);
    }
    let mut territories = [0; 2];
    for (i, (address, territory)) in [BANDUNG, SURABAYA]
        .into_iter()
        .zip(territories.iter_mut())
        .enumerate()
    {
        let body = json!({"name": format!("Wilayah {i}"), "geometry": square(&hit(address), 0.3), "owner_id": reps[i]});
        *territory = id(&created(&app, "/api/v1/territories", body).await);
    }
    World {
        app,
        reps,
        territories,
    }
}

async fn account_count(app: &TestApp) -> u64 {
    let (status, page) = app.get_json("/api/v1/accounts?limit=1").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_new_account_by_address_lands_in_its_territory_with_its_rep() {
    let w = world().await;
    let app = &w.app;
    for (i, address) in [BANDUNG, SURABAYA].into_iter().enumerate() {
        let expected = hit(address);
        let (status, found) = app
            .get_json(&format!("/api/v1/geocode?q={}", urlencode(address)))
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found, serde_json::to_value(&expected).unwrap());

        let account = created(
            app,
            "/api/v1/accounts",
            json!({"name": format!("Toko {i}"), "address": address}),
        )
        .await;
        assert_eq!(
            (account["lon"].as_f64(), account["lat"].as_f64()),
            (Some(expected.lon), Some(expected.lat)),
            "{account}"
        );
        assert_eq!(account["geocoded"]["precision"], "place", "{account}");
        assert_eq!(account["geocoded"]["matched_name"], expected.matched_name);
        assert_eq!(account["territory_id"], w.territories[i], "{account}");
        assert_eq!(account["owner_id"], w.reps[i], "{account}");
        // What was stored, not only what was answered.
        let (_, stored) = app
            .get_json(&format!("/api/v1/accounts/{}", id(&account)))
            .await;
        assert_eq!(stored["owner_id"], w.reps[i]);
    }

    // Outside every territory: no territory, no owner.
    let outside = created(
        app,
        "/api/v1/accounts",
        json!({"name": "Toko Medan", "address": MEDAN}),
    )
    .await;
    assert_eq!(
        (&outside["territory_id"], &outside["owner_id"]),
        (&Value::Null, &Value::Null)
    );

    // Moved into the Surabaya territory: it follows, with that rep.
    let target = hit(SURABAYA);
    let (status, moved) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{}", id(&outside)),
            &json!({"version": outside["version"], "lon": target.lon + 0.01, "lat": target.lat}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (&moved["territory_id"], &moved["owner_id"]),
        (&json!(w.territories[1]), &json!(w.reps[1]))
    );
    // A change that does not move it leaves territory and owner alone.
    let (status, renamed) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{}", id(&outside)),
            &json!({"version": moved["version"], "name": "Toko Medan Baru", "owner_id": w.reps[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        (&renamed["territory_id"], &renamed["owner_id"]),
        (&json!(w.territories[1]), &json!(w.reps[0]))
    );

    // An address the gazetteer does not know: 422 on `address`, nothing written.
    let before = account_count(app).await;
    let (status, refused) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": "Toko Antah", "address": "Qwxyz Blok Zz"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "address", "{refused}");
    assert_eq!(account_count(app).await, before);
    let (status, _) = app.get_json("/api/v1/geocode?q=Qwxyz%20Blok%20Zz").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn an_explicit_owner_is_kept_only_where_allowed() {
    let w = world().await;
    let app = &w.app;
    let [a, b] = w.reps;
    let rep_a = app.as_user(Role::SalesRep, Some(a), vec![]).await;
    let (bandung, surabaya) = (hit(BANDUNG), hit(SURABAYA));
    let at = |h: &GeocodeHit, name: &str| json!({"name": name, "lon": h.lon, "lat": h.lat});

    // Rep A in their own territory, no owner given: theirs.
    let own = created(&rep_a, "/api/v1/accounts", at(&bandung, "Toko A1")).await;
    assert_eq!(
        (&own["owner_id"], &own["territory_id"]),
        (&json!(a), &json!(w.territories[0]))
    );
    // In B's territory with themselves as owner: kept (a rep may hold their own accounts).
    let mut body = at(&surabaya, "Toko A2");
    body["owner_id"] = json!(a);
    let kept = created(&rep_a, "/api/v1/accounts", body).await;
    assert_eq!(
        (&kept["owner_id"], &kept["territory_id"]),
        (&json!(a), &json!(w.territories[1]))
    );
    // In B's territory without an owner: it would be B's, which rep A may not give it.
    let (status, refused) = rep_a
        .send_json("POST", "/api/v1/accounts", &at(&surabaya, "Toko A3"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    // Naming B as owner: refused too.
    let mut body = at(&bandung, "Toko A4");
    body["owner_id"] = json!(b);
    let (status, refused) = rep_a.send_json("POST", "/api/v1/accounts", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");

    // An admin naming B in A's territory: kept.
    let mut body = at(&bandung, "Toko Admin");
    body["owner_id"] = json!(b);
    let admins = created(app, "/api/v1/accounts", body).await;
    assert_eq!(
        (&admins["owner_id"], &admins["territory_id"]),
        (&json!(b), &json!(w.territories[0]))
    );

    // Rep A moves their own account into B's territory: the territory follows, the owner stays
    // (giving it to B is not theirs to do).
    let (status, moved) = rep_a
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{}", id(&own)),
            &json!({"version": own["version"], "lon": surabaya.lon, "lat": surabaya.lat}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (&moved["owner_id"], &moved["territory_id"]),
        (&json!(a), &json!(w.territories[1]))
    );
    // A manager moving it back: it goes to the territory's rep.
    let manager = app.as_user(Role::Manager, None, vec![]).await;
    let (status, back) = manager
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{}", id(&kept)),
            &json!({"version": kept["version"], "lon": bandung.lon, "lat": bandung.lat}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(
        (&back["owner_id"], &back["territory_id"]),
        (&json!(a), &json!(w.territories[0]))
    );
    let (status, to_b) = manager
        .send_json(
            "PATCH",
            &format!("/api/v1/accounts/{}", id(&back)),
            &json!({"version": back["version"], "lon": surabaya.lon, "lat": surabaya.lat}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{to_b}");
    assert_eq!(
        (&to_b["owner_id"], &to_b["territory_id"]),
        (&json!(b), &json!(w.territories[1]))
    );
}

async fn import(app: &Client, csv: &str, dry_run: bool) -> (StatusCode, Value) {
    app.request_json(
        Request::post(format!("/api/v1/accounts/import?dry_run={dry_run}"))
            .header("content-type", "text/csv")
            .body(Body::from(csv.to_owned()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn imports_geocode_rows_without_coordinates_and_name_an_unknown_address() {
    let w = world().await;
    let app = &w.app;
    let csv = format!(
        "name,address,lon,lat,owner_id\n\
         Toko Satu,\"{BANDUNG}\",,,\n\
         Toko Dua,\"{SURABAYA}\",,,{}\n\
         Toko Tiga,Somewhere,101.5,-0.5,\n",
        w.reps[0]
    );
    let (status, report) = import(app, &csv, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["valid"], 3);
    let rows = report["rows"].as_array().unwrap();
    let geocoded: Vec<(u64, &str)> = rows
        .iter()
        .filter(|r| !r["geocoded"].is_null())
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["geocoded"]["precision"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(geocoded, [(1, "place"), (2, "place")], "{report}");
    assert_eq!(account_count(app).await, 0, "a dry run writes nothing");

    let (status, answer) = import(app, &csv, false).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let ids: Vec<i64> = answer["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let expected = [
        (hit(BANDUNG), Some(w.territories[0]), Some(w.reps[0])),
        // The owner given is kept; the territory follows the position.
        (hit(SURABAYA), Some(w.territories[1]), Some(w.reps[0])),
    ];
    for (id, (at, territory, owner)) in ids.iter().zip(expected) {
        let (_, a) = app.get_json(&format!("/api/v1/accounts/{id}")).await;
        assert_eq!(
            (a["lon"].as_f64(), a["lat"].as_f64()),
            (Some(at.lon), Some(at.lat))
        );
        assert_eq!(
            (a["territory_id"].as_i64(), a["owner_id"].as_i64()),
            (territory, owner),
            "{a}"
        );
    }
    let (_, third) = app.get_json(&format!("/api/v1/accounts/{}", ids[2])).await;
    assert_eq!(
        (third["lon"].as_f64(), third["territory_id"].as_i64()),
        (Some(101.5), None)
    );

    // Row 2 has an address nobody knows: the file is refused, naming row and field.
    let before = account_count(app).await;
    let bad = format!("name,address\nToko Empat,\"{MEDAN}\"\nToko Lima,Qwxyz Blok Zz\n");
    for dry_run in [true, false] {
        let (status, body) = import(app, &bad, dry_run).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{body}");
        assert_eq!(
            (errors[0]["row"].as_u64(), errors[0]["field"].as_str()),
            (Some(2), Some("address"))
        );
        assert_eq!(account_count(app).await, before, "nothing written");
    }
    // A row with neither coordinates nor address: lon and lat are required.
    let (status, body) = import(app, "name,address,lon,lat\nToko Enam,,,\n", true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["lon", "lat"]);
}

/// What a brute-force scan finds for one account: ids of the other accounts with the same
/// normalised name within 200 m, or a shared phone or e-mail among their contacts.
fn brute_force(me: &Sample, all: &[Sample]) -> Vec<i64> {
    let key = company_name_key(&me.name);
    let phones =
        |s: &Sample| -> Vec<String> { s.phones.iter().filter_map(|p| phone_e164(p)).collect() };
    let emails =
        |s: &Sample| -> Vec<String> { s.emails.iter().filter_map(|e| email_key(e)).collect() };
    let mut ids: Vec<i64> = all
        .iter()
        .filter(|other| other.id != me.id)
        .filter(|other| {
            let near = !key.is_empty()
                && company_name_key(&other.name) == key
                && haversine_m(me.position, other.position) <= SAME_NAME_RADIUS_M;
            let phone = phones(me).iter().any(|p| phones(other).contains(p));
            let email = emails(me).iter().any(|e| emails(other).contains(e));
            near || phone || email
        })
        .map(|other| other.id)
        .collect();
    ids.sort_unstable();
    ids
}

struct Sample {
    id: i64,
    name: String,
    position: LonLat,
    owner: Option<i64>,
    phones: Vec<String>,
    emails: Vec<String>,
}

/// The sample holding `contact` (as the API lists it) and its place in the sample's lists.
fn contact_slot<'s>(samples: &'s mut [Sample], contact: &Value) -> (&'s mut Sample, usize) {
    let sample = samples
        .iter_mut()
        .find(|s| s.id == contact["account_id"])
        .unwrap_or_else(|| panic!("no sample for {contact}"));
    let at = (0..sample.phones.len())
        .find(|&i| {
            Some(sample.phones[i].as_str()) == contact["phone"].as_str()
                // Stored e-mails are trimmed.
                && contact["email"]
                    .as_str()
                    .is_some_and(|e| e.eq_ignore_ascii_case(sample.emails[i].trim()))
        })
        .unwrap_or_else(|| panic!("{contact} is not among its sample's contacts"));
    (sample, at)
}

fn found_ids(duplicates: &Value) -> Vec<i64> {
    duplicates
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {duplicates}"))
        .iter()
        .map(|d| d["account_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn duplicates_found_equal_a_brute_force_scan_within_what_the_caller_sees() {
    let w = world().await;
    let app = &w.app;
    let mut rng = SplitMix64::new(14);
    let names = [
        "PT Sinar Jaya",
        "TOKO SINAR JAYA",
        "sinar-jaya",
        "CV Maju",
        "Maju",
        "Koperasi Maju",
    ];
    let phones = [
        "0812 3456 7890",
        "+62 812-3456-7890",
        "0813 1111 2222",
        "62 813 1111 2222",
        "12ab",
    ];
    let emails = [
        "Ani@Toko.example",
        "ani@toko.example ",
        "budi@toko.example",
        " BUDI@Toko.Example",
    ];
    let centre = hit(BANDUNG);
    let mut samples: Vec<Sample> = Vec::new();
    for i in 0..40 {
        let name = rng.pick(&names).to_string();
        // Within about 600 m of one point: many pairs inside 200 m, many outside.
        let lon = centre.lon + (rng.unit() - 0.5) * 0.011;
        let lat = centre.lat + (rng.unit() - 0.5) * 0.011;
        // Half of them owned by rep B: rep A sees only the others.
        let owner = if i % 2 == 0 { w.reps[0] } else { w.reps[1] };
        let account = created(
            app,
            "/api/v1/accounts",
            // Customers: a rep sees the customers they own (and the prospects of their
            // territories).
            json!({"name": name, "kind": "customer", "lon": lon, "lat": lat, "owner_id": owner}),
        )
        .await;
        let mut sample = Sample {
            id: id(&account),
            name,
            position: LonLat::new(
                account["lon"].as_f64().unwrap(),
                account["lat"].as_f64().unwrap(),
            )
            .unwrap(),
            owner: Some(owner),
            phones: Vec::new(),
            emails: Vec::new(),
        };
        for _ in 0..rng.below(3) {
            let (phone, email) = (rng.pick(&phones).to_string(), rng.pick(&emails).to_string());
            created(
                app,
                "/api/v1/contacts",
                json!({"account_id": sample.id, "name": "Ibu Ani", "phone": phone, "email": email}),
            )
            .await;
            sample.phones.push(phone);
            sample.emails.push(email);
        }
        samples.push(sample);
    }
    // A contact changed and one deleted: the keys follow.
    let (_, contacts) = app.get_json("/api/v1/contacts?limit=2").await;
    let contacts = contacts["items"].as_array().unwrap().clone();
    let [first, second] = contacts.as_slice() else {
        panic!("the data should hold contacts: {contacts:?}");
    };
    let (status, changed) = app
        .send_json(
            "PATCH",
            &format!("/api/v1/contacts/{}", id(first)),
            &json!({"version": first["version"], "phone": "0899 0000 0001"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let (owner, at) = contact_slot(&mut samples, first);
    owner.phones[at] = "0899 0000 0001".into();
    let (status, _) = app
        .request_json(
            Request::delete(format!("/api/v1/contacts/{}", id(second)))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (owner, at) = contact_slot(&mut samples, second);
    owner.phones.remove(at);
    owner.emails.remove(at);

    let rep_a = app.as_user(Role::SalesRep, Some(w.reps[0]), vec![]).await;
    let mut pairs = 0;
    for me in &samples {
        let expected = brute_force(me, &samples);
        pairs += expected.len();
        let (status, found) = app
            .get_json(&format!("/api/v1/accounts/{}/duplicates", me.id))
            .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(
            found_ids(&found),
            expected,
            "account {} ({})",
            me.id,
            me.name
        );
        // Rep A: only their own accounts, and only about their own accounts.
        let (status, theirs) = rep_a
            .get_json(&format!("/api/v1/accounts/{}/duplicates", me.id))
            .await;
        if me.owner == Some(w.reps[0]) {
            assert_eq!(status, StatusCode::OK, "{theirs}");
            let mine: Vec<i64> = expected
                .iter()
                .copied()
                .filter(|id| {
                    samples
                        .iter()
                        .any(|s| s.id == *id && s.owner == Some(w.reps[0]))
                })
                .collect();
            assert_eq!(found_ids(&theirs), mine);
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{theirs}");
        }
    }
    assert!(
        pairs > 40,
        "the data should hold many duplicates, found {pairs}"
    );

    // The create answer lists the new account's duplicates (name and position only: it has no
    // contacts yet).
    let newcomer = created(
        app,
        "/api/v1/accounts",
        json!({"name": "Sinar Jaya", "lon": centre.lon, "lat": centre.lat}),
    )
    .await;
    let me = Sample {
        id: id(&newcomer),
        name: "Sinar Jaya".into(),
        position: LonLat::new(centre.lon, centre.lat).unwrap(),
        owner: None,
        phones: Vec::new(),
        emails: Vec::new(),
    };
    assert_eq!(
        found_ids(&newcomer["duplicates"]),
        brute_force(&me, &samples)
    );
    assert!(!brute_force(&me, &samples).is_empty());

    // An import dry run reports the duplicates of its rows, among the accounts and among the
    // file's earlier rows (row 3 is row 2's name a few metres away, far from the others).
    let (far_lon, far_lat) = (centre.lon + 0.1, centre.lat);
    let csv = format!(
        "name,lon,lat\nToko Sinar Jaya,{},{}\nNobody Alike,{far_lon},{far_lat}\nNOBODY-ALIKE,{},{far_lat}\n",
        centre.lon,
        centre.lat,
        far_lon + 0.0005,
    );
    let (status, report) = import(app, &csv, true).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{report}");
    assert_eq!(rows[0]["row"], 1);
    let mut expected = brute_force(&me, &samples);
    expected.push(me.id);
    expected.sort_unstable();
    assert_eq!(found_ids(&rows[0]["duplicates"]), expected);
    assert_eq!(rows[1]["row"], 3, "{report}");
    assert_eq!(rows[1]["same_as_rows"], json!([2]), "{report}");
    assert!(rows[1]["duplicates"].is_null(), "{report}");
}

/// The ids of the rows of `resource` on account `account`.
async fn children(app: &TestApp, resource: &str, account: i64) -> Vec<i64> {
    let (status, page) = app
        .get_json(&format!(
            "/api/v1/{resource}?account_id={account}&limit=500"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(id).collect();
    ids.sort_unstable();
    ids
}

const CHILDREN: [&str; 5] = ["contacts", "opportunities", "cases", "visits", "activities"];

#[tokio::test]
async fn a_merge_moves_every_child_row_and_is_all_or_nothing() {
    let w = world().await;
    let app = &w.app;
    let technician = id(&created(
        app,
        "/api/v1/staff",
        json!({"name": "Tek", "email": "tek@placing.test", "role": "technician"}),
    )
    .await);
    let at = hit(BANDUNG);
    let survivor = created(
        app,
        "/api/v1/accounts",
        json!({"name": "Toko Sinar", "lon": at.lon, "lat": at.lat}),
    )
    .await;
    let other = created(
        app,
        "/api/v1/accounts",
        json!({"name": "PT Sinar", "lon": at.lon + 0.0005, "lat": at.lat}),
    )
    .await;
    let (keep, gone) = (id(&survivor), id(&other));
    for account in [keep, gone] {
        for n in 0..2 {
            created(app, "/api/v1/contacts", json!({"account_id": account, "name": format!("Kontak {n}"), "phone": format!("0812000{account}{n}")})).await;
            created(app, "/api/v1/opportunities", json!({"account_id": account, "title": format!("Freezer {n}"), "value_minor": 1000})).await;
            created(
                app,
                "/api/v1/cases",
                json!({"account_id": account, "subject": format!("Keluhan {n}")}),
            )
            .await;
            created(app, "/api/v1/visits", json!({"account_id": account, "technician_id": technician,
                "window_start": "2026-12-01T08:00:00Z", "window_end": "2026-12-01T16:00:00Z", "duration_min": 30})).await;
            created(app, "/api/v1/activities", json!({"account_id": account, "kind": "note", "subject": format!("Catatan {n}"), "occurred_at": "2026-12-01T09:00:00Z"})).await;
        }
    }
    // One sale each: the survivor's revenue and cost of goods must count both after the merge.
    let sku = created(
        app,
        "/api/v1/products",
        json!({"sku": "MRG-1", "name_en": "Freezer", "list_price_minor": 5000,
               "cost_price_minor": 3000, "tax_rate_bp": 1100}),
    )
    .await;
    for account in [keep, gone] {
        created(
            app,
            "/api/v1/orders",
            json!({"account_id": account, "currency": "IDR", "order_date": "2026-01-05",
                   "lines": [{"product_id": id(&sku), "quantity_milli": 1000, "discount_bp": 0}]}),
        )
        .await;
    }
    let mut before = Vec::new();
    for resource in CHILDREN {
        before.push((
            children(app, resource, keep).await,
            children(app, resource, gone).await,
        ));
    }
    let (_, dups) = app
        .get_json(&format!("/api/v1/accounts/{keep}/duplicates"))
        .await;
    assert_eq!(found_ids(&dups), [gone], "same name 55 m apart");

    let merge = |from: i64, version: &Value| json!({"from": from, "version": version});
    // A stale version: 409, nothing moved, nothing deleted.
    let (status, body) = app
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{keep}/merge"),
            &merge(gone, &json!(0)),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Into itself, or from nothing: refused on `from`.
    for from in [keep, 987_654] {
        let (status, body) = app
            .send_json(
                "POST",
                &format!("/api/v1/accounts/{keep}/merge"),
                &merge(from, &survivor["version"]),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "from");
    }
    for (resource, (mine, theirs)) in CHILDREN.iter().zip(&before) {
        assert_eq!(&children(app, resource, keep).await, mine, "{resource}");
        assert_eq!(&children(app, resource, gone).await, theirs, "{resource}");
    }
    let (status, _) = app.get_json(&format!("/api/v1/accounts/{gone}")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, merged) = app
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{keep}/merge"),
            &merge(gone, &survivor["version"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["account"]["id"], keep);
    assert_eq!(
        merged["account"]["version"],
        survivor["version"].as_i64().unwrap() + 1
    );
    assert_eq!(merged["merged_from"], gone);
    assert_eq!(merged["moved"]["orders"], 1, "{merged}");
    assert_eq!(merged["account"]["revenue_minor"], 10_000, "{merged}");
    assert_eq!(merged["account"]["margin_minor"], 4_000, "{merged}");
    for (resource, (mine, theirs)) in CHILDREN.iter().zip(&before) {
        let mut all = mine.clone();
        all.extend(theirs);
        all.sort_unstable();
        assert_eq!(children(app, resource, keep).await, all, "{resource}");
        assert_eq!(merged["moved"][resource], theirs.len(), "{merged}");
    }
    let (status, _) = app.get_json(&format!("/api/v1/accounts/{gone}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The spatial index and the duplicate keys follow.
    let (_, near) = app
        .get_json(&format!(
            "/api/v1/accounts/nearby?lon={}&lat={}&radius_m=500",
            at.lon, at.lat
        ))
        .await;
    let near: Vec<i64> = near
        .as_array()
        .unwrap()
        .iter()
        .map(|n| id(&n["account"]))
        .collect();
    assert_eq!(near, [keep]);
    let (_, dups) = app
        .get_json(&format!("/api/v1/accounts/{keep}/duplicates"))
        .await;
    assert_eq!(found_ids(&dups), Vec::<i64>::new());
    // Audited.
    let (status, audit) = app
        .get_json(&format!("/api/v1/audit?entity=accounts&entity_id={keep}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert!(
        audit.to_string().contains("\"merge\""),
        "no merge entry in {audit}"
    );
}

#[tokio::test]
async fn a_rep_merges_only_inside_their_rows() {
    let w = world().await;
    let app = &w.app;
    let [a, b] = w.reps;
    let at = hit(BANDUNG);
    let mut accounts = Vec::new();
    for (name, owner) in [("Toko A", a), ("Toko A", a), ("Toko A", b)] {
        accounts.push(
            created(app, "/api/v1/accounts", json!({"name": name, "kind": "customer", "lon": at.lon, "lat": at.lat, "owner_id": owner})).await,
        );
    }
    let (mine, also_mine, theirs) = (id(&accounts[0]), id(&accounts[1]), id(&accounts[2]));
    let rep_a = app.as_user(Role::SalesRep, Some(a), vec![]).await;
    let (_, found) = rep_a
        .get_json(&format!("/api/v1/accounts/{mine}/duplicates"))
        .await;
    assert_eq!(
        found_ids(&found),
        [also_mine],
        "rep A sees no duplicate of B's"
    );
    let (_, found) = app
        .get_json(&format!("/api/v1/accounts/{mine}/duplicates"))
        .await;
    assert_eq!(found_ids(&found), [also_mine, theirs]);

    // B's account merged into A's, or A's into B's: refused, and nothing changes.
    let (status, body) = rep_a
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{mine}/merge"),
            &json!({"from": theirs, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = rep_a
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{theirs}/merge"),
            &json!({"from": mine, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let technician = app.as_user(Role::Technician, None, vec![]).await;
    let (status, _) = technician
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{mine}/merge"),
            &json!({"from": also_mine, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for account in [mine, also_mine, theirs] {
        let (status, _) = app.get_json(&format!("/api/v1/accounts/{account}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    // Inside their rows it works.
    let (status, merged) = rep_a
        .send_json(
            "POST",
            &format!("/api/v1/accounts/{mine}/merge"),
            &json!({"from": also_mine, "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (status, _) = app.get_json(&format!("/api/v1/accounts/{also_mine}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn imported_territories_place_accounts_and_the_cli_import_follows_the_same_rule() {
    let w = world().await;
    let app = &w.app;
    // A territory imported around Medan, owned by rep B: the index follows at once.
    let medan = hit(MEDAN);
    let collection = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"name": "Sumut", "owner_id": w.reps[1]}, "geometry": square(&medan, 0.3)}]});
    let (status, answer) = app
        .request_json(
            Request::post("/api/v1/territories/import")
                .header("content-type", "application/geo+json")
                .body(Body::from(collection.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let sumut = answer["ids"][0].as_i64().unwrap();
    let account = created(
        app,
        "/api/v1/accounts",
        json!({"name": "Toko Medan", "address": MEDAN}),
    )
    .await;
    assert_eq!(
        (&account["territory_id"], &account["owner_id"]),
        (&json!(sumut), &json!(w.reps[1]))
    );

    // The command line: rows by address land in their territories with their reps.
    let file = std::env::temp_dir().join(format!("placing-{}.csv", std::process::id()));
    std::fs::write(
        &file,
        format!("name,address\nToko CLI Satu,\"{BANDUNG}\"\nToko CLI Dua,\"{MEDAN}\"\n"),
    )
    .unwrap();
    let mut config = wilayah_server::config::Config::defaults();
    config.database_url = app.db.url.clone();
    let cli = wilayah_server::cli::Cli {
        config,
        command: Some(wilayah_server::cli::Command::Import(
            wilayah_server::cli::Import::Accounts {
                file: file.clone(),
                format: None,
                dry_run: false,
            },
        )),
    };
    let run = wilayah_server::cli::run(cli).await;
    let _ = std::fs::remove_file(&file);
    run.unwrap_or_else(|e| panic!("the CLI import failed: {e}"));
    let (_, page) = app.get_json("/api/v1/accounts?q=CLI&sort=name").await;
    let placed: Vec<(String, Option<i64>, Option<i64>)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["territory_id"].as_i64(),
                a["owner_id"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        placed,
        [
            ("Toko CLI Dua".to_owned(), Some(sumut), Some(w.reps[1])),
            (
                "Toko CLI Satu".to_owned(),
                Some(w.territories[0]),
                Some(w.reps[0])
            ),
        ]
    );
}

/// A Nominatim-compatible geocoder on loopback: answers `/search` with `answer` and keeps the
/// queries it was asked.
async fn fake_nominatim(
    answer: &'static str,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::sync::{Arc, Mutex};
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = asked.clone();
    let app = axum::Router::new().route(
        "/search",
        axum::routing::get(move |uri: axum::http::Uri| {
            let log = log.clone();
            async move {
                log.lock()
                    .unwrap()
                    .push(uri.query().unwrap_or_default().to_owned());
                ([("content-type", "application/json")], answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

#[tokio::test]
async fn an_external_geocoder_gives_street_precision_and_the_gazetteer_stands_in_when_it_cannot() {
    // A street-level answer (Nominatim sends coordinates as strings).
    let street = r#"[{"lat": "-6.92131", "lon": "107.60700", "addresstype": "road",
        "display_name": "Jalan Asia Afrika, Bandung, Jawa Barat, Indonesia"}]"#;
    let (url, asked) = fake_nominatim(street).await;
    let app = TestApp::start_with(|c| c.geocoder_url = Some(url)).await;
    let (status, found) = app
        .get_json("/api/v1/geocode?q=Jl.%20Asia%20Afrika%208%2C%20Bandung")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["precision"], "street", "{found}");
    assert_eq!(
        (found["lon"].as_f64(), found["lat"].as_f64()),
        (Some(107.607), Some(-6.92131))
    );
    let query = asked.lock().unwrap().last().cloned().unwrap();
    assert!(
        query.contains("countrycodes=id") && query.contains("Asia+Afrika"),
        "{query}"
    );
    // Creating by address uses the same answer.
    let (status, account) = app
        .send_json(
            "POST",
            "/api/v1/accounts",
            &json!({"name": "Toko Jalan", "address": BANDUNG}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    assert_eq!(account["geocoded"]["precision"], "street", "{account}");
    assert_eq!(account["lon"].as_f64(), Some(107.607));

    // Nothing found there: the gazetteer's place.
    let (url, _) = fake_nominatim("[]").await;
    let app = TestApp::start_with(|c| c.geocoder_url = Some(url)).await;
    let (status, found) = app.get_json("/api/v1/geocode?q=Bandung").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found["precision"],
        json!(hit("Bandung").precision),
        "{found}"
    );
    assert_eq!(found["lon"].as_f64(), Some(hit("Bandung").lon));

    // Nobody listening: the gazetteer again, without waiting for a timeout.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let app = TestApp::start_with(|c| c.geocoder_url = Some(closed)).await;
    let (status, found) = app.get_json("/api/v1/geocode?q=Bandung").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["lat"].as_f64(), Some(hit("Bandung").lat));
}
