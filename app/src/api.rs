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
    match app_context()?.store.account_panel(id).await {
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
    let account = ctx.store.get_account(account_id).await.map_err(failed)?;
    let centre = wilayah_shared::LonLat::new(account.lon, account.lat)
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    // One extra in case the account itself is a prospect.
    let hits: Vec<(i64, f64)> = (ctx.nearest)(centre, k + 1, AccountKind::Prospect)
        .into_iter()
        .filter(|(id, _)| *id != account_id)
        .take(k)
        .collect();
    let ids: Vec<i64> = hits.iter().map(|(id, _)| *id).collect();
    let accounts = ctx.store.accounts_by_ids(&ids).await.map_err(failed)?;
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
