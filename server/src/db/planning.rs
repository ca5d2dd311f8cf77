//! Territory planning in the database: drafts, the published revision they are based on, and
//! publishing a draft (territories replaced, accounts reassigned, the audit trail written) in
//! one transaction. Written once for both backends, like the rest of the store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::LonLat;
use wilayah_shared::geojson::area_coordinates;
use wilayah_shared::planning::{AccountPoint, Draft, DraftTerritory, Reassignment, auto_assign};
use wilayah_shared::spatial::{Territory, TerritoryIndex};

use super::store::{SqlStore, db_error};

/// An account as planning reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlanningAccount {
    pub id: i64,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub territory_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub revenue_minor: i64,
}

/// A member of staff, by name.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StaffName {
    pub id: i64,
    pub name: String,
    pub role: String,
}

/// A published territory.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PublishedTerritory {
    pub id: i64,
    pub name: String,
    pub owner_id: Option<i64>,
    pub geometry: Json<Value>,
    pub version: i64,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publication {
    pub id: i64,
    pub draft_id: Option<i64>,
    pub revision: i64,
    pub actor: String,
    pub summary: Value,
    pub published_at: DateTime<Utc>,
}

/// What a publication or an auto-assignment changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishOutcome {
    pub revision: i64,
    pub publication_id: i64,
    pub created: Vec<i64>,
    pub updated: Vec<i64>,
    pub deleted: Vec<i64>,
    pub reassigned: Vec<Reassignment>,
    /// Accounts in no territory afterwards.
    pub unassigned: Vec<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error(
        "someone published territory changes since this draft was made (it is based on revision {base_revision}, the published territories are now at revision {current_revision}); nothing was changed and your draft is kept: review its preview and rebase it to publish over the newer territories"
    )]
    Stale {
        base_revision: i64,
        current_revision: i64,
    },
    #[error("this draft was already published")]
    AlreadyPublished,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait PlanningStore: Send + Sync {
    async fn planning_revision(&self) -> Result<i64, StoreError>;
    /// Every territory, by id.
    async fn published_territories(&self) -> Result<Vec<PublishedTerritory>, StoreError>;
    /// Every account with its position, territory, owner and revenue, by id.
    async fn planning_accounts(&self) -> Result<Vec<PlanningAccount>, StoreError>;
    /// Every member of staff, by id.
    async fn staff_names(&self) -> Result<Vec<StaffName>, StoreError>;
    /// A new open draft based on the current revision and territory versions.
    async fn create_draft(
        &self,
        name: &str,
        territories: &[DraftTerritory],
        created_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Draft, StoreError>;
    /// Every draft, newest first.
    async fn list_drafts(&self) -> Result<Vec<Draft>, StoreError>;
    async fn get_draft(&self, id: i64) -> Result<Draft, StoreError>;
    /// Changes name and/or territories if the draft is still at `expected_version`; `rebase`
    /// moves it onto the current revision (the planner has seen what changed).
    async fn update_draft(
        &self,
        id: i64,
        expected_version: i64,
        name: Option<&str>,
        territories: Option<&[DraftTerritory]>,
        rebase: bool,
        now: DateTime<Utc>,
    ) -> Result<Draft, StoreError>;
    async fn delete_draft(&self, id: i64) -> Result<(), StoreError>;
    /// In one transaction: refuses a stale draft ([`PlanningError::Stale`]) or one changed since
    /// `expected_version`; replaces the territories with the draft's; moves every account to the
    /// territory containing it and to its rep (an activity on each account says so); records the
    /// publication under `actor`; bumps the revision.
    async fn publish_draft(
        &self,
        id: i64,
        expected_version: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<PublishOutcome, PlanningError>;
    /// Moves every account to the published territory that contains it (and its rep), in one
    /// transaction with the audit entries; with `dry_run` nothing is kept.
    async fn auto_assign_accounts(
        &self,
        actor: &str,
        dry_run: bool,
        now: DateTime<Utc>,
    ) -> Result<PublishOutcome, PlanningError>;
    /// The audit trail, newest first.
    async fn publications(&self, limit: i64) -> Result<Vec<Publication>, StoreError>;
}

#[derive(sqlx::FromRow)]
struct DraftRow {
    id: i64,
    name: String,
    base_revision: i64,
    territories: String,
    status: String,
    created_by: Option<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored {what} does not read: {e}").into())
}

impl TryFrom<DraftRow> for Draft {
    type Error = StoreError;
    fn try_from(r: DraftRow) -> Result<Self, StoreError> {
        Ok(Draft {
            id: r.id,
            name: r.name,
            base_revision: r.base_revision,
            status: r.status,
            territories: serde_json::from_str(&r.territories)
                .map_err(|e| corrupt("draft territories", e))?,
            created_by: r.created_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(Box::new(e)))
}

/// The territory index over stored territories (leniently read: imported boundary files may
/// carry the tiny crossings `Region::from_coords_lenient` accepts). A geometry that does not
/// read at all is left out and logged.
pub fn territory_index(territories: &[PublishedTerritory]) -> TerritoryIndex {
    let list = territories
        .iter()
        .filter_map(|t| {
            let built = area_coordinates(&t.geometry.0.to_string(), "geometry")
                .map_err(|e| e.message)
                .and_then(|c| {
                    Territory::from_coords_lenient(t.id, t.owner_id, &c).map_err(|e| e.to_string())
                });
            match built {
                Ok(territory) => Some(territory),
                Err(e) => {
                    tracing::warn!(territory = t.id, error = %e, "territory geometry left out of the index");
                    None
                }
            }
        })
        .collect();
    TerritoryIndex::new(list).expect("territory ids are unique in the database")
}

/// Account points for assignment; accounts with positions outside WGS84 (impossible by the
/// table's checks) are skipped.
pub fn account_points(accounts: &[PlanningAccount]) -> Vec<AccountPoint> {
    accounts
        .iter()
        .filter_map(|a| {
            Some(AccountPoint {
                id: a.id,
                position: LonLat::new(a.lon, a.lat).ok()?,
                territory_id: a.territory_id,
                owner_id: a.owner_id,
            })
        })
        .collect()
}

const DRAFT_COLUMNS: &str =
    "id, name, base_revision, territories, status, created_by, version, created_at, updated_at";
const ACCOUNTS_SQL: &str =
    "SELECT id, name, lon, lat, territory_id, owner_id, revenue_minor FROM accounts ORDER BY id";
const TERRITORIES_SQL: &str =
    "SELECT id, name, owner_id, geometry, version FROM territories ORDER BY id";

fn name_of(names: &[(i64, String)], id: Option<i64>) -> &str {
    id.and_then(|id| names.iter().find(|(i, _)| *i == id))
        .map_or("none", |(_, n)| n.as_str())
}

macro_rules! impl_planning_store {
    ($db:ty) => {
        impl SqlStore<$db> {
            async fn current_revision(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<i64, StoreError> {
                let (revision,): (i64,) =
                    sqlx::query_as("SELECT revision FROM planning_revision WHERE id = 1")
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(db_error)?;
                Ok(revision)
            }

            async fn territory_versions(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<Vec<(i64, i64)>, StoreError> {
                sqlx::query_as("SELECT id, version FROM territories ORDER BY id")
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error)
            }

            /// Moves accounts to the territories containing them, writing one activity per
            /// account changed; returns the changes and the accounts in no territory.
            async fn reassign_accounts(
                conn: &mut <$db as sqlx::Database>::Connection,
                actor: &str,
                now: DateTime<Utc>,
            ) -> Result<(Vec<Reassignment>, Vec<i64>), StoreError> {
                let territories: Vec<PublishedTerritory> = sqlx::query_as(TERRITORIES_SQL)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error)?;
                let accounts: Vec<PlanningAccount> = sqlx::query_as(ACCOUNTS_SQL)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error)?;
                let staff: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM staff")
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db_error)?;
                let territory_names: Vec<(i64, String)> =
                    territories.iter().map(|t| (t.id, t.name.clone())).collect();
                let result = auto_assign(&territory_index(&territories), &account_points(&accounts));
                for c in &result.changes {
                    sqlx::query(
                        "UPDATE accounts SET territory_id = $1, owner_id = $2, version = version + 1,
                                updated_at = $3 WHERE id = $4",
                    )
                    .bind(c.to_territory)
                    .bind(c.to_owner)
                    .bind(now)
                    .bind(c.account_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
                    let subject = format!(
                        "Territory {} → {}, owner {} → {} (territory planning, by {actor})",
                        name_of(&territory_names, c.from_territory),
                        name_of(&territory_names, c.to_territory),
                        name_of(&staff, c.from_owner),
                        name_of(&staff, c.to_owner),
                    );
                    sqlx::query(
                        "INSERT INTO activities (account_id, staff_id, kind, subject, body, occurred_at, created_at)
                         VALUES ($1, NULL, 'note', $2, $3, $4, $4)",
                    )
                    .bind(c.account_id)
                    .bind(subject)
                    .bind(format!("Territory planning: reassigned by {actor}"))
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error)?;
                }
                Ok((result.changes, result.unassigned))
            }

            async fn record_publication(
                conn: &mut <$db as sqlx::Database>::Connection,
                draft_id: Option<i64>,
                revision: i64,
                actor: &str,
                summary: &Value,
                now: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO planning_publications (draft_id, revision, actor, summary, published_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(draft_id)
                .bind(revision)
                .bind(actor)
                .bind(summary.to_string())
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error)?;
                Ok(id)
            }
        }

        #[async_trait]
        impl PlanningStore for SqlStore<$db> {
            async fn planning_revision(&self) -> Result<i64, StoreError> {
                let mut conn = self.pool.acquire().await.map_err(db_error)?;
                Self::current_revision(&mut conn).await
            }

            async fn published_territories(&self) -> Result<Vec<PublishedTerritory>, StoreError> {
                sqlx::query_as(TERRITORIES_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)
            }

            async fn planning_accounts(&self) -> Result<Vec<PlanningAccount>, StoreError> {
                sqlx::query_as(ACCOUNTS_SQL)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)
            }

            async fn staff_names(&self) -> Result<Vec<StaffName>, StoreError> {
                sqlx::query_as("SELECT id, name, role FROM staff ORDER BY id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)
            }

            async fn create_draft(
                &self,
                name: &str,
                territories: &[DraftTerritory],
                created_by: Option<&str>,
                now: DateTime<Utc>,
            ) -> Result<Draft, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let revision = Self::current_revision(&mut tx).await?;
                let versions = Self::territory_versions(&mut tx).await?;
                let row: DraftRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO planning_drafts (name, base_revision, base_versions, territories, status,
                        created_by, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, 'open', $5, $6, $6) RETURNING {DRAFT_COLUMNS}"
                )))
                .bind(name)
                .bind(revision)
                .bind(to_json(&versions)?)
                .bind(to_json(&territories)?)
                .bind(created_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                row.try_into()
            }

            async fn list_drafts(&self) -> Result<Vec<Draft>, StoreError> {
                let rows: Vec<DraftRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DRAFT_COLUMNS} FROM planning_drafts ORDER BY id DESC"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.into_iter().map(Draft::try_from).collect()
            }

            async fn get_draft(&self, id: i64) -> Result<Draft, StoreError> {
                let row: DraftRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DRAFT_COLUMNS} FROM planning_drafts WHERE id = $1"
                )))
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
                row.try_into()
            }

            async fn update_draft(
                &self,
                id: i64,
                expected_version: i64,
                name: Option<&str>,
                territories: Option<&[DraftTerritory]>,
                rebase: bool,
                now: DateTime<Utc>,
            ) -> Result<Draft, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let (revision, versions) = if rebase {
                    (
                        Some(Self::current_revision(&mut tx).await?),
                        Some(to_json(&Self::territory_versions(&mut tx).await?)?),
                    )
                } else {
                    (None, None)
                };
                let territories = territories.map(|t| to_json(&t)).transpose()?;
                let row: Option<DraftRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "UPDATE planning_drafts SET name = COALESCE($1, name), territories = COALESCE($2, territories),
                        base_revision = COALESCE($3, base_revision), base_versions = COALESCE($4, base_versions),
                        version = version + 1, updated_at = $5
                     WHERE id = $6 AND version = $7 AND status = 'open' RETURNING {DRAFT_COLUMNS}"
                )))
                .bind(name)
                .bind(territories)
                .bind(revision)
                .bind(versions)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_error)?;
                let Some(row) = row else {
                    return Err(Self::version_refusal(&mut tx, "planning_drafts", id).await?);
                };
                tx.commit().await.map_err(db_error)?;
                row.try_into()
            }

            async fn delete_draft(&self, id: i64) -> Result<(), StoreError> {
                let done = sqlx::query("DELETE FROM planning_drafts WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(db_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn publish_draft(
                &self,
                id: i64,
                expected_version: i64,
                actor: &str,
                now: DateTime<Utc>,
            ) -> Result<PublishOutcome, PlanningError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let row: DraftRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {DRAFT_COLUMNS} FROM planning_drafts WHERE id = $1"
                )))
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                let (base_versions,): (String,) =
                    sqlx::query_as("SELECT base_versions FROM planning_drafts WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_error)?;
                let draft = Draft::try_from(row)?;
                if draft.status == "published" {
                    return Err(PlanningError::AlreadyPublished);
                }
                if draft.version != expected_version {
                    return Err(StoreError::Conflict {
                        current_version: draft.version,
                    }
                    .into());
                }
                // The row lock taken here orders concurrent publishers; the loser sees the
                // bumped revision and is refused.
                let bumped = sqlx::query(
                    "UPDATE planning_revision SET revision = revision + 1 WHERE id = 1 AND revision = $1",
                )
                .bind(draft.base_revision)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                let stale = |current_revision| PlanningError::Stale {
                    base_revision: draft.base_revision,
                    current_revision,
                };
                if bumped.rows_affected() == 0 {
                    let current = Self::current_revision(&mut tx).await?;
                    return Err(stale(current));
                }
                let revision = draft.base_revision + 1;
                // Territories edited elsewhere (the territories API) since the draft was made.
                let base: Vec<(i64, i64)> = serde_json::from_str(&base_versions)
                    .map_err(|e| corrupt("draft base versions", e))?;
                let now_versions = Self::territory_versions(&mut tx).await?;
                if now_versions != base {
                    return Err(stale(draft.base_revision));
                }

                let kept: Vec<i64> = draft.territories.iter().filter_map(|t| t.id).collect();
                let mut deleted = Vec::new();
                for (tid, _) in &now_versions {
                    if !kept.contains(tid) {
                        sqlx::query("DELETE FROM territories WHERE id = $1")
                            .bind(tid)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                        deleted.push(*tid);
                    }
                }
                // Names are unique: park the kept ones on temporary names first, so a draft may
                // swap or reuse names.
                for tid in &kept {
                    sqlx::query("UPDATE territories SET name = $1 WHERE id = $2")
                        .bind(format!("\u{1}planning {tid}"))
                        .bind(tid)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                let (mut created, mut updated) = (Vec::new(), Vec::new());
                for t in &draft.territories {
                    let existing = t.id.filter(|tid| now_versions.iter().any(|(i, _)| i == tid));
                    match existing {
                        Some(tid) => {
                            sqlx::query(
                                "UPDATE territories SET name = $1, geometry = $2, owner_id = $3,
                                    version = version + 1, updated_at = $4 WHERE id = $5",
                            )
                            .bind(t.name.trim())
                            .bind(Json(&t.geometry))
                            .bind(t.owner_id)
                            .bind(now)
                            .bind(tid)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                            updated.push(tid);
                        }
                        None => {
                            let (tid,): (i64,) = sqlx::query_as(
                                "INSERT INTO territories (name, geometry, owner_id, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
                            )
                            .bind(t.name.trim())
                            .bind(Json(&t.geometry))
                            .bind(t.owner_id)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db_error)?;
                            created.push(tid);
                        }
                    }
                }
                let (reassigned, unassigned) = Self::reassign_accounts(&mut tx, actor, now).await?;
                let summary = serde_json::json!({
                    "action": "publish",
                    "draft_id": draft.id,
                    "draft_name": draft.name,
                    "territories_created": created,
                    "territories_updated": updated,
                    "territories_deleted": deleted,
                    "accounts_reassigned": reassigned.len(),
                    "accounts_unassigned": unassigned.len(),
                });
                let publication_id =
                    Self::record_publication(&mut tx, Some(draft.id), revision, actor, &summary, now).await?;
                sqlx::query(
                    "UPDATE planning_drafts SET status = 'published', version = version + 1, updated_at = $1
                     WHERE id = $2",
                )
                .bind(now)
                .bind(draft.id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                Ok(PublishOutcome {
                    revision,
                    publication_id,
                    created,
                    updated,
                    deleted,
                    reassigned,
                    unassigned,
                })
            }

            async fn auto_assign_accounts(
                &self,
                actor: &str,
                dry_run: bool,
                now: DateTime<Utc>,
            ) -> Result<PublishOutcome, PlanningError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let revision = Self::current_revision(&mut tx).await?;
                let (reassigned, unassigned) = Self::reassign_accounts(&mut tx, actor, now).await?;
                let summary = serde_json::json!({
                    "action": "auto_assign",
                    "accounts_reassigned": reassigned.len(),
                    "accounts_unassigned": unassigned.len(),
                });
                let publication_id = if reassigned.is_empty() {
                    0
                } else {
                    Self::record_publication(&mut tx, None, revision, actor, &summary, now).await?
                };
                if dry_run {
                    tx.rollback().await.map_err(db_error)?;
                } else {
                    tx.commit().await.map_err(db_error)?;
                }
                Ok(PublishOutcome {
                    revision,
                    publication_id,
                    created: Vec::new(),
                    updated: Vec::new(),
                    deleted: Vec::new(),
                    reassigned,
                    unassigned,
                })
            }

            async fn publications(&self, limit: i64) -> Result<Vec<Publication>, StoreError> {
                let rows: Vec<(i64, Option<i64>, i64, String, String, DateTime<Utc>)> = sqlx::query_as(
                    "SELECT id, draft_id, revision, actor, summary, published_at
                       FROM planning_publications ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.into_iter()
                    .map(|(id, draft_id, revision, actor, summary, published_at)| {
                        Ok(Publication {
                            id,
                            draft_id,
                            revision,
                            actor,
                            summary: serde_json::from_str(&summary)
                                .map_err(|e| corrupt("publication summary", e))?,
                            published_at,
                        })
                    })
                    .collect()
            }
        }
    };
}

impl_planning_store!(Sqlite);
impl_planning_store!(Postgres);
