//! Campaigns (issue 16 item 2): a name, an objective, an offer, a channel, a budget, a period,
//! an owner and a target segment (`crate::segments`). Launching freezes the recipients: one per
//! contact of each member account, each either eligible or left out for a reason
//! ([`Exclusion`]), decided by [`freeze`] (pure, so the same in the store's transaction and in
//! tests).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::rng::SplitMix64;

/// Longest name, objective and offer, in characters.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_OBJECTIVE_CHARS: usize = 100;
pub const MAX_OFFER_CHARS: usize = 2_000;
/// Longest template subject and body.
pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;
/// The largest control group, as a share of the eligible accounts.
pub const MAX_CONTROL_SHARE: f64 = 0.5;

/// How a campaign reaches its recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Sent by the server through SMTP.
    Email,
    /// Tasks for the owning reps to call.
    CallList,
    /// A CSV for a provider the app does not drive (SMS, WhatsApp, letters).
    Export,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::CallList, Channel::Export];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::CallList => "call_list",
            Channel::Export => "export",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The contact's consent this channel needs: e-mail for e-mail, the phone for calls, SMS
    /// (the messaging providers) for an export.
    pub fn consent(self, contact: &ContactReach) -> Option<&str> {
        match self {
            Channel::Email => contact.consent_email.as_deref(),
            Channel::CallList => contact.consent_phone.as_deref(),
            Channel::Export => contact.consent_sms.as_deref(),
        }
    }

    /// The contact's address on this channel, if it has one.
    pub fn address(self, contact: &ContactReach) -> Option<String> {
        let value = match self {
            Channel::Email => contact.email.as_deref(),
            Channel::CallList | Channel::Export => contact.phone.as_deref(),
        };
        value
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Running,
    Done,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Running => "running",
            CampaignStatus::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Draft, Self::Running, Self::Done]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Why a member's contact is not a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// The contact has not granted consent for the channel (refused or never asked).
    NoConsent,
    /// No e-mail address (e-mail) or phone number (calls, export), or no contact at all.
    NoAddress,
    /// Held out in the random control group, to measure the campaign's lift.
    ControlGroup,
    /// The account is already a recipient of a running campaign with the same objective.
    RunningCampaign,
}

impl Exclusion {
    pub const ALL: [Exclusion; 4] = [
        Exclusion::NoConsent,
        Exclusion::NoAddress,
        Exclusion::ControlGroup,
        Exclusion::RunningCampaign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::NoConsent => "no_consent",
            Exclusion::NoAddress => "no_address",
            Exclusion::ControlGroup => "control_group",
            Exclusion::RunningCampaign => "running_campaign",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

/// One language's e-mail: merge fields `{{customer}}`, `{{contact}}`, `{{offer}}` and
/// `{{unsubscribe}}` (the recipient's opt-out link) are filled per recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// The e-mail in English and in Bahasa Indonesia.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    #[serde(default)]
    pub en: Option<Template>,
    #[serde(default)]
    pub id: Option<Template>,
}

/// A campaign as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub objective: String,
    pub offer: String,
    pub channel: Channel,
    pub budget_minor: Option<i64>,
    pub currency: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// The user who runs it.
    pub owner_id: Option<i64>,
    pub segment_id: Option<i64>,
    /// The share of eligible accounts held out as the control group, 0 to 0.5.
    pub control_share: f64,
    pub templates: Templates,
    pub status: CampaignStatus,
    pub launched_at: Option<DateTime<Utc>>,
    pub version: i64,
}

/// A campaign to create (or the new state of a draft), as the client sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    pub objective: String,
    #[serde(default)]
    pub offer: String,
    pub channel: Channel,
    #[serde(default)]
    pub budget_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    #[serde(default)]
    pub ends_on: Option<NaiveDate>,
    pub segment_id: i64,
    #[serde(default)]
    pub control_share: f64,
    #[serde(default)]
    pub templates: Templates,
    /// The version a change applies to (ignored on create).
    #[serde(default)]
    pub version: Option<i64>,
}

fn text(
    field: &'static str,
    value: &mut String,
    max: usize,
    required: bool,
) -> Result<(), ValidationError> {
    *value = value.trim().to_owned();
    if required && value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(())
}

impl NewCampaign {
    /// Names, objective and offer within their lengths, a budget not negative with its
    /// currency, a period that does not end before it starts, a control share in
    /// 0..=[`MAX_CONTROL_SHARE`], templates within their lengths (an e-mail campaign needs at
    /// least one language's).
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        text("name", &mut self.name, MAX_NAME_CHARS, true)?;
        text("objective", &mut self.objective, MAX_OBJECTIVE_CHARS, true)?;
        text("offer", &mut self.offer, MAX_OFFER_CHARS, false)?;
        if self.budget_minor.is_some_and(|b| b < 0) {
            return Err(ValidationError::new("budget_minor", "must not be negative"));
        }
        self.currency = self
            .currency
            .take()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty());
        if let Some(currency) = &self.currency {
            crate::money::Currency::parse("currency", currency)?;
        }
        if self.budget_minor.is_some() && self.currency.is_none() {
            return Err(ValidationError::new(
                "currency",
                "a budget needs its currency",
            ));
        }
        if let (Some(starts), Some(ends)) = (self.starts_on, self.ends_on)
            && ends < starts
        {
            return Err(ValidationError::new("ends_on", "ends before it starts"));
        }
        if !(0.0..=MAX_CONTROL_SHARE).contains(&self.control_share) {
            return Err(ValidationError::new(
                "control_share",
                format!("must be between 0 and {MAX_CONTROL_SHARE}"),
            ));
        }
        for template in [&mut self.templates.en, &mut self.templates.id]
            .into_iter()
            .flatten()
        {
            text("templates", &mut template.subject, MAX_SUBJECT_CHARS, true)?;
            text("templates", &mut template.body, MAX_BODY_CHARS, true)?;
        }
        if self.channel == Channel::Email
            && self.templates.en.is_none()
            && self.templates.id.is_none()
        {
            return Err(ValidationError::new(
                "templates",
                "an e-mail campaign needs a template in English or Bahasa Indonesia",
            ));
        }
        Ok(self)
    }
}

/// What launching needs of a member's contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactReach {
    pub id: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `granted`, `refused` or `None` (never asked), per channel.
    pub consent_email: Option<String>,
    pub consent_sms: Option<String>,
    pub consent_phone: Option<String>,
}

/// One frozen recipient: an account's contact (or the account alone when it has no contact),
/// with its address on the channel, or why it was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frozen {
    pub account_id: i64,
    pub contact_id: Option<i64>,
    pub address: Option<String>,
    pub excluded: Option<Exclusion>,
}

/// The recipients of a launch. Members are `(account id, its contacts)`; `busy` the accounts
/// already recipients of a running campaign with the same objective. Per account: a busy account
/// is left out whole; otherwise each contact without consent for the channel, then each without
/// an address on it, is left out; an account without contacts has one row, without an address.
/// Then `round(control_share × accounts with an eligible contact)` of those accounts, drawn with
/// `seed`, are held out whole as the control group (so the control group is comparable to the
/// reached accounts). Rows are by account, then contact.
pub fn freeze(
    channel: Channel,
    members: &BTreeMap<i64, Vec<ContactReach>>,
    busy: &HashSet<i64>,
    control_share: f64,
    seed: u64,
) -> Vec<Frozen> {
    let mut rows = Vec::new();
    for (&account_id, contacts) in members {
        if contacts.is_empty() {
            rows.push(Frozen {
                account_id,
                contact_id: None,
                address: None,
                excluded: Some(if busy.contains(&account_id) {
                    Exclusion::RunningCampaign
                } else {
                    Exclusion::NoAddress
                }),
            });
            continue;
        }
        let mut contacts: Vec<&ContactReach> = contacts.iter().collect();
        contacts.sort_by_key(|c| c.id);
        for contact in contacts {
            let address = channel.address(contact);
            let excluded = if busy.contains(&account_id) {
                Some(Exclusion::RunningCampaign)
            } else if channel.consent(contact) != Some("granted") {
                Some(Exclusion::NoConsent)
            } else if address.is_none() {
                Some(Exclusion::NoAddress)
            } else {
                None
            };
            rows.push(Frozen {
                account_id,
                contact_id: Some(contact.id),
                address,
                excluded,
            });
        }
    }
    let mut eligible: Vec<i64> = rows
        .iter()
        .filter(|r| r.excluded.is_none())
        .map(|r| r.account_id)
        .collect();
    eligible.dedup();
    let held = (control_share.clamp(0.0, MAX_CONTROL_SHARE) * eligible.len() as f64).round();
    let mut rng = SplitMix64::new(seed);
    // A partial Fisher-Yates shuffle: the first `held` accounts are the control group.
    for i in 0..held as usize {
        let j = i + rng.below(eligible.len() - i);
        eligible.swap(i, j);
    }
    let control: HashSet<i64> = eligible[..held as usize].iter().copied().collect();
    for row in &mut rows {
        if row.excluded.is_none() && control.contains(&row.account_id) {
            row.excluded = Some(Exclusion::ControlGroup);
        }
    }
    rows
}

/// A frozen recipient as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub address: Option<String>,
    pub excluded: Option<Exclusion>,
    /// For the sending channels: `pending`, `sending`, `sent`, `failed` or `skipped`.
    pub state: Option<String>,
    pub error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A campaign's recipients counted: eligible, left out per reason, and by sending state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub recipients: u64,
    pub eligible: u64,
    pub excluded: BTreeMap<String, u64>,
    pub states: BTreeMap<String, u64>,
}

impl Tally {
    pub fn of(recipients: &[Recipient]) -> Self {
        let mut tally = Tally {
            recipients: recipients.len() as u64,
            ..Tally::default()
        };
        for r in recipients {
            match r.excluded {
                Some(reason) => *tally.excluded.entry(reason.as_str().into()).or_default() += 1,
                None => tally.eligible += 1,
            }
            if let Some(state) = &r.state {
                *tally.states.entry(state.clone()).or_default() += 1;
            }
        }
        tally
    }
}

/// A campaign with its recipients at the caller's accounts counted (the list's and the campaign
/// page's figures: reached, eligible, left out per reason, sending states).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    #[serde(flatten)]
    pub campaign: Campaign,
    pub tally: Tally,
}

/// What the merge fields of a template are filled with for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeFields<'a> {
    pub customer: &'a str,
    pub contact: &'a str,
    pub offer: &'a str,
    /// The recipient's unsubscribe link.
    pub unsubscribe: &'a str,
}

fn merge(text: &str, fields: &MergeFields<'_>) -> String {
    text.replace("{{customer}}", fields.customer)
        .replace("{{contact}}", fields.contact)
        .replace("{{offer}}", fields.offer)
        .replace("{{unsubscribe}}", fields.unsubscribe)
}

/// The e-mail of one recipient, `(subject, body)`. Contacts carry no language yet, so the
/// Bahasa Indonesia template leads when there is one, with the English body below it when both
/// exist; a body without an `{{unsubscribe}}` field gets the link appended, so every e-mail
/// carries one. `None` when the campaign has no template.
pub fn render(templates: &Templates, fields: &MergeFields<'_>) -> Option<(String, String)> {
    let (lead, other) = match (&templates.id, &templates.en) {
        (Some(id), en) => (id, en.as_ref()),
        (None, Some(en)) => (en, None),
        (None, None) => return None,
    };
    let mut body = merge(&lead.body, fields);
    let mut has_link = lead.body.contains("{{unsubscribe}}");
    if let Some(en) = other {
        body.push_str("\n\n-- English --\n\n");
        body.push_str(&merge(&en.body, fields));
        has_link |= en.body.contains("{{unsubscribe}}");
    }
    if !has_link {
        body.push_str("\n\n");
        body.push_str(&format!(
            "Berhenti berlangganan / Unsubscribe:\n{}",
            fields.unsubscribe
        ));
    }
    Some((
        merge(&lead.subject, fields).replace(['\r', '\n'], " "),
        body,
    ))
}

/// The columns of a campaign's recipient file.
pub const RECIPIENT_COLUMNS: [&str; 6] = [
    "account_id",
    "account_name",
    "contact_id",
    "contact_name",
    "address",
    "channel",
];

/// The eligible recipients (consent for the channel granted, an address on it, not held out)
/// as CSV, for a provider the app does not drive; cells that would start a formula are guarded.
pub fn recipients_to_csv(channel: Channel, recipients: &[Recipient]) -> Vec<u8> {
    use crate::transfer::guard_formula;
    crate::transfer::write_csv(
        &RECIPIENT_COLUMNS,
        recipients
            .iter()
            .filter(|r| r.excluded.is_none() && r.address.is_some())
            .map(|r| {
                vec![
                    r.account_id.to_string(),
                    guard_formula(&r.account_name),
                    r.contact_id.map(|c| c.to_string()).unwrap_or_default(),
                    guard_formula(r.contact_name.as_deref().unwrap_or_default()),
                    guard_formula(r.address.as_deref().unwrap_or_default()),
                    channel.as_str().to_owned(),
                ]
            }),
    )
}

/// What one contact on each channel costs when a campaign has no budget of its own (minor
/// units of the orders' currency, like the other cost-to-serve rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRates {
    pub email_minor: i64,
    pub call_minor: i64,
    pub export_minor: i64,
}

impl ContactRates {
    pub fn of(&self, channel: Channel) -> i64 {
        match channel {
            Channel::Email => self.email_minor,
            Channel::CallList => self.call_minor,
            Channel::Export => self.export_minor,
        }
    }
}

/// A launched campaign as its contacts are costed: `budget_minor` only when it is in the
/// currency the profitability is computed in (another currency does not add up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignCosting {
    pub channel: Channel,
    pub budget_minor: Option<i64>,
}

/// One contact a campaign made: an e-mail sent, a call listed, a row exported (the control
/// group and the left-out are never contacted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub campaign: i64,
    pub customer: i64,
    pub day: NaiveDate,
}

/// What each contact cost. A campaign with a budget spreads it evenly over every contact it
/// made (the few minor units that do not divide go to the first contacts, so the contacts add
/// up to the budget exactly); without one, each contact costs its channel's rate. Contacts of
/// a campaign not in `campaigns` cost nothing.
pub fn contact_costs(
    campaigns: &BTreeMap<i64, CampaignCosting>,
    reached: &[Reached],
    rates: &ContactRates,
) -> Vec<crate::analytics::profitability::CampaignContact> {
    let mut made: BTreeMap<i64, i64> = BTreeMap::new();
    for r in reached {
        *made.entry(r.campaign).or_default() += 1;
    }
    let mut seen: BTreeMap<i64, i64> = BTreeMap::new();
    reached
        .iter()
        .filter_map(|r| {
            let campaign = campaigns.get(&r.campaign)?;
            let nth = seen.entry(r.campaign).or_default();
            let cost_minor = match campaign.budget_minor {
                Some(budget) => {
                    let n = made[&r.campaign];
                    budget / n + i64::from(*nth < budget % n)
                }
                None => rates.of(campaign.channel),
            };
            *nth += 1;
            Some(crate::analytics::profitability::CampaignContact {
                customer: r.customer,
                day: r.day,
                cost_minor,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: i64, email: Option<&str>, consent: Option<&str>) -> ContactReach {
        ContactReach {
            id,
            email: email.map(str::to_owned),
            phone: Some("+62 812 0000".into()),
            consent_email: consent.map(str::to_owned),
            consent_sms: None,
            consent_phone: Some("granted".into()),
        }
    }

    #[test]
    fn each_member_is_a_recipient_or_left_out_for_one_reason() {
        let members = BTreeMap::from([
            (1, vec![contact(10, Some("a@x.id"), Some("granted"))]),
            (2, vec![contact(20, Some("b@x.id"), Some("refused"))]),
            (3, vec![contact(30, None, Some("granted"))]),
            (4, vec![]),
            (5, vec![contact(50, Some("e@x.id"), Some("granted"))]),
            (6, vec![contact(60, Some("f@x.id"), None)]),
        ]);
        let rows = freeze(Channel::Email, &members, &HashSet::from([5]), 0.0, 1);
        let reasons: Vec<(i64, Option<Exclusion>)> =
            rows.iter().map(|r| (r.account_id, r.excluded)).collect();
        assert_eq!(
            reasons,
            [
                (1, None),
                (2, Some(Exclusion::NoConsent)),
                (3, Some(Exclusion::NoAddress)),
                (4, Some(Exclusion::NoAddress)),
                (5, Some(Exclusion::RunningCampaign)),
                (6, Some(Exclusion::NoConsent)),
            ]
        );
        assert_eq!(rows[0].address.as_deref(), Some("a@x.id"));
        // The call list needs the phone's consent and a number instead.
        let calls = freeze(Channel::CallList, &members, &HashSet::new(), 0.0, 1);
        assert!(
            calls
                .iter()
                .filter(|r| r.contact_id.is_some())
                .all(|r| r.excluded.is_none())
        );
    }

    #[test]
    fn the_control_group_is_the_chosen_share_of_eligible_accounts_held_out_whole() {
        let members: BTreeMap<i64, Vec<ContactReach>> = (1..=100)
            .map(|a| {
                (
                    a,
                    vec![
                        contact(a * 10, Some("x@y.id"), Some("granted")),
                        contact(a * 10 + 1, Some("z@y.id"), Some("granted")),
                    ],
                )
            })
            .collect();
        let rows = freeze(Channel::Email, &members, &HashSet::new(), 0.2, 7);
        let held: HashSet<i64> = rows
            .iter()
            .filter(|r| r.excluded == Some(Exclusion::ControlGroup))
            .map(|r| r.account_id)
            .collect();
        assert_eq!(held.len(), 20);
        for row in &rows {
            assert_eq!(
                held.contains(&row.account_id),
                row.excluded.is_some(),
                "both contacts of an account go the same way"
            );
        }
        assert_eq!(
            rows,
            freeze(Channel::Email, &members, &HashSet::new(), 0.2, 7),
            "one seed, one draw"
        );
    }

    #[test]
    fn merge_fields_are_filled_and_every_mail_carries_its_unsubscribe_link() {
        let fields = MergeFields {
            customer: "Toko Suva",
            contact: "Ana",
            offer: "Diskon 10%",
            unsubscribe: "http://x/u/abc",
        };
        let en = Template {
            subject: "Hello {{contact}}\r\nBcc: x".into(),
            body: "{{customer}}: {{offer}}".into(),
        };
        let (subject, body) = render(
            &Templates {
                en: Some(en.clone()),
                id: None,
            },
            &fields,
        )
        .unwrap();
        assert_eq!(subject, "Hello Ana  Bcc: x", "no header injection");
        assert!(body.starts_with("Toko Suva: Diskon 10%"));
        assert!(body.ends_with("http://x/u/abc"));
        let id = Template {
            subject: "Halo {{contact}}".into(),
            body: "Penawaran: {{offer}} ({{unsubscribe}})".into(),
        };
        let (subject, body) = render(
            &Templates {
                en: Some(en),
                id: Some(id),
            },
            &fields,
        )
        .unwrap();
        assert_eq!(subject, "Halo Ana");
        assert!(body.starts_with("Penawaran: Diskon 10% (http://x/u/abc)"));
        assert!(body.contains("-- English --") && body.contains("Toko Suva: Diskon 10%"));
        assert_eq!(body.matches("http://x/u/abc").count(), 1);
        assert!(render(&Templates::default(), &fields).is_none());
    }

    #[test]
    fn validation_names_the_field() {
        let campaign = NewCampaign {
            name: " Ramadan ".into(),
            objective: "win-back".into(),
            offer: "10% off".into(),
            channel: Channel::Email,
            budget_minor: Some(1_000_000),
            currency: Some("idr".into()),
            starts_on: None,
            ends_on: None,
            segment_id: 1,
            control_share: 0.1,
            templates: Templates {
                en: Some(Template {
                    subject: "Hello {{contact}}".into(),
                    body: "{{offer}}".into(),
                }),
                id: None,
            },
            version: None,
        };
        let valid = campaign.clone().validate().unwrap();
        assert_eq!(
            (valid.name.as_str(), valid.currency.as_deref()),
            ("Ramadan", Some("IDR"))
        );
        let field = |c: NewCampaign| c.validate().unwrap_err().field;
        assert_eq!(
            field(NewCampaign {
                control_share: 0.9,
                ..campaign.clone()
            }),
            "control_share"
        );
        assert_eq!(
            field(NewCampaign {
                templates: Templates::default(),
                ..campaign.clone()
            }),
            "templates"
        );
        assert_eq!(
            field(NewCampaign {
                currency: None,
                ..campaign
            }),
            "currency"
        );
    }
    #[test]
    fn a_budget_is_spread_over_the_contacts_made_and_adds_up() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let campaigns = BTreeMap::from([
            (
                1,
                CampaignCosting {
                    channel: Channel::Email,
                    budget_minor: Some(1_000),
                },
            ),
            (
                2,
                CampaignCosting {
                    channel: Channel::CallList,
                    budget_minor: None,
                },
            ),
        ]);
        let rates = ContactRates {
            email_minor: 7,
            call_minor: 15_000,
            export_minor: 900,
        };
        let reached: Vec<Reached> = [(1, 10), (1, 11), (2, 10), (1, 12), (3, 10)]
            .into_iter()
            .map(|(campaign, customer)| Reached {
                campaign,
                customer,
                day,
            })
            .collect();
        let costs = contact_costs(&campaigns, &reached, &rates);
        let of = |customer: i64| -> Vec<i64> {
            costs
                .iter()
                .filter(|c| c.customer == customer)
                .map(|c| c.cost_minor)
                .collect()
        };
        // 1,000 over three contacts: 334 + 333 + 333; the call costs its rate; campaign 3 is
        // unknown (another currency's budget is the caller's to leave out) and costs nothing.
        assert_eq!(of(10), vec![334, 15_000]);
        assert_eq!(of(11), vec![333]);
        assert_eq!(of(12), vec![333]);
        let budget: i64 = costs
            .iter()
            .filter(|c| c.cost_minor < 1_000)
            .map(|c| c.cost_minor)
            .sum();
        assert_eq!(budget, 1_000);
        assert_eq!(costs.len(), 4);
    }
}
