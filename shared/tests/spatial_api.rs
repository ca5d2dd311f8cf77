//! Known distances and the point index's public behaviour.

use geo::{Distance, Geodesic, Haversine, Point};
use wilayah_shared::LonLat;
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::spatial::{
    Filter, IndexedPoint, LonLatBox, OwnerFilter, PointAttrs, PointIndex, Region, SpatialError,
    haversine_m,
};

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn prospect(id: i64, lon: f64, lat: f64, owner: Option<i64>, visited: bool) -> IndexedPoint {
    IndexedPoint::new(
        id,
        ll(lon, lat),
        PointAttrs {
            kind: AccountKind::Prospect,
            status: AccountStatus::New,
            owner,
            visited,
        },
    )
}

#[test]
fn known_great_circle_distances() {
    let cases = [
        // (a, b, expected metres, tolerance metres)
        (
            ll(106.8456, -6.2088),
            ll(112.7521, -7.2575),
            663_000.0,
            3_000.0,
        ), // Jakarta–Surabaya
        (ll(-74.006, 40.7128), ll(-0.1278, 51.5074), 5_570_230.0, 1.0), // New York–London (geo's docs)
        (
            ll(178.4419, -18.1416),
            ll(-171.7513, -13.8333),
            1_152_200.0,
            1_000.0,
        ), // Suva–Apia, across 180°
        (ll(0.0, 90.0), ll(123.0, 90.0), 0.0, 1e-6),                    // the pole is one point
        (ll(0.0, 0.0), ll(180.0, 0.0), 20_015_114.0, 1.0),              // half the circumference
    ];
    for (a, b, expected, tol) in cases {
        let d = haversine_m(a, b);
        assert!((d - expected).abs() <= tol, "{a:?}–{b:?}: {d}");
        // The same sphere as geo's Haversine, and within 0.5 % of the WGS84 ellipsoid.
        let (pa, pb) = (Point::from(a), Point::from(b));
        assert!((d - Haversine.distance(pa, pb)).abs() < 1e-6 * d.max(1.0));
        assert!((d - Geodesic.distance(pa, pb)).abs() <= 0.005 * d + 1e-6);
    }
}

#[test]
fn nearest_and_radius_work_across_the_antimeridian_and_at_the_poles() {
    let index = PointIndex::bulk_load(vec![
        prospect(1, 179.99, 0.0, None, false),
        prospect(2, -179.99, 0.0, None, false),
        prospect(3, 170.0, 0.0, None, false),
        prospect(4, 0.0, 89.999, None, false),
        prospect(5, 180.0, 89.999, None, false),
    ])
    .unwrap();
    let hits = index.nearest(ll(180.0, 0.0), 2, Filter::default());
    assert_eq!(
        hits.iter().map(|h| h.point.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(
        (hits[0].distance_m - 1_111.95).abs() < 0.1,
        "{}",
        hits[0].distance_m
    );
    // Two points 0.001° from the pole on opposite meridians are ~222 m apart.
    let hits = index.within_radius(ll(0.0, 89.999), 250.0).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.point.id).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert!((hits[1].distance_m - 222.4).abs() < 0.1);
    assert_eq!(
        index.within_radius(ll(0.0, 0.0), -1.0),
        Err(SpatialError::InvalidDistance(-1.0))
    );
    assert!(index.within_radius(ll(0.0, 0.0), f64::NAN).is_err());
    let b = LonLatBox::new(175.0, -1.0, -175.0, 1.0).unwrap();
    assert_eq!(
        index.in_bbox(&b).iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn nearest_with_a_filter_finds_unvisited_prospects_of_nobody_or_me() {
    let me = 7;
    let index = PointIndex::bulk_load(vec![
        prospect(1, 106.80, -6.20, Some(8), false), // someone else's
        prospect(2, 106.81, -6.20, None, true),     // visited
        prospect(3, 106.82, -6.20, Some(me), false),
        prospect(4, 106.83, -6.20, None, false),
        prospect(5, 106.84, -6.20, None, false),
        IndexedPoint::new(
            6,
            ll(106.801, -6.2),
            PointAttrs {
                kind: AccountKind::Customer,
                status: AccountStatus::Active,
                owner: None,
                visited: false,
            },
        ),
    ])
    .unwrap();
    let filter = Filter {
        kind: Some(AccountKind::Prospect),
        visited: Some(false),
        owner: OwnerFilter::UnownedOrOwnedBy(me),
        ..Filter::default()
    };
    let hits = index.nearest(ll(106.80, -6.20), 2, filter);
    assert_eq!(
        hits.iter().map(|h| h.point.id).collect::<Vec<_>>(),
        vec![3, 4]
    );
    // Closures work as filters too.
    let hits = index.nearest(ll(106.80, -6.20), 1, |p: &IndexedPoint| p.id % 2 == 0);
    assert_eq!(hits[0].point.id, 6);
}

#[test]
fn route_search_measures_to_the_legs_not_just_the_stops() {
    // A leg along the equator from 0° to 1°E; a prospect 0.5°E, 1 km north, is near the leg
    // but ~55 km from both stops.
    let index = PointIndex::bulk_load(vec![
        prospect(1, 0.5, 0.009, None, false),
        prospect(2, 0.5, 0.1, None, false),
        prospect(3, 1.0, 0.005, None, false),
    ])
    .unwrap();
    let route = [ll(0.0, 0.0), ll(1.0, 0.0), ll(1.0, 1.0)];
    let hits = index
        .near_route(&route, 2_000.0, Filter::default())
        .unwrap();
    // Prospect 3 lies on leg 1 (along the 1°E meridian), 556 m from the end of leg 0.
    assert_eq!(
        hits.iter().map(|h| (h.point.id, h.leg)).collect::<Vec<_>>(),
        vec![(3, 1), (1, 0)]
    );
    assert!(hits[0].distance_m < 1e-6);
    assert!(
        (hits[1].distance_m - 1_000.75).abs() < 1.0,
        "{}",
        hits[1].distance_m
    );
    let antipodal = [ll(0.0, 0.0), ll(180.0, 0.0)];
    assert_eq!(
        index.near_route(&antipodal, 1.0, Filter::default()),
        Err(SpatialError::AntipodalLeg { leg: 0 })
    );
    assert!(
        index
            .near_route(&[], 1.0, Filter::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn insert_move_update_and_remove_by_id() {
    let mut index = PointIndex::new();
    index.insert(prospect(1, 106.8, -6.2, None, false)).unwrap();
    assert_eq!(
        index.insert(prospect(1, 0.0, 0.0, None, false)),
        Err(SpatialError::DuplicatePoint(1))
    );
    index.update_position(1, ll(112.75, -7.25)).unwrap();
    assert_eq!(index.get(1).unwrap().position, ll(112.75, -7.25));
    assert_eq!(
        index.update_position(2, ll(0.0, 0.0)),
        Err(SpatialError::UnknownPoint(2))
    );
    let attrs = PointAttrs {
        kind: AccountKind::Customer,
        status: AccountStatus::Active,
        owner: Some(3),
        visited: true,
    };
    index.update_attrs(1, attrs).unwrap();
    assert_eq!(index.get(1).unwrap().attrs, attrs);
    assert_eq!(
        index
            .upsert(prospect(1, 1.0, 1.0, None, false))
            .map(|p| p.attrs),
        Some(attrs)
    );
    assert_eq!(index.remove(1).map(|p| p.position), Some(ll(1.0, 1.0)));
    assert!(index.remove(1).is_none() && index.is_empty());
    assert_eq!(
        PointIndex::bulk_load(vec![
            prospect(4, 0.0, 0.0, None, false),
            prospect(4, 1.0, 1.0, None, false)
        ])
        .unwrap_err(),
        SpatialError::DuplicatePoint(4)
    );
}

#[test]
fn polygon_query_uses_the_region_rules() {
    let index = PointIndex::bulk_load(vec![
        prospect(1, 0.5, 0.5, None, false),
        prospect(2, 3.0, 3.0, None, false),
        prospect(3, 1.0, 0.5, None, false), // on the east edge: belongs east, so not inside
        prospect(4, 179.5, 0.5, None, false),
        prospect(5, -179.5, 0.5, None, false),
    ])
    .unwrap();
    let square = Region::from_coords(&[vec![vec![
        [0.0, 0.0],
        [1.0, 0.0],
        [1.0, 1.0],
        [0.0, 1.0],
        [0.0, 0.0],
    ]]])
    .unwrap();
    assert_eq!(
        index
            .in_polygon(&square)
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![1]
    );
    let across = Region::from_coords(&[vec![vec![
        [179.0, 0.0],
        [-179.0, 0.0],
        [-179.0, 1.0],
        [179.0, 1.0],
        [179.0, 0.0],
    ]]])
    .unwrap();
    assert_eq!(
        index
            .in_polygon(&across)
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
}
