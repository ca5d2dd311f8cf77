//! The HTTP surface: probes, the REST API under `/api/v1`, and the Leptos pages.

mod accounts;
mod analytics;
pub mod auth;
mod campaigns;
mod cases;
pub mod declare;
pub mod error;
mod extract;
mod field;
mod health;
mod map;
mod openapi;
mod pipeline;
mod placing;
mod planning;
mod privacy;
mod resources;
mod routes;
mod sales;
pub mod scope;
pub mod security;
mod segments;
mod surveys;
mod transfer;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::{ResponseBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::routes;
use wilayah_app::{App, shell};
use wilayah_shared::access::Rule::SignedIn;

use declare::Api;

use crate::AppState;

/// Request bodies above this are refused with 413 (as JSON) when an extractor reads them.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// A request still unanswered after this gets 408 (a route plan's search stops after 5 s; a
/// 64 MiB import takes well under this).
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Every REST route under `/api/v1`, each declared once with its rule (see [`declare`]).
fn api() -> Api {
    let generic = wilayah_shared::resources::ALL
        .iter()
        .fold(Api::default(), |api, spec| resources::declare(api, spec));
    generic
        .route(SignedIn, routes!(openapi::openapi_json))
        .merge(map_feeds())
        .merge(accounts::declare(Api::default()))
        .merge(transfer::declare(Api::default()))
        .merge(routes::declare(Api::default()))
        .merge(field::declare(Api::default()))
        .merge(sales::declare(Api::default()))
        .merge(planning::declare(Api::default()))
        .merge(auth::declare_api(Api::default()))
        .merge(privacy::declare(Api::default()))
        .merge(placing::declare(Api::default()))
        .merge(views::declare(Api::default()))
        .merge(analytics::declare(Api::default()))
        .merge(pipeline::declare(Api::default()))
        .merge(cases::declare(Api::default()))
        .merge(segments::declare(Api::default()))
        .merge(campaigns::declare(Api::default()))
        .merge(surveys::declare(Api::default()))
}

/// The map's GeoJSON feeds, gzipped: at 100,000 accounts the points are tens of megabytes of
/// JSON, which compresses about tenfold; the fastest level keeps the server's share small.
fn map_feeds() -> Api {
    map::declare(Api::default())
        .map(|router| router.layer(CompressionLayer::new().quality(CompressionLevel::Fastest)))
}

/// Everything routed outside the pages: the probes, the sign-in forms, and the REST API under
/// `/api/v1` (whose unrouted paths and methods are admin-only too: deny by default).
fn declared() -> Api {
    health::declare(Api::default())
        .merge(auth::declare_forms(Api::default()))
        .nest(
            "/api/v1",
            api().map(|router| router.fallback(auth::unrouted)),
        )
}

/// The policy of every declared route (REST, probes, sign-in forms).
pub fn declared_policies() -> Vec<declare::Declared> {
    declared().into_parts().2
}

/// The OpenAPI document of the declared routes, before the spec-driven parts are added.
pub(crate) fn declared_openapi() -> utoipa::openapi::OpenApi {
    declared().into_parts().1
}

pub use declare::{RouteEntry, Surface, route_table};

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
    let user_admin: wilayah_app::admin::UserAdminFor = {
        let state = state.clone();
        Arc::new(move |caller| {
            Box::new(crate::user_admin::ScopedUserAdmin {
                scoped: scope::Scoped::new(state.clone(), caller),
            })
        })
    };
    let (declared, _, _) = declared().into_parts();
    declared
        .method_not_allowed_fallback(auth::wrong_method)
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
        // A streamed page whose data never comes (a part that failed while rendering) ends
        // instead of keeping the connection open forever.
        .layer(ResponseBodyTimeoutLayer::new(REQUEST_TIMEOUT))
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

/// A CSV file to download as `{name}.csv`.
pub(crate) fn csv_file(name: &str, body: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}
