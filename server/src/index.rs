//! The in-memory spatial index of account positions, rebuilt from the database at start-up.
//!
//! Interim: a plain R-tree of 3-D unit vectors, enough for readiness and counts; the spatial
//! engine in `wilayah_shared::spatial` replaces it with full query support.

use std::sync::RwLock;

use rstar::RTree;
use rstar::primitives::GeomWithData;
use wilayah_shared::domain::MapAccount;

type IndexedAccount = GeomWithData<[f64; 3], i64>;

#[derive(Default)]
pub struct AccountIndex {
    tree: RwLock<Option<RTree<IndexedAccount>>>,
}

fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

impl AccountIndex {
    /// Replaces the index contents with `accounts` (bulk load).
    pub fn load(&self, accounts: &[MapAccount]) {
        let items = accounts
            .iter()
            .map(|a| GeomWithData::new(unit_vector(a.lon, a.lat), a.id))
            .collect();
        *self.tree.write().unwrap_or_else(|e| e.into_inner()) = Some(RTree::bulk_load(items));
    }

    /// How many points the index holds, or `None` before the first load.
    pub fn loaded_points(&self) -> Option<usize> {
        self.tree
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(RTree::size)
    }
}
