//! The `wilayah` binary's import and export subcommands on a temporary SQLite database: a file
//! goes in, the export gives it back, and a bad file fails with row-numbered errors and a
//! non-zero exit code, writing nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A folder of its own for one test, removed afterwards.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("wilayah-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wilayah(dir: &Path, args: &[&str]) -> Output {
    let url = format!("sqlite://{}", dir.join("crm.db").display());
    Command::new(env!("CARGO_BIN_EXE_wilayah"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const ACCOUNTS: &str = "\
external_id,name,kind,status,segment,address,lon,lat,owner_id,territory_id,revenue_minor,cost_to_serve_minor,currency,acquired_on,tags
C-1,\"Toko \"\"Maju\"\", Jaya\",customer,at_risk,retail,\"Jl. Sudirman 1
Jakarta\",106.8272,-6.1754,,,25000000,1250000,IDR,2024-02-29,vip;a\\;b
P-2,Warung Sari,prospect,new,,,110.3695,-7.7956,,,0,0,IDR,,
";

#[test]
fn accounts_go_in_and_come_back_out_unchanged() {
    let dir = TempDir::new("accounts");
    let file = dir.file("accounts.csv", ACCOUNTS);
    let out = wilayah(&dir.0, &["import", "accounts", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("imported 2 accounts"),
        "{}",
        text(&out.stderr)
    );

    let exported = dir.0.join("out.csv");
    let out = wilayah(
        &dir.0,
        &["export", "accounts", "--output", exported.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&exported).unwrap(), ACCOUNTS);

    // GeoJSON to standard output, then back in under new external ids.
    let out = wilayah(&dir.0, &["export", "accounts", "--format", "geojson"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let geojson = text(&out.stdout)
        .replace("\"C-1\"", "\"C-9\"")
        .replace("\"P-2\"", "\"P-9\"");
    let file = dir.file("again.geojson", &geojson);
    let out = wilayah(&dir.0, &["import", "accounts", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn a_bad_file_fails_with_row_numbers_and_writes_nothing() {
    let dir = TempDir::new("bad");
    let bad = dir.file("bad.csv", "name,lon,lat\nA,106,-6\nB,106,-95\nC,,1\n");
    let out = wilayah(&dir.0, &["import", "accounts", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("row 2, lat: latitude -95 is outside"),
        "{stderr}"
    );
    assert!(stderr.contains("row 3, lon: is required"), "{stderr}");

    let good = dir.file("good.csv", "name,lon,lat\nA,106,-6\n");
    let out = wilayah(
        &dir.0,
        &["import", "accounts", "--dry-run", good.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 accounts are valid"),
        "{}",
        text(&out.stderr)
    );

    let out = wilayah(&dir.0, &["export", "accounts"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "only the header: nothing was written"
    );

    let unknown = dir.file("accounts.txt", "name,lon,lat\n");
    let out = wilayah(&dir.0, &["import", "accounts", unknown.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--format"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn territories_go_in_and_come_back_out() {
    let dir = TempDir::new("territories");
    let square = r#"{"type":"Polygon","coordinates":[[[106.0,-7.0],[107.0,-7.0],[107.0,-6.0],[106.0,-6.0],[106.0,-7.0]]]}"#;
    let collection = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"Jakarta"}},"geometry":{square}}}]}}"#
    );
    let file = dir.file("territories.geojson", &collection);
    let out = wilayah(&dir.0, &["import", "territories", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = wilayah(&dir.0, &["export", "territories"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(exported["features"][0]["properties"]["name"], "Jakarta");
    let expected: serde_json::Value = serde_json::from_str(square).unwrap();
    assert_eq!(exported["features"][0]["geometry"], expected);

    // The same name again is refused, naming the feature.
    let out = wilayah(&dir.0, &["import", "territories", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("row 1, name:"),
        "{}",
        text(&out.stderr)
    );
}

/// `wilayah user add` with the password on standard input (or in WILAYAH_PASSWORD).
fn add_user(dir: &Path, args: &[&str], password: &str) -> Output {
    use std::io::Write;
    let url = format!("sqlite://{}", dir.join("crm.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_wilayah"))
        .arg("--database-url")
        .arg(url)
        .args(["user", "add"])
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("WILAYAH_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn users_are_added_from_the_command_line_with_a_password_from_stdin() {
    let dir = TempDir::new("users");
    let out = add_user(
        &dir.0,
        &["--email", "Boss@Example.com", "--role", "admin"],
        "a long enough password",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("boss@example.com"),
        "{}",
        text(&out.stderr)
    );

    let out = add_user(
        &dir.0,
        &["--email", "x@example.com", "--role", "admin"],
        "short",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("password"),
        "{}",
        text(&out.stderr)
    );
    let out = add_user(
        &dir.0,
        &["--email", "rep@example.com", "--role", "sales_rep"],
        "a long enough password",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("staff_id"),
        "{}",
        text(&out.stderr)
    );
    let out = add_user(
        &dir.0,
        &["--email", "boss@example.com", "--role", "admin"],
        "a long enough password",
    );
    assert!(!out.status.success(), "the e-mail is taken");
}

/// The CDNOW sample (shared/tests/data, see NOTICE.md) as the files a user would import: one
/// account per customer, one order per purchase record, prices in US cents.
fn cdnow_files(dir: &TempDir) -> (PathBuf, PathBuf) {
    let sample = include_str!("../../shared/tests/data/cdnow_sample.txt");
    let mut accounts = String::from("external_id,name,kind,lon,lat\n");
    let mut orders = String::from(
        "account_external_id,order_date,external_order_id,sku,quantity,unit_price_minor,currency\n",
    );
    let mut customers = std::collections::BTreeSet::new();
    for (n, line) in sample.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (customer, date, dollars) = (f[0], f[2], f[4]);
        if customers.insert(customer.to_owned()) {
            accounts.push_str(&format!(
                "CD{customer},Customer {customer},customer,106.8,-6.2\n"
            ));
        }
        let cents = (dollars.parse::<f64>().unwrap() * 100.0).round() as i64;
        let date = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
        orders.push_str(&format!("CD{customer},{date},L{n},CD,1,{cents},USD\n"));
    }
    (
        dir.file("accounts.csv", &accounts),
        dir.file("orders.csv", &orders),
    )
}

#[test]
fn analytics_fit_on_imported_cdnow_orders_gives_the_published_parameters() {
    let dir = TempDir::new("analytics-fit");
    let (accounts, orders) = cdnow_files(&dir);
    for (what, file) in [("accounts", &accounts), ("orders", &orders)] {
        let out = wilayah(&dir.0, &["import", what, file.to_str().unwrap()]);
        assert!(out.status.success(), "import {what}: {}", text(&out.stderr));
    }
    let out = wilayah(
        &dir.0,
        &[
            "analytics",
            "fit",
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["unit"], "week");
    assert_eq!(report["customers"], 2357);
    // Fader, Hardie & Lee (2005); Fader & Hardie (2013): γ in dollars.
    for (model, name, published) in [
        ("bgnbd", "r", 0.2426),
        ("bgnbd", "alpha", 4.414),
        ("bgnbd", "a", 0.7929),
        ("bgnbd", "b", 2.426),
        ("gamma_gamma", "p", 6.25),
        ("gamma_gamma", "q", 3.74),
        ("gamma_gamma", "v", 15.44),
    ] {
        let got = report[model][name].as_f64().expect("a number");
        assert!(
            (got - published).abs() / published <= 0.005,
            "{model}.{name} = {got}, published {published}"
        );
    }
    // The 39 holdout weeks: the repeat purchase days in the sample, and the model's expectation
    // as the library computes it on the same data (shared/tests/analytics_cdnow.rs).
    assert_eq!(report["holdout"]["actual"], 1882, "{report}");
    let predicted = report["holdout"]["predicted"].as_f64().unwrap();
    assert!((predicted - 1653.0).abs() / 1653.0 <= 0.005, "{report}");

    // Too short a calibration window is refused with a message, not a panic.
    let out = wilayah(
        &dir.0,
        &["analytics", "fit", "--calibration-end", "1997-01-02"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("customers"),
        "{}",
        text(&out.stderr)
    );
}
