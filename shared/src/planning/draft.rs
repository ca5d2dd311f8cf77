//! Drafts as the API and the planner page exchange them, and the pure parts of previewing one:
//! reading its territories for validation, and each rep's totals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::balance::{Load, Measure, Projection, VisitModel};
use super::validate::{PlanTerritory, Problem, ProblemKind, Severity};
use crate::LonLat;
use crate::account::ValidationError;
use crate::geojson::area_coordinates;

/// A territory in a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftTerritory {
    /// The published territory this one replaces; `None` for a new one. Published territories
    /// a draft does not list are deleted when it is published.
    #[serde(default)]
    pub id: Option<i64>,
    pub name: String,
    /// The rep who will own it (and its accounts).
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// A GeoJSON Polygon or MultiPolygon.
    pub geometry: Value,
}

/// A proposed territory set, based on a published revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub id: i64,
    pub name: String,
    /// The published revision the draft started from; publishing needs it to be current.
    pub base_revision: i64,
    /// `open` or `published`.
    pub status: String,
    pub territories: Vec<DraftTerritory>,
    pub created_by: Option<String>,
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The draft's territories as validation reads them; a geometry that is not a GeoJSON area
/// becomes a problem of its territory instead.
pub fn plan_territories(
    territories: &[DraftTerritory],
) -> (Vec<Option<PlanTerritory>>, Vec<Problem>) {
    let mut problems = Vec::new();
    let plans = territories
        .iter()
        .enumerate()
        .map(
            |(i, t)| match area_coordinates(&t.geometry.to_string(), "geometry") {
                Ok(polygons) => Some(PlanTerritory {
                    name: t.name.clone(),
                    polygons,
                }),
                Err(e) => {
                    problems.push(Problem {
                        kind: ProblemKind::InvalidGeometry,
                        severity: Severity::Error,
                        territories: vec![t.name.clone()],
                        indexes: vec![i],
                        message: format!("{}: {}", t.name, e.message),
                        location: None,
                        area: None,
                        area_km2: None,
                    });
                    None
                }
            },
        )
        .collect();
    (plans, problems)
}

/// Validates a draft's territories: [`super::validate`] over those whose geometry reads, with
/// problem indexes pointing into the whole list.
pub fn validate_draft(territories: &[DraftTerritory]) -> Vec<Problem> {
    let (plans, mut problems) = plan_territories(territories);
    let positions: Vec<usize> = (0..plans.len()).filter(|&i| plans[i].is_some()).collect();
    let valid: Vec<PlanTerritory> = plans.into_iter().flatten().collect();
    for mut p in super::validate(&valid) {
        for i in &mut p.indexes {
            *i = positions[*i];
        }
        problems.push(p);
    }
    problems.sort_by_key(|p| p.severity == Severity::Warning);
    problems
}

/// Territories from a GeoJSON FeatureCollection (or one Feature) for a draft: property `name`
/// (or `NAME`, as Census files have it; else "Territory n"), optional `owner_id`. Geometries are
/// taken as they are, to be shown and validated in the draft, so a boundary file with a few
/// flawed polygons can still be imported and fixed.
pub fn territories_from_geojson(data: &[u8]) -> Result<Vec<DraftTerritory>, ValidationError> {
    let bad = |m: String| ValidationError::new("body", m);
    let value: Value = serde_json::from_slice(data).map_err(|e| bad(format!("not JSON: {e}")))?;
    let features = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => value
            .get("features")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| bad("a FeatureCollection needs a features array".into()))?,
        Some("Feature") => vec![value],
        _ => return Err(bad("not a GeoJSON FeatureCollection or Feature".into())),
    };
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let geometry = f.get("geometry").cloned().unwrap_or(Value::Null);
            if !matches!(
                geometry.get("type").and_then(Value::as_str),
                Some("Polygon" | "MultiPolygon")
            ) {
                return Err(bad(format!(
                    "feature {}: the geometry must be a Polygon or MultiPolygon",
                    i + 1
                )));
            }
            let props = f.get("properties");
            let prop = |k: &str| props.and_then(|p| p.get(k));
            let name = prop("name")
                .or_else(|| prop("NAME"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map_or_else(|| format!("Territory {}", i + 1), str::to_owned);
            let owner_id = match prop("owner_id") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_i64().filter(|id| *id > 0).ok_or_else(|| {
                    bad(format!("feature {}: owner_id must be a positive id", i + 1))
                })?),
            };
            Ok(DraftTerritory {
                id: None,
                name,
                owner_id,
                geometry,
            })
        })
        .collect()
}

/// A rep's workload under one assignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub accounts: u64,
    pub revenue_minor: i64,
    pub visit_hours: f64,
}

impl Totals {
    pub fn value(&self, measure: Measure) -> f64 {
        match measure {
            Measure::Accounts => self.accounts as f64,
            Measure::Revenue => self.revenue_minor as f64,
            Measure::VisitHours => self.visit_hours,
        }
    }
}

/// Totals per owner (`None` = no owner) of accounts given as (owner, position, revenue).
pub fn totals_by_owner(
    accounts: &[(Option<i64>, LonLat, i64)],
    model: &VisitModel,
) -> BTreeMap<Option<i64>, Totals> {
    let projection = Projection::around(accounts.iter().map(|a| [a.1.lon(), a.1.lat()]));
    let mut loads: BTreeMap<Option<i64>, (Load, i64)> = BTreeMap::new();
    for &(owner, p, revenue) in accounts {
        let atom = super::Atom {
            position: [p.lon(), p.lat()],
            area_km2: 0.0,
            accounts: 1.0,
            revenue: revenue as f64,
        };
        let entry = loads.entry(owner).or_default();
        entry.0.add(&atom, projection.km(atom.position), 1.0);
        entry.1 += revenue;
    }
    loads
        .into_iter()
        .map(|(owner, (load, revenue))| {
            (
                owner,
                Totals {
                    accounts: load.accounts.round() as u64,
                    revenue_minor: revenue,
                    visit_hours: load.visit_hours(model),
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draft_validation_points_into_the_whole_list() {
        let sq = |x: f64| json!({"type": "Polygon", "coordinates": [[[x, 0], [x + 2.0, 0], [x + 2.0, 2], [x, 2], [x, 0]]]});
        let t = |name: &str, geometry: Value| DraftTerritory {
            id: None,
            name: name.into(),
            owner_id: None,
            geometry,
        };
        let problems = validate_draft(&[
            t("Broken", json!({"type": "Point", "coordinates": [0, 0]})),
            t("A", sq(0.0)),
            t("B", sq(1.0)),
        ]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].indexes, vec![0]);
        assert_eq!(problems[1].kind, ProblemKind::Overlap);
        assert_eq!(problems[1].indexes, vec![1, 2]);
    }

    #[test]
    fn reads_features_with_census_names() {
        let file = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"NAME": "Autauga"}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}},
            {"type": "Feature", "properties": {"owner_id": 3}, "geometry": {"type": "MultiPolygon", "coordinates": []}}
        ]});
        let t = territories_from_geojson(file.to_string().as_bytes()).unwrap();
        assert_eq!(t[0].name, "Autauga");
        assert_eq!(
            (t[1].name.as_str(), t[1].owner_id),
            ("Territory 2", Some(3))
        );
        let point = json!({"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}});
        let err = territories_from_geojson(point.to_string().as_bytes()).unwrap_err();
        assert!(err.message.contains("feature 1"), "{}", err.message);
    }

    #[test]
    fn totals_count_each_owner() {
        let p = |lon, lat| LonLat::new(lon, lat).unwrap();
        let t = totals_by_owner(
            &[
                (Some(1), p(106.8, -6.2), 100),
                (Some(1), p(106.9, -6.2), 50),
                (None, p(0.0, 0.0), 7),
            ],
            &VisitModel::default(),
        );
        assert_eq!(t[&Some(1)].accounts, 2);
        assert_eq!(t[&Some(1)].revenue_minor, 150);
        assert!(t[&Some(1)].visit_hours > 2.0);
        assert_eq!(t[&None].visit_hours, 1.0);
    }
}
