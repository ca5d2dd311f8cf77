//! The access model test: random users of every role over random data. Every read route (every
//! GET of `/api/v1/openapi.json`, with every id in its path and every id-like filter), the read
//! routes that take a body, every server function and every page is called as each user; every
//! account, contact, deal, case, activity, visit, staff e-mail, user e-mail and API token that
//! comes back must lie in the set that user's role may read, **computed here from the generated
//! data** by the rules of the role table in `docs/security.md` (not with `wilayah_shared::access`,
//! whose rules are what is under test). Then every write on a row outside the caller's rows (and
//! every write the role may not make at all) must be refused and leave every table unchanged, and
//! the fields that name the acting user must name the caller whatever the body says.
//!
//! Rows are found in answers two ways, so that neither the shape of an answer nor the kind of
//! answer (JSON, CSV, GeoJSON, HTML) can hide one: every generated text carries a marker
//! `zq<kind><seq>q` (an account's name, tag, segment and external id, a contact's name and
//! e-mail, a deal's title, a case's subject, an activity's subject, a visit's notes, a staff
//! member's e-mail, a token's name) and every account has a longitude no other row has; and JSON
//! objects shaped like a record, `account_id` / `visit_id` keys and audit entries are read for
//! their ids.
//!
//! Runs on the database `DATABASE_URL` names (SQLite otherwise). `WILAYAH_MODEL_SEED` picks the
//! data (default 13); the seed is in every failure message.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use sqlx::Connection;
use wilayah_shared::access::Role;
use wilayah_tests::analytics;
use wilayah_tests::{Client, TestApp};

// ---------------------------------------------------------------------------------------------
// The generated world and who may read what in it.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Account,
    Contact,
    Deal,
    Case,
    Activity,
    Visit,
    Staff,
    User,
    Token,
    Quote,
    Order,
    /// A catalogue product (every role that sells reads all of them).
    Product,
    /// A follow-up on an account.
    Task,
}

impl Kind {
    /// The kind a marker names (`zq<tag><seq>q`).
    fn of_marker(tag: &str) -> Option<Kind> {
        Some(match tag {
            "acc" | "tag" | "seg" | "ext" => Kind::Account,
            "con" => Kind::Contact,
            "deal" => Kind::Deal,
            "case" => Kind::Case,
            "act" => Kind::Activity,
            "vis" => Kind::Visit,
            "stf" => Kind::Staff,
            "tok" => Kind::Token,
            "quo" => Kind::Quote,
            "prd" => Kind::Product,
            "task" => Kind::Task,
            _ => return None,
        })
    }

    /// The kind of a table name (audit entries, generic routes).
    fn of_table(name: &str) -> Option<Kind> {
        Some(match name {
            "accounts" | "account" => Kind::Account,
            "contacts" | "contact" => Kind::Contact,
            "opportunities" | "opportunity" => Kind::Deal,
            "cases" | "case" => Kind::Case,
            "activities" | "activity" => Kind::Activity,
            "visits" | "visit" => Kind::Visit,
            "quotes" | "quote" => Kind::Quote,
            "orders" | "order" => Kind::Order,
            "products" | "product" => Kind::Product,
            "tasks" | "task" => Kind::Task,
            _ => return None,
        })
    }
}

/// One generated row.
#[derive(Debug, Clone)]
struct Row {
    kind: Kind,
    id: i64,
    /// The account it hangs off (an account: itself).
    account: Option<i64>,
    /// A visit's technician.
    technician: Option<i64>,
}

#[derive(Debug, Clone)]
struct AccountRow {
    id: i64,
    prospect: bool,
    owner: Option<i64>,
    territory: Option<i64>,
    /// The longitude as the API prints it; no other row has it.
    lon: String,
}

#[derive(Default)]
struct World {
    seed: u64,
    today: String,
    territories: Vec<(i64, Option<i64>)>,
    reps: Vec<i64>,
    technicians: Vec<i64>,
    /// Every staff member's id.
    staff: Vec<i64>,
    accounts: Vec<AccountRow>,
    /// Every marked row by its marker number.
    rows: BTreeMap<u32, Row>,
    /// The e-mail of every user (login), by user id.
    users: BTreeMap<i64, String>,
    tokens: Vec<i64>,
    drafts: Vec<i64>,
    /// Saved segments (their members are computed per caller).
    segments: Vec<i64>,
    /// Launched campaigns (their recipients are the caller's accounts' contacts).
    campaigns: Vec<i64>,
    price_lists: Vec<i64>,
    price_list_items: Vec<i64>,
    next_seq: u32,
}

/// A signed-in user the test acts as.
struct Viewer {
    label: String,
    role: Role,
    staff: Option<i64>,
    region: Vec<i64>,
    user_id: i64,
    email: String,
    client: Client,
}

impl World {
    fn marker(&mut self, tag: &str) -> (u32, String) {
        self.next_seq += 1;
        (self.next_seq, format!("zq{tag}{}q", self.next_seq))
    }

    fn account(&self, id: i64) -> &AccountRow {
        self.accounts
            .iter()
            .find(|a| a.id == id)
            .expect("a generated account")
    }

    /// The accounts a user may see, by the role table of `docs/security.md`.
    fn accounts_of(&self, v: &Viewer) -> BTreeSet<i64> {
        let owned_territories: BTreeSet<i64> = self
            .territories
            .iter()
            .filter(|(_, owner)| owner.is_some() && *owner == v.staff)
            .map(|(id, _)| *id)
            .collect();
        self.accounts
            .iter()
            .filter(|a| match (v.role, v.staff) {
                (Role::Admin | Role::Planner, _) => true,
                (Role::Manager, _) if v.region.is_empty() => true,
                (Role::Manager, _) => a.territory.is_some_and(|t| v.region.contains(&t)),
                (Role::SalesRep, Some(me)) => {
                    a.owner == Some(me)
                        || (a.prospect
                            && a.territory.is_some_and(|t| owned_territories.contains(&t)))
                }
                (Role::Technician, Some(me)) => self.rows.values().any(|r| {
                    r.kind == Kind::Visit && r.technician == Some(me) && r.account == Some(a.id)
                }),
                (Role::SalesRep | Role::Technician, None) => false,
            })
            .map(|a| a.id)
            .collect()
    }

    /// Everything a user may read: (kind, id).
    fn readable(&self, v: &Viewer) -> BTreeSet<(Kind, i64)> {
        use Role::*;
        let accounts = self.accounts_of(v);
        let mut set: BTreeSet<(Kind, i64)> = accounts.iter().map(|a| (Kind::Account, *a)).collect();
        for row in self.rows.values() {
            let of_mine = row.account.is_some_and(|a| accounts.contains(&a));
            let may = match row.kind {
                Kind::Account => continue,
                Kind::Contact | Kind::Activity | Kind::Case => {
                    matches!(v.role, Admin | Manager | SalesRep | Technician) && of_mine
                }
                Kind::Deal | Kind::Quote | Kind::Order | Kind::Task => {
                    matches!(v.role, Admin | Manager | SalesRep) && of_mine
                }
                Kind::Product => matches!(v.role, Admin | Manager | SalesRep),
                Kind::Visit => match v.role {
                    Technician => v.staff.is_some() && row.technician == v.staff,
                    _ => of_mine,
                },
                Kind::Staff | Kind::User | Kind::Token => continue,
            };
            if may {
                set.insert((row.kind, row.id));
            }
        }
        // Staff e-mails: the dispatching roles see everyone's; a rep or technician their own.
        for id in &self.staff {
            if matches!(v.role, Admin | Manager | Planner) || v.staff == Some(*id) {
                set.insert((Kind::Staff, *id));
            }
        }
        // User e-mails: admins (and managers, through the audit log's actors); others their own.
        for id in self.users.keys() {
            if matches!(v.role, Admin | Manager) || *id == v.user_id {
                set.insert((Kind::User, *id));
            }
        }
        if v.role == Admin {
            set.extend(self.tokens.iter().map(|t| (Kind::Token, *t)));
        }
        set
    }

    /// Rows a route shows beyond the caller's own by design: a technician's `/routes/suggest`
    /// names nearby prospects (name and position) to fit into the day (`docs/security.md`), and
    /// planning drafts name their authors.
    fn route_extras(&self, v: &Viewer, route: &str) -> BTreeSet<(Kind, i64)> {
        if v.role == Role::Technician && v.staff.is_some() && route == "POST /api/v1/routes/suggest"
        {
            return self
                .accounts
                .iter()
                .filter(|a| a.prospect)
                .map(|a| (Kind::Account, a.id))
                .collect();
        }
        // Drafts and publications name the user who made them, for the planners working on them.
        if route.starts_with("GET /api/v1/planning/") || route.starts_with("POST /api/v1/planning/")
        {
            return self.users.keys().map(|u| (Kind::User, *u)).collect();
        }
        BTreeSet::new()
    }

    fn describe(&self, kind: Kind, id: i64) -> String {
        match kind {
            Kind::Account => {
                let a = self.account(id);
                format!(
                    "account {id} ({}, owner {:?}, territory {:?})",
                    if a.prospect { "prospect" } else { "customer" },
                    a.owner,
                    a.territory
                )
            }
            Kind::Visit => {
                let r = self.rows.values().find(|r| r.kind == kind && r.id == id);
                format!(
                    "visit {id} (account {:?}, technician {:?})",
                    r.and_then(|r| r.account),
                    r.and_then(|r| r.technician)
                )
            }
            Kind::Staff => format!("staff member {id}'s e-mail"),
            Kind::User => format!("user {id}'s e-mail ({})", self.users[&id]),
            Kind::Token => format!("API token {id}"),
            other => {
                let account = self
                    .rows
                    .values()
                    .find(|r| r.kind == other && r.id == id)
                    .and_then(|r| r.account);
                format!("{other:?} {id} (account {account:?})").to_lowercase()
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building the world through the API, as the harness's admin.

async fn created(app: &TestApp, uri: &str, body: Value) -> Value {
    let (status, answer) = app.send_json("POST", uri, &body).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "setup: POST {uri} {body} → {status} {answer}"
    );
    answer
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// A longitude with five decimals, the last not zero, that no other row has.
fn fresh_lon(rng: &mut StdRng, used: &mut BTreeSet<String>, west: f64) -> (String, f64) {
    loop {
        let k: u32 = rng.random_range(1_000..19_000);
        if k.is_multiple_of(10) {
            continue;
        }
        let lon: f64 = format!("{:.5}", west + f64::from(k) / 100_000.0)
            .parse()
            .unwrap();
        let text = lon.to_string();
        if used.insert(text.clone()) {
            return (text, lon);
        }
    }
}

fn square(west: f64, south: f64) -> Value {
    let (e, n) = (west + 0.2, south + 0.2);
    json!({"type": "Polygon", "coordinates": [[[west, south], [e, south], [e, n], [west, n], [west, south]]]})
}

/// Territories side by side west to east; accounts outside them lie further south.
const WEST: f64 = 106.0;
const SOUTH: f64 = -6.4;
const OUTSIDE_SOUTH: f64 = -6.9;

async fn build_world(app: &TestApp, seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut world = World {
        seed,
        today: chrono::Utc::now().date_naive().to_string(),
        ..World::default()
    };
    let mut used_lons = BTreeSet::new();

    // Staff: reps, technicians (with a home base, so their day can be planned), a manager and a
    // planner.
    let mut roles = vec!["sales_rep"; 3];
    roles.extend(["technician"; 3]);
    roles.extend(["manager", "planner"]);
    for role in roles {
        let (seq, marker) = world.marker("stf");
        let home_lon = WEST + rng.random_range(0.0..0.8);
        let member = created(
            app,
            "/api/v1/staff",
            json!({"name": format!("Staf {seq}"), "email": format!("{marker}@model.test"), "role": role,
                   "home_lon": (home_lon * 1000.0).round() / 1000.0, "home_lat": -6.3}),
        )
        .await;
        let id = id_of(&member);
        world.staff.push(id);
        world.rows.insert(
            seq,
            Row {
                kind: Kind::Staff,
                id,
                account: None,
                technician: None,
            },
        );
        match role {
            "sales_rep" => world.reps.push(id),
            "technician" => world.technicians.push(id),
            _ => {}
        }
    }

    // Territories, each owned by a random rep or by nobody; the first rep owns the first.
    for t in 0..4 {
        let owner = if t == 0 {
            Some(world.reps[0])
        } else {
            [
                None,
                Some(world.reps[1]),
                Some(world.reps[2]),
                Some(world.reps[0]),
            ]
            .choose(&mut rng)
            .copied()
            .flatten()
        };
        let territory = created(
            app,
            "/api/v1/territories",
            json!({"name": format!("Wilayah {t}"), "geometry": square(WEST + 0.2 * f64::from(t), SOUTH), "owner_id": owner}),
        )
        .await;
        world.territories.push((id_of(&territory), owner));
    }

    // Accounts: customers and prospects, inside and outside the territories, owned by a rep or
    // by nobody.
    let mut external_ids = Vec::new();
    for _ in 0..32 {
        let (seq, marker) = world.marker("acc");
        external_ids.push(format!("zqext{seq}q"));
        let inside = rng.random_bool(0.8);
        let t = rng.random_range(0..world.territories.len());
        let west = if inside {
            WEST + 0.2 * t as f64
        } else {
            WEST + 0.4
        };
        let (lon_text, lon) = fresh_lon(&mut rng, &mut used_lons, west);
        let lat = if inside { SOUTH } else { OUTSIDE_SOUTH }
            + f64::from(rng.random_range(100u32..1900)) / 10_000.0;
        let territory = inside.then(|| world.territories[t].0);
        let prospect = rng.random_bool(0.5);
        let owner = if rng.random_bool(0.25) {
            None
        } else {
            world.reps.choose(&mut rng).copied()
        };
        let account = created(
            app,
            "/api/v1/accounts",
            json!({
                "name": format!("Toko {marker}"), "kind": if prospect { "prospect" } else { "customer" },
                "lon": lon, "lat": lat, "owner_id": owner, "territory_id": territory,
                "segment": format!("zqseg{seq}q"), "tags": [format!("zqtag{seq}q")],
                "external_id": format!("zqext{seq}q"), "address": format!("Jalan {marker}"),
                "revenue_minor": rng.random_range(0..1_000_000),
            }),
        )
        .await;
        let id = id_of(&account);
        // An account created without an owner inside a territory goes to the territory's rep
        // (issue 14 item 5): the model keeps what the server stored.
        assert_eq!(account["territory_id"].as_i64(), territory, "{account}");
        if owner.is_some() {
            assert_eq!(account["owner_id"].as_i64(), owner, "{account}");
        }
        world.accounts.push(AccountRow {
            id,
            prospect,
            owner: account["owner_id"].as_i64(),
            territory,
            lon: lon_text,
        });
        world.rows.insert(
            seq,
            Row {
                kind: Kind::Account,
                id,
                account: Some(id),
                technician: None,
            },
        );
    }

    // The catalogue: a product on a price list.
    let (seq, marker) = world.marker("prd");
    let product = id_of(
        &created(
            app,
            "/api/v1/products",
            json!({"sku": marker, "name_en": marker, "list_price_minor": 10_000}),
        )
        .await,
    );
    world.rows.insert(
        seq,
        Row {
            kind: Kind::Product,
            id: product,
            account: None,
            technician: None,
        },
    );
    // An order history up to yesterday, on which a lifetime-value fit up to yesterday
    // converges (so that `/analytics/clv` answers and is checked; see `values_for`).
    let today: chrono::NaiveDate = world.today.parse().expect("a day");
    let start = today - chrono::Days::new(analytics::CALIBRATION_DAYS + 1);
    let csv = analytics::order_csv(
        &analytics::purchases(start),
        today.pred_opt().expect("a day before"),
        |c| external_ids[c as usize - 1].clone(),
        &[marker.as_str()],
    );
    let request = Request::post("/api/v1/orders/import")
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (status, done) = app.request_json(request).await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    let list = id_of(
        &created(
            app,
            "/api/v1/price_lists",
            json!({"name": "Model list", "valid_from": "2020-01-01"}),
        )
        .await,
    );
    world.price_lists.push(list);
    let item = created(
        app,
        "/api/v1/price_list_items",
        json!({"price_list_id": list, "product_id": product, "price_minor": 9_000}),
    )
    .await;
    world.price_list_items.push(id_of(&item));

    // What hangs off the accounts.
    let account_ids: Vec<i64> = world.accounts.iter().map(|a| a.id).collect();
    let staff = world.staff.clone();
    let technicians = world.technicians.clone();
    let today = world.today.clone();
    let window = |h: u32| format!("{today}T{h:02}:00:00Z");
    let (window_start, window_end) = (window(8), window(16));
    for account in account_ids {
        let sale = json!([{"product_id": product, "quantity_milli": 1_000}]);
        if rng.random_bool(0.5) {
            let (seq, marker) = world.marker("quo");
            let q = created(
                app,
                "/api/v1/quotes",
                json!({"account_id": account, "valid_until": "2099-12-31", "terms": marker, "lines": sale}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Quote, id_of(&q), account, None));
        }
        if rng.random_bool(0.5) {
            let (seq, _) = world.marker("ord");
            let o = created(
                app,
                "/api/v1/orders",
                json!({"account_id": account, "currency": "IDR", "order_date": world.today, "lines": sale}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Order, id_of(&o), account, None));
        }
        for _ in 0..rng.random_range(0..3) {
            let (seq, marker) = world.marker("con");
            let c = created(
                app,
                "/api/v1/contacts",
                json!({"account_id": account, "name": format!("Ibu {marker}"), "email": format!("{marker}@model.test"), "phone": "0812"}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Contact, id_of(&c), account, None));
        }
        for _ in 0..rng.random_range(0..3) {
            let (seq, marker) = world.marker("deal");
            let d = created(
                app,
                "/api/v1/opportunities",
                json!({"account_id": account, "title": format!("Freezer {marker}"), "owner_id": staff.choose(&mut rng), "value_minor": 1000}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Deal, id_of(&d), account, None));
        }
        for _ in 0..rng.random_range(0..2) {
            let (seq, marker) = world.marker("case");
            let c = created(
                app,
                "/api/v1/cases",
                json!({"account_id": account, "subject": format!("Keluhan {marker}"), "description": marker, "opened_by": staff.choose(&mut rng)}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Case, id_of(&c), account, None));
        }
        for _ in 0..rng.random_range(0..2) {
            let (seq, marker) = world.marker("task");
            let t = created(
                app,
                "/api/v1/tasks",
                json!({"account_id": account, "title": format!("Tindak lanjut {marker}"), "due_on": "2026-12-01",
                       "assignee_id": staff.choose(&mut rng), "priority": "high"}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Task, id_of(&t), account, None));
        }
        for _ in 0..rng.random_range(0..3) {
            let (seq, marker) = world.marker("act");
            let a = created(
                app,
                "/api/v1/activities",
                json!({"account_id": account, "kind": "call", "subject": format!("Telepon {marker}"), "body": marker,
                       "staff_id": staff.choose(&mut rng), "occurred_at": window(9)}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Activity, id_of(&a), account, None));
        }
        if rng.random_bool(0.45) {
            let (seq, marker) = world.marker("vis");
            // Mostly a technician's, sometimes nobody's yet.
            let technician = if rng.random_bool(0.85) {
                technicians.choose(&mut rng).copied()
            } else {
                None
            };
            let v = created(
                app,
                "/api/v1/visits",
                json!({"account_id": account, "technician_id": technician, "window_start": window_start,
                       "window_end": window_end, "duration_min": 30, "notes": format!("Catatan {marker}")}),
            )
            .await;
            world
                .rows
                .insert(seq, child(Kind::Visit, id_of(&v), account, technician));
        }
    }

    // A technician's check-in on a visit (field actions name their visit).
    if let Some(visit) = world
        .rows
        .values()
        .find(|r| r.kind == Kind::Visit && r.technician.is_some())
    {
        let id = visit.id;
        created(
            app,
            "/api/v1/field/actions",
            json!({"client_id": "0f0e0d0c-0b0a-4909-8807-060504030201", "visit_id": id, "base_version": 1,
                   "action": "check_in", "lon": 106.5, "lat": -6.3, "recorded_at": window(9)}),
        )
        .await;
    }

    // An API token and a planning draft of the admin's.
    let (seq, marker) = world.marker("tok");
    let token = created(app, "/api/v1/tokens", json!({"name": marker})).await;
    let token_id = token["record"]["id"].as_i64().expect("a token id");
    world.tokens.push(token_id);
    world.rows.insert(
        seq,
        Row {
            kind: Kind::Token,
            id: token_id,
            account: None,
            technician: None,
        },
    );
    let draft = created(app, "/api/v1/planning/drafts", json!({"name": "Rencana"})).await;
    world.drafts.push(id_of(&draft));
    // Segments: every account, and a wide circle over the generated area.
    for definition in [
        json!({}),
        json!({"area": {"type": "radius", "lon": 106.5, "lat": -6.5, "metres": 400000.0}}),
    ] {
        let segment = created(
            app,
            "/api/v1/segments",
            json!({"name": "Segmen", "definition": definition}),
        )
        .await;
        world.segments.push(id_of(&segment));
    }
    let campaign = created(
        app,
        "/api/v1/campaigns",
        json!({"name": "Kampanye", "objective": "retention", "channel": "export",
               "segment_id": world.segments[0]}),
    )
    .await;
    let launched = created(
        app,
        &format!("/api/v1/campaigns/{}/launch", id_of(&campaign)),
        json!({"version": campaign["version"]}),
    )
    .await;
    world.campaigns.push(id_of(&launched));
    world
}

fn child(kind: Kind, id: i64, account: i64, technician: Option<i64>) -> Row {
    Row {
        kind,
        id,
        account: Some(account),
        technician,
    }
}

/// Users of every role, some linked to random staff members, a regional manager of two random
/// territories, and a rep and a technician with no staff member.
async fn make_viewers(app: &TestApp, world: &mut World, rng: &mut StdRng) -> Vec<Viewer> {
    let mut territories: Vec<i64> = world.territories.iter().map(|t| t.0).collect();
    territories.shuffle(rng);
    let region: Vec<i64> = territories[..2].to_vec();
    let mut reps = world.reps.clone();
    reps.shuffle(rng);
    // The rep who owns the first territory is always among them (their territory's prospects).
    reps.retain(|r| *r != world.reps[0]);
    reps.insert(0, world.reps[0]);
    let mut technicians = world.technicians.clone();
    technicians.shuffle(rng);
    let specs: Vec<(String, Role, Option<i64>, Vec<i64>)> = vec![
        ("admin".into(), Role::Admin, None, vec![]),
        ("manager".into(), Role::Manager, None, vec![]),
        (
            format!("regional manager of {region:?}"),
            Role::Manager,
            None,
            region.clone(),
        ),
        ("planner".into(), Role::Planner, None, vec![]),
        (
            format!("sales rep {}", reps[0]),
            Role::SalesRep,
            Some(reps[0]),
            vec![],
        ),
        (
            format!("sales rep {}", reps[1]),
            Role::SalesRep,
            Some(reps[1]),
            vec![],
        ),
        (
            format!("technician {}", technicians[0]),
            Role::Technician,
            Some(technicians[0]),
            vec![],
        ),
        (
            format!("technician {}", technicians[1]),
            Role::Technician,
            Some(technicians[1]),
            vec![],
        ),
        (
            "sales rep without staff".into(),
            Role::SalesRep,
            None,
            vec![],
        ),
        (
            "technician without staff".into(),
            Role::Technician,
            None,
            vec![],
        ),
    ];
    let (_, me) = app.get_json("/api/v1/auth/me").await;
    world.users.insert(
        me["user"]["user_id"].as_i64().expect("the admin's id"),
        me["user"]["email"].as_str().unwrap().to_owned(),
    );
    let mut viewers = Vec::new();
    for (label, role, staff, region) in specs {
        let client = app.as_user(role, staff, region.clone()).await;
        let (status, me) = client.get_json("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::OK, "{label}: /auth/me {me}");
        let user_id = me["user"]["user_id"].as_i64().expect("a user id");
        let email = me["user"]["email"].as_str().expect("an e-mail").to_owned();
        world.users.insert(user_id, email.clone());
        viewers.push(Viewer {
            label: format!("{label} (user {user_id})"),
            role,
            staff,
            region,
            user_id,
            email,
            client,
        });
    }
    viewers
}

// ---------------------------------------------------------------------------------------------
// What an answer holds.

/// Every row an answer shows, found by markers, longitudes, user e-mails and JSON shape.
fn rows_in(world: &World, route: &str, body: &[u8]) -> BTreeSet<(Kind, i64)> {
    let text = String::from_utf8_lossy(body);
    let mut found = BTreeSet::new();
    // Markers: zq<letters><digits>q.
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("zq") {
        let start = i + at + 2;
        let letters = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        let digits = bytes[start + letters..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = start + letters + digits;
        if letters > 0 && digits > 0 && bytes.get(end) == Some(&b'q') {
            let tag = &text[start..start + letters];
            if let (Some(kind), Ok(seq)) = (
                Kind::of_marker(tag),
                text[start + letters..end].parse::<u32>(),
            ) && let Some(row) = world.rows.get(&seq)
                && row.kind == kind
            {
                found.insert((kind, row.id));
            }
        }
        i = start;
    }
    for a in &world.accounts {
        if contains_number(&text, &a.lon) {
            found.insert((Kind::Account, a.id));
        }
    }
    for (id, email) in &world.users {
        if text.contains(email.as_str()) {
            found.insert((Kind::User, *id));
        }
    }
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        json_rows(world, route, &json, &mut found);
    }
    found
}

/// `number` occurs in `text` and is not part of a longer number.
fn contains_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// The record kind of a JSON object, from its shape.
fn shape(object: &Map<String, Value>) -> Option<Kind> {
    let has = |k: &str| object.contains_key(k);
    if has("account_id") {
        return if has("quote_no") {
            Some(Kind::Quote)
        } else if has("order_date") {
            Some(Kind::Order)
        } else if has("window_start") {
            Some(Kind::Visit)
        } else if has("stage") {
            Some(Kind::Deal)
        } else if has("due_on") {
            Some(Kind::Task)
        } else if has("priority") {
            Some(Kind::Case)
        } else if has("occurred_at") {
            Some(Kind::Activity)
        } else if has("name") && (has("email") || has("phone") || has("title")) {
            Some(Kind::Contact)
        } else {
            None
        };
    }
    if has("kind") && has("lon") && has("status") {
        return Some(Kind::Account);
    }
    // A timeline line (history, the account panel).
    if has("type") && has("at") && has("label") {
        return object["type"].as_str().and_then(Kind::of_table);
    }
    None
}

fn json_rows(world: &World, route: &str, value: &Value, found: &mut BTreeSet<(Kind, i64)>) {
    let mut add = |kind: Kind, id: Option<i64>| {
        let known = |id: i64| match kind {
            Kind::Account => world.accounts.iter().any(|a| a.id == id),
            kind => world.rows.values().any(|r| r.kind == kind && r.id == id),
        };
        if let Some(id) = id.filter(|id| known(*id)) {
            found.insert((kind, id));
        }
    };
    match value {
        Value::Array(items) => {
            for v in items {
                json_rows(world, route, v, found);
            }
        }
        Value::Object(object) => {
            if let Some(kind) = shape(object) {
                add(kind, object.get("id").and_then(Value::as_i64));
            }
            if object.get("type").and_then(Value::as_str) == Some("Feature") {
                if route.contains("accounts.geojson") {
                    add(Kind::Account, object.get("id").and_then(Value::as_i64));
                } else if route.contains("visits.geojson") {
                    add(Kind::Visit, object.get("id").and_then(Value::as_i64));
                }
            }
            // An audit entry names its row.
            if let Some(entity) = object
                .get("entity")
                .and_then(Value::as_str)
                .and_then(Kind::of_table)
            {
                add(entity, object.get("entity_id").and_then(Value::as_i64));
            }
            for (key, v) in object {
                match (key.as_str(), v) {
                    ("account_id", Value::Number(n)) => add(Kind::Account, n.as_i64()),
                    ("visit_id", Value::Number(n)) => add(Kind::Visit, n.as_i64()),
                    ("stops", Value::Array(stops)) => {
                        for s in stops {
                            add(Kind::Visit, s.as_i64());
                        }
                    }
                    _ => {}
                }
            }
            for v in object.values() {
                json_rows(world, route, v, found);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The read requests.

#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    uri: String,
    /// Content type and body.
    body: Option<(&'static str, String)>,
    /// The route the call exercises, for coverage and grouping: `GET /api/v1/accounts/{id}`.
    route: String,
}

impl Call {
    fn get(route_path: &str, uri: String) -> Call {
        Call {
            method: "GET",
            uri,
            body: None,
            route: format!("GET {route_path}"),
        }
    }

    fn post(route: &str, content_type: &'static str, body: String) -> Call {
        Call {
            method: "POST",
            uri: route.to_owned(),
            body: Some((content_type, body)),
            route: format!("POST {route}"),
        }
    }

    fn json(method: &'static str, uri: String, body: Value, route: &str) -> Call {
        Call {
            method,
            uri,
            body: Some(("application/json", body.to_string())),
            route: format!("{method} {route}"),
        }
    }

    fn request(&self) -> Request<Body> {
        let builder = Request::builder().method(self.method).uri(&self.uri);
        match &self.body {
            Some((content_type, body)) => builder
                .header("content-type", *content_type)
                .body(Body::from(body.clone()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        }
    }
}

/// Values to put in a query parameter, by its name: every id of its kind for id parameters
/// (a sample of at most eight), one value for the others. Empty: the parameter is left out.
fn values_for(world: &World, rng: &mut StdRng, name: &str) -> Vec<String> {
    let sample = |rng: &mut StdRng, ids: Vec<i64>| -> Vec<String> {
        ids.choose_multiple(rng, 8)
            .map(|id| id.to_string())
            .collect()
    };
    let of = |kind: Kind| -> Vec<i64> {
        world
            .rows
            .values()
            .filter(|r| r.kind == kind)
            .map(|r| r.id)
            .collect()
    };
    match name {
        "lon" => vec!["106.4".into()],
        "phone" => vec!["0812%203456%207890".into()],
        "lat" => vec!["-6.4".into()],
        "k" => vec!["500".into()],
        "q" => vec!["Bandung".into()],
        "radius_m" => vec!["500000".into()],
        "date" => vec![world.today.clone()],
        "utc_offset_minutes" => vec!["0".into()],
        "kind" => vec!["prospect".into(), "customer".into()],
        "technician_id" => world.technicians.iter().map(i64::to_string).collect(),
        "owner_id" | "staff_id" | "assigned_to" | "opened_by" | "unowned_or_owner" => {
            world.staff.iter().map(i64::to_string).collect()
        }
        "territory_id" => world.territories.iter().map(|t| t.0.to_string()).collect(),
        "within" => {
            let mut v: Vec<String> = world.territories.iter().map(|t| t.0.to_string()).collect();
            let everything = json!({"type": "Polygon", "coordinates": [[[100, -10], [110, -10], [110, 0], [100, 0], [100, -10]]]});
            v.push(urlencode(&everything.to_string()));
            v
        }
        "account_id" | "exclude_id" => sample(rng, world.accounts.iter().map(|a| a.id).collect()),
        "visit_id" => sample(rng, of(Kind::Visit)),
        // The order history's fit converges up to yesterday (see `build_world`).
        "calibration_end" => {
            let today: chrono::NaiveDate = world.today.parse().expect("a day");
            vec![today.pred_opt().expect("a day before").to_string()]
        }
        _ => Vec::new(),
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The ids to put in a path's `{id}`, by the collection before it.
fn path_ids(world: &World, path: &str) -> Option<Vec<i64>> {
    let collection = path.split("/{id}").next()?.rsplit('/').next()?;
    let of = |kind: Kind| -> Vec<i64> {
        world
            .rows
            .values()
            .filter(|r| r.kind == kind)
            .map(|r| r.id)
            .collect()
    };
    Some(match collection {
        "accounts" => world.accounts.iter().map(|a| a.id).collect(),
        "contacts" => of(Kind::Contact),
        "opportunities" => of(Kind::Deal),
        "cases" => of(Kind::Case),
        "activities" => of(Kind::Activity),
        "visits" => of(Kind::Visit),
        "staff" => world.staff.clone(),
        "territories" => world.territories.iter().map(|t| t.0).collect(),
        "drafts" => world.drafts.clone(),
        "segments" => world.segments.clone(),
        "campaigns" => world.campaigns.clone(),
        // Tokens of e-mail recipients: the world's campaign sends no e-mail.
        "unsubscribe" => Vec::new(),
        // Tokens of e-mailed satisfaction surveys (the page and its API): the model opens none.
        "survey" | "surveys" => Vec::new(),
        "quotes" => of(Kind::Quote),
        "orders" => of(Kind::Order),
        "products" => of(Kind::Product),
        "tasks" => of(Kind::Task),
        "price_lists" => world.price_lists.clone(),
        "price_list_items" => world.price_list_items.clone(),
        "tokens" => world.tokens.clone(),
        "users" => world.users.keys().copied().collect(),
        _ => return None,
    })
}

/// Every GET of the OpenAPI document, with every id in its path, its required parameters, and
/// each id-like filter in turn; the read routes that take a body; every server function; every
/// page. Routes the document names but the model cannot call come back in the second list.
async fn read_calls(app: &TestApp, world: &World, rng: &mut StdRng) -> (Vec<Call>, Vec<String>) {
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut calls = Vec::new();
    let mut uncovered = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let params: Vec<&Value> = item["parameters"]
            .as_array()
            .into_iter()
            .chain(get["parameters"].as_array())
            .flatten()
            .collect();
        let query_params: Vec<(&str, bool, Option<i64>)> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default(),
                    p["required"].as_bool().unwrap_or(false),
                    p["schema"]["maximum"].as_i64(),
                )
            })
            .collect();
        let mut base = Vec::new();
        let mut missing = None;
        for (name, required, maximum) in &query_params {
            if *name == "limit" {
                base.push(format!("limit={}", maximum.unwrap_or(1000)));
            } else if *required {
                match values_for(world, rng, name).first() {
                    Some(v) => base.push(format!("{name}={v}")),
                    None => missing = Some(*name),
                }
            }
        }
        if let Some(name) = missing {
            uncovered.push(format!(
                "GET {path}: no value for its required parameter {name}"
            ));
            continue;
        }
        let ids: Vec<Option<i64>> = if path.contains("{id}") {
            match path_ids(world, path) {
                Some(ids) => ids.into_iter().map(Some).collect(),
                None => {
                    uncovered.push(format!("GET {path}: no ids for its path"));
                    continue;
                }
            }
        } else {
            vec![None]
        };
        // Each required parameter with several values, and each optional id-like filter, varies
        // alone on top of the base query.
        let mut variants = vec![base.clone()];
        for (name, required, _) in &query_params {
            if *name == "limit" {
                continue;
            }
            let values = values_for(world, rng, name);
            let skip_first = usize::from(*required);
            for value in values.iter().skip(skip_first) {
                let mut query: Vec<String> = base
                    .iter()
                    .filter(|p| !p.starts_with(&format!("{name}=")))
                    .cloned()
                    .collect();
                query.push(format!("{name}={value}"));
                variants.push(query);
            }
        }
        for id in &ids {
            let concrete = match id {
                Some(id) => path.replace("{id}", &id.to_string()),
                None => path.clone(),
            };
            // Item routes: the base query only (the filters vary on the collections).
            let variants = if id.is_some() {
                &variants[..1]
            } else {
                &variants[..]
            };
            for query in variants {
                let uri = if query.is_empty() {
                    concrete.clone()
                } else {
                    format!("{concrete}?{}", query.join("&"))
                };
                calls.push(Call::get(path, uri));
            }
        }
    }

    // The read routes that take a body.
    let today = &world.today;
    for t in &world.technicians {
        for kind in ["prospect", "customer"] {
            calls.push(Call::json(
                "POST",
                "/api/v1/routes/suggest".into(),
                json!({"technician_id": t, "date": today, "utc_offset_minutes": 0, "kind": kind,
                       "max_detour_m": 200000, "max_detour_min": 600, "limit": 100, "max_iterations": 200}),
                "/api/v1/routes/suggest",
            ));
        }
    }
    calls.push(Call::json(
        "POST",
        "/api/v1/routes/plan".into(),
        json!({"date": today, "utc_offset_minutes": 0, "max_iterations": 200}),
        "/api/v1/routes/plan",
    ));
    calls.push(Call::json(
        "POST",
        "/api/v1/planning/auto-assign".into(),
        json!({"dry_run": true}),
        "/api/v1/planning/auto-assign",
    ));
    for definition in [
        json!({}),
        json!({"area": {"type": "radius", "lon": 106.5, "lat": -6.5, "metres": 400000.0}}),
    ] {
        calls.push(Call::json(
            "POST",
            "/api/v1/segments/preview".into(),
            definition,
            "/api/v1/segments/preview",
        ));
    }

    // Server functions: every one registered must be known here, as a read (with its
    // arguments) or as a write (tried in the write part).
    let filter = json!({"kind": null, "status": null, "owner_id": null, "territory_id": null, "segment": null, "tag": null, "stage": null});
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let name = path.trim_start_matches("/rpc/");
        match name {
            "dashboard_summary" | "map_settings" | "filter_options" | "admin_overview" => {
                calls.push(Call::post(path, "application/x-www-form-urlencoded", String::new()));
            }
            "account_panel" => {
                for a in &world.accounts {
                    calls.push(Call::post(path, "application/x-www-form-urlencoded", format!("id={}", a.id)));
                }
            }
            "nearby_prospects" => {
                for a in &world.accounts {
                    calls.push(Call::post(
                        path,
                        "application/json",
                        json!({"origin": {"Account": a.id}, "search": {"Nearest": {"k": 100}}}).to_string(),
                    ));
                }
                calls.push(Call::post(
                    path,
                    "application/json",
                    json!({"origin": {"Point": {"lon": 106.4, "lat": -6.4}}, "search": {"Within": {"metres": 300000.0}}}).to_string(),
                ));
            }
            "dashboard_kpis" | "dashboard_list" => {
                let mut filters = vec![filter.clone()];
                for s in &world.staff {
                    filters.push(json!({"owner_id": s, "kind": null, "status": null, "territory_id": null, "segment": null, "tag": null, "stage": null}));
                }
                for (t, _) in &world.territories {
                    filters.push(json!({"territory_id": t, "kind": null, "status": null, "owner_id": null, "segment": null, "tag": null, "stage": null}));
                }
                for f in filters {
                    let bodies: Vec<Value> = if name == "dashboard_kpis" {
                        vec![json!({"filter": f, "unassigned": "-"})]
                    } else {
                        (0..3).map(|page| json!({"filter": f, "offset": page * 25})).collect()
                    };
                    for body in bodies {
                        calls.push(Call::post(path, "application/json", body.to_string()));
                    }
                }
            }
            _ if WRITE_FUNCTIONS.contains(&name) => {}
            _ => uncovered.push(format!(
                "server function {path}: new to the model test; add its arguments to read_calls or its name to WRITE_FUNCTIONS"
            )),
        }
    }

    // Every page, server-rendered.
    for route in leptos_axum::generate_route_list(wilayah_app::App) {
        let path = route.path().replace(":id", "{id}");
        // A page of one record (a quote, an order): a few of the world's ids.
        if path.matches('{').count() == 1
            && path.contains("{id}")
            && let Some(ids) = path_ids(world, &path)
        {
            for id in ids.iter().take(3) {
                calls.push(Call::get(
                    &format!("page {path}"),
                    path.replace("{id}", &id.to_string()),
                ));
            }
            continue;
        }
        if path.contains(':') || path.contains('{') || path.contains('*') {
            uncovered.push(format!(
                "page {path}: has parameters the model does not fill"
            ));
            continue;
        }
        calls.push(Call::get(&format!("page {path}"), path.clone()));
    }
    (calls, uncovered)
}

/// Server functions that write; the write part of the test tries them.
const WRITE_FUNCTIONS: &[&str] = &[
    "log_activity",
    "open_case",
    "admin_add_user",
    "admin_reset_password",
    "admin_new_token",
    "admin_revoke_token",
];

// ---------------------------------------------------------------------------------------------
// A snapshot of every table, read directly from the database.

enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// Tables and columns that change on their own (sessions, a token's last use).
const VOLATILE: &[&str] = &["_sqlx_migrations", "sessions", "last_used_at"];

impl Db {
    async fn connect(url: &str) -> Db {
        if url.starts_with("postgres") {
            Db::Postgres(
                sqlx::PgConnection::connect(url)
                    .await
                    .expect("connect to the test database"),
            )
        } else {
            Db::Sqlite(
                sqlx::SqliteConnection::connect(url)
                    .await
                    .expect("open the test database"),
            )
        }
    }

    /// Every row of every table as text, by table.
    async fn snapshot(&mut self) -> BTreeMap<String, Vec<String>> {
        let mut tables = BTreeMap::new();
        match self {
            Db::Sqlite(conn) => {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .fetch_all(&mut *conn)
                .await
                .unwrap();
                for table in names
                    .into_iter()
                    .filter(|t| !VOLATILE.contains(&t.as_str()))
                {
                    let columns: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                            .bind(&table)
                            .fetch_all(&mut *conn)
                            .await
                            .unwrap();
                    let row = columns
                        .iter()
                        .filter(|c| !VOLATILE.contains(&c.as_str()))
                        .map(|c| format!("quote(\"{c}\")"))
                        .collect::<Vec<_>>()
                        .join(" || '|' || ");
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT {row} FROM \"{table}\" ORDER BY rowid"
                    )))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                    tables.insert(table, rows);
                }
            }
            Db::Postgres(conn) => {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
                )
                .fetch_all(&mut *conn)
                .await
                .unwrap();
                for table in names
                    .into_iter()
                    .filter(|t| !VOLATILE.contains(&t.as_str()))
                {
                    let columns: Vec<String> = sqlx::query_scalar(
                        "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                    )
                    .bind(&table)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                    let row = columns
                        .iter()
                        .filter(|c| !VOLATILE.contains(&c.as_str()))
                        .map(|c| format!("coalesce(\"{c}\"::text, '∅')"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT concat_ws('|', {row}) FROM \"{table}\" t ORDER BY 1"
                    )))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                    tables.insert(table, rows);
                }
            }
        }
        tables
    }
}

/// What changed between two snapshots, table by table (at most a few lines each).
fn changes(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (table, rows) in after {
        let old: BTreeSet<&String> = before.get(table).into_iter().flatten().collect();
        let new: BTreeSet<&String> = rows.iter().collect();
        if old != new {
            let added: Vec<&&String> = new.difference(&old).take(2).collect();
            let removed: Vec<&&String> = old.difference(&new).take(2).collect();
            out.push(format!("{table}: now {added:?}, was {removed:?}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The test.

/// Sends a call; a handler that panics (which drops the connection of a real client) answers
/// 599 here, so that it is reported with the call that caused it.
async fn send(client: &Client, call: &Call) -> (StatusCode, Vec<u8>) {
    let (client, request) = (client.clone(), call.request());
    match tokio::spawn(async move { client.request(request).await }).await {
        Ok(answer) => answer,
        Err(e) => (
            StatusCode::from_u16(599).unwrap(),
            format!("the handler panicked: {e}").into_bytes(),
        ),
    }
}

/// Failures, grouped by who and what so that one hole reads as one line.
#[derive(Default)]
struct Findings(BTreeMap<String, Vec<String>>);

impl Findings {
    fn add(&mut self, group: String, example: String) {
        self.0.entry(group).or_default().push(example);
    }

    fn report(&self, seed: u64) -> String {
        let mut text = format!(
            "{} access failures (WILAYAH_MODEL_SEED={seed}):\n",
            self.0.len()
        );
        for (group, examples) in &self.0 {
            let _ = writeln!(
                text,
                "- {group}: {} time(s), e.g. {}",
                examples.len(),
                examples[..examples.len().min(3)].join("; ")
            );
        }
        text
    }
}

#[tokio::test]
async fn every_role_reads_only_its_rows_and_writes_nothing_outside_them() {
    let seed: u64 = std::env::var("WILAYAH_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(13);
    let app = TestApp::start_with(|c| c.no_demo = true).await;
    let mut world = build_world(&app, seed).await;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let viewers = make_viewers(&app, &mut world, &mut rng).await;
    let (calls, uncovered) = read_calls(&app, &world, &mut rng).await;
    let mut findings = Findings::default();
    for line in uncovered {
        findings.add(line, "the model test does not reach it".into());
    }

    // Reads.
    let mut answered_admin: BTreeSet<String> = BTreeSet::new();
    let mut all_routes: BTreeSet<String> = BTreeSet::new();
    for v in &viewers {
        let readable = world.readable(v);
        for call in &calls {
            all_routes.insert(call.route.clone());
            let (status, body) = send(&v.client, call).await;
            if status.is_server_error() {
                findings.add(
                    format!("{} got {status} from {}", v.label, call.route),
                    call.uri.clone(),
                );
            }
            if std::env::var("MODEL_DEBUG").is_ok_and(|d| call.route.contains(&d)) {
                eprintln!(
                    "{} {} → {status} {}",
                    v.label,
                    call.uri,
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                );
            }
            if !status.is_success() {
                continue;
            }
            if v.role == Role::Admin {
                answered_admin.insert(call.route.clone());
            }
            let extras = world.route_extras(v, &call.route);
            for (kind, id) in rows_in(&world, &call.route, &body) {
                if !readable.contains(&(kind, id)) && !extras.contains(&(kind, id)) {
                    findings.add(
                        format!(
                            "{} read {kind:?} rows it may not through {}",
                            v.label, call.route
                        ),
                        format!(
                            "{} via {} {}",
                            world.describe(kind, id),
                            call.method,
                            call.uri
                        ),
                    );
                }
            }
        }
    }
    for route in all_routes.difference(&answered_admin) {
        findings.add(
            format!("{route} never answered the admin with a success"),
            "give the model test values that make it answer, so it is checked".into(),
        );
    }

    eprintln!(
        "access model (seed {seed}): {} read requests for each of {} users",
        calls.len(),
        viewers.len()
    );

    // Writes outside the caller's rows: refused, and nothing changes.
    let mut db = Db::connect(&app.db.url).await;
    let mut before = db.snapshot().await;
    for v in &viewers {
        for attempt in forbidden_writes(&world, v, &mut rng) {
            let (status, body) = send(&v.client, &attempt.call).await;
            let after = db.snapshot().await;
            let changed = changes(&before, &after);
            let refused = matches!(
                status,
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
            );
            if !refused || !changed.is_empty() {
                findings.add(
                    format!(
                        "{} could {} ({})",
                        v.label, attempt.what, attempt.call.route
                    ),
                    format!(
                        "{} {} → {status} {}; changed: {changed:?}",
                        attempt.call.method,
                        attempt.call.uri,
                        String::from_utf8_lossy(&body)
                            .chars()
                            .take(160)
                            .collect::<String>()
                    ),
                );
            }
            before = after;
        }
    }

    // Fields naming the acting user come from the caller, not from the body.
    for v in viewers.iter().filter(|v| v.staff.is_some()) {
        authorship(&app, &world, v, &mut findings).await;
    }

    // The write requests are well-formed: the admin's identical requests succeed.
    for mut attempt in control_writes(&world) {
        current_versions(&app, &mut attempt.call).await;
        let (status, body) = app.request(attempt.call.request()).await;
        if !status.is_success() {
            findings.add(
                format!("the model's request to {} is malformed", attempt.what),
                format!(
                    "the admin's {} {} → {status} {}",
                    attempt.call.method,
                    attempt.call.uri,
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(160)
                        .collect::<String>()
                ),
            );
        }
    }

    assert!(findings.0.is_empty(), "{}", findings.report(seed));
}

// ---------------------------------------------------------------------------------------------
// The writes.

struct Attempt {
    what: String,
    call: Call,
}

fn uuid(rng: &mut StdRng) -> String {
    let hex = |rng: &mut StdRng, n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap())
            .collect()
    };
    format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// The writes on one account, as (what, call). Those that put a visit there come last: a
/// technician who got one reaches the account (and the writes after it would prove nothing).
fn account_writes(world: &World, account: i64, technician: i64) -> Vec<(String, Call)> {
    let today = &world.today;
    let window = |h: u32| format!("{today}T{h:02}:00:00Z");
    let on = |what: &str| format!("{what} account {account}");
    vec![
        (
            on("change"),
            Call::json(
                "PATCH",
                format!("/api/v1/accounts/{account}"),
                json!({"version": 1, "segment": "zqchangedq"}),
                "/api/v1/accounts/{id}",
            ),
        ),
        (
            on("delete"),
            Call {
                method: "DELETE",
                uri: format!("/api/v1/accounts/{account}"),
                body: None,
                route: "DELETE /api/v1/accounts/{id}".into(),
            },
        ),
        (
            on("erase"),
            Call::json(
                "POST",
                format!("/api/v1/accounts/{account}/erase"),
                json!({}),
                "/api/v1/accounts/{id}/erase",
            ),
        ),
        (
            on("log an activity on"),
            Call::json(
                "POST",
                "/rpc/log_activity".into(),
                json!({"account_id": account, "kind": "call", "subject": "zqwrittenq", "body": null}),
                "/rpc/log_activity",
            ),
        ),
        (
            on("open a case on"),
            Call::json(
                "POST",
                "/rpc/open_case".into(),
                json!({"account_id": account, "subject": "zqwrittenq", "priority": "low", "description": null}),
                "/rpc/open_case",
            ),
        ),
        (
            on("add a contact to"),
            Call::json(
                "POST",
                "/api/v1/contacts".into(),
                json!({"account_id": account, "name": "zqwrittenq"}),
                "/api/v1/contacts",
            ),
        ),
        (
            on("add a deal to"),
            Call::json(
                "POST",
                "/api/v1/opportunities".into(),
                json!({"account_id": account, "title": "zqwrittenq"}),
                "/api/v1/opportunities",
            ),
        ),
        (
            on("add an activity to"),
            Call::json(
                "POST",
                "/api/v1/activities".into(),
                json!({"account_id": account, "kind": "note", "subject": "zqwrittenq", "occurred_at": window(10)}),
                "/api/v1/activities",
            ),
        ),
        (
            on("add a case to"),
            Call::json(
                "POST",
                "/api/v1/cases".into(),
                json!({"account_id": account, "subject": "zqwrittenq"}),
                "/api/v1/cases",
            ),
        ),
        (
            on("schedule a visit at"),
            Call::json(
                "POST",
                "/api/v1/visits".into(),
                json!({"account_id": account, "technician_id": technician, "window_start": window(8), "window_end": window(16), "duration_min": 30}),
                "/api/v1/visits",
            ),
        ),
        (
            on("add a stop at"),
            Call::json(
                "POST",
                "/api/v1/routes/add-stop".into(),
                json!({"technician_id": technician, "account_id": account, "date": today, "utc_offset_minutes": 0}),
                "/api/v1/routes/add-stop",
            ),
        ),
    ]
}

/// The writes on one row hanging off an account.
fn row_writes(kind: Kind, id: i64, rng: &mut StdRng, today: &str) -> Vec<(String, Call)> {
    let (table, patch) = match kind {
        Kind::Contact => (
            "contacts",
            Some(json!({"version": 1, "title": "zqchangedq"})),
        ),
        Kind::Deal => (
            "opportunities",
            Some(json!({"version": 1, "value_minor": 7})),
        ),
        Kind::Case => ("cases", Some(json!({"version": 1, "priority": "urgent"}))),
        Kind::Activity => ("activities", None),
        Kind::Visit => ("visits", Some(json!({"version": 1, "notes": "zqchangedq"}))),
        Kind::Task => ("tasks", Some(json!({"version": 1, "priority": "low"}))),
        _ => return Vec::new(),
    };
    let name = format!("{kind:?} {id}").to_lowercase();
    let mut writes = vec![(
        format!("delete {name}"),
        Call {
            method: "DELETE",
            uri: format!("/api/v1/{table}/{id}"),
            body: None,
            route: format!("DELETE /api/v1/{table}/{{id}}"),
        },
    )];
    if let Some(patch) = patch {
        writes.push((
            format!("change {name}"),
            Call::json(
                "PATCH",
                format!("/api/v1/{table}/{id}"),
                patch,
                &format!("/api/v1/{table}/{{id}}"),
            ),
        ));
    }
    if kind == Kind::Task {
        writes.push((
            format!("complete {name}"),
            Call::json(
                "POST",
                format!("/api/v1/tasks/{id}/complete"),
                json!({"version": 1}),
                "/api/v1/tasks/{id}/complete",
            ),
        ));
    }
    if kind == Kind::Visit {
        writes.push((
            format!("report on {name}"),
            Call::json(
                "POST",
                "/api/v1/field/actions".into(),
                json!({"client_id": uuid(rng), "visit_id": id, "base_version": 1, "action": "report", "notes": "zqwrittenq", "recorded_at": format!("{today}T10:00:00Z")}),
                "/api/v1/field/actions",
            ),
        ));
    }
    writes
}

/// Writes this user must be refused: every kind of write on a few rows outside their rows, the
/// writes their role may not make at all on their own rows, and administration.
fn forbidden_writes(world: &World, v: &Viewer, rng: &mut StdRng) -> Vec<Attempt> {
    use Role::*;
    let readable = world.readable(v);
    let technician = v
        .staff
        .filter(|_| v.role == Technician)
        .unwrap_or(world.technicians[0]);
    let mut out = Vec::new();
    let mut push = |what: String, call: Call| out.push(Attempt { what, call });

    let foreign: Vec<i64> = world
        .accounts
        .iter()
        .map(|a| a.id)
        .filter(|a| !readable.contains(&(Kind::Account, *a)))
        .collect();
    for account in foreign.choose_multiple(rng, 2).copied().collect::<Vec<_>>() {
        for (what, call) in account_writes(world, account, technician) {
            if v.role == Technician
                && world.account(account).prospect
                && what.starts_with("add a stop")
            {
                continue;
            }
            push(format!("{what} outside its rows"), call);
        }
    }
    let rows: Vec<Row> = world
        .rows
        .values()
        .filter(|r| {
            matches!(
                r.kind,
                Kind::Contact | Kind::Deal | Kind::Case | Kind::Activity | Kind::Visit | Kind::Task
            )
        })
        .cloned()
        .collect();
    for kind in [
        Kind::Contact,
        Kind::Deal,
        Kind::Case,
        Kind::Activity,
        Kind::Visit,
        Kind::Task,
    ] {
        let outside: Vec<&Row> = rows
            .iter()
            .filter(|r| r.kind == kind && !readable.contains(&(kind, r.id)))
            .collect();
        for row in outside.choose_multiple(rng, 2).copied().collect::<Vec<_>>() {
            for (what, call) in row_writes(kind, row.id, rng, &world.today) {
                push(format!("{what} outside its rows"), call);
            }
        }
    }

    // What the role may not do at all, even on its own rows.
    let own: Vec<i64> = world
        .accounts
        .iter()
        .map(|a| a.id)
        .filter(|a| readable.contains(&(Kind::Account, *a)))
        .collect();
    if let Some(&mine) = own.first() {
        let writes = account_writes(world, mine, technician);
        let pick = |prefixes: &[&str]| -> Vec<(String, Call)> {
            writes
                .iter()
                .filter(|(what, _)| prefixes.iter().any(|p| what.starts_with(p)))
                .cloned()
                .collect()
        };
        let not_allowed: Vec<(String, Call)> = match v.role {
            // Adding a stop is the technician's for prospects near their day (the lead's rule),
            // so it is tried only outside their rows, at customers.
            Technician => pick(&["change", "delete", "erase", "add a deal", "schedule"]),
            Planner => pick(&[
                "delete",
                "erase",
                "log an activity",
                "open a case",
                "add a contact",
                "add a deal",
                "add an activity",
                "add a case",
            ]),
            SalesRep => pick(&["delete", "erase", "add a stop", "schedule"]),
            _ => Vec::new(),
        };
        for (what, call) in not_allowed {
            push(format!("{what} (its role may not)"), call);
        }
        // A rep hands an account of theirs to another rep; a regional manager moves one out of
        // the region.
        let other_rep = world.reps.iter().copied().find(|r| Some(*r) != v.staff);
        match v.role {
            SalesRep if world.account(mine).owner == v.staff => push(
                format!("give its account {mine} to rep {other_rep:?}"),
                Call::json(
                    "PATCH",
                    format!("/api/v1/accounts/{mine}"),
                    json!({"version": 1, "owner_id": other_rep}),
                    "/api/v1/accounts/{id}",
                ),
            ),
            Manager if !v.region.is_empty() => {
                let elsewhere = world
                    .territories
                    .iter()
                    .map(|t| t.0)
                    .find(|t| !v.region.contains(t));
                push(
                    format!("move account {mine} out of its region to territory {elsewhere:?}"),
                    Call::json(
                        "PATCH",
                        format!("/api/v1/accounts/{mine}"),
                        json!({"version": 1, "territory_id": elsewhere}),
                        "/api/v1/accounts/{id}",
                    ),
                );
            }
            _ => {}
        }
    }
    // Creating accounts outside one's scope.
    let (lon, lat) = (106.45, -6.3);
    match v.role {
        SalesRep | Technician => push(
            "create an account for another rep".into(),
            Call::json(
                "POST",
                "/api/v1/accounts".into(),
                json!({"name": "zqwrittenq", "lon": lon, "lat": lat, "owner_id": world.reps.iter().find(|r| Some(**r) != v.staff)}),
                "/api/v1/accounts",
            ),
        ),
        Manager if !v.region.is_empty() => push(
            "create an account outside its region".into(),
            Call::json(
                "POST",
                "/api/v1/accounts".into(),
                json!({"name": "zqwrittenq", "lon": lon, "lat": lat, "territory_id": world.territories.iter().map(|t| t.0).find(|t| !v.region.contains(t))}),
                "/api/v1/accounts",
            ),
        ),
        _ => {}
    }
    // Territories and staff: planners' and admins' business.
    if matches!(v.role, Manager | SalesRep | Technician) {
        let (territory, _) = world.territories[1];
        push(
            format!("take over territory {territory}"),
            Call::json(
                "PATCH",
                format!("/api/v1/territories/{territory}"),
                json!({"version": 1, "owner_id": v.staff}),
                "/api/v1/territories/{id}",
            ),
        );
        push(
            "publish a territory plan".into(),
            Call::json(
                "POST",
                format!("/api/v1/planning/drafts/{}/publish", world.drafts[0]),
                json!({}),
                "/api/v1/planning/drafts/{id}/publish",
            ),
        );
    }
    if v.role != Admin {
        let staff_member = world.staff[0];
        push(
            format!("change staff member {staff_member}"),
            Call::json(
                "PATCH",
                format!("/api/v1/staff/{staff_member}"),
                json!({"version": 1, "email": "zqchangedq@model.test"}),
                "/api/v1/staff/{id}",
            ),
        );
        push(
            "create a user".into(),
            Call::json(
                "POST",
                "/api/v1/users".into(),
                json!({"email": "zqnewq@test.example", "password": "long enough password", "role": "admin"}),
                "/api/v1/users",
            ),
        );
        push(
            "create an API token".into(),
            Call::json(
                "POST",
                "/api/v1/tokens".into(),
                json!({"name": "zqnewq"}),
                "/api/v1/tokens",
            ),
        );
        push(
            format!("revoke API token {}", world.tokens[0]),
            Call {
                method: "DELETE",
                uri: format!("/api/v1/tokens/{}", world.tokens[0]),
                body: None,
                route: "DELETE /api/v1/tokens/{id}".into(),
            },
        );
        let admin_id = *world.users.keys().next().unwrap();
        push(
            format!("reset user {admin_id}'s password"),
            Call::json(
                "POST",
                format!("/api/v1/users/{admin_id}/password"),
                json!({"password": "long enough password"}),
                "/api/v1/users/{id}/password",
            ),
        );
        let form = "application/x-www-form-urlencoded";
        push(
            "add a user on the admin page".into(),
            Call::post(
                "/rpc/admin_add_user",
                form,
                "email=zqnewq%40test.example&password=long+enough+password&role=admin&staff_id="
                    .into(),
            ),
        );
        push(
            "reset a password on the admin page".into(),
            Call::post(
                "/rpc/admin_reset_password",
                form,
                format!("user_id={admin_id}&password=long+enough+password"),
            ),
        );
        push(
            "make a token on the admin page".into(),
            Call::post(
                "/rpc/admin_new_token",
                form,
                format!("user_id={admin_id}&name=zqnewq"),
            ),
        );
        push(
            "revoke a token on the admin page".into(),
            Call::post(
                "/rpc/admin_revoke_token",
                form,
                format!("token_id={}", world.tokens[0]),
            ),
        );
    }
    out
}

/// One of each kind of write the forbidden list tries, made by the admin on rows that exist:
/// each must succeed, or the refusals prove nothing. Each write of a row goes to a row of its
/// own, so that one does not stand in the way of the next (a changed version, a deleted row).
fn control_writes(world: &World) -> Vec<Attempt> {
    let mut rng = StdRng::seed_from_u64(world.seed);
    let technician = world.technicians[0];
    let (a, b, c) = (
        world.accounts[0].id,
        world.accounts[1].id,
        world.accounts[2].id,
    );
    let of = |account: i64, prefix: &str| -> Vec<Attempt> {
        account_writes(world, account, technician)
            .into_iter()
            .filter(|(what, _)| what.starts_with(prefix))
            .map(|(what, call)| Attempt { what, call })
            .collect()
    };
    let mut out: Vec<Attempt> = account_writes(world, a, technician)
        .into_iter()
        .filter(|(what, _)| !what.starts_with("delete") && !what.starts_with("erase"))
        .map(|(what, call)| Attempt { what, call })
        .collect();
    for kind in [
        Kind::Contact,
        Kind::Deal,
        Kind::Case,
        Kind::Activity,
        Kind::Visit,
        Kind::Task,
    ] {
        let rows: Vec<i64> = world
            .rows
            .values()
            .filter(|r| r.kind == kind && r.account.is_some_and(|x| ![a, b, c].contains(&x)))
            .map(|r| r.id)
            .collect();
        for i in 0..row_writes(kind, 0, &mut rng, &world.today).len() {
            if let Some(id) = rows.get(i) {
                let (what, call) = row_writes(kind, *id, &mut rng, &world.today).swap_remove(i);
                out.push(Attempt { what, call });
            }
        }
    }
    out.extend(of(b, "erase"));
    out.extend(of(c, "delete"));
    out
}

/// Sets the `version` (or a field action's `base_version`) of a call to the row's current one:
/// a hole that changed the row before must not make the admin's control request fail.
async fn current_versions(app: &TestApp, call: &mut Call) {
    let Some((content_type, text)) = &call.body else {
        return;
    };
    let Ok(mut body) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let (row, field) = if body.get("version").is_some() {
        // An action on a row (`POST /tasks/4/complete`) carries the version of the row itself.
        let row = match call.method {
            "POST" => call
                .uri
                .rsplit_once('/')
                .map_or(call.uri.clone(), |(row, _)| row.to_owned()),
            _ => call.uri.clone(),
        };
        (row, "version")
    } else if let Some(visit) = body.get("visit_id").and_then(Value::as_i64) {
        (format!("/api/v1/visits/{visit}"), "base_version")
    } else {
        return;
    };
    let (_, current) = app.get_json(&row).await;
    body[field] = current["version"].clone();
    call.body = Some((content_type, body.to_string()));
}

/// A rep or technician creates an activity and a case naming someone else as the author, and
/// tries to change a case's author: the stored author is the caller, and so is the audit actor.
async fn authorship(app: &TestApp, world: &World, v: &Viewer, findings: &mut Findings) {
    let me = v.staff.expect("a staff member");
    let someone_else = world.staff.iter().copied().find(|s| *s != me).unwrap();
    let Some(account) = world.accounts_of(v).into_iter().next() else {
        return;
    };
    let at = format!("{}T11:00:00Z", world.today);
    let attempts = [
        (
            "activities",
            "staff_id",
            json!({"account_id": account, "kind": "call", "subject": "zqauthorq", "occurred_at": at, "staff_id": someone_else}),
        ),
        (
            "cases",
            "opened_by",
            json!({"account_id": account, "subject": "zqauthorq", "opened_by": someone_else}),
        ),
    ];
    for (table, field, body) in attempts {
        let (status, record) = v
            .client
            .send_json("POST", &format!("/api/v1/{table}"), &body)
            .await;
        if !status.is_success() {
            continue; // Refusing the forged author is fine too.
        }
        let id = id_of(&record);
        let (_, stored) = app.get_json(&format!("/api/v1/{table}/{id}")).await;
        if stored[field].as_i64() != Some(me) {
            findings.add(
                format!(
                    "{} could write {table}.{field} naming someone else",
                    v.label
                ),
                format!(
                    "POST /api/v1/{table} with {field}={someone_else} stored {}",
                    stored[field]
                ),
            );
        }
        let (_, audit) = app
            .get_json(&format!("/api/v1/audit?entity={table}&entity_id={id}"))
            .await;
        if audit[0]["actor"].as_str() != Some(v.email.as_str()) {
            findings.add(
                format!("{} wrote {table} audited as someone else", v.label),
                format!("{table} {id}: audit actor {}", audit[0]["actor"]),
            );
        }
        if table == "cases" {
            let (status, changed) = v
                .client
                .send_json(
                    "PATCH",
                    &format!("/api/v1/cases/{id}"),
                    &json!({"version": 1, "opened_by": someone_else}),
                )
                .await;
            if status.is_success() && changed["opened_by"].as_i64() != Some(me) {
                findings.add(
                    format!("{} could change cases.opened_by to someone else", v.label),
                    format!(
                        "PATCH /api/v1/cases/{id} opened_by={someone_else} → {}",
                        changed["opened_by"]
                    ),
                );
            }
        }
    }
    // The server functions take no author; one sent anyway is ignored.
    let (status, body) = v
        .client
        .send_json("POST", "/rpc/log_activity", &json!({"account_id": account, "kind": "call", "subject": "zqauthorq", "body": null, "staff_id": someone_else}))
        .await;
    if status.is_success()
        && let Some(id) = body.as_i64()
    {
        let (_, stored) = app.get_json(&format!("/api/v1/activities/{id}")).await;
        if stored["staff_id"].as_i64() != Some(me) {
            findings.add(
                format!("{} logged an activity under someone else's name", v.label),
                format!("/rpc/log_activity stored staff_id {}", stored["staff_id"]),
            );
        }
    }
}
