//! The pipeline in the database: the stages' win probabilities, the deals the board shows, and
//! the two lead writes that must be one transaction each: a lead's status move with its history
//! line, and the conversion of a qualified lead into a customer with its first deal.
//!
//! The SQL is written once in [`impl_pipeline!`] and instantiated inside `store.rs`'s per-backend
//! modules, beside `impl_merge!`, because it shares that file's account row type, column list and
//! the per-backend audit writer (the same reason the merge lives there).

use async_trait::async_trait;
use chrono::NaiveDate;
use serde_json::{Map, Value};
use wilayah_app::store::StoreError;
use wilayah_shared::account::Account;
use wilayah_shared::pipeline::{BoardDeal, LeadStep, StageProbability};

/// The first deal of a converted lead, already validated against the opportunities' rules.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstDeal {
    pub title: String,
    pub owner_id: Option<i64>,
    pub value_minor: i64,
    pub currency: String,
    pub expected_close: Option<NaiveDate>,
}

#[async_trait]
pub trait PipelineStore: Send + Sync {
    /// Every stage's win probability, in board order.
    async fn stage_probabilities(&self) -> Result<Vec<StageProbability>, StoreError>;

    /// Replaces the probabilities (already checked: every stage once, 0–100), audited.
    async fn set_stage_probabilities(
        &self,
        stages: &[StageProbability],
    ) -> Result<Vec<StageProbability>, StoreError>;

    /// Every deal with its account's name and territory, newest first.
    async fn board_deals(&self) -> Result<Vec<BoardDeal>, StoreError>;

    /// In one transaction: moves prospect `id` (still at `expected_version` and at `step.from`)
    /// to `step.to`, writes the history line (with the reason and note) by `staff_id`, audits.
    async fn move_lead(
        &self,
        id: i64,
        expected_version: i64,
        step: &LeadStep,
        staff_id: Option<i64>,
    ) -> Result<Account, StoreError>;

    /// In one transaction: makes qualified prospect `id` (still at `expected_version`) an active
    /// customer acquired on `today`, opens `deal` on it at stage `qualified`, writes the history
    /// line and audits both; any failure on the way writes nothing.
    async fn convert_lead(
        &self,
        id: i64,
        expected_version: i64,
        deal: &FirstDeal,
        staff_id: Option<i64>,
        today: NaiveDate,
    ) -> Result<(Account, Map<String, Value>), StoreError>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct BoardRow {
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
    pub expected_close: Option<NaiveDate>,
    pub lost_reason: Option<String>,
}

impl From<BoardRow> for BoardDeal {
    fn from(r: BoardRow) -> Self {
        BoardDeal {
            id: r.id,
            version: r.version,
            account_id: r.account_id,
            account_name: r.account_name,
            territory_id: r.territory_id,
            owner_id: r.owner_id,
            title: r.title,
            stage: r.stage,
            value_minor: r.value_minor,
            currency: r.currency,
            expected_close: r.expected_close.map(|d| d.to_string()),
            lost_reason: r.lost_reason,
        }
    }
}

macro_rules! impl_pipeline {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// Account `id` as it is inside `tx`, if still at `version`.
            async fn account_at(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: i64,
                version: i64,
            ) -> Result<Option<AccountRow>, StoreError> {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND version = $2"
                )))
                .bind(id)
                .bind(version)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error)
            }

            /// Appends a history line (an activity on channel `lead`) inside `tx`.
            async fn lead_history(
                tx: &mut sqlx::Transaction<'_, $db>,
                account_id: i64,
                staff_id: Option<i64>,
                subject: &str,
                outcome: Option<&str>,
                body: Option<&str>,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let line = crate::db::audit::HistoryLine {
                    account_id,
                    staff_id,
                    kind: "note",
                    channel: "lead",
                    subject,
                    outcome,
                    body,
                };
                Self::write_history(tx, line, at).await
            }
        }

        #[async_trait]
        impl crate::db::pipeline::PipelineStore for SqlStore<$db> {
            async fn stage_probabilities(
                &self,
            ) -> Result<Vec<wilayah_shared::pipeline::StageProbability>, StoreError> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT stage, CAST(probability_pct AS BIGINT) FROM pipeline_stages ORDER BY position",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(rows
                    .into_iter()
                    .map(|(stage, probability_pct)| wilayah_shared::pipeline::StageProbability {
                        stage,
                        probability_pct,
                    })
                    .collect())
            }

            async fn set_stage_probabilities(
                &self,
                stages: &[wilayah_shared::pipeline::StageProbability],
            ) -> Result<Vec<wilayah_shared::pipeline::StageProbability>, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let now = Utc::now();
                let mut changes = serde_json::Map::new();
                for s in stages {
                    sqlx::query(
                        "UPDATE pipeline_stages SET probability_pct = $1, updated_at = $2 WHERE stage = $3",
                    )
                    .bind(s.probability_pct)
                    .bind(now)
                    .bind(&s.stage)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                    changes.insert(s.stage.clone(), s.probability_pct.into());
                }
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: "pipeline_stages",
                    entity_id: None,
                    account_id: None,
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                crate::db::pipeline::PipelineStore::stage_probabilities(self).await
            }

            async fn board_deals(&self) -> Result<Vec<wilayah_shared::pipeline::BoardDeal>, StoreError> {
                let rows: Vec<crate::db::pipeline::BoardRow> = sqlx::query_as(
                    "SELECT o.id, o.version, o.account_id, a.name AS account_name, a.territory_id, o.owner_id,
                            o.title, o.stage, o.value_minor, o.currency, o.expected_close, o.lost_reason
                       FROM opportunities o JOIN accounts a ON a.id = o.account_id
                      ORDER BY o.updated_at DESC, o.id DESC",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn move_lead(
                &self,
                id: i64,
                expected_version: i64,
                step: &wilayah_shared::pipeline::LeadStep,
                staff_id: Option<i64>,
            ) -> Result<Account, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let now = Utc::now();
                let before = Self::account_at(&mut tx, id, expected_version).await?;
                let updated: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE accounts SET status = $1, version = version + 1, updated_at = $2
                      WHERE id = $3 AND version = $4 AND kind = 'prospect' AND status = $5
                     RETURNING {ACCOUNT_COLUMNS}"
                )))
                .bind(step.to.as_str())
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .bind(step.from.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let (Some(before), Some(updated)) = (before, updated) else {
                    drop(tx);
                    return Err(self.missing_or_conflict(id).await);
                };
                let (before, updated) = (Account::try_from(before)?, Account::try_from(updated)?);
                Self::lead_history(&mut tx, id, staff_id, &step.subject(), step.reason, step.note.as_deref(), now)
                    .await?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: "accounts",
                    entity_id: Some(id),
                    account_id: Some(id),
                    changes: audit_changes(Some(&as_map(&before)), &as_map(&updated)),
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(updated)
            }

            async fn convert_lead(
                &self,
                id: i64,
                expected_version: i64,
                deal: &crate::db::pipeline::FirstDeal,
                staff_id: Option<i64>,
                today: chrono::NaiveDate,
            ) -> Result<(Account, serde_json::Map<String, serde_json::Value>), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let now = Utc::now();
                let before = Self::account_at(&mut tx, id, expected_version).await?;
                let updated: Option<AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE accounts SET kind = 'customer', status = 'active',
                            acquired_on = COALESCE(acquired_on, $1), version = version + 1, updated_at = $2
                      WHERE id = $3 AND version = $4 AND kind = 'prospect' AND status = 'qualified'
                     RETURNING {ACCOUNT_COLUMNS}"
                )))
                .bind(today)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let (Some(before), Some(updated)) = (before, updated) else {
                    drop(tx);
                    return Err(self.missing_or_conflict(id).await);
                };
                let (before, updated) = (Account::try_from(before)?, Account::try_from(updated)?);
                // The deal's owner is checked inside the transaction, after the account changed:
                // a refusal here must leave the account a prospect (nothing half-written).
                if let Some(owner) = deal.owner_id {
                    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM staff WHERE id = $1")
                        .bind(owner)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    if found.is_none() {
                        return Err(StoreError::InvalidReference { field: "owner_id" });
                    }
                }
                let (deal_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO opportunities (account_id, owner_id, title, stage, value_minor, currency,
                            expected_close, version, created_at, updated_at)
                     VALUES ($1, $2, $3, 'qualified', $4, $5, $6, 1, $7, $7) RETURNING id",
                )
                .bind(id)
                .bind(deal.owner_id)
                .bind(&deal.title)
                .bind(deal.value_minor)
                .bind(&deal.currency)
                .bind(deal.expected_close)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                let opportunity = as_map(&serde_json::json!({
                    "id": deal_id, "account_id": id, "owner_id": deal.owner_id, "title": deal.title,
                    "stage": "qualified", "value_minor": deal.value_minor, "currency": deal.currency,
                    "expected_close": deal.expected_close,
                }));
                let subject = format!("Lead converted: customer, deal {}", deal.title);
                Self::lead_history(&mut tx, id, staff_id, &subject, None, None, now).await?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: "accounts",
                    entity_id: Some(id),
                    account_id: Some(id),
                    changes: audit_changes(Some(&as_map(&before)), &as_map(&updated)),
                })
                .await?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "create",
                    entity: "opportunities",
                    entity_id: opportunity.get("id").and_then(serde_json::Value::as_i64),
                    account_id: Some(id),
                    changes: audit_changes(None, &opportunity),
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                let spec = &wilayah_shared::resources::OPPORTUNITIES;
                let opportunity = crate::db::ResourceStore::get_record(self, spec, deal_id).await?;
                Ok((updated, opportunity))
            }
        }
    };
}
pub(crate) use impl_pipeline;
