//! Spatial engine benchmark: 1,000,000 synthetic customers spread like real US cities and the
//! 3,231 Census county polygons. Prints bulk-load time, k=10 nearest and 5 km radius latencies,
//! assignment throughput and memory per point (measured by a counting allocator).
//!
//!   cargo bench -p wilayah-shared --bench spatial [-- --points N] [-- --export DIR] [-- --no-assign]
//!
//! `--export DIR` also writes the points, query centres and counties as CSV plus our figures,
//! for `scripts/postgis-bench.sh` to run the same workload on PostGIS.

#[path = "../tests/spatial_support/mod.rs"]
mod spatial_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wilayah_shared::LonLat;
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::spatial::{Filter, IndexedPoint, PointAttrs, PointIndex, TerritoryIndex};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// SplitMix64 plus a standard normal draw (Box–Muller) for the city scatter.
struct Rng(SplitMix64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn unit(&mut self) -> f64 {
        self.0.unit()
    }
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Cities with a heavy-tailed (log-normal) weight and a scatter of 2–30 km growing with it.
struct CityModel {
    centres: Vec<LonLat>,
    sigma_km: Vec<f64>,
    cumulative: Vec<f64>,
}

impl CityModel {
    fn new(rng: &mut Rng) -> Self {
        let places = spatial_support::us_places();
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(places.len());
        let mut sigma_km = Vec::with_capacity(places.len());
        for _ in &places {
            let w = (1.5 * rng.normal()).exp();
            total += w;
            cumulative.push(total);
            sigma_km.push((2.0 * w.sqrt()).clamp(2.0, 30.0));
        }
        Self {
            centres: places.iter().map(|p| p.position).collect(),
            sigma_km,
            cumulative,
        }
    }

    fn sample(&self, rng: &mut Rng) -> LonLat {
        let target = rng.unit() * self.cumulative[self.cumulative.len() - 1];
        let i = self
            .cumulative
            .partition_point(|&c| c < target)
            .min(self.centres.len() - 1);
        let c = self.centres[i];
        let s = self.sigma_km[i];
        let lat = (c.lat() + rng.normal() * s / 111.195).clamp(-90.0, 90.0);
        let mut lon = c.lon() + rng.normal() * s / (111.195 * c.lat().to_radians().cos().max(0.05));
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        LonLat::new(lon, lat).expect("in range")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

// One query per call, never inlined, so `valgrind --tool=callgrind --toggle-collect='*knn_one*'`
// (or `*knn_filtered_one*`, `*radius_one*`) counts the instructions of the queries alone.
#[inline(never)]
fn knn_one(index: &PointIndex, c: LonLat) -> Vec<wilayah_shared::spatial::Hit> {
    index.nearest(c, 10, Filter::default())
}

#[inline(never)]
fn knn_filtered_one(
    index: &PointIndex,
    c: LonLat,
    filter: &Filter,
) -> Vec<wilayah_shared::spatial::Hit> {
    index.nearest(c, 10, filter.clone())
}

#[inline(never)]
fn radius_one(index: &PointIndex, c: LonLat) -> Vec<wilayah_shared::spatial::Hit> {
    index.within_radius(c, 5_000.0).expect("valid radius")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: usize = arg("--points")
        .map(|s| s.parse().expect("--points N"))
        .unwrap_or(1_000_000);
    let export = arg("--export");
    let queries = 10_000;

    let mut rng = Rng(SplitMix64::new(0x5EED_2026));
    let model = CityModel::new(&mut rng);
    let statuses = [
        AccountStatus::Active,
        AccountStatus::AtRisk,
        AccountStatus::New,
        AccountStatus::Contacted,
    ];
    let positions: Vec<LonLat> = (0..n).map(|_| model.sample(&mut rng)).collect();
    let points: Vec<IndexedPoint> = positions
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let r = rng.next_u64();
            IndexedPoint::new(
                i as i64 + 1,
                p,
                PointAttrs {
                    kind: if r & 1 == 0 {
                        AccountKind::Customer
                    } else {
                        AccountKind::Prospect
                    },
                    status: statuses[(r >> 1) as usize % statuses.len()],
                    owner: if r & (1 << 8) != 0 {
                        Some(((r >> 9) % 50) as i64 + 1)
                    } else {
                        None
                    },
                    visited: r & (1 << 20) != 0,
                },
            )
        })
        .collect();
    let centres: Vec<LonLat> = (0..queries).map(|_| model.sample(&mut rng)).collect();

    println!(
        "spatial bench: {n} synthetic points around {} GeoNames places, {queries} query centres",
        model.centres.len()
    );

    // Bulk load, and the heap it leaves behind.
    let input_bytes = points.capacity() * size_of::<IndexedPoint>();
    let live_before = LIVE.load(Ordering::Relaxed) - input_bytes;
    let t = Instant::now();
    let index = PointIndex::bulk_load(points).expect("unique ids");
    let load = t.elapsed();
    let index_bytes = LIVE.load(Ordering::Relaxed) - live_before;
    let per_point = index_bytes as f64 / n as f64;
    println!(
        "bulk load            {:>9.3} s       (target < 1.5 s)",
        load.as_secs_f64()
    );
    println!(
        "index memory         {:>9.1} B/point (target < 64; counted by allocator, tree + id map; index's own estimate {:.1})",
        per_point,
        index.heap_bytes() as f64 / n as f64
    );

    // k = 10 nearest.
    let mut times = Vec::with_capacity(queries);
    let mut checksum = 0usize;
    for &c in &centres {
        let t = Instant::now();
        let hits = knn_one(&index, c);
        times.push(t.elapsed());
        checksum += hits.len();
    }
    times.sort();
    let (knn_med, knn_p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    println!(
        "nearest k=10         {:>9.2} µs median, {:.2} µs p99 (target < 5 µs median)",
        us(knn_med),
        us(knn_p99)
    );

    // Nearest 10 matching a filter ("unvisited prospects of nobody or rep 7").
    let filter = Filter {
        kind: Some(AccountKind::Prospect),
        visited: Some(false),
        owner: wilayah_shared::spatial::OwnerFilter::UnownedOrOwnedBy(7),
        ..Filter::default()
    };
    times.clear();
    for &c in &centres {
        let t = Instant::now();
        let hits = knn_filtered_one(&index, c, &filter);
        times.push(t.elapsed());
        checksum += hits.len();
    }
    times.sort();
    println!(
        "nearest k=10 filter  {:>9.2} µs median, {:.2} µs p99 (unvisited prospects unowned or of rep 7, ~19 % of points)",
        us(percentile(&times, 0.5)),
        us(percentile(&times, 0.99))
    );

    // 5 km radius.
    times.clear();
    let mut counts = Vec::with_capacity(queries);
    for &c in &centres {
        let t = Instant::now();
        let hits = radius_one(&index, c);
        times.push(t.elapsed());
        counts.push(hits.len());
    }
    times.sort();
    counts.sort_unstable();
    let (r_med, r_p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    let mean_hits = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
    println!(
        "radius 5 km          {:>9.2} µs median, {:.2} µs p99 (target < 10 µs median); hits median {}, mean {:.0}, p99 {}",
        us(r_med),
        us(r_p99),
        counts[counts.len() / 2],
        mean_hits,
        counts[counts.len() * 99 / 100]
    );

    // Updates: move 10,000 points and put them back.
    let t = Instant::now();
    let mut index = index;
    for (i, &c) in centres.iter().enumerate() {
        index
            .update_position((i * 97 % n) as i64 + 1, c)
            .expect("known id");
    }
    let moves = t.elapsed();
    println!(
        "update_position      {:>9.2} µs per move (remove + insert, 10,000 moves)",
        us(moves) / queries as f64
    );

    if args.iter().any(|a| a == "--no-assign") {
        println!("(checksum {checksum})");
        return;
    }

    // Territory assignment.
    let t = Instant::now();
    let territories = TerritoryIndex::new(spatial_support::county_territories().expect("counties"))
        .expect("unique ids");
    let build = t.elapsed();
    let t = Instant::now();
    let report = territories.assign_all(
        positions
            .iter()
            .enumerate()
            .map(|(i, &p)| (i as i64 + 1, p)),
    );
    let assign = t.elapsed();
    println!(
        "assign to counties   {:>9.3} s for {n} points = {:.2} M points/s (target < 1 s); {} assigned, {} in none, {} in several; index of {} counties built in {:.0} ms (parse included)",
        assign.as_secs_f64(),
        n as f64 / assign.as_secs_f64() / 1e6,
        report.assigned.len(),
        report.unassigned.len(),
        report.overlaps.len(),
        territories.len(),
        build.as_secs_f64() * 1e3
    );
    println!("(checksum {checksum})");

    if let Some(dir) = export {
        std::fs::create_dir_all(&dir).expect("export dir");
        let mut w =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/points.csv")).unwrap());
        for (i, p) in positions.iter().enumerate() {
            writeln!(w, "{},{},{}", i + 1, p.lon(), p.lat()).unwrap();
        }
        let mut w =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/queries.csv")).unwrap());
        for (i, p) in centres.iter().enumerate() {
            writeln!(w, "{},{},{}", i + 1, p.lon(), p.lat()).unwrap();
        }
        let mut w =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/counties.csv")).unwrap());
        for c in spatial_support::us_counties() {
            let polys: Vec<String> = c
                .polygons
                .iter()
                .map(|rings| {
                    let rings: Vec<String> = rings
                        .iter()
                        .map(|r| {
                            format!(
                                "({})",
                                r.iter()
                                    .map(|[x, y]| format!("{x} {y}"))
                                    .collect::<Vec<_>>()
                                    .join(",")
                            )
                        })
                        .collect();
                    format!("({})", rings.join(","))
                })
                .collect();
            writeln!(w, "{}\t\"MULTIPOLYGON({})\"", c.fips, polys.join(",")).unwrap();
        }
        let mut w = std::fs::File::create(format!("{dir}/ours.txt")).unwrap();
        writeln!(w, "points {n}").unwrap();
        writeln!(w, "load_s {}", load.as_secs_f64()).unwrap();
        writeln!(w, "knn_median_us {}", us(knn_med)).unwrap();
        writeln!(w, "knn_p99_us {}", us(knn_p99)).unwrap();
        writeln!(w, "radius_median_us {}", us(r_med)).unwrap();
        writeln!(w, "radius_p99_us {}", us(r_p99)).unwrap();
        writeln!(w, "radius_mean_hits {mean_hits}").unwrap();
        writeln!(w, "assign_s {}", assign.as_secs_f64()).unwrap();
        writeln!(w, "assigned {}", report.assigned.len()).unwrap();
        println!("exported points, queries, counties and figures to {dir}");
    }
}
