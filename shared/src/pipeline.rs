//! The sales pipeline's rules, pure: how a lead (a prospect account) moves from new to qualified
//! or disqualified, how a deal moves between stages, the win probability of each stage and the
//! board's totals per stage, and the tasks (follow-ups) on an account. The server applies these
//! (`server/src/http/pipeline.rs`); the pages show their results.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::ValidationError;
use crate::domain::{AccountStatus, check_flow};
use crate::resource::{Field, FieldType::*, ResourceSpec};
use crate::resources::{PIPELINE_STAGES, PRIORITIES, check_transition, text};

/// The moves a lead's status may make. A disqualified lead may be worked again (back to
/// contacted); qualified leads become customers through the convert action, not a status move.
pub const LEAD_FLOW: &[(AccountStatus, AccountStatus)] = {
    use AccountStatus::*;
    &[
        (New, Contacted),
        (New, Disqualified),
        (Contacted, Qualified),
        (Contacted, Disqualified),
        (Qualified, Disqualified),
        (Disqualified, Contacted),
    ]
};

/// Why a lead was disqualified (the UI shows each through its text table).
pub const DISQUALIFY_REASONS: &[&str] = &[
    "no_budget",
    "no_need",
    "competitor",
    "unreachable",
    "out_of_area",
    "other",
];

/// Longest free text with a disqualification.
pub const MAX_REASON_NOTE_CHARS: usize = 500;

/// A requested move of a lead's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadMove {
    /// The account version the client last read.
    pub version: i64,
    pub status: AccountStatus,
    /// One of [`DISQUALIFY_REASONS`]; required to disqualify, refused otherwise.
    #[serde(default)]
    pub reason: Option<String>,
    /// Free text with the reason (required when the reason is `other`).
    #[serde(default)]
    pub note: Option<String>,
}

/// A lead move that passed the rules: the history line it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadStep {
    pub from: AccountStatus,
    pub to: AccountStatus,
    pub reason: Option<&'static str>,
    pub note: Option<String>,
}

impl LeadStep {
    /// The history line's subject: "Lead: contacted → disqualified".
    pub fn subject(&self) -> String {
        format!("Lead: {} → {}", self.from, self.to)
    }
}

/// Checks a lead move from `current` (the account's status; `is_prospect` its kind): only
/// prospects move, along [`LEAD_FLOW`], and disqualifying needs a reason from the list.
pub fn check_lead_move(
    is_prospect: bool,
    current: AccountStatus,
    change: &LeadMove,
) -> Result<LeadStep, ValidationError> {
    if !is_prospect {
        return Err(ValidationError::new(
            "kind",
            "only a prospect moves through the lead flow",
        ));
    }
    if current == change.status {
        return Err(ValidationError::new(
            "status",
            format!("it is already {current}"),
        ));
    }
    check_flow("status", current, change.status, LEAD_FLOW)?;
    let note = change
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_REASON_NOTE_CHARS)
    {
        return Err(ValidationError::new(
            "note",
            format!("longer than {MAX_REASON_NOTE_CHARS} characters"),
        ));
    }
    let reason = match (change.status, change.reason.as_deref()) {
        (AccountStatus::Disqualified, None) => {
            return Err(ValidationError::new(
                "reason",
                "is required to disqualify a lead",
            ));
        }
        (AccountStatus::Disqualified, Some(r)) => Some(
            *DISQUALIFY_REASONS
                .iter()
                .find(|known| **known == r)
                .ok_or_else(|| {
                    ValidationError::new(
                        "reason",
                        format!(
                            "{r:?} is not a reason; expected one of: {}",
                            DISQUALIFY_REASONS.join(", ")
                        ),
                    )
                })?,
        ),
        (_, Some(_)) => {
            return Err(ValidationError::new(
                "reason",
                "is only given to disqualify a lead",
            ));
        }
        (_, None) => None,
    };
    if reason == Some("other") && note.is_none() {
        return Err(ValidationError::new(
            "note",
            "is required when the reason is other",
        ));
    }
    Ok(LeadStep {
        from: current,
        to: change.status,
        reason,
        note,
    })
}

/// Whether a lead may be converted into a customer: a prospect that is qualified.
pub fn check_convertible(is_prospect: bool, status: AccountStatus) -> Result<(), ValidationError> {
    if !is_prospect {
        return Err(ValidationError::new("kind", "is already a customer"));
    }
    if status != AccountStatus::Qualified {
        return Err(ValidationError::new(
            "status",
            format!("only a qualified lead is converted (this one is {status})"),
        ));
    }
    Ok(())
}

/// Open stages, in board order.
pub const OPEN_STAGES: &[&str] = &["lead", "qualified", "proposal", "negotiation"];

/// A deal's stage moves: from any open stage to any other stage (deals skip stages on a board);
/// won and lost are final.
pub fn stage_flow() -> Vec<(&'static str, &'static str)> {
    OPEN_STAGES
        .iter()
        .flat_map(|from| {
            PIPELINE_STAGES
                .iter()
                .filter(move |to| *to != from)
                .map(move |to| (*from, *to))
        })
        .collect()
}

/// Checks a deal's stage change against [`stage_flow`] (for the opportunities' spec).
pub fn check_stage_change(
    new: &Map<String, Value>,
    old: Option<&Map<String, Value>>,
) -> Result<(), ValidationError> {
    check_transition("stage", new, old, &stage_flow())
}

/// The win probability of one stage, in percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageProbability {
    pub stage: String,
    pub probability_pct: i64,
}

/// Checks a full set of stage probabilities: every stage once, each 0–100.
pub fn check_probabilities(stages: &[StageProbability]) -> Result<(), ValidationError> {
    for (i, s) in stages.iter().enumerate() {
        if !PIPELINE_STAGES.contains(&s.stage.as_str()) {
            return Err(ValidationError::new(
                "stage",
                format!(
                    "{:?} is not a stage; expected one of: {}",
                    s.stage,
                    PIPELINE_STAGES.join(", ")
                ),
            ));
        }
        if stages[..i].iter().any(|o| o.stage == s.stage) {
            return Err(ValidationError::new(
                "stage",
                format!("{} is given twice", s.stage),
            ));
        }
        if !(0..=100).contains(&s.probability_pct) {
            return Err(ValidationError::new(
                "probability_pct",
                format!("{}: must be between 0 and 100", s.stage),
            ));
        }
    }
    if let Some(missing) = PIPELINE_STAGES
        .iter()
        .find(|st| !stages.iter().any(|s| s.stage == **st))
    {
        return Err(ValidationError::new(
            "stage",
            format!("{missing} is missing: give every stage"),
        ));
    }
    Ok(())
}

/// A deal as the board shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardDeal {
    pub id: i64,
    pub version: i64,
    pub account_id: i64,
    pub account_name: String,
    pub territory_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub title: String,
    pub stage: String,
    pub value_minor: i64,
    pub currency: String,
    pub expected_close: Option<String>,
    pub lost_reason: Option<String>,
}

/// One column of the board: its deals and totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage: String,
    pub probability_pct: i64,
    pub count: usize,
    /// Value and weighted value per currency (deals in different currencies are never added
    /// together), the largest value first.
    pub totals: Vec<StageTotal>,
    pub deals: Vec<BoardDeal>,
}

/// A column's deals in one currency: Σ value and Σ value × probability, rounded to the nearest
/// minor unit once per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTotal {
    pub currency: String,
    pub value_minor: i64,
    pub weighted_minor: i64,
}

/// What narrows the board.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardFilter {
    pub owner_id: Option<i64>,
    pub territory_id: Option<i64>,
    /// `YYYY-MM`: deals expected to close in that month.
    pub close_month: Option<String>,
}

impl BoardFilter {
    pub fn admits(&self, deal: &BoardDeal) -> bool {
        self.owner_id.is_none_or(|o| deal.owner_id == Some(o))
            && self
                .territory_id
                .is_none_or(|t| deal.territory_id == Some(t))
            && self.close_month.as_deref().is_none_or(|m| {
                deal.expected_close
                    .as_deref()
                    .is_some_and(|d| d.starts_with(m))
            })
    }
}

/// Checks a `YYYY-MM` month.
pub fn check_month(field: &'static str, month: &str) -> Result<(), ValidationError> {
    let ok = month.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok();
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!("{month:?} is not a month like 2026-12"),
        ))
    }
}

/// The board: one column per stage in [`PIPELINE_STAGES`] order, with the deals `filter`
/// admits, their count, value and weighted value (`probabilities` per stage; a stage without
/// one counts 0 %).
pub fn board(
    deals: Vec<BoardDeal>,
    probabilities: &[StageProbability],
    filter: &BoardFilter,
) -> Vec<BoardColumn> {
    let mut columns: Vec<BoardColumn> = PIPELINE_STAGES
        .iter()
        .map(|stage| BoardColumn {
            stage: (*stage).to_owned(),
            probability_pct: probabilities
                .iter()
                .find(|p| p.stage == *stage)
                .map_or(0, |p| p.probability_pct),
            count: 0,
            totals: Vec::new(),
            deals: Vec::new(),
        })
        .collect();
    for deal in deals.into_iter().filter(|d| filter.admits(d)) {
        if let Some(column) = columns.iter_mut().find(|c| c.stage == deal.stage) {
            column.count += 1;
            match column
                .totals
                .iter_mut()
                .find(|t| t.currency == deal.currency)
            {
                Some(total) => {
                    total.value_minor = total.value_minor.saturating_add(deal.value_minor)
                }
                None => column.totals.push(StageTotal {
                    currency: deal.currency.clone(),
                    value_minor: deal.value_minor,
                    weighted_minor: 0,
                }),
            }
            column.deals.push(deal);
        }
    }
    for column in &mut columns {
        for total in &mut column.totals {
            total.weighted_minor = weighted(total.value_minor, column.probability_pct);
        }
        column.totals.sort_by(|a, b| {
            b.value_minor
                .cmp(&a.value_minor)
                .then_with(|| a.currency.cmp(&b.currency))
        });
    }
    columns
}

/// `value × pct / 100`, rounded half away from zero, in integer arithmetic.
pub fn weighted(value_minor: i64, pct: i64) -> i64 {
    let product = i128::from(value_minor) * i128::from(pct);
    let rounded = (product + 50 * product.signum()) / 100;
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

// ---- tasks ---------------------------------------------------------------------------------

pub const TASK_STATUSES: &[&str] = &["open", "done"];

static TASK_FIELDS: [Field; 9] = [
    Field::new("account_id", Int, "The account the follow-up is about")
        .required()
        .references("accounts")
        .filter()
        .immutable(),
    Field::new("opportunity_id", Int, "The deal it is about, if any")
        .references_on_same_account("opportunities")
        .filter(),
    Field::new("case_id", Int, "The case it is about, if any")
        .references_on_same_account("cases")
        .filter(),
    Field::new("title", Text, "What to do")
        .required()
        .max_chars(200)
        .sort(),
    Field::new("due_on", Date, "The day it is due")
        .required()
        .filter()
        .sort(),
    Field::new("assignee_id", Int, "Who does it (a member of staff)")
        .references("staff")
        .filter(),
    Field::new("priority", Text, "low, normal, high, urgent")
        .defaults_to("\"normal\"")
        .one_of(PRIORITIES)
        .filter()
        .sort(),
    Field::new("status", Text, "open → done (done → open reopens it)")
        .defaults_to("\"open\"")
        .one_of(TASK_STATUSES)
        .filter()
        .sort(),
    Field::new(
        "done_at",
        Timestamp,
        "When it was done (required when done, cleared when reopened)",
    ),
];

/// "Task done: Call back about the freezer" when a task is completed (or reopened).
fn task_note(old: &Map<String, Value>, new: &Map<String, Value>) -> Option<(&'static str, String)> {
    let (from, to) = (text(old, "status")?, text(new, "status")?);
    let title = text(new, "title").unwrap_or_default();
    match (from, to) {
        ("open", "done") => Some(("task", format!("Task done: {title}"))),
        ("done", "open") => Some(("task", format!("Task reopened: {title}"))),
        _ => None,
    }
}

/// Follow-ups on an account (optionally on one of its deals or cases). Completing one writes a
/// line into the account's history.
pub static TASKS: ResourceSpec = ResourceSpec {
    name: "tasks",
    singular: "task",
    fields: &TASK_FIELDS,
    versioned: true,
    check: Some(|new, old| {
        check_transition("status", new, old, &[("open", "done"), ("done", "open")])?;
        match (text(new, "status"), new["done_at"].is_null()) {
            (Some("done"), true) => Err(ValidationError::new(
                "done_at",
                "is required when the task is done",
            )),
            (Some("open"), false) => Err(ValidationError::new(
                "done_at",
                "must be empty while the task is open",
            )),
            _ => Ok(()),
        }
    }),
    history_note: Some(task_note),
    default_sort: "due_on",
};

#[cfg(test)]
mod tests {
    use super::*;
    use AccountStatus::*;
    use serde_json::json;

    fn lead(status: AccountStatus, reason: Option<&str>, note: Option<&str>) -> LeadMove {
        LeadMove {
            version: 1,
            status,
            reason: reason.map(str::to_owned),
            note: note.map(str::to_owned),
        }
    }

    #[test]
    fn leads_move_along_the_flow_and_refuse_jumps() {
        assert!(check_lead_move(true, New, &lead(Contacted, None, None)).is_ok());
        assert!(check_lead_move(true, Contacted, &lead(Qualified, None, None)).is_ok());
        let jump = check_lead_move(true, New, &lead(Qualified, None, None)).unwrap_err();
        assert_eq!(jump.field, "status");
        assert!(jump.message.contains("contacted"), "{}", jump.message);
        assert_eq!(
            check_lead_move(false, Active, &lead(Contacted, None, None))
                .unwrap_err()
                .field,
            "kind"
        );
        assert_eq!(
            check_lead_move(true, New, &lead(New, None, None))
                .unwrap_err()
                .field,
            "status"
        );
        assert_eq!(
            check_lead_move(true, New, &lead(Active, None, None))
                .unwrap_err()
                .field,
            "status"
        );
    }

    #[test]
    fn disqualifying_needs_a_known_reason_and_other_needs_a_note() {
        assert_eq!(
            check_lead_move(true, Contacted, &lead(Disqualified, None, None))
                .unwrap_err()
                .field,
            "reason"
        );
        assert_eq!(
            check_lead_move(true, Contacted, &lead(Disqualified, Some("bored"), None))
                .unwrap_err()
                .field,
            "reason"
        );
        assert_eq!(
            check_lead_move(
                true,
                Contacted,
                &lead(Disqualified, Some("other"), Some(" "))
            )
            .unwrap_err()
            .field,
            "note"
        );
        assert_eq!(
            check_lead_move(true, New, &lead(Contacted, Some("no_budget"), None))
                .unwrap_err()
                .field,
            "reason"
        );
        let step = check_lead_move(
            true,
            Contacted,
            &lead(Disqualified, Some("no_budget"), Some("  next year  ")),
        )
        .unwrap();
        assert_eq!(step.reason, Some("no_budget"));
        assert_eq!(step.note.as_deref(), Some("next year"));
        assert_eq!(step.subject(), "Lead: contacted → disqualified");
    }

    #[test]
    fn only_qualified_prospects_convert() {
        assert!(check_convertible(true, Qualified).is_ok());
        assert_eq!(
            check_convertible(true, Contacted).unwrap_err().field,
            "status"
        );
        assert_eq!(check_convertible(false, Active).unwrap_err().field, "kind");
    }

    #[test]
    fn won_and_lost_are_final() {
        let at = |stage: &str| json!({"stage": stage}).as_object().unwrap().clone();
        assert!(check_stage_change(&at("won"), Some(&at("lead"))).is_ok());
        assert!(check_stage_change(&at("lead"), Some(&at("negotiation"))).is_ok());
        assert_eq!(
            check_stage_change(&at("proposal"), Some(&at("won")))
                .unwrap_err()
                .field,
            "stage"
        );
        assert!(check_stage_change(&at("lost"), Some(&at("lost"))).is_ok());
        assert!(check_stage_change(&at("lost"), None).is_ok());
    }

    #[test]
    fn probabilities_cover_every_stage_once_within_bounds() {
        let all = |pct: i64| -> Vec<StageProbability> {
            PIPELINE_STAGES
                .iter()
                .map(|s| StageProbability {
                    stage: (*s).into(),
                    probability_pct: pct,
                })
                .collect()
        };
        assert!(check_probabilities(&all(40)).is_ok());
        assert_eq!(
            check_probabilities(&all(101)).unwrap_err().field,
            "probability_pct"
        );
        assert_eq!(
            check_probabilities(&all(50)[1..]).unwrap_err().field,
            "stage"
        );
        let mut twice = all(10);
        twice[1].stage = "lead".into();
        assert_eq!(check_probabilities(&twice).unwrap_err().field, "stage");
    }

    fn deal(id: i64, stage: &str, value: i64, owner: i64, close: &str) -> BoardDeal {
        BoardDeal {
            id,
            version: 1,
            account_id: 1,
            account_name: "Toko".into(),
            territory_id: Some(owner * 10),
            owner_id: Some(owner),
            title: format!("Deal {id}"),
            stage: stage.into(),
            value_minor: value,
            currency: "IDR".into(),
            expected_close: Some(close.into()),
            lost_reason: None,
        }
    }

    #[test]
    fn the_board_totals_each_stage_against_a_brute_force_sum() {
        let probabilities = vec![
            StageProbability {
                stage: "proposal".into(),
                probability_pct: 50,
            },
            StageProbability {
                stage: "negotiation".into(),
                probability_pct: 75,
            },
        ];
        let deals = vec![
            deal(1, "proposal", 1_000_001, 1, "2026-12-03"),
            deal(2, "proposal", 3, 2, "2027-01-10"),
            deal(3, "negotiation", 400, 1, "2026-12-31"),
            deal(4, "lead", 999, 1, "2026-12-01"),
        ];
        let columns = board(deals.clone(), &probabilities, &BoardFilter::default());
        assert_eq!(
            columns.iter().map(|c| c.stage.as_str()).collect::<Vec<_>>(),
            PIPELINE_STAGES
        );
        let idr = |c: &BoardColumn| {
            c.totals
                .iter()
                .find(|t| t.currency == "IDR")
                .map_or((0, 0), |t| (t.value_minor, t.weighted_minor))
        };
        let proposal = &columns[2];
        assert_eq!(proposal.count, 2);
        assert_eq!(idr(proposal), (1_000_004, 500_002));
        assert_eq!(idr(&columns[3]), (400, 300));
        assert_eq!(idr(&columns[0]), (999, 0), "no probability: 0 %");
        let filter = BoardFilter {
            owner_id: Some(1),
            territory_id: None,
            close_month: Some("2026-12".into()),
        };
        let mine = board(deals.clone(), &probabilities, &filter);
        let expected: i64 = deals
            .iter()
            .filter(|d| {
                d.owner_id == Some(1) && d.expected_close.as_deref().unwrap().starts_with("2026-12")
            })
            .map(|d| d.value_minor)
            .sum();
        assert_eq!(mine.iter().map(|c| idr(c).0).sum::<i64>(), expected);
        let by_territory = BoardFilter {
            territory_id: Some(20),
            ..BoardFilter::default()
        };
        assert_eq!(
            board(deals.clone(), &probabilities, &by_territory)
                .iter()
                .map(|c| c.count)
                .sum::<usize>(),
            1
        );
        // Deals in another currency are totalled on their own, never added to rupiah.
        let mut mixed = deals.clone();
        mixed.push(BoardDeal {
            currency: "USD".into(),
            ..deal(5, "proposal", 2_000_000, 1, "2026-12-04")
        });
        let column = &board(mixed, &probabilities, &BoardFilter::default())[2];
        assert_eq!(
            column.totals,
            vec![
                StageTotal {
                    currency: "USD".into(),
                    value_minor: 2_000_000,
                    weighted_minor: 1_000_000
                },
                StageTotal {
                    currency: "IDR".into(),
                    value_minor: 1_000_004,
                    weighted_minor: 500_002
                },
            ]
        );
        assert_eq!(weighted(5, 50), 3);
        assert_eq!(weighted(i64::MAX, 100), i64::MAX);
        assert!(check_month("close_month", "2026-12").is_ok());
        assert!(check_month("close_month", "2026-13").is_err());
        assert!(check_month("close_month", "2026-1").is_err());
    }

    #[test]
    fn a_done_task_has_a_done_time_and_completing_it_writes_history() {
        let task = TASKS
            .validate_create(
                &json!({"account_id": 1, "title": "Call back", "due_on": "2026-12-05"}),
            )
            .unwrap()
            .record;
        assert_eq!(
            TASKS
                .validate_patch(&task, &json!({"version": 1, "status": "done"}))
                .unwrap_err()
                .field,
            "done_at"
        );
        let done = json!({"version": 1, "status": "done", "done_at": "2026-12-05T09:00:00Z"});
        assert!(TASKS.validate_patch(&task, &done).is_ok());
        let mut after = task.clone();
        after.insert("status".into(), "done".into());
        assert_eq!(
            task_note(&task, &after),
            Some(("task", "Task done: Call back".to_owned()))
        );
        assert_eq!(task_note(&task, &task), None);
        assert_eq!(
            TASKS
                .validate_create(&json!({"account_id": 1, "title": "x"}))
                .unwrap_err()
                .field,
            "due_on"
        );
    }
}
