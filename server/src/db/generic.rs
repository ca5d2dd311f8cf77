//! SQL for the declarative resources of `wilayah_shared::resource`: one implementation for any
//! [`ResourceSpec`], instantiated for SQLite and PostgreSQL like the account store. Table and
//! column names come only from the static specs, never from requests.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Row, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_app::store::{Store, UtcRange};
use wilayah_shared::account::{
    AccountPanel, MapVisit, PANEL_HISTORY, PanelCase, PanelContact, PanelDeal, PanelVisit,
    TimelineEntry,
};
use wilayah_shared::resource::{Field, FieldType, ResourceSpec, SqlValue, Validated};

use super::audit::{AuditEntry, account_of};
use super::store::{SqlStore, db_error};
use wilayah_shared::access::audit_changes;

/// A list request already checked against the spec.
#[derive(Debug, Clone)]
pub struct ResourceQuery {
    pub filters: Vec<(&'static Field, SqlValue)>,
    /// Column to sort by (a sortable field, `id` or `created_at`) and whether descending.
    pub sort: (&'static str, bool),
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordPage {
    pub items: Vec<Map<String, Value>>,
    pub total: i64,
    pub limit: u32,
    pub offset: u64,
}

/// One line of an account's history, as the union query returns it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
struct TimelineRow {
    /// `activity`, `visit`, `case` or `opportunity`.
    pub r#type: String,
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Kind of activity, visit status, case status or deal stage.
    pub label: String,
    pub title: String,
    pub detail: Option<String>,
    pub channel: Option<String>,
}

#[async_trait]
pub trait ResourceStore: Send + Sync {
    async fn list_records(
        &self,
        spec: &'static ResourceSpec,
        query: &ResourceQuery,
    ) -> Result<RecordPage, StoreError> {
        self.list_records_within(spec, query, None).await
    }
    /// [`Self::list_records`] restricted to rows whose `column` is one of `ids` (a caller's
    /// row scope).
    async fn list_records_within(
        &self,
        spec: &'static ResourceSpec,
        query: &ResourceQuery,
        within: Option<(&'static str, &[i64])>,
    ) -> Result<RecordPage, StoreError>;
    async fn get_record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
    ) -> Result<Map<String, Value>, StoreError>;
    async fn create_record(
        &self,
        spec: &'static ResourceSpec,
        record: &Validated,
    ) -> Result<Map<String, Value>, StoreError>;
    /// Writes `record` if the row is still at `expected_version`, plus the history line the spec
    /// asks for, in one transaction.
    async fn update_record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
        expected_version: i64,
        old: &Map<String, Value>,
        record: &Validated,
    ) -> Result<Map<String, Value>, StoreError>;
    async fn delete_record(
        &self,
        spec: &'static ResourceSpec,
        id: i64,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError>;
    /// Activities, visits, cases and deals of one account, newest first.
    async fn account_history(
        &self,
        account_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<TimelineEntry>, StoreError>;
}

/// A unique index was hit: name the spec field it is about, if any.
fn duplicate_field(spec: &ResourceSpec, e: &sqlx::Error) -> Option<&'static str> {
    let db = e.as_database_error()?;
    if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return None;
    }
    let said = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
    spec.fields
        .iter()
        .find(|f| {
            said.contains(&format!("{}.{}", spec.name, f.name))
                || said.contains(&format!("_{}_", f.name))
        })
        .map(|f| f.name)
}

fn write_error(spec: &ResourceSpec, e: sqlx::Error) -> StoreError {
    match duplicate_field(spec, &e) {
        Some(field) => StoreError::Duplicate { field },
        None => db_error(e),
    }
}

const HISTORY_SQL: &str = "
    SELECT 'activity' AS type, id, occurred_at AS at, kind AS label, subject AS title, outcome AS detail,
           channel
      FROM activities WHERE account_id = $1
    UNION ALL
    SELECT 'visit', id, window_start, status, 'Visit', outcome, CAST(NULL AS TEXT) FROM visits WHERE account_id = $1
    UNION ALL
    SELECT 'case', id, created_at, status, subject, resolution, CAST(NULL AS TEXT) FROM cases WHERE account_id = $1
    UNION ALL
    SELECT 'opportunity', id, created_at, stage, title, lost_reason, CAST(NULL AS TEXT)
      FROM opportunities WHERE account_id = $1
    ORDER BY at DESC, type, id DESC
    LIMIT $2 OFFSET $3";

macro_rules! impl_resource_store {
    ($db:ty) => {
        fn push_value(qb: &mut QueryBuilder<$db>, value: &SqlValue) {
            match value {
                SqlValue::Text(v) => qb.push_bind(v.clone()),
                SqlValue::Int(v) => qb.push_bind(*v),
                SqlValue::Float(v) => qb.push_bind(*v),
                SqlValue::Json(v) => qb.push_bind(Json(v.clone())),
                SqlValue::Timestamp(v) => qb.push_bind(*v),
                SqlValue::Date(v) => qb.push_bind(*v),
            };
        }

        fn record_from_row(spec: &ResourceSpec, row: &<$db as sqlx::Database>::Row) -> Result<Map<String, Value>, sqlx::Error> {
            let mut record = Map::new();
            record.insert("id".into(), row.try_get::<i64, _>("id")?.into());
            for field in spec.fields {
                let name = field.name;
                let value = match field.ty {
                    FieldType::Text => row.try_get::<Option<String>, _>(name)?.map(Value::from),
                    FieldType::Int => row.try_get::<Option<i64>, _>(name)?.map(Value::from),
                    FieldType::Float => row.try_get::<Option<f64>, _>(name)?.map(Value::from),
                    FieldType::Json => row.try_get::<Option<Json<Value>>, _>(name)?.map(|j| j.0),
                    FieldType::Timestamp => row.try_get::<Option<DateTime<Utc>>, _>(name)?.map(|t| t.to_rfc3339().into()),
                    FieldType::Date => row.try_get::<Option<NaiveDate>, _>(name)?.map(|d| d.to_string().into()),
                };
                record.insert(name.into(), value.unwrap_or(Value::Null));
            }
            if spec.versioned {
                record.insert("version".into(), row.try_get::<i64, _>("version")?.into());
                record.insert("updated_at".into(), row.try_get::<DateTime<Utc>, _>("updated_at")?.to_rfc3339().into());
            }
            record.insert("created_at".into(), row.try_get::<DateTime<Utc>, _>("created_at")?.to_rfc3339().into());
            Ok(record)
        }

        fn push_filters(qb: &mut QueryBuilder<$db>, query: &ResourceQuery, within: Option<(&'static str, &[i64])>) {
            qb.push(" WHERE 1 = 1");
            for (field, value) in &query.filters {
                qb.push(format!(" AND {} = ", field.name));
                push_value(qb, value);
            }
            if let Some((column, ids)) = within {
                if ids.is_empty() {
                    qb.push(" AND 1 = 0");
                } else {
                    qb.push(format!(" AND {column} IN ("));
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    qb.push(")");
                }
            }
        }

        impl SqlStore<$db> {
            /// Refuses ids that point nowhere, naming the field (clearer than a foreign-key error),
            /// and ids of another account's rows where the field asks for the record's own.
            async fn check_references(
                tx: &mut sqlx::Transaction<'_, $db>,
                record: &Validated,
            ) -> Result<(), StoreError> {
                let account = record.record.get("account_id").and_then(Value::as_i64);
                for (field, value) in &record.values {
                    if let (Some(table), SqlValue::Int(Some(id))) = (field.references, value) {
                        let query = if field.same_account {
                            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                                "SELECT id FROM {table} WHERE id = $1 AND account_id = $2"
                            )))
                            .bind(*id)
                            .bind(account)
                        } else {
                            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} WHERE id = $1")))
                                .bind(*id)
                        };
                        let found: Option<(i64,)> = query.fetch_optional(&mut **tx).await.map_err(db_error)?;
                        if found.is_none() {
                            return Err(StoreError::InvalidReference { field: field.name });
                        }
                    }
                }
                Ok(())
            }

            async fn record_missing_or_conflict(&self, spec: &ResourceSpec, id: i64) -> StoreError {
                let sql = if spec.versioned {
                    format!("SELECT version FROM {} WHERE id = $1", spec.name)
                } else {
                    format!("SELECT 0 FROM {} WHERE id = $1", spec.name)
                };
                match sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await {
                    Ok(Some((current_version,))) => StoreError::Conflict { current_version },
                    Ok(None) => StoreError::NotFound,
                    Err(e) => db_error(e),
                }
            }
        }

        #[async_trait]
        impl ResourceStore for SqlStore<$db> {
            async fn list_records_within(
                &self,
                spec: &'static ResourceSpec,
                query: &ResourceQuery,
                within: Option<(&'static str, &[i64])>,
            ) -> Result<RecordPage, StoreError> {
                let mut count = QueryBuilder::<$db>::new(format!("SELECT COUNT(*) FROM {}", spec.name));
                push_filters(&mut count, query, within);
                let (total,): (i64,) = count.build_query_as().fetch_one(&self.pool).await.map_err(db_error)?;

                let mut page = QueryBuilder::<$db>::new(format!("SELECT * FROM {}", spec.name));
                push_filters(&mut page, query, within);
                let (column, descending) = query.sort;
                let direction = if descending { "DESC" } else { "ASC" };
                page.push(format!(" ORDER BY {column} {direction}, id {direction}"));
                page.push(" LIMIT ").push_bind(i64::from(query.limit));
                page.push(" OFFSET ").push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
                let rows = page.build().fetch_all(&self.pool).await.map_err(db_error)?;
                let items = rows.iter().map(|r| record_from_row(spec, r)).collect::<Result<_, _>>().map_err(db_error)?;
                Ok(RecordPage { items, total, limit: query.limit, offset: query.offset })
            }

            async fn get_record(&self, spec: &'static ResourceSpec, id: i64) -> Result<Map<String, Value>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {} WHERE id = $1", spec.name)))
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_error)?;
                record_from_row(spec, &row).map_err(db_error)
            }

            async fn create_record(&self, spec: &'static ResourceSpec, record: &Validated) -> Result<Map<String, Value>, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::check_references(&mut tx, record).await?;
                let columns: Vec<&str> = record.values.iter().map(|(f, _)| f.name).collect();
                let stamps = if spec.versioned { ", created_at, updated_at" } else { ", created_at" };
                let mut qb = QueryBuilder::<$db>::new(format!("INSERT INTO {} ({}{stamps}) VALUES (", spec.name, columns.join(", ")));
                let now = Utc::now();
                for (_, value) in &record.values {
                    push_value(&mut qb, value);
                    qb.push(", ");
                }
                qb.push_bind(now);
                if spec.versioned {
                    qb.push(", ").push_bind(now);
                }
                qb.push(") RETURNING *");
                let row = qb.build().fetch_one(&mut *tx).await.map_err(|e| write_error(spec, e))?;
                let created = record_from_row(spec, &row).map_err(db_error)?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "create",
                    entity: spec.name,
                    entity_id: created.get("id").and_then(Value::as_i64),
                    account_id: account_of(&created),
                    changes: audit_changes(None, &created),
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(created)
            }

            async fn update_record(
                &self,
                spec: &'static ResourceSpec,
                id: i64,
                expected_version: i64,
                old: &Map<String, Value>,
                record: &Validated,
            ) -> Result<Map<String, Value>, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::check_references(&mut tx, record).await?;
                let now = Utc::now();
                let mut qb = QueryBuilder::<$db>::new(format!("UPDATE {} SET ", spec.name));
                for (field, value) in &record.values {
                    qb.push(format!("{} = ", field.name));
                    push_value(&mut qb, value);
                    qb.push(", ");
                }
                qb.push("version = version + 1, updated_at = ").push_bind(now);
                qb.push(" WHERE id = ").push_bind(id).push(" AND version = ").push_bind(expected_version);
                qb.push(" RETURNING *");
                let row = qb.build().fetch_optional(&mut *tx).await.map_err(|e| write_error(spec, e))?;
                let Some(row) = row else {
                    drop(tx);
                    return Err(self.record_missing_or_conflict(spec, id).await);
                };
                let updated = record_from_row(spec, &row).map_err(db_error)?;
                let note = spec.history_note.and_then(|note| note(old, &updated));
                if let (Some((channel, subject)), Some(account_id)) = (note, updated.get("account_id").and_then(Value::as_i64)) {
                    sqlx::query(
                        "INSERT INTO activities (account_id, kind, channel, subject, occurred_at, created_at)
                         VALUES ($1, 'note', $2, $3, $4, $4)",
                    )
                    .bind(account_id)
                    .bind(channel)
                    .bind(subject)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                }
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: spec.name,
                    entity_id: Some(id),
                    account_id: account_of(&updated),
                    changes: audit_changes(Some(old), &updated),
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(updated)
            }

            async fn delete_record(&self, spec: &'static ResourceSpec, id: i64, expected_version: Option<i64>) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let mut qb = QueryBuilder::<$db>::new(format!("DELETE FROM {} WHERE id = ", spec.name));
                qb.push_bind(id);
                if let (true, Some(version)) = (spec.versioned, expected_version) {
                    qb.push(" AND version = ").push_bind(version);
                }
                qb.push(" RETURNING *");
                let Some(row) = qb.build().fetch_optional(&mut *tx).await.map_err(db_error)? else {
                    drop(tx);
                    return Err(self.record_missing_or_conflict(spec, id).await);
                };
                let deleted = record_from_row(spec, &row).map_err(db_error)?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "delete",
                    entity: spec.name,
                    entity_id: Some(id),
                    account_id: account_of(&deleted),
                    changes: Default::default(),
                })
                .await?;
                tx.commit().await.map_err(db_error)
            }

            async fn account_history(&self, account_id: i64, limit: u32, offset: u64) -> Result<Vec<TimelineEntry>, StoreError> {
                let rows: Vec<TimelineRow> = sqlx::query_as(HISTORY_SQL)
                    .bind(account_id)
                    .bind(i64::from(limit))
                    .bind(i64::try_from(offset).unwrap_or(i64::MAX))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows
                    .into_iter()
                    .map(|r| TimelineEntry { kind: r.r#type, id: r.id, at: r.at, label: r.label, title: r.title, detail: r.detail, channel: r.channel })
                    .collect())
            }
        }

        impl SqlStore<$db> {
            /// The customer panel, read in one go (see `Store::account_panel`).
            pub(crate) async fn read_account_panel(&self, id: i64) -> Result<AccountPanel, StoreError> {
                let account = self.get_account(id).await?;
                let (owner_name,): (Option<String>,) = sqlx::query_as("SELECT (SELECT name FROM staff WHERE id = $1)")
                    .bind(account.owner_id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_error)?;
                let (territory_name,): (Option<String>,) =
                    sqlx::query_as("SELECT (SELECT name FROM territories WHERE id = $1)")
                        .bind(account.territory_id)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_error)?;
                let contacts = sqlx::query_as::<_, (String, Option<String>, Option<String>, Option<String>)>(
                    "SELECT name, title, email, phone FROM contacts WHERE account_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|(name, title, email, phone)| PanelContact { name, title, email, phone })
                .collect();
                let open_deals = sqlx::query_as::<_, (String, String, i64, String)>(
                    "SELECT title, stage, value_minor, currency FROM opportunities
                     WHERE account_id = $1 AND stage NOT IN ('won', 'lost') ORDER BY value_minor DESC, id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|(title, stage, value_minor, currency)| PanelDeal { title, stage, value_minor, currency })
                .collect();
                let open_cases = sqlx::query_as::<_, (String, String, String)>(
                    "SELECT subject, status, priority FROM cases
                     WHERE account_id = $1 AND status NOT IN ('resolved', 'closed') ORDER BY id DESC",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|(subject, status, priority)| PanelCase { subject, status, priority })
                .collect();
                let last_visit = sqlx::query_as::<_, (DateTime<Utc>, String)>(
                    "SELECT window_start, status FROM visits
                     WHERE account_id = $1 AND window_start <= $2 ORDER BY window_start DESC LIMIT 1",
                )
                .bind(id)
                .bind(Utc::now())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?
                .map(|(window_start, status)| PanelVisit { window_start, status });
                let history = self.account_history(id, PANEL_HISTORY, 0).await?;
                Ok(AccountPanel { account, owner_name, territory_name, contacts, open_deals, open_cases, last_visit, history })
            }

            pub(crate) async fn read_map_visits(&self, range: &UtcRange) -> Result<Vec<MapVisit>, StoreError> {
                let rows = sqlx::query_as::<_, (i64, i64, String, Option<i64>, f64, f64, String, DateTime<Utc>)>(
                    "SELECT v.id, v.account_id, a.name, v.technician_id, a.lon, a.lat, v.status, v.window_start
                     FROM visits v JOIN accounts a ON a.id = v.account_id
                     WHERE v.window_start >= $1 AND v.window_start < $2 ORDER BY v.window_start, v.id",
                )
                .bind(range.from)
                .bind(range.to)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(rows
                    .into_iter()
                    .map(|(id, account_id, account_name, technician_id, lon, lat, status, window_start)| MapVisit {
                        id,
                        account_id,
                        account_name,
                        technician_id,
                        lon,
                        lat,
                        status,
                        window_start,
                    })
                    .collect())
            }
        }
    };
}

mod sqlite {
    use super::*;
    impl_resource_store!(Sqlite);
}

mod postgres {
    use super::*;
    impl_resource_store!(Postgres);
}
