//! Field service storage: a technician's visits of a day, and the actions their device sends,
//! each recorded once by its client id and applied only when it still fits the visit. Written
//! once for both backends, like the rest of the store.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::types::Json;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;
use wilayah_shared::LonLat;
use wilayah_shared::field::{
    ActionResult, Checked, Decision, FAR_FROM_ACCOUNT_M, FieldAction, VisitState, decide,
};
use wilayah_shared::resources::VISITS;

use super::store::{SqlStore, db_error};

/// A visit with its account, as the technician's day lists it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FieldVisit {
    pub id: i64,
    pub version: i64,
    pub account_id: i64,
    pub account_name: String,
    pub address: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub technician_id: Option<i64>,
    pub status: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub duration_min: i64,
    pub checkin_at: Option<DateTime<Utc>>,
    pub checkin_accuracy_m: Option<f64>,
    pub checkin_distance_m: Option<f64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    /// The customer's satisfaction with the visit, once answered.
    pub survey_score: Option<i32>,
}

/// Which recorded actions to list.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub visit_id: Option<i64>,
    pub technician_id: Option<i64>,
    /// `applied`, `conflict` or `rejected`.
    pub result: Option<String>,
    /// Only actions on visits to these accounts (`None`: any account): a scoped caller's rows.
    pub account_ids: Option<Vec<i64>>,
    pub limit: u32,
}

#[async_trait]
pub trait FieldStore: Send + Sync {
    /// One technician's visits whose window starts in `[from, to)`, every status, by window
    /// start then id.
    async fn technician_visits(
        &self,
        technician_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<FieldVisit>, StoreError>;

    /// Records `action` and, when it still fits the visit, applies it, in one transaction. The
    /// same client id with the same content again returns the first result (with `replayed`)
    /// and changes nothing; the same id with other content is kept as a conflict
    /// (`reused_client_id`) and changes nothing either.
    async fn record_field_action(
        &self,
        action: &FieldAction,
        checked: &Checked,
        recorded_at: DateTime<Utc>,
    ) -> Result<ActionResult, StoreError>;

    /// Recorded actions, newest first.
    async fn field_actions(&self, filter: &ActionFilter) -> Result<Vec<ActionResult>, StoreError>;
}

const TECHNICIAN_VISITS_SQL: &str = "
    SELECT v.id, v.version, v.account_id, a.name AS account_name, a.address, a.lon, a.lat,
           v.technician_id, v.status, v.window_start, v.window_end, v.duration_min,
           v.checkin_at, v.checkin_accuracy_m, v.checkin_distance_m, v.outcome, v.notes,
           (SELECT s.score FROM surveys s WHERE s.visit_id = v.id) AS survey_score
      FROM visits v JOIN accounts a ON a.id = v.account_id
     WHERE v.technician_id = $1 AND v.window_start >= $2 AND v.window_start < $3
     ORDER BY v.window_start, v.id";

const ACTION_COLUMNS: &str = "client_id, visit_id, action, result, visit_version, visit_status, \
    message, distance_m, recorded_at, received_at, reused_client_id";

const VISIT_STATE_SQL: &str = "
    SELECT v.status, v.version, v.technician_id, a.lon, a.lat
      FROM visits v JOIN accounts a ON a.id = v.account_id WHERE v.id = $1";

/// One UPDATE for every kind of action: `NULL` leaves a column as it is. Guarded by the
/// version, so a write that raced in since the read makes it touch no row.
const APPLY_SQL: &str = "
    UPDATE visits SET status = $1,
           outcome = COALESCE($2, outcome), notes = COALESCE($3, notes),
           checkin_lon = COALESCE($4, checkin_lon), checkin_lat = COALESCE($5, checkin_lat),
           checkin_at = COALESCE($6, checkin_at),
           checkin_accuracy_m = COALESCE($7, checkin_accuracy_m),
           checkin_distance_m = COALESCE($8, checkin_distance_m),
           version = version + 1, updated_at = $9
     WHERE id = $10 AND version = $11
     RETURNING version, account_id";

const INSERT_ACTION_SQL: &str = "
    INSERT INTO field_actions (client_id, visit_id, technician_id, action, payload, base_version,
                               result, visit_version, visit_status, message, distance_m,
                               recorded_at, received_at, payload_hash, reused_client_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

#[derive(sqlx::FromRow)]
struct ActionRow {
    client_id: String,
    visit_id: i64,
    action: String,
    result: String,
    visit_version: i64,
    visit_status: String,
    message: Option<String>,
    distance_m: Option<f64>,
    recorded_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    reused_client_id: bool,
}

/// A kept action with what identifies its content.
#[derive(sqlx::FromRow)]
struct StoredAction {
    #[sqlx(flatten)]
    row: ActionRow,
    payload: Json<Value>,
    payload_hash: String,
}

impl StoredAction {
    /// Whether this is the answer to `hash`; actions kept before hashes were stored are hashed
    /// from their kept payload.
    fn has_content(&self, hash: &str) -> bool {
        if self.payload_hash.is_empty() {
            serde_json::from_value::<FieldAction>(self.payload.0.clone())
                .is_ok_and(|kept| content_hash(&kept) == hash)
        } else {
            self.payload_hash == hash
        }
    }
}

/// SHA-256 (hex) of an action as sent: the same content always gives the same hash (the
/// struct serialises its fields in one order).
pub fn content_hash(action: &FieldAction) -> String {
    let bytes = serde_json::to_vec(action).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ActionRow {
    fn into_result(self, replayed: bool) -> ActionResult {
        ActionResult {
            far: self.distance_m.is_some_and(|d| d > FAR_FROM_ACCOUNT_M),
            client_id: self.client_id,
            visit_id: self.visit_id,
            action: self.action,
            result: self.result,
            visit_version: self.visit_version,
            visit_status: self.visit_status,
            message: self.message,
            distance_m: self.distance_m,
            recorded_at: text(self.recorded_at),
            received_at: text(self.received_at),
            replayed,
            reused_client_id: self.reused_client_id,
        }
    }
}

/// The activity line a status change writes into the account's history (as a PATCH does).
fn history_line(old_status: &str, new_status: &str) -> Option<(&'static str, String)> {
    let record = |s: &str| {
        let mut m = serde_json::Map::new();
        m.insert("status".into(), s.into());
        m
    };
    VISITS
        .history_note
        .and_then(|note| note(&record(old_status), &record(new_status)))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// `$begin` starts the write transaction: SQLite must take its write lock up front
/// (`BEGIN IMMEDIATE`), or a read-then-write transaction fails outright when another writer
/// committed in between instead of waiting.
macro_rules! impl_field_store {
    ($db:ty, $begin:literal) => {
        impl SqlStore<$db> {
            /// The answer to an action whose client id was seen before: the kept answer to the
            /// same content (replayed), or, for other content under that id, a new conflict
            /// kept beside the first (never applied). `None` for a new client id.
            async fn earlier_answer(
                &self,
                action: &FieldAction,
                hash: &str,
                recorded_at: DateTime<Utc>,
            ) -> Result<Option<ActionResult>, StoreError> {
                let kept: Vec<StoredAction> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACTION_COLUMNS}, payload, payload_hash FROM field_actions
                     WHERE client_id = $1 ORDER BY id"
                )))
                .bind(&action.client_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                let Some(first_received) = kept.first().map(|k| k.row.received_at) else {
                    return Ok(None);
                };
                if let Some(same) = kept.into_iter().find(|k| k.has_content(hash)) {
                    return Ok(Some(same.row.into_result(true)));
                }
                let found: Option<(String, i64, Option<i64>)> =
                    sqlx::query_as("SELECT status, version, technician_id FROM visits WHERE id = $1")
                        .bind(action.visit_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_error)?;
                let (status, version, technician_id) =
                    found.unwrap_or_else(|| ("deleted".to_owned(), 0, None));
                let now = Utc::now();
                let message = format!(
                    "client_id {} was already used for another action (received {}); this one was kept but not applied",
                    action.client_id,
                    text(first_received)
                );
                let inserted = sqlx::query(INSERT_ACTION_SQL)
                    .bind(&action.client_id)
                    .bind(action.visit_id)
                    .bind(technician_id)
                    .bind(&action.action)
                    .bind(Json(action))
                    .bind(action.base_version)
                    .bind("conflict")
                    .bind(version)
                    .bind(&status)
                    .bind(&message)
                    .bind(None::<f64>)
                    .bind(recorded_at)
                    .bind(now)
                    .bind(hash)
                    .bind(true)
                    .execute(&self.pool)
                    .await;
                match inserted {
                    Ok(_) => Ok(Some(
                        ActionRow {
                            client_id: action.client_id.clone(),
                            visit_id: action.visit_id,
                            action: action.action.clone(),
                            result: "conflict".to_owned(),
                            visit_version: version,
                            visit_status: status,
                            message: Some(message),
                            distance_m: None,
                            recorded_at,
                            received_at: now,
                            reused_client_id: true,
                        }
                        .into_result(false),
                    )),
                    // The same reused content arrived twice at once: answer as the copy that won.
                    Err(e) if is_unique_violation(&e) => {
                        let kept: Option<StoredAction> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "SELECT {ACTION_COLUMNS}, payload, payload_hash FROM field_actions
                             WHERE client_id = $1 AND payload_hash = $2"
                        )))
                        .bind(&action.client_id)
                        .bind(hash)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db_error)?;
                        kept.map(|k| Some(k.row.into_result(true)))
                            .ok_or_else(|| db_error(e))
                    }
                    Err(e) => Err(db_error(e)),
                }
            }
        }

        #[async_trait]
        impl FieldStore for SqlStore<$db> {
            async fn technician_visits(
                &self,
                technician_id: i64,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<FieldVisit>, StoreError> {
                sqlx::query_as(TECHNICIAN_VISITS_SQL)
                    .bind(technician_id)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)
            }

            async fn record_field_action(
                &self,
                action: &FieldAction,
                checked: &Checked,
                recorded_at: DateTime<Utc>,
            ) -> Result<ActionResult, StoreError> {
                let hash = content_hash(action);
                if let Some(answer) = self.earlier_answer(action, &hash, recorded_at).await? {
                    return Ok(answer);
                }
                let now = Utc::now();
                let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
                let found: Option<(String, i64, Option<i64>, f64, f64)> =
                    sqlx::query_as(VISIT_STATE_SQL)
                        .bind(action.visit_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                let (result, version, status, message, distance_m, technician_id) = match found {
                    None => (
                        "conflict",
                        0,
                        "deleted".to_owned(),
                        Some("the visit no longer exists".to_owned()),
                        None,
                        None,
                    ),
                    Some((status, version, technician_id, lon, lat)) => {
                        let state = VisitState {
                            status: status.clone(),
                            version,
                            account_position: LonLat::new(lon, lat).map_err(|e| {
                                StoreError::Database(format!("account position: {e}").into())
                            })?,
                        };
                        match decide(&state, action.base_version, checked) {
                            Decision::Apply {
                                status: new_status,
                                distance_m,
                            } => {
                                let (outcome, notes, position, accuracy) = match checked {
                                    Checked::Status { outcome, notes, .. }
                                    | Checked::Report { outcome, notes } => {
                                        (outcome.clone(), notes.clone(), None, None)
                                    }
                                    Checked::CheckIn {
                                        position,
                                        accuracy_m,
                                    } => (None, None, Some(*position), *accuracy_m),
                                    Checked::Survey { .. } => (None, None, None, None),
                                };
                                let checkin_at = position.map(|_| recorded_at);
                                let applied: Option<(i64, i64)> = sqlx::query_as(APPLY_SQL)
                                    .bind(&new_status)
                                    .bind(outcome)
                                    .bind(notes)
                                    .bind(position.map(|p| p.lon()))
                                    .bind(position.map(|p| p.lat()))
                                    .bind(checkin_at)
                                    .bind(accuracy)
                                    .bind(distance_m)
                                    .bind(now)
                                    .bind(action.visit_id)
                                    .bind(version)
                                    .fetch_optional(&mut *tx)
                                    .await
                                    .map_err(db_error)?;
                                match applied {
                                    None => {
                                        // Another write got in between our read and this update.
                                        let (now_status, now_version): (String, i64) =
                                            sqlx::query_as("SELECT status, version FROM visits WHERE id = $1")
                                                .bind(action.visit_id)
                                                .fetch_one(&mut *tx)
                                                .await
                                                .map_err(db_error)?;
                                        let message = format!(
                                            "the visit was changed meanwhile (now version {now_version} with status {now_status})"
                                        );
                                        ("conflict", now_version, now_status, Some(message), None, technician_id)
                                    }
                                    Some((new_version, account_id)) => {
                                if let Checked::Survey { score, comment } = checked {
                                    // Once per visit: a second answer (another device, the
                                    // e-mailed link first) leaves the first standing.
                                    Self::answer_visit_in(
                                        &mut tx,
                                        action.visit_id,
                                        (*score, comment.as_deref()),
                                        recorded_at,
                                    )
                                    .await?;
                                }
                                if let Some((channel, subject)) = history_line(&status, &new_status)
                                {
                                    sqlx::query(
                                        "INSERT INTO activities (account_id, staff_id, kind, channel, subject, occurred_at, created_at)
                                         VALUES ($1, $2, 'note', $3, $4, $5, $6)",
                                    )
                                    .bind(account_id)
                                    .bind(technician_id)
                                    .bind(channel)
                                    .bind(subject)
                                    .bind(recorded_at)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await
                                    .map_err(db_error)?;
                                }
                                ("applied", new_version, new_status, None, distance_m, technician_id)
                                    }
                                }
                            }
                            Decision::Conflict { message } => {
                                ("conflict", version, status, Some(message), None, technician_id)
                            }
                            Decision::Rejected { field, message } => (
                                "rejected",
                                version,
                                status,
                                Some(format!("{field}: {message}")),
                                None,
                                technician_id,
                            ),
                        }
                    }
                };
                let inserted = sqlx::query(INSERT_ACTION_SQL)
                    .bind(&action.client_id)
                    .bind(action.visit_id)
                    .bind(technician_id)
                    .bind(&action.action)
                    .bind(Json(action))
                    .bind(action.base_version)
                    .bind(result)
                    .bind(version)
                    .bind(&status)
                    .bind(&message)
                    .bind(distance_m)
                    .bind(recorded_at)
                    .bind(now)
                    .bind(&hash)
                    .bind(false)
                    .execute(&mut *tx)
                    .await;
                if let Err(e) = inserted {
                    drop(tx);
                    // Another copy with this client id arrived at once and won: answer as the
                    // same content would, or keep this one as a conflict beside it.
                    if is_unique_violation(&e)
                        && let Some(answer) = self.earlier_answer(action, &hash, recorded_at).await?
                    {
                        return Ok(answer);
                    }
                    return Err(db_error(e));
                }
                tx.commit().await.map_err(db_error)?;
                Ok(ActionRow {
                    client_id: action.client_id.clone(),
                    visit_id: action.visit_id,
                    action: action.action.clone(),
                    result: result.to_owned(),
                    visit_version: version,
                    visit_status: status,
                    message,
                    distance_m,
                    recorded_at,
                    received_at: now,
                    reused_client_id: false,
                }
                .into_result(false))
            }

            async fn field_actions(
                &self,
                filter: &ActionFilter,
            ) -> Result<Vec<ActionResult>, StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {ACTION_COLUMNS} FROM field_actions WHERE 1 = 1"
                ));
                if let Some(id) = filter.visit_id {
                    qb.push(" AND visit_id = ").push_bind(id);
                }
                if let Some(id) = filter.technician_id {
                    qb.push(" AND technician_id = ").push_bind(id);
                }
                if let Some(result) = &filter.result {
                    qb.push(" AND result = ").push_bind(result.clone());
                }
                if let Some(ids) = &filter.account_ids {
                    if ids.is_empty() {
                        qb.push(" AND 1 = 0");
                    } else {
                        qb.push(" AND visit_id IN (SELECT id FROM visits WHERE account_id IN (");
                        let mut list = qb.separated(", ");
                        for id in ids {
                            list.push_bind(*id);
                        }
                        qb.push("))");
                    }
                }
                qb.push(" ORDER BY id DESC LIMIT ")
                    .push_bind(i64::from(filter.limit));
                let rows: Vec<ActionRow> = qb
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|r| r.into_result(false)).collect())
            }
        }
    };
}

impl_field_store!(Sqlite, "BEGIN IMMEDIATE");
impl_field_store!(Postgres, "BEGIN");
