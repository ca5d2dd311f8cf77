//! Territory planning, pure: validating a proposed set of territories (self-intersections,
//! overlaps, gaps, each with the place to point at), assigning accounts to the territory that
//! contains them (and so to its rep), and balancing territories between reps by growing and
//! refining districts of small building blocks ("atoms"). No I/O; `docs/planning.md` describes
//! the methods and the measured figures.

mod assign;
mod atoms;
mod balance;
mod draft;
mod validate;

pub use assign::{AccountPoint, AutoAssignment, Reassignment, auto_assign};
pub use atoms::{
    GridAtoms, cells_multipolygon, connect_components, grid_atoms, shared_edge_adjacency,
};
pub use balance::{
    Atom, BalanceError, BalanceOptions, BalanceResult, Load, Measure, Projection, VisitModel,
    balance, coefficient_of_variation, match_districts, spread,
};
pub use draft::{
    Draft, DraftTerritory, ImportError, RepTotals, Spreads, Totals, TotalsComparison,
    compare_totals, feature_label, plan_territories, territories_from_geojson, totals_by_owner,
    validate_draft,
};
pub use validate::{PlanTerritory, Problem, ProblemKind, Severity, validate};

/// GeoJSON-layout coordinates of a multipolygon: polygons → rings → `[lon, lat]`.
pub type Coords = Vec<Vec<Vec<[f64; 2]>>>;

/// The coordinates of a multipolygon in GeoJSON layout.
pub fn coords(mp: &geo::MultiPolygon<f64>) -> Coords {
    mp.0.iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                .collect()
        })
        .collect()
}

/// A multipolygon as a GeoJSON geometry: a `Polygon` when it has one part.
pub fn geometry(mp: &geo::MultiPolygon<f64>) -> serde_json::Value {
    match coords(mp).as_slice() {
        [one] => serde_json::json!({ "type": "Polygon", "coordinates": one }),
        polygons => serde_json::json!({ "type": "MultiPolygon", "coordinates": polygons }),
    }
}
