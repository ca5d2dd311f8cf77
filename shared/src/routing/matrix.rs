//! Travel distances and times between locations, behind one small trait so the optimiser does not care
//! whether they come from great-circle maths, an OSRM-compatible table service or a benchmark's plane.

use crate::coord::LonLat;
use geo::{Distance, Haversine};

/// Distances and travel times between `size()` locations, addressed by index.
///
/// Units are the caller's: the constructors here give metres and seconds
/// ([`DenseMatrix::great_circle`]) or plane units for both ([`DenseMatrix::euclidean`]). Visit service
/// times, windows and shifts must use the same time unit as [`TravelMatrix::time`]. Matrices may be
/// asymmetric (one-way streets from a road router).
pub trait TravelMatrix {
    /// Number of locations.
    fn size(&self) -> usize;
    /// Distance from `from` to `to` (metres for great-circle and road matrices).
    fn distance(&self, from: usize, to: usize) -> f64;
    /// Travel time from `from` to `to` (seconds for great-circle and road matrices).
    fn time(&self, from: usize, to: usize) -> f64;
    /// The whole matrix as row-major slices of `size() × size()` entries (distances, times) when
    /// it is held that way: the optimiser then reads it in place, without a copy or a call per
    /// pair (taking in the matrix is the one step of a run that does not read the budget's clock).
    fn dense(&self) -> Option<(&[f64], &[f64])> {
        None
    }
}

/// A full `n × n` matrix held in memory, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseMatrix {
    n: usize,
    distance: Vec<f64>,
    time: Vec<f64>,
}

impl DenseMatrix {
    /// Builds the matrix by calling `f(from, to) -> (distance, time)` for every ordered pair.
    pub fn from_fn(n: usize, mut f: impl FnMut(usize, usize) -> (f64, f64)) -> Self {
        let mut distance = Vec::with_capacity(n * n);
        let mut time = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                let (d, t) = f(i, j);
                distance.push(d);
                time.push(t);
            }
        }
        Self { n, distance, time }
    }

    /// Wraps row-major vectors, e.g. the `distances` and `durations` arrays of an OSRM `table`
    /// response flattened. Returns `None` when a length is not `n * n`. Entries must be finite
    /// and non-negative: give pairs the router could not connect (`null`) a large finite value.
    pub fn from_rows(n: usize, distance: Vec<f64>, time: Vec<f64>) -> Option<Self> {
        (distance.len() == n * n && time.len() == n * n).then_some(Self { n, distance, time })
    }

    /// Straight-line distances in the plane; the travel time equals the distance (the Solomon and
    /// TSPLIB convention).
    pub fn euclidean(points: &[(f64, f64)]) -> Self {
        Self::from_fn(points.len(), |i, j| {
            let d = (points[i].0 - points[j].0).hypot(points[i].1 - points[j].1);
            (d, d)
        })
    }

    /// Great-circle (haversine, mean Earth radius) distances in metres and times in seconds at a
    /// constant `speed_m_per_s`. The default when no road router is configured.
    pub fn great_circle(points: &[LonLat], speed_m_per_s: f64) -> Self {
        let pts: Vec<geo::Point<f64>> = points.iter().map(|&p| p.into()).collect();
        Self::from_fn(points.len(), |i, j| {
            let d = if i == j {
                0.0
            } else {
                Haversine.distance(pts[i], pts[j])
            };
            (d, d / speed_m_per_s)
        })
    }
}

impl TravelMatrix for DenseMatrix {
    fn size(&self) -> usize {
        self.n
    }

    fn distance(&self, from: usize, to: usize) -> f64 {
        self.distance[from * self.n + to]
    }

    fn time(&self, from: usize, to: usize) -> f64 {
        self.time[from * self.n + to]
    }

    fn dense(&self) -> Option<(&[f64], &[f64])> {
        Some((&self.distance, &self.time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn great_circle_jakarta_bandung_is_about_120_km() {
        let jakarta = LonLat::new(106.8456, -6.2088).unwrap();
        let bandung = LonLat::new(107.6191, -6.9175).unwrap();
        let m = DenseMatrix::great_circle(&[jakarta, bandung], 10.0);
        let d = m.distance(0, 1);
        assert!((115_000.0..120_000.0).contains(&d), "{d}");
        assert_eq!(m.distance(0, 1), m.distance(1, 0));
        assert!((m.time(0, 1) - d / 10.0).abs() < 1e-9);
        assert_eq!(m.distance(1, 1), 0.0);
    }

    #[test]
    fn from_rows_checks_lengths() {
        assert!(DenseMatrix::from_rows(2, vec![0.0; 4], vec![0.0; 3]).is_none());
        let m = DenseMatrix::from_rows(2, vec![0.0, 1.0, 2.0, 0.0], vec![0.0; 4]).unwrap();
        assert_eq!(m.distance(1, 0), 2.0);
    }
}
