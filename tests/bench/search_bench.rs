//! The accounts list's search at scale: 100,000 accounts (each with an address) and 50,000
//! contacts (name, e-mail, phone) written straight into a fresh database, then
//! `GET /api/v1/accounts?q=…` through the in-process router as an admin (who sees every row),
//! each query 7 times; prints the median and the slowest. A benchmark that prints figures, not
//! a test: `cargo run --release -p wilayah-tests --bin search-bench [N]` (SQLite), with
//! `DATABASE_URL=postgres://…` for PostgreSQL.

use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection, SqliteConnection};
use wilayah_tests::TestApp;

const STREETS: [&str; 8] = [
    "Melati",
    "Sudirman",
    "Gatot Subroto",
    "Diponegoro",
    "Ahmad Yani",
    "Braga",
    "Pemuda",
    "Merdeka",
];
const CITIES: [&str; 6] = [
    "Bandung", "Jakarta", "Surabaya", "Medan", "Semarang", "Makassar",
];

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Conn {
    async fn open(url: &str) -> Conn {
        if url.starts_with("sqlite") {
            Conn::Sqlite(SqliteConnection::connect(url).await.expect("open SQLite"))
        } else {
            Conn::Postgres(PgConnection::connect(url).await.expect("open PostgreSQL"))
        }
    }

    async fn run(&mut self, sql: String) {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            Conn::Sqlite(c) => c.execute(sql).await.map(|_| ()),
            Conn::Postgres(c) => c.execute(sql).await.map(|_| ()),
        }
        .expect("insert bench rows");
    }
}

async fn fill(url: &str, accounts: usize) {
    let mut conn = Conn::open(url).await;
    let now = "'2026-01-01T00:00:00Z'";
    let first_id: i64 = 10_000_000;
    for chunk in (0..accounts).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                let street = STREETS[i % STREETS.len()];
                let city = CITIES[(i / 7) % CITIES.len()];
                let lon = 95.0 + (*i as f64 * 0.000_37) % 45.0;
                let lat = -10.0 + (*i as f64 * 0.000_11) % 15.0;
                format!(
                    "({}, 'Bench Toko {i}', 'customer', 'active', 'Jl. {street} No. {}, {city}', {lon:.6}, {lat:.6}, {now}, {now})",
                    first_id + *i as i64,
                    i % 300
                )
            })
            .collect();
        conn.run(format!(
            "INSERT INTO accounts (id, name, kind, status, address, lon, lat, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .await;
    }
    let contacts: Vec<usize> = (0..accounts).step_by(2).collect();
    for chunk in contacts.chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "({}, 'Kontak {i} Wibowo', 'k{i}@contoh.id', '+62 812-{:04}-{:04}', {now}, {now})",
                    first_id + *i as i64,
                    i / 10_000,
                    i % 10_000
                )
            })
            .collect();
        conn.run(format!(
            "INSERT INTO contacts (account_id, name, email, phone, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .await;
    }
    if let Conn::Postgres(c) = &mut conn {
        c.execute("ANALYZE").await.expect("analyze");
    }
}

#[tokio::main]
async fn main() {
    let accounts: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("a number of accounts"))
        .unwrap_or(100_000);
    let app = TestApp::start().await;
    let started = Instant::now();
    fill(&app.db.url, accounts).await;
    println!(
        "{} accounts and {} contacts written in {:.1} s ({})",
        accounts,
        accounts / 2,
        started.elapsed().as_secs_f64(),
        wilayah_tests::TestDatabase::backend()
    );
    let queries = [
        ("no search (baseline)", "/api/v1/accounts?limit=25"),
        ("a name", "/api/v1/accounts?limit=25&q=toko%2042424"),
        (
            "a street",
            "/api/v1/accounts?limit=25&q=jl.%20braga%20no.%2012",
        ),
        (
            "a contact's name",
            "/api/v1/accounts?limit=25&q=kontak%2077770%20wibowo",
        ),
        ("an e-mail", "/api/v1/accounts?limit=25&q=k31338%40contoh"),
        (
            "a phone, local form",
            "/api/v1/accounts?limit=25&q=0812%200004%202424",
        ),
        ("nothing matches", "/api/v1/accounts?limit=25&q=zzqqxx"),
        (
            "a common word, sorted by revenue",
            "/api/v1/accounts?limit=25&q=bandung&sort=-revenue",
        ),
    ];
    for (what, url) in queries {
        let mut times: Vec<Duration> = Vec::new();
        let mut total = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let (status, page) = app.get_json(url).await;
            times.push(t.elapsed());
            assert!(status.is_success(), "{url}: {page}");
            total = page["total"].as_i64().unwrap_or(-1);
        }
        times.sort();
        println!(
            "{what:<34} median {:>6.1} ms, slowest {:>6.1} ms ({total} matches)",
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0
        );
    }
}
