//! Wilayah's server: configuration, database, spatial index and HTTP, as a library so tests can
//! build the whole application in-process. `main.rs` only parses flags and calls [`run`].
// Rendering the dashboard page on the server instantiates one deeply nested view type.
#![recursion_limit = "512"]

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod demo_sales;
pub mod geocoder;
pub mod http;
pub mod index;
pub mod mailer;
pub mod map_feed;
pub mod osrm;
pub mod outbound;
pub mod planning_service;
pub mod replicas;
pub mod routing_service;
pub mod scoring;
pub mod user_admin;

use std::sync::Arc;

use axum::extract::FromRef;
use chrono::{Datelike, Duration, FixedOffset, NaiveDate, Utc};
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use wilayah_app::map::MapSettings;
use wilayah_app::store::{StoreError, UtcRange};
use wilayah_shared::account::AccountQuery;
use wilayah_shared::domain::AccountKind;

use crate::config::Config;
use crate::db::DbError;
use crate::index::AccountIndex;
use crate::routing_service::RouteSettings;

/// The name `scripts/build.sh` gives the wasm bundle (`pkg/wilayah.js`, `pkg/wilayah.wasm`).
pub const OUTPUT_NAME: &str = "wilayah";
/// Seed of the demo data a fresh database gets, fixed so every install shows the same world.
pub const DEMO_SEED: u64 = 2026;

#[derive(Clone)]
pub struct AppState {
    /// The database, behind the gate that scopes it to each caller (`http::scope`).
    pub store: http::scope::Gate,
    pub index: Arc<AccountIndex>,
    /// Follows the database's change log so writes of other processes (replicas, the CLI)
    /// reach `index` (docs/replicas.md).
    pub replicas: Arc<replicas::Replicas>,
    /// The map's clustered accounts per filter, until the data changes.
    pub map_feed: Arc<map_feed::MapFeedCache>,
    /// The deployment's time zone, for calendar days (`--utc-offset`).
    pub utc_offset: FixedOffset,
    pub leptos_options: LeptosOptions,
    pub map_settings: MapSettings,
    /// "Today" for dashboards: the calendar day in the deployment's time zone.
    pub today: Arc<dyn Fn() -> UtcRange + Send + Sync>,
    pub routing: RouteSettings,
    /// Rates of the geographic cost to serve (profitability).
    pub cost_to_serve: CostToServe,
    pub auth: Arc<auth::AuthSettings>,
    /// Addresses to positions (`--geocoder-url`, else the gazetteer).
    pub geocoder: Arc<geocoder::Geocoder>,
    /// Campaign e-mail through SMTP (`--smtp-url`), sent by [`mailer::run`].
    pub mailer: Arc<mailer::Mailer>,
}

/// How profitability prices the cost to serve (`--cost-*` flags, docs/analytics.md): the rates,
/// the minutes one case takes, and the average speed of travel on great-circle distances (the
/// route model's `--route-speed-kmh`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostToServe {
    pub rates: wilayah_shared::analytics::profitability::CostRates,
    pub case_minutes: u32,
    pub speed_kmh: f64,
    /// What a campaign contact costs on each channel when its campaign has no budget.
    pub contacts: wilayah_shared::campaigns::ContactRates,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("loading demo data failed: {0}")]
    Seed(StoreError),
    #[error("reading the users failed: {0}")]
    Users(StoreError),
    #[error("loading accounts for the spatial index failed: {0}")]
    IndexLoad(StoreError),
    #[error("building the spatial index failed: {0}")]
    Index(#[from] index::IndexError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("--route-speed-kmh must be a positive number of km/h, not {0}")]
    RouteSpeed(f64),
    #[error("marking cut-off scoring jobs as failed failed: {0}")]
    Jobs(StoreError),
    #[error("{0} must not be negative")]
    NegativeCost(&'static str),
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Mailer(#[from] mailer::MailerError),
}

/// A date as the API takes it, `YYYY-MM-DD` in years 1–9999: what RFC 3339 text and both
/// databases hold. chrono itself reaches ±262 143 and overflows in day arithmetic at its edges.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|d| (1..=9999).contains(&d.year()))
}

/// The calendar day `date` in the time zone `offset`: local midnight to local midnight, in UTC;
/// `None` when that leaves chrono's range (checked arithmetic: never a panic on input).
pub fn local_day(date: NaiveDate, offset: FixedOffset) -> Option<UtcRange> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let from = midnight
        .checked_sub_signed(Duration::seconds(i64::from(offset.local_minus_utc())))?
        .and_utc();
    Some(UtcRange {
        from,
        to: from.checked_add_signed(Duration::days(1))?,
    })
}

/// Today's date in the time zone `offset`.
pub fn local_date(offset: FixedOffset) -> NaiveDate {
    Utc::now().with_timezone(&offset).date_naive()
}

/// Connects, migrates, seeds a fresh database with demo data (unless disabled) and loads the
/// spatial index: everything the server needs before it can answer.
pub async fn prepare(config: &Config) -> Result<AppState, StartError> {
    if !(config.route_speed_kmh.is_finite() && config.route_speed_kmh > 0.0) {
        return Err(StartError::RouteSpeed(config.route_speed_kmh));
    }
    for (flag, value) in [
        (
            "--cost-technician-per-hour",
            config.cost_technician_per_hour,
        ),
        ("--cost-per-km", config.cost_per_km),
        ("--cost-case-per-hour", config.cost_case_per_hour),
        ("--cost-email-contact", config.cost_email_contact),
        ("--cost-call-contact", config.cost_call_contact),
        ("--cost-export-contact", config.cost_export_contact),
    ] {
        if value < 0 {
            return Err(StartError::NegativeCost(flag));
        }
    }
    let store = db::connect(&config.database_url).await?;
    if !config.no_demo && store.has_no_accounts().await.map_err(StartError::Seed)? {
        let data = demo::generate(DEMO_SEED, local_date(config.utc_offset));
        store
            .seed(&data, Utc::now())
            .await
            .map_err(StartError::Seed)?;
        let orders = demo_sales::seed(store.as_ref(), &data, local_date(config.utc_offset))
            .await
            .map_err(StartError::Seed)?;
        tracing::info!(
            accounts = data.accounts.len(),
            orders,
            "seeded demo data into the empty database"
        );
    }
    // A scoring job cut off by a stop never ends by itself.
    store
        .fail_running_scoring_jobs(Utc::now())
        .await
        .map_err(StartError::Jobs)?;
    // An e-mail cut off mid-send is not sent again (see `mailer`).
    let interrupted = store
        .fail_interrupted_sends()
        .await
        .map_err(StartError::Jobs)?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "campaign e-mails cut off mid-send were marked failed"
        );
    }
    let mailer = Arc::new(
        mailer::Mailer::new(
            config.smtp_url.as_deref(),
            &config.smtp_from,
            config.smtp_per_minute,
            config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.listen)),
        )
        .map_err(StartError::Mailer)?,
    );
    let auth = Arc::new(auth::AuthSettings::new(
        Duration::hours(i64::from(config.session_hours.max(1))),
        config.secure_cookies,
    ));
    if store.count_users().await.map_err(StartError::Users)? == 0 {
        // No default password: whoever reads the server's log creates the first admin, through
        // any process (the database keeps the token's hash).
        let token = auth::random_token();
        store
            .add_setup_token(&auth::token_hash(&token))
            .await
            .map_err(StartError::Users)?;
        *auth.setup_token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
    }
    // Where the change log stands before the index is read: whatever other processes write
    // from here on is applied on top (twice at worst, which does no harm).
    let cursor = store.change_cursor().await.map_err(StartError::IndexLoad)?;
    let index = Arc::new(AccountIndex::default());
    index.load(
        &store
            .map_accounts(None)
            .await
            .map_err(StartError::IndexLoad)?,
    )?;
    http::scope::load_placing(&index, store.as_ref())
        .await
        .map_err(StartError::IndexLoad)?;
    // The offline gazetteer is built once, here, rather than on the first address.
    let _ = wilayah_shared::geocode::geocode("Jakarta");

    let leptos_options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build();
    let map_settings = MapSettings {
        tile_url: config.tile_url.clone(),
        tile_attribution: config.tile_attribution.clone(),
        center: (113.5, -3.5),
        zoom: 4.2,
    };
    let today: Arc<dyn Fn() -> UtcRange + Send + Sync> = {
        let offset = config.utc_offset;
        Arc::new(move || {
            local_day(local_date(offset), offset).expect("today is inside chrono's range")
        })
    };
    let replicas = Arc::new(replicas::Replicas::start(
        store.clone(),
        index.clone(),
        cursor,
    ));
    Ok(AppState {
        store: http::scope::Gate::new(store),
        index,
        replicas,
        map_feed: Arc::default(),
        utc_offset: config.utc_offset,
        leptos_options,
        map_settings,
        today,
        routing: RouteSettings {
            speed_kmh: config.route_speed_kmh,
            osrm_url: config.osrm_url.clone(),
        },
        cost_to_serve: CostToServe {
            rates: wilayah_shared::analytics::profitability::CostRates {
                technician_per_hour_minor: config.cost_technician_per_hour,
                per_km_minor: config.cost_per_km,
                case_per_hour_minor: config.cost_case_per_hour,
            },
            case_minutes: config.case_handling_minutes,
            speed_kmh: config.route_speed_kmh,
            contacts: wilayah_shared::campaigns::ContactRates {
                email_minor: config.cost_email_contact,
                call_minor: config.cost_call_contact,
                export_minor: config.cost_export_contact,
            },
        },
        auth,
        geocoder: Arc::new(geocoder::Geocoder::new(config.geocoder_url.clone())),
        mailer,
    })
}

/// Serves the application on `listener` until Ctrl-C / SIGTERM.
pub async fn serve(listener: TcpListener, state: AppState) -> Result<(), StartError> {
    axum::serve(
        listener,
        http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(StartError::Serve)
}

/// Prepares, binds and serves: what `wilayah` does.
pub async fn run(config: Config) -> Result<(), StartError> {
    let state = prepare(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    tracing::info!(database = %db::redact(&config.database_url), "ready");
    println!("Wilayah is running at http://{addr}/  (Ctrl-C to stop)");
    if let Some(token) = state
        .auth
        .setup_token
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        println!();
        println!("  No user exists yet. Create the first admin (this link works once):");
        println!("      http://{addr}/setup?token={token}");
        println!("  or from a shell: wilayah user add --email you@example.com --role admin");
        println!();
    }
    tokio::spawn(warm_map_feed(state.clone()));
    tokio::spawn(service_desk_every_minute(state.clone()));
    tokio::spawn(mailer::run(state.clone()));
    serve(listener, state).await
}

/// The service desk's minute (`docs/service.md`): every open case past a target's due time is
/// escalated, once per case and target; and the satisfaction surveys due (cases resolved,
/// visits done) are opened, once per case and visit, for the mailer to send.
async fn service_desk_every_minute(state: AppState) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(60));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = http::scope::escalate_overdue(&state, Utc::now()).await {
            tracing::warn!(error = %e, "the escalation check failed");
        }
        if let Err(e) = http::scope::open_due_surveys(&state, Utc::now()).await {
            tracing::warn!(error = %e, "opening the satisfaction surveys failed");
        }
    }
}

/// Clusters every customer and every prospect (the unfiltered dashboard of a manager or an
/// admin) in the background, so the first dashboard after a start does not wait for it.
async fn warm_map_feed(state: AppState) {
    for kind in AccountKind::ALL.iter().copied() {
        let query = AccountQuery {
            kind: Some(kind),
            ..AccountQuery::default()
        };
        if let Err(e) = state
            .map_feed
            .clusters(state.store.system().as_ref(), &query)
            .await
        {
            tracing::warn!(error = %e, "clustering the map's accounts ahead of time failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_local_day_runs_from_local_midnight_to_local_midnight() {
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let day = local_day(date, wib).unwrap();
        assert_eq!(day.from.to_rfc3339(), "2026-11-23T17:00:00+00:00");
        assert_eq!(day.to.to_rfc3339(), "2026-11-24T17:00:00+00:00");
        let utc = local_day(date, FixedOffset::east_opt(0).unwrap()).unwrap();
        assert_eq!(utc.from.to_rfc3339(), "2026-11-24T00:00:00+00:00");
        let west = local_day(date, FixedOffset::west_opt(3 * 3600 + 1800).unwrap()).unwrap();
        assert_eq!(west.from.to_rfc3339(), "2026-11-24T03:30:00+00:00");
    }

    #[test]
    fn days_at_the_edge_of_the_calendar_are_refused_not_overflowed() {
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        // East of UTC the first day starts before chrono's first instant; west of UTC the last
        // day ends after its last one.
        assert_eq!(local_day(NaiveDate::MIN, wib), None);
        let west = FixedOffset::west_opt(3600).unwrap();
        assert_eq!(local_day(NaiveDate::MAX, west), None);
        assert!(local_day(NaiveDate::MAX, wib).is_some());
        assert_eq!(parse_date("+262142-12-31"), None);
        assert_eq!(parse_date("-0001-01-01"), None);
        assert_eq!(parse_date("10000-01-01"), None);
        assert_eq!(
            parse_date("9999-12-31"),
            NaiveDate::from_ymd_opt(9999, 12, 31)
        );
        assert!(local_day(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(), wib).is_some());
    }

    #[test]
    fn offsets_parse_from_the_command_line_and_bad_ones_are_named() {
        let config = Config::parse_from(["wilayah", "--utc-offset", "+07:00"]);
        assert_eq!(config.utc_offset.local_minus_utc(), 7 * 3600);
        assert_eq!(Config::defaults().utc_offset.local_minus_utc(), 0);
        let refused = Config::try_parse_from(["wilayah", "--utc-offset", "7"]).unwrap_err();
        assert!(refused.to_string().contains("like +07:00"), "{refused}");
    }
}
