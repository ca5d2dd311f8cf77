//! Users, sessions, API tokens, the rows a caller may see, the audit log's reading side, and the
//! privacy operations (everything held about one customer; erasing a customer). One SQL text for
//! both backends, instantiated per pool type like the other stores.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Sqlite};
use wilayah_app::store::{Store, StoreError};
use wilayah_shared::access::{AccountScope, Caller, Role, redact};
use wilayah_shared::account::{Account, MAX_PAGE_SIZE};
use wilayah_shared::pipeline::TASKS;
use wilayah_shared::resources::{ACTIVITIES, CASES, CONTACTS, OPPORTUNITIES, VISITS};

use super::audit::{AuditEntry, as_map};
use super::generic::{ResourceQuery, ResourceStore};
use super::sales::{SalesFilter, SalesStore};
use super::store::{SqlStore, db_error};

/// A user as the API shows it (never with the password hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub staff_id: Option<i64>,
    pub region: Vec<i64>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl UserRecord {
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.id,
            email: self.email.clone(),
            role: self.role,
            staff_id: self.staff_id,
            region: self.region.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub staff_id: Option<i64>,
    pub region: Vec<i64>,
}

/// An API token's record (the token itself is shown once, at creation, and stored hashed).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Filters of `GET /audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub account_id: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// A regional manager's accounts: only entries about them.
    pub within_accounts: Option<Vec<i64>>,
    /// Leave out entries about these tables (users and API tokens for anyone but an admin).
    pub hidden_entities: Vec<&'static str>,
    pub limit: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub account_id: Option<i64>,
    pub changes: Value,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor_user_id: Option<i64>,
    actor: String,
    action: String,
    entity: String,
    entity_id: Option<i64>,
    account_id: Option<i64>,
    changes: Json<Value>,
}

impl From<AuditRow> for AuditRecord {
    fn from(r: AuditRow) -> Self {
        AuditRecord {
            id: r.id,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            account_id: r.account_id,
            changes: r.changes.0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    role: String,
    staff_id: Option<i64>,
    region: Json<Vec<i64>>,
    disabled: bool,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(UserRecord {
            id: r.id,
            email: r.email,
            role: r.role.parse().map_err(|e| {
                StoreError::Database(format!("unexpected value in users.role: {e}").into())
            })?,
            staff_id: r.staff_id,
            region: r.region.0,
            disabled: r.disabled,
            created_at: r.created_at,
        })
    }
}

const USER_COLUMNS: &str = "u.id, u.email, u.role, u.staff_id, u.region, u.disabled, u.created_at";
const AUDIT_COLUMNS: &str =
    "id, at, actor_user_id, actor, action, entity, entity_id, account_id, changes";

/// What erasing a customer replaces names with.
pub const ERASED: &str = "[erased]";

/// The field actions sent about one account's visits, oldest first.
const FIELD_ACTIONS_OF_ACCOUNT: &str = "
    SELECT id, client_id, visit_id, action, payload, result, message, distance_m, recorded_at,
           received_at
      FROM field_actions WHERE visit_id IN (SELECT id FROM visits WHERE account_id = $1)
     ORDER BY id";

/// A field action as the privacy export shows it (and erasure reads it).
#[derive(Debug, Serialize, sqlx::FromRow)]
struct KeptFieldAction {
    #[serde(skip)]
    id: i64,
    client_id: String,
    visit_id: i64,
    action: String,
    payload: Json<Value>,
    result: String,
    message: Option<String>,
    distance_m: Option<f64>,
    recorded_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

/// `value` with its personal and location fields redacted, when it is an object.
fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(redact(map.clone())),
        other => other.clone(),
    }
}

#[async_trait]
pub trait AuthStore: Send + Sync {
    async fn count_users(&self) -> Result<i64, StoreError>;
    /// Creates a user (audited); a taken e-mail is [`StoreError::Duplicate`] on `email`.
    async fn create_user(&self, user: &NewUser) -> Result<UserRecord, StoreError>;
    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Replaces a user's password and ends their sessions (audited, without the hash).
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError>;
    /// The enabled user with this e-mail and their password hash, for signing in.
    async fn login_user(&self, email: &str) -> Result<Option<(UserRecord, String)>, StoreError>;
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The user of an unexpired session and the session's CSRF token.
    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(UserRecord, String)>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiTokenRecord, StoreError>;
    async fn list_api_tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError>;
    async fn revoke_api_token(&self, id: i64) -> Result<(), StoreError>;
    /// The user of an unrevoked API token (and notes its use).
    async fn api_token_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>, StoreError>;
    /// Audit entries, newest first.
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError>;
    /// Everything held about one customer (the export itself is audited).
    async fn customer_data(&self, account_id: i64) -> Result<Value, StoreError>;
    /// Removes a customer's personal data, keeping revenue and counts; audited. Returns the
    /// account as it is afterwards.
    async fn erase_customer(&self, account_id: i64) -> Result<Account, StoreError>;
}

/// Every row of a generic resource that belongs to `account_id`, page by page.
async fn rows_of_account(
    store: &(impl ResourceStore + ?Sized),
    spec: &'static wilayah_shared::resource::ResourceSpec,
    account_id: i64,
) -> Result<Vec<Map<String, Value>>, StoreError> {
    let mut rows = Vec::new();
    loop {
        let query = ResourceQuery {
            filters: vec![],
            sort: ("id", false),
            limit: MAX_PAGE_SIZE,
            offset: rows.len() as u64,
        };
        let page = store
            .list_records_within(spec, &query, Some(("account_id", &[account_id])))
            .await?;
        let done = page.items.is_empty() || rows.len() + page.items.len() >= page.total as usize;
        rows.extend(page.items);
        if done {
            return Ok(rows);
        }
    }
}

macro_rules! impl_auth_store {
    ($db:ty) => {
        #[async_trait]
        impl AuthStore for SqlStore<$db> {
            async fn count_users(&self) -> Result<i64, StoreError> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(n)
            }

            async fn create_user(&self, user: &NewUser) -> Result<UserRecord, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                if let Some(staff_id) = user.staff_id {
                    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM staff WHERE id = $1")
                        .bind(staff_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    if found.is_none() {
                        return Err(StoreError::InvalidReference { field: "staff_id" });
                    }
                }
                let now = Utc::now();
                let row: Result<UserRow, sqlx::Error> = sqlx::query_as(
                    "INSERT INTO users (email, password_hash, role, staff_id, region, disabled, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                     RETURNING id, email, role, staff_id, region, disabled, created_at",
                )
                .bind(&user.email)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.staff_id)
                .bind(Json(&user.region))
                .bind(false)
                .bind(now)
                .fetch_one(&mut *tx)
                .await;
                let row = match row {
                    Err(e) if e.as_database_error().is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation) => {
                        return Err(StoreError::Duplicate { field: "email" });
                    }
                    other => other.map_err(db_error)?,
                };
                let created = UserRecord::try_from(row)?;
                let mut changes = Map::new();
                changes.insert("email".into(), "[personal]".into());
                changes.insert("role".into(), created.role.as_str().into());
                changes.insert("staff_id".into(), created.staff_id.into());
                changes.insert("region".into(), json!(created.region));
                Self::write_audit(&mut tx, AuditEntry {
                    action: "create",
                    entity: "users",
                    entity_id: Some(created.id),
                    account_id: None,
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(created)
            }

            async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
                let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users u ORDER BY u.id"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                rows.into_iter().map(UserRecord::try_from).collect()
            }

            async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let done = sqlx::query(
                    "UPDATE users SET password_hash = $1, version = version + 1, updated_at = $2 WHERE id = $3",
                )
                .bind(password_hash)
                .bind(Utc::now())
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                let mut changes = Map::new();
                changes.insert("password".into(), "[personal]".into());
                Self::write_audit(&mut tx, AuditEntry {
                    action: "update",
                    entity: "users",
                    entity_id: Some(user_id),
                    account_id: None,
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)
            }

            async fn login_user(&self, email: &str) -> Result<Option<(UserRecord, String)>, StoreError> {
                let row: Option<(i64, String)> = sqlx::query_as(
                    "SELECT id, password_hash FROM users WHERE LOWER(email) = LOWER($1) AND NOT disabled",
                )
                .bind(email)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                let Some((id, hash)) = row else { return Ok(None) };
                Ok(Some((self.user_by_id(id).await?, hash)))
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user_id: i64,
                csrf_token: &str,
                expires_at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let now = Utc::now();
                // Expired sessions are swept here rather than by a timer.
                sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err(db_error)?;
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(csrf_token)
                .bind(now)
                .bind(expires_at)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
                Ok(())
            }

            async fn session_user(
                &self,
                token_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<(UserRecord, String)>, StoreError> {
                let row: Option<(i64, String)> = sqlx::query_as(
                    "SELECT s.user_id, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                let Some((user_id, csrf)) = row else { return Ok(None) };
                Ok(Some((self.user_by_id(user_id).await?, csrf)))
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(())
            }

            async fn create_api_token(
                &self,
                user_id: i64,
                name: &str,
                token_hash: &str,
            ) -> Result<ApiTokenRecord, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_error)?;
                if found.is_none() {
                    return Err(StoreError::InvalidReference { field: "user_id" });
                }
                let record: ApiTokenRecord = sqlx::query_as(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)
                     RETURNING id, user_id, name, created_at, last_used_at, revoked_at",
                )
                .bind(user_id)
                .bind(name)
                .bind(token_hash)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_error)?;
                let mut changes = Map::new();
                changes.insert("user_id".into(), user_id.into());
                changes.insert("name".into(), name.into());
                Self::write_audit(&mut tx, AuditEntry {
                    action: "create",
                    entity: "api_tokens",
                    entity_id: Some(record.id),
                    account_id: None,
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(record)
            }

            async fn list_api_tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
                sqlx::query_as(
                    "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)
            }

            async fn revoke_api_token(&self, id: i64) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(Utc::now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotFound);
                }
                Self::write_audit(&mut tx, AuditEntry {
                    action: "revoke",
                    entity: "api_tokens",
                    entity_id: Some(id),
                    account_id: None,
                    changes: Map::new(),
                })
                .await?;
                tx.commit().await.map_err(db_error)
            }

            async fn api_token_user(
                &self,
                token_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<UserRecord>, StoreError> {
                let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled"
                )))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_error)?;
                let Some(row) = row else { return Ok(None) };
                // At most once an hour: a write per request would make concurrent SQLite
                // transactions that read before writing fail with "database is locked".
                sqlx::query(
                    "UPDATE api_tokens SET last_used_at = $1
                     WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
                )
                    .bind(now)
                    .bind(token_hash)
                    .bind(now - chrono::Duration::hours(1))
                    .execute(&self.pool)
                    .await
                    .map_err(db_error)?;
                Ok(Some(row.try_into()?))
            }



            async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
                let mut qb = QueryBuilder::<$db>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"));
                if let Some(entity) = &q.entity {
                    qb.push(" AND entity = ").push_bind(entity.clone());
                }
                if let Some(id) = q.entity_id {
                    qb.push(" AND entity_id = ").push_bind(id);
                }
                if let Some(id) = q.account_id {
                    qb.push(" AND account_id = ").push_bind(id);
                }
                if let Some(actor) = &q.actor {
                    qb.push(" AND actor = ").push_bind(actor.clone());
                }
                if let Some(action) = &q.action {
                    qb.push(" AND action = ").push_bind(action.clone());
                }
                if let Some(since) = q.since {
                    qb.push(" AND at >= ").push_bind(since);
                }
                if let Some(until) = q.until {
                    qb.push(" AND at < ").push_bind(until);
                }
                if let Some(ids) = &q.within_accounts {
                    if ids.is_empty() {
                        qb.push(" AND 1 = 0");
                    } else {
                        qb.push(" AND account_id IN (");
                        let mut list = qb.separated(", ");
                        for id in ids {
                            list.push_bind(*id);
                        }
                        qb.push(")");
                    }
                }
                for entity in &q.hidden_entities {
                    qb.push(" AND entity <> ").push_bind(*entity);
                }
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(q.limit));
                qb.push(" OFFSET ").push_bind(i64::try_from(q.offset).unwrap_or(i64::MAX));
                let rows: Vec<AuditRow> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                Ok(rows.into_iter().map(AuditRecord::from).collect())
            }

            async fn customer_data(&self, account_id: i64) -> Result<Value, StoreError> {
                let account = Store::get_account(self, account_id).await?;
                let mut data = Map::new();
                data.insert("account".into(), Value::Object(as_map(&account)));
                for spec in [&CONTACTS, &ACTIVITIES, &VISITS, &CASES, &OPPORTUNITIES, &TASKS] {
                    let rows = rows_of_account(self, spec, account_id).await?;
                    data.insert(spec.name.into(), Value::Array(rows.into_iter().map(Value::Object).collect()));
                }
                // Quotes (every revision) and orders, each with its lines.
                let documents = SalesFilter { account_id: Some(account_id), limit: u32::MAX, ..SalesFilter::default() };
                let (quotes, _) = SalesStore::list_quotes(self, &documents).await?;
                data.insert("quotes".into(), serde_json::to_value(quotes).unwrap_or_default());
                let (orders, _) = SalesStore::list_orders(self, &documents).await?;
                data.insert("orders".into(), serde_json::to_value(orders).unwrap_or_default());
                let audit: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE account_id = $1 ORDER BY id"
                )))
                .bind(account_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
                let audit: Vec<AuditRecord> = audit.into_iter().map(AuditRecord::from).collect();
                data.insert("audit".into(), serde_json::to_value(audit).unwrap_or_default());
                let actions: Vec<KeptFieldAction> = sqlx::query_as(FIELD_ACTIONS_OF_ACCOUNT)
                    .bind(account_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_error)?;
                data.insert("field_actions".into(), serde_json::to_value(actions).unwrap_or_default());
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                Self::write_audit(&mut tx, AuditEntry {
                    action: "export",
                    entity: "accounts",
                    entity_id: Some(account_id),
                    account_id: Some(account_id),
                    changes: Map::new(),
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Ok(Value::Object(data))
            }

            async fn erase_customer(&self, account_id: i64) -> Result<Account, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db_error)?;
                let now = Utc::now();
                // The position is coarsened to about a kilometre: territory and map aggregates
                // stay right, the address cannot be read back from it.
                let done = sqlx::query(
                    "UPDATE accounts SET name = $1, address = NULL, external_id = NULL, tags = $2,
                        lon = ROUND(lon * 100) / 100.0, lat = ROUND(lat * 100) / 100.0,
                        version = version + 1, updated_at = $3
                     WHERE id = $4",
                )
                .bind(format!("{ERASED} #{account_id}"))
                .bind(Json(Vec::<String>::new()))
                .bind(now)
                .bind(account_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotFound);
                }
                let statements = [
                    ("contacts", "UPDATE contacts SET name = $1, title = NULL, email = NULL, phone = NULL, version = version + 1, updated_at = $2 WHERE account_id = $3"),
                    ("activities", "UPDATE activities SET subject = $1, body = NULL, outcome = NULL WHERE account_id = $3 AND $2 IS NOT NULL"),
                    ("cases", "UPDATE cases SET subject = $1, description = NULL, resolution = NULL, version = version + 1, updated_at = $2 WHERE account_id = $3"),
                    ("visits", "UPDATE visits SET notes = NULL, outcome = NULL, checkin_lon = NULL, checkin_lat = NULL, checkin_accuracy_m = NULL, checkin_distance_m = NULL, version = version + 1, updated_at = $2 WHERE account_id = $3 AND $1 IS NOT NULL"),
                    ("opportunities", "UPDATE opportunities SET title = $1, lost_reason = NULL, version = version + 1, updated_at = $2 WHERE account_id = $3"),
                    // A follow-up's title is written about this customer ("call Ani about …").
                    ("tasks", "UPDATE tasks SET title = $1, version = version + 1, updated_at = $2 WHERE account_id = $3"),
                    // A quote's terms are free text written for this customer; its lines, amounts,
                    // dates and approval stay. Orders hold nothing else personal (docs/sales.md).
                    ("quotes", "UPDATE quotes SET terms = NULL, version = version + 1, updated_at = $2 WHERE account_id = $3 AND terms IS NOT NULL AND $1 IS NOT NULL"),
                ];
                let mut changes = Map::new();
                for (table, sql) in statements {
                    let done = sqlx::query(sql)
                        .bind(ERASED)
                        .bind(now)
                        .bind(account_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                    changes.insert(table.into(), done.rows_affected().into());
                }
                // What the technicians' devices sent: notes, outcomes, check-in positions.
                let actions: Vec<KeptFieldAction> = sqlx::query_as(FIELD_ACTIONS_OF_ACCOUNT)
                    .bind(account_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error)?;
                for action in &actions {
                    sqlx::query("UPDATE field_actions SET payload = $1, distance_m = NULL WHERE id = $2")
                        .bind(Json(redacted(&action.payload.0)))
                        .bind(action.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                changes.insert("field_actions".into(), actions.len().into());
                // Entries written before a field was classified personal may still hold its
                // value: the append-only triggers let them be redacted while the account is
                // listed in `audit_redactions`, and only that (migrations 0005).
                sqlx::query("INSERT INTO audit_redactions (account_id) VALUES ($1)")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                let entries: Vec<(i64, Json<Value>)> =
                    sqlx::query_as("SELECT id, changes FROM audit_log WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_error)?;
                let mut scrubbed = 0u64;
                for (id, Json(entry)) in entries {
                    let clean = redacted(&entry);
                    if clean != entry {
                        sqlx::query("UPDATE audit_log SET changes = $1 WHERE id = $2")
                            .bind(Json(clean))
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_error)?;
                        scrubbed += 1;
                    }
                }
                sqlx::query("DELETE FROM audit_redactions WHERE account_id = $1")
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
                changes.insert("audit_log".into(), scrubbed.into());
                Self::write_audit(&mut tx, AuditEntry {
                    action: "erase",
                    entity: "accounts",
                    entity_id: Some(account_id),
                    account_id: Some(account_id),
                    changes,
                })
                .await?;
                tx.commit().await.map_err(db_error)?;
                Store::get_account(self, account_id).await
            }
        }

        impl SqlStore<$db> {
            async fn user_by_id(&self, id: i64) -> Result<UserRecord, StoreError> {
                let user: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
                )))
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
                user.try_into()
            }

            /// The ids of the accounts a scope admits, ascending; `None` for all of them
            /// (`Store::visible_account_ids`).
            pub(crate) async fn account_ids_in_scope(&self, scope: &AccountScope) -> Result<Option<Vec<i64>>, StoreError> {
                let mut qb = match scope {
                    AccountScope::All => return Ok(None),
                    AccountScope::Nothing => return Ok(Some(Vec::new())),
                    AccountScope::Territories(region) => {
                        let mut qb = QueryBuilder::<$db>::new("SELECT id FROM accounts WHERE territory_id IN (");
                        let mut list = qb.separated(", ");
                        for id in region {
                            list.push_bind(*id);
                        }
                        qb.push(") ORDER BY id");
                        qb
                    }
                    AccountScope::Rep { staff_id } => {
                        let mut qb = QueryBuilder::<$db>::new("SELECT id FROM accounts WHERE owner_id = ");
                        qb.push_bind(*staff_id);
                        qb.push(" OR (kind = 'prospect' AND territory_id IN (SELECT id FROM territories WHERE owner_id = ");
                        qb.push_bind(*staff_id);
                        qb.push(")) ORDER BY id");
                        qb
                    }
                    AccountScope::VisitedBy { staff_id } => {
                        let mut qb = QueryBuilder::<$db>::new("SELECT DISTINCT account_id FROM visits WHERE technician_id = ");
                        qb.push_bind(*staff_id);
                        qb.push(" ORDER BY account_id");
                        qb
                    }
                };
                let rows: Vec<(i64,)> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_error)?;
                Ok(Some(rows.into_iter().map(|(id,)| id).collect()))
            }
        }
    };
}

mod sqlite {
    use super::*;
    impl_auth_store!(Sqlite);
}

mod postgres {
    use super::*;
    impl_auth_store!(Postgres);
}
