//! Saved segments (`segments`, issue 16 item 1): a name and a definition (criteria and area) as
//! JSON. Written once for both backends. Who may read or change them is decided by the scoped
//! handle (`http::scope::campaigns`); a segment holds no customer data, its members are computed
//! per caller.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::segments::{Definition, NewSegment, Segment};

use super::audit::AuditEntry;
use super::store::{SqlStore, db_error};

#[derive(sqlx::FromRow)]
struct SegmentRow {
    id: i64,
    name: String,
    definition: String,
    created_by: Option<i64>,
    version: i64,
}

impl SegmentRow {
    fn into_segment(self) -> Result<Segment, StoreError> {
        let definition: Definition = serde_json::from_str(&self.definition)
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        Ok(Segment {
            id: self.id,
            name: self.name,
            definition,
            created_by: self.created_by,
            version: self.version,
        })
    }
}

fn definition_json(segment: &NewSegment) -> Result<String, StoreError> {
    serde_json::to_string(&segment.definition).map_err(|e| StoreError::Database(Box::new(e)))
}

fn audit_changes(segment: &NewSegment, json: &str) -> serde_json::Map<String, serde_json::Value> {
    serde_json::Map::from_iter([
        ("name".to_owned(), segment.name.clone().into()),
        ("definition".to_owned(), json.to_owned().into()),
    ])
}

#[async_trait]
pub trait SegmentStore: Send + Sync {
    /// Every segment, by name then id.
    async fn segments(&self) -> Result<Vec<Segment>, StoreError>;

    /// Segment `id` (`NotFound` when there is none).
    async fn segment(&self, id: i64) -> Result<Segment, StoreError>;

    /// Saves a new segment as `user_id`'s (audited).
    async fn create_segment(
        &self,
        user_id: i64,
        segment: &NewSegment,
    ) -> Result<Segment, StoreError>;

    /// Replaces segment `id`'s name and definition if it is still at `version` (audited).
    async fn update_segment(
        &self,
        id: i64,
        version: i64,
        segment: &NewSegment,
    ) -> Result<Segment, StoreError>;

    /// Deletes segment `id` (audited); campaigns keep their frozen recipients.
    async fn delete_segment(&self, id: i64) -> Result<(), StoreError>;
}

const SEGMENT_COLUMNS: &str = "id, name, definition, created_by, version";

macro_rules! impl_segment_store {
    ($db:ty) => {
        #[async_trait]
        impl SegmentStore for SqlStore<$db> {
            async fn segments(&self) -> Result<Vec<Segment>, StoreError> {
                let rows: Vec<SegmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SEGMENT_COLUMNS} FROM segments ORDER BY LOWER(name), id"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.into_iter().map(SegmentRow::into_segment).collect()
            }

            async fn segment(&self, id: i64) -> Result<Segment, StoreError> {
                let row: Option<SegmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {SEGMENT_COLUMNS} FROM segments WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                row.ok_or(StoreError::NotFound)?.into_segment()
            }

            async fn create_segment(
                &self,
                user_id: i64,
                segment: &NewSegment,
            ) -> Result<Segment, StoreError> {
                let json = definition_json(segment)?;
                let now = Utc::now();
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let row: SegmentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO segments (name, definition, created_by, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $4) RETURNING {SEGMENT_COLUMNS}"
                )))
                .bind(&segment.name)
                .bind(&json)
                .bind(user_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                Self::write_audit(
                    &mut tx,
                    AuditEntry {
                        action: "create",
                        entity: "segments",
                        entity_id: Some(row.id),
                        account_id: None,
                        changes: audit_changes(segment, &json),
                    },
                )
                .await?;
                tx.commit().await.map_err(db_error)?;
                row.into_segment()
            }

            async fn update_segment(
                &self,
                id: i64,
                version: i64,
                segment: &NewSegment,
            ) -> Result<Segment, StoreError> {
                let json = definition_json(segment)?;
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let row: Option<SegmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE segments SET name = $1, definition = $2, version = version + 1,
                        updated_at = $3
                     WHERE id = $4 AND version = $5 RETURNING {SEGMENT_COLUMNS}"
                )))
                .bind(&segment.name)
                .bind(&json)
                .bind(Utc::now())
                .bind(id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let Some(row) = row else {
                    return Err(Self::version_refusal(&mut tx, "segments", id).await?);
                };
                Self::write_audit(
                    &mut tx,
                    AuditEntry {
                        action: "update",
                        entity: "segments",
                        entity_id: Some(id),
                        account_id: None,
                        changes: audit_changes(segment, &json),
                    },
                )
                .await?;
                tx.commit().await.map_err(db_error)?;
                row.into_segment()
            }

            async fn delete_segment(&self, id: i64) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::delete_audited(&mut tx, "segments", id).await?;
                tx.commit().await.map_err(db_error)?;
                Ok(())
            }
        }
    };
}

impl_segment_store!(Sqlite);
impl_segment_store!(Postgres);
