//! Validated areas (polygons and multipolygons with holes) in lon/lat, with a fast exact
//! point-in-polygon test.
//!
//! Containment is planar in lon/lat — edges are straight lines on the plate carrée map, which
//! is how administrative boundaries (Census, GADM, OSM) are drawn and how PostGIS `geometry`
//! treats them. The boundary rule is the half-open crossing rule: a point on an edge belongs
//! to the area immediately east of it (north of it on an east–west edge). Two areas sharing an
//! edge therefore never both claim a point on it, and areas that tile the plane claim every
//! point exactly once.
//!
//! A polygon with an edge spanning more than 180° of longitude is read as crossing the
//! antimeridian: its negative longitudes are shifted by +360° and points are tested the same
//! way, so such a polygon works as drawn (the RFC 7946 convention of splitting at ±180° works
//! too).
//!
//! A polygon closed along a pole — its ring runs along latitude ±90 from one side of the
//! antimeridian to the other, as world datasets lay out Antarctica — is read as drawn in
//! −180..=180: that edge is the pole itself (one point on the sphere), not an antimeridian
//! crossing. Its ±180° meridian is a seam inside it, so longitude 180 is tested as −180, and
//! the pole is inside it.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::SpatialError;
use crate::LonLat;

/// A validated polygon or multipolygon. Build it with [`Region::from_coords`],
/// [`Region::from_polygon`] or [`Region::from_multi_polygon`].
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub(crate) parts: Vec<PreparedPolygon>,
    /// (polygon, ring) of rings dropped because they enclose nothing.
    collapsed: Vec<(usize, usize)>,
    /// Vertices removed where a ring folded back along itself.
    spikes: usize,
    /// Crossings accepted by the lenient constructors.
    crossings: Vec<SpatialError>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PreparedPolygon {
    /// Closed rings (exterior first), longitudes shifted by +360° for negative values when `wraps`.
    rings: Vec<Vec<Coord<f64>>>,
    /// Bounding box `[min_x, min_y, max_x, max_y]` in the (possibly shifted) plane.
    pub(crate) bbox: [f64; 4],
    pub(crate) plane: Plane,
}

/// How a polygon's rings sit in the lon/lat plane, and so where a position is tested.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plane {
    /// The polygon crosses the antimeridian and is stored with longitudes in 0..=360.
    pub(crate) wraps: bool,
    /// The pole the polygon is closed along, if any (see the module docs).
    pole: Option<Pole>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Pole {
    North,
    South,
}

impl Plane {
    /// The plane position at which `p` is tested against a polygon laid out this way.
    #[inline]
    pub(crate) fn point(self, p: LonLat) -> Coord<f64> {
        let (mut x, mut y) = (p.lon(), p.lat());
        if self.wraps && x < 0.0 {
            x += 360.0;
        }
        if let Some(pole) = self.pole {
            // ±180° is one meridian, a seam inside the polygon: test it on the west edge, which
            // the boundary rule counts as inside.
            if x == 180.0 {
                x = -180.0;
            }
            // The pole is one point, inside the polygon closed along it; just off the pole
            // edge, all longitudes agree.
            y = match pole {
                Pole::North if y == 90.0 => f64::from_bits(90f64.to_bits() - 1),
                Pole::South if y == -90.0 => f64::from_bits((-90f64).to_bits() - 1),
                _ => y,
            };
        }
        Coord { x, y }
    }
}

impl PreparedPolygon {
    /// The closed rings, exterior first, in the (possibly shifted) plane.
    pub(crate) fn rings(&self) -> &[Vec<Coord<f64>>] {
        &self.rings
    }

    #[inline]
    pub(crate) fn contains(&self, p: LonLat) -> bool {
        let p = self.plane.point(p);
        let [x0, y0, x1, y1] = self.bbox;
        if p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1 {
            return false;
        }
        let mut inside = false;
        for ring in &self.rings {
            inside ^= ring_crossings_odd(ring, p);
        }
        inside
    }
}

/// The half-open crossing test: counts the edges strictly east of `p` on a ray going east,
/// taking each edge's lower end as inside its y-range and its upper end as outside. Orientation
/// uses exact (robust) arithmetic, so the outcome does not depend on an edge's direction and
/// neighbours sharing an edge always agree.
#[inline]
fn ring_crossings_odd(ring: &[Coord<f64>], p: Coord<f64>) -> bool {
    let mut odd = false;
    for w in ring.windows(2) {
        odd ^= edge_crosses(w[0], w[1], p);
    }
    odd
}

/// Whether the edge `a`–`b` counts as a crossing of the ray going east from `p` under the
/// half-open rule above. The crossing parity of a ring is the XOR of this over its edges, so
/// any subset of edges that holds every edge whose y-range contains `p.y` gives the same parity
/// (what the territory index's edge bands rely on).
#[inline]
pub(crate) fn edge_crosses(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    if (a.y <= p.y) == (b.y <= p.y) {
        return false;
    }
    if p.x < a.x && p.x < b.x {
        true
    } else if p.x > a.x && p.x > b.x {
        false
    } else {
        let (lo, hi) = if a.y <= b.y { (a, b) } else { (b, a) };
        RobustKernel::orient2d(lo, hi, p) == Orientation::CounterClockwise
    }
}

impl Region {
    /// From coordinates in the GeoJSON `MultiPolygon` layout: polygons → rings (exterior first,
    /// then holes) → `[lon, lat]` positions, each ring closed (first = last).
    pub fn from_coords(polygons: &[Vec<Vec<[f64; 2]>>]) -> Result<Self, SpatialError> {
        Self::build(coords_rings(polygons), true)
    }

    /// As [`Region::from_coords`], but rings that cross themselves or each other are accepted
    /// (and listed by [`Region::accepted_crossings`]): the area is then what the even-odd rule
    /// makes of them. For importing real boundary files, where snapping to a grid leaves tiny
    /// loops (5 of the 3,231 Census county polygons); use the strict form for user drawings.
    pub fn from_coords_lenient(polygons: &[Vec<Vec<[f64; 2]>>]) -> Result<Self, SpatialError> {
        Self::build(coords_rings(polygons), false)
    }

    /// From one geo polygon. geo closes rings itself, so `UnclosedRing` cannot occur here.
    pub fn from_polygon(polygon: &Polygon<f64>) -> Result<Self, SpatialError> {
        Self::build(std::iter::once(geo_rings(polygon)), true)
    }

    /// From a geo multipolygon. Its polygons are assumed not to overlap (not checked).
    pub fn from_multi_polygon(mp: &MultiPolygon<f64>) -> Result<Self, SpatialError> {
        Self::build(mp.0.iter().map(geo_rings), true)
    }

    /// The crossings a lenient constructor accepted, as the errors the strict one would give.
    pub fn accepted_crossings(&self) -> &[SpatialError] {
        &self.crossings
    }

    fn build(
        polygons: impl Iterator<Item = Vec<Vec<Coord<f64>>>>,
        strict: bool,
    ) -> Result<Self, SpatialError> {
        let mut region = Self {
            parts: Vec::new(),
            collapsed: Vec::new(),
            spikes: 0,
            crossings: Vec::new(),
        };
        let mut count = 0;
        for (pi, rings) in polygons.enumerate() {
            count += 1;
            let crossings = if strict {
                None
            } else {
                Some(&mut region.crossings)
            };
            if let Some(part) = prepare_polygon(
                pi,
                rings,
                &mut region.collapsed,
                &mut region.spikes,
                crossings,
            )? {
                region.parts.push(part);
            }
        }
        if count == 0 {
            return Err(SpatialError::EmptyGeometry);
        }
        Ok(region)
    }

    /// True when every ring collapsed (see [`Region::collapsed_rings`]): the region contains
    /// no point. Callers taking user drawings will usually refuse such a region.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Rings, as (polygon, ring) indexes, that were dropped because they have fewer than three
    /// distinct positions and so enclose nothing (a dropped exterior drops its polygon).
    /// Boundary data snapped to a grid has them: 22 in the Census county file.
    pub fn collapsed_rings(&self) -> &[(usize, usize)] {
        &self.collapsed
    }

    /// How many spike vertices were removed: where a ring runs out and straight back along
    /// itself (a → b → c with c on the segment a–b). A spike encloses nothing, so removing it
    /// leaves the area unchanged; grid-snapped boundary data has them (21 Census counties).
    pub fn spikes_removed(&self) -> usize {
        self.spikes
    }

    /// Whether `p` lies in the region (boundary rule in the module docs).
    #[inline]
    pub fn contains(&self, p: LonLat) -> bool {
        self.parts.iter().any(|part| part.contains(p))
    }

    /// The region as a geo multipolygon, with longitudes back in -180..=180.
    pub fn to_multi_polygon(&self) -> MultiPolygon<f64> {
        MultiPolygon(
            self.parts
                .iter()
                .map(|part| {
                    let mut rings = part.rings.iter().map(|r| {
                        LineString(
                            r.iter()
                                .map(|c| Coord {
                                    x: if c.x > 180.0 { c.x - 360.0 } else { c.x },
                                    y: c.y,
                                })
                                .collect(),
                        )
                    });
                    let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
                    Polygon::new(exterior, rings.collect())
                })
                .collect(),
        )
    }

    /// The smallest lon/lat box around the region; its `west > east` when it crosses the antimeridian.
    pub fn bounding_box(&self) -> super::LonLatBox {
        let (mut south, mut north) = (f64::INFINITY, f64::NEG_INFINITY);
        // Longitude extent in the shifted plane 0..540 is awkward; gather intervals instead.
        let mut intervals: Vec<(f64, f64)> = Vec::with_capacity(self.parts.len() * 2);
        for part in &self.parts {
            let [x0, y0, x1, y1] = part.bbox;
            south = south.min(y0);
            north = north.max(y1);
            if part.plane.wraps && x1 > 180.0 {
                if x0 >= 180.0 {
                    intervals.push((x0 - 360.0, x1 - 360.0));
                } else {
                    intervals.push((x0, 180.0));
                    intervals.push((-180.0, x1 - 360.0));
                }
            } else {
                intervals.push((x0, x1));
            }
        }
        let (west, east) = super::bbox::smallest_lon_cover(&mut intervals);
        super::LonLatBox::from_valid(west, south, east, north)
    }
}

fn coords_rings(
    polygons: &[Vec<Vec<[f64; 2]>>],
) -> impl Iterator<Item = Vec<Vec<Coord<f64>>>> + '_ {
    polygons.iter().map(|rings| {
        rings
            .iter()
            .map(|r| r.iter().map(|&[x, y]| Coord { x, y }).collect())
            .collect()
    })
}

fn geo_rings(p: &Polygon<f64>) -> Vec<Vec<Coord<f64>>> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| r.0.clone())
        .collect()
}

/// A ring's positions, each with its index in the caller's ring (for error messages).
type Ring = Vec<(Coord<f64>, usize)>;

/// Validates one polygon; `None` when its exterior collapsed.
fn prepare_polygon(
    pi: usize,
    rings: Vec<Vec<Coord<f64>>>,
    collapsed: &mut Vec<(usize, usize)>,
    spikes: &mut usize,
    accept_crossings: Option<&mut Vec<SpatialError>>,
) -> Result<Option<PreparedPolygon>, SpatialError> {
    if rings.is_empty() {
        return Err(SpatialError::TooFewPoints {
            polygon: pi,
            ring: 0,
            len: 0,
        });
    }
    let mut wraps = false;
    let mut pole = None;
    let mut kept: Vec<(usize, Ring)> = Vec::with_capacity(rings.len());
    for (ri, ring) in rings.into_iter().enumerate() {
        if ring.len() < 4 {
            return Err(SpatialError::TooFewPoints {
                polygon: pi,
                ring: ri,
                len: ring.len(),
            });
        }
        for (ci, c) in ring.iter().enumerate() {
            LonLat::new(c.x, c.y).map_err(|source| SpatialError::InvalidCoord {
                polygon: pi,
                ring: ri,
                coord: ci,
                source,
            })?;
        }
        if ring[0] != ring[ring.len() - 1] {
            return Err(SpatialError::UnclosedRing {
                polygon: pi,
                ring: ri,
            });
        }
        let (ring, removed) = without_spikes(&ring);
        *spikes += removed;
        if ring.len() >= 4 {
            for w in ring.windows(2) {
                let (a, b) = (w[0].0, w[1].0);
                if (b.x - a.x).abs() > 180.0 {
                    match pole_along(a, b) {
                        Some(p) => pole = Some(p),
                        None => wraps = true,
                    }
                }
            }
            kept.push((ri, ring));
        } else {
            collapsed.push((pi, ri));
        }
    }
    if kept.first().is_none_or(|(ri, _)| *ri != 0) {
        // The exterior collapsed: nothing of the polygon remains.
        if let Some(&(_, 0)) = collapsed.last() {
            collapsed.extend(kept.iter().map(|(ri, _)| (pi, *ri)));
        }
        return Ok(None);
    }
    let mut rings = kept;
    // A ring around a pole covers every longitude already: it is read as drawn.
    let wraps = wraps && pole.is_none();
    if wraps {
        for (_, ring) in rings.iter_mut() {
            for (c, _) in ring.iter_mut() {
                if c.x < 0.0 {
                    c.x += 360.0;
                }
            }
        }
    }
    match (check_simple(pi, &rings), accept_crossings) {
        (Ok(()), _) => {}
        (Err(e), Some(accepted)) => accepted.push(e),
        (Err(e), None) => return Err(e),
    }
    let rings: Vec<(usize, Vec<Coord<f64>>)> = rings
        .into_iter()
        .map(|(ri, r)| (ri, r.into_iter().map(|(c, _)| c).collect()))
        .collect();
    let exterior = &rings[0].1;
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in exterior {
        bbox = [
            bbox[0].min(c.x),
            bbox[1].min(c.y),
            bbox[2].max(c.x),
            bbox[3].max(c.y),
        ];
    }
    // Each hole must lie inside the exterior: test a vertex of the hole not on the exterior.
    for (ri, hole) in rings.iter().skip(1) {
        let outside = hole.iter().find_map(|&v| {
            if on_ring(exterior, v) {
                None
            } else {
                Some(!ring_crossings_odd(exterior, v))
            }
        });
        if outside == Some(true) {
            return Err(SpatialError::HoleOutsideExterior {
                polygon: pi,
                ring: *ri,
            });
        }
    }
    Ok(Some(PreparedPolygon {
        rings: rings.into_iter().map(|(_, r)| r).collect(),
        bbox,
        plane: Plane { wraps, pole },
    }))
}

/// The pole an edge runs along, when it goes along latitude ±90 across more than half the
/// longitudes: the usual way world datasets close a polygon around a pole.
fn pole_along(a: Coord<f64>, b: Coord<f64>) -> Option<Pole> {
    match (a.y, b.y) {
        (90.0, 90.0) => Some(Pole::North),
        (-90.0, -90.0) => Some(Pole::South),
        _ => None,
    }
}

/// The closed ring with repeated positions and spikes removed, each position paired with its
/// index in the caller's ring; and how many spike vertices went. Fewer than 4 positions left
/// means the ring encloses nothing.
fn without_spikes(ring: &[Coord<f64>]) -> (Vec<(Coord<f64>, usize)>, usize) {
    let folds = |a: Coord<f64>, b: Coord<f64>, c: Coord<f64>| {
        RobustKernel::orient2d(a, b, c) == Orientation::Collinear
            && (b.x - a.x) * (c.x - b.x) + (b.y - a.y) * (c.y - b.y) < 0.0
    };
    let mut removed = 0;
    let mut out: Vec<(Coord<f64>, usize)> = Vec::with_capacity(ring.len());
    for (i, &p) in ring[..ring.len() - 1].iter().enumerate() {
        if out.last().is_some_and(|l| l.0 == p) {
            continue;
        }
        out.push((p, i));
        while out.len() >= 3 {
            let k = out.len();
            if !folds(out[k - 3].0, out[k - 2].0, out[k - 1].0) {
                break;
            }
            out.remove(k - 2);
            removed += 1;
            if out[k - 3].0 == out[k - 2].0 {
                out.pop();
            }
        }
    }
    // The seam between the last and the first position.
    loop {
        let k = out.len();
        if k < 3 {
            break;
        }
        if out[0].0 == out[k - 1].0 {
            out.pop();
        } else if folds(out[k - 2].0, out[k - 1].0, out[0].0) {
            out.pop();
            removed += 1;
        } else if folds(out[k - 1].0, out[0].0, out[1].0) {
            out.remove(0);
            removed += 1;
        } else {
            break;
        }
    }
    if out.len() < 3 {
        return (Vec::new(), removed);
    }
    out.push(out[0]);
    (out, removed)
}

fn on_ring(ring: &[Coord<f64>], p: Coord<f64>) -> bool {
    ring.windows(2).any(|w| on_segment(w[0], w[1], p))
}

fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    RobustKernel::orient2d(a, b, p) == Orientation::Collinear && in_box(a, b, p)
}

fn in_box(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

/// How two segments meet.
#[derive(Debug, PartialEq)]
enum Contact {
    None,
    /// They share exactly one point.
    Point,
    /// They cross at an interior point of both, or overlap along a line.
    Cross,
}

fn contact(p1: Coord<f64>, p2: Coord<f64>, q1: Coord<f64>, q2: Coord<f64>) -> Contact {
    use Orientation::Collinear;
    let o1 = RobustKernel::orient2d(p1, p2, q1);
    let o2 = RobustKernel::orient2d(p1, p2, q2);
    let o3 = RobustKernel::orient2d(q1, q2, p1);
    let o4 = RobustKernel::orient2d(q1, q2, p2);
    if o1 == Collinear && o2 == Collinear {
        // Collinear: compare their extents along the longer axis.
        let key = |c: Coord<f64>| {
            if (p2.x - p1.x).abs() >= (p2.y - p1.y).abs() {
                c.x
            } else {
                c.y
            }
        };
        let (a0, a1) = (key(p1).min(key(p2)), key(p1).max(key(p2)));
        let (b0, b1) = (key(q1).min(key(q2)), key(q1).max(key(q2)));
        let lo = a0.max(b0);
        let hi = a1.min(b1);
        return if lo < hi {
            Contact::Cross
        } else if lo == hi {
            Contact::Point
        } else {
            Contact::None
        };
    }
    if o1 != Collinear
        && o2 != Collinear
        && o1 != o2
        && o3 != Collinear
        && o4 != Collinear
        && o3 != o4
    {
        return Contact::Cross;
    }
    let touches = (o1 == Collinear && in_box(p1, p2, q1))
        || (o2 == Collinear && in_box(p1, p2, q2))
        || (o3 == Collinear && in_box(q1, q2, p1))
        || (o4 == Collinear && in_box(q1, q2, p2));
    if touches {
        Contact::Point
    } else {
        Contact::None
    }
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    ring: usize,
    /// The caller's edge index (edge `i` starts at coordinate `i`).
    orig: usize,
    a: Coord<f64>,
    b: Coord<f64>,
}

fn edges_of(rings: &[(usize, Ring)]) -> Vec<Edge> {
    rings
        .iter()
        .flat_map(|(ri, ring)| {
            ring.windows(2).map(move |w| Edge {
                ring: *ri,
                orig: w[0].1,
                a: w[0].0,
                b: w[1].0,
            })
        })
        .collect()
}

/// The error two edges of polygon `pi` make, if they cross or overlap along a line.
fn crossing_error(pi: usize, e: &Edge, f: &Edge) -> Option<SpatialError> {
    // Adjacent edges share an end and fail only by folding back along each other; other edges
    // may touch at a point (see `check_simple`) but not cross.
    if contact(e.a, e.b, f.a, f.b) != Contact::Cross {
        return None;
    }
    Some(if e.ring == f.ring {
        SpatialError::SelfIntersection {
            polygon: pi,
            ring: e.ring,
            edge_a: e.orig.min(f.orig),
            edge_b: e.orig.max(f.orig),
        }
    } else {
        let (first, second) = if e.ring < f.ring { (e, f) } else { (f, e) };
        SpatialError::RingsCross {
            polygon: pi,
            ring_a: first.ring,
            edge_a: first.orig,
            ring_b: second.ring,
            edge_b: second.orig,
        }
    })
}

/// No two edges of a polygon (of one ring or of two) may cross or overlap along a line;
/// adjacent edges may not fold back along each other. Touching at a single point is allowed,
/// within a ring and between rings: real boundary data has rings that pinch at a vertex (the
/// Census county file has them), and the even-odd containment test is well defined for them.
/// This is laxer than OGC validity (geo's `Validation`), which rejects such rings, and it is
/// exactly what containment needs.
///
/// A Shamos–Hoey sweep: a vertical line moves west to east over the edges' ends, keeping the
/// edges it cuts in their south-to-north order; the first crossing is always between two edges
/// that are next to each other in that order at some moment, so only those pairs are compared:
/// O(n log n) comparisons, whatever the shape. Orders come from the robust orientation
/// predicate, never from computed intersections. The sweep this replaced compared every pair
/// of edges whose x-ranges overlap, which a comb-shaped outline makes quadratic (80,000 edges:
/// seconds; an R-tree of edge boxes fails the same way on long, nearly parallel strokes); both
/// are measured in docs/planning.md.
fn check_simple(pi: usize, rings: &[(usize, Ring)]) -> Result<(), SpatialError> {
    let edges: Vec<SweepEdge> = edges_of(rings)
        .into_iter()
        .filter(|e| e.a != e.b)
        .map(SweepEdge::new)
        .collect();
    // Ends before starts at the same point: edges that only meet there are never compared.
    let mut events: Vec<(Coord<f64>, bool, usize)> = Vec::with_capacity(edges.len() * 2);
    for (i, e) in edges.iter().enumerate() {
        events.push((e.left, true, i));
        events.push((e.right, false, i));
    }
    events.sort_unstable_by(|x, y| lexicographic(x.0, y.0).then(x.1.cmp(&y.1)));
    let mut active = Status::default();
    let check = |i: usize, j: usize| match crossing_error(pi, &edges[i].edge, &edges[j].edge) {
        Some(error) => Err(error),
        None => Ok(()),
    };
    for (_, starts, i) in events {
        let at = active.first_not(|j| status_order(&edges[j], &edges[i]).is_lt());
        if starts {
            let (below, above) = (active.before(at), active.at(at));
            active.insert(at, i);
            if let Some(below) = below {
                check(below, i)?;
            }
            if let Some(above) = above {
                check(i, above)?;
            }
        } else {
            // Only an inconsistent order could hide it; then it stays (and is harmless).
            let Some(at) = active.find_from(at, i) else {
                continue;
            };
            let (below, above) = (active.before(at), active.after(at));
            active.remove(at);
            if let (Some(below), Some(above)) = (below, above) {
                check(below, above)?;
            }
        }
    }
    Ok(())
}

/// The edges the sweep line cuts, south to north, in blocks of at most [`Status::BLOCK`]: an
/// insertion or removal moves at most a block, so a comb whose 80,000 edges are all cut at
/// once costs no more than a circle (a plain sorted `Vec` moved half of them each time).
#[derive(Default)]
struct Status {
    blocks: Vec<Vec<usize>>,
}

/// A place in a [`Status`]: block and offset; `(blocks.len(), 0)` is the end.
type Place = (usize, usize);

impl Status {
    const BLOCK: usize = 512;

    /// The first place whose edge does not satisfy `below` (the edges satisfying it come
    /// first, as in `partition_point`).
    fn first_not(&self, below: impl Fn(usize) -> bool) -> Place {
        let b = self
            .blocks
            .partition_point(|block| block.last().is_some_and(|&j| below(j)));
        match self.blocks.get(b) {
            Some(block) => (b, block.partition_point(|&j| below(j))),
            None => (b, 0),
        }
    }

    fn at(&self, (b, o): Place) -> Option<usize> {
        self.blocks.get(b)?.get(o).copied()
    }

    fn before(&self, (b, o): Place) -> Option<usize> {
        if o > 0 {
            self.at((b, o - 1))
        } else {
            self.blocks.get(b.checked_sub(1)?)?.last().copied()
        }
    }

    fn after(&self, (b, o): Place) -> Option<usize> {
        let block = self.blocks.get(b)?;
        if o + 1 < block.len() {
            Some(block[o + 1])
        } else {
            self.blocks.get(b + 1)?.first().copied()
        }
    }

    /// Where `edge` is, looking from `from` on.
    fn find_from(&self, (b, o): Place, edge: usize) -> Option<Place> {
        let mut offset = o;
        for (block_index, block) in self.blocks.iter().enumerate().skip(b) {
            if let Some(found) = block[offset.min(block.len())..]
                .iter()
                .position(|&j| j == edge)
            {
                return Some((block_index, offset + found));
            }
            offset = 0;
        }
        // An inconsistent order would put it before `from`: look there too.
        self.blocks
            .iter()
            .enumerate()
            .find_map(|(bi, block)| block.iter().position(|&j| j == edge).map(|oi| (bi, oi)))
    }

    fn insert(&mut self, (b, o): Place, edge: usize) {
        let (b, o) = match self.blocks.len() {
            0 => {
                self.blocks.push(vec![edge]);
                return;
            }
            n if b == n => (n - 1, self.blocks[n - 1].len()),
            _ => (b, o),
        };
        let block = &mut self.blocks[b];
        block.insert(o, edge);
        if block.len() > 2 * Self::BLOCK {
            let tail = block.split_off(Self::BLOCK);
            self.blocks.insert(b + 1, tail);
        }
    }

    fn remove(&mut self, (b, o): Place) {
        self.blocks[b].remove(o);
        if self.blocks[b].is_empty() {
            self.blocks.remove(b);
        }
    }
}

/// An edge with its ends in sweep order (west first; south first on a vertical edge).
struct SweepEdge {
    edge: Edge,
    left: Coord<f64>,
    right: Coord<f64>,
}

impl SweepEdge {
    fn new(edge: Edge) -> Self {
        let (left, right) = if lexicographic(edge.a, edge.b).is_le() {
            (edge.a, edge.b)
        } else {
            (edge.b, edge.a)
        };
        SweepEdge { edge, left, right }
    }
}

fn lexicographic(a: Coord<f64>, b: Coord<f64>) -> std::cmp::Ordering {
    a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y))
}

/// South-to-north order of two edges the sweep line cuts at once, from where the later-starting
/// one starts (or, if that is on the other's line, ends) relative to the earlier one's line.
/// Edges on one line compare equal (they then overlap, which the caller's check reports).
fn status_order(a: &SweepEdge, b: &SweepEdge) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if lexicographic(a.left, b.left).is_gt() {
        return status_order(b, a).reverse();
    }
    let side = match RobustKernel::orient2d(a.left, a.right, b.left) {
        Orientation::Collinear => RobustKernel::orient2d(a.left, a.right, b.right),
        side => side,
    };
    match side {
        Orientation::CounterClockwise => Less,
        Orientation::Clockwise => Greater,
        Orientation::Collinear => Equal,
    }
}

/// The edge numbers an error names.
#[cfg(test)]
fn error_edges(error: &SpatialError) -> (usize, usize) {
    match *error {
        SpatialError::SelfIntersection { edge_a, edge_b, .. }
        | SpatialError::RingsCross { edge_a, edge_b, .. } => (edge_a, edge_b),
        _ => (usize::MAX, usize::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
        vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    }

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn boundary_points_go_to_the_area_east_or_north_of_them() {
        let west = Region::from_coords(&[vec![square(0.0, 0.0, 1.0, 1.0)]]).unwrap();
        let east = Region::from_coords(&[vec![square(1.0, 0.0, 2.0, 1.0)]]).unwrap();
        let north = Region::from_coords(&[vec![square(0.0, 1.0, 1.0, 2.0)]]).unwrap();
        // On the shared north–south edge: east of it.
        assert!(!west.contains(ll(1.0, 0.5)) && east.contains(ll(1.0, 0.5)));
        // On the shared east–west edge: north of it.
        assert!(!west.contains(ll(0.5, 1.0)) && north.contains(ll(0.5, 1.0)));
        // The shared corner belongs to exactly one of the three (plus the missing fourth quadrant).
        let owners = [&west, &east, &north]
            .iter()
            .filter(|r| r.contains(ll(1.0, 1.0)))
            .count();
        assert!(owners <= 1);
        assert!(west.contains(ll(0.0, 0.0)) && west.contains(ll(0.5, 0.5)));
    }

    #[test]
    fn holes_are_excluded() {
        let r = Region::from_coords(&[vec![
            square(0.0, 0.0, 10.0, 10.0),
            square(2.0, 2.0, 4.0, 4.0),
        ]])
        .unwrap();
        assert!(r.contains(ll(1.0, 1.0)));
        assert!(!r.contains(ll(3.0, 3.0)));
        assert!(r.contains(ll(5.0, 5.0)));
    }

    #[test]
    fn invalid_rings_are_reported_with_their_position() {
        let err =
            Region::from_coords(&[vec![vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]]]).unwrap_err();
        assert_eq!(
            err,
            SpatialError::TooFewPoints {
                polygon: 0,
                ring: 0,
                len: 3
            }
        );
        let err =
            Region::from_coords(&[vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]])
                .unwrap_err();
        assert_eq!(
            err,
            SpatialError::UnclosedRing {
                polygon: 0,
                ring: 0
            }
        );
        let err = Region::from_coords(&[square(0.0, 0.0, 1.0, 1.0)
            .into_iter()
            .map(|_| vec![])
            .collect()]);
        assert!(matches!(
            err,
            Err(SpatialError::TooFewPoints { len: 0, .. })
        ));
        let mut bad = square(0.0, 0.0, 1.0, 1.0);
        bad[2] = [1.0, 91.0];
        let err = Region::from_coords(&[vec![bad]]).unwrap_err();
        assert!(
            matches!(
                err,
                SpatialError::InvalidCoord {
                    polygon: 0,
                    ring: 0,
                    coord: 2,
                    ..
                }
            ),
            "{err}"
        );
        let mut bad = square(0.0, 0.0, 1.0, 1.0);
        bad[1] = [f64::NAN, 0.0];
        let err = Region::from_coords(&[vec![bad]]).unwrap_err();
        assert!(
            matches!(err, SpatialError::InvalidCoord { coord: 1, .. }),
            "{err}"
        );
        // A bow tie: edge 0 (0,0)-(1,1) crosses edge 2 (1,0)-(0,1).
        let bow = vec![[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
        let err = Region::from_coords(&[vec![bow]]).unwrap_err();
        assert_eq!(
            err,
            SpatialError::SelfIntersection {
                polygon: 0,
                ring: 0,
                edge_a: 0,
                edge_b: 2
            }
        );
        // Edges overlapping along a line (not at a fold, which is a removable spike).
        let overlap = vec![
            [0.0, 0.0],
            [3.0, 0.0],
            [3.0, 1.0],
            [2.0, 1.0],
            [2.0, 0.0],
            [1.0, 0.0],
            [1.0, -1.0],
            [0.0, -1.0],
            [0.0, 0.0],
        ];
        assert!(matches!(
            Region::from_coords(&[vec![overlap]]).unwrap_err(),
            SpatialError::SelfIntersection {
                polygon: 0,
                ring: 0,
                ..
            }
        ));
        // A hole crossing the exterior, and one outside it.
        let err =
            Region::from_coords(&[vec![square(0.0, 0.0, 2.0, 2.0), square(1.0, 1.0, 3.0, 3.0)]])
                .unwrap_err();
        assert!(
            matches!(
                err,
                SpatialError::RingsCross {
                    ring_a: 0,
                    ring_b: 1,
                    ..
                }
            ),
            "{err}"
        );
        let err =
            Region::from_coords(&[vec![square(0.0, 0.0, 2.0, 2.0), square(5.0, 5.0, 6.0, 6.0)]])
                .unwrap_err();
        assert_eq!(
            err,
            SpatialError::HoleOutsideExterior {
                polygon: 0,
                ring: 1
            }
        );
        assert_eq!(
            Region::from_coords(&[]).unwrap_err(),
            SpatialError::EmptyGeometry
        );
    }

    #[test]
    fn collapsed_rings_are_dropped_and_reported() {
        let dot = vec![[5.0, 5.0]; 4];
        let spike = vec![[1.0, 1.0], [2.0, 2.0], [1.0, 1.0], [1.0, 1.0]];
        let r = Region::from_coords(&[
            vec![square(0.0, 0.0, 10.0, 10.0), dot.clone()],
            vec![spike.clone()],
        ])
        .unwrap();
        assert_eq!(r.collapsed_rings(), &[(0, 1), (1, 0)]);
        assert!(r.contains(ll(5.0, 5.0)) && !r.is_empty());
        let r = Region::from_coords(&[vec![dot]]).unwrap();
        assert!(r.is_empty() && !r.contains(ll(5.0, 5.0)));
    }

    #[test]
    fn spikes_are_removed_without_changing_the_area() {
        // Out to (2,0) and back to (1,0) along the same line, and a spike at the seam.
        let ring = vec![
            [1.0, 0.0],
            [2.0, 0.0],
            [1.5, 0.0],
            [1.5, 1.0],
            [0.0, 1.0],
            [0.0, 0.0],
            [-1.0, 0.0],
            [0.0, 0.0],
            [1.0, 0.0],
        ];
        let r = Region::from_coords(&[vec![ring]]).unwrap();
        assert_eq!(r.spikes_removed(), 2);
        assert!(r.contains(ll(0.5, 0.5)) && !r.contains(ll(1.7, 0.5)));
        let err =
            Region::from_coords(&[vec![vec![[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [0.0, 0.0]]]])
                .unwrap();
        assert!(err.is_empty(), "a ring along one line encloses nothing");
    }

    #[test]
    fn repeated_positions_are_tolerated() {
        let ring = vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [0.0, 1.0],
            [0.0, 0.0],
        ];
        let r = Region::from_coords(&[vec![ring]]).unwrap();
        assert!(r.contains(ll(0.5, 0.5)));
    }

    #[test]
    fn polygons_across_the_antimeridian_work_as_drawn() {
        let ring = vec![
            [170.0, -10.0],
            [-170.0, -10.0],
            [-170.0, 10.0],
            [170.0, 10.0],
            [170.0, -10.0],
        ];
        let r = Region::from_coords(&[vec![ring]]).unwrap();
        assert!(r.contains(ll(175.0, 0.0)));
        assert!(r.contains(ll(-175.0, 0.0)));
        assert!(r.contains(ll(180.0, 0.0)) && r.contains(ll(-180.0, 0.0)));
        assert!(!r.contains(ll(0.0, 0.0)));
        assert!(!r.contains(ll(-160.0, 0.0)));
        let b = r.bounding_box();
        assert_eq!((b.west(), b.east()), (170.0, -170.0));
    }

    #[test]
    fn geo_polygons_are_accepted() {
        let p = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]),
            vec![],
        );
        let r = Region::from_polygon(&p).unwrap();
        assert!(r.contains(ll(2.0, 2.0)));
        assert_eq!(r.to_multi_polygon().0[0], p);
    }

    /// The brute-force reference: every pair of edges.
    fn check_simple_by_all_pairs(pi: usize, rings: &[(usize, Ring)]) -> Result<(), SpatialError> {
        let edges = edges_of(rings);
        for (i, e) in edges.iter().enumerate() {
            for f in &edges[i + 1..] {
                if let Some(error) = crossing_error(pi, e, f) {
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    fn closed_ring(points: &[(i32, i32)]) -> Ring {
        let mut ring: Ring = points
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| {
                (
                    Coord {
                        x: f64::from(x),
                        y: f64::from(y),
                    },
                    i,
                )
            })
            .collect();
        ring.push((ring[0].0, points.len()));
        ring
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 6000, failure_persistence: None, ..Default::default()
        })]

        /// Small integer grids make crossings, shared vertices, collinear overlaps and
        /// fold-backs common, which is where the two could disagree.
        #[test]
        fn the_sweep_finds_a_crossing_exactly_when_all_pairs_do(
            outer in proptest::collection::vec((0..6i32, 0..6i32), 3..10),
            hole in proptest::collection::vec((0..6i32, 0..6i32), 0..6),
        ) {
            let mut rings = vec![(0, closed_ring(&outer))];
            if hole.len() >= 3 {
                rings.push((1, closed_ring(&hole)));
            }
            let fast = check_simple(0, &rings);
            let reference = check_simple_by_all_pairs(0, &rings);
            proptest::prop_assert_eq!(fast.is_ok(), reference.is_ok(), "{:?} vs {:?}", fast, reference);
            if let Err(error) = fast {
                // What it names is a real crossing.
                let edges = edges_of(&rings);
                let named = edges.iter().filter(|e| {
                    let (a, b) = error_edges(&error);
                    e.orig == a || e.orig == b
                });
                proptest::prop_assert!(named.count() >= 2, "{:?}", error);
            }
        }
    }

    #[test]
    fn a_comb_of_many_edges_is_checked_without_comparing_every_pair() {
        // 2,000 teeth: every edge spans the full width, so x-ranges all overlap.
        let mut points = Vec::new();
        for i in 0..2_000 {
            points.push((0, 2 * i));
            points.push((100, 2 * i + 1));
        }
        points.push((-1, 4_000));
        points.push((-1, 0));
        let rings = vec![(0, closed_ring(&points))];
        assert_eq!(check_simple(0, &rings), Ok(()));
        assert_eq!(check_simple_by_all_pairs(0, &rings), Ok(()));
    }
}
