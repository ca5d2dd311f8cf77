//! Checks a proposed set of territories and says what is wrong where: boundaries that cross
//! themselves (at the crossing), overlaps between territories (the overlapping area, with both
//! names) and gaps (holes in the union of all territories, with the territories around them).

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::{
    Area, BooleanOps, BoundingRect, Coord, InteriorPoint, Line, LineString, MultiPolygon, Polygon,
    Rect, unary_union,
};
use serde::{Deserialize, Serialize};

use super::{Coords, coords};
use crate::spatial::{Region, SpatialError};

/// A territory as proposed: its name and its polygons (GeoJSON `MultiPolygon` layout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTerritory {
    pub name: String,
    pub polygons: Coords,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    MissingName,
    DuplicateName,
    /// A ring that is not a valid ring (too few positions, not closed, bad coordinates...).
    InvalidGeometry,
    /// A boundary crosses itself, or a hole crosses its outline.
    SelfIntersection,
    Overlap,
    Gap,
}

/// Errors block publishing; warnings are shown and allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    /// Names of the territories concerned.
    pub territories: Vec<String>,
    /// Their positions in the proposed list.
    pub indexes: Vec<usize>,
    pub message: String,
    /// Where to point on the map, `[lon, lat]`.
    pub location: Option<[f64; 2]>,
    /// The overlapping area or the gap, GeoJSON `MultiPolygon` coordinates.
    pub area: Option<Coords>,
    pub area_km2: Option<f64>,
}

/// Overlaps and gaps smaller than this (square degrees, ~12 m² at the equator) are rounding
/// along shared borders, not problems.
const MIN_AREA_DEG2: f64 = 1e-9;

fn km2(area_deg2: f64, lat: f64) -> f64 {
    area_deg2 * 111.320 * 110.574 * lat.to_radians().cos()
}

fn interior_point(mp: &MultiPolygon<f64>) -> Option<[f64; 2]> {
    let largest =
        mp.0.iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    largest.interior_point().map(|p| [p.x(), p.y()])
}

/// Where edges `edge_a` and `edge_b` of a ring meet (or the first edge's midpoint).
fn crossing(ring_a: &[[f64; 2]], edge_a: usize, ring_b: &[[f64; 2]], edge_b: usize) -> [f64; 2] {
    let line = |ring: &[[f64; 2]], e: usize| {
        let (a, b) = (ring.get(e), ring.get(e + 1));
        match (a, b) {
            (Some(a), Some(b)) => Some(Line::new(
                Coord { x: a[0], y: a[1] },
                Coord { x: b[0], y: b[1] },
            )),
            _ => None,
        }
    };
    let (Some(la), Some(lb)) = (line(ring_a, edge_a), line(ring_b, edge_b)) else {
        return ring_a.first().copied().unwrap_or([0.0, 0.0]);
    };
    match line_intersection(la, lb) {
        Some(LineIntersection::SinglePoint { intersection, .. }) => {
            [intersection.x, intersection.y]
        }
        Some(LineIntersection::Collinear { intersection }) => {
            let m = intersection.start + (intersection.end - intersection.start) / 2.0;
            [m.x, m.y]
        }
        None => {
            let m = la.start + (la.end - la.start) / 2.0;
            [m.x, m.y]
        }
    }
}

fn round4(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

/// A geometry problem of territory `index`, located where the spatial engine says.
fn geometry_problem(index: usize, t: &PlanTerritory, error: &SpatialError) -> Problem {
    let ring = |p: usize, r: usize| -> &[[f64; 2]] {
        t.polygons
            .get(p)
            .and_then(|rings| rings.get(r))
            .map_or(&[], |r| r.as_slice())
    };
    let (kind, location) = match *error {
        SpatialError::SelfIntersection {
            polygon,
            ring: r,
            edge_a,
            edge_b,
        } => {
            let rr = ring(polygon, r);
            (
                ProblemKind::SelfIntersection,
                Some(crossing(rr, edge_a, rr, edge_b)),
            )
        }
        SpatialError::RingsCross {
            polygon,
            ring_a,
            edge_a,
            ring_b,
            edge_b,
        } => (
            ProblemKind::SelfIntersection,
            Some(crossing(
                ring(polygon, ring_a),
                edge_a,
                ring(polygon, ring_b),
                edge_b,
            )),
        ),
        SpatialError::InvalidCoord {
            polygon, ring: r, ..
        }
        | SpatialError::TooFewPoints {
            polygon, ring: r, ..
        }
        | SpatialError::UnclosedRing { polygon, ring: r }
        | SpatialError::HoleOutsideExterior { polygon, ring: r } => (
            ProblemKind::InvalidGeometry,
            ring(polygon, r)
                .first()
                .copied()
                .filter(|p| p.iter().all(|v| v.is_finite())),
        ),
        _ => (ProblemKind::InvalidGeometry, None),
    };
    let message = match (kind, location) {
        (ProblemKind::SelfIntersection, Some([x, y])) => format!(
            "{}: the boundary crosses itself at {}, {} ({error})",
            t.name,
            round4(x),
            round4(y)
        ),
        _ => format!("{}: {error}", t.name),
    };
    Problem {
        kind,
        severity: Severity::Error,
        territories: vec![t.name.clone()],
        indexes: vec![index],
        message,
        location,
        area: None,
        area_km2: None,
    }
}

fn names_problems(territories: &[PlanTerritory], problems: &mut Vec<Problem>) {
    for (i, t) in territories.iter().enumerate() {
        let name = t.name.trim();
        if name.is_empty() {
            problems.push(Problem {
                kind: ProblemKind::MissingName,
                severity: Severity::Error,
                territories: vec![String::new()],
                indexes: vec![i],
                message: format!("territory {} has no name", i + 1),
                location: None,
                area: None,
                area_km2: None,
            });
            continue;
        }
        if let Some(j) = territories[..i]
            .iter()
            .position(|o| o.name.trim().to_lowercase() == name.to_lowercase())
        {
            problems.push(Problem {
                kind: ProblemKind::DuplicateName,
                severity: Severity::Error,
                territories: vec![t.name.clone()],
                indexes: vec![j, i],
                message: format!("two territories are called {:?}", t.name),
                location: None,
                area: None,
                area_km2: None,
            });
        }
    }
}

/// Every problem of the proposed territories, errors first in list order, then warnings.
pub fn validate(territories: &[PlanTerritory]) -> Vec<Problem> {
    let mut problems = Vec::new();
    names_problems(territories, &mut problems);
    let mut shapes: Vec<(usize, MultiPolygon<f64>, Rect<f64>)> = Vec::new();
    for (i, t) in territories.iter().enumerate() {
        match Region::from_coords(&t.polygons) {
            Err(e) => problems.push(geometry_problem(i, t, &e)),
            Ok(region) if region.is_empty() => problems.push(Problem {
                message: format!("{}: the outline encloses no area", t.name),
                ..geometry_problem(i, t, &SpatialError::EmptyGeometry)
            }),
            Ok(region) => {
                let mp = region.to_multi_polygon();
                if let Some(rect) = mp.bounding_rect() {
                    shapes.push((i, mp, rect));
                }
            }
        }
    }
    let touches = |a: &Rect<f64>, b: &Rect<f64>| {
        a.min().x <= b.max().x
            && b.min().x <= a.max().x
            && a.min().y <= b.max().y
            && b.min().y <= a.max().y
    };
    for (x, (i, a, ra)) in shapes.iter().enumerate() {
        for (j, b, rb) in &shapes[x + 1..] {
            if !touches(ra, rb) {
                continue;
            }
            let overlap = a.intersection(b);
            let area = overlap.unsigned_area();
            if area <= MIN_AREA_DEG2 {
                continue;
            }
            let location = interior_point(&overlap);
            let area_km2 = km2(area, location.map_or(0.0, |l| l[1]));
            let (na, nb) = (&territories[*i].name, &territories[*j].name);
            problems.push(Problem {
                kind: ProblemKind::Overlap,
                severity: Severity::Error,
                territories: vec![na.clone(), nb.clone()],
                indexes: vec![*i, *j],
                message: match location {
                    Some([lon, lat]) => format!(
                        "{na} and {nb} overlap over {area_km2:.1} km² around {}, {}",
                        round4(lon),
                        round4(lat)
                    ),
                    None => format!("{na} and {nb} overlap over {area_km2:.1} km²"),
                },
                location,
                area: Some(coords(&overlap)),
                area_km2: Some(area_km2),
            });
        }
    }
    gaps(territories, &shapes, &mut problems);
    problems.sort_by_key(|p| p.severity == Severity::Warning);
    problems
}

/// Holes in the union of all territories that no territory covers.
fn gaps(
    territories: &[PlanTerritory],
    shapes: &[(usize, MultiPolygon<f64>, Rect<f64>)],
    problems: &mut Vec<Problem>,
) {
    if shapes.len() < 2 {
        return;
    }
    let union = unary_union(shapes.iter().map(|(_, mp, _)| mp));
    for polygon in &union.0 {
        for hole in polygon.interiors() {
            let gap = MultiPolygon(vec![Polygon::new(LineString(hole.0.clone()), Vec::new())]);
            let area = gap.unsigned_area();
            if area <= MIN_AREA_DEG2 {
                continue;
            }
            let Some(rect) = gap.bounding_rect() else {
                continue;
            };
            // The territories around the gap: those whose outline comes within the gap's box.
            let around: Vec<usize> = shapes
                .iter()
                .filter(|(_, mp, r)| {
                    r.min().x <= rect.max().x
                        && rect.min().x <= r.max().x
                        && r.min().y <= rect.max().y
                        && rect.min().y <= r.max().y
                        && mp.intersection(&expand(&rect)).unsigned_area() > 0.0
                })
                .map(|(i, _, _)| *i)
                .collect();
            let names: Vec<String> = around
                .iter()
                .map(|&i| territories[i].name.clone())
                .collect();
            let location = interior_point(&gap);
            let area_km2 = km2(area, location.map_or(0.0, |l| l[1]));
            problems.push(Problem {
                kind: ProblemKind::Gap,
                severity: Severity::Warning,
                message: format!(
                    "a gap of {area_km2:.1} km² no territory covers, between {}",
                    names.join(", ")
                ),
                territories: names,
                indexes: around,
                location,
                area: Some(coords(&gap)),
                area_km2: Some(area_km2),
            });
        }
    }
}

/// The box widened by a tenth of its size, as a polygon.
fn expand(rect: &Rect<f64>) -> Polygon<f64> {
    let (w, h) = (rect.width() * 0.1 + 1e-9, rect.height() * 0.1 + 1e-9);
    Rect::new(
        Coord {
            x: rect.min().x - w,
            y: rect.min().y - h,
        },
        Coord {
            x: rect.max().x + w,
            y: rect.max().y + h,
        },
    )
    .to_polygon()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(name: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> PlanTerritory {
        PlanTerritory {
            name: name.into(),
            polygons: vec![vec![vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]],
        }
    }

    #[test]
    fn a_clean_tiling_has_no_problems() {
        let t = [
            square("A", 0.0, 0.0, 1.0, 1.0),
            square("B", 1.0, 0.0, 2.0, 1.0),
            square("C", 0.0, 1.0, 2.0, 2.0),
        ];
        assert_eq!(validate(&t), vec![]);
    }

    #[test]
    fn self_intersection_is_located_at_the_crossing() {
        let bowtie = PlanTerritory {
            name: "Bow".into(),
            polygons: vec![vec![vec![
                [0.0, 0.0],
                [2.0, 2.0],
                [2.0, 0.0],
                [0.0, 2.0],
                [0.0, 0.0],
            ]]],
        };
        let p = validate(&[bowtie]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProblemKind::SelfIntersection);
        assert_eq!(p[0].location, Some([1.0, 1.0]));
        assert!(
            p[0].message
                .starts_with("Bow: the boundary crosses itself at 1, 1"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn overlaps_are_named_and_outlined() {
        let p = validate(&[
            square("North", 0.0, 0.0, 2.0, 2.0),
            square("South", 1.0, 1.0, 3.0, 3.0),
        ]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].kind, ProblemKind::Overlap);
        assert_eq!(p[0].territories, vec!["North", "South"]);
        assert_eq!(p[0].indexes, vec![0, 1]);
        let area = MultiPolygon(vec![Polygon::new(
            LineString::from(
                p[0].area.as_ref().unwrap()[0][0]
                    .iter()
                    .map(|c| (c[0], c[1]))
                    .collect::<Vec<_>>(),
            ),
            vec![],
        )]);
        assert!((area.unsigned_area() - 1.0).abs() < 1e-9);
        let [x, y] = p[0].location.unwrap();
        assert!((1.0..=2.0).contains(&x) && (1.0..=2.0).contains(&y));
        assert!(
            p[0].message.starts_with("North and South overlap over"),
            "{}",
            p[0].message
        );
    }

    #[test]
    fn a_hole_surrounded_by_territories_is_a_gap() {
        // A ring of four territories around an empty middle square (1..2, 1..2).
        let t = [
            square("W", 0.0, 0.0, 1.0, 3.0),
            square("E", 2.0, 0.0, 3.0, 3.0),
            square("S", 1.0, 0.0, 2.0, 1.0),
            square("N", 1.0, 2.0, 2.0, 3.0),
        ];
        let p = validate(&t);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].kind, ProblemKind::Gap);
        assert_eq!(p[0].severity, Severity::Warning);
        assert_eq!(p[0].territories.len(), 4);
        let [x, y] = p[0].location.unwrap();
        assert!((1.0..=2.0).contains(&x) && (1.0..=2.0).contains(&y));
    }

    #[test]
    fn names_must_be_present_and_unique() {
        let p = validate(&[
            square(" ", 0.0, 0.0, 1.0, 1.0),
            square("A", 5.0, 5.0, 6.0, 6.0),
            square("a", 7.0, 7.0, 8.0, 8.0),
        ]);
        let kinds: Vec<ProblemKind> = p.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![ProblemKind::MissingName, ProblemKind::DuplicateName]
        );
    }
}
