//! Server functions: the UI's private RPC (under `/rpc`). The public REST API lives in the server
//! crate under `/api/v1`; both go through the same [`Store`](crate::store::Store).

use leptos::prelude::*;
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
