//! Longitude/latitude boxes, including boxes that cross the antimeridian, and the 3-D box on
//! the unit sphere that encloses one.

use super::SpatialError;
use crate::LonLat;

/// A lon/lat box. `west > east` means the box crosses the antimeridian (e.g. west 170,
/// east -170 is 20° wide). Longitudes are compared as numbers, so 180 and -180 are distinct edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    west: f64,
    south: f64,
    east: f64,
    north: f64,
}

impl LonLatBox {
    /// Validates each edge as a WGS84 coordinate and `south <= north`.
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Result<Self, SpatialError> {
        let coord = |ring_coord: usize, lon: f64, lat: f64| {
            LonLat::new(lon, lat).map_err(|source| SpatialError::InvalidCoord {
                polygon: 0,
                ring: 0,
                coord: ring_coord,
                source,
            })
        };
        coord(0, west, south)?;
        coord(1, east, north)?;
        if south > north {
            return Err(SpatialError::InvertedBox { south, north });
        }
        Ok(Self {
            west,
            south,
            east,
            north,
        })
    }

    pub(crate) fn from_valid(west: f64, south: f64, east: f64, north: f64) -> Self {
        Self {
            west,
            south,
            east,
            north,
        }
    }

    pub fn west(&self) -> f64 {
        self.west
    }
    pub fn south(&self) -> f64 {
        self.south
    }
    pub fn east(&self) -> f64 {
        self.east
    }
    pub fn north(&self) -> f64 {
        self.north
    }

    /// Whether the box crosses the antimeridian.
    pub fn crosses_antimeridian(&self) -> bool {
        self.west > self.east
    }

    /// Whether `p` lies in the box, edges included.
    #[inline]
    pub fn contains(&self, p: LonLat) -> bool {
        let (lon, lat) = (p.lon(), p.lat());
        if lat < self.south || lat > self.north {
            return false;
        }
        if self.west <= self.east {
            lon >= self.west && lon <= self.east
        } else {
            lon >= self.west || lon <= self.east
        }
    }

    fn contains_lon(&self, lon: f64) -> bool {
        if self.west <= self.east {
            lon >= self.west && lon <= self.east
        } else {
            lon >= self.west || lon <= self.east
        }
    }

    /// The smallest axis-aligned 3-D box around the box's part of the unit sphere.
    pub(crate) fn unit_sphere_aabb(&self) -> ([f64; 3], [f64; 3]) {
        let (s, n) = (self.south.to_radians(), self.north.to_radians());
        let (cs, cn) = (s.cos(), n.cos());
        let c_min = cs.min(cn);
        let c_max = if self.south <= 0.0 && self.north >= 0.0 {
            1.0
        } else {
            cs.max(cn)
        };
        let mut lo = [f64::INFINITY, f64::INFINITY, s.sin()];
        let mut hi = [f64::NEG_INFINITY, f64::NEG_INFINITY, n.sin()];
        let candidates = [self.west, self.east, -180.0, -90.0, 0.0, 90.0, 180.0];
        for lon in candidates.into_iter().filter(|&l| self.contains_lon(l)) {
            let (sin_l, cos_l) = lon.to_radians().sin_cos();
            for c in [c_min, c_max] {
                let (x, y) = (c * cos_l, c * sin_l);
                lo[0] = lo[0].min(x);
                hi[0] = hi[0].max(x);
                lo[1] = lo[1].min(y);
                hi[1] = hi[1].max(y);
            }
        }
        (lo, hi)
    }
}

/// The shortest longitude range covering all `intervals` (each `west <= east` in -180..=180),
/// as `(west, east)`, crossing the antimeridian when that is shorter.
pub(crate) fn smallest_lon_cover(intervals: &mut [(f64, f64)]) -> (f64, f64) {
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(intervals.len());
    for &(w, e) in intervals.iter() {
        match merged.last_mut() {
            Some(last) if w <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((w, e)),
        }
    }
    let Some(&first) = merged.first() else {
        return (-180.0, 180.0);
    };
    let last = merged[merged.len() - 1];
    // The largest gap not covered is left out; the wrap-around gap keeps the box un-crossed.
    let mut best_gap = first.0 + 360.0 - last.1;
    let mut cover = (first.0, last.1);
    for pair in merged.windows(2) {
        let gap = pair[1].0 - pair[0].1;
        if gap > best_gap {
            best_gap = gap;
            cover = (pair[1].0, pair[0].1);
        }
    }
    cover
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::sphere::unit_vector;

    #[test]
    fn validates_and_detects_antimeridian_crossing() {
        assert!(
            LonLatBox::new(170.0, -10.0, -170.0, 10.0)
                .unwrap()
                .crosses_antimeridian()
        );
        assert!(matches!(
            LonLatBox::new(0.0, 10.0, 1.0, 5.0),
            Err(SpatialError::InvertedBox { .. })
        ));
        assert!(matches!(
            LonLatBox::new(0.0, 0.0, 181.0, 5.0),
            Err(SpatialError::InvalidCoord { coord: 1, .. })
        ));
        let b = LonLatBox::new(170.0, -10.0, -170.0, 10.0).unwrap();
        assert!(b.contains(LonLat::new(179.0, 0.0).unwrap()));
        assert!(b.contains(LonLat::new(-175.0, 0.0).unwrap()));
        assert!(!b.contains(LonLat::new(0.0, 0.0).unwrap()));
    }

    #[test]
    fn sphere_box_encloses_the_lon_lat_box() {
        let boxes = [
            (170.0, -10.0, -170.0, 10.0),
            (-10.0, 80.0, 10.0, 90.0),
            (-180.0, -90.0, 180.0, 90.0),
            (100.0, -8.0, 115.0, -5.0),
        ];
        for (w, s, e, n) in boxes {
            let b = LonLatBox::new(w, s, e, n).unwrap();
            let (lo, hi) = b.unit_sphere_aabb();
            for i in 0..=40 {
                for j in 0..=40 {
                    let lat = s + (n - s) * j as f64 / 40.0;
                    let width = if w <= e { e - w } else { e + 360.0 - w };
                    let mut lon = w + width * i as f64 / 40.0;
                    if lon > 180.0 {
                        lon -= 360.0;
                    }
                    let v = unit_vector(LonLat::new(lon, lat).unwrap());
                    for k in 0..3 {
                        assert!(
                            v[k] >= lo[k] - 1e-12 && v[k] <= hi[k] + 1e-12,
                            "{w},{s},{e},{n} at {lon},{lat}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn lon_cover_prefers_crossing_when_shorter() {
        assert_eq!(
            smallest_lon_cover(&mut [(170.0, 180.0), (-180.0, -170.0)]),
            (170.0, -170.0)
        );
        assert_eq!(
            smallest_lon_cover(&mut [(-10.0, 0.0), (5.0, 10.0)]),
            (-10.0, 10.0)
        );
    }
}
