//! How soon a write through one replica reaches another (issue 19 item 1, docs/replicas.md):
//! two servers on one fresh database (each its own pool, index and change-log follower, in one
//! process here), then N writes through A's API — a third each creates, moves and deletes an
//! account — one at a time; for each, the time from A's answer until B's spatial index (what
//! nearby search reads) shows it, polled every millisecond. Prints the median, the 99th percentile
//! and the worst. A benchmark that prints figures, not a test:
//! `DATABASE_URL=postgres://… cargo run --release -p wilayah-tests --bin replica-bench [N]`
//! (without `DATABASE_URL`: one SQLite file, which the followers poll).

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::json;
use wilayah_tests::{TestApp, TestDatabase, created, id};

/// Longest wait for one write before the benchmark gives up.
const GIVE_UP: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    let writes: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let a = TestApp::start_with(|c| c.no_demo = true).await;
    let b = a.replica().await;
    println!(
        "{} writes through replica A, seen on replica B ({})",
        writes,
        TestDatabase::backend()
    );
    let mut delays = Vec::with_capacity(writes);
    // The account the last create or move wrote, with its version.
    let mut current: Option<(i64, i64)> = None;
    for i in 0..writes {
        let lon = 95.0 + (i as f64 * 0.013) % 45.0;
        let lat = -10.0 + (i as f64 * 0.007) % 15.0;
        // What B must show once the write reached it: the account at this position, or gone.
        let (watched, expected) = match (i % 3, current) {
            (1, Some((account, version))) => {
                let (status, moved) = a
                    .send_json(
                        "PATCH",
                        &format!("/api/v1/accounts/{account}"),
                        &json!({"version": version, "lon": lon, "lat": lat}),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{moved}");
                current = Some((account, moved["version"].as_i64().unwrap()));
                (account, Some((lon, lat)))
            }
            (2, Some((account, _))) => {
                let (status, body) = a
                    .send_json("DELETE", &format!("/api/v1/accounts/{account}"), &json!({}))
                    .await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
                current = None;
                (account, None)
            }
            _ => {
                let account = created(
                    &a,
                    "/api/v1/accounts",
                    json!({"name": format!("Toko {i}"), "kind": "customer", "lon": lon, "lat": lat}),
                )
                .await;
                current = Some((id(&account), account["version"].as_i64().unwrap()));
                (id(&account), Some((lon, lat)))
            }
        };
        let answered = Instant::now();
        loop {
            let seen = b
                .state
                .index
                .read(|index| {
                    index
                        .get(watched)
                        .map(|p| (p.position.lon(), p.position.lat()))
                })
                .flatten();
            let reached = match (seen, expected) {
                (Some((x, y)), Some((lon, lat))) => {
                    (x - lon).abs() < 1e-6 && (y - lat).abs() < 1e-6
                }
                (seen, expected) => seen.is_none() && expected.is_none(),
            };
            if reached {
                break;
            }
            assert!(
                answered.elapsed() < GIVE_UP,
                "write {i} did not reach replica B within {GIVE_UP:?}"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        delays.push(answered.elapsed());
    }
    delays.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = delays[delays.len() / 2];
    let p99 = delays[(delays.len() * 99 / 100).min(delays.len() - 1)];
    let worst = delays[delays.len() - 1];
    println!(
        "median {:.1} ms, 99th percentile {:.1} ms, worst {:.1} ms; B applied {} changes",
        ms(median),
        ms(p99),
        ms(worst),
        b.state.replicas.applied()
    );
}
