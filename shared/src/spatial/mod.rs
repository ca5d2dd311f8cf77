//! The spatial engine: a geodesic point index for customers and prospects, and a territory index
//! that assigns points to the polygons reps own. Pure computation, no I/O, so it runs in the
//! server and in the browser alike. `docs/spatial.md` describes the design and its figures.
//!
//! - Distances are great-circle metres on a sphere of mean Earth radius ([`EARTH_RADIUS_M`], the
//!   sphere of geo's `Haversine`); names carry the unit (`radius_m`, `distance_m`).
//! - Points are indexed as 3-D unit vectors, so nearest and radius queries are exact on the
//!   sphere, across the antimeridian and at the poles.
//! - Areas are polygons in lon/lat with planar containment (the convention for administrative
//!   boundaries); see [`Region`] for the boundary rule.

mod bbox;
#[cfg(feature = "clusters")]
pub mod clusters;
mod error;
mod points;
mod region;
pub mod sphere;
mod territory;

pub use bbox::LonLatBox;
pub use error::SpatialError;
pub use points::{
    CHORD_SLACK, Filter, Hit, IndexedPoint, OwnerFilter, PointAttrs, PointFilter, PointIndex,
    RouteHit, distance_to_leg_m,
};
pub use region::Region;
pub use sphere::{EARTH_RADIUS_M, haversine_m};
pub use territory::{AssignmentReport, Overlap, Territory, TerritoryIndex};

/// Brute-force versions of every query, for tests and for checking the index in production
/// code paths that want certainty over speed.
pub mod scan;
