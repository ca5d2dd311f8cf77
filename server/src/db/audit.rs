//! The audit log: who created, changed or deleted which record, when, with the changed fields.
//! Each entry is written in the transaction of the change it describes.
//!
//! Who acted is a task-local set by the HTTP auth middleware around each request
//! ([`acting_as`]), so every store write (including ones added later) finds its actor without
//! threading it through each method; outside a request (CLI, demo seeding) the actor is `system`.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::access::redact;

use super::store::{SqlStore, db_error};

/// Who a change is attributed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The user's e-mail, or `system` / `cli` for changes made outside a request.
    pub label: String,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            user_id: None,
            label: "system".into(),
        }
    }
}

tokio::task_local! {
    static ACTOR: Actor;
}

/// Runs `work` with `actor` as the author of every change it makes.
pub async fn acting_as<F: Future>(actor: Actor, work: F) -> F::Output {
    ACTOR.scope(actor, work).await
}

pub fn current_actor() -> Actor {
    ACTOR
        .try_with(Clone::clone)
        .unwrap_or_else(|_| Actor::system())
}

/// One entry to append.
pub(crate) struct AuditEntry<'a> {
    /// `create`, `update`, `delete`, `import`, `erase`, `export`, …
    pub action: &'static str,
    /// The table (`accounts`, `contacts`, `users`, …).
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    /// The account the record belongs to, so a customer's entries can be found (and scoped).
    pub account_id: Option<i64>,
    pub changes: Map<String, Value>,
}

/// The account id a generic record belongs to, if it has one.
pub(crate) fn account_of(record: &Map<String, Value>) -> Option<i64> {
    record.get("account_id").and_then(Value::as_i64)
}

/// A history line the server writes (see `write_history`).
pub(crate) struct HistoryLine<'a> {
    pub account_id: i64,
    pub staff_id: Option<i64>,
    /// The activity kind (`note`, `email`, `call`, …).
    pub kind: &'a str,
    pub channel: &'a str,
    pub subject: &'a str,
    pub outcome: Option<&'a str>,
    pub body: Option<&'a str>,
}

macro_rules! impl_audit {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// Appends `entry` inside `tx`, attributed to the current actor. Values of personal
            /// and location fields are replaced here, whoever wrote the entry
            /// (`wilayah_shared::access::redact`).
            pub(crate) async fn write_audit(
                tx: &mut sqlx::Transaction<'_, $db>,
                entry: AuditEntry<'_>,
            ) -> Result<(), StoreError> {
                let actor = current_actor();
                sqlx::query(
                    "INSERT INTO audit_log (at, actor_user_id, actor, action, entity, entity_id, account_id, changes)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(Utc::now())
                .bind(actor.user_id)
                .bind(&actor.label)
                .bind(entry.action)
                .bind(entry.entity)
                .bind(entry.entity_id)
                .bind(entry.account_id)
                .bind(Json(Value::Object(redact(entry.changes))))
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            /// Appends a line to a customer's history (an activity) the server writes inside
            /// `tx`: a lead's move, a campaign's contact.
            pub(crate) async fn write_history(
                tx: &mut sqlx::Transaction<'_, $db>,
                line: HistoryLine<'_>,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO activities (account_id, staff_id, kind, channel, subject, outcome, body, occurred_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                )
                .bind(line.account_id)
                .bind(line.staff_id)
                .bind(line.kind)
                .bind(line.channel)
                .bind(line.subject)
                .bind(line.outcome)
                .bind(line.body)
                .bind(at)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            /// Deletes row `id` of `table` (a table name of ours, never input) inside `tx` and
            /// audits it; `NotFound` when there is none.
            pub(crate) async fn delete_audited(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &'static str,
                id: i64,
            ) -> Result<(), StoreError> {
                let deleted = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE id = $1"
                )))
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(db_error)?
                .rows_affected();
                if deleted == 0 {
                    return Err(StoreError::NotFound);
                }
                Self::write_audit(
                    tx,
                    AuditEntry {
                        action: "delete",
                        entity: table,
                        entity_id: Some(id),
                        account_id: None,
                        changes: Map::new(),
                    },
                )
                .await
            }

            /// Why a versioned write of row `id` of `table` (ours, never input) matched nothing:
            /// it is at another version, or it does not exist.
            pub(crate) async fn version_refusal(
                tx: &mut sqlx::Transaction<'_, $db>,
                table: &'static str,
                id: i64,
            ) -> Result<StoreError, StoreError> {
                let current: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT version FROM {table} WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error)?;
                Ok(match current {
                    Some((current_version,)) => StoreError::Conflict { current_version },
                    None => StoreError::NotFound,
                })
            }
        }
    };
}

mod sqlite {
    use super::*;
    impl_audit!(Sqlite);
}

mod postgres {
    use super::*;
    impl_audit!(Postgres);
}

/// A serialisable record as a JSON object, for [`wilayah_shared::access::audit_changes`].
pub(crate) fn as_map(record: &impl serde::Serialize) -> Map<String, Value> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The one entry an import writes: which records it created (an import is one change).
pub(crate) fn import_entry<'a>(entity: &'a str, ids: &[i64]) -> AuditEntry<'a> {
    let mut changes = Map::new();
    changes.insert("count".into(), ids.len().into());
    changes.insert("ids".into(), ids.into());
    AuditEntry {
        action: "import",
        entity,
        entity_id: None,
        account_id: None,
        changes,
    }
}
