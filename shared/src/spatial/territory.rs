//! Territories: areas owned by reps, and the assignment of points to them.

use std::collections::HashSet;

mod lookup;
use lookup::{Bands, Grid};

use super::SpatialError;
use super::points::PointIndex;
use super::region::Region;
use crate::LonLat;

/// An area owned by a rep.
#[derive(Debug, Clone, PartialEq)]
pub struct Territory {
    pub id: i64,
    /// The rep who owns it, if any.
    pub owner: Option<i64>,
    pub region: Region,
}

impl Territory {
    pub fn new(id: i64, owner: Option<i64>, region: Region) -> Self {
        Self { id, owner, region }
    }

    /// From GeoJSON-style `MultiPolygon` coordinates; errors name the territory.
    pub fn from_coords(
        id: i64,
        owner: Option<i64>,
        polygons: &[Vec<Vec<[f64; 2]>>],
    ) -> Result<Self, SpatialError> {
        let region = Region::from_coords(polygons).map_err(|e| SpatialError::InvalidTerritory {
            id,
            source: Box::new(e),
        })?;
        Ok(Self { id, owner, region })
    }

    /// As [`Territory::from_coords`] with [`Region::from_coords_lenient`]: for imports of real
    /// boundary files.
    pub fn from_coords_lenient(
        id: i64,
        owner: Option<i64>,
        polygons: &[Vec<Vec<[f64; 2]>>],
    ) -> Result<Self, SpatialError> {
        let region =
            Region::from_coords_lenient(polygons).map_err(|e| SpatialError::InvalidTerritory {
                id,
                source: Box::new(e),
            })?;
        Ok(Self { id, owner, region })
    }
}

/// Where points fall. `assigned` holds points in exactly one territory; a point in several is
/// only in `overlaps`, a point in none only in `unassigned`. Each list is sorted by point id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentReport {
    /// (point id, territory id)
    pub assigned: Vec<(i64, i64)>,
    pub unassigned: Vec<i64>,
    pub overlaps: Vec<Overlap>,
}

/// A point claimed by more than one territory, with their ids in ascending order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub point: i64,
    pub territories: Vec<i64>,
}

/// Territories behind a grid over their polygons' envelopes; lookups confirm with the exact
/// point-in-polygon test of [`Region`], run over the polygon's edges near the point's latitude
/// (see `lookup`).
#[derive(Debug, Clone)]
pub struct TerritoryIndex {
    territories: Vec<Territory>,
    /// Territory index of each polygon (all polygons of all territories, in order).
    owner_of: Vec<u32>,
    bands: Vec<Bands>,
    grid: Grid,
    /// Polygons across the antimeridian: not in the grid, tested for every point.
    wrapping: Vec<u32>,
}

impl TerritoryIndex {
    /// Indexes the territories; two with one id is an error.
    pub fn new(territories: Vec<Territory>) -> Result<Self, SpatialError> {
        let mut seen = HashSet::with_capacity(territories.len());
        let mut owner_of = Vec::new();
        let mut parts = Vec::new();
        for (ti, t) in territories.iter().enumerate() {
            if !seen.insert(t.id) {
                return Err(SpatialError::DuplicateTerritory(t.id));
            }
            for part in &t.region.parts {
                owner_of.push(ti as u32);
                parts.push(part);
            }
        }
        let bands: Vec<Bands> = parts.iter().map(|p| Bands::new(p)).collect();
        let in_grid: Vec<bool> = parts.iter().map(|p| !p.plane.wraps).collect();
        let grid = Grid::new(&parts, &bands, &in_grid);
        let wrapping = (0..parts.len() as u32)
            .filter(|&i| !in_grid[i as usize])
            .collect();
        Ok(Self {
            territories,
            owner_of,
            bands,
            grid,
            wrapping,
        })
    }

    pub fn len(&self) -> usize {
        self.territories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.territories.is_empty()
    }

    pub fn territories(&self) -> &[Territory] {
        &self.territories
    }

    /// Heap bytes of the lookup structures (grid and edge bands), not of the territories.
    pub fn lookup_heap_bytes(&self) -> usize {
        self.grid.heap_bytes()
            + self.bands.iter().map(Bands::heap_bytes).sum::<usize>()
            + (self.owner_of.capacity() + self.wrapping.capacity()) * 4
    }

    /// Indexes (into [`TerritoryIndex::territories`]) of the territories containing `p`,
    /// appended to `out` in ascending order.
    fn indexes_at(&self, p: LonLat, out: &mut Vec<u32>) {
        let start = out.len();
        self.grid.visit(p, &self.bands, |part| {
            out.push(self.owner_of[part as usize])
        });
        for &part in &self.wrapping {
            if self.bands[part as usize].contains(p) {
                out.push(self.owner_of[part as usize]);
            }
        }
        if out.len() - start > 1 {
            out[start..].sort_unstable();
            let mut tail = out.split_off(start);
            tail.dedup();
            out.extend(tail);
        }
    }

    /// The territories containing `p` (more than one where territories overlap), by id.
    pub fn territories_at(&self, p: LonLat) -> Vec<&Territory> {
        let mut idx = Vec::new();
        self.indexes_at(p, &mut idx);
        let mut found: Vec<&Territory> = idx
            .into_iter()
            .map(|i| &self.territories[i as usize])
            .collect();
        found.sort_by_key(|t| t.id);
        found
    }

    /// Assigns every point to its territory and reports points in none and in several.
    pub fn assign_all(&self, points: impl IntoIterator<Item = (i64, LonLat)>) -> AssignmentReport {
        let mut report = AssignmentReport::default();
        let mut idx = Vec::with_capacity(4);
        for (id, p) in points {
            idx.clear();
            self.indexes_at(p, &mut idx);
            match idx.as_slice() {
                [] => report.unassigned.push(id),
                [one] => report
                    .assigned
                    .push((id, self.territories[*one as usize].id)),
                many => {
                    let mut territories: Vec<i64> = many
                        .iter()
                        .map(|&i| self.territories[i as usize].id)
                        .collect();
                    territories.sort_unstable();
                    report.overlaps.push(Overlap {
                        point: id,
                        territories,
                    });
                }
            }
        }
        report.assigned.sort_unstable();
        report.unassigned.sort_unstable();
        report.overlaps.sort_unstable_by_key(|o| o.point);
        report
    }

    /// [`TerritoryIndex::assign_all`] over every point of a point index.
    pub fn assign_index(&self, points: &PointIndex) -> AssignmentReport {
        self.assign_all(points.iter().map(|p| (p.id, p.position)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
        vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]]
    }

    #[test]
    fn assignment_reports_unassigned_and_overlaps() {
        let index = TerritoryIndex::new(vec![
            Territory::from_coords(10, Some(1), &square(0.0, 0.0, 2.0, 2.0)).unwrap(),
            Territory::from_coords(20, Some(2), &square(1.0, 1.0, 3.0, 3.0)).unwrap(),
            Territory::from_coords(30, None, &square(170.0, 0.0, -170.0, 5.0)).unwrap(),
        ])
        .unwrap();
        let ll = |lon, lat| LonLat::new(lon, lat).unwrap();
        let report = index.assign_all([
            (1, ll(0.5, 0.5)),
            (2, ll(1.5, 1.5)),
            (3, ll(2.5, 2.5)),
            (4, ll(50.0, 50.0)),
            (5, ll(-175.0, 1.0)),
        ]);
        assert_eq!(report.assigned, vec![(1, 10), (3, 20), (5, 30)]);
        assert_eq!(report.unassigned, vec![4]);
        assert_eq!(
            report.overlaps,
            vec![Overlap {
                point: 2,
                territories: vec![10, 20]
            }]
        );
        assert_eq!(
            index
                .territories_at(ll(1.5, 1.5))
                .iter()
                .map(|t| t.owner)
                .collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
    }

    #[test]
    fn grid_and_band_lookup_equals_the_plain_containment_test() {
        // A tiling of unit squares, a star with a hole, a spiky polygon and one across 180°,
        // probed on a lattice that hits vertices and edges exactly (the boundary rule).
        let mut territories = Vec::new();
        for i in 0..6 {
            for j in 0..4 {
                let (x, y) = (i as f64, j as f64);
                territories.push(
                    Territory::from_coords(i * 10 + j, None, &square(x, y, x + 1.0, y + 1.0))
                        .unwrap(),
                );
            }
        }
        let star: Vec<[f64; 2]> = (0..=24)
            .map(|k| {
                let a = (k % 24) as f64 * std::f64::consts::TAU / 24.0;
                let r = if k % 2 == 0 { 2.5 } else { 1.25 };
                [3.0 + r * a.cos(), 2.0 + r * a.sin()]
            })
            .collect();
        let hole = vec![[2.5, 1.5], [2.5, 2.5], [3.5, 2.5], [3.5, 1.5], [2.5, 1.5]];
        territories.push(Territory::from_coords(100, None, &[vec![star, hole]]).unwrap());
        let comb: Vec<[f64; 2]> = (0..=8)
            .flat_map(|k| [[k as f64 * 0.75, 4.5], [k as f64 * 0.75 + 0.375, 5.5]])
            .chain([[6.375, 3.25], [0.0, 3.25], [0.0, 4.5]])
            .collect();
        territories.push(Territory::from_coords(101, None, &[vec![comb]]).unwrap());
        territories
            .push(Territory::from_coords(102, None, &square(178.0, -1.0, -178.5, 1.5)).unwrap());
        let plain = territories.clone();
        let index = TerritoryIndex::new(territories).unwrap();
        let mut checked = 0;
        for i in -8..=60 {
            for j in -8..=48 {
                for (x, y) in [
                    (i as f64 * 0.125, j as f64 * 0.125),
                    (178.0 + i as f64 * 0.0625, j as f64 * 0.0625 - 1.0),
                ] {
                    let x = if x > 180.0 { x - 360.0 } else { x };
                    let p = LonLat::new(x, y).unwrap();
                    let expected: Vec<i64> = plain
                        .iter()
                        .filter(|t| t.region.contains(p))
                        .map(|t| t.id)
                        .collect();
                    let mut got: Vec<i64> = index.territories_at(p).iter().map(|t| t.id).collect();
                    got.sort_unstable();
                    assert_eq!(got, expected, "{x}, {y}");
                    checked += usize::from(!expected.is_empty());
                }
            }
        }
        assert!(checked > 2_000, "{checked}");
    }

    #[test]
    fn invalid_and_duplicate_territories_are_named() {
        let bad = vec![vec![vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]];
        let err = Territory::from_coords(7, None, &bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("territory 7: polygon 0, ring 0 has 3 positions"),
            "{err}"
        );
        let t = Territory::from_coords(1, None, &square(0.0, 0.0, 1.0, 1.0)).unwrap();
        assert_eq!(
            TerritoryIndex::new(vec![t.clone(), t]).unwrap_err(),
            SpatialError::DuplicateTerritory(1)
        );
    }
}
