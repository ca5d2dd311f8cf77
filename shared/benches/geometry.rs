//! How long the self-intersection check of one polygon takes (`Region::from_coords`, the strict
//! check every drawn or imported territory, draft, validation and `within` filter goes through)
//! on outlines built to be hard for it:
//! - a comb of 80,000 edges whose teeth all span the full width (every x-range overlaps every
//!   other: what made the old sweep over x-ranges quadratic; issue 13),
//! - a circle of 80,000 edges (ordinary: few edges share any range),
//! - a zigzag of 50,000 long, nearly parallel diagonal strokes (the per-polygon cap), whose
//!   x-ranges and bounding boxes all overlap: quadratic for a sweep over x-ranges and for an
//!   R-tree of edge boxes alike.
//!
//! Prints the best of `--runs` (default 3) per shape.
//!
//!     cargo bench -p wilayah-shared --bench geometry

use std::time::{Duration, Instant};

use wilayah_shared::spatial::Region;

fn comb(edges: usize) -> Vec<[f64; 2]> {
    let teeth = (edges - 2) / 2;
    let mut ring = Vec::with_capacity(edges + 1);
    for i in 0..teeth {
        let y = i as f64 * 1e-4;
        ring.push([100.0, y]);
        ring.push([101.0, y + 0.5e-4]);
    }
    ring.push([99.9, teeth as f64 * 1e-4]);
    ring.push([99.9, 0.0]);
    ring.push(ring[0]);
    ring
}

fn circle(edges: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..edges)
        .map(|i| {
            let a = i as f64 / edges as f64 * std::f64::consts::TAU;
            [106.0 + a.cos(), -6.0 + a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

fn zigzag(edges: usize) -> Vec<[f64; 2]> {
    let strokes = (edges - 2) / 2;
    let step = 1e-5;
    let mut ring = Vec::with_capacity(edges + 1);
    for i in 0..strokes {
        let x = i as f64 * step;
        ring.push([100.0 + x, 0.0]);
        ring.push([101.0 + x, 1.0]);
    }
    let end = strokes as f64 * step;
    ring.push([101.0 + end, 1.0]);
    ring.push([100.0 + end, -0.1]);
    ring.push([99.9, -0.1]);
    ring.push(ring[0]);
    ring
}

fn best_of(runs: usize, ring: &[[f64; 2]]) -> (Duration, bool) {
    let polygons = vec![vec![ring.to_vec()]];
    let mut best = Duration::MAX;
    let mut valid = false;
    for _ in 0..runs {
        let started = Instant::now();
        valid = Region::from_coords(&polygons).is_ok();
        best = best.min(started.elapsed());
    }
    (best, valid)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for (name, ring) in [
        ("comb, 80,000 edges", comb(80_000)),
        ("circle, 80,000 edges", circle(80_000)),
        ("diagonal zigzag, 20,000 edges", zigzag(20_000)),
        ("diagonal zigzag, 50,000 edges", zigzag(50_000)),
    ] {
        let (time, valid) = best_of(runs, &ring);
        println!(
            "{name:<32} {:>10.1} ms  ({} positions, {})",
            time.as_secs_f64() * 1000.0,
            ring.len(),
            if valid { "valid" } else { "refused" }
        );
    }
}
