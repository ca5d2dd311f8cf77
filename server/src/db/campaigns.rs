//! Campaigns and their frozen recipients (`campaigns`, `campaign_recipients`, issue 16 item 2).
//! Written once for both backends. Launching is one transaction: the campaign turns running, its
//! recipients are frozen with [`wilayah_shared::campaigns::freeze`] over the members' contacts and
//! the accounts already in a running campaign with the same objective, and each reached account
//! gets a line in its history. Who may see which recipients is the scoped handle's business.

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Postgres, QueryBuilder, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::campaigns::{
    Campaign, CampaignStatus, Channel, ContactReach, Exclusion, NewCampaign, Recipient, Templates,
    freeze,
};

use super::analytics::{account_chunks, push_accounts};
use super::audit::{AuditEntry, HistoryLine};
use super::store::{SqlStore, db_error};

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    name: String,
    objective: String,
    offer: String,
    channel: String,
    budget_minor: Option<i64>,
    currency: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    owner_id: Option<i64>,
    segment_id: Option<i64>,
    control_share: f64,
    templates: String,
    status: String,
    launched_at: Option<DateTime<Utc>>,
    version: i64,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Database(format!("unreadable {what}").into())
}

impl CampaignRow {
    fn into_campaign(self) -> Result<Campaign, StoreError> {
        Ok(Campaign {
            id: self.id,
            name: self.name,
            objective: self.objective,
            offer: self.offer,
            channel: Channel::parse(&self.channel).ok_or_else(|| corrupt("channel"))?,
            budget_minor: self.budget_minor,
            currency: self.currency,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            owner_id: self.owner_id,
            segment_id: self.segment_id,
            control_share: self.control_share,
            templates: serde_json::from_str::<Templates>(&self.templates)
                .map_err(|_| corrupt("templates"))?,
            status: CampaignStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
            launched_at: self.launched_at,
            version: self.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    id: i64,
    account_id: i64,
    account_name: String,
    contact_id: Option<i64>,
    contact_name: Option<String>,
    address: Option<String>,
    excluded: Option<String>,
    state: Option<String>,
    error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}

impl RecipientRow {
    fn into_recipient(self) -> Recipient {
        Recipient {
            id: self.id,
            account_id: self.account_id,
            account_name: self.account_name,
            contact_id: self.contact_id,
            contact_name: self.contact_name,
            address: self.address,
            excluded: self.excluded.as_deref().and_then(Exclusion::parse),
            state: self.state,
            error: self.error,
            sent_at: self.sent_at,
        }
    }
}

fn templates_json(campaign: &NewCampaign) -> Result<String, StoreError> {
    serde_json::to_string(&campaign.templates).map_err(|e| StoreError::Database(Box::new(e)))
}

fn audit_changes(campaign: &NewCampaign) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(campaign) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.remove("version");
            map
        }
        _ => serde_json::Map::new(),
    }
}

/// A random token for a recipient's unsubscribe link: 128 bits, hex.
fn token() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Database(e.to_string().into()))?;
    Ok(hex::encode(bytes))
}

fn not_draft() -> StoreError {
    StoreError::Invalid {
        field: "status".into(),
        message: "only a draft campaign changes or launches".into(),
    }
}

#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Every campaign, newest first.
    async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError>;

    async fn campaign(&self, id: i64) -> Result<Campaign, StoreError>;

    /// Creates a draft run by `owner` (audited).
    async fn create_campaign(
        &self,
        owner: i64,
        campaign: &NewCampaign,
    ) -> Result<Campaign, StoreError>;

    /// Changes a draft still at `version` (audited).
    async fn update_campaign(
        &self,
        id: i64,
        version: i64,
        campaign: &NewCampaign,
    ) -> Result<Campaign, StoreError>;

    /// Deletes a campaign with its recipients (audited).
    async fn delete_campaign(&self, id: i64) -> Result<(), StoreError>;

    /// Launches draft `id` still at `version` for the member accounts `members`, in one
    /// transaction (see the module documentation); `seed` draws the control group.
    async fn launch_campaign(
        &self,
        id: i64,
        version: i64,
        members: &[i64],
        seed: u64,
    ) -> Result<Campaign, StoreError>;

    /// Recipients left `sending` by a stop mid-send are marked failed, not sent again (at most
    /// one e-mail each): the SMTP server may or may not have taken the message. How many.
    async fn fail_interrupted_sends(&self) -> Result<u64, StoreError>;

    /// Claims the next pending e-mail of a running campaign (`pending` → `sending`, committed
    /// before the message is sent), skipping recipients whose e-mail consent is no longer
    /// granted; `None` when nothing is pending.
    async fn claim_next_email(&self) -> Result<Option<EmailClaim>, StoreError>;

    /// Records a claimed e-mail's outcome: sent (and a line in the customer's history) or
    /// failed with the error.
    async fn record_email(&self, claim: &EmailClaim, error: Option<&str>)
    -> Result<(), StoreError>;

    /// The opt-out behind an unsubscribe link: the recipient's contact refuses e-mail from
    /// today, its pending e-mails are skipped, and its customer's history says so. `false` for
    /// an unknown token; unsubscribing twice changes nothing more.
    async fn unsubscribe(&self, token: &str, today: NaiveDate) -> Result<bool, StoreError>;

    /// The frozen recipients of campaign `id` at the accounts `accounts` (all: `None`), by
    /// account then contact.
    async fn campaign_recipients(
        &self,
        id: i64,
        accounts: Option<&[i64]>,
    ) -> Result<Vec<Recipient>, StoreError>;
}

/// A recipient claimed for sending, with what its e-mail is made of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailClaim {
    pub recipient_id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub account_id: i64,
    pub account_name: String,
    pub contact_name: Option<String>,
    pub address: Option<String>,
    pub token: Option<String>,
    pub offer: String,
    /// The campaign's templates, JSON.
    pub templates: String,
    consent_email: Option<String>,
}

impl EmailClaim {
    pub fn templates(&self) -> Templates {
        serde_json::from_str(&self.templates).unwrap_or_default()
    }
}

const CLAIM_SQL: &str = "SELECT r.id AS recipient_id, c.id AS campaign_id, c.name AS campaign_name, \
    r.account_id, a.name AS account_name, ct.name AS contact_name, r.address, r.token, c.offer, \
    c.templates, ct.consent_email \
    FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id \
    JOIN accounts a ON a.id = r.account_id LEFT JOIN contacts ct ON ct.id = r.contact_id \
    WHERE r.state = 'pending' AND c.status = 'running' AND c.channel = 'email' \
    ORDER BY r.id LIMIT 1";

const CAMPAIGN_COLUMNS: &str = "id, name, objective, offer, channel, budget_minor, currency, \
    starts_on, ends_on, owner_id, segment_id, control_share, templates, status, launched_at, version";

const RECIPIENTS_SQL: &str = "SELECT r.id, r.account_id, a.name AS account_name, r.contact_id, \
    c.name AS contact_name, r.address, r.excluded, r.state, r.error, r.sent_at \
    FROM campaign_recipients r JOIN accounts a ON a.id = r.account_id \
    LEFT JOIN contacts c ON c.id = r.contact_id WHERE r.campaign_id = ";

/// A line in a customer's history about a campaign: `(account, activity kind, subject, body)`,
/// written by the system (no staff member).
fn campaign_line<'a>(
    (account_id, kind, subject, body): (i64, &'a str, &'a str, Option<&'a str>),
) -> HistoryLine<'a> {
    HistoryLine {
        account_id,
        staff_id: None,
        kind,
        channel: "campaign",
        subject,
        outcome: None,
        body,
    }
}

/// `$begin` starts a write transaction (SQLite takes its write lock up front, see field.rs).
macro_rules! impl_campaign_store {
    ($db:ty, $begin:literal) => {
        #[async_trait]
        impl CampaignStore for SqlStore<$db> {
            async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
                let rows: Vec<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.into_iter().map(CampaignRow::into_campaign).collect()
            }

            async fn campaign(&self, id: i64) -> Result<Campaign, StoreError> {
                let row: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                row.ok_or(StoreError::NotFound)?.into_campaign()
            }

            async fn create_campaign(
                &self,
                owner: i64,
                campaign: &NewCampaign,
            ) -> Result<Campaign, StoreError> {
                let templates = templates_json(campaign)?;
                let now = Utc::now();
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let row: CampaignRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO campaigns (name, objective, offer, channel, budget_minor, currency,
                        starts_on, ends_on, owner_id, segment_id, control_share, templates, status,
                        created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'draft', $13, $13)
                     RETURNING {CAMPAIGN_COLUMNS}"
                )))
                .bind(&campaign.name)
                .bind(&campaign.objective)
                .bind(&campaign.offer)
                .bind(campaign.channel.as_str())
                .bind(campaign.budget_minor)
                .bind(&campaign.currency)
                .bind(campaign.starts_on)
                .bind(campaign.ends_on)
                .bind(owner)
                .bind(campaign.segment_id)
                .bind(campaign.control_share)
                .bind(&templates)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                Self::write_audit(
                    &mut tx,
                    AuditEntry {
                        action: "create",
                        entity: "campaigns",
                        entity_id: Some(row.id),
                        account_id: None,
                        changes: audit_changes(campaign),
                    },
                )
                .await?;
                tx.commit().await.map_err(db_error)?;
                row.into_campaign()
            }

            async fn update_campaign(
                &self,
                id: i64,
                version: i64,
                campaign: &NewCampaign,
            ) -> Result<Campaign, StoreError> {
                let templates = templates_json(campaign)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let current: Option<(i64, String)> =
                    sqlx::query_as("SELECT version, status FROM campaigns WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                match current {
                    None => return Err(StoreError::NotFound),
                    Some((current_version, _)) if current_version != version => {
                        return Err(StoreError::Conflict { current_version });
                    }
                    Some((_, status)) if status != "draft" => return Err(not_draft()),
                    Some(_) => {}
                }
                let row: CampaignRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE campaigns SET name = $1, objective = $2, offer = $3, channel = $4,
                        budget_minor = $5, currency = $6, starts_on = $7, ends_on = $8,
                        segment_id = $9, control_share = $10, templates = $11,
                        version = version + 1, updated_at = $12
                     WHERE id = $13 RETURNING {CAMPAIGN_COLUMNS}"
                )))
                .bind(&campaign.name)
                .bind(&campaign.objective)
                .bind(&campaign.offer)
                .bind(campaign.channel.as_str())
                .bind(campaign.budget_minor)
                .bind(&campaign.currency)
                .bind(campaign.starts_on)
                .bind(campaign.ends_on)
                .bind(campaign.segment_id)
                .bind(campaign.control_share)
                .bind(&templates)
                .bind(Utc::now())
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                Self::write_audit(
                    &mut tx,
                    AuditEntry {
                        action: "update",
                        entity: "campaigns",
                        entity_id: Some(id),
                        account_id: None,
                        changes: audit_changes(campaign),
                    },
                )
                .await?;
                tx.commit().await.map_err(db_error)?;
                row.into_campaign()
            }

            async fn delete_campaign(&self, id: i64) -> Result<(), StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                sqlx::query("DELETE FROM campaign_recipients WHERE campaign_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                Self::delete_audited(&mut tx, "campaigns", id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(())
            }

            async fn launch_campaign(
                &self,
                id: i64,
                version: i64,
                members: &[i64],
                seed: u64,
            ) -> Result<Campaign, StoreError> {
                let now = Utc::now();
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                // Turning it running first takes the write lock (SQLite) or the row's lock
                // (PostgreSQL), so two launches of one objective do not both miss each other.
                let launched: Option<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE campaigns SET status = 'running', launched_at = $1,
                        version = version + 1, updated_at = $1
                     WHERE id = $2 AND version = $3 AND status = 'draft'
                     RETURNING {CAMPAIGN_COLUMNS}"
                )))
                .bind(now)
                .bind(id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let Some(launched) = launched else {
                    let current: Option<(i64, String)> =
                        sqlx::query_as("SELECT version, status FROM campaigns WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db_error)?;
                    return Err(match current {
                        None => StoreError::NotFound,
                        Some((current_version, _)) if current_version != version => {
                            StoreError::Conflict { current_version }
                        }
                        Some(_) => not_draft(),
                    });
                };
                let campaign = launched.into_campaign()?;
                let busy: HashSet<i64> = sqlx::query_as::<_, (i64,)>(
                    "SELECT DISTINCT r.account_id FROM campaign_recipients r
                       JOIN campaigns c ON c.id = r.campaign_id
                      WHERE c.status = 'running' AND c.objective = $1 AND c.id <> $2
                        AND r.excluded IS NULL",
                )
                .bind(&campaign.objective)
                .bind(id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|(a,)| a)
                .collect();
                let mut reach: BTreeMap<i64, Vec<ContactReach>> =
                    members.iter().map(|&a| (a, Vec::new())).collect();
                let mut sorted = members.to_vec();
                sorted.sort_unstable();
                for chunk in account_chunks(Some(&sorted)) {
                    let mut qb = QueryBuilder::<$db>::new(
                        "SELECT id, account_id, email, phone, consent_email, consent_sms, \
                         consent_phone FROM contacts WHERE 1 = 1",
                    );
                    push_accounts(&mut qb, "account_id", chunk);
                    type ContactTuple = (
                        i64,
                        i64,
                        Option<String>,
                        Option<String>,
                        Option<String>,
                        Option<String>,
                        Option<String>,
                    );
                    let rows: Vec<ContactTuple> = qb
                        .build_query_as()
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    for (id, account, email, phone, consent_email, consent_sms, consent_phone) in
                        rows
                    {
                        if let Some(list) = reach.get_mut(&account) {
                            list.push(ContactReach {
                                id,
                                email,
                                phone,
                                consent_email,
                                consent_sms,
                                consent_phone,
                            });
                        }
                    }
                }
                let frozen = freeze(
                    campaign.channel,
                    &reach,
                    &busy,
                    campaign.control_share,
                    seed,
                );
                let sends = campaign.channel == Channel::Email;
                let mut reached: Vec<i64> = Vec::new();
                for row in &frozen {
                    let eligible = row.excluded.is_none();
                    if eligible && reached.last() != Some(&row.account_id) {
                        reached.push(row.account_id);
                    }
                    sqlx::query(
                        "INSERT INTO campaign_recipients
                            (campaign_id, account_id, contact_id, excluded, address, state, token)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(row.account_id)
                    .bind(row.contact_id)
                    .bind(row.excluded.map(Exclusion::as_str))
                    .bind(&row.address)
                    .bind((sends && eligible).then_some("pending"))
                    .bind(if sends && eligible { Some(token()?) } else { None })
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }
                // Each reached customer's history says so (the offer in the body).
                let subject = format!("Campaign: {}", campaign.name);
                for &account in &reached {
                    let line = (account, "note", subject.as_str(), Some(campaign.offer.as_str()));
                    Self::write_history(&mut tx, campaign_line(line), now).await?;
                }
                // The call list: a task for each reached account's owning rep, with the offer.
                if campaign.channel == Channel::CallList {
                    let due = campaign.starts_on.unwrap_or(now.date_naive()).max(now.date_naive());
                    let title = format!("Campaign call: {} — {}", campaign.name, campaign.offer);
                    let title = title.trim_end_matches([' ', '—']);
                    for chunk in account_chunks(Some(&reached)) {
                        let mut qb = QueryBuilder::<$db>::new(
                            "INSERT INTO tasks (account_id, title, due_on, assignee_id, priority, \
                             status, created_at, updated_at) SELECT id, ",
                        );
                        qb.push_bind(title)
                            .push(", ")
                            .push_bind(due)
                            .push(", owner_id, 'normal', 'open', ")
                            .push_bind(now)
                            .push(", ")
                            .push_bind(now)
                            .push(" FROM accounts WHERE 1 = 1");
                        push_accounts(&mut qb, "id", chunk);
                        qb.build().execute(&mut *tx).await.map_err(db_error)?;
                    }
                }
                let mut changes = serde_json::Map::new();
                changes.insert("status".into(), "running".into());
                changes.insert("recipients".into(), frozen.len().into());
                changes.insert("reached_accounts".into(), reached.len().into());
                Self::write_audit(
                    &mut tx,
                    AuditEntry {
                        action: "launch",
                        entity: "campaigns",
                        entity_id: Some(id),
                        account_id: None,
                        changes,
                    },
                )
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(campaign)
            }

            async fn fail_interrupted_sends(&self) -> Result<u64, StoreError> {
                Ok(sqlx::query(
                    "UPDATE campaign_recipients SET state = 'failed',
                        error = 'interrupted while sending (the server stopped); not sent again'
                     WHERE state = 'sending'",
                )
                .execute(&self.pool)
                .await
                .map_err(db_error)?
                .rows_affected())
            }

            async fn claim_next_email(&self) -> Result<Option<EmailClaim>, StoreError> {
                loop {
                    let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                    let claim: Option<EmailClaim> = sqlx::query_as(CLAIM_SQL)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    let Some(claim) = claim else {
                        return Ok(None);
                    };
                    let consented = claim.consent_email.as_deref() == Some("granted");
                    let (state, error) = if consented {
                        ("sending", None)
                    } else {
                        ("skipped", Some("the contact no longer consents to e-mail"))
                    };
                    let claimed = sqlx::query(
                        "UPDATE campaign_recipients SET state = $1, error = $2
                         WHERE id = $3 AND state = 'pending'",
                    )
                    .bind(state)
                    .bind(error)
                    .bind(claim.recipient_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?
                    .rows_affected();
                    tx.commit().await.map_err(db_error)?;
                    if consented && claimed == 1 {
                        return Ok(Some(claim));
                    }
                }
            }

            async fn record_email(
                &self,
                claim: &EmailClaim,
                error: Option<&str>,
            ) -> Result<(), StoreError> {
                let now = Utc::now();
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                sqlx::query(
                    "UPDATE campaign_recipients SET state = $1, error = $2, sent_at = $3
                     WHERE id = $4 AND state = 'sending'",
                )
                .bind(if error.is_none() { "sent" } else { "failed" })
                .bind(error)
                .bind(error.is_none().then_some(now))
                .bind(claim.recipient_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                if error.is_none() {
                    let subject = format!("Campaign e-mail: {}", claim.campaign_name);
                    let to = format!(
                        "To {} <{}>",
                        claim.contact_name.as_deref().unwrap_or_default(),
                        claim.address.as_deref().unwrap_or_default()
                    );
                    let line = (claim.account_id, "email", subject.as_str(), Some(to.as_str()));
                    Self::write_history(&mut tx, campaign_line(line), now).await?;
                }
                tx.commit().await.map_err(db_error)?;
                Ok(())
            }

            async fn unsubscribe(&self, token: &str, today: NaiveDate) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let found: Option<(i64, Option<i64>, i64, String)> = sqlx::query_as(
                    "SELECT r.account_id, r.contact_id, c.id, c.name FROM campaign_recipients r
                       JOIN campaigns c ON c.id = r.campaign_id WHERE r.token = $1",
                )
                .bind(token)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let Some((account, Some(contact), campaign, name)) = found else {
                    return Ok(found.is_some());
                };
                let changed = sqlx::query(
                    "UPDATE contacts SET consent_email = 'refused', consent_email_on = $1,
                        consent_email_source = $2
                     WHERE id = $3 AND (consent_email IS NULL OR consent_email <> 'refused')",
                )
                .bind(today)
                .bind(format!("unsubscribe link of campaign {campaign}"))
                .bind(contact)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
                sqlx::query(
                    "UPDATE campaign_recipients SET state = 'skipped', error = 'unsubscribed'
                     WHERE contact_id = $1 AND state = 'pending'",
                )
                .bind(contact)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                if changed > 0 {
                    let now = Utc::now();
                    let subject = format!("Unsubscribed from e-mail (campaign: {name})");
                    let line = (account, "note", subject.as_str(), None);
                    Self::write_history(&mut tx, campaign_line(line), now).await?;
                    let mut changes = serde_json::Map::new();
                    changes.insert("consent_email".into(), "refused".into());
                    changes.insert("consent_email_on".into(), today.to_string().into());
                    Self::write_audit(
                        &mut tx,
                        AuditEntry {
                            action: "update",
                            entity: "contacts",
                            entity_id: Some(contact),
                            account_id: Some(account),
                            changes,
                        },
                    )
                    .await?;
                }
                tx.commit().await.map_err(db_error)?;
                Ok(true)
            }

            async fn campaign_recipients(
                &self,
                id: i64,
                accounts: Option<&[i64]>,
            ) -> Result<Vec<Recipient>, StoreError> {
                let mut out = Vec::new();
                for chunk in account_chunks(accounts) {
                    let mut qb = QueryBuilder::<$db>::new(RECIPIENTS_SQL);
                    qb.push_bind(id);
                    push_accounts(&mut qb, "r.account_id", chunk);
                    qb.push(" ORDER BY r.account_id, r.contact_id, r.id");
                    let rows: Vec<RecipientRow> = qb
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                    out.extend(rows.into_iter().map(RecipientRow::into_recipient));
                }
                out.sort_by_key(|r| (r.account_id, r.contact_id, r.id));
                Ok(out)
            }
        }
    };
}

impl_campaign_store!(Sqlite, "BEGIN IMMEDIATE");
impl_campaign_store!(Postgres, "BEGIN");
