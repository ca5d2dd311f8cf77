//! Row scoping in handlers: which accounts (and rows hanging off them) a caller may see.
//! A record outside the caller's rows answers 404, exactly like one that does not exist, so
//! nobody learns what exists outside their scope; a role that may not use a route at all gets
//! 403 from the guard.

use serde_json::{Map, Value};
use wilayah_shared::access::{Caller, RowScope};
use wilayah_shared::resource::ResourceSpec;

use super::error::ApiError;
use crate::AppState;

/// The accounts a caller sees: all, or these ids (ascending).
#[derive(Debug, Clone)]
pub struct Visible(Option<Vec<i64>>);

impl Visible {
    pub async fn of(state: &AppState, caller: &Caller) -> Result<Self, ApiError> {
        Ok(Visible(
            state
                .store
                .visible_account_ids(&caller.account_scope())
                .await?,
        ))
    }

    /// Every account: for internal callers that already checked who may see the result.
    pub fn everything() -> Self {
        Self(None)
    }

    pub fn admits(&self, id: i64) -> bool {
        self.0
            .as_ref()
            .is_none_or(|ids| ids.binary_search(&id).is_ok())
    }

    /// 404 for an account outside the caller's scope.
    pub fn check(&self, id: i64) -> Result<(), ApiError> {
        if self.admits(id) {
            Ok(())
        } else {
            Err(ApiError::NotFound)
        }
    }

    pub fn ids(&self) -> Option<&[i64]> {
        self.0.as_deref()
    }

    /// `ids` (ascending) narrowed to the visible ones; `None` stays "no restriction" only when
    /// everything is visible.
    pub fn narrow(&self, ids: Option<Vec<i64>>) -> Option<Vec<i64>> {
        match (ids, &self.0) {
            (None, visible) => visible.clone(),
            (Some(ids), None) => Some(ids),
            (Some(ids), Some(_)) => Some(ids.into_iter().filter(|id| self.admits(*id)).collect()),
        }
    }
}

/// The restriction a caller's row scope puts on a generic resource: rows whose column is one of
/// the ids (`None`: no restriction).
pub async fn row_filter(
    state: &AppState,
    caller: &Caller,
    spec: &ResourceSpec,
) -> Result<Option<(&'static str, Vec<i64>)>, ApiError> {
    Ok(match caller.row_scope(spec.name) {
        RowScope::All => None,
        RowScope::Nothing => Some(("id", Vec::new())),
        RowScope::Own { column, staff_id } => Some((column, vec![staff_id])),
        RowScope::ByAccount => Visible::of(state, caller)
            .await?
            .ids()
            .map(|ids| ("account_id", ids.to_vec())),
    })
}

/// Whether a record (as stored, or as about to be written) lies inside the restriction.
pub fn record_admitted(
    filter: &Option<(&'static str, Vec<i64>)>,
    record: &Map<String, Value>,
) -> bool {
    match filter {
        None => true,
        Some((column, ids)) => record
            .get(*column)
            .and_then(Value::as_i64)
            .is_some_and(|v| ids.contains(&v)),
    }
}
