//! Start-up configuration: command-line flags, each also readable from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::FixedOffset;
use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "wilayah",
    version,
    about = "Wilayah, the map-first CRM: web server"
)]
pub struct Config {
    /// Database: `sqlite://path/to/file.db` (created on first start) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/wilayah.db",
        global = true
    )]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "WILAYAH_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Folder with the built site (wasm bundle, vendored MapLibre, basemap); made by scripts/build.sh.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Optional `{z}/{x}/{y}` raster tile URL drawn over the offline basemap (e.g. an OpenStreetMap
    /// tile server your deployment may use). Without it the map works fully offline.
    #[arg(long, env = "WILAYAH_TILE_URL")]
    pub tile_url: Option<String>,

    /// Attribution shown for `--tile-url` tiles (required by most tile providers).
    #[arg(long, env = "WILAYAH_TILE_ATTRIBUTION")]
    pub tile_attribution: Option<String>,

    /// Average travel speed for route planning with great-circle distances, km/h. The default
    /// (30) is urban driving in Indonesian cities: straight lines are shorter than roads, and
    /// traffic is slow, so the two roughly cancel out at this figure.
    #[arg(long, env = "WILAYAH_ROUTE_SPEED_KMH", default_value_t = 30.0)]
    pub route_speed_kmh: f64,

    /// Base URL of an OSRM-compatible routing server (`http://host:5000`): route planning then
    /// uses its `table` service for road distances and times, falling back to great-circle
    /// when it fails. Without it, great-circle at `--route-speed-kmh`.
    #[arg(long, env = "WILAYAH_OSRM_URL")]
    pub osrm_url: Option<String>,

    /// Base URL of a Nominatim-compatible geocoder (`http://nominatim:8080`): placing an
    /// account by address then asks it first, for street precision, and falls back to the
    /// offline gazetteer when it fails or finds nothing. Imports always use the gazetteer.
    #[arg(long, env = "WILAYAH_GEOCODER_URL")]
    pub geocoder_url: Option<String>,

    /// The deployment's time zone as an offset from UTC (`+07:00` WIB, `+08:00` WITA, `+09:00`
    /// WIT; Indonesia keeps no daylight saving time): which calendar day "today" is for the
    /// dashboard's visit figures and visits layer, and for the demo data. The technician's view
    /// plans with the device's own day.
    #[arg(long, env = "WILAYAH_UTC_OFFSET", default_value = "+00:00", value_parser = parse_utc_offset)]
    pub utc_offset: FixedOffset,

    /// Cost to serve (profitability, docs/analytics.md): a technician's hour, on site and
    /// travelling, in minor units of the orders' currency (rupiah are whole: 75000 = Rp 75.000).
    #[arg(
        long,
        env = "WILAYAH_COST_TECHNICIAN_PER_HOUR",
        default_value_t = 75_000
    )]
    pub cost_technician_per_hour: i64,

    /// Cost to serve: vehicle cost per kilometre travelled, minor units.
    #[arg(long, env = "WILAYAH_COST_PER_KM", default_value_t = 2_500)]
    pub cost_per_km: i64,

    /// Cost to serve: an hour of case handling, minor units.
    #[arg(long, env = "WILAYAH_COST_CASE_PER_HOUR", default_value_t = 60_000)]
    pub cost_case_per_hour: i64,

    /// Campaign cost per e-mail sent, minor units, for campaigns without a budget (a campaign
    /// with one spreads it over the contacts it made).
    #[arg(long, env = "WILAYAH_COST_EMAIL_CONTACT", default_value_t = 500)]
    pub cost_email_contact: i64,

    /// Campaign cost per call listed (a rep's few minutes on the phone), minor units.
    #[arg(long, env = "WILAYAH_COST_CALL_CONTACT", default_value_t = 15_000)]
    pub cost_call_contact: i64,

    /// Campaign cost per exported contact (an SMS or WhatsApp message, a letter), minor units.
    #[arg(long, env = "WILAYAH_COST_EXPORT_CONTACT", default_value_t = 1_000)]
    pub cost_export_contact: i64,

    /// Cost to serve: how long handling one case takes, minutes (cases record no time spent).
    #[arg(long, env = "WILAYAH_CASE_HANDLING_MINUTES", default_value_t = 45)]
    pub case_handling_minutes: u32,

    /// Do not fill an empty database with demo data on start.
    #[arg(long, env = "WILAYAH_NO_DEMO")]
    pub no_demo: bool,

    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "WILAYAH_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,

    /// SMTP server e-mail campaigns are sent through: `smtp://host:port` (plain SMTP, e.g. a
    /// relay on the same host or network), with `user:password@` when it asks for a login.
    /// Without it, e-mail campaigns launch but their e-mails wait, pending, until one is set.
    #[arg(long, env = "WILAYAH_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// The sender of campaign e-mails.
    #[arg(
        long,
        env = "WILAYAH_SMTP_FROM",
        default_value = "Wilayah <noreply@localhost>"
    )]
    pub smtp_from: String,

    /// At most this many campaign e-mails a minute (sending is throttled, one at a time).
    #[arg(long, env = "WILAYAH_SMTP_PER_MINUTE", default_value_t = 60)]
    pub smtp_per_minute: u32,

    /// The address people reach this server at, for links in e-mails (the unsubscribe link):
    /// `https://crm.example.co.id`. Defaults to `http://` and `--listen`.
    #[arg(long, env = "WILAYAH_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Mark cookies `Secure` always (they are anyway when a proxy sends `X-Forwarded-Proto:
    /// https`). Set it when the server is only reached over TLS.
    #[arg(long, env = "WILAYAH_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

/// `+07:00`, `-03:30`, `+0700` or `Z`.
fn parse_utc_offset(text: &str) -> Result<FixedOffset, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("z") {
        return Ok(FixedOffset::east_opt(0).expect("zero is an offset"));
    }
    text.parse::<FixedOffset>()
        .map_err(|_| format!("{text:?} is not an offset from UTC like +07:00"))
}

impl Config {
    /// The defaults, as a fresh `wilayah` with no flags and no environment would use them.
    pub fn defaults() -> Self {
        Config::parse_from(["wilayah"])
    }
}
