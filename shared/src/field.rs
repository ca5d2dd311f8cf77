//! Field service on the technician's device and the server alike: the actions a technician
//! records against a visit (status change, check-in, outcome and notes), how they are checked,
//! and how the server decides whether one still applies.
//!
//! Every action carries a client id (a UUID made on the device) so a retried submission is
//! recognised, and the visit version the device last knew, so an action recorded against a
//! state that has since changed (the dispatcher moved the visit, another device closed it) is
//! refused as a conflict instead of overwriting. The device predicts the version after each of
//! its own actions (every applied action bumps it by exactly one), so a queue of several
//! offline actions against one visit replays in order.

use serde::{Deserialize, Serialize};

use crate::LonLat;
use crate::account::ValidationError;
use crate::resources::VISIT_STATUS_FLOW;
use crate::spatial::haversine_m;

/// A check-in further than this from the account is flagged (GPS error or the wrong place).
pub const FAR_FROM_ACCOUNT_M: f64 = 300.0;
/// Longest outcome or notes text.
pub const MAX_REPORT_CHARS: usize = 2_000;

/// What a technician did, as the device sends it (`POST /api/v1/field/actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldAction {
    /// UUID made on the device; the same id sent twice is the same action.
    pub client_id: String,
    pub visit_id: i64,
    /// The visit version the device last knew (plus one per own action queued before this).
    pub base_version: i64,
    /// `status`, `check_in`, `report` or `survey`.
    pub action: String,
    /// For `status`: the new status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// For `check_in`: the device position (WGS84) and its accuracy in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// For `report` (and optionally `status` to `done`/`missed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// For `survey`: the customer's satisfaction, 1 to 5, and their comment, given on the
    /// tablet after the visit is done (issue 17 item 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When the technician did it, RFC 3339 on the device clock (the check-in time).
    pub recorded_at: String,
}

/// A checked action.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    Status {
        to: &'static str,
        outcome: Option<String>,
        notes: Option<String>,
    },
    CheckIn {
        position: LonLat,
        accuracy_m: Option<f64>,
    },
    Report {
        outcome: Option<String>,
        notes: Option<String>,
    },
    /// The customer's answer to the satisfaction survey of a done visit.
    Survey { score: u8, comment: Option<String> },
}

pub const VISIT_STATUSES: [&str; 5] = ["scheduled", "en_route", "on_site", "done", "missed"];

/// `8-4-4-4-12` hexadecimal digits, as `crypto.randomUUID()` makes them.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn report_text(
    field: &'static str,
    text: &Option<String>,
) -> Result<Option<String>, ValidationError> {
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > MAX_REPORT_CHARS => Err(ValidationError::new(
            field,
            format!("must be at most {MAX_REPORT_CHARS} characters"),
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

impl FieldAction {
    /// Checks the shape of the action (not yet whether it fits the visit's current state).
    pub fn check(&self) -> Result<Checked, ValidationError> {
        if !is_uuid(&self.client_id) {
            return Err(ValidationError::new(
                "client_id",
                "must be a UUID made on the device (8-4-4-4-12 hexadecimal digits)",
            ));
        }
        if self.base_version < 1 {
            return Err(ValidationError::new("base_version", "must be 1 or more"));
        }
        let outcome = report_text("outcome", &self.outcome)?;
        let notes = report_text("notes", &self.notes)?;
        match self.action.as_str() {
            "status" => {
                let wanted = self.status.as_deref().ok_or_else(|| {
                    ValidationError::new("status", "is required for a status change")
                })?;
                let to = VISIT_STATUSES
                    .iter()
                    .find(|s| **s == wanted)
                    .copied()
                    .ok_or_else(|| {
                        ValidationError::new(
                            "status",
                            format!("must be one of {}", VISIT_STATUSES.join(", ")),
                        )
                    })?;
                Ok(Checked::Status { to, outcome, notes })
            }
            "check_in" => {
                let (Some(lon), Some(lat)) = (self.lon, self.lat) else {
                    return Err(ValidationError::new(
                        "lat",
                        "a check-in needs the device position (lon and lat)",
                    ));
                };
                let position = LonLat::new(lon, lat)
                    .map_err(|e| ValidationError::new("lat", e.to_string()))?;
                if let Some(a) = self.accuracy_m
                    && !(a.is_finite() && a >= 0.0)
                {
                    return Err(ValidationError::new(
                        "accuracy_m",
                        "must be a non-negative number of metres",
                    ));
                }
                Ok(Checked::CheckIn {
                    position,
                    accuracy_m: self.accuracy_m,
                })
            }
            "report" => {
                if outcome.is_none() && notes.is_none() {
                    return Err(ValidationError::new(
                        "outcome",
                        "a report needs an outcome or notes",
                    ));
                }
                Ok(Checked::Report { outcome, notes })
            }
            "survey" => {
                let (score, comment) = crate::surveys::Answer {
                    score: self.score.unwrap_or(0),
                    comment: self.comment.clone(),
                }
                .validate()?;
                Ok(Checked::Survey { score, comment })
            }
            _ => Err(ValidationError::new(
                "action",
                "must be status, check_in, report or survey",
            )),
        }
    }
}

/// Where a visit stands when an action arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitState {
    pub status: String,
    pub version: i64,
    pub account_position: LonLat,
}

/// What to do with an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Write it: the visit's new status (unchanged for a report) and, for a check-in, its
    /// great-circle distance from the account.
    Apply {
        status: String,
        distance_m: Option<f64>,
    },
    /// The device acted on an older version of the visit: keep the action, change nothing.
    Conflict { message: String },
    /// The device knew the current state but the action does not fit it (a client bug).
    Rejected {
        field: &'static str,
        message: String,
    },
}

/// Statuses a visit in `status` may move to.
pub fn next_statuses(status: &str) -> Vec<&'static str> {
    VISIT_STATUS_FLOW
        .iter()
        .filter(|(from, _)| *from == status)
        .map(|(_, to)| *to)
        .collect()
}

pub fn is_closed(status: &str) -> bool {
    matches!(status, "done" | "missed")
}

/// Decides an action against the visit as it is now.
pub fn decide(state: &VisitState, base_version: i64, action: &Checked) -> Decision {
    if base_version != state.version {
        return Decision::Conflict {
            message: format!(
                "the visit was changed meanwhile (recorded against version {base_version}, now version {} with status {})",
                state.version, state.status
            ),
        };
    }
    match action {
        Checked::Status { to, .. } => {
            if VISIT_STATUS_FLOW.contains(&(state.status.as_str(), *to)) {
                Decision::Apply {
                    status: (*to).to_owned(),
                    distance_m: None,
                }
            } else {
                Decision::Rejected {
                    field: "status",
                    message: format!(
                        "cannot go from {} to {to}; allowed: {}",
                        state.status,
                        next_statuses(&state.status).join(", ")
                    ),
                }
            }
        }
        Checked::CheckIn { position, .. } => {
            if is_closed(&state.status) {
                Decision::Rejected {
                    field: "action",
                    message: format!("the visit is already {}", state.status),
                }
            } else {
                Decision::Apply {
                    status: "on_site".to_owned(),
                    distance_m: Some(haversine_m(state.account_position, *position)),
                }
            }
        }
        Checked::Report { .. } => Decision::Apply {
            status: state.status.clone(),
            distance_m: None,
        },
        Checked::Survey { .. } => {
            if state.status == "done" {
                Decision::Apply {
                    status: state.status.clone(),
                    distance_m: None,
                }
            } else {
                Decision::Rejected {
                    field: "action",
                    message: format!(
                        "the customer is asked once the visit is done, not while it is {}",
                        state.status
                    ),
                }
            }
        }
    }
}

/// What became of an action: the answer of `POST /field/actions`, the same for every resend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub client_id: String,
    pub visit_id: i64,
    pub action: String,
    /// `applied`, `conflict` (recorded, not applied: the visit had changed) or `rejected`
    /// (recorded, not applied: it does not fit the visit's state).
    pub result: String,
    /// The visit's version after the action (applied) or as found (conflict, rejected).
    pub visit_version: i64,
    pub visit_status: String,
    #[serde(default)]
    pub message: Option<String>,
    /// Check-in: great-circle metres from the account, and whether that is more than
    /// [`FAR_FROM_ACCOUNT_M`].
    #[serde(default)]
    pub distance_m: Option<f64>,
    #[serde(default)]
    pub far: bool,
    pub recorded_at: String,
    pub received_at: String,
    /// True when this answer repeats the one given to an earlier submission of the same id.
    #[serde(default)]
    pub replayed: bool,
    /// True for a submission that reused an earlier client id with other content: kept as a
    /// conflict beside the first, never applied.
    #[serde(default)]
    pub reused_client_id: bool,
}

/// One stop of a technician's day as the field view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldStop {
    pub visit_id: i64,
    pub version: i64,
    pub account_id: i64,
    pub account_name: String,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub status: String,
    pub window_start: String,
    pub window_end: String,
    pub duration_min: i64,
    /// From the route plan (open visits the plan could place).
    pub planned_arrival: Option<String>,
    pub planned_start: Option<String>,
    /// Why the plan left an open visit out (`no_room`, …).
    pub left_out: Option<String>,
    pub checkin_at: Option<String>,
    pub checkin_accuracy_m: Option<f64>,
    pub checkin_distance_m: Option<f64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    /// The customer's satisfaction with this visit, once answered (1 to 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_score: Option<i64>,
}

/// A technician's day: every visit, closed ones first, then the open ones in planned order
/// (`GET /api/v1/field/day`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDay {
    pub technician_id: i64,
    pub technician_name: String,
    pub date: String,
    pub utc_offset_minutes: i32,
    pub home_lon: Option<f64>,
    pub home_lat: Option<f64>,
    pub stops: Vec<FieldStop>,
    /// `great_circle` or `osrm`.
    pub distances: String,
    /// Server time of the answer (a cached copy on the device says how old it is).
    pub fetched_at: String,
}

/// A navigation link to a stop that phones open in their maps app.
pub fn navigation_url(lon: f64, lat: f64) -> String {
    format!("https://www.google.com/maps/dir/?api=1&destination={lat:.6},{lon:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(kind: &str) -> FieldAction {
        FieldAction {
            client_id: "0b7f1c3e-9d2a-4c1b-8e6f-123456789abc".into(),
            visit_id: 1,
            base_version: 3,
            action: kind.into(),
            status: None,
            lon: None,
            lat: None,
            accuracy_m: None,
            outcome: None,
            notes: None,
            score: None,
            comment: None,
            recorded_at: "2026-11-23T02:00:00Z".into(),
        }
    }

    fn state(status: &str, version: i64) -> VisitState {
        VisitState {
            status: status.into(),
            version,
            account_position: LonLat::new(106.8, -6.2).unwrap(),
        }
    }

    #[test]
    fn client_ids_must_be_uuids() {
        assert!(is_uuid("0b7f1c3e-9d2a-4c1b-8e6f-123456789abc"));
        assert!(!is_uuid("0b7f1c3e9d2a4c1b8e6f123456789abc"));
        assert!(!is_uuid("0b7f1c3e-9d2a-4c1b-8e6f-123456789abg"));
        let mut a = action("report");
        a.client_id = "1".into();
        assert_eq!(a.check().unwrap_err().field, "client_id");
    }

    #[test]
    fn each_action_names_the_field_it_misses() {
        assert_eq!(action("status").check().unwrap_err().field, "status");
        assert_eq!(action("check_in").check().unwrap_err().field, "lat");
        assert_eq!(action("report").check().unwrap_err().field, "outcome");
        assert_eq!(action("dance").check().unwrap_err().field, "action");
        let mut a = action("check_in");
        (a.lon, a.lat, a.accuracy_m) = (Some(106.8), Some(-6.2), Some(-1.0));
        assert_eq!(a.check().unwrap_err().field, "accuracy_m");
    }

    #[test]
    fn a_stale_version_is_a_conflict_whatever_the_action() {
        let mut a = action("status");
        a.status = Some("en_route".into());
        let checked = a.check().unwrap();
        assert!(matches!(
            decide(&state("scheduled", 4), 3, &checked),
            Decision::Conflict { .. }
        ));
        assert_eq!(
            decide(&state("scheduled", 3), 3, &checked),
            Decision::Apply {
                status: "en_route".into(),
                distance_m: None
            }
        );
        assert!(matches!(
            decide(&state("done", 3), 3, &checked),
            Decision::Rejected {
                field: "status",
                ..
            }
        ));
    }

    #[test]
    fn a_check_in_puts_the_visit_on_site_and_measures_the_distance() {
        let mut a = action("check_in");
        // About 0.01° of latitude: 1.1 km south of the account.
        (a.lon, a.lat) = (Some(106.8), Some(-6.21));
        let Decision::Apply { status, distance_m } =
            decide(&state("en_route", 3), 3, &a.check().unwrap())
        else {
            panic!("not applied");
        };
        assert_eq!(status, "on_site");
        let d = distance_m.unwrap();
        assert!((1100.0..1120.0).contains(&d), "{d}");
        assert!(matches!(
            decide(&state("missed", 3), 3, &a.check().unwrap()),
            Decision::Rejected { .. }
        ));
    }

    #[test]
    fn next_statuses_follow_the_visit_flow() {
        assert_eq!(
            next_statuses("scheduled"),
            ["en_route", "on_site", "missed"]
        );
        assert_eq!(next_statuses("on_site"), ["done"]);
        assert!(next_statuses("done").is_empty());
    }
}
