//! Replicas in step (docs/replicas.md): every process follows the database's change log and
//! applies what other processes (and the CLI) wrote to its own memory — the spatial index, the
//! duplicate keys and the territory index. On PostgreSQL a `LISTEN` connection wakes it at each
//! commit; on SQLite, and as a safety net on PostgreSQL, it polls. Applying a change re-reads
//! the current rows, so a change applied twice (its own writes, which the handler already put
//! in memory) or late does no harm.
//!
//! The rule lives in two places only: the triggers of migration 0017 decide what is logged (in
//! the writing transaction, whatever code wrote), and [`Follower::apply`] how it is applied.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wilayah_app::store::StoreError;

use crate::db::{Change, ChangeCursor, ChangeWaker, KEPT_FOR_S, ServerStore, territory_index};
use crate::index::{AccountIndex, contacts_by_account, identity};

/// How often SQLite is polled (and PostgreSQL, when its listening connection is down).
pub const POLL: Duration = Duration::from_millis(250);
/// How often PostgreSQL is read without a notification: a safety net for a notification lost
/// between a dropped connection and the next `LISTEN`, or a transaction that committed late.
pub const SAFETY_POLL: Duration = Duration::from_secs(5);
/// More accounts than this in one batch (an import, a publication) reload the whole index.
const RELOAD_ABOVE: usize = 2_000;
/// How often old change-log rows and ended limiter windows are removed.
const PRUNE_EVERY: Duration = Duration::from_secs(300);

/// This process's follower of the change log; the task stops when the last handle goes.
pub struct Replicas {
    follower: Arc<Follower>,
    task: tokio::task::AbortHandle,
}

impl Drop for Replicas {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Position {
    cursor: ChangeCursor,
    read_at: Instant,
}

/// Reads the change log and applies it to one process's memory.
pub struct Follower {
    store: Arc<dyn ServerStore>,
    index: Arc<AccountIndex>,
    position: tokio::sync::Mutex<Position>,
    /// While `true` (tests), the follower lets go of its listening connection and applies
    /// nothing, like a replica cut off from the database.
    held: tokio::sync::watch::Sender<bool>,
    /// `true` while the follower has let go (its answer to `held`).
    parked: tokio::sync::watch::Sender<bool>,
    listener_pid: AtomicI32,
    applied: AtomicU64,
}

impl Replicas {
    /// Starts following the log from `cursor`, taken before the index was loaded.
    pub fn start(
        store: Arc<dyn ServerStore>,
        index: Arc<AccountIndex>,
        cursor: ChangeCursor,
    ) -> Replicas {
        let follower = Arc::new(Follower {
            store,
            index,
            position: tokio::sync::Mutex::new(Position {
                cursor,
                read_at: Instant::now(),
            }),
            held: tokio::sync::watch::Sender::new(false),
            parked: tokio::sync::watch::Sender::new(false),
            listener_pid: AtomicI32::new(0),
            applied: AtomicU64::new(0),
        });
        let task = tokio::spawn(follow(follower.clone())).abort_handle();
        Replicas { follower, task }
    }

    /// Reads the log now and applies what is new; answers how many changes were applied.
    pub async fn catch_up(&self) -> Result<usize, StoreError> {
        self.follower.catch_up().await
    }

    /// How many changes this process applied from the log since it started.
    pub fn applied(&self) -> u64 {
        self.follower.applied.load(Ordering::Relaxed)
    }

    /// The server process of the listening connection (PostgreSQL), when one is open.
    pub fn listener_pid(&self) -> Option<i32> {
        Some(self.follower.listener_pid.load(Ordering::Relaxed)).filter(|pid| *pid != 0)
    }

    /// Cuts this process off the log until the guard is dropped (tests): once this returns,
    /// its listening connection is closed and nothing is applied; afterwards it listens again
    /// and catches up from the log.
    pub async fn hold(&self) -> Hold<'_> {
        let mut parked = self.follower.parked.subscribe();
        self.follower.held.send_replace(true);
        let _ = parked.wait_for(|parked| *parked).await;
        Hold(self)
    }
}

/// See [`Replicas::hold`].
pub struct Hold<'a>(&'a Replicas);

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.0.follower.held.send_replace(false);
    }
}

enum Event {
    Woke,
    Lost,
    Tick,
    Held,
}

async fn wait_on(waker: &mut Option<ChangeWaker>) -> bool {
    match waker {
        Some(waker) => waker.wait().await,
        None => std::future::pending().await,
    }
}

/// The follower's loop: (re)listen, catch up, wait for a notification, a tick or a hold.
async fn follow(follower: Arc<Follower>) {
    let mut held = follower.held.subscribe();
    let mut waker: Option<ChangeWaker> = None;
    // Whether the database wakes listeners at all (PostgreSQL); found at the first try.
    let mut listens = true;
    // Not at once: a process starting is busy enough (and on SQLite a write beside the first
    // writes of a start-up can make a read-then-write transaction fail as busy).
    let mut pruned_at = Instant::now();
    loop {
        if *held.borrow_and_update() {
            waker = None;
            follower.listener_pid.store(0, Ordering::Relaxed);
            follower.parked.send_replace(true);
            if held.changed().await.is_err() {
                return;
            }
            follower.parked.send_replace(false);
            continue;
        }
        if listens && waker.is_none() {
            // Listen first, then read the log: nothing committed in between is missed.
            match follower.store.change_waker().await {
                Ok(Some(new)) => {
                    follower
                        .listener_pid
                        .store(new.backend_pid, Ordering::Relaxed);
                    waker = Some(new);
                }
                Ok(None) => listens = false,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for other processes' changes failed")
                }
            }
        }
        if let Err(e) = follower.catch_up().await {
            tracing::warn!(error = %e, "applying other processes' changes failed");
        }
        if pruned_at.elapsed() >= PRUNE_EVERY {
            pruned_at = Instant::now();
            let now = chrono::Utc::now().timestamp_millis();
            let window = crate::auth::LOGIN_WINDOW.as_millis() as i64;
            if let Err(e) = follower.store.prune_changes(now, window).await {
                tracing::warn!(error = %e, "pruning the change log failed");
            }
        }
        let poll = if waker.is_some() { SAFETY_POLL } else { POLL };
        let event = tokio::select! {
            woke = wait_on(&mut waker) => if woke { Event::Woke } else { Event::Lost },
            () = tokio::time::sleep(poll) => Event::Tick,
            changed = held.changed() => match changed {
                Ok(()) => Event::Held,
                Err(_) => return,
            },
        };
        match event {
            Event::Lost => {
                tracing::warn!("the connection listening for changes was lost; listening again");
                waker = None;
                follower.listener_pid.store(0, Ordering::Relaxed);
            }
            Event::Woke | Event::Tick | Event::Held => {}
        }
    }
}

impl Follower {
    async fn catch_up(&self) -> Result<usize, StoreError> {
        let mut position = self.position.lock().await;
        // Away longer than the log keeps rows (a stalled process): read everything again.
        if position.read_at.elapsed() > Duration::from_secs(KEPT_FOR_S as u64 / 2) {
            position.cursor = self.reload_all().await?;
            position.read_at = Instant::now();
            return Ok(0);
        }
        let batch = self.store.changes_after(&position.cursor).await?;
        let count = batch.changes.len();
        if count > 0 {
            match self.apply(&batch.changes).await? {
                Some(reloaded) => position.cursor = reloaded,
                None => position.cursor = batch.next,
            }
        } else {
            position.cursor = batch.next;
        }
        position.read_at = Instant::now();
        self.applied.fetch_add(count as u64, Ordering::Relaxed);
        Ok(count)
    }

    /// Applies changes by re-reading what they name; `Some(cursor)` when it reloaded everything
    /// instead (the cursor taken before that load).
    async fn apply(&self, changes: &[Change]) -> Result<Option<ChangeCursor>, StoreError> {
        let mut accounts = BTreeSet::new();
        let mut identities = BTreeSet::new();
        let mut territories = false;
        for change in changes {
            match *change {
                Change::Account(id) => {
                    accounts.insert(id);
                }
                Change::ContactOf(id) => {
                    identities.insert(id);
                }
                Change::Territory(_) => territories = true,
            }
        }
        if accounts.len() + identities.len() > RELOAD_ABOVE {
            return self.reload_all().await.map(Some);
        }
        if territories {
            let published = self.store.published_territories().await?;
            let index = tokio::task::spawn_blocking(move || territory_index(&published))
                .await
                .map_err(|e| StoreError::Database(Box::new(e)))?;
            self.index.set_territories(index);
        }
        let ids: Vec<i64> = accounts.union(&identities).copied().collect();
        if ids.is_empty() {
            return Ok(None);
        }
        // In order with this process's own account writes (see `AccountIndex::lock_writes`).
        let _writing = self.index.lock_writes().await;
        let found = self.store.accounts_by_ids(&ids).await?;
        let mut contacts = contacts_by_account(self.store.contact_keys(Some(&ids)).await?);
        for account in &found {
            if accounts.remove(&account.id) {
                self.index
                    .upsert(account)
                    .map_err(|e| StoreError::Database(Box::new(e)))?;
            }
            let contacts = contacts.remove(&account.id).unwrap_or_default();
            self.index.upsert_identity(&identity(account, &contacts));
        }
        // What is left was not found: deleted.
        for id in accounts {
            self.index.remove(id);
        }
        Ok(None)
    }

    /// Loads the whole index again, as at start-up; answers the cursor taken before the load.
    async fn reload_all(&self) -> Result<ChangeCursor, StoreError> {
        let cursor = self.store.change_cursor().await?;
        let _writing = self.index.lock_writes().await;
        self.index
            .load(&self.store.map_accounts(None).await?)
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        crate::http::scope::load_placing(&self.index, self.store.as_ref()).await?;
        tracing::info!("reloaded the spatial index after many changes");
        Ok(cursor)
    }
}
