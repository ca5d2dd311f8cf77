//! The map's account clusters, kept per filter and row scope until the data changes. Clustering
//! 100,000 accounts takes a fraction of a second, reading them from the database longer; a pan
//! or a zoom of the dashboard then costs one cheap fingerprint query instead.

use std::sync::{Arc, Mutex};

use wilayah_app::store::StoreError;
use wilayah_shared::account::AccountQuery;
use wilayah_shared::spatial::clusters::AccountClusters;

use crate::db::ServerStore;

/// How many filters (per scope) stay clustered. A dashboard uses two (customers, prospects) per
/// filter; a few managers with a few filters each fit.
const CAPACITY: usize = 16;

#[derive(Default)]
pub struct MapFeedCache {
    entries: Mutex<Vec<Entry>>,
}

struct Entry {
    /// The query (filter, kind and the caller's visible ids) as text: equal text, equal rows.
    query: String,
    fingerprint: [i64; 6],
    clusters: Arc<AccountClusters>,
    last_used: u64,
}

impl MapFeedCache {
    /// The clustered accounts `query` matches, from the cache when nothing was written since
    /// they were read.
    pub async fn clusters(
        &self,
        store: &dyn ServerStore,
        query: &AccountQuery,
    ) -> Result<Arc<AccountClusters>, StoreError> {
        let fingerprint = store.map_data_fingerprint().await?;
        let key = format!("{query:?}");
        if let Some(found) = self.lookup(&key, fingerprint) {
            return Ok(found);
        }
        let accounts = store.map_accounts_matching(query).await?;
        // Clustering is CPU work; keep it off the threads that serve requests.
        let clusters = tokio::task::spawn_blocking(move || AccountClusters::build(accounts))
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let clusters = Arc::new(clusters);
        self.insert(key, fingerprint, clusters.clone());
        Ok(clusters)
    }

    fn lookup(&self, key: &str, fingerprint: [i64; 6]) -> Option<Arc<AccountClusters>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let tick = next_tick(&entries);
        let entry = entries
            .iter_mut()
            .find(|e| e.query == key && e.fingerprint == fingerprint)?;
        entry.last_used = tick;
        Some(entry.clusters.clone())
    }

    fn insert(&self, query: String, fingerprint: [i64; 6], clusters: Arc<AccountClusters>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let tick = next_tick(&entries);
        // Entries of older data can never be hit again.
        entries.retain(|e| e.fingerprint == fingerprint && e.query != query);
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(at, _)| at)
        {
            entries.swap_remove(oldest);
        }
        entries.push(Entry {
            query,
            fingerprint,
            clusters,
            last_used: tick,
        });
    }
}

fn next_tick(entries: &[Entry]) -> u64 {
    entries.iter().map(|e| e.last_used).max().unwrap_or(0) + 1
}
