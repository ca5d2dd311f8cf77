//! The service desk through the handle: the SLA settings (everyone who works cases reads them,
//! admins change them), the case queue (my cases, my team's, all the caller sees) with each
//! case's SLA clock, the escalation check, the call centre's caller lookup; and [`Intake`], the
//! door of the public "report a problem" form, which files a case for nobody signed in and
//! reaches nothing else. The SLA rules are `wilayah_shared::service`'s.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::Serialize;
use wilayah_shared::access::{AccountScope, Action, Role};
use wilayah_shared::account::{Account, AccountInput, AccountPanel, ValidationError};
use wilayah_shared::duplicates::{AccountIdentity, DuplicateReason};
use wilayah_shared::placing::Given;
use wilayah_shared::service::{
    BusinessCalendar, CaseSla, CaseTimes, OPEN_CASE_STATUSES, ProblemReport, SlaSettings, SlaState,
    case_sla, confirmation_number, missed_targets,
};

use super::{Scoped, index_error};
use crate::AppState;
use crate::db::{FiledReport, QueueCase, ServerStore};
use crate::http::error::ApiError;
use crate::index::{contacts_by_account, identity};

/// Whose cases the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueView {
    /// Assigned to the caller.
    Mine,
    /// In the caller's territories: a regional manager's region, the territories a rep owns
    /// (everyone else: all they see).
    Team,
    /// Every case the caller sees.
    All,
}

/// How the queue is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueSort {
    /// Breached first, then the soonest due target.
    Sla,
    /// Urgent first, then oldest.
    Priority,
    Newest,
    Oldest,
}

/// The queue's filters (already parsed).
#[derive(Debug, Clone)]
pub struct QueueFilter {
    pub view: QueueView,
    /// Empty: the open ones (new, in progress).
    pub statuses: Vec<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub territory_id: Option<i64>,
    pub sla: Option<SlaState>,
    pub sort: QueueSort,
    pub limit: u32,
    pub offset: u64,
}

/// A case in the queue with its SLA clock.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    #[serde(flatten)]
    pub case: QueueCase,
    pub sla: CaseSla,
}

/// How many open cases each view holds (the queue's tabs).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ViewCounts {
    pub mine: usize,
    pub team: usize,
    pub all: usize,
}

/// A page of the queue.
#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    pub items: Vec<QueueItem>,
    pub total: usize,
    pub limit: u32,
    pub offset: u64,
    pub views: ViewCounts,
    /// The instant the clocks were read at.
    pub now: DateTime<Utc>,
}

/// What one escalation check did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EscalationRun {
    /// Cases looked at (open ones).
    pub checked: usize,
    /// `(case id, target)` escalations that fired now (each fires once).
    pub fired: Vec<(i64, &'static str)>,
}

/// One account the caller's phone number matched, as the call centre shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CallerMatch {
    pub account: Account,
    pub panel: AccountPanel,
    /// Its open cases with their SLA clocks.
    pub open_cases: Vec<QueueItem>,
}

fn times(case: &QueueCase) -> CaseTimes {
    CaseTimes {
        priority: case.priority.clone(),
        category: Some(case.category.clone()),
        status: case.status.clone(),
        created_at: case.created_at,
        responded_at: case.responded_at,
        resolved_at: case.resolved_at,
        sla_due_at: case.sla_due_at,
    }
}

fn with_clocks(
    cases: Vec<QueueCase>,
    settings: &SlaSettings,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Vec<QueueItem> {
    cases
        .into_iter()
        .map(|case| QueueItem {
            sla: case_sla(settings, calendar, &times(&case), now),
            case,
        })
        .collect()
}

/// The calendar of the deployment's time zone.
fn calendar_of(state: &AppState, settings: &SlaSettings) -> BusinessCalendar {
    settings.calendar(state.utc_offset.local_minus_utc() / 60)
}

fn priority_rank(p: &str) -> u8 {
    match p {
        "urgent" => 0,
        "high" => 1,
        "normal" => 2,
        _ => 3,
    }
}

/// The soonest due time of a running target (breached ones first, by how long ago).
fn urgency(item: &QueueItem) -> (u8, DateTime<Utc>) {
    use wilayah_shared::service::Clock;
    let running = [item.sla.response, item.sla.resolution]
        .into_iter()
        .flatten()
        .filter(|t| {
            matches!(
                t.clock,
                Clock::OnTrack { .. } | Clock::AtRisk { .. } | Clock::Breached { .. }
            )
        })
        .filter_map(|t| t.due_at)
        .min();
    let rank = match item.sla.state {
        SlaState::Breached => 0,
        SlaState::AtRisk => 1,
        SlaState::OnTrack => 2,
        SlaState::Met => 3,
        SlaState::None => 4,
    };
    (rank, running.unwrap_or(DateTime::<Utc>::MAX_UTC))
}

impl Scoped {
    /// The SLA settings and their version.
    pub async fn sla_settings(&self) -> Result<(SlaSettings, i64), ApiError> {
        self.require("cases", Action::Read)?;
        Ok(self.store().sla_settings().await?)
    }

    /// Saves the SLA settings (admins: `sla_policies` is no other role's resource); 409 when
    /// they changed since `version`.
    pub async fn save_sla_settings(
        &self,
        version: i64,
        settings: SlaSettings,
    ) -> Result<(SlaSettings, i64), ApiError> {
        self.require("sla_policies", Action::Update)?;
        let settings = settings.validated()?;
        for p in &settings.policies {
            if let Some(staff) = p.escalate_to {
                self.store()
                    .get_record(&wilayah_shared::resources::STAFF, staff)
                    .await
                    .map_err(|_| {
                        ApiError::Invalid(ValidationError::new(
                            "escalate_to",
                            "refers to a member of staff that does not exist",
                        ))
                    })?;
            }
        }
        let version = self.store().save_sla_settings(version, &settings).await?;
        Ok((settings, version))
    }

    /// The territories of the caller's team (`None`: no narrowing).
    fn team_territories(&self) -> Option<Vec<i64>> {
        match (self.caller.account_scope(), self.caller.role) {
            (AccountScope::Territories(region), _) => Some(region),
            (AccountScope::Rep { staff_id }, Role::SalesRep) => Some(
                self.state
                    .index
                    .territories()
                    .map(|t| {
                        t.territories()
                            .iter()
                            .filter(|t| t.owner == Some(staff_id))
                            .map(|t| t.id)
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => None,
        }
    }

    /// The caller's cases among `statuses` (all statuses when empty) with their SLA clocks.
    async fn visible_cases(
        &self,
        statuses: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueItem>, ApiError> {
        self.require("cases", Action::Read)?;
        let visible = self.visible().await?;
        let mut cases = self.store().queue_cases(statuses).await?;
        cases.retain(|c| visible.admits(c.account_id));
        let (settings, _) = self.store().sla_settings().await?;
        let calendar = calendar_of(&self.state, &settings);
        Ok(with_clocks(cases, &settings, &calendar, now))
    }

    /// The queue: the view's cases that pass the filters, sorted, one page.
    pub async fn case_queue(
        &self,
        filter: &QueueFilter,
        now: DateTime<Utc>,
    ) -> Result<Queue, ApiError> {
        let statuses: Vec<&str> = if filter.statuses.is_empty() {
            OPEN_CASE_STATUSES.to_vec()
        } else {
            filter.statuses.iter().map(String::as_str).collect()
        };
        let mut items = self.visible_cases(&statuses, now).await?;
        let me = self.caller.acting_staff_id();
        let team = self.team_territories();
        let in_team = |c: &QueueCase| {
            team.as_ref()
                .is_none_or(|t| c.territory_id.is_some_and(|id| t.contains(&id)))
                || (me.is_some() && c.assigned_to == me)
        };
        let open = |c: &QueueCase| OPEN_CASE_STATUSES.contains(&c.status.as_str());
        let views = ViewCounts {
            mine: items
                .iter()
                .filter(|i| open(&i.case) && me.is_some() && i.case.assigned_to == me)
                .count(),
            team: items
                .iter()
                .filter(|i| open(&i.case) && in_team(&i.case))
                .count(),
            all: items.iter().filter(|i| open(&i.case)).count(),
        };
        items.retain(|i| {
            let c = &i.case;
            let in_view = match filter.view {
                QueueView::Mine => me.is_some() && c.assigned_to == me,
                QueueView::Team => in_team(c),
                QueueView::All => true,
            };
            in_view
                && filter.priority.as_ref().is_none_or(|p| &c.priority == p)
                && filter.category.as_ref().is_none_or(|k| &c.category == k)
                && filter
                    .territory_id
                    .is_none_or(|t| c.territory_id == Some(t))
                && filter.sla.is_none_or(|s| i.sla.state == s)
        });
        match filter.sort {
            QueueSort::Sla => items.sort_by_key(|i| (urgency(i), i.case.id)),
            QueueSort::Priority => items.sort_by_key(|i| {
                (
                    priority_rank(&i.case.priority),
                    i.case.created_at,
                    i.case.id,
                )
            }),
            QueueSort::Newest => {
                items.sort_by_key(|i| (std::cmp::Reverse(i.case.created_at), -i.case.id))
            }
            QueueSort::Oldest => items.sort_by_key(|i| (i.case.created_at, i.case.id)),
        }
        let total = items.len();
        let items = items
            .into_iter()
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(filter.limit as usize)
            .collect();
        Ok(Queue {
            items,
            total,
            limit: filter.limit,
            offset: filter.offset,
            views,
            now,
        })
    }

    /// Runs the escalation check now (managers and admins; the server also runs it every
    /// minute): over every open case, since missed targets are everyone's business.
    pub async fn escalate_now(&self, now: DateTime<Utc>) -> Result<EscalationRun, ApiError> {
        self.require("case_escalations", Action::Create)?;
        escalate_overdue(&self.state, now).await
    }

    /// The caller's accounts whose contacts have this phone number (compared by its digits),
    /// each with its panel (what the role may read of it) and open cases.
    pub async fn callers_by_phone(
        &self,
        phone: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<CallerMatch>, ApiError> {
        self.require("cases", Action::Create)?;
        if wilayah_shared::account::phone_digits(phone).is_none() {
            return Err(ApiError::bad_field(
                "phone",
                "is not a phone number (digits, spaces, + - . ( ))",
            ));
        }
        let candidate = AccountIdentity {
            id: None,
            name: String::new(),
            position: None,
            phones: vec![phone.to_owned()],
            emails: Vec::new(),
            external_id: None,
        };
        let visible = self.visible().await?;
        let mut ids: Vec<i64> = self
            .state
            .index
            .duplicates_of(&candidate)
            .into_iter()
            .filter(|d| {
                d.reasons
                    .iter()
                    .any(|r| matches!(r, DuplicateReason::SamePhone { .. }))
            })
            .map(|d| d.account_id)
            .filter(|id| visible.admits(*id))
            .collect();
        ids.sort_unstable();
        ids.truncate(20);
        let open = self.visible_cases(OPEN_CASE_STATUSES, now).await?;
        let mut by_account: HashMap<i64, Vec<QueueItem>> = HashMap::new();
        for item in open {
            by_account
                .entry(item.case.account_id)
                .or_default()
                .push(item);
        }
        let mut matches = Vec::new();
        for account in self.accounts_by_ids(&ids).await? {
            let Some(panel) = self.account_panel(account.id).await? else {
                continue;
            };
            matches.push(CallerMatch {
                open_cases: by_account.remove(&account.id).unwrap_or_default(),
                account,
                panel,
            });
        }
        Ok(matches)
    }
}

/// The escalation check, as the system: every open case's missed targets fire once each
/// (reassigning to the policy's `escalate_to` when it names one), each written to the case's
/// history. Run by the server every minute and by [`Scoped::escalate_now`].
pub async fn escalate_overdue(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<EscalationRun, ApiError> {
    let store = &state.store.0;
    let (settings, _) = store.sla_settings().await?;
    let calendar = calendar_of(state, &settings);
    let cases = store.queue_cases(OPEN_CASE_STATUSES).await?;
    let mut run = EscalationRun {
        checked: cases.len(),
        fired: Vec::new(),
    };
    for case in cases {
        let sla = case_sla(&settings, &calendar, &times(&case), now);
        for target in missed_targets(&sla) {
            if case.escalated.contains(&target) {
                continue;
            }
            let reassign = settings
                .policy_for(&case.priority, Some(&case.category))
                .and_then(|p| p.escalate_to);
            if store.escalate_case(case.id, target, reassign, now).await? {
                run.fired.push((case.id, target.as_str()));
            }
        }
    }
    if !run.fired.is_empty() {
        tracing::info!(
            fired = run.fired.len(),
            "escalated cases that missed a target"
        );
    }
    Ok(run)
}

/// The public form's door: files a report, nothing else (no caller is known).
pub struct Intake {
    state: AppState,
}

impl FromRequestParts<AppState> for Intake {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Intake {
            state: state.clone(),
        })
    }
}

/// How many reports one client address may file per limiter window (15 minutes).
pub const REPORTS_PER_CLIENT: u32 = 5;

impl Intake {
    fn store(&self) -> &std::sync::Arc<dyn ServerStore> {
        &self.state.store.0
    }

    /// Counts a report from `client` against the limit (`Err(seconds to wait)` past it).
    pub async fn admit(&self, client: &str) -> Result<(), ApiError> {
        let key = format!("report:{client}");
        super::people::begin_attempt(self.store().as_ref(), &[(&key, REPORTS_PER_CLIENT)]).await
    }

    /// Files a checked report: the account whose contact has its e-mail (else its phone), or a
    /// new prospect placed by the address (with the reporter as its contact); the case opens
    /// on it. The answer is the confirmation number.
    pub async fn file(
        &self,
        report: ProblemReport,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let candidate = AccountIdentity {
            id: None,
            name: String::new(),
            position: None,
            phones: report.phone.iter().cloned().collect(),
            emails: report.email.iter().cloned().collect(),
            external_id: None,
        };
        let found = self.state.index.duplicates_of(&candidate);
        let by = |wanted: fn(&DuplicateReason) -> bool| {
            found
                .iter()
                .filter(|d| d.reasons.iter().any(wanted))
                .map(|d| d.account_id)
                .min()
        };
        let matched = by(|r| matches!(r, DuplicateReason::SameEmail { .. }))
            .or_else(|| by(|r| matches!(r, DuplicateReason::SamePhone { .. })));
        let new_account = match matched {
            Some(_) => None,
            None => Some(self.new_prospect(&report).await?),
        };
        let _writing = self.state.index.lock_writes().await;
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| index_error(std::io::Error::other(e.to_string())))?;
        let reference = confirmation_number(u64::from_le_bytes(random));
        let filed = self
            .store()
            .file_report(&FiledReport {
                account_id: matched,
                new_account,
                contact_name: report.name.clone(),
                email: report.email.clone(),
                phone: report.phone.clone(),
                subject: report.subject.clone(),
                description: report.description.clone(),
                category: report.category.clone().unwrap_or_else(|| "other".into()),
                reference: reference.clone(),
                at: now,
            })
            .await?;
        if filed.new_account {
            let account = self.store().get_account(filed.account_id).await?;
            self.state.index.upsert(&account).map_err(index_error)?;
            let mut contacts =
                contacts_by_account(self.store().contact_keys(Some(&[account.id])).await?);
            self.state.index.upsert_identity(&identity(
                &account,
                &contacts.remove(&account.id).unwrap_or_default(),
            ));
        }
        tracing::info!(case = filed.case_id, "a public report opened a case");
        Ok(reference)
    }

    /// A prospect for a reporter nobody knows: named after them, placed by their address
    /// (territory and owner follow the position).
    async fn new_prospect(
        &self,
        report: &ProblemReport,
    ) -> Result<wilayah_shared::account::ValidAccount, ApiError> {
        let nowhere = || {
            ApiError::Invalid(ValidationError::new(
                "address",
                "name your town or address so we can find you",
            ))
        };
        let address = report.address.clone().ok_or_else(nowhere)?;
        let hit = self
            .state
            .geocoder
            .locate(&address)
            .await
            .ok_or_else(nowhere)?;
        let input = AccountInput {
            name: report.name.clone(),
            kind: Some(wilayah_shared::domain::AccountKind::Prospect),
            address: Some(address),
            lon: hit.lon,
            lat: hit.lat,
            tags: vec!["web".into()],
            ..AccountInput::default()
        };
        let mut valid = input.validate()?;
        let given = Given::of_new(&valid);
        self.state.index.place(&mut valid, None, given, |_, _| true);
        Ok(valid)
    }
}
