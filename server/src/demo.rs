//! Demo data for a fresh database: reps, territories, a few hundred customers and prospects at real
//! Indonesian places (GeoNames), contacts and field visits. Deterministic for a seed, so every
//! fresh install and every test sees the same world.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use geo::{ConvexHull, MultiPoint, Point};
use serde_json::{Value, json};
use wilayah_shared::LonLat;
use wilayah_shared::domain::{AccountKind, AccountStatus, StaffRole, VisitStatus};
use wilayah_shared::rng::SplitMix64;

/// Indonesian populated places from GeoNames (CC-BY 4.0, see NOTICE.md): name, lat, lng, admin1
/// (the geocoder's gazetteer).
const PLACES_CSV: &str = wilayah_shared::geocode::GEONAMES_ID_PLACES_CSV;

pub struct DemoData {
    pub staff: Vec<DemoStaff>,
    pub territories: Vec<DemoTerritory>,
    pub accounts: Vec<DemoAccount>,
    pub contacts: Vec<DemoContact>,
    pub visits: Vec<DemoVisit>,
    pub activities: Vec<DemoActivity>,
    pub opportunities: Vec<DemoOpportunity>,
    pub cases: Vec<DemoCase>,
}

/// A past contact with an account (the contact history).
pub struct DemoActivity {
    pub account: usize,
    pub staff: usize,
    pub kind: &'static str,
    pub channel: &'static str,
    pub subject: &'static str,
    pub outcome: Option<&'static str>,
    pub occurred_at: DateTime<Utc>,
}

pub struct DemoOpportunity {
    pub account: usize,
    pub owner: usize,
    pub title: String,
    pub stage: &'static str,
    pub value_minor: i64,
    pub expected_close: NaiveDate,
    pub lost_reason: Option<&'static str>,
}

pub struct DemoCase {
    pub account: usize,
    pub opened_by: usize,
    pub subject: &'static str,
    pub priority: &'static str,
    pub status: &'static str,
    pub sla_due_at: DateTime<Utc>,
    pub resolution: Option<&'static str>,
}

pub struct DemoStaff {
    pub name: String,
    pub email: String,
    pub role: StaffRole,
    pub home: LonLat,
    pub skills: Vec<String>,
}

pub struct DemoTerritory {
    pub name: String,
    /// GeoJSON Polygon.
    pub geometry: Value,
    /// Index into `staff`.
    pub owner: usize,
}

pub struct DemoAccount {
    pub external_id: String,
    pub name: String,
    pub kind: AccountKind,
    pub segment: String,
    pub status: AccountStatus,
    pub address: String,
    pub position: LonLat,
    /// Indexes into `staff` and `territories`.
    pub owner: usize,
    pub territory: usize,
    pub revenue_minor: i64,
    pub cost_to_serve_minor: i64,
    pub acquired_on: Option<NaiveDate>,
    pub tags: Vec<String>,
}

pub struct DemoContact {
    pub account: usize,
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

pub struct DemoVisit {
    pub account: usize,
    pub technician: usize,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub duration_min: i64,
    pub status: VisitStatus,
}

/// A sales region around one or more real city centres.
struct Region {
    territory: &'static str,
    rep: &'static str,
    hubs: &'static [(&'static str, f64, f64)],
    radius_km: f64,
    accounts: usize,
}

const REGIONS: &[Region] = &[
    Region {
        territory: "Jabodetabek",
        rep: "Budi Santoso",
        hubs: &[("Jakarta", 106.8456, -6.2088)],
        radius_km: 40.0,
        accounts: 70,
    },
    Region {
        territory: "Jawa Barat",
        rep: "Siti Rahayu",
        hubs: &[("Bandung", 107.6191, -6.9175)],
        radius_km: 35.0,
        accounts: 40,
    },
    Region {
        territory: "Jawa Tengah & DIY",
        rep: "Agus Wijaya",
        hubs: &[
            ("Semarang", 110.4203, -6.9667),
            ("Yogyakarta", 110.3695, -7.7956),
        ],
        radius_km: 30.0,
        accounts: 45,
    },
    Region {
        territory: "Jawa Timur",
        rep: "Dewi Lestari",
        hubs: &[("Surabaya", 112.7521, -7.2575)],
        radius_km: 40.0,
        accounts: 50,
    },
    Region {
        territory: "Bali",
        rep: "Made Wirawan",
        hubs: &[("Denpasar", 115.2126, -8.6705)],
        radius_km: 30.0,
        accounts: 25,
    },
    Region {
        territory: "Sumatera Utara",
        rep: "Rizky Pratama",
        hubs: &[("Medan", 98.6722, 3.5952)],
        radius_km: 40.0,
        accounts: 30,
    },
    Region {
        territory: "Sumatera Selatan",
        rep: "Putri Handayani",
        hubs: &[("Palembang", 104.7458, -2.9761)],
        radius_km: 40.0,
        accounts: 20,
    },
    Region {
        territory: "Sulawesi Selatan",
        rep: "Andi Saputra",
        hubs: &[("Makassar", 119.4327, -5.1477)],
        radius_km: 40.0,
        accounts: 25,
    },
];

/// Field technicians: name, base city and the regions (by index) whose customers they visit.
const TECHNICIANS: &[(&str, (f64, f64), &[usize])] = &[
    ("Joko Susilo", (106.8456, -6.2088), &[0]),
    ("Eko Nugroho", (112.7521, -7.2575), &[3]),
    ("Rina Marlina", (110.4203, -6.9667), &[2]),
];

const SEGMENTS: &[(&str, &[&str])] = &[
    ("retail", &["Toko", "UD", "Warung"]),
    ("wholesale", &["CV", "PT", "UD"]),
    ("hospitality", &["Hotel", "Restoran", "Kafe"]),
    ("healthcare", &["Apotek", "Klinik"]),
    ("manufacturing", &["PT", "CV"]),
];
const NAME_WORDS: &[&str] = &[
    "Sinar",
    "Jaya",
    "Makmur",
    "Abadi",
    "Sejahtera",
    "Mandiri",
    "Sentosa",
    "Berkah",
    "Maju",
    "Indah",
    "Sumber",
    "Karya",
];
const GIVEN_NAMES: &[&str] = &[
    "Ahmad", "Bayu", "Citra", "Dian", "Fajar", "Gita", "Hadi", "Intan", "Kurnia", "Lestari", "Nur",
    "Oki", "Rahmat", "Sari", "Teguh", "Wulan", "Yusuf",
];
const FAMILY_NAMES: &[&str] = &[
    "Hidayat", "Kusuma", "Setiawan", "Purnomo", "Siregar", "Nasution", "Halim", "Wibowo", "Utami",
    "Saragih",
];
const TAGS: &[&str] = &[
    "key-account",
    "cash",
    "credit",
    "franchise",
    "new-outlet",
    "seasonal",
];

struct Place {
    name: String,
    lon: f64,
    lat: f64,
}

fn places() -> Vec<Place> {
    PLACES_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split(',');
            let name = cols.next()?.trim().to_owned();
            let lat = cols.next()?.trim().parse().ok()?;
            let lon = cols.next()?.trim().parse().ok()?;
            Some(Place { name, lon, lat })
        })
        .collect()
}

fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1, lon2, lat2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

fn lonlat(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).expect("demo coordinates are generated inside the valid range")
}

/// The convex hull of the region's accounts, widened by ~5 km around each so no account sits on
/// the border, as a GeoJSON Polygon.
fn territory_polygon(points: &[(f64, f64)]) -> Value {
    const PAD_DEG: f64 = 0.05;
    let padded: Vec<Point<f64>> = points
        .iter()
        .flat_map(|&(lon, lat)| {
            [
                (-PAD_DEG, 0.0),
                (PAD_DEG, 0.0),
                (0.0, -PAD_DEG),
                (0.0, PAD_DEG),
            ]
            .map(|(dx, dy)| Point::new(lon + dx, lat + dy))
        })
        .collect();
    let hull = MultiPoint::from(padded).convex_hull();
    let ring: Vec<[f64; 2]> = hull
        .exterior()
        .points()
        .map(|p| [round6(p.x()), round6(p.y())])
        .collect();
    json!({ "type": "Polygon", "coordinates": [ring] })
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Builds the demo world. `today` is the calendar day (UTC) whose visits are "today's visits";
/// local working hours are WIB (UTC+7), 08:00–17:00.
pub fn generate(seed: u64, today: NaiveDate) -> DemoData {
    let mut rng = SplitMix64::new(seed);
    let places = places();
    let mut staff = Vec::new();
    let mut territories = Vec::new();
    let mut accounts = Vec::new();
    let mut contacts = Vec::new();
    let mut region_accounts: Vec<Vec<usize>> = Vec::new();

    staff.push(person(
        "Hendra Gunawan",
        StaffRole::Manager,
        (106.8456, -6.2088),
        &[],
    ));
    staff.push(person(
        "Sri Wahyuni",
        StaffRole::Planner,
        (106.8456, -6.2088),
        &[],
    ));

    for (region_index, region) in REGIONS.iter().enumerate() {
        let (_, hub_lon, hub_lat) = region.hubs[0];
        let rep = staff.len();
        staff.push(person(
            region.rep,
            StaffRole::SalesRep,
            (hub_lon, hub_lat),
            &[],
        ));

        let nearby: Vec<(&Place, &'static str)> = places
            .iter()
            .filter_map(|p| {
                let hub = region
                    .hubs
                    .iter()
                    .find(|h| haversine_km((h.1, h.2), (p.lon, p.lat)) <= region.radius_km)?;
                Some((p, hub.0))
            })
            .collect();

        let mut positions = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..region.accounts {
            // At a real place near a hub, a short walk from its centre; the hub itself when the
            // place list has nothing near it.
            let (base_lon, base_lat, place_name, city) = match nearby.is_empty() {
                false => {
                    let (p, city) = rng.pick(&nearby);
                    (p.lon, p.lat, p.name.clone(), *city)
                }
                true => (
                    hub_lon,
                    hub_lat,
                    region.hubs[0].0.to_owned(),
                    region.hubs[0].0,
                ),
            };
            let lon = round6(base_lon + (rng.unit() - 0.5) * 0.02);
            let lat = round6(base_lat + (rng.unit() - 0.5) * 0.02);
            positions.push((lon, lat));

            let (segment, prefixes) = *rng.pick(SEGMENTS);
            let name = format!(
                "{} {} {} {}",
                rng.pick(prefixes),
                rng.pick(NAME_WORDS),
                rng.pick(NAME_WORDS),
                place_name
            );
            let is_customer = rng.unit() < 0.6;
            let (kind, status) = if is_customer {
                let r = rng.unit();
                let status = if r < 0.75 {
                    AccountStatus::Active
                } else if r < 0.9 {
                    AccountStatus::AtRisk
                } else {
                    AccountStatus::Churned
                };
                (AccountKind::Customer, status)
            } else {
                let status = *rng.pick(&[
                    AccountStatus::New,
                    AccountStatus::Contacted,
                    AccountStatus::Qualified,
                ]);
                (AccountKind::Prospect, status)
            };
            // Revenue spread like real books: many small accounts, a few large (log-uniform
            // between Rp 5 million and Rp 2 billion).
            let revenue_minor = if is_customer {
                (5e6 * 400f64.powf(rng.unit())).round() as i64
            } else {
                0
            };
            let cost_to_serve_minor =
                (revenue_minor as f64 * (0.1 + 0.3 * rng.unit())).round() as i64;
            let acquired_on =
                is_customer.then(|| today - Duration::days(30 + rng.below(5 * 365) as i64));
            let tags = (0..rng.below(3))
                .map(|_| rng.pick(TAGS).to_string())
                .collect::<std::collections::BTreeSet<_>>();

            ids.push(accounts.len());
            let account_index = accounts.len();
            accounts.push(DemoAccount {
                external_id: format!("DEMO-{:04}", account_index + 1),
                name,
                kind,
                segment: segment.to_owned(),
                status,
                address: format!(
                    "Jl. {} No. {}, {place_name}, {city}",
                    rng.pick(NAME_WORDS),
                    1 + rng.below(200)
                ),
                position: lonlat(lon, lat),
                owner: rep,
                territory: region_index,
                revenue_minor,
                cost_to_serve_minor,
                acquired_on,
                tags: tags.into_iter().collect(),
            });
            for _ in 0..1 + rng.below(2) {
                let given = rng.pick(GIVEN_NAMES);
                let family = rng.pick(FAMILY_NAMES);
                contacts.push(DemoContact {
                    account: account_index,
                    name: format!("{given} {family}"),
                    title: rng
                        .pick(&["Pemilik", "Manajer", "Bagian Pembelian", "Kepala Toko"])
                        .to_string(),
                    email: format!(
                        "{}.{}{}@example.id",
                        given.to_lowercase(),
                        family.to_lowercase(),
                        account_index
                    ),
                    phone: format!(
                        "+62 8{:02} {:04} {:04}",
                        11 + rng.below(88),
                        rng.below(10_000),
                        rng.below(10_000)
                    ),
                });
            }
        }
        territories.push(DemoTerritory {
            name: region.territory.to_owned(),
            geometry: territory_polygon(&positions),
            owner: rep,
        });
        region_accounts.push(ids);
    }

    let mut visits = Vec::new();
    let local_midnight = Utc
        .from_utc_datetime(&today.and_hms_opt(0, 0, 0).expect("midnight exists"))
        - Duration::hours(7);
    for &(name, home, regions) in TECHNICIANS {
        let technician = staff.len();
        staff.push(person(
            name,
            StaffRole::Technician,
            home,
            &["installation", "maintenance"],
        ));
        // A technician's day stays near home: the region's fifteen nearest live customers.
        let mut customers: Vec<(f64, usize)> = regions
            .iter()
            .flat_map(|&r| region_accounts[r].iter().copied())
            .filter(|&a| {
                accounts[a].kind == AccountKind::Customer
                    && accounts[a].status != AccountStatus::Churned
            })
            .map(|a| {
                (
                    haversine_km(
                        home,
                        (accounts[a].position.lon(), accounts[a].position.lat()),
                    ),
                    a,
                )
            })
            .collect();
        customers.sort_by(|x, y| x.0.total_cmp(&y.0));
        let customers: Vec<usize> = customers.into_iter().take(15).map(|(_, a)| a).collect();
        // Yesterday (done or missed), today (scheduled), tomorrow (scheduled): six a day.
        for (day_offset, statuses) in [
            (-1i64, [VisitStatus::Done, VisitStatus::Missed]),
            (0, [VisitStatus::Scheduled; 2]),
            (1, [VisitStatus::Scheduled; 2]),
        ] {
            for slot in 0..6i64 {
                let start = local_midnight
                    + Duration::days(day_offset)
                    + Duration::hours(8)
                    + Duration::hours(slot);
                visits.push(DemoVisit {
                    account: *rng.pick(&customers),
                    technician,
                    window_start: start,
                    window_end: start + Duration::hours(4),
                    duration_min: 30 + 15 * rng.below(3) as i64,
                    status: if rng.unit() < 0.85 {
                        statuses[0]
                    } else {
                        statuses[1]
                    },
                });
            }
        }
    }

    let (activities, opportunities, cases) = crm_history(&mut rng, &accounts, today);
    DemoData {
        staff,
        territories,
        accounts,
        contacts,
        visits,
        activities,
        opportunities,
        cases,
    }
}

/// Contact history, deals and complaints for the accounts: a few touches each over the last
/// quarter, deals mostly on prospects, and complaints on some customers.
fn crm_history(
    rng: &mut SplitMix64,
    accounts: &[DemoAccount],
    today: NaiveDate,
) -> (Vec<DemoActivity>, Vec<DemoOpportunity>, Vec<DemoCase>) {
    const TOUCHES: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "call",
            "phone",
            "Follow-up call",
            Some("Interested, call back next month"),
        ),
        ("email", "email", "Sent the price list", None),
        (
            "meeting",
            "in_person",
            "Product demo at the outlet",
            Some("Wants a quote"),
        ),
        ("visit", "in_person", "Courtesy visit", Some("Stock is low")),
        ("note", "whatsapp", "Asked about delivery days", None),
    ];
    const PRODUCTS: &[&str] = &[
        "Chest freezer",
        "Display chiller",
        "Cold room",
        "Ice maker",
        "Service contract",
    ];
    const COMPLAINTS: &[(&str, &str)] = &[
        ("Late delivery", "normal"),
        ("Chiller not cooling", "high"),
        ("Invoice amount wrong", "low"),
    ];
    let midnight = Utc.from_utc_datetime(&today.and_hms_opt(0, 0, 0).expect("midnight exists"));
    let (mut activities, mut opportunities, mut cases) = (Vec::new(), Vec::new(), Vec::new());
    for (index, account) in accounts.iter().enumerate() {
        for _ in 0..rng.below(4) {
            let &(kind, channel, subject, outcome) = rng.pick(TOUCHES);
            let ago = Duration::minutes(60 * 24 + rng.below(90 * 24 * 60) as i64);
            activities.push(DemoActivity {
                account: index,
                staff: account.owner,
                kind,
                channel,
                subject,
                outcome,
                occurred_at: midnight - ago,
            });
        }
        let deal_chance = if account.kind == AccountKind::Prospect {
            0.5
        } else {
            0.25
        };
        if rng.unit() < deal_chance {
            let stage = *rng.pick(if account.kind == AccountKind::Prospect {
                &["lead", "qualified", "proposal", "negotiation"][..]
            } else {
                &["proposal", "negotiation", "won", "lost"][..]
            });
            opportunities.push(DemoOpportunity {
                account: index,
                owner: account.owner,
                title: rng.pick(PRODUCTS).to_string(),
                stage,
                value_minor: 10_000_000 * (1 + rng.below(50) as i64),
                expected_close: today + Duration::days(7 + rng.below(120) as i64),
                lost_reason: (stage == "lost").then_some("Chose a cheaper supplier"),
            });
        }
        if account.kind == AccountKind::Customer && rng.unit() < 0.12 {
            let &(subject, priority) = rng.pick(COMPLAINTS);
            let status = *rng.pick(&["new", "in_progress", "resolved"]);
            cases.push(DemoCase {
                account: index,
                opened_by: account.owner,
                subject,
                priority,
                status,
                sla_due_at: midnight + Duration::days(rng.below(5) as i64 - 1),
                resolution: (status == "resolved").then_some("Resolved on the phone"),
            });
        }
    }
    (activities, opportunities, cases)
}

fn person(name: &str, role: StaffRole, home: (f64, f64), skills: &[&str]) -> DemoStaff {
    let email = format!("{}@wilayah.example", name.to_lowercase().replace(' ', "."));
    DemoStaff {
        name: name.to_owned(),
        email,
        role,
        home: lonlat(home.0, home.1),
        skills: skills.iter().map(|s| s.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Intersects, Polygon};

    fn polygon(geometry: &Value) -> Polygon<f64> {
        let ring: Vec<(f64, f64)> = geometry["coordinates"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect();
        Polygon::new(ring.into(), vec![])
    }

    fn sample() -> DemoData {
        generate(7, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
    }

    #[test]
    fn history_deals_and_cases_pass_the_api_rules() {
        use wilayah_shared::resources::{ACTIVITIES, CASES, OPPORTUNITIES};
        let data = sample();
        assert!(
            data.activities.len() > 200 && data.opportunities.len() > 50 && !data.cases.is_empty()
        );
        for a in &data.activities {
            let body = serde_json::json!({"account_id": 1, "kind": a.kind, "channel": a.channel, "subject": a.subject,
                "outcome": a.outcome, "occurred_at": a.occurred_at.to_rfc3339()});
            ACTIVITIES.validate_create(&body).unwrap();
        }
        for o in &data.opportunities {
            let body = serde_json::json!({"account_id": 1, "title": o.title, "stage": o.stage, "value_minor": o.value_minor,
                "expected_close": o.expected_close.to_string(), "lost_reason": o.lost_reason});
            OPPORTUNITIES.validate_create(&body).unwrap();
        }
        for c in &data.cases {
            let body = serde_json::json!({"account_id": 1, "subject": c.subject, "priority": c.priority, "status": c.status,
                "sla_due_at": c.sla_due_at.to_rfc3339(), "resolution": c.resolution});
            CASES.validate_create(&body).unwrap();
        }
    }

    #[test]
    fn is_deterministic_for_a_seed() {
        let (a, b) = (sample(), sample());
        let names = |d: &DemoData| {
            d.accounts
                .iter()
                .map(|a| a.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(
            names(&a),
            names(&generate(8, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()))
        );
    }

    #[test]
    fn has_a_few_hundred_accounts_of_both_kinds_near_their_hubs() {
        let data = sample();
        assert_eq!(
            data.accounts.len(),
            REGIONS.iter().map(|r| r.accounts).sum::<usize>()
        );
        assert!(data.accounts.len() >= 300);
        let customers = data
            .accounts
            .iter()
            .filter(|a| a.kind == AccountKind::Customer)
            .count();
        assert!(
            customers > 100 && data.accounts.len() - customers > 80,
            "{customers} customers"
        );
        for a in &data.accounts {
            let region = &REGIONS[a.territory];
            let nearest_hub_km = region
                .hubs
                .iter()
                .map(|h| haversine_km((h.1, h.2), (a.position.lon(), a.position.lat())))
                .fold(f64::INFINITY, f64::min);
            assert!(
                nearest_hub_km <= region.radius_km + 2.0,
                "{} is {nearest_hub_km:.1} km out",
                a.name
            );
        }
    }

    #[test]
    fn every_account_lies_in_its_own_territory_only() {
        let data = sample();
        let polygons: Vec<Polygon<f64>> = data
            .territories
            .iter()
            .map(|t| polygon(&t.geometry))
            .collect();
        for a in &data.accounts {
            let p = Point::new(a.position.lon(), a.position.lat());
            let containing: Vec<usize> = (0..polygons.len())
                .filter(|&i| polygons[i].contains(&p))
                .collect();
            assert_eq!(containing, vec![a.territory], "{}", a.name);
        }
        for i in 0..polygons.len() {
            for j in i + 1..polygons.len() {
                assert!(
                    !polygons[i].intersects(&polygons[j]),
                    "{} overlaps {}",
                    data.territories[i].name,
                    data.territories[j].name
                );
            }
        }
    }

    #[test]
    fn todays_visits_fall_in_local_working_hours_of_that_day() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let data = generate(7, today);
        let day_start = Utc.from_utc_datetime(&today.and_hms_opt(0, 0, 0).unwrap());
        let todays: Vec<_> = data
            .visits
            .iter()
            .filter(|v| {
                v.window_start >= day_start && v.window_start < day_start + Duration::days(1)
            })
            .collect();
        assert_eq!(todays.len(), TECHNICIANS.len() * 6);
        for v in todays {
            let local_hour = (v.window_start + Duration::hours(7))
                .format("%H")
                .to_string()
                .parse::<u32>()
                .unwrap();
            assert!(
                (8..17).contains(&local_hour),
                "starts at {local_hour}:00 WIB"
            );
            assert_eq!(v.status, VisitStatus::Scheduled);
            assert_eq!(data.accounts[v.account].kind, AccountKind::Customer);
        }
    }
}
