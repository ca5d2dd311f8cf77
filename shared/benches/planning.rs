//! Territory balancing on real boundaries: the 3,231 US counties (atoms, adjacent where they
//! share an edge, islands joined by sea links) split into 50 territories, balancing (a) the
//! GeoNames places in each county as a synthetic account load, (b) the visit hours of those
//! accounts, (c) the county count. Prints max/min and the coefficient of variation before
//! (grown districts) and after the local search, the moves and the time. The demo data's
//! figures come from the server's test `planning_service::tests` (it needs the demo generator).
//!
//!     cargo bench -p wilayah-shared --bench planning
//!     cargo bench -p wilayah-shared --bench planning -- --seconds 5 --districts 50

use std::collections::HashMap;
use std::time::{Duration, Instant};

use geo::{Area, Centroid, MultiPolygon};
use wilayah_shared::LonLat;
use wilayah_shared::planning::{
    Atom, BalanceOptions, Measure, balance, connect_components, shared_edge_adjacency,
};
use wilayah_shared::routing::Budget;
use wilayah_shared::spatial::{Region, Territory, TerritoryIndex};

const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");

#[path = "support/args.rs"]
mod args;
use args::arg;

struct County {
    polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

fn counties() -> Vec<County> {
    let text =
        std::fs::read_to_string(format!("{DATA_DIR}/us-counties-10m.geojson")).expect("counties");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("GeoJSON");
    doc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| County {
            polygons: wilayah_shared::geojson::area_coordinates(
                &f["geometry"].to_string(),
                "geometry",
            )
            .expect("an area"),
        })
        .collect()
}

fn places() -> Vec<LonLat> {
    let text =
        std::fs::read_to_string(format!("{DATA_DIR}/us-cities-geonames.csv")).expect("places");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.rsplitn(4, ',');
            let _state = f.next()?;
            let lng: f64 = f.next()?.parse().ok()?;
            let lat: f64 = f.next()?.parse().ok()?;
            LonLat::new(lng, lat).ok()
        })
        .collect()
}

fn counties_bench(k: usize, seconds: f64) {
    let started = Instant::now();
    let counties = counties();
    let regions: Vec<Region> = counties
        .iter()
        .map(|c| Region::from_coords_lenient(&c.polygons).expect("county"))
        .collect();
    let shapes: Vec<MultiPolygon<f64>> = regions.iter().map(Region::to_multi_polygon).collect();
    let index = TerritoryIndex::new(
        regions
            .iter()
            .enumerate()
            .map(|(i, r)| Territory::new(i as i64, None, r.clone()))
            .collect(),
    )
    .expect("index");
    let places = places();
    let report = index.assign_all(places.iter().enumerate().map(|(i, p)| (i as i64, *p)));
    let mut per_county: HashMap<i64, f64> = HashMap::new();
    for (_, county) in &report.assigned {
        *per_county.entry(*county).or_default() += 1.0;
    }
    let mut atoms: Vec<Atom> = shapes
        .iter()
        .enumerate()
        .map(|(i, mp)| {
            let c = mp.centroid().map_or([0.0, 0.0], |p| [p.x(), p.y()]);
            Atom {
                position: c,
                area_km2: mp.unsigned_area() * 111.32 * 110.574 * c[1].to_radians().cos(),
                accounts: per_county.get(&(i as i64)).copied().unwrap_or(0.0),
                revenue: 0.0,
            }
        })
        .collect();
    let mut adjacency = shared_edge_adjacency(&shapes);
    let positions: Vec<[f64; 2]> = atoms.iter().map(|a| a.position).collect();
    let bridges = connect_components(&mut adjacency, &positions);
    println!(
        "US counties: {} counties, {} places in them, {} sea/island links added, prepared in {:.0} ms",
        atoms.len(),
        report.assigned.len(),
        bridges.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let run = |label: &str, atoms: &[Atom], measure: Measure| {
        let t0 = Instant::now();
        let mut clock = move || t0.elapsed();
        let mut budget = Budget::iterations(u64::MAX)
            .with_time_limit(Duration::from_secs_f64(seconds), &mut clock);
        let options = BalanceOptions {
            measure,
            seed: 7,
            compactness_weight: arg("--weight", BalanceOptions::default().compactness_weight),
            ..BalanceOptions::default()
        };
        let r = balance(atoms, &adjacency, k, None, options, &mut budget).expect("balance");
        let worst_shape = r.compactness.iter().copied().fold(0.0, f64::max);
        println!(
            "  {label:<34} → {k}: max/min {:.3} → {:.3}, CV {:.3} → {:.3}, {} moves, {} iterations, worst compactness {:.1}, {:.2} s",
            r.start_spread,
            r.spread,
            r.start_cv,
            r.cv,
            r.moves,
            r.iterations,
            worst_shape,
            t0.elapsed().as_secs_f64()
        );
    };
    run("places as accounts (count)", &atoms, Measure::Accounts);
    run(
        "places as accounts (visit hours)",
        &atoms,
        Measure::VisitHours,
    );
    for a in &mut atoms {
        a.accounts = 1.0;
    }
    run("county count", &atoms, Measure::Accounts);
}

fn main() {
    // `cargo bench` passes --bench; only our own flags are read.
    let seconds = arg("--seconds", 3.0);
    let k: usize = arg("--districts", 50);
    counties_bench(k, seconds);
}
