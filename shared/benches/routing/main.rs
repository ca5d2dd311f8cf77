//! Route optimiser quality and speed on public benchmarks (TSPLIB, Solomon VRPTW).
//!
//! `cargo bench -p wilayah-shared --bench routing -- --tsplib DIR --solomon DIR [--ms-tsp 150]
//! [--ms-vrp 1800] [--seed 1] [--runs 1] [--hierarchical] [--team] [--only NAME]
//! [--iters N] [--cpu-clock] [--instances DIR] [--generate DIR] [--reference-ms MS] [--bound-iters N]
//! [--week MS,MS..]`; `--week` plans the dispatcher's synthetic week (`week.rs`); `--iters`
//! stops Solomon runs by iterations instead of time (load-independent); `--instances` runs every
//! `.tsp`/`.vrp` in a folder (see `folder.rs`), `--generate` writes the synthetic set there first.
//! The instance files are not part of the project; a missing folder is skipped with a message. See
//! docs/routing.md.

mod files;
mod folder;
mod generate;
mod held_karp;
mod week;

use files::Lib;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use wilayah_shared::LonLat;
use wilayah_shared::routing::*;

pub struct Args {
    instances: Option<PathBuf>,
    generate: Option<PathBuf>,
    /// For instances without a known optimum: one long run whose result is kept as `.ref.*`.
    reference_ms: Option<u64>,
    /// Subgradient iterations of the Held–Karp bound on tours (0: none).
    bound_iters: usize,
    tsplib: Option<PathBuf>,
    solomon: Option<PathBuf>,
    ms_tsp: u64,
    ms_vrp: u64,
    seed: u64,
    hierarchical: bool,
    runs: u64,
    only: Option<String>,
    team: bool,
    /// `--week`: the dispatcher's week plan with these budgets (ms).
    week: Vec<u64>,
    /// Solomon runs stop after this many iterations instead of `ms_vrp` (load-independent).
    iters: Option<u64>,
}

fn parse_args() -> Args {
    let mut args = Args {
        instances: None,
        generate: None,
        reference_ms: None,
        bound_iters: 0,
        tsplib: None,
        solomon: None,
        ms_tsp: 150,
        ms_vrp: 1800,
        seed: 1,
        hierarchical: false,
        runs: 1,
        only: None,
        team: false,
        week: Vec::new(),
        iters: None,
    };
    args.instances = std::env::var_os("WILAYAH_INSTANCES").map(PathBuf::from);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--cpu-clock" => CPU_CLOCK.store(true, Ordering::Relaxed),
            "--instances" => args.instances = Some(value().into()),
            "--generate" => args.generate = Some(value().into()),
            "--reference-ms" => {
                args.reference_ms =
                    Some(value().parse().expect("--reference-ms takes milliseconds"))
            }
            "--bound-iters" => {
                args.bound_iters = value().parse().expect("--bound-iters takes a count")
            }
            "--tsplib" => args.tsplib = Some(value().into()),
            "--solomon" => args.solomon = Some(value().into()),
            "--ms-tsp" => args.ms_tsp = value().parse().expect("--ms-tsp takes milliseconds"),
            "--ms-vrp" => args.ms_vrp = value().parse().expect("--ms-vrp takes milliseconds"),
            "--seed" => args.seed = value().parse().expect("--seed takes an integer"),
            "--hierarchical" => args.hierarchical = true,
            "--team" => args.team = true,
            "--week" => {
                args.week = value()
                    .split(',')
                    .map(|x| {
                        x.parse()
                            .expect("--week takes budgets in ms, e.g. 1000,5000")
                    })
                    .collect()
            }
            "--iters" => args.iters = Some(value().parse().expect("--iters takes a count")),
            "--only" => args.only = Some(value()),
            "--runs" => args.runs = value().parse().expect("--runs takes a count"),
            _ => {} // cargo passes `--bench`; ignore anything else.
        }
    }
    args
}

/// Set by `--cpu-clock`: budgets count this thread's CPU time instead of wall time.
static CPU_CLOCK: AtomicBool = AtomicBool::new(false);

/// The clock injected into every budget: wall time, or with `--cpu-clock` the thread's CPU time
/// (so figures on a machine shared with other builds mean "1 s of one core"). CPU time is read
/// from /proc (Linux) at most once a millisecond and extrapolated by wall time in between, which
/// can only over-state it.
pub fn clock() -> Box<dyn FnMut() -> Duration> {
    let t = Instant::now();
    if !CPU_CLOCK.load(Ordering::Relaxed) {
        return Box::new(move || t.elapsed());
    }
    let base = thread_cpu();
    let mut last = (t, Duration::ZERO);
    Box::new(move || {
        if last.0.elapsed() >= Duration::from_millis(1) {
            last = (Instant::now(), thread_cpu().saturating_sub(base));
            return last.1;
        }
        last.1 + last.0.elapsed()
    })
}

pub fn clock_kind() -> &'static str {
    if CPU_CLOCK.load(Ordering::Relaxed) {
        "CPU time"
    } else {
        "wall time"
    }
}

/// This thread's CPU time so far (Linux), or `None` elsewhere.
pub fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        text.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Time a run used on the clock its budget counts (wall, or CPU with `--cpu-clock`), given the
/// wall time it took and the CPU time at its start.
pub fn used_ms(wall: Duration, cpu_at_start: Option<Duration>) -> f64 {
    let cpu = cpu_at_start
        .zip(cpu_time())
        .map(|(a, b)| b.saturating_sub(a));
    match cpu {
        Some(c) if CPU_CLOCK.load(Ordering::Relaxed) => c.as_secs_f64() * 1e3,
        _ => wall.as_secs_f64() * 1e3,
    }
}

fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("--cpu-clock needs /proc/thread-self/schedstat (Linux)");
    let ns = text.split_whitespace().next().and_then(|x| x.parse().ok());
    Duration::from_nanos(ns.expect("schedstat starts with the CPU time in ns"))
}

pub fn row(cells: &[String]) {
    println!("| {} |", cells.join(" | "));
}

fn tsplib(dir: &Path, args: &Args) {
    println!(
        "\n## TSPLIB (EUC_2D, nint distances), {} ms per run, seeds {}..={}\n",
        args.ms_tsp,
        args.seed,
        args.seed + args.runs - 1
    );
    header(&[
        "instance",
        "n",
        "optimum",
        "ours (mean)",
        "gap % mean",
        "gap % worst",
        "target %",
        "time ms max",
    ]);
    for (name, file, optimum) in [
        ("berlin52", "berlin52", 7542.0),
        ("eil101", "eil101", 629.0),
        ("kroA100", "kroa100", 21282.0),
    ] {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !o.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let Some(lib) = Lib::read(&dir.join(format!("{file}.tsp"))) else {
            println!("{name}: {file}.tsp not found in {}, skipped", dir.display());
            continue;
        };
        let pts: Vec<(f64, f64)> = lib
            .section("NODE_COORD_SECTION")
            .iter()
            .map(|r| (r[1], r[2]))
            .collect();
        let m = DenseMatrix::from_fn(pts.len(), |i, j| {
            let d = ((pts[i].0 - pts[j].0).hypot(pts[i].1 - pts[j].1) + 0.5).floor();
            (d, d)
        });
        if let Some(tour) = Lib::read(&dir.join(format!("{file}.opt.tour"))) {
            let order: Vec<usize> = tour
                .section("TOUR_SECTION")
                .iter()
                .filter_map(|r| r.first())
                .filter(|&&x| x > 0.0)
                .map(|&x| x as usize - 1)
                .collect();
            let len: f64 = (0..order.len())
                .map(|i| m.distance(order[i], order[(i + 1) % order.len()]))
                .sum();
            assert_eq!(
                len, optimum,
                "{name}: the .opt.tour length under nint distances"
            );
        }
        let stops: Vec<usize> = (1..pts.len()).collect();
        let mut stats = Stats::default();
        for seed in args.seed..args.seed + args.runs {
            let mut c = clock();
            let t = Instant::now();
            let mut budget = Budget::iterations(u64::MAX)
                .with_time_limit(Duration::from_millis(args.ms_tsp), &mut c);
            let tour = optimise_tour(&m, 0, Some(0), &stops, seed, &mut budget).unwrap();
            assert_eq!(tour.order.len(), stops.len());
            stats.add(1, tour.distance, t.elapsed());
        }
        row(&[
            name.into(),
            pts.len().to_string(),
            format!("{optimum}"),
            format!("{:.1}", stats.mean_distance()),
            format!("{:.2}", stats.mean_gap(optimum)),
            format!("{:.2}", stats.worst_gap(optimum)),
            "2".into(),
            format!("{:.0}", stats.max_ms()),
        ]);
    }
}

/// Results of one instance over several seeds.
#[derive(Default)]
struct Stats {
    vehicles: Vec<usize>,
    distances: Vec<f64>,
    ms: Vec<f64>,
    iterations: Vec<u64>,
}

impl Stats {
    fn add(&mut self, vehicles: usize, distance: f64, elapsed: Duration) {
        self.vehicles.push(vehicles);
        self.distances.push(distance);
        self.ms.push(elapsed.as_secs_f64() * 1e3);
    }

    fn mean_distance(&self) -> f64 {
        self.distances.iter().sum::<f64>() / self.distances.len() as f64
    }

    fn mean_gap(&self, best: f64) -> f64 {
        100.0 * (self.mean_distance() - best) / best
    }

    fn worst_gap(&self, best: f64) -> f64 {
        100.0 * (self.distances.iter().copied().fold(f64::MIN, f64::max) - best) / best
    }

    fn max_ms(&self) -> f64 {
        self.ms.iter().copied().fold(0.0, f64::max)
    }

    fn vehicles(&self) -> String {
        let lo = self.vehicles.iter().min().unwrap_or(&0);
        let hi = self.vehicles.iter().max().unwrap_or(&0);
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        }
    }

    fn mean_iterations(&self) -> u64 {
        self.iterations.iter().sum::<u64>() / self.iterations.len().max(1) as u64
    }
}

pub fn header(cells: &[&str]) {
    row(&cells.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    row(&vec!["---".to_string(); cells.len()]);
}

struct Solomon {
    pts: Vec<(f64, f64)>,
    problem: Problem,
    sol_vehicles: usize,
    sol_cost: f64,
}

/// A VRPLIB file with time windows (Solomon's layout): locations, and the problem with every
/// vehicle alike.
pub struct Vrp {
    pub pts: Vec<(f64, f64)>,
    pub problem: Problem,
}

pub fn read_vrp(path: &Path) -> Option<Vrp> {
    let lib = Lib::read(path)?;
    let pts: Vec<(f64, f64)> = lib
        .section("NODE_COORD_SECTION")
        .iter()
        .map(|r| (r[1], r[2]))
        .collect();
    let demand = lib.section("DEMAND_SECTION");
    let tw = lib.section("TIME_WINDOW_SECTION");
    if tw.len() != pts.len() || demand.len() != pts.len() {
        return None;
    }
    let service: f64 = lib.value("SERVICE_TIME")?.parse().ok()?;
    let capacity: u32 = lib.value("CAPACITY")?.parse().ok()?;
    let vehicles: usize = match lib.value("VEHICLES") {
        Some(v) => v.parse().ok()?,
        None => pts.len() - 1,
    };
    let depot = lib
        .section("DEPOT_SECTION")
        .first()?
        .first()
        .map(|&x| x as usize - 1)?;
    if depot != 0 {
        return None; // the depot is expected first
    }
    let visits = (1..pts.len())
        .map(|i| Visit {
            location: i,
            service_time: service,
            window: Some(TimeWindow::new(tw[i][1], tw[i][2])),
            demand: demand[i][1] as u32,
            skills: vec![],
        })
        .collect();
    let vehicle = Vehicle {
        capacity: Some(capacity),
        ..Vehicle::at(0, TimeWindow::new(tw[0][1], tw[0][2]))
    };
    Some(Vrp {
        pts,
        problem: Problem {
            visits,
            vehicles: vec![vehicle; vehicles],
        },
    })
}

fn read_solomon(dir: &Path, name: &str) -> Option<Solomon> {
    let Vrp { pts, problem } = read_vrp(&dir.join(format!("{name}.vrp")))?;
    let text = std::fs::read_to_string(dir.join(format!("{name}.sol"))).ok()?;
    let sol_vehicles = text.lines().filter(|l| l.starts_with("Route")).count();
    let sol_cost = text
        .lines()
        .find_map(|l| l.strip_prefix("Cost"))?
        .trim()
        .parse()
        .ok()?;
    Some(Solomon {
        pts,
        problem,
        sol_vehicles,
        sol_cost,
    })
}

/// Distances truncated to one decimal, travel time = distance: the DIMACS 2021 convention the
/// PyVRP `.sol` files use (their `Cost` lines reproduce under it exactly).
pub fn truncated(pts: &[(f64, f64)]) -> DenseMatrix {
    DenseMatrix::from_fn(pts.len(), |i, j| {
        let d = ((pts[i].0 - pts[j].0).hypot(pts[i].1 - pts[j].1) * 10.0).floor() / 10.0;
        (d, d)
    })
}

const SOLOMON: [(&str, usize, f64); 6] = [
    ("C101", 10, 828.94),
    ("C201", 3, 591.56),
    ("R101", 19, 1650.80),
    ("R201", 4, 1252.37),
    ("RC101", 14, 1696.95),
    ("RC201", 4, 1406.94),
];

fn solomon(dir: &Path, args: &Args) {
    let per_run = match args.iters {
        Some(n) => format!("{n} iterations per run"),
        None => format!("{} ms per run", args.ms_vrp),
    };
    let seeds = format!(
        "{per_run}, seeds {}..={}",
        args.seed,
        args.seed + args.runs - 1
    );
    println!(
        "\n## Solomon VRPTW, distance only, distances truncated to 0.1 (the .sol files' convention), \
         {seeds}\n"
    );
    header(&[
        "instance",
        "vehicles",
        "distance (mean)",
        "best known (.sol)",
        "gap % mean",
        "gap % worst",
        "target %",
        "time ms max",
        "iterations (mean)",
    ]);
    for (name, _, _) in SOLOMON {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !o.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let Some(inst) = read_solomon(dir, name) else {
            println!(
                "{name}: {name}.vrp/.sol not found in {}, skipped",
                dir.display()
            );
            continue;
        };
        let stats = runs(&truncated(&inst.pts), &inst.problem, 0.0, args);
        let target = if name.starts_with('C') { 1.0 } else { 4.0 };
        row(&[
            name.into(),
            stats.vehicles(),
            format!("{:.1}", stats.mean_distance()),
            format!("{}/{:.1}", inst.sol_vehicles, inst.sol_cost),
            format!("{:.2}", stats.mean_gap(inst.sol_cost)),
            format!("{:.2}", stats.worst_gap(inst.sol_cost)),
            format!("{target}"),
            format!("{:.0}", stats.max_ms()),
            stats.mean_iterations().to_string(),
        ]);
    }
    if !args.hierarchical {
        return;
    }
    println!(
        "\n## Solomon VRPTW, vehicles then distance (vehicle cost 10 000), real-valued Euclidean \
         distances (the literature convention), {seeds}\n"
    );
    header(&[
        "instance",
        "vehicles",
        "distance (mean)",
        "best known",
        "gap % mean",
        "gap % worst",
        "time ms max",
    ]);
    for (name, bk_veh, bk_dist) in SOLOMON {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !o.eq_ignore_ascii_case(name))
        {
            continue;
        }
        let Some(inst) = read_solomon(dir, name) else {
            continue;
        };
        let stats = runs(
            &DenseMatrix::euclidean(&inst.pts),
            &inst.problem,
            10_000.0,
            args,
        );
        row(&[
            name.into(),
            stats.vehicles(),
            format!("{:.2}", stats.mean_distance()),
            format!("{bk_veh}/{bk_dist:.2}"),
            format!("{:.2}", stats.mean_gap(bk_dist)),
            format!("{:.2}", stats.worst_gap(bk_dist)),
            format!("{:.0}", stats.max_ms()),
        ]);
    }
}

fn runs(m: &DenseMatrix, problem: &Problem, vehicle_cost: f64, args: &Args) -> Stats {
    let mut stats = Stats::default();
    for seed in args.seed..args.seed + args.runs {
        let mut c = clock();
        let t = Instant::now();
        let mut budget = match args.iters {
            Some(n) => Budget::iterations(n),
            None => Budget::iterations(u64::MAX)
                .with_time_limit(Duration::from_millis(args.ms_vrp), &mut c),
        };
        let plan = solve(m, problem, &Options { seed, vehicle_cost }, &mut budget).unwrap();
        assert!(plan.unassigned.is_empty(), "{:?}", plan.unassigned);
        stats.add(plan.vehicles_used(), plan.distance, t.elapsed());
        stats.iterations.push(plan.iterations);
    }
    stats
}

/// A realistic team day with nothing but this file: 100 visits around Jakarta, 12 technicians
/// from 3 bases, great-circle distances at 30 km/h, 08:00-17:00 shifts with a 45-minute break
/// starting 11:30-13:30, two-hour appointment windows on 40 % of visits, two skills.
fn team_day(args: &Args) {
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut r = move |k: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % k
    };
    let (n, techs) = (100, 12);
    let bases = [(106.80, -6.20), (106.90, -6.25), (106.75, -6.30)];
    let mut points: Vec<LonLat> = bases
        .iter()
        .map(|&(lo, la)| LonLat::new(lo, la).unwrap())
        .collect();
    for _ in 0..n {
        let lon = 106.65 + r(35_000) as f64 / 100_000.0;
        let lat = -6.40 + r(30_000) as f64 / 100_000.0;
        points.push(LonLat::new(lon, lat).unwrap());
    }
    let m = DenseMatrix::great_circle(&points, 30.0 / 3.6);
    let hour = 3600.0;
    let visits: Vec<Visit> = (0..n)
        .map(|i| Visit {
            location: 3 + i,
            service_time: (20 + r(41)) as f64 * 60.0,
            window: (r(10) < 4).then(|| {
                let start = 8.0 * hour + r(7) as f64 * hour;
                TimeWindow::new(start, start + 2.0 * hour)
            }),
            demand: 0,
            skills: match r(10) {
                0 | 1 => vec!["gas".into()],
                2 => vec!["electric".into()],
                _ => vec![],
            },
        })
        .collect();
    let vehicles: Vec<Vehicle> = (0..techs)
        .map(|j| Vehicle {
            rest: Some(Break {
                window: TimeWindow::new(11.5 * hour, 13.5 * hour),
                duration: 45.0 * 60.0,
            }),
            skills: match j % 4 {
                0 => vec!["gas".into()],
                1 => vec!["electric".into(), "gas".into()],
                _ => vec![],
            },
            ..Vehicle::at(j % 3, TimeWindow::new(8.0 * hour, 17.0 * hour))
        })
        .collect();
    let problem = Problem { visits, vehicles };
    println!(
        "\n## Synthetic team day: {n} visits, {techs} technicians with breaks and skills, great-circle, \
         {} ms\n",
        args.ms_vrp
    );
    header(&[
        "vehicle cost",
        "technicians",
        "visits planned",
        "unassigned",
        "km",
        "time ms",
        "iterations",
    ]);
    for vehicle_cost in [0.0, 50_000.0] {
        let mut c = clock();
        let t = Instant::now();
        let mut budget = Budget::iterations(u64::MAX)
            .with_time_limit(Duration::from_millis(args.ms_vrp), &mut c);
        let plan = solve(
            &m,
            &problem,
            &Options {
                seed: args.seed,
                vehicle_cost,
            },
            &mut budget,
        )
        .unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let planned: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
        row(&[
            format!("{vehicle_cost} m"),
            plan.vehicles_used().to_string(),
            planned.to_string(),
            plan.unassigned.len().to_string(),
            format!("{:.1}", plan.distance / 1000.0),
            format!("{ms:.0}"),
            plan.iterations.to_string(),
        ]);
    }
}

fn main() {
    let args = parse_args();
    if let Some(dir) = &args.generate {
        generate::write_all(dir);
        println!("synthetic instances written to {}", dir.display());
    }
    if let Some(dir) = &args.instances {
        if dir.is_dir() {
            folder::run(dir, &args);
        } else {
            println!("instance folder {} not found, skipped", dir.display());
        }
    }
    if args.team
        || args
            .only
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case("team"))
    {
        team_day(&args);
    }
    if !args.week.is_empty() {
        week::run(args.seed, args.runs, &args.week);
    }
    match &args.tsplib {
        Some(dir) if dir.is_dir() => tsplib(dir, &args),
        Some(dir) => println!("TSPLIB folder {} not found, skipped", dir.display()),
        None => println!("no --tsplib DIR given, TSPLIB skipped"),
    }
    match &args.solomon {
        Some(dir) if dir.is_dir() => solomon(dir, &args),
        Some(dir) => println!("Solomon folder {} not found, skipped", dir.display()),
        None => println!("no --solomon DIR given, Solomon skipped"),
    }
}
