//! The in-memory spatial index of accounts, kept beside the database (the source of truth):
//! bulk-loaded at start-up, then updated by every write that moves or re-attributes an account.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use wilayah_shared::account::Account;
use wilayah_shared::domain::{AccountKind, AccountStatus, MapAccount};
use wilayah_shared::duplicates::{AccountIdentity, Duplicate, DuplicateKeys, likely_duplicates};
use wilayah_shared::spatial::{IndexedPoint, PointAttrs, PointIndex, SpatialError, TerritoryIndex};
use wilayah_shared::{CoordError, LonLat};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("account {id} has an invalid position: {source}")]
    BadPosition { id: i64, source: CoordError },
    #[error(transparent)]
    Spatial(#[from] SpatialError),
}

/// The index, plus a lock that orders account writes: a writer holds it across its database
/// write and the matching index change, so the index applies changes in the order the database
/// committed them (two quick moves of one pin cannot land in the index swapped).
///
/// Beside the points it keeps what placing and duplicate finding need: the published
/// territories (replaced whenever territories change) and each account's duplicate keys (name,
/// external id, its contacts' phones and e-mails), in step with the same writes.
#[derive(Default)]
pub struct AccountIndex {
    points: RwLock<Option<PointIndex>>,
    writes: tokio::sync::Mutex<()>,
    territories: RwLock<Option<Arc<TerritoryIndex>>>,
    keys: RwLock<DuplicateKeys>,
}

/// What identifies `account` for duplicate finding, with its contacts' `(e-mail, phone)`.
pub fn identity(account: &Account, contacts: &[ContactValues]) -> AccountIdentity {
    AccountIdentity {
        id: Some(account.id),
        name: account.name.clone(),
        position: LonLat::new(account.lon, account.lat).ok(),
        phones: contacts.iter().filter_map(|(_, p)| p.clone()).collect(),
        emails: contacts.iter().filter_map(|(e, _)| e.clone()).collect(),
        external_id: account.external_id.clone(),
    }
}

/// One contact's `(e-mail, phone)`.
pub type ContactValues = (Option<String>, Option<String>);

/// Contact keys `(account id, e-mail, phone)` grouped by account.
pub fn contacts_by_account(keys: Vec<crate::db::ContactKey>) -> HashMap<i64, Vec<ContactValues>> {
    let mut by_account: HashMap<i64, Vec<_>> = HashMap::new();
    for (account, email, phone) in keys {
        by_account.entry(account).or_default().push((email, phone));
    }
    by_account
}

/// The index entry of an account as the map feed reads it.
pub fn indexed_point(account: &MapAccount) -> Result<IndexedPoint, IndexError> {
    point(
        account.id,
        account.lon,
        account.lat,
        account.kind,
        account.status,
        account.owner_id,
    )
}

fn account_point(account: &Account) -> Result<IndexedPoint, IndexError> {
    point(
        account.id,
        account.lon,
        account.lat,
        account.kind,
        account.status,
        account.owner_id,
    )
}

fn point(
    id: i64,
    lon: f64,
    lat: f64,
    kind: AccountKind,
    status: AccountStatus,
    owner: Option<i64>,
) -> Result<IndexedPoint, IndexError> {
    let position =
        LonLat::new(lon, lat).map_err(|source| IndexError::BadPosition { id, source })?;
    Ok(IndexedPoint::new(
        id,
        position,
        PointAttrs {
            kind,
            status,
            owner,
            visited: false,
        },
    ))
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

    /// Held by every account write from before its database write until after its index change.
    pub async fn lock_writes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writes.lock().await
    }

    /// Records a created or changed account (its stored, already validated state).
    pub fn upsert(&self, account: &Account) -> Result<(), IndexError> {
        let point = account_point(account)?;
        if let Some(index) = self
            .points
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            index.upsert(point);
        }
        Ok(())
    }

    /// A member of staff was deleted: the database cleared the owner of their accounts
    /// (ON DELETE SET NULL), so the index does the same.
    pub fn clear_owner(&self, staff_id: i64) {
        if let Some(index) = self
            .points
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            let owned: Vec<IndexedPoint> = index
                .iter()
                .filter(|p| p.attrs.owner == Some(staff_id))
                .collect();
            for point in owned {
                let attrs = PointAttrs {
                    owner: None,
                    ..point.attrs
                };
                // The id came from the index itself, so it is known.
                let _ = index.update_attrs(point.id, attrs);
            }
        }
    }

    /// Accounts got new owners (territory planning reassigned them); ids not in the index are
    /// skipped.
    pub fn set_owners(&self, owners: &[(i64, Option<i64>)]) {
        if let Some(index) = self
            .points
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            for &(id, owner) in owners {
                if let Some(point) = index.get(id) {
                    let attrs = PointAttrs {
                        owner,
                        ..point.attrs
                    };
                    let _ = index.update_attrs(id, attrs);
                }
            }
        }
    }

    pub fn remove(&self, id: i64) {
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        if let Some(index) = self
            .points
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            index.remove(id);
        }
    }

    /// The published territories, as last loaded (`None` before the first load).
    pub fn territories(&self) -> Option<Arc<TerritoryIndex>> {
        self.territories
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the published territories (at start-up and whenever they change).
    pub fn set_territories(&self, territories: TerritoryIndex) {
        *self.territories.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(territories));
    }

    /// Territory and owner follow the position ([`wilayah_shared::placing::place`]) over the
    /// loaded territories; nothing changes before they are loaded.
    pub fn place(
        &self,
        account: &mut wilayah_shared::account::ValidAccount,
        before: Option<(LonLat, Option<i64>)>,
        given: wilayah_shared::placing::Given,
        may_change_owner: impl Fn(Option<i64>, Option<i64>) -> bool,
    ) {
        if let Some(territories) = self.territories() {
            wilayah_shared::placing::place(account, before, given, &territories, may_change_owner);
        }
    }

    /// Replaces every account's duplicate keys (bulk load).
    pub fn load_identities(&self, accounts: impl IntoIterator<Item = AccountIdentity>) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = DuplicateKeys::new(accounts);
    }

    /// Records a created or changed account's duplicate keys.
    pub fn upsert_identity(&self, account: &AccountIdentity) {
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .upsert(account);
    }

    /// The accounts likely the same as `candidate` (see `wilayah_shared::duplicates`); none
    /// before the first load.
    pub fn duplicates_of(&self, candidate: &AccountIdentity) -> Vec<Duplicate> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        self.read(|points| likely_duplicates(candidate, &keys, points))
            .unwrap_or_default()
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
