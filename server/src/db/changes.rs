//! The change log (docs/replicas.md) and the shared limiter counts: what keeps several server
//! processes on one database in step. Triggers (migration 0017) write a `change_log` row in the
//! same transaction as every write to what a process keeps in memory; this module reads them
//! after a cursor, wakes a process when another commits (PostgreSQL `LISTEN`), prunes old rows,
//! and counts sign-in attempts in the database instead of in one process's memory.

use std::collections::BTreeSet;

use async_trait::async_trait;
use sqlx::postgres::PgListener;
use sqlx::{Postgres, Sqlite};
use wilayah_app::store::StoreError;

use super::store::{SqlStore, db_error};

/// The PostgreSQL channel the change-log triggers notify.
pub const CHANNEL: &str = "wilayah_changes";

/// How long change-log rows are kept: a process away longer than this reloads everything.
pub const KEPT_FOR_S: i64 = 3600;

/// What one change-log row says changed; applying one re-reads the current rows, so a change
/// applied twice, or late, does no harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Change {
    /// The account was created, changed where memory holds it (position, kind, status, owner,
    /// name, external id) or deleted.
    Account(i64),
    /// A contact of this account was added, changed (e-mail, phone) or removed, or moved to or
    /// from it: its duplicate keys change.
    ContactOf(i64),
    /// A territory was created, changed or deleted: the territory index is read again.
    Territory(i64),
}

impl Change {
    fn from_row(kind: &str, entity_id: i64) -> Option<Change> {
        match kind {
            "account" => Some(Change::Account(entity_id)),
            "contact" => Some(Change::ContactOf(entity_id)),
            "territory" => Some(Change::Territory(entity_id)),
            _ => None,
        }
    }
}

/// Where a process stands in the change log.
///
/// On SQLite one transaction writes at a time, so ids follow commit order and the last id read
/// is the whole cursor. On PostgreSQL ids are taken when a row is written, not when it commits:
/// a long transaction (an import) can commit ids below ones already read. So the cursor there
/// is the oldest transaction that may still be running when the log was last read: every row
/// of a transaction below it was read; rows of transactions from it on are read again on each
/// call and told apart by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeCursor {
    last_id: i64,
    safe_txid: i64,
    /// `(txid, id)` of rows read whose transaction is at or above `safe_txid`.
    seen: BTreeSet<(i64, i64)>,
}

/// The changes after a cursor, and the cursor after them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
    pub next: ChangeCursor,
}

/// Wakes a process when another commits a change: a PostgreSQL connection that `LISTEN`s on
/// [`CHANNEL`].
pub struct ChangeWaker {
    listener: PgListener,
    /// The listening connection's server process (`pg_backend_pid()`), for tests that cut it.
    pub backend_pid: i32,
}

impl ChangeWaker {
    /// Waits for the next notification: `true` when one came, `false` when the connection was
    /// lost (then make a new waker, and catch up after it listens).
    pub async fn wait(&mut self) -> bool {
        matches!(self.listener.try_recv().await, Ok(Some(_)))
    }
}

#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// The cursor at the current end of the log: take it before loading everything, so nothing
    /// written during the load is missed (a change applied twice does no harm).
    async fn change_cursor(&self) -> Result<ChangeCursor, StoreError>;

    /// The changes committed after `cursor`, in log order.
    async fn changes_after(&self, cursor: &ChangeCursor) -> Result<ChangeBatch, StoreError>;

    /// A waker listening for changes (PostgreSQL); `None` on SQLite, where processes poll.
    async fn change_waker(&self) -> Result<Option<ChangeWaker>, StoreError>;

    /// Removes change-log rows older than [`KEPT_FOR_S`] and limiter windows that ended.
    async fn prune_changes(&self, now_ms: i64, window_ms: i64) -> Result<(), StoreError>;

    /// Counts an attempt for every `(key, max)` in windows of `window_ms` starting at a key's
    /// first attempt, or refuses it with the seconds to wait when a key already has `max` in its
    /// window, counting nothing (one transaction: parallel attempts on any process cannot all
    /// pass the check before any is counted).
    async fn count_attempt(
        &self,
        keys: &[(&str, u32)],
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Result<(), u64>, StoreError>;

    /// Takes back one attempt counted by [`ChangeStore::count_attempt`].
    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError>;

    /// Forgets a key's attempts (a successful sign-in).
    async fn clear_attempts(&self, key: &str) -> Result<(), StoreError>;

    /// Records the hash of a first-admin setup token this process printed.
    async fn add_setup_token(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Whether a setup token with this hash was printed by any process and no user exists yet.
    async fn setup_token_valid(&self, token_hash: &str) -> Result<bool, StoreError>;
}

fn changes_of(rows: &[(i64, String, i64, i64)]) -> Vec<Change> {
    rows.iter()
        .filter_map(|(_, kind, entity, _)| Change::from_row(kind, *entity))
        .collect()
}

/// One key's attempts as counted, `(window start, attempts)`, against its limit: `Err(seconds
/// to wait)` when the window is still open and full.
fn refused(window: (i64, i64), max: u32, window_ms: i64, now_ms: i64) -> Option<u64> {
    let (start, attempts) = window;
    let ends = start.saturating_add(window_ms);
    (now_ms < ends && attempts > i64::from(max))
        .then(|| (((ends - now_ms) + 999) / 1000).max(1) as u64)
}

/// Counts one attempt on `key`: a new window when none is open.
const COUNT_SQL: &str =
    "INSERT INTO login_limits (key, window_start_ms, attempts) VALUES ($1, $2, 1)
    ON CONFLICT (key) DO UPDATE SET
        attempts = CASE WHEN login_limits.window_start_ms + $3 <= $2 THEN 1
                        ELSE login_limits.attempts + 1 END,
        window_start_ms = CASE WHEN login_limits.window_start_ms + $3 <= $2 THEN $2
                               ELSE login_limits.window_start_ms END
    RETURNING window_start_ms, attempts";

macro_rules! impl_limits {
    ($db:ty) => {
        impl SqlStore<$db> {
        async fn count_attempt_in_db(
            &self,
            keys: &[(&str, u32)],
            window_ms: i64,
            now_ms: i64,
        ) -> Result<Result<(), u64>, StoreError> {
            // The same order everywhere, so two attempts never wait on each other's rows.
            let mut keys = keys.to_vec();
            keys.sort_unstable();
            let mut tx = self.pool.begin().await.map_err(db_error)?;
            for (key, max) in keys {
                let window: (i64, i64) = sqlx::query_as(COUNT_SQL)
                    .bind(key)
                    .bind(now_ms)
                    .bind(window_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error)?;
                if let Some(wait) = refused(window, max, window_ms, now_ms) {
                    tx.rollback().await.map_err(db_error)?;
                    return Ok(Err(wait));
                }
            }
            tx.commit().await.map_err(db_error)?;
            Ok(Ok(()))
        }

        async fn refund_attempt_in_db(&self, key: &str) -> Result<(), StoreError> {
            sqlx::query(
                "UPDATE login_limits SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
            )
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
            Ok(())
        }

        async fn clear_attempts_in_db(&self, key: &str) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM login_limits WHERE key = $1")
                .bind(key)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
            Ok(())
        }

        async fn add_setup_token_in_db(&self, token_hash: &str) -> Result<(), StoreError> {
            sqlx::query("INSERT INTO setup_tokens (token_hash) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(token_hash)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
            Ok(())
        }

        async fn setup_token_valid_in_db(&self, token_hash: &str) -> Result<bool, StoreError> {
            let (valid,): (i64,) = sqlx::query_as(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1)
                              AND NOT EXISTS (SELECT 1 FROM users)
                         THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END",
            )
            .bind(token_hash)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
            Ok(valid == 1)
        }
        }
    };
}

impl_limits!(Sqlite);
impl_limits!(Postgres);

#[async_trait]
impl ChangeStore for SqlStore<Sqlite> {
    async fn change_cursor(&self) -> Result<ChangeCursor, StoreError> {
        let (last_id,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM change_log")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(ChangeCursor {
            last_id,
            ..ChangeCursor::default()
        })
    }

    async fn changes_after(&self, cursor: &ChangeCursor) -> Result<ChangeBatch, StoreError> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT id, kind, entity_id, txid FROM change_log WHERE id > $1 ORDER BY id",
        )
        .bind(cursor.last_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let last_id = rows.last().map_or(cursor.last_id, |r| r.0);
        Ok(ChangeBatch {
            changes: changes_of(&rows),
            next: ChangeCursor {
                last_id,
                ..ChangeCursor::default()
            },
        })
    }

    async fn change_waker(&self) -> Result<Option<ChangeWaker>, StoreError> {
        Ok(None)
    }

    async fn prune_changes(&self, now_ms: i64, window_ms: i64) -> Result<(), StoreError> {
        // Only write when there is something to remove: a write transaction beside another
        // process's read-then-write one can make that one fail as busy.
        let (due,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM change_log
                      WHERE changed_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $1) LIMIT 1))
                  + (SELECT COUNT(*) FROM (SELECT 1 FROM login_limits
                      WHERE window_start_ms + $2 <= $3 LIMIT 1))",
        )
        .bind(format!("-{KEPT_FOR_S} seconds"))
        .bind(window_ms)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        if due == 0 {
            return Ok(());
        }
        sqlx::query(
            "DELETE FROM change_log WHERE changed_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $1)",
        )
        .bind(format!("-{KEPT_FOR_S} seconds"))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM login_limits WHERE window_start_ms + $1 <= $2")
            .bind(window_ms)
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn count_attempt(
        &self,
        keys: &[(&str, u32)],
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Result<(), u64>, StoreError> {
        self.count_attempt_in_db(keys, window_ms, now_ms).await
    }

    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        self.refund_attempt_in_db(key).await
    }

    async fn clear_attempts(&self, key: &str) -> Result<(), StoreError> {
        self.clear_attempts_in_db(key).await
    }

    async fn add_setup_token(&self, token_hash: &str) -> Result<(), StoreError> {
        self.add_setup_token_in_db(token_hash).await
    }

    async fn setup_token_valid(&self, token_hash: &str) -> Result<bool, StoreError> {
        self.setup_token_valid_in_db(token_hash).await
    }
}

#[async_trait]
impl ChangeStore for SqlStore<Postgres> {
    async fn change_cursor(&self) -> Result<ChangeCursor, StoreError> {
        let (safe_txid,): (i64,) =
            sqlx::query_as("SELECT txid_snapshot_xmin(txid_current_snapshot())")
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(ChangeCursor {
            safe_txid,
            ..ChangeCursor::default()
        })
    }

    async fn changes_after(&self, cursor: &ChangeCursor) -> Result<ChangeBatch, StoreError> {
        // One statement, one snapshot: the rows and the oldest transaction still running then.
        let rows: Vec<(Option<i64>, Option<String>, Option<i64>, Option<i64>, i64)> =
            sqlx::query_as(
                "SELECT c.id, c.kind, c.entity_id, c.txid, s.xmin
                   FROM (SELECT txid_snapshot_xmin(txid_current_snapshot()) AS xmin) s
                   LEFT JOIN change_log c ON c.txid >= $1
                  ORDER BY c.id",
            )
            .bind(cursor.safe_txid)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let xmin = rows.first().map_or(cursor.safe_txid, |r| r.4);
        let mut next = cursor.clone();
        let mut fresh = Vec::new();
        for row in rows {
            if let (Some(id), Some(kind), Some(entity), Some(txid)) = (row.0, row.1, row.2, row.3)
                && next.seen.insert((txid, id))
            {
                fresh.push((id, kind, entity, txid));
            }
        }
        // Every transaction below the snapshot's oldest running one has ended: its rows were
        // all in this read and need not be told apart any more.
        next.safe_txid = next.safe_txid.max(xmin);
        next.seen = next.seen.split_off(&(next.safe_txid, i64::MIN));
        next.last_id = fresh.iter().map(|r| r.0).max().unwrap_or(next.last_id);
        Ok(ChangeBatch {
            changes: changes_of(&fresh),
            next,
        })
    }

    async fn change_waker(&self) -> Result<Option<ChangeWaker>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool)
            .await
            .map_err(db_error)?;
        listener.listen(CHANNEL).await.map_err(db_error)?;
        let (backend_pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
            .fetch_one(&mut listener)
            .await
            .map_err(db_error)?;
        Ok(Some(ChangeWaker {
            listener,
            backend_pid,
        }))
    }

    async fn prune_changes(&self, now_ms: i64, window_ms: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM change_log WHERE changed_at < now() - make_interval(secs => $1)")
            .bind(KEPT_FOR_S as f64)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        sqlx::query("DELETE FROM login_limits WHERE window_start_ms + $1 <= $2")
            .bind(window_ms)
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn count_attempt(
        &self,
        keys: &[(&str, u32)],
        window_ms: i64,
        now_ms: i64,
    ) -> Result<Result<(), u64>, StoreError> {
        self.count_attempt_in_db(keys, window_ms, now_ms).await
    }

    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        self.refund_attempt_in_db(key).await
    }

    async fn clear_attempts(&self, key: &str) -> Result<(), StoreError> {
        self.clear_attempts_in_db(key).await
    }

    async fn add_setup_token(&self, token_hash: &str) -> Result<(), StoreError> {
        self.add_setup_token_in_db(token_hash).await
    }

    async fn setup_token_valid(&self, token_hash: &str) -> Result<bool, StoreError> {
        self.setup_token_valid_in_db(token_hash).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_open_window_refuses_with_the_seconds_left() {
        // The attempt just counted is the fourth of three allowed.
        assert_eq!(refused((1_000, 4), 3, 60_000, 1_000), Some(60));
        assert_eq!(refused((1_000, 3), 3, 60_000, 1_000), None);
        assert_eq!(refused((1_000, 4), 3, 60_000, 60_500), Some(1));
        assert_eq!(refused((1_000, 9), 3, 60_000, 61_000), None, "window over");
    }
}
