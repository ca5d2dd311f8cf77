//! Drafts as the API and the planner page exchange them, and the pure parts of previewing one:
//! reading its territories for validation, and each rep's totals.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::balance::{Load, Measure, Projection, VisitModel, spread};
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

/// Why a GeoJSON file cannot be imported into a draft; feature problems name the feature by its
/// position (1-based) and its `name`, so the planner finds it in the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a GeoJSON FeatureCollection or Feature")]
    NotFeatures,
    #[error("the file holds no features")]
    Empty,
    #[error("{}: the geometry must be a Polygon or MultiPolygon, not {found}", label(.index, .name))]
    NotArea {
        index: usize,
        name: Option<String>,
        found: String,
    },
    #[error("{}: owner_id must be a positive id", label(.index, .name))]
    BadOwner { index: usize, name: Option<String> },
}

impl ImportError {
    /// The feature at fault (1-based) and its name, for feature problems.
    pub fn feature(&self) -> Option<(usize, Option<&str>)> {
        match self {
            ImportError::NotArea { index, name, .. } | ImportError::BadOwner { index, name } => {
                Some((*index, name.as_deref()))
            }
            _ => None,
        }
    }
}

fn label(index: &usize, name: &Option<String>) -> String {
    feature_label(*index, name.as_deref())
}

/// "feature 3" or "feature 3 (Kuta)".
pub fn feature_label(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("feature {index} ({name})"),
        None => format!("feature {index}"),
    }
}

impl From<ImportError> for ValidationError {
    fn from(e: ImportError) -> Self {
        ValidationError::new("body", e.to_string())
    }
}

/// Territories from a GeoJSON FeatureCollection (or one Feature) for a draft: property `name`
/// (or `NAME`, as Census files have it; else "Territory n"), optional `owner_id`. Geometries are
/// taken as they are, to be shown and validated in the draft, so a boundary file with a few
/// flawed polygons can still be imported and fixed. The first feature that cannot be a
/// territory (not a Polygon/MultiPolygon, a bad `owner_id`) refuses the whole file.
pub fn territories_from_geojson(data: &[u8]) -> Result<Vec<DraftTerritory>, ImportError> {
    let value: Value =
        serde_json::from_slice(data).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let features = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => value
            .get("features")
            .and_then(Value::as_array)
            .cloned()
            .ok_or(ImportError::NotFeatures)?,
        Some("Feature") => vec![value],
        _ => return Err(ImportError::NotFeatures),
    };
    if features.is_empty() {
        return Err(ImportError::Empty);
    }
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let props = f.get("properties");
            let prop = |k: &str| props.and_then(|p| p.get(k));
            let name = prop("name")
                .or_else(|| prop("NAME"))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            let geometry = f.get("geometry").cloned().unwrap_or(Value::Null);
            let kind = geometry.get("type").and_then(Value::as_str);
            if !matches!(kind, Some("Polygon" | "MultiPolygon")) {
                return Err(ImportError::NotArea {
                    index: i + 1,
                    name,
                    found: kind.unwrap_or("no geometry").to_owned(),
                });
            }
            let owner_id = match prop("owner_id") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_i64().filter(|id| *id > 0) {
                    Some(id) => Some(id),
                    None => {
                        return Err(ImportError::BadOwner { index: i + 1, name });
                    }
                },
            };
            Ok(DraftTerritory {
                id: None,
                name: name.unwrap_or_else(|| format!("Territory {}", i + 1)),
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

/// One rep's (or "no owner"'s) workload before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepTotals {
    pub owner_id: Option<i64>,
    pub name: String,
    pub before: Totals,
    pub after: Totals,
}

/// max/min over the reps, per measure (∞ when a rep has none; JSON `null`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spreads {
    pub accounts: f64,
    pub revenue: f64,
    pub visit_hours: f64,
}

impl Spreads {
    pub fn get(&self, measure: Measure) -> f64 {
        match measure {
            Measure::Accounts => self.accounts,
            Measure::Revenue => self.revenue,
            Measure::VisitHours => self.visit_hours,
        }
    }
}

/// Each rep's totals before and after a change, and the spreads over the reps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalsComparison {
    /// `reps` first, in their order (zero totals when they hold nothing), then every other
    /// owner holding accounts before or after (`None` = no owner).
    pub reps: Vec<RepTotals>,
    pub spread_before: Spreads,
    pub spread_after: Spreads,
}

/// Compares the workloads of two assignments of the same accounts, given as (owner, position,
/// revenue) before and after; the spreads count the `reps` only; `name` names an owner.
pub fn compare_totals(
    before: &[(Option<i64>, LonLat, i64)],
    after: &[(Option<i64>, LonLat, i64)],
    model: &VisitModel,
    reps: &[i64],
    name: impl Fn(Option<i64>) -> String,
) -> TotalsComparison {
    let before = totals_by_owner(before, model);
    let after = totals_by_owner(after, model);
    let mut owners: Vec<Option<i64>> = reps.iter().map(|&id| Some(id)).collect();
    for o in before.keys().chain(after.keys()) {
        if !owners.contains(o) {
            owners.push(*o);
        }
    }
    let rows: Vec<RepTotals> = owners
        .into_iter()
        .map(|owner| RepTotals {
            owner_id: owner,
            name: name(owner),
            before: before.get(&owner).copied().unwrap_or_default(),
            after: after.get(&owner).copied().unwrap_or_default(),
        })
        .collect();
    let spreads = |after: bool| {
        let pick = |m: Measure| -> Vec<f64> {
            rows.iter()
                .filter(|r| r.owner_id.is_some_and(|id| reps.contains(&id)))
                .map(|r| if after { r.after } else { r.before }.value(m))
                .collect()
        };
        Spreads {
            accounts: spread(&pick(Measure::Accounts)),
            revenue: spread(&pick(Measure::Revenue)),
            visit_hours: spread(&pick(Measure::VisitHours)),
        }
    };
    TotalsComparison {
        spread_before: spreads(false),
        spread_after: spreads(true),
        reps: rows,
    }
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
        assert_eq!(err.feature(), Some((1, None)));
        assert!(err.to_string().starts_with("feature 1: "), "{err}");
        let named = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "Ok"}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}},
            {"type": "Feature", "properties": {"name": "Kuta"}, "geometry": {"type": "LineString", "coordinates": [[0,0],[1,1]]}}
        ]});
        let err = territories_from_geojson(named.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.feature(), Some((2, Some("Kuta"))));
        assert_eq!(
            err.to_string(),
            "feature 2 (Kuta): the geometry must be a Polygon or MultiPolygon, not LineString"
        );
        let owner = json!({"type": "Feature", "properties": {"name": "X", "owner_id": "budi"}, "geometry": {"type": "Polygon", "coordinates": []}});
        let err = territories_from_geojson(owner.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(err, ImportError::BadOwner { index: 1, .. }),
            "{err}"
        );
        let empty = json!({"type": "FeatureCollection", "features": []});
        assert_eq!(
            territories_from_geojson(empty.to_string().as_bytes()),
            Err(ImportError::Empty)
        );
        assert_eq!(
            ValidationError::from(ImportError::NotFeatures).field,
            "body"
        );
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

    #[test]
    fn comparison_lists_every_rep_and_the_spreads_over_the_reps() {
        let p = |lon, lat| LonLat::new(lon, lat).unwrap();
        let (jakarta, bogor) = (p(106.8, -6.2), p(106.8, -6.6));
        // Rep 1 holds three accounts, rep 2 one, rep 3 none; one account has no owner.
        let before = [
            (Some(1), jakarta, 10),
            (Some(1), jakarta, 10),
            (Some(1), bogor, 10),
            (Some(2), bogor, 5),
            (None, bogor, 1),
        ];
        // After: two each for reps 1 and 2, one for rep 3; a non-rep (9) takes the unowned one.
        let after = [
            (Some(1), jakarta, 10),
            (Some(1), jakarta, 10),
            (Some(2), bogor, 10),
            (Some(2), bogor, 5),
            (Some(9), bogor, 1),
        ];
        let c = compare_totals(&before, &after, &VisitModel::default(), &[3, 2, 1], |o| {
            o.map_or_else(|| "nobody".to_owned(), |id| format!("rep {id}"))
        });
        let owners: Vec<Option<i64>> = c.reps.iter().map(|r| r.owner_id).collect();
        assert_eq!(owners, vec![Some(3), Some(2), Some(1), None, Some(9)]);
        assert_eq!(c.reps[0].name, "rep 3");
        assert_eq!(c.reps[0].before, Totals::default());
        assert_eq!(c.reps[0].after, Totals::default());
        assert_eq!(
            (c.reps[1].before.accounts, c.reps[1].after.accounts),
            (1, 2)
        );
        assert_eq!(
            (
                c.reps[2].before.revenue_minor,
                c.reps[2].after.revenue_minor
            ),
            (30, 20)
        );
        assert_eq!(c.reps[3].name, "nobody");
        // Rep 3 holds nothing: the spread is infinite before and after; the non-rep 9 and the
        // unowned account do not count.
        assert_eq!(c.spread_before.accounts, f64::INFINITY);
        let two = compare_totals(&before, &after, &VisitModel::default(), &[1, 2], |_| {
            String::new()
        });
        assert_eq!(two.spread_before.get(Measure::Accounts), 3.0);
        assert_eq!(two.spread_after.get(Measure::Accounts), 1.0);
        assert_eq!(two.spread_before.revenue, 6.0);
        assert_eq!(two.spread_after.get(Measure::Revenue), 20.0 / 15.0);
        assert!(two.spread_after.visit_hours >= 1.0);
    }
}
