//! The service desk in the database: the SLA settings (one versioned JSON document), the cases
//! the queue reads (with their account's name and territory, the assignee's name and the
//! escalations fired), an escalation (one per case and target, with its history line and an
//! optional reassignment, one transaction), and a public report (a prospect and its contact when
//! nobody matched, and the case, one transaction). The rules are `wilayah_shared::service`'s.
//!
//! The SQL is written once in [`impl_service!`] and instantiated inside `store.rs`'s per-backend
//! modules, beside `impl_pipeline!`, because a report may insert an account with that file's
//! account writer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use wilayah_app::store::StoreError;
use wilayah_shared::account::ValidAccount;
use wilayah_shared::service::{SlaSettings, Target};

/// A case as the queue shows it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct QueueCase {
    pub id: i64,
    pub version: i64,
    pub account_id: i64,
    pub account_name: String,
    pub territory_id: Option<i64>,
    pub opened_by: Option<i64>,
    pub assigned_to: Option<i64>,
    pub assignee_name: Option<String>,
    pub subject: String,
    pub description: Option<String>,
    pub priority: String,
    pub status: String,
    pub category: String,
    pub channel: String,
    pub reference: Option<String>,
    pub resolution: Option<String>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The targets an escalation fired for.
    #[sqlx(skip)]
    pub escalated: Vec<Target>,
}

/// A report to file: the account it matched, or the prospect (and its contact) to create.
#[derive(Debug, Clone)]
pub struct FiledReport {
    pub account_id: Option<i64>,
    pub new_account: Option<ValidAccount>,
    pub contact_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub subject: String,
    pub description: Option<String>,
    pub category: String,
    pub reference: String,
    pub at: DateTime<Utc>,
}

/// What filing a report wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub case_id: i64,
    pub account_id: i64,
    pub new_account: bool,
}

#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// The SLA settings and their version (the defaults at version 0 until an admin saves).
    async fn sla_settings(&self) -> Result<(SlaSettings, i64), StoreError>;

    /// Saves the settings if they are still at `expected_version` (audited); the new version.
    async fn save_sla_settings(
        &self,
        expected_version: i64,
        settings: &SlaSettings,
    ) -> Result<i64, StoreError>;

    /// Every case with one of `statuses` (all cases when empty), newest first.
    async fn queue_cases(&self, statuses: &[&str]) -> Result<Vec<QueueCase>, StoreError>;

    /// Fires the escalation of case `id` for `target` unless it fired before: in one
    /// transaction the escalation is kept, the case reassigned to `reassign_to` (when given and
    /// not already theirs), a line written to the account's history and the audit log. `false`
    /// when it had fired already (nothing written).
    async fn escalate_case(
        &self,
        id: i64,
        target: Target,
        reassign_to: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Files a public report in one transaction: the prospect and its contact when the report
    /// matched no account, then the case (channel web, with its confirmation number).
    async fn file_report(&self, report: &FiledReport) -> Result<Filed, StoreError>;
}

/// The columns of [`QueueCase`], over `cases c`, `accounts a` and `staff s` (the assignee).
pub(crate) const QUEUE_SQL: &str = "
    SELECT c.id, c.version, c.account_id, a.name AS account_name, a.territory_id, c.opened_by,
           c.assigned_to, s.name AS assignee_name, c.subject, c.description, c.priority, c.status,
           c.category, c.channel, c.reference, c.resolution, c.sla_due_at, c.responded_at,
           c.resolved_at, c.created_at, c.updated_at
      FROM cases c JOIN accounts a ON a.id = c.account_id
      LEFT JOIN staff s ON s.id = c.assigned_to";

pub(crate) fn target_of(text: &str) -> Option<Target> {
    match text {
        "response" => Some(Target::Response),
        "resolution" => Some(Target::Resolution),
        _ => None,
    }
}

/// The history line of an escalation (stored text, like the other notes the server writes).
pub(crate) fn escalation_note(subject: &str, target: Target) -> String {
    match target {
        Target::Response => format!("{subject}: escalated, response target missed"),
        Target::Resolution => format!("{subject}: escalated, resolution target missed"),
    }
}

macro_rules! impl_service {
    ($db:ty) => {
        impl SqlStore<$db> {
            async fn read_sla_settings(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<(wilayah_shared::service::SlaSettings, i64), StoreError> {
                let row: Option<(String, i64)> =
                    sqlx::query_as("SELECT settings, version FROM sla_settings WHERE id = 1")
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_error)?;
                match row {
                    None => Ok((wilayah_shared::service::SlaSettings::default(), 0)),
                    Some((text, version)) => Ok((
                        serde_json::from_str(&text).map_err(|e| corrupt("sla_settings", e))?,
                        version,
                    )),
                }
            }
        }

        #[async_trait]
        impl crate::db::service::ServiceStore for SqlStore<$db> {
            async fn sla_settings(
                &self,
            ) -> Result<(wilayah_shared::service::SlaSettings, i64), StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                Self::read_sla_settings(&mut conn).await
            }

            async fn save_sla_settings(
                &self,
                expected_version: i64,
                settings: &wilayah_shared::service::SlaSettings,
            ) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let (old, current) = Self::read_sla_settings(&mut tx).await?;
                if current != expected_version {
                    return Err(StoreError::Conflict { current_version: current });
                }
                let text = serde_json::to_string(settings).map_err(|e| corrupt("sla_settings", e))?;
                let now = Utc::now();
                let version = current + 1;
                let sql = if current == 0 {
                    "INSERT INTO sla_settings (settings, version, updated_at, id) VALUES ($1, $2, $3, 1)"
                } else {
                    "UPDATE sla_settings SET settings = $1, version = $2, updated_at = $3 WHERE id = 1"
                };
                sqlx::query(sql)
                    .bind(&text)
                    .bind(version)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                let changes = wilayah_shared::access::audit_changes(Some(&as_map(&old)), &as_map(settings));
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: "sla_settings",
                    entity_id: Some(1),
                    account_id: None,
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(version)
            }

            async fn queue_cases(
                &self,
                statuses: &[&str],
            ) -> Result<Vec<crate::db::service::QueueCase>, StoreError> {
                let mut query = QueryBuilder::<$db>::new(crate::db::service::QUEUE_SQL);
                if !statuses.is_empty() {
                    query.push(" WHERE c.status IN (");
                    let mut list = query.separated(", ");
                    for s in statuses {
                        list.push_bind(s.to_string());
                    }
                    query.push(")");
                }
                query.push(" ORDER BY c.created_at DESC, c.id DESC");
                let mut cases: Vec<crate::db::service::QueueCase> = query
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                let fired: Vec<(i64, String)> =
                    sqlx::query_as("SELECT case_id, target FROM case_escalations ORDER BY case_id, target")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_error)?;
                let mut by_case: std::collections::HashMap<i64, Vec<wilayah_shared::service::Target>> =
                    std::collections::HashMap::new();
                for (id, target) in fired {
                    if let Some(t) = crate::db::service::target_of(&target) {
                        by_case.entry(id).or_default().push(t);
                    }
                }
                for case in &mut cases {
                    case.escalated = by_case.remove(&case.id).unwrap_or_default();
                }
                Ok(cases)
            }

            async fn escalate_case(
                &self,
                id: i64,
                target: wilayah_shared::service::Target,
                reassign_to: Option<i64>,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let case: Option<(i64, String, Option<i64>)> =
                    sqlx::query_as("SELECT account_id, subject, assigned_to FROM cases WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                let Some((account_id, subject, assigned_to)) = case else {
                    return Err(StoreError::NotFound);
                };
                let reassign = reassign_to.filter(|to| Some(*to) != assigned_to);
                let inserted = sqlx::query(
                    "INSERT INTO case_escalations (case_id, target, fired_at, reassigned_to)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(target.as_str())
                .bind(at)
                .bind(reassign)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?
                .rows_affected();
                if inserted == 0 {
                    return Ok(false);
                }
                if let Some(to) = reassign {
                    sqlx::query(
                        "UPDATE cases SET assigned_to = $1, version = version + 1, updated_at = $2 WHERE id = $3",
                    )
                    .bind(to)
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }
                sqlx::query(
                    "INSERT INTO activities (account_id, staff_id, kind, channel, subject, occurred_at, created_at)
                     VALUES ($1, NULL, 'note', 'case', $2, $3, $3)",
                )
                .bind(account_id)
                .bind(crate::db::service::escalation_note(&subject, target))
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                let mut changes = serde_json::Map::new();
                changes.insert("escalated".into(), target.as_str().into());
                if let Some(to) = reassign {
                    changes.insert("assigned_to".into(), to.into());
                }
                Self::write_audit(&mut tx, AuditEntry {
                    action: "escalate",
                    entity: "cases",
                    entity_id: Some(id),
                    account_id: Some(account_id),
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(true)
            }

            async fn file_report(
                &self,
                report: &crate::db::service::FiledReport,
            ) -> Result<crate::db::service::Filed, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let (account_id, new_account) = match (&report.new_account, report.account_id) {
                    (Some(account), _) => {
                        Self::check_account_references(&mut tx, account).await?;
                        let row = Self::insert_account(&mut tx, account, report.at).await?;
                        let created = Account::try_from(row)?;
                        Self::write_audit(&mut tx, AuditEntry {
                            action: "create",
                            entity: "accounts",
                            entity_id: Some(created.id),
                            account_id: Some(created.id),
                            changes: audit_changes(None, &as_map(&created)),
                        })
                        .await?;
                        let (contact,): (i64,) = sqlx::query_as(
                            "INSERT INTO contacts (account_id, name, email, phone, version, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
                        )
                        .bind(created.id)
                        .bind(&report.contact_name)
                        .bind(&report.email)
                        .bind(&report.phone)
                        .bind(report.at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_error)?;
                        let mut changes = serde_json::Map::new();
                        changes.insert("name".into(), report.contact_name.clone().into());
                        Self::write_audit(&mut tx, AuditEntry {
                            action: "create",
                            entity: "contacts",
                            entity_id: Some(contact),
                            account_id: Some(created.id),
                            changes,
                        })
                        .await?;
                        (created.id, true)
                    }
                    (None, Some(id)) => (id, false),
                    (None, None) => {
                        return Err(StoreError::Invalid {
                            field: "account_id".into(),
                            message: "a report needs an account".into(),
                        })
                    }
                };
                let (case_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO cases (account_id, subject, description, priority, status, category, channel,
                                        reference, version, created_at, updated_at)
                     VALUES ($1, $2, $3, 'normal', 'new', $4, 'web', $5, 1, $6, $6) RETURNING id",
                )
                .bind(account_id)
                .bind(&report.subject)
                .bind(&report.description)
                .bind(&report.category)
                .bind(&report.reference)
                .bind(report.at)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                let mut changes = serde_json::Map::new();
                changes.insert("subject".into(), report.subject.clone().into());
                changes.insert("channel".into(), "web".into());
                changes.insert("category".into(), report.category.clone().into());
                Self::write_audit(&mut tx, AuditEntry {
                    action: "create",
                    entity: "cases",
                    entity_id: Some(case_id),
                    account_id: Some(account_id),
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(crate::db::service::Filed { case_id, account_id, new_account })
            }
        }
    };
}

pub(crate) use impl_service;
