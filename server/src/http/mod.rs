//! The HTTP surface: probes, the REST API under `/api/v1`, and the Leptos pages.

mod accounts;
pub mod auth;
pub mod error;
mod extract;
mod field;
mod health;
mod map;
mod openapi;
mod planning;
mod privacy;
mod resources;
mod routes;
pub mod scope;
pub mod security;
mod transfer;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use wilayah_app::{App, shell};

use crate::AppState;

/// Request bodies above this are refused with 413 (as JSON) when an extractor reads them.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// A request still unanswered after this gets 408 (a route plan's search stops after 5 s; a
/// 64 MiB import takes well under this).
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn api_router() -> Router<AppState> {
    let generic = wilayah_shared::resources::ALL
        .iter()
        .fold(Router::new(), |router, spec| {
            router.merge(resources::router(spec))
        });
    generic
        .route("/openapi.json", get(openapi::openapi_json))
        .merge(map_feeds())
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/nearby", get(accounts::nearby))
        .route(
            "/accounts/{id}",
            get(accounts::get)
                .patch(accounts::update)
                .delete(accounts::delete),
        )
        .route("/accounts/{id}/history", get(resources::account_history))
        .merge(transfer::router())
        .merge(routes::router())
        .merge(field::router())
        .merge(planning::router())
        .merge(auth::api_router())
        .merge(privacy::router())
        .fallback(|| async { error::ApiError::NotFound })
}

/// The map's GeoJSON feeds, gzipped: at 100,000 accounts the points are tens of megabytes of
/// JSON, which compresses about tenfold; the fastest level keeps the server's share small.
fn map_feeds() -> Router<AppState> {
    Router::new()
        .route("/map/accounts.geojson", get(map::accounts_geojson))
        .route("/map/territories.geojson", get(map::territories_geojson))
        .route("/map/visits.geojson", get(map::visits_geojson))
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
}

/// The whole application. Tests drive it with `tower::ServiceExt::oneshot`, no port needed.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    // Server functions reach data only through the scoped handle of their caller.
    let context = wilayah_app::store::AppContext {
        map_settings: state.map_settings.clone(),
        today: state.today.clone(),
        data: {
            let state = state.clone();
            Arc::new(move |caller| Box::new(scope::Scoped::new(state.clone(), caller)))
        },
    };
    let options = state.leptos_options.clone();
    let tile_url = state.map_settings.tile_url.clone();
    let user_admin: std::sync::Arc<dyn wilayah_app::admin::UserAdmin> =
        std::sync::Arc::new(crate::user_admin::StoreUserAdmin {
            store: state.store.clone(),
        });
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", api_router())
        .merge(auth::form_router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context.clone());
                provide_context(user_admin.clone());
                page_policy(tile_url.as_deref());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(from_fn_with_state(state.clone(), auth::guard))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(
            error::panic_response as error::PanicHandler,
        ))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A page's Content-Security-Policy names the nonce Leptos gave its inline scripts.
fn page_policy(tile_url: Option<&str>) {
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    let policy = security::content_security_policy(nonce.as_deref(), tile_url);
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&policy),
    ) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}
