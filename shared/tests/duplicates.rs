//! `likely_duplicates` (keys in hash maps, names through the spatial index) against a brute-force
//! scan over every existing account, on random data dense in names, phones, e-mails and
//! positions, after inserts, changes and removals.

use wilayah_shared::LonLat;
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::duplicates::{
    AccountIdentity, Duplicate, DuplicateKeys, DuplicateReason, SAME_NAME_RADIUS_M,
    company_name_key, email_key, likely_duplicates, phone_e164,
};
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::spatial::{IndexedPoint, PointAttrs, PointIndex, haversine_m};

const NAMES: &[&str] = &[
    "Sinar Jaya",
    "Maju Bersama",
    "Makmur Sentosa",
    "Sumber Rejeki",
    "Berkah Abadi",
    "Karya Mandiri",
    "Cahaya Baru",
    "Mitra Usaha",
];
const FORMS: &[&str] = &["", "PT ", "PT. ", "CV ", "Toko ", "UD. ", "P.T. "];

fn name(rng: &mut SplitMix64) -> String {
    let base = *rng.pick(NAMES);
    let base = match rng.below(3) {
        0 => base.to_uppercase(),
        1 => base.replace(' ', "-"),
        _ => base.to_owned(),
    };
    let tbk = if rng.below(5) == 0 { " Tbk" } else { "" };
    format!("{}{base}{tbk}", rng.pick(FORMS))
}

fn phone(rng: &mut SplitMix64) -> String {
    let n = 81_200_000 + rng.below(40) as u64;
    match rng.below(5) {
        0 => format!("0{n}"),
        1 => format!("+62 {n}"),
        2 => format!("62-{n}"),
        3 => format!("0{} {}", n / 10_000, n % 10_000),
        _ => "not a number".to_owned(),
    }
}

fn email(rng: &mut SplitMix64) -> String {
    let e = format!("sales{}@toko.co.id", rng.below(40));
    if rng.below(2) == 0 {
        format!(" {} ", e.to_uppercase())
    } else {
        e
    }
}

/// A position on the 1e-7° grid the index stores, in one of three clusters: a town (2 km
/// across), either side of the antimeridian, and around the South Pole.
fn position(rng: &mut SplitMix64) -> LonLat {
    let (lon, lat) = match rng.below(10) {
        0 => (180.0 - rng.unit() * 0.006, rng.unit() * 0.004),
        1 => (-180.0 + rng.unit() * 0.006, rng.unit() * 0.004),
        2 => (rng.unit() * 360.0 - 180.0, -90.0 + rng.unit() * 0.003),
        _ => (107.6 + rng.unit() * 0.02, -6.9 + rng.unit() * 0.02),
    };
    let grid = |v: f64| (v * 1e7).round() / 1e7;
    LonLat::new(grid(lon), grid(lat)).unwrap()
}

fn identity(rng: &mut SplitMix64, id: Option<i64>) -> AccountIdentity {
    AccountIdentity {
        id,
        name: name(rng),
        position: (rng.below(20) != 0).then(|| position(rng)),
        phones: (0..rng.below(3)).map(|_| phone(rng)).collect(),
        emails: (0..rng.below(2)).map(|_| email(rng)).collect(),
        external_id: (rng.below(3) == 0).then(|| format!(" ERP-{} ", rng.below(60))),
    }
}

fn point(a: &AccountIdentity) -> Option<IndexedPoint> {
    let attrs = PointAttrs {
        kind: AccountKind::Customer,
        status: AccountStatus::Active,
        owner: None,
        visited: false,
    };
    Some(IndexedPoint::new(a.id?, a.position?, attrs))
}

fn sorted_keys(items: &[String], key: fn(&str) -> Option<String>) -> Vec<String> {
    let mut keys: Vec<String> = items.iter().filter_map(|s| key(s)).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// An existing account's normalised keys, computed once per round for the scan.
struct Scanned {
    id: i64,
    name: String,
    position: Option<LonLat>,
    phones: Vec<String>,
    emails: Vec<String>,
    external_id: Option<String>,
}

fn scanned(existing: &[AccountIdentity]) -> Vec<Scanned> {
    existing
        .iter()
        .map(|e| Scanned {
            id: e.id.unwrap(),
            name: company_name_key(&e.name),
            position: e.position,
            phones: sorted_keys(&e.phones, phone_e164),
            emails: sorted_keys(&e.emails, email_key),
            external_id: e
                .external_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        })
        .collect()
}

/// Every existing account compared with the candidate directly.
fn brute_force(candidate: &AccountIdentity, existing: &[Scanned]) -> Vec<Duplicate> {
    let name = company_name_key(&candidate.name);
    let phones = sorted_keys(&candidate.phones, phone_e164);
    let emails = sorted_keys(&candidate.emails, email_key);
    let external = candidate
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let mut out: Vec<Duplicate> = existing
        .iter()
        .filter(|e| Some(e.id) != candidate.id)
        .filter_map(|e| {
            let mut reasons = Vec::new();
            if let (Some(a), Some(b)) = (candidate.position, e.position) {
                let d = haversine_m(a, b);
                if d <= SAME_NAME_RADIUS_M && e.name == name {
                    reasons.push(DuplicateReason::SameNameNearby { distance_m: d });
                }
            }
            for p in phones.iter().filter(|p| e.phones.contains(p)) {
                reasons.push(DuplicateReason::SamePhone { phone: p.clone() });
            }
            for m in emails.iter().filter(|m| e.emails.contains(m)) {
                reasons.push(DuplicateReason::SameEmail { email: m.clone() });
            }
            if let Some(x) = external.filter(|x| e.external_id.as_deref() == Some(*x)) {
                reasons.push(DuplicateReason::SameExternalId {
                    external_id: x.to_owned(),
                });
            }
            (!reasons.is_empty()).then_some(Duplicate {
                account_id: e.id,
                reasons,
            })
        })
        .collect();
    out.sort_by_key(|d| d.account_id);
    out
}

/// Equal but for the last bits of the distances (the index measures from its own copy).
fn assert_same(found: &[Duplicate], expected: &[Duplicate], candidate: &AccountIdentity) {
    let strip = |ds: &[Duplicate]| -> Vec<(i64, Vec<DuplicateReason>)> {
        ds.iter()
            .map(|d| {
                let reasons = d
                    .reasons
                    .iter()
                    .map(|r| match r {
                        DuplicateReason::SameNameNearby { distance_m } => {
                            DuplicateReason::SameNameNearby {
                                distance_m: (distance_m * 1e3).round() / 1e3,
                            }
                        }
                        other => other.clone(),
                    })
                    .collect();
                (d.account_id, reasons)
            })
            .collect()
    };
    assert_eq!(strip(found), strip(expected), "{candidate:?}");
}

#[test]
fn the_index_finds_exactly_what_a_scan_over_every_account_finds() {
    let mut rng = SplitMix64::new(6);
    let mut existing: Vec<AccountIdentity> =
        (1..=3_000).map(|id| identity(&mut rng, Some(id))).collect();
    let mut points = PointIndex::bulk_load(existing.iter().filter_map(point).collect()).unwrap();
    let mut keys = DuplicateKeys::new(existing.iter().cloned());

    let mut total = [0usize; 4];
    for _round in 0..3 {
        let scan = scanned(&existing);
        for i in 0..400 {
            // New rows, and existing accounts being edited (never their own duplicate).
            let id = if i % 4 == 0 {
                Some(existing[rng.below(existing.len())].id.unwrap())
            } else {
                None
            };
            let candidate = identity(&mut rng, id);
            let found = likely_duplicates(&candidate, &keys, &points);
            assert_same(&found, &brute_force(&candidate, &scan), &candidate);
            for r in found.iter().flat_map(|d| &d.reasons) {
                total[match r {
                    DuplicateReason::SameNameNearby { .. } => 0,
                    DuplicateReason::SamePhone { .. } => 1,
                    DuplicateReason::SameEmail { .. } => 2,
                    DuplicateReason::SameExternalId { .. } => 3,
                }] += 1;
            }
        }
        // Change and remove some accounts in both the keys and the index, then check again.
        for _ in 0..300 {
            let i = rng.below(existing.len());
            let id = existing[i].id.unwrap();
            if rng.below(3) == 0 {
                existing.swap_remove(i);
                keys.remove(id);
                points.remove(id);
            } else {
                existing[i] = identity(&mut rng, Some(id));
                keys.upsert(&existing[i]);
                match point(&existing[i]) {
                    Some(p) => {
                        points.upsert(p);
                    }
                    None => {
                        points.remove(id);
                    }
                }
            }
        }
    }
    // Every kind of reason came up many times.
    println!("reasons found (name nearby, phone, e-mail, external id): {total:?}");
    assert!(total.iter().all(|&n| n > 100), "{total:?}");
}
