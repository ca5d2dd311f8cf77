//! Server functions: the UI's private RPC (under `/rpc`). The public REST API lives in the server
//! crate under `/api/v1`; both go through the same [`Store`](crate::store::Store).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wilayah_shared::account::AccountPanel;
use wilayah_shared::domain::DashboardSummary;

use crate::map::MapSettings;

#[cfg(feature = "ssr")]
fn app_context() -> Result<crate::store::AppContext, ServerFnError> {
    use_context::<crate::store::AppContext>()
        .ok_or_else(|| ServerFnError::new("application context missing (server misconfigured)"))
}

/// The signed-in caller, as the server's auth guard put it on the request.
#[cfg(feature = "ssr")]
fn caller() -> Result<wilayah_shared::access::Caller, ServerFnError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<wilayah_shared::access::Caller>()
                .cloned()
        })
        .ok_or_else(|| ServerFnError::new("sign in first"))
}

/// The accounts the caller may see (`None`: all of them).
#[cfg(feature = "ssr")]
async fn visible_accounts(
    ctx: &crate::store::AppContext,
) -> Result<Option<Vec<i64>>, ServerFnError> {
    let scope = caller()?.account_scope();
    ctx.store.visible_account_ids(&scope).await.map_err(|e| {
        leptos::logging::error!("visible_account_ids: {e}");
        ServerFnError::new("could not check access")
    })
}

#[server(prefix = "/rpc", endpoint = "dashboard_summary")]
pub async fn get_dashboard_summary() -> Result<DashboardSummary, ServerFnError> {
    let ctx = app_context()?;
    let today = (ctx.today)();
    ctx.store.dashboard_summary(&today).await.map_err(|e| {
        leptos::logging::error!("dashboard_summary: {e}");
        ServerFnError::new("could not load the dashboard figures")
    })
}

#[server(prefix = "/rpc", endpoint = "map_settings")]
pub async fn get_map_settings() -> Result<MapSettings, ServerFnError> {
    Ok(app_context()?.map_settings)
}

/// The customer panel of one account; `None` when it does not exist (any more).
#[server(prefix = "/rpc", endpoint = "account_panel")]
pub async fn get_account_panel(id: i64) -> Result<Option<AccountPanel>, ServerFnError> {
    use crate::store::StoreError;
    let ctx = app_context()?;
    // Outside the caller's accounts reads exactly like an account that does not exist.
    if visible_accounts(&ctx)
        .await?
        .is_some_and(|ids| ids.binary_search(&id).is_err())
    {
        return Ok(None);
    }
    match ctx.store.account_panel(id).await {
        Ok(panel) => Ok(Some(panel)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => {
            leptos::logging::error!("account_panel({id}): {e}");
            Err(ServerFnError::new("could not load the account"))
        }
    }
}

/// A prospect near the selected account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearbyProspect {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub lon: f64,
    pub lat: f64,
    pub distance_m: f64,
}

/// Most prospects the panel asks for.
pub const MAX_NEARBY_PROSPECTS: u32 = 50;

/// The `k` prospects nearest the account (great-circle metres, nearest first), for the panel and
/// the map: who else to see while out there.
#[server(prefix = "/rpc", endpoint = "nearby_prospects")]
pub async fn get_nearby_prospects(
    account_id: i64,
    k: u32,
) -> Result<Vec<NearbyProspect>, ServerFnError> {
    use wilayah_shared::domain::AccountKind;
    let ctx = app_context()?;
    let k = k.clamp(1, MAX_NEARBY_PROSPECTS) as usize;
    let failed = |e: crate::store::StoreError| {
        leptos::logging::error!("nearby_prospects({account_id}): {e}");
        ServerFnError::new("could not load nearby prospects")
    };
    let visible = visible_accounts(&ctx).await?;
    if visible
        .as_ref()
        .is_some_and(|ids| ids.binary_search(&account_id).is_err())
    {
        // Outside the caller's accounts: as if there were nothing there.
        return Ok(Vec::new());
    }
    let account = ctx.store.get_account(account_id).await.map_err(failed)?;
    let centre = wilayah_shared::LonLat::new(account.lon, account.lat)
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let (hits, accounts) = match visible {
        None => {
            // One extra in case the account itself is a prospect.
            let hits: Vec<(i64, f64)> = (ctx.nearest)(centre, k + 1, AccountKind::Prospect)
                .into_iter()
                .filter(|(id, _)| *id != account_id)
                .take(k)
                .collect();
            let ids: Vec<i64> = hits.iter().map(|(id, _)| *id).collect();
            let accounts = ctx.store.accounts_by_ids(&ids).await.map_err(failed)?;
            (hits, accounts)
        }
        Some(ids) => {
            // A scoped caller's own prospects are few (a rep's, a region's): measured directly
            // rather than by filtering the index's k nearest, which could be none of theirs.
            let accounts = ctx.store.accounts_by_ids(&ids).await.map_err(failed)?;
            let mut hits: Vec<(i64, f64)> = accounts
                .iter()
                .filter(|a| a.kind == AccountKind::Prospect && a.id != account_id)
                .filter_map(|a| {
                    let at = wilayah_shared::LonLat::new(a.lon, a.lat).ok()?;
                    Some((a.id, wilayah_shared::spatial::haversine_m(centre, at)))
                })
                .collect();
            hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            hits.truncate(k);
            (hits, accounts)
        }
    };
    Ok(hits
        .into_iter()
        .filter_map(|(id, distance_m)| {
            let a = accounts.iter().find(|a| a.id == id)?;
            Some(NearbyProspect {
                id,
                name: a.name.clone(),
                status: a.status.as_str().into(),
                lon: a.lon,
                lat: a.lat,
                distance_m,
            })
        })
        .collect())
}
