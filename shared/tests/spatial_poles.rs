//! Polygons closed along a pole, laid out as world datasets lay out Antarctica: a coast from
//! −180° to +180°, then down the 180° meridian to the pole, along the pole back to −180°, and up
//! to the start. Checked against a reference computed on the sphere, written here without the
//! engine's code: the winding number of the ring around the point.

use std::f64::consts::TAU;

use wilayah_shared::LonLat;
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::spatial::{Region, Territory, TerritoryIndex};

fn unit(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// How many times the ring (great-circle edges) winds around `p` on the sphere, seen from `p`:
/// the sum of the signed angles at `p` between the directions to each edge's ends. With `-p`
/// as the point at infinity, it is ±1 when the ring separates `p` from `-p`, 0 when not.
fn winding(ring: &[[f64; 2]], p: [f64; 3]) -> i64 {
    let tangent = |c: [f64; 2]| {
        let v = unit(c[0], c[1]);
        let d = dot(v, p);
        [v[0] - d * p[0], v[1] - d * p[1], v[2] - d * p[2]]
    };
    let total: f64 = ring
        .windows(2)
        .map(|w| {
            let (a, b) = (tangent(w[0]), tangent(w[1]));
            dot(p, cross(a, b)).atan2(dot(a, b))
        })
        .sum();
    (total / TAU).round() as i64
}

/// Inside a cap around `pole` (±1) whose ring stays on that pole's side of the equator: a point
/// on the other side is outside, and a point `p` on the pole's side is inside exactly when the
/// ring separates it from `-p` (which lies on the other side, so outside).
fn in_cap_on_sphere(ring: &[[f64; 2]], pole: f64, lon: f64, lat: f64) -> bool {
    lat * pole > 0.0 && winding(ring, unit(lon, lat)) != 0
}

/// A coast at latitudes `pole`·(62..78)° every 2° from −180° to +180° (different latitudes at the
/// two ends, so the seam is part of the boundary there), closed along the pole.
fn cap_ring(rng: &mut SplitMix64, pole: f64) -> Vec<[f64; 2]> {
    let mut lat: f64 = 70.0;
    let mut ring: Vec<[f64; 2]> = (0..=180)
        .map(|i| {
            lat = (lat + (rng.unit() - 0.5) * 6.0).clamp(62.0, 78.0);
            [-180.0 + 2.0 * i as f64, pole * lat]
        })
        .collect();
    ring[180][1] = pole * 66.0;
    ring[0][1] = pole * 74.0;
    ring.push([180.0, pole * 90.0]);
    ring.push([-180.0, pole * 90.0]);
    ring.push(ring[0]);
    ring
}

/// Whether `(lon, lat)` lies between an edge's straight lon/lat line (the engine's edge) and its
/// great circle (the reference's edge), where the two models differ by definition.
fn between_edge_models(ring: &[[f64; 2]], lon: f64, lat: f64) -> bool {
    ring.windows(2).any(|w| {
        let ([l1, f1], [l2, f2]) = (w[0], w[1]);
        if l1 == l2 || (l2 - l1).abs() > 180.0 || lon < l1.min(l2) || lon > l1.max(l2) {
            return false;
        }
        let planar = f1 + (f2 - f1) * (lon - l1) / (l2 - l1);
        let (a, b, x) = (l1.to_radians(), l2.to_radians(), lon.to_radians());
        let great = ((f1.to_radians().tan() * (b - x).sin()
            + f2.to_radians().tan() * (x - a).sin())
            / (b - a).sin())
        .atan()
        .to_degrees();
        let margin = 1e-9;
        lat >= planar.min(great) - margin && lat <= planar.max(great) + margin
    })
}

/// Random points: half uniform on the sphere, half uniform over the cap's side beyond 55°.
fn test_points(rng: &mut SplitMix64, pole: f64, n: usize) -> Vec<(f64, f64)> {
    (0..n)
        .map(|i| {
            let lon = rng.unit() * 360.0 - 180.0;
            let lat = if i % 2 == 0 {
                (rng.unit() * 2.0 - 1.0).asin().to_degrees()
            } else {
                pole * (55.0 + rng.unit() * 35.0)
            };
            (lon, lat)
        })
        .collect()
}

fn check_cap(pole: f64, seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let ring = cap_ring(&mut rng, pole);
    let reversed: Vec<[f64; 2]> = ring.iter().rev().copied().collect();
    let mut points = test_points(&mut rng, pole, 20_000);
    // The pole itself, the seam away from where it is boundary, and the coast's longitudes.
    for lon in [-180.0, -90.0, 0.0, 45.5, 180.0] {
        points.push((lon, pole * 90.0));
    }
    for lat in [60.0, 64.0, 80.0, 89.9] {
        points.extend([(180.0, pole * lat), (-180.0, pole * lat)]);
    }
    for c in &ring[1..180] {
        points.extend([(c[0], c[1] + 0.5), (c[0], c[1] - 0.5)]);
    }
    // The same curve on the sphere without the parts it runs along twice in opposite directions
    // (down and up the 180° meridian, and the pole): the coast closed along the seam.
    let mut on_sphere = ring[..=180].to_vec();
    on_sphere.push(ring[0]);
    for layout in [&ring, &reversed] {
        let strict = Region::from_coords(&[vec![layout.clone()]])
            .expect("a pole-closed polygon is simple in lon/lat");
        let lenient = Region::from_coords_lenient(&[vec![layout.clone()]]).unwrap();
        assert!(lenient.accepted_crossings().is_empty());
        let index = TerritoryIndex::new(vec![Territory::new(1, None, strict.clone())]).unwrap();
        let (mut inside, mut skipped) = (0, 0);
        for &(lon, lat) in &points {
            if between_edge_models(layout, lon, lat) {
                skipped += 1;
                continue;
            }
            let expected = in_cap_on_sphere(&on_sphere, pole, lon, lat);
            let p = LonLat::new(lon, lat).unwrap();
            assert_eq!(strict.contains(p), expected, "strict at ({lon}, {lat})");
            assert_eq!(lenient.contains(p), expected, "lenient at ({lon}, {lat})");
            assert_eq!(
                index.territories_at(p).len(),
                usize::from(expected),
                "territory index at ({lon}, {lat})"
            );
            inside += usize::from(expected);
        }
        // The cap beyond ~70° is ~3 % of the sphere and more than half of the band beyond 55°.
        assert!(
            (4_000..8_000).contains(&inside),
            "{inside} of {} inside",
            points.len()
        );
        // Great-circle edges of 2° bulge up to ~100 m towards the pole from the straight ones.
        assert!(
            skipped * 1000 < points.len(),
            "{skipped} points between edge models"
        );
    }
}

#[test]
fn a_cap_closed_along_the_south_pole_holds_exactly_the_points_the_sphere_says() {
    check_cap(-1.0, 19);
}

#[test]
fn a_cap_closed_along_the_north_pole_holds_exactly_the_points_the_sphere_says() {
    check_cap(1.0, 20);
}

#[test]
fn the_winding_reference_sees_a_small_ring_and_ignores_a_far_one() {
    // A square around (10°, 10°): winds once around its centre, not around a point outside.
    let square = [
        [9.0, 9.0],
        [11.0, 9.0],
        [11.0, 11.0],
        [9.0, 11.0],
        [9.0, 9.0],
    ];
    assert_eq!(winding(&square, unit(10.0, 10.0)).abs(), 1);
    assert_eq!(winding(&square, unit(12.0, 10.0)), 0);
    // Seen from the antipode of its centre, the ring separates it from its own antipode.
    assert_eq!(winding(&square, unit(-170.0, -10.0)).abs(), 1);
}
