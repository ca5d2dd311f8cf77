//! The lifetime-value models on the CDNOW sample against the published fits (Fader, Hardie & Lee
//! 2005; Fader & Hardie 2013). Data: tests/data/cdnow_sample.txt (see NOTICE.md).

use chrono::NaiveDate;
use wilayah_shared::analytics::{Purchase, fit_report, summarise};

fn cdnow() -> Vec<Purchase> {
    let text = include_str!("data/cdnow_sample.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let dollars: f64 = f[4].parse().unwrap();
            Purchase {
                customer: f[0].parse().unwrap(),
                day: NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap(),
                amount_minor: (dollars * 100.0).round() as i64,
            }
        })
        .collect()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn assert_within(name: &str, got: f64, published: f64, tolerance: f64) {
    let rel = (got - published).abs() / published;
    assert!(
        rel <= tolerance,
        "{name}: fitted {got}, published {published} ({:.3} % off)",
        rel * 100.0
    );
}

#[test]
fn cdnow_fits_equal_the_published_parameters() {
    let report = fit_report(&cdnow(), day("1997-09-30"), Some(day("1998-06-30"))).unwrap();
    assert_eq!(report.customers, 2357);
    let bg = report.bgnbd;
    assert_within("r", bg.r, 0.2426, 0.005);
    assert_within("alpha", bg.alpha, 4.414, 0.005);
    assert_within("a", bg.a, 0.7929, 0.005);
    assert_within("b", bg.b, 2.426, 0.005);
    let gg = report.gamma_gamma;
    assert_within("p", gg.p, 6.25, 0.005);
    assert_within("q", gg.q, 3.74, 0.005);
    // γ in cents; published in dollars.
    assert_within("gamma", gg.v / 100.0, 15.44, 0.005);
    let holdout = report.holdout.unwrap();
    assert_eq!(holdout.actual, 1882);
    assert_within("holdout prediction", holdout.predicted, 1653.0, 0.005);
    eprintln!("{}", serde_json::to_string(&report).unwrap());
}

#[test]
fn cdnow_summary_has_the_published_shape() {
    let s = summarise(&cdnow(), day("1997-09-30"), None).unwrap();
    assert_eq!(s.len(), 2357);
    // 946 of the 2,357 customers made a repeat purchase in the calibration period (Fader & Hardie 2013).
    assert_eq!(s.iter().filter(|c| c.frequency > 0).count(), 946);
}
