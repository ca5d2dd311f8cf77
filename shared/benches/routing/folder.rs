//! `--instances DIR` (or `WILAYAH_INSTANCES=DIR`): every TSPLIB `.tsp` (with `.opt.tour`, a known
//! optimum in the folder's `optima.txt`, or a `.ref.tour` from a long run) and every VRPLIB `.vrp`
//! (with `.sol`, `optima.txt`, or a `.ref.sol`) in a folder, one row per instance and seed:
//! budget, wall time and overrun, cost and gap to the reference; then a summary per instance.

use super::files::{Lib, write_sol, write_tour};
use super::held_karp;
use super::{Args, clock, header, row};
use std::path::Path;
use std::time::{Duration, Instant};
use wilayah_shared::routing::*;

/// Distances of a TSPLIB instance as a dense matrix, or why it is not supported.
fn tsp_matrix(lib: &Lib) -> Result<(usize, Vec<f64>), String> {
    let kind = lib.value("EDGE_WEIGHT_TYPE").unwrap_or("");
    let pts: Vec<(f64, f64)> = lib
        .section("NODE_COORD_SECTION")
        .iter()
        .map(|r| (r[1], r[2]))
        .collect();
    let f: fn((f64, f64), (f64, f64)) -> f64 = match kind {
        "EUC_2D" => |a, b| ((a.0 - b.0).hypot(a.1 - b.1) + 0.5).floor(),
        "CEIL_2D" => |a, b| (a.0 - b.0).hypot(a.1 - b.1).ceil(),
        "ATT" => |a, b| {
            let r = (((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)) / 10.0).sqrt();
            let t = (r + 0.5).floor();
            if t < r { t + 1.0 } else { t }
        },
        other => return Err(format!("EDGE_WEIGHT_TYPE {other} not supported")),
    };
    let n = pts.len();
    let mut d = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            d[a * n + b] = f(pts[a], pts[b]);
        }
    }
    Ok((n, d))
}

fn tour_file_length(path: &Path, n: usize, d: &[f64]) -> Option<f64> {
    let tour = Lib::read(path)?;
    let order: Vec<usize> = tour
        .section("TOUR_SECTION")
        .iter()
        .filter_map(|r| r.first())
        .filter(|&&x| x > 0.0)
        .map(|&x| x as usize - 1)
        .collect();
    (order.len() == n).then(|| (0..n).map(|i| d[order[i] * n + order[(i + 1) % n]]).sum())
}

fn sol_cost(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Cost"))?
        .trim()
        .parse()
        .ok()
}

/// Known optima or best-known costs listed in the folder's `optima.txt`: one `name value` per
/// line (`#` starts a comment), e.g. `pr1002 259045` from TSPLIB's list of optima.
fn listed_optima(dir: &Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(dir.join("optima.txt")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_lowercase(), w.next()?.parse().ok()?))
        })
        .collect()
}

/// Runs of one instance, for the summary.
struct Summary {
    name: String,
    gaps: Vec<f64>,
    overrun: Vec<f64>,
}

fn summarise(out: &mut Vec<Summary>, name: &str, gap: Option<f64>, budget_ms: u64, wall: f64) {
    if out.last().is_none_or(|s| s.name != name) {
        out.push(Summary {
            name: name.into(),
            gaps: Vec::new(),
            overrun: Vec::new(),
        });
    }
    let s = out.last_mut().unwrap();
    s.gaps.extend(gap);
    s.overrun
        .push(100.0 * (wall - budget_ms as f64) / (budget_ms as f64).max(1e-9));
}

fn print_summary(out: &[Summary], timed: bool) {
    let over = format!("over budget % worst ({})", super::clock_kind());
    if out.is_empty() {
        return;
    }
    println!();
    header(&[
        "instance",
        "runs",
        "gap % mean",
        "gap % worst",
        if timed {
            &over
        } else {
            "over budget % (iteration budget: -)"
        },
    ]);
    let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    for s in out {
        let (mean, worst) = if s.gaps.is_empty() {
            ("-".into(), "-".into())
        } else {
            (
                format!("{:.2}", s.gaps.iter().sum::<f64>() / s.gaps.len() as f64),
                format!("{:.2}", max(&s.gaps)),
            )
        };
        row(&[
            s.name.clone(),
            s.overrun.len().to_string(),
            mean,
            worst,
            if timed {
                format!("{:.1}", max(&s.overrun).max(0.0))
            } else {
                "-".into()
            },
        ]);
    }
}

fn gap_value(cost: f64, reference: Option<f64>) -> Option<f64> {
    reference.map(|r| 100.0 * (cost - r) / r)
}

fn gap(cost: f64, reference: Option<f64>) -> String {
    reference.map_or("-".into(), |r| format!("{:.2}", 100.0 * (cost - r) / r))
}

fn timed_budget<'a>(ms: u64, c: &'a mut dyn FnMut() -> Duration) -> Budget<'a> {
    Budget::iterations(u64::MAX).with_time_limit(Duration::from_millis(ms), c)
}

/// The budget of one measured run: `--iters` (load-independent) or the time limit.
fn run_budget<'a>(args: &Args, ms: u64, c: &'a mut dyn FnMut() -> Duration) -> Budget<'a> {
    match args.iters {
        Some(n) => Budget::iterations(n),
        None => timed_budget(ms, c),
    }
}

fn tour_problem(stops: &[usize]) -> Problem {
    Problem {
        visits: stops.iter().map(|&l| Visit::at(l, 0.0)).collect(),
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, f64::MAX))],
    }
}

pub fn run(dir: &Path, args: &Args) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let stem = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    let selected = |p: &Path| {
        args.only
            .as_ref()
            .is_none_or(|o| stem(p).to_lowercase().contains(&o.to_lowercase()))
    };
    let tsps: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tsp") && selected(p))
        .collect();
    let vrps: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "vrp") && selected(p))
        .collect();
    let optima = listed_optima(dir);
    let listed = |name: &str| {
        optima
            .iter()
            .find(|(n, _)| *n == name.to_lowercase())
            .map(|&(_, v)| v)
    };
    let mut summary = Vec::new();
    if !tsps.is_empty() {
        println!(
            "\n## Tours in {} ({} ms {} per run, closed tour from node 1)\n",
            dir.display(),
            args.ms_tsp,
            super::clock_kind()
        );
        header(&[
            "instance",
            "n",
            "seed",
            "budget ms",
            "wall ms",
            "length",
            "reference",
            "gap %",
            "Held-Karp bound",
            "gap to bound %",
            "kicks",
        ]);
    }
    for path in tsps {
        let name = stem(path);
        let Some(lib) = Lib::read(path) else {
            println!("{name}: unreadable, skipped");
            continue;
        };
        let (n, d) = match tsp_matrix(&lib) {
            Ok(x) => x,
            Err(why) => {
                println!("{name}: {why}, skipped");
                continue;
            }
        };
        let m = DenseMatrix::from_rows(n, d.clone(), d.clone()).unwrap();
        let stops: Vec<usize> = (1..n).collect();
        let ref_path = path.with_extension("ref.tour");
        let (mut reference, kind) = match tour_file_length(&path.with_extension("opt.tour"), n, &d)
        {
            Some(l) => (Some(l), "opt"),
            None => match listed(&name) {
                Some(v) => (Some(v), "listed"),
                None => (tour_file_length(&ref_path, n, &d), "ref"),
            },
        };
        if let Some(ms) = args.reference_ms.filter(|_| kind == "ref") {
            let mut c = clock();
            let tour = optimise_tour(
                &m,
                0,
                Some(0),
                &stops,
                1_000_003,
                &mut timed_budget(ms, &mut c),
            )
            .unwrap();
            if reference.is_none_or(|r| tour.distance < r) {
                let order: Vec<usize> = [0]
                    .into_iter()
                    .chain(tour.order.iter().map(|&i| i + 1))
                    .collect();
                let comment = format!("best of wilayah's own {ms} ms runs: {}", tour.distance);
                write_tour(&ref_path, &name, &comment, &order);
                reference = Some(tour.distance);
            }
        }
        let mut bound = None;
        for seed in args.seed..args.seed + args.runs {
            let mut c = clock();
            let (t, cpu0) = (Instant::now(), super::cpu_time());
            let mut budget = run_budget(args, args.ms_tsp, &mut c);
            // `solve` on the tour problem is what `optimise_tour` runs, and it reports the kicks.
            let options = Options {
                seed,
                vehicle_cost: 0.0,
            };
            let plan = solve(&m, &tour_problem(&stops), &options, &mut budget).unwrap();
            let wall = t.elapsed();
            assert_eq!(plan.routes[0].stops.len(), stops.len());
            let tour = plan.routes[0].distance;
            if args.bound_iters > 0 && bound.is_none() {
                bound = Some(held_karp::bound(&d, n, tour, args.bound_iters));
            }
            summarise(
                &mut summary,
                &name,
                gap_value(tour, reference),
                args.ms_tsp,
                super::used_ms(wall, cpu0),
            );
            row(&[
                name.clone(),
                n.to_string(),
                seed.to_string(),
                args.ms_tsp.to_string(),
                format!("{:.0}", wall.as_secs_f64() * 1e3),
                format!("{tour:.0}"),
                reference.map_or("-".into(), |r| format!("{r:.0} ({kind})")),
                gap(tour, reference),
                bound.map_or("-".into(), |b| format!("{b:.1}")),
                gap(tour, bound),
                plan.iterations.to_string(),
            ]);
        }
    }
    if !vrps.is_empty() {
        println!(
            "\n## VRPTW in {} ({} ms {} per run, distance only, distances truncated to 0.1)\n",
            dir.display(),
            args.ms_vrp,
            super::clock_kind()
        );
        header(&[
            "instance",
            "visits",
            "seed",
            "budget ms",
            "wall ms",
            "vehicles",
            "distance",
            "reference",
            "gap %",
            "iterations",
        ]);
    }
    for path in vrps {
        let name = stem(path);
        let Some(inst) = super::read_vrp(path) else {
            println!("{name}: not a VRPLIB file this bench reads, skipped");
            continue;
        };
        let m = super::truncated(&inst.pts);
        let ref_path = path.with_extension("ref.sol");
        let (mut reference, kind) = match sol_cost(&path.with_extension("sol")) {
            Some(c) => (Some(c), "bks"),
            None => match listed(&name) {
                Some(v) => (Some(v), "listed"),
                None => (sol_cost(&ref_path), "ref"),
            },
        };
        if let Some(ms) = args.reference_ms.filter(|_| kind == "ref") {
            let mut c = clock();
            let options = Options {
                seed: 1_000_003,
                vehicle_cost: 0.0,
            };
            let plan = solve(&m, &inst.problem, &options, &mut timed_budget(ms, &mut c)).unwrap();
            if plan.unassigned.is_empty() && reference.is_none_or(|r| plan.distance < r - 1e-9) {
                let routes: Vec<Vec<usize>> = plan
                    .routes
                    .iter()
                    .map(|r| {
                        r.stops
                            .iter()
                            .map(|s| inst.problem.visits[s.visit].location)
                            .collect()
                    })
                    .collect();
                write_sol(&ref_path, &routes, plan.distance);
                reference = Some((plan.distance * 10.0).round() / 10.0);
            }
        }
        for seed in args.seed..args.seed + args.runs {
            let mut c = clock();
            let (t, cpu0) = (Instant::now(), super::cpu_time());
            let mut budget = run_budget(args, args.ms_vrp, &mut c);
            let options = Options {
                seed,
                vehicle_cost: 0.0,
            };
            let plan = solve(&m, &inst.problem, &options, &mut budget).unwrap();
            let wall = t.elapsed();
            assert!(plan.unassigned.is_empty(), "{name}: {:?}", plan.unassigned);
            summarise(
                &mut summary,
                &name,
                gap_value(plan.distance, reference),
                args.ms_vrp,
                super::used_ms(wall, cpu0),
            );
            row(&[
                name.clone(),
                inst.problem.visits.len().to_string(),
                seed.to_string(),
                args.ms_vrp.to_string(),
                format!("{:.0}", wall.as_secs_f64() * 1e3),
                plan.vehicles_used().to_string(),
                format!("{:.1}", plan.distance),
                reference.map_or("-".into(), |r| format!("{r:.1} ({kind})")),
                gap(plan.distance, reference),
                plan.iterations.to_string(),
            ]);
        }
    }
    print_summary(&summary, args.iters.is_none());
}
