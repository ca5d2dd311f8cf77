//! Server functions: the UI's private RPC (under `/rpc`). The public REST API lives in the server
//! crate under `/api/v1`; both go through the same [`Store`](crate::store::Store).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use wilayah_shared::account::{AccountPanel, Page};
use wilayah_shared::dashboard::{DashboardFilter, DashboardKpis, FilterOptions, NearbySearch};
use wilayah_shared::domain::{AccountKind, DashboardSummary};

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
    use wilayah_shared::account::AccountQuery;
    use wilayah_shared::domain::AccountKind;
    let ctx = app_context()?;
    let today = (ctx.today)();
    let failed = |e: crate::store::StoreError| {
        leptos::logging::error!("dashboard_summary: {e}");
        ServerFnError::new("could not load the dashboard figures")
    };
    let mut summary = ctx.store.dashboard_summary(&today).await.map_err(failed)?;
    // Someone who sees part of the accounts counts that part (and its visits); the numbers of
    // reps and territories are the organisation's.
    if let Some(ids) = visible_accounts(&ctx).await? {
        let query = AccountQuery {
            ids: Some(ids.clone()),
            ..AccountQuery::default()
        };
        let accounts = ctx
            .store
            .map_accounts_matching(&query)
            .await
            .map_err(failed)?;
        let count = |kind| accounts.iter().filter(|a| a.kind == kind).count() as i64;
        summary.customers = count(AccountKind::Customer);
        summary.prospects = count(AccountKind::Prospect);
        let visits = ctx.store.map_visits(&today).await.map_err(failed)?;
        summary.visits_today = visits
            .iter()
            .filter(|v| ids.binary_search(&v.account_id).is_ok())
            .count() as i64;
    }
    Ok(summary)
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
    let ctx = app_context()?;
    let failed = |e: crate::store::StoreError| {
        leptos::logging::error!("nearby_prospects({origin:?}): {e}");
        ServerFnError::new("could not load nearby prospects")
    };
    let visible = visible_accounts(&ctx).await?;
    let may_see = |id: i64| {
        visible
            .as_ref()
            .is_none_or(|ids| ids.binary_search(&id).is_ok())
    };
    let (lon, lat, exclude) = match origin {
        // Outside the caller's accounts: as if there were nothing there.
        NearbyOrigin::Account(id) if !may_see(id) => return Ok(Vec::new()),
        NearbyOrigin::Account(id) => {
            let account = ctx.store.get_account(id).await.map_err(failed)?;
            (account.lon, account.lat, Some(id))
        }
        NearbyOrigin::Point { lon, lat } => (lon, lat, None),
    };
    let centre =
        wilayah_shared::LonLat::new(lon, lat).map_err(|e| ServerFnError::new(e.to_string()))?;
    let search = search.clamped();
    let limit = match search {
        NearbySearch::Nearest { k } => k as usize,
        NearbySearch::Within { .. } => NearbySearch::MAX_HITS,
    };
    let hits: Vec<(i64, f64)> = match &visible {
        None => {
            // One extra for the k nearest, in case the account itself is a prospect.
            let widened = match search {
                NearbySearch::Nearest { k } => NearbySearch::Nearest { k: k + 1 },
                within => within,
            };
            (ctx.nearby)(centre, widened, AccountKind::Prospect)
                .into_iter()
                .filter(|(id, _)| Some(*id) != exclude)
                .take(limit)
                .collect()
        }
        Some(ids) => {
            // A scoped caller's own prospects are few (a rep's, a region's): measured directly
            // rather than by filtering the index's answer, which could hold none of theirs.
            let reach = match search {
                NearbySearch::Within { metres } => metres,
                NearbySearch::Nearest { .. } => f64::INFINITY,
            };
            let own = ctx.store.accounts_by_ids(ids).await.map_err(failed)?;
            let mut hits: Vec<(i64, f64)> = own
                .iter()
                .filter(|a| a.kind == AccountKind::Prospect && Some(a.id) != exclude)
                .filter_map(|a| {
                    let at = wilayah_shared::LonLat::new(a.lon, a.lat).ok()?;
                    Some((a.id, wilayah_shared::spatial::haversine_m(centre, at)))
                })
                .filter(|(_, d)| *d <= reach)
                .collect();
            hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            hits.truncate(limit);
            hits
        }
    };
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

/// The choices of the filter menus.
#[server(prefix = "/rpc", endpoint = "filter_options")]
pub async fn get_filter_options() -> Result<FilterOptions, ServerFnError> {
    app_context()?.store.filter_options().await.map_err(|e| {
        leptos::logging::error!("filter_options: {e}");
        ServerFnError::new("could not load the filter choices")
    })
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
    let ctx = app_context()?;
    let failed = |e: crate::store::StoreError| {
        leptos::logging::error!("dashboard_kpis: {e}");
        ServerFnError::new("could not compute the figures")
    };
    let mut query = filter.to_account_query(1, 0);
    query.ids = visible_accounts(&ctx).await?;
    let inputs = ctx
        .store
        .kpi_inputs(&query, &(ctx.today)())
        .await
        .map_err(failed)?;
    let options = ctx.store.filter_options().await.map_err(failed)?;
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
    let ctx = app_context()?;
    let mut query = filter.to_account_query(LIST_PAGE, offset);
    query.ids = visible_accounts(&ctx).await?;
    let page = ctx.store.list_accounts(&query).await.map_err(|e| {
        leptos::logging::error!("dashboard_list: {e}");
        ServerFnError::new("could not load the list")
    })?;
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

/// Validates a generic resource record the UI builds and writes it; a validation failure comes
/// back as "field: message" so the form can say what to fix.
#[cfg(feature = "ssr")]
async fn create_from_ui(
    spec: &'static wilayah_shared::resource::ResourceSpec,
    mut body: serde_json::Value,
    actor_field: &str,
) -> Result<i64, ServerFnError> {
    use crate::store::StoreError;
    let ctx = app_context()?;
    let refused = |message: String| {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        ServerFnError::new(message)
    };
    // The record is the signed-in staff member's, on an account they may see (one outside
    // their accounts reads like one that does not exist).
    let account_id = body["account_id"].as_i64().unwrap_or_default();
    if visible_accounts(&ctx)
        .await?
        .is_some_and(|ids| ids.binary_search(&account_id).is_err())
    {
        return Err(refused(
            "account_id: refers to a record that does not exist".into(),
        ));
    }
    body[actor_field] = serde_json::json!(caller()?.staff_id);
    let valid = spec
        .validate_create(&body)
        .map_err(|e| refused(e.to_string()))?;
    let stored = ctx
        .store
        .create_resource_record(spec, &valid)
        .await
        .map_err(|e| match e {
            StoreError::InvalidReference { .. } | StoreError::Duplicate { .. } => {
                refused(e.to_string())
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
    create_from_ui(&ACTIVITIES, record, "staff_id").await
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
    create_from_ui(&CASES, record, "opened_by").await
}
