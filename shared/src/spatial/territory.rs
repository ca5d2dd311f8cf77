//! Territories: areas owned by reps, and the assignment of points to them.

use std::collections::HashSet;

use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

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

/// Index entry: the envelope of one polygon of one territory, as (territory index, polygon index).
type PartBox = GeomWithData<Rectangle<[f64; 2]>, (u32, u32)>;

/// Territories behind an R-tree of their polygons' envelopes; lookups confirm with the exact
/// point-in-polygon test of [`Region`].
#[derive(Debug, Clone)]
pub struct TerritoryIndex {
    territories: Vec<Territory>,
    tree: RTree<PartBox>,
    any_wraps: bool,
}

impl TerritoryIndex {
    /// Indexes the territories; two with one id is an error.
    pub fn new(territories: Vec<Territory>) -> Result<Self, SpatialError> {
        let mut seen = HashSet::with_capacity(territories.len());
        let mut boxes = Vec::new();
        let mut any_wraps = false;
        for (ti, t) in territories.iter().enumerate() {
            if !seen.insert(t.id) {
                return Err(SpatialError::DuplicateTerritory(t.id));
            }
            for (pi, part) in t.region.parts.iter().enumerate() {
                let [x0, y0, x1, y1] = part.bbox;
                any_wraps |= part.wraps;
                boxes.push(PartBox::new(
                    Rectangle::from_corners([x0, y0], [x1, y1]),
                    (ti as u32, pi as u32),
                ));
            }
        }
        Ok(Self {
            territories,
            tree: RTree::bulk_load(boxes),
            any_wraps,
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

    /// Indexes (into [`TerritoryIndex::territories`]) of the territories containing `p`,
    /// appended to `out` in ascending order.
    fn indexes_at(&self, p: LonLat, out: &mut Vec<u32>) {
        let start = out.len();
        let mut probe = |x: f64| {
            for b in self.tree.locate_all_at_point([x, p.lat()]) {
                let (ti, pi) = b.data;
                if self.territories[ti as usize].region.parts[pi as usize].contains(p) {
                    out.push(ti);
                }
            }
        };
        probe(p.lon());
        if self.any_wraps && p.lon() < 0.0 {
            probe(p.lon() + 360.0);
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
