//! Brute-force reference versions of the index queries: a linear scan over a slice, with the
//! same distance model, ordering and boundary rules. The property tests hold the index to
//! these; they are also fine for small sets (a few hundred points).

use super::points::{Hit, IndexedPoint, PointFilter, RouteHit, nearest_leg_per_point, route_arcs};
use super::{LonLatBox, Region, SpatialError, haversine_m};
use crate::LonLat;

fn ranked(points: &[IndexedPoint], centre: LonLat, filter: &impl PointFilter) -> Vec<Hit> {
    let mut hits: Vec<Hit> = points
        .iter()
        .filter(|p| filter.matches(p))
        .map(|&point| Hit {
            point,
            distance_m: haversine_m(centre, point.position),
        })
        .collect();
    hits.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.point.id.cmp(&b.point.id))
    });
    hits
}

pub fn nearest(
    points: &[IndexedPoint],
    centre: LonLat,
    k: usize,
    filter: impl PointFilter,
) -> Vec<Hit> {
    let mut hits = ranked(points, centre, &filter);
    hits.truncate(k);
    hits
}

pub fn within_radius(points: &[IndexedPoint], centre: LonLat, radius_m: f64) -> Vec<Hit> {
    let mut hits = ranked(points, centre, &|_: &IndexedPoint| true);
    hits.retain(|h| h.distance_m <= radius_m);
    hits
}

pub fn in_bbox(points: &[IndexedPoint], bbox: &LonLatBox) -> Vec<IndexedPoint> {
    let mut out: Vec<IndexedPoint> = points
        .iter()
        .copied()
        .filter(|p| bbox.contains(p.position))
        .collect();
    out.sort_by_key(|p| p.id);
    out
}

pub fn in_polygon(points: &[IndexedPoint], region: &Region) -> Vec<IndexedPoint> {
    let mut out: Vec<IndexedPoint> = points
        .iter()
        .copied()
        .filter(|p| region.contains(p.position))
        .collect();
    out.sort_by_key(|p| p.id);
    out
}

pub fn near_route(
    points: &[IndexedPoint],
    route: &[LonLat],
    max_distance_m: f64,
    filter: impl PointFilter,
) -> Result<Vec<RouteHit>, SpatialError> {
    let arcs = route_arcs(route)?;
    let mut found = Vec::new();
    for p in points.iter().filter(|p| filter.matches(p)) {
        for (leg, arc) in arcs.iter().enumerate() {
            let d = arc.distance_m(p.position);
            if d <= max_distance_m {
                found.push(RouteHit {
                    point: *p,
                    distance_m: d,
                    leg,
                });
            }
        }
    }
    Ok(nearest_leg_per_point(found))
}
