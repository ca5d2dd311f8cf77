//! Lifetime-value model speed: the BG/NBD (and Gamma-Gamma) fit on 23,570 customers (ten times
//! the CDNOW sample, simulated from its published parameters) and scoring 1,000,000 customers
//! (P(alive), expected purchases, CLV). `cargo bench -p wilayah-shared --bench analytics
//! [-- --runs 5]`. See docs/analytics.md.

use chrono::NaiveDate;
use std::time::Instant;
use wilayah_shared::analytics::simulate::{Simulation, simulate};
use wilayah_shared::analytics::{
    BgNbdParams, ClvSettings, GammaGammaParams, Scorer, bgnbd, gamma_gamma, summarise,
};

fn main() {
    let mut runs = 5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--runs takes a count");
        }
    }
    let bg = BgNbdParams {
        r: 0.2426,
        alpha: 4.414,
        a: 0.7929,
        b: 2.426,
    };
    let gg = GammaGammaParams {
        p: 6.25,
        q: 3.74,
        v: 1544.0,
    };
    let start = NaiveDate::from_ymd_opt(1997, 1, 1).unwrap();
    let calibration_end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();

    let purchases = simulate(
        &Simulation {
            customers: 23_570,
            start,
            acquisition_days: 90,
            observed_days: 272,
            seed: 1,
        },
        &bg,
        &gg,
    );
    let customers = summarise(&purchases, calibration_end, None).unwrap();
    let spend = gamma_gamma::fitting_data(&customers);
    let (mut summarise_ms, mut fit_ms, mut gg_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut fitted = None;
    for _ in 0..runs {
        let t = Instant::now();
        let again = summarise(&purchases, calibration_end, None).unwrap();
        summarise_ms.push(ms(t));
        assert_eq!(again.len(), customers.len());
        let t = Instant::now();
        fitted = Some(bgnbd::fit(&customers).unwrap());
        fit_ms.push(ms(t));
        let t = Instant::now();
        gamma_gamma::fit(&spend).unwrap();
        gg_ms.push(ms(t));
    }
    println!(
        "fit: {} customers ({} purchases, {} with repeats): summarise {:.1} ms, BG/NBD fit {:.1} ms, Gamma-Gamma fit {:.1} ms (median of {runs})",
        customers.len(),
        purchases.len(),
        spend.len(),
        median(&mut summarise_ms),
        median(&mut fit_ms),
        median(&mut gg_ms)
    );
    println!("  fitted {:?}", fitted.unwrap());

    // Scoring: customers acquired over 90 days (CDNOW-like), and over ten years, where far
    // fewer customers share an (x, T) pair and the series are summed far more often.
    for (label, acquisition_days, observed_days) in
        [("90 days", 90, 272), ("ten years", 3650, 3652)]
    {
        let sim = Simulation {
            customers: 1_000_000,
            start,
            acquisition_days,
            observed_days,
            seed: 2,
        };
        let end = start + chrono::Days::new(observed_days as u64);
        let many = summarise(&simulate(&sim, &bg, &gg), end, None).unwrap();
        let mut pairs: Vec<(u32, u32)> = many.iter().map(|c| (c.frequency, c.age_days)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        let mut score_ms = Vec::new();
        let mut total_clv = 0.0;
        for _ in 0..runs.min(3) {
            let t = Instant::now();
            let mut scorer = Scorer::new(bg, gg, ClvSettings::default()).unwrap();
            total_clv = many.iter().map(|c| scorer.score(c).clv_minor).sum::<f64>();
            score_ms.push(ms(t));
        }
        println!(
            "score: {} customers acquired over {label} ({} distinct (x, T in days)), P(alive), expected purchases and CLV over 12 monthly periods: {:.0} ms (median of {}), mean CLV {:.0} minor units",
            many.len(),
            pairs.len(),
            median(&mut score_ms),
            runs.min(3),
            total_clv / many.len() as f64
        );
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
