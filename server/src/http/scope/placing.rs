//! Placing accounts and finding their duplicates (issue 14 items 4–6): the territory index
//! behind "territory and owner follow the position", the gazetteer behind "position by
//! address", the duplicate keys behind "likely duplicates", and the merge. Each method checks
//! the caller's role again and narrows what it answers to the caller's accounts.

use serde::Serialize;
use wilayah_shared::access::{Action, may_change_owner};
use wilayah_shared::account::{Account, ValidAccount, ValidationError};
use wilayah_shared::duplicates::{AccountIdentity, Duplicate, DuplicateKeys, likely_duplicates};
use wilayah_shared::geocode::GeocodeHit;
use wilayah_shared::placing::Given;
use wilayah_shared::spatial::{IndexedPoint, PointAttrs, PointIndex};
use wilayah_shared::transfer::ImportRow;

use super::{Scoped, index_error};
use crate::db::{ServerStore, territory_index};
use crate::http::error::ApiError;
use crate::index::{AccountIndex, contacts_by_account, identity};

/// What an import found about one row beyond its fields: the position its address gave and the
/// existing accounts and earlier rows it likely duplicates (only rows with any are reported).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReport {
    pub row: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geocoded: Option<GeocodeHit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<Duplicate>,
    /// Earlier rows of the same file that are likely the same account (same rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub same_as_rows: Vec<usize>,
}

/// What identifies an account about to be written (it has no contacts yet).
fn new_identity(account: &ValidAccount, id: Option<i64>) -> AccountIdentity {
    AccountIdentity {
        id,
        name: account.name.clone(),
        position: Some(account.position),
        phones: Vec::new(),
        emails: Vec::new(),
        external_id: account.external_id.clone(),
    }
}

/// A merge as answered: the survivor and what moved to it.
pub use crate::db::Merged;

/// Loads what placing and duplicate finding need into `index`: the published territories and
/// every account's duplicate keys (start-up; the points are loaded beside them).
pub async fn load_placing(
    index: &AccountIndex,
    store: &dyn ServerStore,
) -> Result<(), wilayah_app::store::StoreError> {
    index.set_territories(territory_index(&store.published_territories().await?));
    let accounts = store
        .export_accounts(&wilayah_shared::account::AccountQuery::default())
        .await?;
    let mut contacts = contacts_by_account(store.contact_keys(None).await?);
    index.load_identities(
        accounts
            .iter()
            .map(|a| identity(a, &contacts.remove(&a.id).unwrap_or_default())),
    );
    Ok(())
}

/// Territory and owner follow the position for rows written as the system (the CLI): every
/// owner change is allowed.
pub fn place_rows_as_system(index: &AccountIndex, rows: &mut [ImportRow]) {
    for row in rows {
        let given = Given::of_new(&row.account);
        index.place(&mut row.account, None, given, |_, _| true);
    }
}

impl Scoped {
    /// Territory and owner follow the position, within what the caller may change: the one
    /// place every account write of a caller applies the rule.
    pub(super) fn place(&self, account: &mut ValidAccount, before: Option<&Account>, given: Given) {
        let before = before.and_then(|a| {
            wilayah_shared::LonLat::new(a.lon, a.lat)
                .ok()
                .map(|p| (p, a.owner_id))
        });
        self.state.index.place(account, before, given, |from, to| {
            may_change_owner(&self.caller, from, to)
        });
    }

    /// Re-reads the published territories into the index (after anything changed them).
    pub(super) async fn reload_territories(&self) -> Result<(), ApiError> {
        let published = self.store().published_territories().await?;
        let index =
            super::super::error::off_the_workers(move || territory_index(&published)).await?;
        self.state.index.set_territories(index);
        Ok(())
    }

    /// Re-reads the duplicate keys of `accounts` (after they or their contacts changed).
    pub(super) async fn refresh_identities(&self, accounts: &[Account]) -> Result<(), ApiError> {
        let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
        let mut contacts = contacts_by_account(self.store().contact_keys(Some(&ids)).await?);
        for account in accounts {
            let contacts = contacts.remove(&account.id).unwrap_or_default();
            self.state
                .index
                .upsert_identity(&identity(account, &contacts));
        }
        Ok(())
    }

    /// Re-reads the duplicate keys of the account `id` (its contacts changed); nothing when it
    /// is gone.
    pub(super) async fn refresh_identity_of(&self, id: i64) -> Result<(), ApiError> {
        let accounts = self.store().accounts_by_ids(&[id]).await?;
        self.refresh_identities(&accounts).await
    }

    /// The caller's accounts among `found`.
    async fn visible_duplicates(&self, found: Vec<Duplicate>) -> Result<Vec<Duplicate>, ApiError> {
        let visible = self.visible().await?;
        Ok(found
            .into_iter()
            .filter(|d| visible.admits(d.account_id))
            .collect())
    }

    /// The caller's accounts likely the same as a new account (not yet written).
    pub async fn duplicates_of_new(
        &self,
        account: &ValidAccount,
        id: Option<i64>,
    ) -> Result<Vec<Duplicate>, ApiError> {
        self.require("accounts", Action::Read)?;
        let candidate = new_identity(account, id);
        let found = self.state.index.duplicates_of(&candidate);
        self.visible_duplicates(found).await
    }

    /// The caller's accounts likely the same as a candidate typed into a form (not yet
    /// written): a name and position, and a contact's phone or e-mail.
    pub async fn duplicates_of_candidate(
        &self,
        candidate: AccountIdentity,
    ) -> Result<Vec<Duplicate>, ApiError> {
        self.require("accounts", Action::Read)?;
        let found = self.state.index.duplicates_of(&candidate);
        self.visible_duplicates(found).await
    }

    /// The caller's accounts likely the same as their account `id` (its contacts' phones and
    /// e-mails count).
    pub async fn duplicates_of_account(&self, id: i64) -> Result<Vec<Duplicate>, ApiError> {
        self.require("accounts", Action::Read)?;
        let account = self.account(id).await?;
        let contacts = contacts_by_account(self.store().contact_keys(Some(&[id])).await?)
            .remove(&id)
            .unwrap_or_default();
        let found = self
            .state
            .index
            .duplicates_of(&identity(&account, &contacts));
        self.visible_duplicates(found).await
    }

    /// Merges the caller's account `from` into their account `into` (at `version`): contacts,
    /// deals, cases, visits and history move, `from` is deleted, in one transaction.
    pub async fn merge_accounts(
        &self,
        into: i64,
        from: i64,
        version: i64,
    ) -> Result<Merged, ApiError> {
        self.require("accounts", Action::Update)?;
        if into == from {
            return Err(ApiError::Invalid(ValidationError::new(
                "from",
                "is the account itself: name another account to merge into this one",
            )));
        }
        self.check_account(into).await?;
        // The other account must be the caller's too; outside their rows it reads as missing.
        let exists = match self.store().get_account(from).await {
            Ok(_) => true,
            Err(wilayah_app::store::StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if !exists || !self.visible().await?.admits(from) {
            return Err(ApiError::Invalid(ValidationError::new(
                "from",
                "refers to an account that does not exist",
            )));
        }
        let _writing = self.state.index.lock_writes().await;
        let merged = self
            .store()
            .merge_accounts(into, from, version)
            .await
            .map_err(|e| match e {
                wilayah_app::store::StoreError::NotFound => ApiError::NotFound,
                other => other.into(),
            })?;
        self.state.index.remove(from);
        self.state
            .index
            .upsert(&merged.account)
            .map_err(index_error)?;
        self.refresh_identities(std::slice::from_ref(&merged.account))
            .await?;
        Ok(merged)
    }

    /// A position for an address from the offline gazetteer (any signed-in caller).
    pub async fn geocode(&self, address: &str) -> Option<GeocodeHit> {
        self.state.geocoder.locate(address).await
    }

    /// Row reports of an import (geocoded rows and likely duplicates among the caller's
    /// accounts).
    pub(super) async fn import_reports(
        &self,
        rows: &[ImportRow],
    ) -> Result<Vec<RowReport>, ApiError> {
        // The file's own rows, keyed by row number, added as they are read.
        let mut file_keys = DuplicateKeys::default();
        let mut file_points = PointIndex::new();
        let mut reports = Vec::new();
        for row in rows {
            let duplicates = self.duplicates_of_new(&row.account, None).await?;
            let candidate = new_identity(&row.account, None);
            let same_as_rows: Vec<usize> = likely_duplicates(&candidate, &file_keys, &file_points)
                .into_iter()
                .map(|d| d.account_id as usize)
                .collect();
            let id = row.row as i64;
            file_keys.upsert(&new_identity(&row.account, Some(id)));
            file_points.upsert(IndexedPoint::new(
                id,
                row.account.position,
                PointAttrs {
                    kind: row.account.kind,
                    status: row.account.status,
                    owner: row.account.owner_id,
                    visited: false,
                },
            ));
            if row.geocoded.is_some() || !duplicates.is_empty() || !same_as_rows.is_empty() {
                reports.push(RowReport {
                    row: row.row,
                    geocoded: row.geocoded.clone(),
                    duplicates,
                    same_as_rows,
                });
            }
        }
        Ok(reports)
    }
}
