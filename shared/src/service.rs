//! The service desk's pure rules: the SLA clock (business minutes in the deployment's time zone,
//! across weekends and public holidays), the SLA policies per priority and category, the state
//! of a case's response and resolution targets, which targets an escalation is due for, and the
//! public "report a problem" form (its checks, the honeypot, the confirmation number). No I/O:
//! the server reads the clock and the database, and writes what these functions decide.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::resources::PRIORITIES;

/// What a case is about (labels in the UI's language; stored as these codes).
pub const CASE_CATEGORIES: &[&str] = &[
    "billing",
    "delivery",
    "product",
    "installation",
    "maintenance",
    "complaint",
    "other",
];

/// How a case came in.
pub const CASE_CHANNELS: &[&str] = &["staff", "web", "phone", "email"];

/// Statuses of a case still being worked (the queue's default).
pub const OPEN_CASE_STATUSES: &[&str] = &["new", "in_progress"];

/// A public holiday on which the SLA clock stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// Response and resolution targets (business minutes) for a priority, optionally only for one
/// category (a policy with a category wins over the priority's general one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub priority: String,
    #[serde(default)]
    pub category: Option<String>,
    /// First answer (the case leaves `new`) within this many business minutes.
    pub response_min: u32,
    /// Resolved within this many business minutes.
    pub resolution_min: u32,
    /// The staff member (a manager) a case is reassigned to when it misses a target; without
    /// one the escalation is written to the case's history and flagged in the managers' queue.
    #[serde(default)]
    pub escalate_to: Option<i64>,
}

/// The deployment's service hours, holidays and policies, as one versioned document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    /// Local time `HH:MM` the service day starts and ends (the deployment's time zone).
    pub work_start: String,
    pub work_end: String,
    /// ISO weekdays the desk works: 1 = Monday … 7 = Sunday.
    pub work_days: Vec<u8>,
    pub holidays: Vec<Holiday>,
    pub policies: Vec<SlaPolicy>,
}

fn holiday(y: i32, m: u32, d: u32, name: &str) -> Holiday {
    Holiday {
        date: NaiveDate::from_ymd_opt(y, m, d).expect("a calendar date"),
        name: name.to_owned(),
    }
}

/// Indonesia's national public holidays of 2026 as the joint ministerial decree lists them
/// (lunar dates move every year: admins add the next year's in the settings).
pub fn indonesian_holidays_2026() -> Vec<Holiday> {
    vec![
        holiday(2026, 1, 1, "Tahun Baru Masehi"),
        holiday(2026, 1, 16, "Isra Mikraj Nabi Muhammad SAW"),
        holiday(2026, 2, 17, "Tahun Baru Imlek"),
        holiday(2026, 3, 19, "Hari Suci Nyepi"),
        holiday(2026, 3, 20, "Idul Fitri"),
        holiday(2026, 3, 21, "Idul Fitri"),
        holiday(2026, 4, 3, "Wafat Yesus Kristus"),
        holiday(2026, 5, 1, "Hari Buruh Internasional"),
        holiday(2026, 5, 14, "Kenaikan Yesus Kristus"),
        holiday(2026, 5, 27, "Idul Adha"),
        holiday(2026, 5, 31, "Hari Raya Waisak"),
        holiday(2026, 6, 1, "Hari Lahir Pancasila"),
        holiday(2026, 6, 16, "Tahun Baru Islam"),
        holiday(2026, 8, 17, "Hari Kemerdekaan RI"),
        holiday(2026, 8, 25, "Maulid Nabi Muhammad SAW"),
        holiday(2026, 12, 25, "Hari Raya Natal"),
    ]
}

impl Default for SlaSettings {
    /// 08:00–17:00 Monday to Friday, Indonesia's 2026 holidays, and targets per priority.
    fn default() -> Self {
        let policy = |priority: &str, response_min, resolution_min| SlaPolicy {
            priority: priority.to_owned(),
            category: None,
            response_min,
            resolution_min,
            escalate_to: None,
        };
        SlaSettings {
            work_start: "08:00".into(),
            work_end: "17:00".into(),
            work_days: vec![1, 2, 3, 4, 5],
            holidays: indonesian_holidays_2026(),
            policies: vec![
                policy("urgent", 30, 4 * 60),
                policy("high", 2 * 60, 9 * 60),
                policy("normal", 4 * 60, 3 * 9 * 60),
                policy("low", 9 * 60, 5 * 9 * 60),
            ],
        }
    }
}

/// `HH:MM` as minutes after midnight.
fn minutes_of_day(field: &'static str, text: &str) -> Result<u32, ValidationError> {
    let bad = || ValidationError::new(field, "expected a time of day like 08:30");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    match (h.parse::<u32>(), m.parse::<u32>()) {
        (Ok(h), Ok(m)) if h < 24 && m < 60 => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

/// The most a target may be: a year of business minutes is already more than any desk promises.
pub const MAX_TARGET_MIN: u32 = 366 * 24 * 60;

impl SlaSettings {
    /// The settings if they hold together: times of day in order, at least one working day,
    /// each holiday once, every priority's general policy present, targets positive with the
    /// response before the resolution, each (priority, category) once.
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        let start = minutes_of_day("work_start", &self.work_start)?;
        let end = minutes_of_day("work_end", &self.work_end)?;
        if end <= start {
            return Err(ValidationError::new("work_end", "must be after work_start"));
        }
        self.work_days.sort_unstable();
        self.work_days.dedup();
        if self.work_days.is_empty() || self.work_days.iter().any(|d| !(1..=7).contains(d)) {
            return Err(ValidationError::new(
                "work_days",
                "expected at least one weekday, 1 (Monday) to 7 (Sunday)",
            ));
        }
        self.holidays.sort_by_key(|h| h.date);
        for pair in self.holidays.windows(2) {
            if pair[0].date == pair[1].date {
                return Err(ValidationError::new(
                    "holidays",
                    format!("{} is listed twice", pair[0].date),
                ));
            }
        }
        for h in &mut self.holidays {
            h.name = h.name.trim().to_owned();
            if h.name.is_empty() || h.name.chars().count() > 200 {
                return Err(ValidationError::new(
                    "holidays",
                    "each holiday needs a name (at most 200 characters)",
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for p in &self.policies {
            if !PRIORITIES.contains(&p.priority.as_str()) {
                return Err(ValidationError::new(
                    "priority",
                    format!(
                        "{:?} is no priority (low, normal, high, urgent)",
                        p.priority
                    ),
                ));
            }
            if let Some(c) = &p.category
                && !CASE_CATEGORIES.contains(&c.as_str())
            {
                return Err(ValidationError::new(
                    "category",
                    format!("{c:?} is no case category"),
                ));
            }
            if p.response_min == 0 || p.resolution_min > MAX_TARGET_MIN {
                return Err(ValidationError::new(
                    "response_min",
                    "targets must be between 1 minute and a year",
                ));
            }
            if p.resolution_min < p.response_min {
                return Err(ValidationError::new(
                    "resolution_min",
                    "must not be shorter than the response target",
                ));
            }
            if !seen.insert((p.priority.clone(), p.category.clone())) {
                return Err(ValidationError::new(
                    "policies",
                    format!("{} / {:?} has two policies", p.priority, p.category),
                ));
            }
        }
        if let Some(missing) = PRIORITIES
            .iter()
            .find(|p| !seen.contains(&((**p).to_owned(), None)))
        {
            return Err(ValidationError::new(
                "policies",
                format!("priority {missing} needs a policy without a category"),
            ));
        }
        Ok(self)
    }

    /// The policy for a case: its priority and category's, else its priority's general one.
    pub fn policy_for(&self, priority: &str, category: Option<&str>) -> Option<&SlaPolicy> {
        let specific = self.policies.iter().find(|p| {
            p.priority == priority && p.category.is_some() && p.category.as_deref() == category
        });
        specific.or_else(|| {
            self.policies
                .iter()
                .find(|p| p.priority == priority && p.category.is_none())
        })
    }

    /// The business calendar these settings describe in a time zone `utc_offset_minutes` east
    /// of UTC (settings that passed [`Self::validated`]; odd values fall back to 08:00–17:00).
    pub fn calendar(&self, utc_offset_minutes: i32) -> BusinessCalendar {
        let start = minutes_of_day("work_start", &self.work_start).unwrap_or(8 * 60);
        let end = minutes_of_day("work_end", &self.work_end)
            .unwrap_or(17 * 60)
            .max(start + 1);
        let mut work_days = [false; 7];
        for d in &self.work_days {
            if (1..=7).contains(d) {
                work_days[usize::from(*d - 1)] = true;
            }
        }
        BusinessCalendar {
            utc_offset_minutes,
            work_start_min: start,
            work_end_min: end,
            work_days,
            holidays: self.holidays.iter().map(|h| h.date).collect(),
        }
    }
}

/// When the SLA clock runs: working hours on working days that are no holiday, in a fixed time
/// zone. All arithmetic is in whole seconds; results are business minutes (rounded down).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    pub utc_offset_minutes: i32,
    pub work_start_min: u32,
    pub work_end_min: u32,
    /// Monday first.
    pub work_days: [bool; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

/// How far the clock looks for working time before it gives up (no working day in ten years
/// means the settings are broken; the answer is then "never").
const MAX_DAYS: i64 = 3660;

impl BusinessCalendar {
    fn offset(&self) -> Duration {
        Duration::minutes(i64::from(self.utc_offset_minutes))
    }

    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.naive_utc() + self.offset()
    }

    fn utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        (local - self.offset()).and_utc()
    }

    /// Whether the desk works on this local date.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.work_days[date.weekday().num_days_from_monday() as usize]
            && !self.holidays.contains(&date)
    }

    /// The working hours of a local date, as local instants (`None` on a day off).
    fn hours_of(&self, date: NaiveDate) -> Option<(NaiveDateTime, NaiveDateTime)> {
        if !self.is_working_day(date) {
            return None;
        }
        let midnight = date.and_hms_opt(0, 0, 0)?;
        Some((
            midnight + Duration::minutes(i64::from(self.work_start_min)),
            midnight + Duration::minutes(i64::from(self.work_end_min)),
        ))
    }

    /// Business minutes between two instants (0 when `to` is not after `from`).
    pub fn business_minutes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let (from, to) = (self.local(from), self.local(to));
        let mut seconds = 0;
        let mut date = from.date();
        let last = to.date().min(from.date() + Duration::days(MAX_DAYS));
        while date <= last {
            if let Some((open, close)) = self.hours_of(date) {
                let (a, b) = (open.max(from), close.min(to));
                if b > a {
                    seconds += (b - a).num_seconds();
                }
            }
            date = match date.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
        seconds / 60
    }

    /// The instant `minutes` business minutes after `start` (`start` itself for 0, moved to the
    /// next working moment only when there is time to spend); `None` when no working time comes
    /// within ten years.
    pub fn add_business_minutes(
        &self,
        start: DateTime<Utc>,
        minutes: i64,
    ) -> Option<DateTime<Utc>> {
        if minutes <= 0 {
            return Some(start);
        }
        let from = self.local(start);
        let mut left = minutes * 60;
        let mut date = from.date();
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.hours_of(date) {
                let begin = open.max(from);
                if close > begin {
                    let available = (close - begin).num_seconds();
                    if left <= available {
                        return Some(self.utc(begin + Duration::seconds(left)));
                    }
                    left -= available;
                }
            }
            date = date.succ_opt()?;
        }
        None
    }
}

/// One target of a case (what an escalation is about).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Response,
    Resolution,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Response => "response",
            Target::Resolution => "resolution",
        }
    }
}

/// Where one target of a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Clock {
    /// Reached in time.
    Met,
    /// Reached, but after its due time.
    MetLate,
    /// Running, more than a quarter of the target left.
    OnTrack { minutes_left: i64 },
    /// Running, a quarter of the target or less left.
    AtRisk { minutes_left: i64 },
    /// Past its due time and not reached (business minutes over; 0 when it fell due after hours).
    Breached { minutes_over: i64 },
}

impl Clock {
    pub fn breached(self) -> bool {
        matches!(self, Clock::Breached { .. } | Clock::MetLate)
    }
}

/// A target's due time and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetClock {
    pub due_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub clock: Clock,
}

/// The SLA state a case is filtered by: its worst target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Every target reached in time.
    Met,
    OnTrack,
    AtRisk,
    /// A target missed (running past its due time, or reached late).
    Breached,
    /// No policy applies.
    None,
}

impl SlaState {
    pub const ALL: [SlaState; 5] = [
        SlaState::OnTrack,
        SlaState::AtRisk,
        SlaState::Breached,
        SlaState::Met,
        SlaState::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Met => "met",
            SlaState::OnTrack => "on_track",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::None => "none",
        }
    }

    pub fn parse(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                ValidationError::new(field, "expected on_track, at_risk, breached, met or none")
            })
    }
}

/// What the SLA clock needs of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseTimes {
    pub priority: String,
    pub category: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// When it first left `new`.
    pub responded_at: Option<DateTime<Utc>>,
    /// When it was last resolved (cleared when reopened).
    pub resolved_at: Option<DateTime<Utc>>,
    /// A resolution deadline set on the case itself, which wins over the policy's.
    pub sla_due_at: Option<DateTime<Utc>>,
}

/// A case's targets as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSla {
    pub state: SlaState,
    pub response: Option<TargetClock>,
    pub resolution: Option<TargetClock>,
}

fn target_clock(
    calendar: &BusinessCalendar,
    due_at: Option<DateTime<Utc>>,
    target_min: i64,
    reached: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TargetClock {
    let clock = match (reached, due_at) {
        (Some(at), Some(due)) if at > due => Clock::MetLate,
        (Some(_), _) => Clock::Met,
        (None, None) => Clock::OnTrack {
            minutes_left: i64::MAX,
        },
        (None, Some(due)) if now > due => Clock::Breached {
            minutes_over: calendar.business_minutes(due, now),
        },
        (None, Some(due)) => {
            let left = calendar.business_minutes(now, due);
            if left * 4 <= target_min {
                Clock::AtRisk { minutes_left: left }
            } else {
                Clock::OnTrack { minutes_left: left }
            }
        }
    };
    TargetClock { due_at, clock }
}

/// Where a case's response and resolution targets stand at `now` under `settings`.
pub fn case_sla(
    settings: &SlaSettings,
    calendar: &BusinessCalendar,
    case: &CaseTimes,
    now: DateTime<Utc>,
) -> CaseSla {
    let Some(policy) = settings.policy_for(&case.priority, case.category.as_deref()) else {
        return CaseSla {
            state: SlaState::None,
            response: None,
            resolution: None,
        };
    };
    let response_min = i64::from(policy.response_min);
    let resolution_min = i64::from(policy.resolution_min);
    let done = matches!(case.status.as_str(), "resolved" | "closed");
    // A case resolved straight from new was answered by its resolution.
    let responded = case
        .responded_at
        .or(if done { case.resolved_at } else { None });
    let responded = if done && responded.is_none() {
        Some(case.created_at)
    } else {
        responded
    };
    let response = target_clock(
        calendar,
        calendar.add_business_minutes(case.created_at, response_min),
        response_min,
        responded,
        now,
    );
    let resolution_due = case
        .sla_due_at
        .or_else(|| calendar.add_business_minutes(case.created_at, resolution_min));
    let resolved = if done {
        Some(case.resolved_at.unwrap_or(case.created_at))
    } else {
        None
    };
    let resolution = target_clock(calendar, resolution_due, resolution_min, resolved, now);
    let state = [response.clock, resolution.clock]
        .into_iter()
        .map(|c| match c {
            Clock::Met => SlaState::Met,
            Clock::OnTrack { .. } => SlaState::OnTrack,
            Clock::AtRisk { .. } => SlaState::AtRisk,
            Clock::Breached { .. } | Clock::MetLate => SlaState::Breached,
        })
        .max_by_key(|s| match s {
            SlaState::Met => 0,
            SlaState::OnTrack => 1,
            SlaState::AtRisk => 2,
            SlaState::Breached => 3,
            SlaState::None => -1,
        })
        .unwrap_or(SlaState::None);
    CaseSla {
        state,
        response: Some(response),
        resolution: Some(resolution),
    }
}

/// The targets of an open case that are past their due time and not reached: what the
/// escalation check fires for (once per case and target: the server keeps which fired).
pub fn missed_targets(sla: &CaseSla) -> Vec<Target> {
    [
        (Target::Response, sla.response),
        (Target::Resolution, sla.resolution),
    ]
    .into_iter()
    .filter(|(_, t)| t.is_some_and(|t| matches!(t.clock, Clock::Breached { .. })))
    .map(|(target, _)| target)
    .collect()
}

/// The SLA clock's stops a case write sets, given the case as stored (`None`: being created)
/// and the status it is moving to: `responded_at` when it first leaves `new`, `resolved_at`
/// when it is resolved (or closed straight away), cleared again when it is reopened. `now` is
/// the RFC 3339 instant of the write.
pub fn clock_stops(
    stored: Option<&serde_json::Map<String, serde_json::Value>>,
    to: &str,
    now: &str,
) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::Value;
    let text = |name: &str| stored.and_then(|s| s.get(name)).and_then(Value::as_str);
    let from = text("status").unwrap_or("new");
    let is_done = |s: &str| matches!(s, "resolved" | "closed");
    let mut stops = Vec::new();
    if to != "new" && text("responded_at").is_none() && (stored.is_none() || from == "new") {
        stops.push(("responded_at", Value::from(now)));
    }
    if is_done(to) && (stored.is_none() || !is_done(from)) {
        stops.push(("resolved_at", Value::from(now)));
    }
    if !is_done(to) && is_done(from) && stored.is_some() {
        stops.push(("resolved_at", Value::Null));
    }
    stops
}

// ---- public intake ---------------------------------------------------------------------------

/// A problem reported through the public form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemReport {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Where the reporter is (a town or an address): places a new prospect on the map.
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    pub subject: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The honeypot: a field people do not see and bots fill in.
    #[serde(default)]
    pub website: Option<String>,
}

fn optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn bounded(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

impl ProblemReport {
    /// Whether a bot filled in the honeypot (the answer then looks like a success and nothing
    /// is written).
    pub fn is_bot(&self) -> bool {
        self.website
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty())
    }

    /// The report trimmed, if it can open a case: a name and a subject, an e-mail or a phone
    /// number to answer on, a known category.
    pub fn validated(self) -> Result<Self, ValidationError> {
        let name = self.name.trim().to_owned();
        let subject = self.subject.trim().to_owned();
        let email = optional(self.email).map(|e| e.to_lowercase());
        let phone = optional(self.phone);
        let address = optional(self.address);
        let description = optional(self.description);
        let category = optional(self.category);
        if name.is_empty() {
            return Err(ValidationError::new("name", "is required"));
        }
        bounded("name", &name, 200)?;
        if subject.is_empty() {
            return Err(ValidationError::new("subject", "is required"));
        }
        bounded("subject", &subject, 200)?;
        if let Some(d) = &description {
            bounded("description", d, 5000)?;
        }
        if let Some(a) = &address {
            bounded("address", a, 500)?;
        }
        if let Some(e) = &email {
            bounded("email", e, 200)?;
            let (user, domain) = e.split_once('@').unwrap_or_default();
            if user.is_empty() || !domain.contains('.') || e.contains(char::is_whitespace) {
                return Err(ValidationError::new("email", "is not an e-mail address"));
            }
        }
        if let Some(p) = &phone {
            bounded("phone", p, 50)?;
            if crate::account::phone_digits(p).is_none() {
                return Err(ValidationError::new(
                    "phone",
                    "is not a phone number (digits, spaces, + - . ( ))",
                ));
            }
        }
        if email.is_none() && phone.is_none() {
            return Err(ValidationError::new(
                "email",
                "give an e-mail address or a phone number to answer you on",
            ));
        }
        if let Some(c) = &category
            && !CASE_CATEGORIES.contains(&c.as_str())
        {
            return Err(ValidationError::new("category", "is no case category"));
        }
        Ok(ProblemReport {
            name,
            email,
            phone,
            address,
            category,
            subject,
            description,
            website: None,
        })
    }
}

/// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A confirmation number from 40 random bits: `WL-XXXX-XXXX` (31⁸ ≈ 850 billion values).
pub fn confirmation_number(random: u64) -> String {
    let mut n = random;
    let mut chars = Vec::with_capacity(8);
    for _ in 0..8 {
        chars.push(CODE_ALPHABET[(n % CODE_ALPHABET.len() as u64) as usize] as char);
        n /= CODE_ALPHABET.len() as u64;
    }
    let code: String = chars.into_iter().collect();
    format!("WL-{}-{}", &code[..4], &code[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WIB (UTC+7), 08:00–17:00 Monday–Friday, 17 Aug 2026 (a Monday) a holiday.
    fn wib() -> BusinessCalendar {
        SlaSettings {
            holidays: vec![holiday(2026, 8, 17, "Hari Kemerdekaan RI")],
            ..SlaSettings::default()
        }
        .calendar(7 * 60)
    }

    /// A local (WIB) time as UTC.
    fn at(d: u32, m: u32, h: u32, min: u32) -> DateTime<Utc> {
        let local = NaiveDate::from_ymd_opt(2026, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap();
        (local - Duration::hours(7)).and_utc()
    }

    #[test]
    fn business_minutes_count_only_working_hours() {
        let c = wib();
        // Within one day (Wednesday 12 Aug 2026): 09:15 → 11:45 = 150.
        assert_eq!(c.business_minutes(at(12, 8, 9, 15), at(12, 8, 11, 45)), 150);
        // Before opening to after closing: the whole day, 540.
        assert_eq!(c.business_minutes(at(12, 8, 6, 0), at(12, 8, 20, 0)), 540);
        // Friday 16:00 → Monday 09:00 across the weekend: 60 + 60 = 120 (Monday 10 Aug).
        assert_eq!(c.business_minutes(at(7, 8, 16, 0), at(10, 8, 9, 0)), 120);
        // Friday 14 Aug 16:30 → Tuesday 18 Aug 08:30: Monday is Independence Day; 30 + 30.
        assert_eq!(c.business_minutes(at(14, 8, 16, 30), at(18, 8, 8, 30)), 60);
        // Saturday to Sunday: nothing.
        assert_eq!(c.business_minutes(at(15, 8, 9, 0), at(16, 8, 17, 0)), 0);
        // Backwards: nothing.
        assert_eq!(c.business_minutes(at(12, 8, 11, 0), at(12, 8, 9, 0)), 0);
        // Two full weeks Monday 00:00 → Monday 00:00 with one holiday: 9 days × 540.
        assert_eq!(
            c.business_minutes(at(10, 8, 0, 0), at(24, 8, 0, 0)),
            9 * 540
        );
    }

    #[test]
    fn due_times_skip_nights_weekends_and_holidays() {
        let c = wib();
        // Wednesday 10:00 + 4 h = 14:00 the same day.
        assert_eq!(
            c.add_business_minutes(at(12, 8, 10, 0), 240),
            Some(at(12, 8, 14, 0))
        );
        // Wednesday 16:00 + 2 h: 1 h today, 1 h Thursday from 08:00 → Thursday 09:00.
        assert_eq!(
            c.add_business_minutes(at(12, 8, 16, 0), 120),
            Some(at(13, 8, 9, 0))
        );
        // Friday 14 Aug 16:00 + 2 h: 1 h Friday, weekend, Monday a holiday → Tuesday 09:00.
        assert_eq!(
            c.add_business_minutes(at(14, 8, 16, 0), 120),
            Some(at(18, 8, 9, 0))
        );
        // Opened on Saturday night + 30 min → Monday 10 Aug 08:30.
        assert_eq!(
            c.add_business_minutes(at(8, 8, 22, 0), 30),
            Some(at(10, 8, 8, 30))
        );
        // Exactly to closing time stays on that day (17:00), not the next morning.
        assert_eq!(
            c.add_business_minutes(at(12, 8, 16, 0), 60),
            Some(at(12, 8, 17, 0))
        );
        // Three business days (1,620 min) from Thursday 13 Aug 12:00: Thu 300, Fri 540,
        // (Sat, Sun, Mon holiday), Tue 540, Wed 240 → Wednesday 19 Aug 12:00.
        assert_eq!(
            c.add_business_minutes(at(13, 8, 12, 0), 1620),
            Some(at(19, 8, 12, 0))
        );
        // The two functions agree.
        let start = at(13, 8, 12, 0);
        let due = c.add_business_minutes(start, 1620).unwrap();
        assert_eq!(c.business_minutes(start, due), 1620);
    }

    #[test]
    fn a_calendar_without_working_days_never_falls_due() {
        let mut c = wib();
        c.work_days = [false; 7];
        assert_eq!(c.add_business_minutes(at(12, 8, 10, 0), 30), None);
        assert_eq!(c.business_minutes(at(12, 8, 10, 0), at(20, 8, 10, 0)), 0);
    }

    #[test]
    fn the_time_zone_decides_the_local_day() {
        // 01:30 UTC on Wednesday is 08:30 in WIB (open) but 09:30 in WITA (UTC+8).
        let utc = NaiveDate::from_ymd_opt(2026, 8, 12)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap()
            .and_utc();
        let wita = SlaSettings::default().calendar(8 * 60);
        assert_eq!(
            wita.add_business_minutes(utc, 30),
            Some(utc + Duration::minutes(30))
        );
        // UTC itself: 01:30 is before opening; due 08:30 UTC.
        let zulu = SlaSettings::default().calendar(0);
        assert_eq!(
            zulu.add_business_minutes(utc, 30),
            Some(utc + Duration::hours(7))
        );
    }

    fn case(priority: &str, status: &str, created: DateTime<Utc>) -> CaseTimes {
        CaseTimes {
            priority: priority.into(),
            category: None,
            status: status.into(),
            created_at: created,
            responded_at: None,
            resolved_at: None,
            sla_due_at: None,
        }
    }

    #[test]
    fn targets_run_turn_at_risk_and_breach() {
        let s = SlaSettings::default();
        let c = s.calendar(7 * 60);
        let opened = at(12, 8, 9, 0); // urgent: respond by 09:30, resolve by 13:00
        let new = case("urgent", "new", opened);
        let early = case_sla(&s, &c, &new, at(12, 8, 9, 10));
        assert_eq!(early.state, SlaState::OnTrack);
        assert_eq!(
            early.response.unwrap(),
            TargetClock {
                due_at: Some(at(12, 8, 9, 30)),
                clock: Clock::OnTrack { minutes_left: 20 }
            }
        );
        let late = case_sla(&s, &c, &new, at(12, 8, 9, 25));
        assert_eq!(late.state, SlaState::AtRisk);
        let over = case_sla(&s, &c, &new, at(12, 8, 10, 0));
        assert_eq!(over.state, SlaState::Breached);
        assert_eq!(
            over.response.unwrap().clock,
            Clock::Breached { minutes_over: 30 }
        );
        assert_eq!(missed_targets(&over), vec![Target::Response]);
        // Answered at 09:20: the response is met, the resolution runs.
        let answered = CaseTimes {
            status: "in_progress".into(),
            responded_at: Some(at(12, 8, 9, 20)),
            ..new.clone()
        };
        let s1 = case_sla(&s, &c, &answered, at(12, 8, 14, 0));
        assert_eq!(s1.response.unwrap().clock, Clock::Met);
        assert_eq!(
            s1.resolution.unwrap().clock,
            Clock::Breached { minutes_over: 60 }
        );
        assert_eq!(missed_targets(&s1), vec![Target::Resolution]);
        // Resolved late: reached, but breached; nothing more to escalate.
        let resolved = CaseTimes {
            status: "resolved".into(),
            resolved_at: Some(at(12, 8, 15, 0)),
            ..answered
        };
        let s2 = case_sla(&s, &c, &resolved, at(13, 8, 9, 0));
        assert_eq!(s2.resolution.unwrap().clock, Clock::MetLate);
        assert_eq!(s2.state, SlaState::Breached);
        assert!(missed_targets(&s2).is_empty());
    }

    #[test]
    fn a_deadline_on_the_case_and_a_category_policy_win() {
        let mut s = SlaSettings::default();
        s.policies.push(SlaPolicy {
            priority: "normal".into(),
            category: Some("billing".into()),
            response_min: 60,
            resolution_min: 120,
            escalate_to: Some(4),
        });
        let s = s.validated().unwrap();
        assert_eq!(
            s.policy_for("normal", Some("billing"))
                .unwrap()
                .response_min,
            60
        );
        assert_eq!(
            s.policy_for("normal", Some("delivery"))
                .unwrap()
                .response_min,
            240
        );
        assert_eq!(s.policy_for("normal", None).unwrap().response_min, 240);
        let c = s.calendar(7 * 60);
        let mut billing = case("normal", "new", at(12, 8, 9, 0));
        billing.category = Some("billing".into());
        let sla = case_sla(&s, &c, &billing, at(12, 8, 9, 0));
        assert_eq!(sla.resolution.unwrap().due_at, Some(at(12, 8, 11, 0)));
        billing.sla_due_at = Some(at(20, 8, 12, 0));
        let sla = case_sla(&s, &c, &billing, at(12, 8, 9, 0));
        assert_eq!(sla.resolution.unwrap().due_at, Some(at(20, 8, 12, 0)));
    }

    #[test]
    fn settings_are_checked() {
        assert!(SlaSettings::default().validated().is_ok());
        let field = |s: SlaSettings| s.validated().unwrap_err().field;
        let early_end = SlaSettings {
            work_end: "07:00".into(),
            ..Default::default()
        };
        assert_eq!(field(early_end), "work_end");
        let no_days = SlaSettings {
            work_days: vec![],
            ..Default::default()
        };
        assert_eq!(field(no_days), "work_days");
        let mut s = SlaSettings::default();
        s.policies.retain(|p| p.priority != "low");
        assert_eq!(field(s), "policies");
        let mut s = SlaSettings::default();
        s.policies[0].resolution_min = 1;
        assert_eq!(field(s), "resolution_min");
        let mut s = SlaSettings::default();
        s.holidays.push(s.holidays[0].clone());
        assert_eq!(field(s), "holidays");
        let loose_start = SlaSettings {
            work_start: "8:00".into(),
            ..Default::default()
        };
        assert_eq!(field(loose_start), "work_start");
    }

    #[test]
    fn reports_need_a_way_to_answer_and_bots_are_seen() {
        let person = ProblemReport {
            name: " Ani ".into(),
            email: Some("Ani@Example.ID".into()),
            subject: "Freezer broken".into(),
            ..ProblemReport::default()
        };
        let ok = person.clone().validated().unwrap();
        assert_eq!(ok.name, "Ani");
        assert_eq!(ok.email.as_deref(), Some("ani@example.id"));
        assert!(!person.is_bot());
        let no_contact = ProblemReport {
            email: None,
            ..person.clone()
        };
        assert_eq!(no_contact.validated().unwrap_err().field, "email");
        let bad_phone = ProblemReport {
            phone: Some("call me".into()),
            ..person.clone()
        };
        assert_eq!(bad_phone.validated().unwrap_err().field, "phone");
        let bot = ProblemReport {
            website: Some("http://spam.example".into()),
            ..person
        };
        assert!(bot.is_bot());
    }

    #[test]
    fn confirmation_numbers_read_clearly() {
        let a = confirmation_number(0);
        assert_eq!(a, "WL-2222-2222");
        let b = confirmation_number(123_456_789_012);
        assert_eq!(b.len(), 12);
        assert!(
            b[3..]
                .chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        assert_ne!(a, b);
    }

    #[test]
    fn the_clock_stops_when_answered_and_resolved_and_runs_again_when_reopened() {
        let now = "2026-08-12T03:00:00+00:00";
        let names = |v: Vec<(&'static str, serde_json::Value)>| {
            v.into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
        };
        assert!(clock_stops(None, "new", now).is_empty());
        let new = serde_json::json!({"status": "new", "responded_at": null});
        let new = new.as_object().unwrap();
        assert_eq!(
            names(clock_stops(Some(new), "in_progress", now)),
            [format!("responded_at=\"{now}\"")]
        );
        assert_eq!(clock_stops(Some(new), "resolved", now).len(), 2);
        let resolved =
            serde_json::json!({"status": "resolved", "responded_at": "x", "resolved_at": "y"});
        let resolved = resolved.as_object().unwrap();
        assert_eq!(
            names(clock_stops(Some(resolved), "in_progress", now)),
            ["resolved_at=null"]
        );
        assert!(clock_stops(Some(resolved), "closed", now).is_empty());
    }
}
