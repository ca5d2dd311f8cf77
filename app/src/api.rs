//! Server functions: the UI's private RPC (under `/rpc`). The public REST API lives in the server
//! crate under `/api/v1`; both reach the data only through the caller's scope ([`CallerData`](crate::store::CallerData)),
//! and every function checks its own policy line, also when called in-process while a page renders.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use wilayah_shared::account::{AccountPanel, Page};
use wilayah_shared::dashboard::{DashboardFilter, DashboardKpis, FilterOptions, NearbySearch};
use wilayah_shared::domain::{AccountKind, DashboardSummary};

use crate::map::MapSettings;

/// A failure of the server's own, logged; the UI gets `message`.
#[cfg(feature = "ssr")]
fn failed(
    what: &'static str,
    message: &'static str,
) -> impl Fn(crate::store::StoreError) -> ServerFnError {
    move |e| {
        leptos::logging::error!("{what}: {e}");
        ServerFnError::new(message)
    }
}

#[server(prefix = "/rpc", endpoint = "dashboard_summary")]
pub async fn get_dashboard_summary() -> Result<DashboardSummary, ServerFnError> {
    let (ctx, data) = crate::access::caller_data::<GetDashboardSummary>()?;
    data.dashboard_summary(&(ctx.today)()).await.map_err(failed(
        "dashboard_summary",
        "could not load the dashboard figures",
    ))
}

#[server(prefix = "/rpc", endpoint = "map_settings")]
pub async fn get_map_settings() -> Result<MapSettings, ServerFnError> {
    Ok(crate::access::settings::<GetMapSettings>()?.map_settings)
}

/// The customer panel of one account; `None` when it does not exist (any more).
#[server(prefix = "/rpc", endpoint = "account_panel")]
pub async fn get_account_panel(id: i64) -> Result<Option<AccountPanel>, ServerFnError> {
    let (_, data) = crate::access::caller_data::<GetAccountPanel>()?;
    data.account_panel(id)
        .await
        .map_err(failed("account_panel", "could not load the account"))
}

/// A prospect near the selected account or the point the user clicked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearbyProspect {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub lon: f64,
    pub lat: f64,
    pub distance_m: f64,
}

/// Where a nearby search starts: an account, or any point of the map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NearbyOrigin {
    Account(i64),
    Point { lon: f64, lat: f64 },
}

/// Prospects near `origin` (great-circle metres, nearest first): the `k` nearest or all within a
/// radius, as `search` says. Who else to see while out there.
#[server(prefix = "/rpc", endpoint = "nearby_prospects", input = Json)]
pub async fn find_nearby_prospects(
    origin: NearbyOrigin,
    search: NearbySearch,
) -> Result<Vec<NearbyProspect>, ServerFnError> {
    use wilayah_shared::domain::AccountKind;
    let (_, data) = crate::access::caller_data::<FindNearbyProspects>()?;
    let failed = failed("nearby_prospects", "could not load nearby prospects");
    let (lon, lat, exclude) = match origin {
        NearbyOrigin::Account(id) => match data.account(id).await.map_err(&failed)? {
            Some(account) => (account.lon, account.lat, Some(id)),
            // Outside the caller's accounts: as if there were nothing there.
            None => return Ok(Vec::new()),
        },
        NearbyOrigin::Point { lon, lat } => (lon, lat, None),
    };
    let centre =
        wilayah_shared::LonLat::new(lon, lat).map_err(|e| ServerFnError::new(e.to_string()))?;
    let hits = data
        .nearby(centre, search.clamped(), AccountKind::Prospect, exclude)
        .await
        .map_err(&failed)?;
    Ok(hits
        .into_iter()
        .map(|(a, distance_m)| NearbyProspect {
            id: a.id,
            name: a.name,
            status: a.status.as_str().into(),
            lon: a.lon,
            lat: a.lat,
            distance_m,
        })
        .collect())
}

/// The choices of the filter menus.
#[server(prefix = "/rpc", endpoint = "filter_options")]
pub async fn get_filter_options() -> Result<FilterOptions, ServerFnError> {
    let (_, data) = crate::access::caller_data::<GetFilterOptions>()?;
    data.filter_options().await.map_err(failed(
        "filter_options",
        "could not load the filter choices",
    ))
}

/// KPIs of the accounts the filter matches: in total, per rep and per territory; visits are
/// today's.
#[server(prefix = "/rpc", endpoint = "dashboard_kpis", input = Json)]
pub async fn get_dashboard_kpis(
    filter: DashboardFilter,
    unassigned: String,
) -> Result<DashboardKpis, ServerFnError> {
    use std::collections::HashMap;
    use wilayah_shared::dashboard::{Named, dashboard_kpis};
    let (ctx, data) = crate::access::caller_data::<GetDashboardKpis>()?;
    let failed = failed("dashboard_kpis", "could not compute the figures");
    let query = filter.to_account_query(1, 0);
    let inputs = data
        .kpi_inputs(query, &(ctx.today)())
        .await
        .map_err(&failed)?;
    let options = data.filter_options().await.map_err(&failed)?;
    let names = |list: &[Named]| -> HashMap<i64, String> {
        list.iter().map(|n| (n.id, n.name.clone())).collect()
    };
    let (reps, territories) = (names(&options.reps), names(&options.territories));
    Ok(dashboard_kpis(
        &inputs,
        |id| reps.get(&id).cloned(),
        |id| territories.get(&id).cloned(),
        &unassigned,
    ))
}

/// One line of the side list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedAccount {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
    pub status: String,
    pub segment: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub revenue_minor: i64,
    pub currency: String,
}

/// Lines per page of the side list.
pub const LIST_PAGE: u32 = 25;

/// A page of the accounts the filter matches, by name, with the total.
#[server(prefix = "/rpc", endpoint = "dashboard_list", input = Json)]
pub async fn get_dashboard_list(
    filter: DashboardFilter,
    offset: u64,
) -> Result<Page<ListedAccount>, ServerFnError> {
    let (_, data) = crate::access::caller_data::<GetDashboardList>()?;
    let query = filter.to_account_query(LIST_PAGE, offset);
    let page = data
        .list_accounts(query)
        .await
        .map_err(failed("dashboard_list", "could not load the list"))?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|a| ListedAccount {
                id: a.id,
                name: a.name,
                kind: a.kind,
                status: a.status.as_str().into(),
                segment: a.segment,
                lon: a.lon,
                lat: a.lat,
                revenue_minor: a.revenue_minor,
                currency: a.currency,
            })
            .collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Writes a generic resource record the UI builds, as the caller, on one of their accounts; a
/// refusal comes back as "field: message" (422) so the form can say what to fix.
#[cfg(feature = "ssr")]
async fn create_from_ui(
    data: Box<dyn crate::store::CallerData>,
    spec: &'static wilayah_shared::resource::ResourceSpec,
    body: serde_json::Value,
) -> Result<i64, ServerFnError> {
    use crate::store::StoreError;
    let refused = |message: String| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        ServerFnError::new(message)
    };
    let stored = data.create_record(spec, body).await.map_err(|e| match e {
        StoreError::InvalidReference { .. }
        | StoreError::Duplicate { .. }
        | StoreError::Invalid { .. } => refused(e.to_string()),
        // Outside the caller's accounts reads like an account that does not exist.
        StoreError::NotFound => {
            refused("account_id: refers to a record that does not exist".into())
        }
        other => {
            leptos::logging::error!("create {}: {other}", spec.singular);
            ServerFnError::new(format!("could not save the {}", spec.singular))
        }
    })?;
    stored
        .get("id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| ServerFnError::new("the store returned no id"))
}

/// Adds a line to an account's contact history (a call, an e-mail, a meeting, a note...).
#[server(prefix = "/rpc", endpoint = "log_activity", input = Json)]
pub async fn log_activity(
    account_id: i64,
    kind: String,
    subject: String,
    body: Option<String>,
) -> Result<i64, ServerFnError> {
    use wilayah_shared::resources::ACTIVITIES;
    let record = serde_json::json!({
        "account_id": account_id, "kind": kind, "subject": subject,
        "body": body.filter(|b| !b.trim().is_empty()),
        "occurred_at": chrono::Utc::now().to_rfc3339(),
    });
    let (_, data) = crate::access::caller_data::<LogActivity>()?;
    create_from_ui(data, &ACTIVITIES, record).await
}

/// Opens a complaint case for an account.
#[server(prefix = "/rpc", endpoint = "open_case", input = Json)]
pub async fn open_case(
    account_id: i64,
    subject: String,
    priority: String,
    description: Option<String>,
) -> Result<i64, ServerFnError> {
    use wilayah_shared::resources::CASES;
    let record = serde_json::json!({
        "account_id": account_id, "subject": subject, "priority": priority,
        "description": description.filter(|d| !d.trim().is_empty()),
    });
    let (_, data) = crate::access::caller_data::<OpenCase>()?;
    create_from_ui(data, &CASES, record).await
}
