//! Segments (issue 16 item 1): a saved, named definition of a group of accounts, combining
//! attribute criteria (the map dashboard's filter, tags, churn risk, the last order) with a
//! geography (a polygon drawn on the map, a radius around a point, a territory). Campaigns
//! (`crate::campaigns`) take their recipients from a segment.
//!
//! Membership is evaluated with the spatial index ([`members`]): the area picks the candidates
//! (great-circle metres for a radius, the [`Region`] rules for a polygon, so a polygon drawn
//! across the antimeridian works as drawn), then the criteria narrow them. The server builds one
//! [`Profile`] per account the caller sees, so a segment's members are always the caller's.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::LonLat;
use crate::account::ValidationError;
use crate::dashboard::DashboardFilter;
use crate::domain::{AccountKind, AccountStatus};
use crate::spatial::{IndexedPoint, PointAttrs, PointIndex, Region, TerritoryIndex};

/// Longest segment name, in characters.
pub const MAX_SEGMENT_NAME_CHARS: usize = 100;
/// The widest radius a segment may have, in metres.
pub const MAX_SEGMENT_RADIUS_M: f64 = 2_000_000.0;
/// Most vertices of a drawn polygon (all rings together).
pub const MAX_POLYGON_VERTICES: usize = 5_000;
/// Most tags in the "any of these tags" criterion.
pub const MAX_TAGS: usize = 50;

/// The attribute part of a segment: every set field narrows it; the default admits everyone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// The map dashboard's filter (kind, status, owner, territory, account segment, tag, stage).
    #[serde(default)]
    pub filter: DashboardFilter,
    /// The account carries at least one of these tags (empty: any).
    #[serde(default)]
    pub any_tag: Vec<String>,
    /// Churn risk (1 − P(alive) of the latest scoring) at least this, 0 to 1; accounts without
    /// a score do not match.
    #[serde(default)]
    pub min_churn_risk: Option<f64>,
    /// The last order (not cancelled) was on or after this day; accounts without orders do not
    /// match.
    #[serde(default)]
    pub last_order_after: Option<NaiveDate>,
    /// The last order (not cancelled) was before this day ("has not ordered since"); accounts
    /// without orders do not match.
    #[serde(default)]
    pub last_order_before: Option<NaiveDate>,
}

/// The geographic part of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Area {
    /// A polygon in the GeoJSON `Polygon` layout: rings (exterior first, then holes) of
    /// `[lon, lat]`, each closed. An edge spanning more than 180° of longitude crosses the
    /// antimeridian (see [`Region`]).
    Polygon { coordinates: Vec<Vec<[f64; 2]>> },
    /// Everything within `metres` (great-circle) of a point.
    Radius { lon: f64, lat: f64, metres: f64 },
    /// Everything inside a published territory's boundary (not the accounts' stored
    /// `territory_id`, which the filter's `territory_id` tests).
    Territory { territory_id: i64 },
}

/// What a segment is: criteria and, optionally, an area.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    #[serde(default)]
    pub criteria: Criteria,
    #[serde(default)]
    pub area: Option<Area>,
}

/// A saved segment as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub definition: Definition,
    /// The user who saved it.
    pub created_by: Option<i64>,
    pub version: i64,
}

/// A segment to save (or the new state of one), as the client sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    pub name: String,
    #[serde(default)]
    pub definition: Definition,
    /// The version a change applies to (ignored on create).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A segment's members among the caller's accounts (also the preview of a definition not yet
/// saved: the editor's live count and map).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Members {
    pub count: usize,
    pub accounts: Vec<crate::account::Account>,
}

impl Members {
    pub fn of(accounts: Vec<crate::account::Account>) -> Self {
        Members {
            count: accounts.len(),
            accounts,
        }
    }
}

/// What the criteria look at of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: i64,
    pub position: LonLat,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    pub segment: Option<String>,
    pub tags: Vec<String>,
    /// Pipeline stages the account has a deal at.
    pub stages: Vec<String>,
    pub churn_risk: Option<f64>,
    pub last_order: Option<NaiveDate>,
}

impl Profile {
    /// The account as the spatial index holds it.
    pub fn indexed_point(&self) -> IndexedPoint {
        IndexedPoint::new(
            self.id,
            self.position,
            PointAttrs {
                kind: self.kind,
                status: self.status,
                owner: self.owner_id,
                visited: false,
            },
        )
    }
}

impl Criteria {
    /// Whether `p` meets every criterion.
    pub fn admits(&self, p: &Profile) -> bool {
        let f = &self.filter;
        f.kind.is_none_or(|k| k == p.kind)
            && f.status.is_none_or(|s| s == p.status)
            && f.owner_id.is_none_or(|o| Some(o) == p.owner_id)
            && f.territory_id.is_none_or(|t| Some(t) == p.territory_id)
            && f.segment
                .as_ref()
                .is_none_or(|s| Some(s) == p.segment.as_ref())
            && f.tag.as_ref().is_none_or(|t| p.tags.contains(t))
            && f.stage.as_ref().is_none_or(|s| p.stages.contains(s))
            && (self.any_tag.is_empty() || self.any_tag.iter().any(|t| p.tags.contains(t)))
            && self
                .min_churn_risk
                .is_none_or(|min| p.churn_risk.is_some_and(|r| r >= min))
            && self
                .last_order_after
                .is_none_or(|day| p.last_order.is_some_and(|last| last >= day))
            && self
                .last_order_before
                .is_none_or(|day| p.last_order.is_some_and(|last| last < day))
    }

    /// Whether the criteria need the stored scores (so the server reads them only then).
    pub fn needs_scores(&self) -> bool {
        self.min_churn_risk.is_some()
    }

    /// Whether the criteria need the accounts' last orders.
    pub fn needs_orders(&self) -> bool {
        self.last_order_after.is_some() || self.last_order_before.is_some()
    }
}

impl Area {
    /// The polygon as a region (`None` for other areas).
    pub fn region(&self) -> Result<Option<Region>, ValidationError> {
        match self {
            Area::Polygon { coordinates } => Region::from_coords(std::slice::from_ref(coordinates))
                .map(Some)
                .map_err(|e| ValidationError::new("area", e.to_string())),
            _ => Ok(None),
        }
    }
}

impl NewSegment {
    /// A trimmed, non-empty name, tags without blanks, a churn risk in 0..=1, a radius in
    /// (0, [`MAX_SEGMENT_RADIUS_M`]] around a position on the map, a valid polygon.
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(ValidationError::new("name", "must not be empty"));
        }
        if self.name.chars().count() > MAX_SEGMENT_NAME_CHARS {
            return Err(ValidationError::new(
                "name",
                format!("longer than {MAX_SEGMENT_NAME_CHARS} characters"),
            ));
        }
        let criteria = &mut self.definition.criteria;
        criteria.any_tag = criteria
            .any_tag
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        criteria.any_tag.sort();
        criteria.any_tag.dedup();
        if criteria.any_tag.len() > MAX_TAGS {
            return Err(ValidationError::new(
                "any_tag",
                format!("more than {MAX_TAGS} tags"),
            ));
        }
        if let Some(risk) = criteria.min_churn_risk
            && !(0.0..=1.0).contains(&risk)
        {
            return Err(ValidationError::new(
                "min_churn_risk",
                "must be between 0 and 1",
            ));
        }
        match &self.definition.area {
            Some(Area::Radius { lon, lat, metres }) => {
                LonLat::new(*lon, *lat).map_err(|e| ValidationError::new("area", e.to_string()))?;
                if !(metres.is_finite() && *metres > 0.0 && *metres <= MAX_SEGMENT_RADIUS_M) {
                    return Err(ValidationError::new(
                        "area",
                        format!(
                            "the radius must be more than 0 and at most {MAX_SEGMENT_RADIUS_M} metres"
                        ),
                    ));
                }
            }
            Some(area @ Area::Polygon { coordinates }) => {
                if coordinates.iter().map(Vec::len).sum::<usize>() > MAX_POLYGON_VERTICES {
                    return Err(ValidationError::new(
                        "area",
                        format!("more than {MAX_POLYGON_VERTICES} vertices"),
                    ));
                }
                area.region()?;
            }
            Some(Area::Territory { .. }) | None => {}
        }
        Ok(self)
    }
}

/// Why a segment cannot be evaluated now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluateError {
    #[error("territory {0} is not published")]
    UnknownTerritory(i64),
    #[error("the area is invalid: {0}")]
    InvalidArea(String),
}

/// The members of a segment, by id: the accounts among `profiles` (the caller's, with their
/// attributes) inside the area — read from `index`, which holds every account's position — that
/// meet the criteria. `territories` are the published ones (for a territory area).
pub fn members(
    definition: &Definition,
    profiles: &HashMap<i64, Profile>,
    index: &PointIndex,
    territories: Option<&TerritoryIndex>,
) -> Result<Vec<i64>, EvaluateError> {
    let candidates: Vec<i64> = match &definition.area {
        None => profiles.keys().copied().collect(),
        Some(Area::Radius { lon, lat, metres }) => {
            let centre =
                LonLat::new(*lon, *lat).map_err(|e| EvaluateError::InvalidArea(e.to_string()))?;
            index
                .within_radius(centre, *metres)
                .map_err(|e| EvaluateError::InvalidArea(e.to_string()))?
                .into_iter()
                .map(|hit| hit.point.id)
                .collect()
        }
        Some(area @ Area::Polygon { .. }) => {
            let region = area
                .region()
                .map_err(|e| EvaluateError::InvalidArea(e.message))?
                .ok_or_else(|| EvaluateError::InvalidArea("no polygon".into()))?;
            index
                .in_polygon(&region)
                .into_iter()
                .map(|p| p.id)
                .collect()
        }
        Some(Area::Territory { territory_id }) => {
            let territory = territories
                .and_then(|t| t.territories().iter().find(|t| t.id == *territory_id))
                .ok_or(EvaluateError::UnknownTerritory(*territory_id))?;
            index
                .in_polygon(&territory.region)
                .into_iter()
                .map(|p| p.id)
                .collect()
        }
    };
    let mut out: Vec<i64> = candidates
        .into_iter()
        .filter(|id| {
            profiles
                .get(id)
                .is_some_and(|p| definition.criteria.admits(p))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{Territory, haversine_m};
    use proptest::prelude::*;

    const KINDS: [AccountKind; 2] = [AccountKind::Customer, AccountKind::Prospect];
    const STATUSES: [AccountStatus; 3] = [
        AccountStatus::Active,
        AccountStatus::AtRisk,
        AccountStatus::Churned,
    ];
    const TAGS: [&str; 3] = ["vip", "grosir", "baru"];
    const STAGES: [&str; 2] = ["lead", "proposal"];

    /// A position near the antimeridian half of the time, so the areas that cross it get
    /// candidates on both sides.
    fn position() -> impl Strategy<Value = LonLat> {
        prop_oneof![
            (170.0f64..180.0, -20.0f64..20.0),
            (-180.0f64..-170.0, -20.0f64..20.0),
            (100.0f64..120.0, -10.0f64..10.0),
        ]
        .prop_map(|(lon, lat)| LonLat::new(lon, lat).unwrap())
    }

    fn profile(id: i64) -> impl Strategy<Value = Profile> {
        (
            position(),
            0usize..2,
            0usize..3,
            proptest::option::of(1i64..4),
            proptest::option::of(1i64..4),
            proptest::option::of(prop_oneof![Just("a"), Just("b")]),
            proptest::collection::vec(0usize..3, 0..3),
            proptest::collection::vec(0usize..2, 0..2),
            proptest::option::of(0.0f64..1.0),
            proptest::option::of(0i64..400),
        )
            .prop_map(
                move |(
                    position,
                    kind,
                    status,
                    owner,
                    territory,
                    segment,
                    tags,
                    stages,
                    risk,
                    day,
                )| {
                    Profile {
                        id,
                        position,
                        kind: KINDS[kind],
                        status: STATUSES[status],
                        owner_id: owner,
                        territory_id: territory,
                        segment: segment.map(str::to_owned),
                        tags: tags.into_iter().map(|t| TAGS[t].to_owned()).collect(),
                        stages: stages.into_iter().map(|s| STAGES[s].to_owned()).collect(),
                        churn_risk: risk,
                        last_order: day.map(day_of),
                    }
                },
            )
    }

    fn day_of(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(n)
    }

    fn criteria() -> impl Strategy<Value = Criteria> {
        (
            (
                proptest::option::of(0usize..2),
                proptest::option::of(0usize..3),
                proptest::option::of(1i64..4),
                proptest::option::of(1i64..4),
                proptest::option::of(prop_oneof![Just("a"), Just("b")]),
                proptest::option::of(0usize..3),
                proptest::option::of(0usize..2),
            ),
            proptest::collection::vec(0usize..3, 0..2),
            proptest::option::of(0.0f64..1.0),
            proptest::option::of(0i64..400),
            proptest::option::of(0i64..400),
        )
            .prop_map(
                |(
                    (kind, status, owner, territory, segment, tag, stage),
                    any,
                    risk,
                    after,
                    before,
                )| {
                    Criteria {
                        filter: DashboardFilter {
                            kind: kind.map(|k| KINDS[k]),
                            status: status.map(|s| STATUSES[s]),
                            owner_id: owner,
                            territory_id: territory,
                            segment: segment.map(str::to_owned),
                            tag: tag.map(|t| TAGS[t].to_owned()),
                            stage: stage.map(|s| STAGES[s].to_owned()),
                        },
                        any_tag: any.into_iter().map(|t| TAGS[t].to_owned()).collect(),
                        min_churn_risk: risk,
                        last_order_after: after.map(day_of),
                        last_order_before: before.map(day_of),
                    }
                },
            )
    }

    /// A quadrilateral around a centre near the antimeridian, given as drawn: longitudes in
    /// −180..=180, so one crossing the antimeridian has edges spanning more than 180°.
    fn quad() -> impl Strategy<Value = Vec<Vec<[f64; 2]>>> {
        (
            prop_oneof![165.0f64..180.0, -180.0f64..-165.0, 100.0f64..120.0],
            -15.0f64..15.0,
            1.0f64..12.0,
            1.0f64..12.0,
        )
            .prop_map(|(lon, lat, w, h)| {
                let wrap = |x: f64| {
                    if x > 180.0 {
                        x - 360.0
                    } else if x < -180.0 {
                        x + 360.0
                    } else {
                        x
                    }
                };
                let (west, east) = (wrap(lon - w), wrap(lon + w));
                let (south, north) = (lat - h, lat + h);
                vec![vec![
                    [west, south],
                    [east, south - 0.5],
                    [east, north],
                    [west, north + 0.5],
                    [west, south],
                ]]
            })
    }

    fn area() -> impl Strategy<Value = Option<Area>> {
        prop_oneof![
            Just(None),
            quad().prop_map(|coordinates| Some(Area::Polygon { coordinates })),
            (position(), 1_000.0f64..1_500_000.0).prop_map(|(c, metres)| Some(Area::Radius {
                lon: c.lon(),
                lat: c.lat(),
                metres
            })),
            (1i64..3).prop_map(|territory_id| Some(Area::Territory { territory_id })),
        ]
    }

    /// Planar lon/lat containment of a ring drawn with longitudes in −180..=180 that may
    /// cross the antimeridian: unwrapped to 0..360 when it does (any edge spans more than 180°),
    /// then the even-odd crossing rule. Written independently of `Region`.
    fn inside_ring(ring: &[[f64; 2]], p: LonLat) -> bool {
        let wraps = ring.windows(2).any(|e| (e[0][0] - e[1][0]).abs() > 180.0);
        let shift = |x: f64| if wraps && x < 0.0 { x + 360.0 } else { x };
        let (px, py) = (shift(p.lon()), p.lat());
        let mut inside = false;
        for e in ring.windows(2) {
            let (x0, y0, x1, y1) = (shift(e[0][0]), e[0][1], shift(e[1][0]), e[1][1]);
            if (y0 > py) != (y1 > py) {
                let x = x0 + (py - y0) / (y1 - y0) * (x1 - x0);
                if px < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    fn brute_force(
        definition: &Definition,
        profiles: &[Profile],
        territories: &[(i64, Vec<Vec<[f64; 2]>>)],
    ) -> Vec<i64> {
        let in_area = |p: &Profile| match &definition.area {
            None => true,
            Some(Area::Radius { lon, lat, metres }) => {
                haversine_m(LonLat::new(*lon, *lat).unwrap(), p.position) <= *metres
            }
            Some(Area::Polygon { coordinates }) => inside_ring(&coordinates[0], p.position),
            Some(Area::Territory { territory_id }) => territories
                .iter()
                .any(|(id, rings)| id == territory_id && inside_ring(&rings[0], p.position)),
        };
        let mut out: Vec<i64> = profiles
            .iter()
            .filter(|p| in_area(p) && definition.criteria.admits_by_hand(p))
            .map(|p| p.id)
            .collect();
        out.sort_unstable();
        out
    }

    impl Criteria {
        /// The criteria spelt out field by field, as a user would read them.
        fn admits_by_hand(&self, p: &Profile) -> bool {
            let f = &self.filter;
            if f.kind.is_some() && f.kind != Some(p.kind) {
                return false;
            }
            if f.status.is_some() && f.status != Some(p.status) {
                return false;
            }
            if f.owner_id.is_some() && f.owner_id != p.owner_id {
                return false;
            }
            if f.territory_id.is_some() && f.territory_id != p.territory_id {
                return false;
            }
            if f.segment.is_some() && f.segment != p.segment {
                return false;
            }
            if let Some(tag) = &f.tag
                && !p.tags.iter().any(|t| t == tag)
            {
                return false;
            }
            if let Some(stage) = &f.stage
                && !p.stages.iter().any(|s| s == stage)
            {
                return false;
            }
            if !self.any_tag.is_empty() && !p.tags.iter().any(|t| self.any_tag.contains(t)) {
                return false;
            }
            if let Some(min) = self.min_churn_risk {
                match p.churn_risk {
                    Some(r) if r >= min => {}
                    _ => return false,
                }
            }
            if let Some(after) = self.last_order_after {
                match p.last_order {
                    Some(d) if d >= after => {}
                    _ => return false,
                }
            }
            if let Some(before) = self.last_order_before {
                match p.last_order {
                    Some(d) if d < before => {}
                    _ => return false,
                }
            }
            true
        }
    }

    /// Polygon rings, exterior first.
    type Rings = Vec<Vec<[f64; 2]>>;

    fn world() -> impl Strategy<Value = (Vec<Profile>, Definition, Vec<Rings>)> {
        (
            (1usize..120)
                .prop_flat_map(|n| (0..n).map(|i| profile(i as i64 + 1)).collect::<Vec<_>>()),
            criteria(),
            area(),
            proptest::collection::vec(quad(), 2),
        )
            .prop_map(|(profiles, criteria, area, territories)| {
                (profiles, Definition { criteria, area }, territories)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Membership through the spatial index equals a brute-force evaluation of the same
        /// definition, over random accounts near and across the antimeridian. Some accounts are
        /// in the index but not the caller's (every third), and are never members.
        #[test]
        fn members_equal_a_brute_force_evaluation((profiles, definition, quads) in world()) {
            let points: Vec<IndexedPoint> = profiles
                .iter()
                .map(Profile::indexed_point)
                .collect();
            let index = PointIndex::bulk_load(points).unwrap();
            let territories: Vec<(i64, Vec<Vec<[f64; 2]>>)> = quads
                .into_iter()
                .enumerate()
                .map(|(i, q)| (i as i64 + 1, q))
                .collect();
            let territory_index = TerritoryIndex::new(
                territories
                    .iter()
                    .map(|(id, rings)| Territory::from_coords(*id, None, std::slice::from_ref(rings)).unwrap())
                    .collect(),
            )
            .unwrap();
            let callers: Vec<Profile> = profiles.iter().filter(|p| p.id % 3 != 0).cloned().collect();
            let by_id: HashMap<i64, Profile> = callers.iter().map(|p| (p.id, p.clone())).collect();
            let got = members(&definition, &by_id, &index, Some(&territory_index)).unwrap();
            let expected = brute_force(&definition, &callers, &territories);
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_polygon_across_the_antimeridian_takes_both_sides_and_not_the_rest_of_the_world() {
        let p = |id, lon, lat| Profile {
            id,
            position: LonLat::new(lon, lat).unwrap(),
            kind: AccountKind::Customer,
            status: AccountStatus::Active,
            owner_id: None,
            territory_id: None,
            segment: None,
            tags: vec![],
            stages: vec![],
            churn_risk: None,
            last_order: None,
        };
        let profiles = [p(1, 179.5, 0.0), p(2, -179.5, 0.0), p(3, 0.0, 0.0)];
        let index =
            PointIndex::bulk_load(profiles.iter().map(Profile::indexed_point).collect()).unwrap();
        let definition = Definition {
            criteria: Criteria::default(),
            area: Some(Area::Polygon {
                coordinates: vec![vec![
                    [179.0, -1.0],
                    [-179.0, -1.0],
                    [-179.0, 1.0],
                    [179.0, 1.0],
                    [179.0, -1.0],
                ]],
            }),
        };
        let by_id = profiles.iter().map(|p| (p.id, p.clone())).collect();
        assert_eq!(members(&definition, &by_id, &index, None).unwrap(), [1, 2]);
    }

    #[test]
    fn validation_refuses_what_cannot_be_evaluated() {
        let segment = |definition| NewSegment {
            name: " North ".into(),
            definition,
            version: None,
        };
        assert_eq!(
            segment(Definition::default()).validate().unwrap().name,
            "North"
        );
        let radius = |metres| Definition {
            criteria: Criteria::default(),
            area: Some(Area::Radius {
                lon: 106.8,
                lat: -6.2,
                metres,
            }),
        };
        assert!(segment(radius(5_000.0)).validate().is_ok());
        assert!(segment(radius(0.0)).validate().is_err());
        assert!(segment(radius(f64::NAN)).validate().is_err());
        let risky = Definition {
            criteria: Criteria {
                min_churn_risk: Some(1.5),
                ..Criteria::default()
            },
            area: None,
        };
        assert!(segment(risky).validate().is_err());
        let open_ring = Definition {
            criteria: Criteria::default(),
            area: Some(Area::Polygon {
                coordinates: vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]],
            }),
        };
        assert!(segment(open_ring).validate().is_err());
        assert!(
            NewSegment {
                name: "  ".into(),
                definition: Definition::default(),
                version: None
            }
            .validate()
            .is_err()
        );
    }
}
