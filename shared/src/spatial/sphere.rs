//! The distance model: a sphere of mean Earth radius, great-circle distances in metres.
//!
//! Points are indexed as 3-D unit vectors. The straight-line (chord) distance between two unit
//! vectors is `2·sin(θ/2)` for the central angle `θ`, which grows monotonically with the
//! great-circle distance `R·θ` on `0..=π`. So a nearest-neighbour or radius search by chord in 3-D
//! is exact for great-circle distance, with no special case at the antimeridian or the poles.

use crate::LonLat;

/// Mean Earth radius (GRS80 `R₁`) in metres; the same sphere as geo's `Haversine`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Half the circumference: no two points on the sphere are farther apart than this.
pub const MAX_DISTANCE_M: f64 = EARTH_RADIUS_M * std::f64::consts::PI;

/// Great-circle distance in metres by the haversine formula (as geo's `Haversine`, with the
/// intermediate value clamped so rounding can never produce NaN for near-antipodal points).
#[inline]
pub fn haversine_m(a: LonLat, b: LonLat) -> f64 {
    HaversineFrom::new(a).to(b)
}

/// [`haversine_m`] from one fixed position, with its cosine computed once: the same operations
/// in the same order, so the results are bit-for-bit those of `haversine_m(from, b)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HaversineFrom {
    lon: f64,
    lat: f64,
    cos_phi1: f64,
}

impl HaversineFrom {
    #[inline]
    pub(crate) fn new(a: LonLat) -> Self {
        Self {
            lon: a.lon(),
            lat: a.lat(),
            cos_phi1: a.lat().to_radians().cos(),
        }
    }

    #[inline]
    pub(crate) fn to(&self, b: LonLat) -> f64 {
        let phi2 = b.lat().to_radians();
        let d_phi = (b.lat() - self.lat).to_radians();
        let d_lambda = (b.lon() - self.lon).to_radians();
        let h = (d_phi / 2.0).sin().powi(2)
            + self.cos_phi1 * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.clamp(0.0, 1.0).sqrt().asin()
    }
}

/// The unit vector of a position: x towards (0°, 0°), y towards (90°E, 0°), z towards the north pole.
#[inline]
pub fn unit_vector(p: LonLat) -> [f64; 3] {
    let (sin_lat, cos_lat) = p.lat().to_radians().sin_cos();
    let (sin_lon, cos_lon) = p.lon().to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

/// Chord length on the unit sphere between two points `distance_m` apart along a great circle.
/// Distances beyond half the circumference saturate at 2 (the diameter).
#[inline]
pub fn chord_for_distance_m(distance_m: f64) -> f64 {
    let theta = (distance_m / EARTH_RADIUS_M).clamp(0.0, std::f64::consts::PI);
    2.0 * (theta / 2.0).sin()
}

/// Great-circle distance in metres between two points whose unit-sphere chord is `chord`.
#[inline]
pub fn distance_m_for_chord(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (chord / 2.0).clamp(0.0, 1.0).asin()
}

pub(crate) fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(crate) fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

fn scale(a: [f64; 3], s: f64) -> [f64; 3] {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// A great-circle segment (the shorter arc between two positions), prepared for distance queries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arc {
    pub from: LonLat,
    pub to: LonLat,
    a: [f64; 3],
    b: [f64; 3],
    /// Unit normal of the arc's plane, or `None` when both ends are the same point.
    normal: Option<[f64; 3]>,
}

/// Below this length of `a × b` an arc is treated as a single point (about 0.6 mm).
const DEGENERATE_CROSS: f64 = 1e-10;

impl Arc {
    /// `None` when the ends are antipodal (or nearly so): the shorter arc is then not unique.
    pub fn new(from: LonLat, to: LonLat) -> Option<Self> {
        let a = unit_vector(from);
        let b = unit_vector(to);
        let n = cross(a, b);
        let len = norm(n);
        if len < DEGENERATE_CROSS {
            if dot(a, b) < 0.0 {
                return None;
            }
            return Some(Self {
                from,
                to,
                a,
                b,
                normal: None,
            });
        }
        Some(Self {
            from,
            to,
            a,
            b,
            normal: Some(scale(n, 1.0 / len)),
        })
    }

    /// Great-circle distance in metres from `p` to the nearest point of the arc: the cross-track
    /// distance when `p` projects inside the arc, else the distance to the nearer end.
    pub fn distance_m(&self, p: LonLat) -> f64 {
        let ends = || haversine_m(p, self.from).min(haversine_m(p, self.to));
        let Some(n) = self.normal else {
            return ends();
        };
        let q = unit_vector(p);
        let s = dot(q, n);
        // Projection of q onto the arc's plane; it lies between a and b when it is on the inner
        // side of both end meridians (planes through a resp. b containing n).
        let proj = [q[0] - s * n[0], q[1] - s * n[1], q[2] - s * n[2]];
        if dot(cross(self.a, proj), n) >= 0.0
            && dot(cross(proj, self.b), n) >= 0.0
            && norm(proj) > 0.0
        {
            EARTH_RADIUS_M * s.abs().clamp(0.0, 1.0).asin()
        } else {
            ends()
        }
    }

    /// An axis-aligned box in 3-D around every point of the arc (exact up to rounding).
    pub fn bounding_box(&self) -> ([f64; 3], [f64; 3]) {
        let mut lo = [0.0; 3];
        let mut hi = [0.0; 3];
        for i in 0..3 {
            lo[i] = self.a[i].min(self.b[i]);
            hi[i] = self.a[i].max(self.b[i]);
        }
        if let Some(n) = self.normal {
            // The extremes of the great circle along axis i are ±(e_i projected onto the plane).
            for i in 0..3 {
                let mut e = [0.0; 3];
                e[i] = 1.0;
                let s = dot(e, n);
                let proj = [e[0] - s * n[0], e[1] - s * n[1], e[2] - s * n[2]];
                let len = norm(proj);
                if len < 1e-12 {
                    continue;
                }
                for sign in [1.0, -1.0] {
                    let c = scale(proj, sign / len);
                    if dot(cross(self.a, c), n) >= 0.0 && dot(cross(c, self.b), n) >= 0.0 {
                        lo[i] = lo[i].min(c[i]);
                        hi[i] = hi[i].max(c[i]);
                    }
                }
            }
        }
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn chord_and_distance_are_inverse() {
        for d in [0.0, 1.0, 5_000.0, 1e6, 1e7, 2e7] {
            let back = distance_m_for_chord(chord_for_distance_m(d));
            assert!((back - d).abs() < 1e-6 * d.max(1.0), "{d} -> {back}");
        }
        assert_eq!(chord_for_distance_m(1e9), 2.0);
    }

    #[test]
    fn chord_of_unit_vectors_matches_haversine() {
        let pairs = [
            (ll(179.9, 10.0), ll(-179.9, 10.0)),
            (ll(0.0, 89.99), ll(180.0, 89.99)),
            (ll(106.8456, -6.2088), ll(112.7521, -7.2575)),
        ];
        for (a, b) in pairs {
            let (u, v) = (unit_vector(a), unit_vector(b));
            let chord = norm([u[0] - v[0], u[1] - v[1], u[2] - v[2]]);
            let d = haversine_m(a, b);
            assert!(
                (distance_m_for_chord(chord) - d).abs() < 1e-3,
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn arc_distance_is_cross_track_inside_and_endpoint_outside() {
        // Along the equator from 0° to 10°E; a point 1° north of 5°E is 1° of arc away.
        let arc = Arc::new(ll(0.0, 0.0), ll(10.0, 0.0)).unwrap();
        let one_degree = EARTH_RADIUS_M * 1f64.to_radians();
        assert!((arc.distance_m(ll(5.0, 1.0)) - one_degree).abs() < 1e-6);
        // Beyond the end the nearest point is the end itself.
        let p = ll(12.0, 0.0);
        assert!((arc.distance_m(p) - haversine_m(p, ll(10.0, 0.0))).abs() < 1e-6);
        // Across the antimeridian.
        let arc = Arc::new(ll(179.0, 0.0), ll(-179.0, 0.0)).unwrap();
        assert!((arc.distance_m(ll(180.0, 1.0)) - one_degree).abs() < 1e-6);
        assert!(
            Arc::new(ll(0.0, 0.0), ll(180.0, 0.0)).is_none(),
            "antipodal"
        );
    }

    #[test]
    fn arc_box_contains_sampled_points() {
        let arc = Arc::new(ll(-170.0, 60.0), ll(170.0, 60.0)).unwrap();
        let (lo, hi) = arc.bounding_box();
        // The arc crosses the antimeridian and bulges north of 60°.
        for t in 0..=100 {
            let t = t as f64 / 100.0;
            let (a, b) = (unit_vector(arc.from), unit_vector(arc.to));
            let m = [
                a[0] * (1.0 - t) + b[0] * t,
                a[1] * (1.0 - t) + b[1] * t,
                a[2] * (1.0 - t) + b[2] * t,
            ];
            let m = scale(m, 1.0 / norm(m));
            for i in 0..3 {
                assert!(
                    m[i] >= lo[i] - 1e-12 && m[i] <= hi[i] + 1e-12,
                    "axis {i} at {t}"
                );
            }
        }
    }
}
