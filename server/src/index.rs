//! The in-memory spatial index of accounts, kept beside the database (the source of truth):
//! bulk-loaded at start-up, then updated by every write that moves or re-attributes an account.

use std::sync::RwLock;

use wilayah_shared::domain::MapAccount;
use wilayah_shared::spatial::{IndexedPoint, PointAttrs, PointIndex, SpatialError};
use wilayah_shared::{CoordError, LonLat};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("account {id} has an invalid position: {source}")]
    BadPosition { id: i64, source: CoordError },
    #[error(transparent)]
    Spatial(#[from] SpatialError),
}

#[derive(Default)]
pub struct AccountIndex {
    points: RwLock<Option<PointIndex>>,
}

/// The index entry of an account as the database holds it.
pub fn indexed_point(account: &MapAccount) -> Result<IndexedPoint, IndexError> {
    let position =
        LonLat::new(account.lon, account.lat).map_err(|source| IndexError::BadPosition {
            id: account.id,
            source,
        })?;
    let attrs = PointAttrs {
        kind: account.kind,
        status: account.status,
        owner: account.owner_id,
        visited: false,
    };
    Ok(IndexedPoint::new(account.id, position, attrs))
}

impl AccountIndex {
    /// Replaces the index contents with `accounts` (bulk load).
    pub fn load(&self, accounts: &[MapAccount]) -> Result<(), IndexError> {
        let points = accounts
            .iter()
            .map(indexed_point)
            .collect::<Result<Vec<_>, _>>()?;
        let index = PointIndex::bulk_load(points)?;
        *self.points.write().unwrap_or_else(|e| e.into_inner()) = Some(index);
        Ok(())
    }

    /// How many points the index holds, or `None` before the first load.
    pub fn loaded_points(&self) -> Option<usize> {
        self.points
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(PointIndex::len)
    }

    /// Runs `query` against the loaded index; `None` before the first load.
    pub fn read<T>(&self, query: impl FnOnce(&PointIndex) -> T) -> Option<T> {
        self.points
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(query)
    }
}
