//! Route optimiser against independent checks: a feasibility checker written here from the model's
//! definition, brute-force optima on small instances, determinism, and random instances.

use proptest::prelude::*;
use wilayah_shared::routing::*;

const EPS: f64 = 1e-6;

/// Checks every promise of a plan without using the optimiser's own schedule code.
fn check_plan(m: &DenseMatrix, p: &Problem, plan: &Plan) -> Result<(), String> {
    let mut seen = vec![0; p.visits.len()];
    let mut vehicles = vec![false; p.vehicles.len()];
    let mut total = 0.0;
    for r in &plan.routes {
        let v = p.vehicles.get(r.vehicle).ok_or("unknown vehicle")?;
        if std::mem::replace(&mut vehicles[r.vehicle], true) {
            return Err(format!("vehicle {} used twice", r.vehicle));
        }
        if r.stops.is_empty() {
            return Err("empty route reported".into());
        }
        if r.start_time < v.shift.start - EPS {
            return Err("leaves before the shift".into());
        }
        let mut load = 0u64;
        let (mut prev, mut dep, mut dist) = (v.start, r.start_time, 0.0);
        for k in 0..=r.stops.len() {
            let next = if k < r.stops.len() {
                Some(p.visits[r.stops[k].visit].location)
            } else {
                v.end
            };
            let travel = next.map_or(0.0, |n| m.time(prev, n));
            dist += next.map_or(0.0, |n| m.distance(prev, n));
            let ready = if k < r.stops.len() {
                r.stops[k].start
            } else {
                r.end_time
            };
            let mut needed = travel;
            if let Some(b) = r.rest.filter(|b| b.after_stops == k) {
                let rule = v.rest.ok_or("break on a vehicle without one")?;
                if b.start < dep - EPS || b.end > ready + EPS {
                    return Err(format!("break {b:?} outside leg {k} ({dep}..{ready})"));
                }
                if b.start < rule.window.start - EPS || b.start > rule.window.end + EPS {
                    return Err(format!(
                        "break starts at {} outside {:?}",
                        b.start, rule.window
                    ));
                }
                if (b.end - b.start - rule.duration).abs() > EPS {
                    return Err("break too short".into());
                }
                needed += rule.duration;
            }
            if ready - dep < needed - EPS {
                return Err(format!(
                    "leg {k} of vehicle {} too short: {} < {needed}",
                    r.vehicle,
                    ready - dep
                ));
            }
            if k == r.stops.len() {
                break;
            }
            let s = &r.stops[k];
            let visit = &p.visits[s.visit];
            seen[s.visit] += 1;
            load += u64::from(visit.demand);
            if let Some(w) = visit.window
                && (s.start < w.start - EPS || s.start > w.end + EPS)
            {
                return Err(format!(
                    "visit {} starts at {} outside {w:?}",
                    s.visit, s.start
                ));
            }
            if (s.departure - s.start - visit.service_time).abs() > EPS {
                return Err("service time not respected".into());
            }
            if !visit.skills.iter().all(|sk| v.skills.contains(sk)) {
                return Err(format!(
                    "visit {} needs skills vehicle {} lacks",
                    s.visit, r.vehicle
                ));
            }
            prev = visit.location;
            dep = s.departure;
        }
        if v.rest.is_some() != r.rest.is_some() {
            return Err(format!("vehicle {} break missing", r.vehicle));
        }
        if r.end_time > v.shift.end + EPS {
            return Err(format!(
                "vehicle {} ends at {} after its shift",
                r.vehicle, r.end_time
            ));
        }
        if load > u64::from(v.capacity.unwrap_or(u32::MAX)) {
            return Err("capacity exceeded".into());
        }
        if (dist - r.distance).abs() > EPS {
            return Err(format!(
                "route distance {} but legs sum to {dist}",
                r.distance
            ));
        }
        total += dist;
    }
    for u in &plan.unassigned {
        seen[u.visit] += 1;
        let visit = &p.visits[u.visit];
        let skilled = p
            .vehicles
            .iter()
            .any(|v| visit.skills.iter().all(|s| v.skills.contains(s)));
        if (u.reason == UnassignedReason::NoTechnicianWithSkills) == skilled {
            return Err(format!(
                "visit {} reason {:?} but skilled = {skilled}",
                u.visit, u.reason
            ));
        }
    }
    if let Some(i) = seen.iter().position(|&n| n != 1) {
        return Err(format!("visit {i} appears {} times", seen[i]));
    }
    if (total - plan.distance).abs() > 1e-6 * total.max(1.0) {
        return Err("plan distance is not the sum of routes".into());
    }
    Ok(())
}

fn solve_with(m: &DenseMatrix, p: &Problem, seed: u64, vehicle_cost: f64, iterations: u64) -> Plan {
    let options = Options { seed, vehicle_cost };
    solve(m, p, &options, &mut Budget::iterations(iterations)).unwrap()
}

fn random_points(seed: u64, n: usize) -> Vec<(f64, f64)> {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 10_000) as f64 / 100.0
    };
    (0..n).map(|_| (next(), next())).collect()
}

fn permutations(items: &mut Vec<usize>, k: usize, f: &mut impl FnMut(&[usize])) {
    if k == items.len() {
        f(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, f);
        items.swap(k, i);
    }
}

fn tour_length(m: &DenseMatrix, start: usize, end: Option<usize>, seq: &[usize]) -> f64 {
    let mut prev = start;
    let mut d = 0.0;
    for &s in seq {
        d += m.distance(prev, s);
        prev = s;
    }
    d + end.map_or(0.0, |e| m.distance(prev, e))
}

/// `optimise_tour` from location 0 through `stops` equals the best of all permutations.
fn assert_tour_is_optimal(
    m: &DenseMatrix,
    end: Option<usize>,
    stops: &[usize],
    seed: u64,
    iterations: u64,
) {
    let mut best = f64::INFINITY;
    permutations(&mut stops.to_vec(), 0, &mut |s| {
        best = best.min(tour_length(m, 0, end, s))
    });
    let tour = optimise_tour(m, 0, end, stops, seed, &mut Budget::iterations(iterations)).unwrap();
    let seq: Vec<usize> = tour.order.iter().map(|&i| stops[i]).collect();
    assert!((tour_length(m, 0, end, &seq) - tour.distance).abs() < 1e-9);
    assert!(
        (tour.distance - best).abs() < 1e-9,
        "seed {seed} end {end:?}: {} vs {best}",
        tour.distance
    );
}

#[test]
fn tsp_reaches_the_brute_force_optimum_on_small_instances() {
    for seed in 1..=12u64 {
        let n = 4 + (seed as usize % 5); // 4..=8 stops
        let pts = random_points(seed * 7919, n + 1);
        let m = DenseMatrix::euclidean(&pts);
        let stops: Vec<usize> = (1..=n).collect();
        for end in [Some(0), None] {
            assert_tour_is_optimal(&m, end, &stops, seed, 200);
        }
    }
}

/// One vehicle, tight windows: the LNS path must find the best feasible order.
#[test]
fn single_vehicle_with_windows_reaches_the_brute_force_optimum() {
    for seed in 1..=6u64 {
        let n = 6;
        let pts = random_points(seed * 104_729, n + 1);
        let m = DenseMatrix::euclidean(&pts);
        // Windows around a random feasible order, so at least one order works.
        let mut t = 0.0;
        let mut prev = 0;
        let mut visits = Vec::new();
        for i in 1..=n {
            t += m.time(prev, i) + 5.0;
            visits.push(Visit {
                window: Some(TimeWindow::new(t - 40.0, t + 40.0)),
                ..Visit::at(i, 5.0)
            });
            prev = i;
        }
        let p = Problem {
            visits,
            vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, t + 200.0))],
        };
        let feasible = |seq: &[usize]| {
            let (mut t, mut prev) = (0.0_f64, 0);
            for &c in seq {
                let w = p.visits[c].window.unwrap();
                t = (t + m.time(prev, p.visits[c].location)).max(w.start);
                if t > w.end {
                    return false;
                }
                t += 5.0;
                prev = p.visits[c].location;
            }
            t + m.time(prev, 0) <= p.vehicles[0].shift.end
        };
        let mut best = f64::INFINITY;
        permutations(&mut (0..n).collect(), 0, &mut |s| {
            if feasible(s) {
                let locs: Vec<usize> = s.iter().map(|&c| p.visits[c].location).collect();
                best = best.min(tour_length(&m, 0, Some(0), &locs));
            }
        });
        let plan = solve_with(&m, &p, seed, 0.0, 300);
        check_plan(&m, &p, &plan).unwrap();
        assert!(plan.unassigned.is_empty());
        assert!(
            (plan.distance - best).abs() < 1e-9,
            "seed {seed}: {} vs {best}",
            plan.distance
        );
    }
}

fn team_problem(seed: u64, n: usize, nv: usize) -> (DenseMatrix, Problem) {
    let pts = random_points(seed.wrapping_mul(6_364_136_223_846_793_005) | 1, n + 2);
    let m = DenseMatrix::euclidean(&pts);
    let mut x = seed | 1;
    let mut r = move |k: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % k
    };
    let skills = ["gas", "electric"];
    let visits = (0..n)
        .map(|i| Visit {
            location: 2 + i,
            service_time: 5.0 + r(20) as f64,
            window: (r(3) > 0).then(|| {
                let s = r(300) as f64;
                TimeWindow::new(s, s + 30.0 + r(120) as f64)
            }),
            demand: r(5) as u32,
            skills: if r(4) == 0 {
                vec![skills[r(2) as usize].to_string()]
            } else {
                vec![]
            },
        })
        .collect();
    let vehicles = (0..nv)
        .map(|j| Vehicle {
            start: j % 2,
            end: if r(5) == 0 { None } else { Some(j % 2) },
            shift: TimeWindow::new(0.0, 250.0 + r(200) as f64),
            rest: (r(2) == 0).then(|| Break {
                window: TimeWindow::new(100.0 + r(50) as f64, 180.0 + r(50) as f64),
                duration: 20.0,
            }),
            capacity: Some(10 + r(15) as u32),
            skills: if r(2) == 0 {
                vec![skills[r(2) as usize].to_string()]
            } else {
                vec![]
            },
        })
        .collect();
    (m, Problem { visits, vehicles })
}

#[test]
fn same_seed_same_plan() {
    let (m, p) = team_problem(42, 25, 4);
    let run = |seed| solve_with(&m, &p, seed, 0.0, 300);
    let a = run(7);
    check_plan(&m, &p, &a).unwrap();
    assert_eq!(a, run(7));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn team_plans_are_feasible_and_account_for_every_visit(
        seed in any::<u64>(), n in 1usize..18, nv in 0usize..4, cost in prop_oneof![Just(0.0), Just(500.0), Just(1e5)],
    ) {
        let (m, p) = team_problem(seed, n, nv);
        let plan = solve_with(&m, &p, seed, cost, 100);
        prop_assert_eq!(check_plan(&m, &p, &plan), Ok(()));
    }

    #[test]
    fn suggestions_fit_and_are_the_cheapest_positions(seed in any::<u64>(), n in 1usize..8) {
        let (m, mut p) = team_problem(seed, n + 6, 1);
        let candidates = p.visits.split_off(n);
        let plan = solve_with(&m, &p, 1, 0.0, 50);
        let Some(route) = plan.routes.first() else { return Ok(()) };
        let seq: Vec<usize> = route.stops.iter().map(|s| s.visit).collect();
        let budget = DetourBudget { max_extra_distance: Some(60.0), max_extra_travel_time: None };
        let found = suggest_insertions(&m, &p, route.vehicle, &seq, &candidates, budget).unwrap();
        prop_assert!(found.windows(2).all(|w| w[0].extra_distance <= w[1].extra_distance));
        for s in &found {
            let mut with = seq.clone();
            with.insert(s.position, p.visits.len());
            let mut q = p.clone();
            q.visits.push(candidates[s.candidate].clone());
            let locs: Vec<usize> = with.iter().map(|&c| q.visits[c].location).collect();
            let v = &p.vehicles[route.vehicle];
            let extra = tour_length(&m, v.start, v.end, &locs) - route.distance;
            prop_assert!((extra - s.extra_distance).abs() < 1e-6 && extra <= 60.0 + EPS);
        }
        // Every position of every candidate against the oracle: a feasible position within
        // the budget means the candidate is suggested, at a detour no larger than this one.
        let v = route.vehicle;
        for (i, c) in candidates.iter().enumerate() {
            let suggested = found.iter().find(|s| s.candidate == i);
            let mut q = p.clone();
            q.visits.push(c.clone());
            for pos in 0..=seq.len() {
                let mut with = seq.clone();
                with.insert(pos, q.visits.len() - 1);
                let locs: Vec<usize> = with.iter().map(|&c| q.visits[c].location).collect();
                let veh = &p.vehicles[v];
                let extra = tour_length(&m, veh.start, veh.end, &locs) - route.distance;
                if (extra - 60.0).abs() < 1e-6 {
                    continue; // too close to the budget to call
                }
                let ok = extra <= 60.0 && day_is_feasible(&m, &q, v, &with);
                match suggested {
                    Some(s) if s.position == pos => prop_assert!(ok, "suggested {s:?} fails"),
                    Some(s) if ok => prop_assert!(s.extra_distance <= extra + 1e-6),
                    Some(_) => {}
                    None => prop_assert!(!ok, "candidate {i} fits at {pos} but is not suggested"),
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// One technician, up to 6 visits with windows and a break: the plan serves as many visits as
    /// any order can (by the oracle) and, among those, has the shortest distance.
    #[test]
    fn small_days_with_breaks_reach_the_brute_force_optimum(seed in any::<u64>(), n in 1usize..7) {
        let (m, mut p) = team_problem(seed, n, 1);
        for v in &mut p.visits {
            v.skills.clear();
        }
        p.vehicles[0].skills.clear();
        p.vehicles[0].capacity = None;
        let v = &p.vehicles[0];
        let (mut best_count, mut best_dist) = (0, 0.0);
        for mask in 0u32..1 << n {
            let mut subset: Vec<usize> = (0..n).filter(|&i| mask & 1 << i != 0).collect();
            if subset.len() < best_count {
                continue;
            }
            permutations(&mut subset, 0, &mut |s| {
                if day_is_feasible(&m, &p, 0, s) {
                    let locs: Vec<usize> = s.iter().map(|&c| p.visits[c].location).collect();
                    let d = if s.is_empty() { 0.0 } else { tour_length(&m, v.start, v.end, &locs) };
                    if s.len() > best_count || d < best_dist {
                        (best_count, best_dist) = (s.len(), d);
                    }
                }
            });
        }
        let plan = solve_with(&m, &p, seed, 0.0, 2_000);
        prop_assert_eq!(check_plan(&m, &p, &plan), Ok(()));
        prop_assert_eq!(n - plan.unassigned.len(), best_count);
        prop_assert!((plan.distance - best_dist).abs() < 1e-6, "{} vs {}", plan.distance, best_dist);
    }
}

/// The model's rules as the docs state them, checked by trying the break on every leg.
fn day_is_feasible(m: &DenseMatrix, p: &Problem, v: usize, seq: &[usize]) -> bool {
    let veh = &p.vehicles[v];
    let load: u64 = seq.iter().map(|&c| u64::from(p.visits[c].demand)).sum();
    if load > u64::from(veh.capacity.unwrap_or(u32::MAX))
        || !seq
            .iter()
            .all(|&c| p.visits[c].skills.iter().all(|s| veh.skills.contains(s)))
    {
        return false;
    }
    let legs = seq.len() + 1;
    let placements: Vec<Option<usize>> = match veh.rest {
        Some(_) => (0..legs).map(Some).collect(),
        None => vec![None],
    };
    placements.into_iter().any(|on_leg| {
        let (mut t, mut at) = (veh.shift.start, veh.start);
        for k in 0..legs {
            let to = if k < seq.len() {
                Some(p.visits[seq[k]].location)
            } else {
                veh.end
            };
            let travel = to.map_or(0.0, |x| m.time(at, x));
            let mut ready = t + travel;
            if on_leg == Some(k) {
                let b = veh.rest.unwrap();
                if t.max(b.window.start) > b.window.end + EPS {
                    return false;
                }
                // Travel and break one after the other; the break not before its window.
                ready = (t + travel + b.duration).max(b.window.start + b.duration);
            }
            if k == seq.len() {
                return ready <= veh.shift.end + EPS;
            }
            let visit = &p.visits[seq[k]];
            let start = visit.window.map_or(ready, |w| ready.max(w.start));
            if visit.window.is_some_and(|w| start > w.end + EPS) {
                return false;
            }
            t = start + visit.service_time;
            at = visit.location;
        }
        unreachable!("the last leg returns")
    })
}

/// One-way streets: the asymmetric matrix goes through the general search, which must still find
/// the brute-force optimum of a small tour.
#[test]
fn asymmetric_tours_reach_the_brute_force_optimum() {
    for seed in 1..=6u64 {
        let n = 5 + seed as usize % 3;
        let pts = random_points(seed * 31_337, n + 1);
        let m = DenseMatrix::from_fn(n + 1, |i, j| {
            let d = (pts[i].0 - pts[j].0).hypot(pts[i].1 - pts[j].1);
            let d = if i < j { d } else { d * 1.3 };
            (d, d)
        });
        let stops: Vec<usize> = (1..=n).collect();
        assert_tour_is_optimal(&m, Some(0), &stops, seed, 300);
    }
}

#[test]
fn the_day_starts_late_enough_not_to_wait_at_the_first_visit() {
    let m = line(3);
    let p = Problem {
        visits: vec![Visit {
            window: Some(TimeWindow::new(100.0, 120.0)),
            ..Visit::at(2, 5.0)
        }],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 500.0))],
    };
    let plan = solve_with(&m, &p, 1, 0.0, 10);
    check_plan(&m, &p, &plan).unwrap();
    let r = &plan.routes[0];
    assert_eq!(
        (r.start_time, r.stops[0].arrival, r.stops[0].start),
        (80.0, 100.0, 100.0)
    );
}

#[test]
fn nothing_to_do_or_nobody_to_do_it() {
    let m = line(3);
    let nobody = Problem {
        visits: vec![Visit::at(1, 5.0)],
        vehicles: vec![],
    };
    let plan = solve_with(&m, &nobody, 1, 0.0, 1000);
    check_plan(&m, &nobody, &plan).unwrap();
    assert_eq!(plan.unassigned.len(), 1);
    let nothing = Problem {
        visits: vec![],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 9.0))],
    };
    let plan = solve_with(&m, &nothing, 1, 0.0, 1000);
    assert!(plan.routes.is_empty() && plan.unassigned.is_empty());
    // Re-planning from routes that name unknown vehicles or visits ignores them.
    let p = Problem {
        visits: vec![Visit::at(1, 5.0)],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 99.0))],
    };
    let start = vec![(7, vec![0]), (0, vec![5, 0, 0])];
    let plan = solve_from(
        &m,
        &p,
        &start,
        &Options::default(),
        &mut Budget::iterations(0),
    )
    .unwrap();
    check_plan(&m, &p, &plan).unwrap();
    assert_eq!(plan.routes[0].stops.len(), 1);
}

fn line(n: usize) -> DenseMatrix {
    DenseMatrix::euclidean(&(0..n).map(|i| (i as f64 * 10.0, 0.0)).collect::<Vec<_>>())
}

#[test]
fn skills_route_visits_to_qualified_technicians_and_report_the_rest() {
    let m = line(4);
    let mut p = Problem {
        visits: vec![
            Visit {
                skills: vec!["gas".into()],
                ..Visit::at(1, 5.0)
            },
            Visit {
                skills: vec!["electric".into()],
                ..Visit::at(2, 5.0)
            },
            Visit {
                skills: vec!["roofing".into()],
                ..Visit::at(3, 5.0)
            },
        ],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 500.0)); 2],
    };
    p.vehicles[0].skills = vec!["electric".into()];
    p.vehicles[1].skills = vec!["gas".into()];
    let plan = solve_with(&m, &p, 1, 0.0, 50);
    check_plan(&m, &p, &plan).unwrap();
    assert_eq!(
        plan.unassigned,
        vec![Unassigned {
            visit: 2,
            reason: UnassignedReason::NoTechnicianWithSkills
        }]
    );
    for r in &plan.routes {
        let expected = if r.vehicle == 0 { 1 } else { 0 };
        assert_eq!(
            r.stops.iter().map(|s| s.visit).collect::<Vec<_>>(),
            vec![expected]
        );
    }
}

#[test]
fn unassigned_reasons_distinguish_hours_capacity_and_a_full_fleet() {
    let m = line(4);
    let p = Problem {
        visits: vec![
            Visit {
                window: Some(TimeWindow::new(0.0, 5.0)),
                ..Visit::at(3, 5.0)
            }, // 30 away
            Visit {
                demand: 50,
                ..Visit::at(1, 5.0)
            },
            Visit {
                window: Some(TimeWindow::new(10.0, 10.0)),
                ..Visit::at(1, 50.0)
            },
            Visit {
                window: Some(TimeWindow::new(10.0, 10.0)),
                ..Visit::at(1, 50.0)
            },
        ],
        vehicles: vec![Vehicle {
            capacity: Some(10),
            ..Vehicle::at(0, TimeWindow::new(0.0, 500.0))
        }],
    };
    let plan = solve_with(&m, &p, 1, 0.0, 50);
    check_plan(&m, &p, &plan).unwrap();
    let reasons: Vec<_> = plan
        .unassigned
        .iter()
        .map(|u| (u.visit, u.reason))
        .collect();
    assert_eq!(
        &reasons[..2],
        &[
            (0, UnassignedReason::OutsideWorkingHours),
            (1, UnassignedReason::ExceedsCapacity)
        ]
    );
    assert_eq!(reasons.len(), 3);
    assert_eq!(reasons[2].1, UnassignedReason::FleetFull);
}

#[test]
fn the_break_is_taken_inside_its_window_and_delays_the_day() {
    let m = line(3);
    let shift = TimeWindow::new(0.0, 200.0);
    let rest = Break {
        window: TimeWindow::new(30.0, 40.0),
        duration: 30.0,
    };
    let p = Problem {
        visits: vec![Visit::at(1, 20.0), Visit::at(2, 20.0)],
        vehicles: vec![Vehicle {
            rest: Some(rest),
            ..Vehicle::at(0, shift)
        }],
    };
    let plan = solve_with(&m, &p, 1, 0.0, 20);
    check_plan(&m, &p, &plan).unwrap();
    let r = &plan.routes[0];
    let b = r.rest.unwrap();
    assert!((30.0..=40.0).contains(&b.start));
    // 40 travel + 40 service + 30 break.
    assert!((r.end_time - 110.0).abs() < 1e-9, "{r:?}");

    // A shift too short for visits plus break leaves a visit out rather than skipping the break.
    let short = Problem {
        vehicles: vec![Vehicle {
            rest: Some(rest),
            ..Vehicle::at(0, TimeWindow::new(0.0, 100.0))
        }],
        ..p
    };
    let plan = solve_with(&m, &short, 1, 0.0, 20);
    check_plan(&m, &short, &plan).unwrap();
    assert_eq!(plan.unassigned.len(), 1);
}

#[test]
fn open_tour_ends_at_the_last_visit() {
    let m = line(4);
    let tour = optimise_tour(&m, 0, None, &[3, 1, 2], 1, &mut Budget::iterations(10)).unwrap();
    assert_eq!(tour.order, vec![1, 2, 0]);
    assert_eq!(tour.distance, 30.0);
}

#[test]
fn vehicle_cost_trades_distance_for_fewer_technicians() {
    // Two customers on opposite sides of the depot: two technicians are not shorter in total,
    // but with windows that force parallel service they are needed.
    let m = DenseMatrix::euclidean(&[(0.0, 0.0), (10.0, 0.0), (-10.0, 0.0)]);
    let w = Some(TimeWindow::new(10.0, 12.0));
    let p = Problem {
        visits: vec![
            Visit {
                window: w,
                ..Visit::at(1, 1.0)
            },
            Visit {
                window: w,
                ..Visit::at(2, 1.0)
            },
        ],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 100.0)); 3],
    };
    let plan = solve_with(&m, &p, 3, 1000.0, 50);
    check_plan(&m, &p, &plan).unwrap();
    assert_eq!(plan.vehicles_used(), 2);
    assert_eq!(plan.distance, 40.0);
}

#[test]
fn suggestions_respect_windows_shift_and_budget() {
    let m = line(6);
    let p = Problem {
        visits: vec![Visit::at(1, 10.0), Visit::at(3, 10.0)],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 150.0))],
    };
    let candidates = vec![
        Visit::at(2, 10.0), // on the way: detour 0
        Visit::at(5, 10.0), // 40 extra
        Visit {
            window: Some(TimeWindow::new(0.0, 1.0)),
            ..Visit::at(2, 10.0)
        }, // window already past
        Visit::at(4, 60.0), // would end after the shift
    ];
    let budget = DetourBudget {
        max_extra_distance: Some(50.0),
        max_extra_travel_time: None,
    };
    let found = suggest_insertions(&m, &p, 0, &[0, 1], &candidates, budget).unwrap();
    let summary: Vec<_> = found
        .iter()
        .map(|s| (s.candidate, s.position, s.extra_distance))
        .collect();
    // Candidate 1 costs 40 after either stop; the earlier position wins the tie.
    assert_eq!(summary, vec![(0, 1, 0.0), (1, 1, 40.0)]);
    assert_eq!(found[0].extra_duration, 10.0);
    let tight = DetourBudget {
        max_extra_distance: None,
        max_extra_travel_time: Some(10.0),
    };
    let found = suggest_insertions(&m, &p, 0, &[0, 1], &candidates, tight).unwrap();
    assert_eq!(
        found.iter().map(|s| s.candidate).collect::<Vec<_>>(),
        vec![0]
    );
}

/// A matrix that only answers per pair (no `dense` rows), like a caller's own `TravelMatrix`.
struct PerPair<'a>(&'a DenseMatrix);

impl TravelMatrix for PerPair<'_> {
    fn size(&self) -> usize {
        self.0.size()
    }
    fn distance(&self, from: usize, to: usize) -> f64 {
        self.0.distance(from, to)
    }
    fn time(&self, from: usize, to: usize) -> f64 {
        self.0.time(from, to)
    }
}

/// A dense matrix is read in place (locations keep their matrix indices) unless a vehicle has
/// an open end; other matrices are copied into compact tables. Every way gives the same plans:
/// team days with open and closed ends, tours, and a tour through a few locations of a larger
/// matrix (which leaves most of it unused).
#[test]
fn a_matrix_read_in_place_or_copied_gives_the_same_plans() {
    for seed in 0..6 {
        let (m, mut p) = team_problem(seed, 30, 4);
        if seed % 2 == 0 {
            p.vehicles.iter_mut().for_each(|v| v.end = Some(v.start));
        }
        let options = Options {
            seed,
            vehicle_cost: 0.0,
        };
        let a = solve(&m, &p, &options, &mut Budget::iterations(300)).unwrap();
        let b = solve(&PerPair(&m), &p, &options, &mut Budget::iterations(300)).unwrap();
        check_plan(&m, &p, &a).unwrap();
        assert_eq!(a, b, "seed {seed}");
    }
    let m = DenseMatrix::euclidean(&random_points(9, 60));
    let stops: Vec<usize> = (0..60).filter(|i| i % 5 == 3).collect();
    for end in [Some(7), None] {
        let a = optimise_tour(&m, 7, end, &stops, 1, &mut Budget::iterations(200)).unwrap();
        let b = optimise_tour(
            &PerPair(&m),
            7,
            end,
            &stops,
            1,
            &mut Budget::iterations(200),
        );
        assert_eq!(a, b.unwrap());
        let seq: Vec<usize> = a.order.iter().map(|&i| stops[i]).collect();
        assert!((tour_length(&m, 7, end, &seq) - a.distance).abs() < 1e-6);
    }
}

/// A bad entry among the locations in use is refused whichever way the matrix is read; one
/// outside them does not matter.
#[test]
fn a_bad_matrix_entry_in_use_is_refused() {
    let mut d = vec![1.0; 16];
    d[2 * 4 + 1] = f64::NAN; // from 2 to 1
    let m = DenseMatrix::from_rows(4, d.clone(), d).unwrap();
    let p = |visits: &[usize]| Problem {
        visits: visits.iter().map(|&l| Visit::at(l, 0.0)).collect(),
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 100.0))],
    };
    for matrix in [&m as &dyn TravelMatrix, &PerPair(&m)] {
        let err = solve(
            matrix,
            &p(&[1, 2]),
            &Options::default(),
            &mut Budget::iterations(1),
        );
        assert!(
            matches!(err, Err(RoutingError::BadMatrix { from: 2, to: 1 })),
            "{err:?}"
        );
        let ok = solve(
            matrix,
            &p(&[1, 3]),
            &Options::default(),
            &mut Budget::iterations(1),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}

#[test]
fn bad_input_is_refused() {
    let m = line(2);
    let p = Problem {
        visits: vec![Visit::at(5, 1.0)],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 1.0))],
    };
    let err = solve(&m, &p, &Options::default(), &mut Budget::iterations(1)).unwrap_err();
    assert!(
        matches!(err, RoutingError::LocationOutOfRange { location: 5, .. }),
        "{err}"
    );
    let p = Problem {
        visits: vec![Visit {
            window: Some(TimeWindow::new(5.0, 1.0)),
            ..Visit::at(1, 1.0)
        }],
        vehicles: vec![Vehicle::at(0, TimeWindow::new(0.0, 1.0))],
    };
    assert!(matches!(
        solve(&m, &p, &Options::default(), &mut Budget::iterations(1)),
        Err(RoutingError::BadTime { .. })
    ));
}

#[test]
fn great_circle_day_in_jakarta() {
    let pts: Vec<LonLatPt> = vec![
        (106.8456, -6.2088),
        (106.8272, -6.1754),
        (106.7942, -6.2297),
        (106.8650, -6.1339),
    ];
    let ll: Vec<_> = pts
        .iter()
        .map(|&(lo, la)| wilayah_shared::LonLat::new(lo, la).unwrap())
        .collect();
    let m = DenseMatrix::great_circle(&ll, 8.0);
    let p = Problem {
        visits: (1..4).map(|l| Visit::at(l, 1800.0)).collect(),
        vehicles: vec![Vehicle::at(0, TimeWindow::new(8.0 * 3600.0, 17.0 * 3600.0))],
    };
    let plan = solve_with(&m, &p, 1, 0.0, 50);
    check_plan(&m, &p, &plan).unwrap();
    assert!(plan.unassigned.is_empty());
    assert!(
        (20_000.0..40_000.0).contains(&plan.distance),
        "{}",
        plan.distance
    );
}

type LonLatPt = (f64, f64);

#[test]
fn replanning_keeps_the_previous_order_and_fits_new_visits() {
    let (m, mut p) = team_problem(11, 12, 3);
    let before = solve_with(&m, &p, 5, 0.0, 200);
    check_plan(&m, &p, &before).unwrap();
    let start: Vec<(usize, Vec<usize>)> = before
        .routes
        .iter()
        .map(|r| (r.vehicle, r.stops.iter().map(|s| s.visit).collect()))
        .collect();
    // No search: the previous plan comes back unchanged.
    let options = Options {
        seed: 9,
        vehicle_cost: 0.0,
    };
    let same = solve_from(&m, &p, &start, &options, &mut Budget::iterations(0)).unwrap();
    assert_eq!(same.routes, before.routes);
    // A new visit is fitted in without reordering the rest.
    p.visits.push(Visit::at(2, 5.0));
    let after = solve_from(&m, &p, &start, &options, &mut Budget::iterations(0)).unwrap();
    check_plan(&m, &p, &after).unwrap();
    for (v, seq) in &start {
        let r = after.routes.iter().find(|r| r.vehicle == *v).unwrap();
        let kept: Vec<usize> = r
            .stops
            .iter()
            .map(|s| s.visit)
            .filter(|&c| c != 12)
            .collect();
        assert_eq!(&kept, seq);
    }
    // And searching from there stays feasible.
    let improved = solve_from(&m, &p, &start, &options, &mut Budget::iterations(100)).unwrap();
    check_plan(&m, &p, &improved).unwrap();
}

/// A clock for budgets that advances one millisecond per reading and counts the readings.
fn stepping_clock(readings: &std::cell::Cell<u64>) -> impl FnMut() -> std::time::Duration + '_ {
    move || {
        readings.set(readings.get() + 1);
        std::time::Duration::from_millis(readings.get())
    }
}

/// A 1,200-stop tour stops at the first reading of the clock past its limit, however small the
/// limit, and is still a tour through every stop. Construction and local search read the clock
/// too: given no time, the run returns a barely built tour instead of finishing them first. The
/// wall-clock figures for the same mechanism are in the bench (`--instances`, docs/routing.md).
#[test]
fn a_large_tour_stops_when_its_budget_says_so() {
    let n = 1_200;
    let m = DenseMatrix::euclidean(&random_points(77, n + 1));
    let stops: Vec<usize> = (1..=n).collect();
    let mut lengths = Vec::new();
    for limit in [0, 1, 3, 10, 40, 150] {
        let readings = std::cell::Cell::new(0);
        let mut clock = stepping_clock(&readings);
        let mut budget = Budget::iterations(u64::MAX)
            .with_time_limit(std::time::Duration::from_millis(limit), &mut clock);
        let tour = optimise_tour(&m, 0, Some(0), &stops, 1, &mut budget).unwrap();
        let mut seen = tour.order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        // One reading at the start, then the one that finds the limit passed.
        assert_eq!(readings.get(), (limit + 1).max(2), "limit {limit} ms");
        lengths.push(tour.distance);
    }
    assert!(
        lengths[0] > 1.5 * lengths[5] && lengths[3] > lengths[5],
        "work was not cut short: {lengths:?}"
    );
}

/// The same for a team day with windows (the ruin-and-recreate search): it stops at the first
/// reading past the limit, with every visit planned or explained.
#[test]
fn a_team_day_stops_when_its_budget_says_so() {
    let (m, p) = team_problem(5, 60, 4);
    for limit in [0, 1, 5, 30] {
        for vehicle_cost in [0.0, 1e5] {
            let readings = std::cell::Cell::new(0);
            let mut clock = stepping_clock(&readings);
            let mut budget = Budget::iterations(u64::MAX)
                .with_time_limit(std::time::Duration::from_millis(limit), &mut clock);
            let options = Options {
                seed: 3,
                vehicle_cost,
            };
            let plan = solve(&m, &p, &options, &mut budget).unwrap();
            check_plan(&m, &p, &plan).unwrap();
            assert!(
                readings.get() <= limit + 2,
                "limit {limit} ms, vehicle cost {vehicle_cost}: {} readings",
                readings.get()
            );
        }
    }
}
