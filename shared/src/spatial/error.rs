//! The one error type of the spatial engine. Every variant names what is wrong and where
//! (polygon, ring and coordinate indexes start at 0), so an API can point at the field.

use crate::CoordError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpatialError {
    /// A coordinate of a polygon is not a valid WGS84 position.
    #[error("polygon {polygon}, ring {ring}, coordinate {coord}: {source}")]
    InvalidCoord {
        polygon: usize,
        ring: usize,
        coord: usize,
        source: CoordError,
    },
    /// A ring needs at least four positions (three distinct corners plus the closing repeat).
    #[error(
        "polygon {polygon}, ring {ring} has {len} positions; a ring needs at least 4 (first = last)"
    )]
    TooFewPoints {
        polygon: usize,
        ring: usize,
        len: usize,
    },
    /// A ring's last position differs from its first.
    #[error(
        "polygon {polygon}, ring {ring} is not closed: its last position differs from its first"
    )]
    UnclosedRing { polygon: usize, ring: usize },
    /// Two edges of one ring cross or overlap along a line (edge `i` runs from coordinate `i`
    /// to `i + 1`); touching at a point is allowed.
    #[error(
        "polygon {polygon}, ring {ring} intersects itself: edge {edge_a} crosses or overlaps edge {edge_b}"
    )]
    SelfIntersection {
        polygon: usize,
        ring: usize,
        edge_a: usize,
        edge_b: usize,
    },
    /// Two rings of one polygon cross or overlap along a line (touching at a point is allowed).
    #[error("polygon {polygon}: ring {ring_a} edge {edge_a} crosses ring {ring_b} edge {edge_b}")]
    RingsCross {
        polygon: usize,
        ring_a: usize,
        edge_a: usize,
        ring_b: usize,
        edge_b: usize,
    },
    /// A hole (ring ≥ 1) lies outside its polygon's exterior ring.
    #[error("polygon {polygon}: hole ring {ring} lies outside the exterior ring")]
    HoleOutsideExterior { polygon: usize, ring: usize },
    /// A geometry with no polygon at all.
    #[error("the geometry has no polygon")]
    EmptyGeometry,
    /// A distance that is negative, NaN or infinite.
    #[error("distance {0} m is not a finite, non-negative number")]
    InvalidDistance(f64),
    /// A bounding box whose south edge lies north of its north edge.
    #[error("bounding box south {south} is north of north {north}")]
    InvertedBox { south: f64, north: f64 },
    /// A route leg between antipodal positions has no unique shortest great circle.
    #[error("route leg {leg} joins antipodal positions; its great circle is not unique")]
    AntipodalLeg { leg: usize },
    /// A point id that is already in the index.
    #[error("point {0} is already in the index")]
    DuplicatePoint(i64),
    /// A point id that is not in the index.
    #[error("point {0} is not in the index")]
    UnknownPoint(i64),
    /// Two territories with the same id.
    #[error("territory {0} appears twice")]
    DuplicateTerritory(i64),
    /// A territory's geometry is invalid; `source` says how.
    #[error("territory {id}: {source}")]
    InvalidTerritory {
        id: i64,
        #[source]
        source: Box<SpatialError>,
    },
}
