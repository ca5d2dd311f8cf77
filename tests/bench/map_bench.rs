//! The map at scale, in headless Chromium: how long from navigation to the map's first `idle`
//! with the accounts loaded (clustered by the server for the view) and drawn, then how long a zoom
//! into a city takes to settle. A benchmark that prints figures, not a test;
//! `scripts/map-bench.sh` prepares the data and the release server and runs it.
//!
//! `map-bench csv N` writes N synthetic accounts (around real Indonesian places, deterministic) as
//! an import CSV to standard output. `map-bench measure URL [RUNS]` signs in (as the user in
//! `WILAYAH_BENCH_EMAIL` / `WILAYAH_PASSWORD`) and opens URL RUNS times, each in a fresh browser
//! profile, and prints the time from navigation to first idle and the features loaded. The sign-in
//! page loads the app's scripts and wasm first, so those come from the browser cache; the account
//! feeds never do.

use std::time::Duration;

use serde_json::Value;
use wilayah_shared::rng::SplitMix64;
use wilayah_tests::browser::{connect_sized, sign_in, start_chromedriver, wait_for_js};

const PLACES: &str = wilayah_shared::geocode::GEONAMES_ID_PLACES_CSV;

fn write_csv(count: usize) {
    let places: Vec<(f64, f64)> = PLACES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cells = line.split(',');
            let _name = cells.next()?;
            let lat: f64 = cells.next()?.parse().ok()?;
            let lon: f64 = cells.next()?.parse().ok()?;
            Some((lon, lat))
        })
        .collect();
    let mut rng = SplitMix64::new(100_000);
    let mut out = String::with_capacity(count * 64);
    out.push_str("name,kind,status,lon,lat,revenue_minor,segment\n");
    for i in 0..count {
        let (lon, lat) = *rng.pick(&places);
        // Within about 5 km of the place.
        let dlon = (rng.unit() - 0.5) * 0.09;
        let dlat = (rng.unit() - 0.5) * 0.09;
        let (kind, status) = if rng.unit() < 0.6 {
            ("customer", "active")
        } else {
            ("prospect", "new")
        };
        let revenue = if kind == "customer" {
            rng.below(500_000_000) as u64
        } else {
            0
        };
        out.push_str(&format!(
            "Bench account {i},{kind},{status},{:.6},{:.6},{revenue},retail\n",
            (lon + dlon).clamp(-180.0, 180.0),
            (lat + dlat).clamp(-90.0, 90.0)
        ));
    }
    print!("{out}");
}

async fn measure(url: &str, runs: usize) {
    let driver = start_chromedriver();
    let mut idle_ms = Vec::with_capacity(runs);
    for run in 1..=runs {
        let client = connect_sized(&driver, 1280, 800).await;
        let email = std::env::var("WILAYAH_BENCH_EMAIL").expect("WILAYAH_BENCH_EMAIL");
        let password = std::env::var("WILAYAH_PASSWORD").expect("WILAYAH_PASSWORD");
        client
            .goto(&format!("{}/login", url.trim_end_matches('/')))
            .await
            .expect("open the login page");
        sign_in(&client, &email, &password).await;
        wait_for_js(
            &client,
            "the dashboard after signing in",
            "return location.pathname === '/' && document.querySelector('#map') !== null",
        )
        .await;
        client.goto(url).await.expect("open the dashboard");
        let ms = wait_for_js(
            &client,
            "the map's first idle",
            "const m = document.querySelector('#map[data-map-idle-ms]'); return m && Number(m.dataset.mapIdleMs);",
        )
        .await
        .as_f64()
        .expect("a time");
        let loaded: Value = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 Promise.all(['customers', 'prospects'].map(id => window.wilayahMap.getSource(id).getData()))
                   .then(sources => {
                     const features = sources.flatMap(s => s.features);
                     const accounts = features.reduce((n, f) => n + (f.properties.point_count || 1), 0);
                     done(`${features.length} features standing for ${accounts} accounts`);
                   }).catch(e => done(String(e)));",
                vec![],
            )
            .await
            .expect("count the loaded points");
        // Then a zoom into the densest place (Jakarta) down to single accounts.
        let zoom_ms = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const map = window.wilayahMap;
                 const started = performance.now();
                 map.once('idle', () => done(performance.now() - started));
                 map.jumpTo({ center: [106.83, -6.2], zoom: 13 });",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN);
        println!(
            "run {run}: first idle {ms:.0} ms after navigation ({}); zoom to Jakarta at 13: idle after {zoom_ms:.0} ms",
            loaded.as_str().unwrap_or_default()
        );
        idle_ms.push(ms);
        let _ = client.close().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    idle_ms.sort_by(f64::total_cmp);
    println!(
        "first idle: median {:.0} ms, min {:.0} ms, max {:.0} ms over {runs} runs",
        idle_ms[idle_ms.len() / 2],
        idle_ms[0],
        idle_ms[idle_ms.len() - 1]
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["csv", count] => write_csv(count.parse().expect("a number of accounts")),
        ["measure", url] => measure(url, 3).await,
        ["measure", url, runs] => measure(url, runs.parse().expect("a number of runs")).await,
        _ => {
            eprintln!("usage: map-bench csv N | map-bench measure URL [RUNS]");
            std::process::exit(2);
        }
    }
}
