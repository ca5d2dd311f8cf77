//! Property tests: every index query equals a brute-force scan (`spatial::scan`) over the same
//! points, with points clustered at the antimeridian, at the poles and in dense clusters with
//! exact duplicates (ties), before and after random inserts, moves and removals.

use proptest::prelude::*;
use wilayah_shared::LonLat;
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::spatial::{
    Filter, IndexedPoint, LonLatBox, OwnerFilter, PointAttrs, PointIndex, Region, scan,
};

fn lon_lat() -> impl Strategy<Value = LonLat> {
    prop_oneof![
        (-180.0..=180.0f64, -90.0..=90.0f64),
        (179.0..=180.0f64, -70.0..70.0f64),
        (-180.0..=-179.0f64, -70.0..70.0f64),
        (-180.0..=180.0f64, 88.0..=90.0f64),
        (-180.0..=180.0f64, -90.0..=-88.0f64),
        // A dense cluster a few km across, with exact duplicates from the small grid.
        (
            (0..20u32).prop_map(|i| 106.8 + i as f64 * 0.002),
            (0..20u32).prop_map(|j| -6.2 + j as f64 * 0.002)
        ),
    ]
    .prop_map(|(lon, lat)| LonLat::new(lon, lat).unwrap())
}

fn attrs() -> impl Strategy<Value = PointAttrs> {
    (
        any::<bool>(),
        0..AccountStatus::ALL.len(),
        prop::option::of(1..4i64),
        any::<bool>(),
    )
        .prop_map(|(customer, status, owner, visited)| PointAttrs {
            kind: if customer {
                AccountKind::Customer
            } else {
                AccountKind::Prospect
            },
            status: AccountStatus::ALL[status],
            owner,
            visited,
        })
}

fn points() -> impl Strategy<Value = Vec<IndexedPoint>> {
    prop::collection::vec((lon_lat(), attrs()), 0..250).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (p, a))| IndexedPoint::new(i as i64 * 7 - 500, p, a))
            .collect()
    })
}

fn radius_m() -> impl Strategy<Value = f64> {
    prop_oneof![0.0..5_000.0f64, 0.0..500_000.0f64, 0.0..21_000_000.0f64]
}

fn filter() -> impl Strategy<Value = Filter> {
    prop_oneof![
        Just(Filter::default()),
        Just(Filter {
            kind: Some(AccountKind::Prospect),
            visited: Some(false),
            owner: OwnerFilter::UnownedOrOwnedBy(2),
            ..Filter::default()
        }),
        Just(Filter {
            statuses: vec![AccountStatus::Active, AccountStatus::New],
            ..Filter::default()
        }),
    ]
}

/// A star-shaped (so simple) polygon around a centre, possibly across the antimeridian: one
/// vertex per angular slot, so consecutive vertices are less than half a turn apart.
fn region() -> impl Strategy<Value = Region> {
    (
        lon_lat(),
        prop::collection::vec((0.0..0.9f64, 0.2..1.0f64), 4..12),
        0.1..20.0f64,
    )
        .prop_map(|(c, spokes, size)| {
            let lat0 = c.lat().clamp(-60.0, 60.0);
            let n = spokes.len() as f64;
            let mut ring: Vec<[f64; 2]> = spokes
                .iter()
                .enumerate()
                .map(|(i, &(jitter, r))| {
                    let a = (i as f64 + jitter) / n * std::f64::consts::TAU;
                    let mut lon = c.lon() + size * r * a.cos();
                    if lon > 180.0 {
                        lon -= 360.0;
                    } else if lon < -180.0 {
                        lon += 360.0;
                    }
                    [lon, lat0 + size * r * a.sin()]
                })
                .collect();
            ring.push(ring[0]);
            Region::from_coords(&[vec![ring]]).expect("star polygons are simple")
        })
}

fn lon_lat_box() -> impl Strategy<Value = LonLatBox> {
    (lon_lat(), 0.0..60.0f64, lon_lat(), 0.0..60.0f64).prop_map(|(a, w, b, h)| {
        let mut east = a.lon() + w;
        if east > 180.0 {
            east -= 360.0;
        }
        let south = a.lat().min(b.lat());
        LonLatBox::new(a.lon(), south, east, (south + h).min(90.0)).unwrap()
    })
}

#[derive(Debug, Clone)]
enum Change {
    Insert(LonLat, PointAttrs),
    Move(usize, LonLat),
    Remove(usize),
    Attrs(usize, PointAttrs),
}

fn changes() -> impl Strategy<Value = Vec<Change>> {
    prop::collection::vec(
        prop_oneof![
            (lon_lat(), attrs()).prop_map(|(p, a)| Change::Insert(p, a)),
            (any::<usize>(), lon_lat()).prop_map(|(i, p)| Change::Move(i, p)),
            any::<usize>().prop_map(Change::Remove),
            (any::<usize>(), attrs()).prop_map(|(i, a)| Change::Attrs(i, a)),
        ],
        0..60,
    )
}

/// The index's own view of its points (positions as stored, rounded to 1e-7°).
fn stored(index: &PointIndex) -> Vec<IndexedPoint> {
    let mut v: Vec<IndexedPoint> = index.iter().collect();
    v.sort_by_key(|p| p.id);
    v
}

/// One draw of every kind of query.
struct Queries<'a> {
    centre: LonLat,
    k: usize,
    radius: f64,
    f: &'a Filter,
    bbox: &'a LonLatBox,
    region: &'a Region,
    route: &'a [LonLat],
}

fn check_queries(index: &PointIndex, q: Queries<'_>) -> Result<(), TestCaseError> {
    let Queries {
        centre,
        k,
        radius,
        f,
        bbox,
        region,
        route,
    } = q;
    let all = stored(index);
    prop_assert_eq!(
        index.nearest(centre, k, f.clone()),
        scan::nearest(&all, centre, k, f.clone())
    );
    prop_assert_eq!(
        index.within_radius(centre, radius).unwrap(),
        scan::within_radius(&all, centre, radius)
    );
    prop_assert_eq!(index.in_bbox(bbox), scan::in_bbox(&all, bbox));
    prop_assert_eq!(index.in_polygon(region), scan::in_polygon(&all, region));
    let near = index.near_route(route, radius / 10.0, f.clone());
    let expected = scan::near_route(&all, route, radius / 10.0, f.clone());
    prop_assert_eq!(near, expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn queries_equal_a_brute_force_scan(
        pts in points(),
        centre in lon_lat(),
        k in 0..25usize,
        radius in radius_m(),
        f in filter(),
        bbox in lon_lat_box(),
        region in region(),
        route in prop::collection::vec(lon_lat(), 1..5),
    ) {
        let index = PointIndex::bulk_load(pts.clone()).unwrap();
        prop_assert_eq!(index.len(), pts.len());
        // Routes with an antipodal leg are refused by both; skip those draws.
        prop_assume!(scan::near_route(&[], &route, 0.0, Filter::default()).is_ok());
        check_queries(&index, Queries { centre, k, radius, f: &f, bbox: &bbox, region: &region, route: &route })?;
    }

    #[test]
    fn the_index_stays_exact_through_inserts_moves_and_removals(
        pts in points(),
        edits in changes(),
        centre in lon_lat(),
        k in 1..15usize,
        radius in radius_m(),
        f in filter(),
        bbox in lon_lat_box(),
        region in region(),
        route in prop::collection::vec(lon_lat(), 1..4),
    ) {
        prop_assume!(scan::near_route(&[], &route, 0.0, Filter::default()).is_ok());
        // Half bulk-loaded, half inserted one by one.
        let (bulk, rest) = pts.split_at(pts.len() / 2);
        let mut index = PointIndex::bulk_load(bulk.to_vec()).unwrap();
        for p in rest {
            index.insert(*p).unwrap();
        }
        let mut ids: Vec<i64> = pts.iter().map(|p| p.id).collect();
        let mut next_id = 10_000;
        for change in edits {
            match change {
                Change::Insert(p, a) => {
                    index.insert(IndexedPoint::new(next_id, p, a)).unwrap();
                    ids.push(next_id);
                    next_id += 1;
                }
                Change::Move(i, p) if !ids.is_empty() => {
                    let id = ids[i % ids.len()];
                    index.update_position(id, p).unwrap();
                    prop_assert_eq!(index.get(id).unwrap().position, index.get(id).unwrap().position);
                }
                Change::Remove(i) if !ids.is_empty() => {
                    let id = ids.swap_remove(i % ids.len());
                    prop_assert_eq!(index.remove(id).map(|p| p.id), Some(id));
                    prop_assert!(index.get(id).is_none());
                }
                Change::Attrs(i, a) if !ids.is_empty() => {
                    let id = ids[i % ids.len()];
                    index.update_attrs(id, a).unwrap();
                    prop_assert_eq!(index.get(id).unwrap().attrs, a);
                }
                _ => {}
            }
        }
        prop_assert_eq!(index.len(), ids.len());
        let mut present: Vec<i64> = stored(&index).iter().map(|p| p.id).collect();
        ids.sort_unstable();
        present.sort_unstable();
        prop_assert_eq!(&present, &ids);
        for &id in &ids {
            prop_assert!(index.get(id).is_some());
        }
        check_queries(&index, Queries { centre, k, radius, f: &f, bbox: &bbox, region: &region, route: &route })?;
    }
}
