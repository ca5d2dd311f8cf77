//! `--week`: the dispatcher's week plan (issue 17's performance line): 20 technicians × 5 days
//! (100 technician-days, each a vehicle with its own shift and lunch break on one clock of seconds
//! since Monday 00:00) and 400 visits with windows and skills around Jakarta, great-circle at
//! 30 km/h.
//!
//! The instance is generated from a *planted* plan: each technician-day drives a route of four
//! visits that is simulated while it is drawn (travel, service, the break, the shift end), and
//! every visit gets a window around its planted start (or a whole day, or none) and a skill the
//! planted technician has. So a plan serving all 400 exists, and any visit the optimiser leaves
//! out is one that a feasible plan could take. The bench prints, per budget, the visits left out,
//! the distance against the planted plan's, the wall time, and an independent check of the
//! answer's windows, skills, shifts and breaks.

use super::{clock, header, row};
use std::time::{Duration, Instant};
use wilayah_shared::LonLat;
use wilayah_shared::routing::*;

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;
const TECHS: usize = 20;
const DAYS: usize = 5;
const PER_DAY: usize = 4;
const SKILLS: [&str; 3] = ["gas", "electric", "solar"];
/// Lunch: 45 minutes starting between 11:30 and 13:30.
const LUNCH: (f64, f64, f64) = (11.5 * HOUR, 13.5 * HOUR, 45.0 * 60.0);

struct Week {
    m: DenseMatrix,
    problem: Problem,
    planted_m: f64,
}

fn generate(seed: u64) -> Week {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut r = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let bases = [
        (106.80, -6.20),
        (106.90, -6.25),
        (106.75, -6.30),
        (106.85, -6.35),
    ];
    let mut points: Vec<LonLat> = bases
        .iter()
        .map(|&(lo, la)| LonLat::new(lo, la).unwrap())
        .collect();
    let tech_skills: Vec<Vec<String>> = (0..TECHS)
        .map(|j| match j % 5 {
            0 => vec![SKILLS[0].into()],
            1 => vec![SKILLS[0].into(), SKILLS[1].into()],
            2 => vec![SKILLS[2].into()],
            _ => vec![],
        })
        .collect();
    let speed = 30.0 / 3.6;
    let travel = |a: LonLat, b: LonLat| {
        let d = DenseMatrix::great_circle(&[a, b], speed);
        (d.distance(0, 1), d.time(0, 1))
    };
    let mut visits = Vec::new();
    let mut vehicles = Vec::new();
    let mut planted_m = 0.0;
    for day in 0..DAYS {
        for (j, skills) in tech_skills.iter().enumerate() {
            let base = points[j % bases.len()];
            let (t0, t1) = (
                day as f64 * DAY + 8.0 * HOUR,
                day as f64 * DAY + 17.0 * HOUR,
            );
            let lunch = (day as f64 * DAY + LUNCH.0, day as f64 * DAY + LUNCH.1);
            vehicles.push(Vehicle {
                rest: Some(Break {
                    window: TimeWindow::new(lunch.0, lunch.1),
                    duration: LUNCH.2,
                }),
                skills: skills.clone(),
                ..Vehicle::at(j % bases.len(), TimeWindow::new(t0, t1))
            });
            // Draw the route while simulating it; a visit that would not fit is drawn again.
            let (mut at, mut now, mut lunch_taken, mut placed) = (base, t0, false, 0);
            let mut tries = 0;
            while placed < PER_DAY && tries < 200 {
                tries += 1;
                let p = LonLat::new(
                    base.lon() + (r() - 0.5) * 0.2,
                    base.lat() + (r() - 0.5) * 0.2,
                )
                .unwrap();
                let service = (60.0 + 45.0 * r()).round() * 60.0;
                let (d, t) = travel(at, p);
                let (d_home, t_home) = travel(p, base);
                // Lunch before this leg if arriving would pass its latest start.
                let lunch_now = !lunch_taken && now + t > lunch.0;
                let depart = if lunch_now {
                    now.max(lunch.0) + LUNCH.2
                } else {
                    now
                };
                if lunch_now && now.max(lunch.0) > lunch.1 {
                    continue;
                }
                let start = depart + t;
                let back = start + service + t_home;
                let back = if !lunch_now && !lunch_taken {
                    // Lunch still to come: on the way home at the latest.
                    if (start + service).max(lunch.0) > lunch.1 {
                        continue;
                    }
                    (start + service).max(lunch.0) + LUNCH.2 + t_home
                } else {
                    back
                };
                if back > t1 {
                    continue;
                }
                let kind = r();
                let window = if kind < 0.4 {
                    let open = start - 2.0 * HOUR * r();
                    Some(TimeWindow::new(open, open + 2.0 * HOUR))
                } else if kind < 0.6 {
                    Some(TimeWindow::new(t0, t1))
                } else {
                    None
                };
                let needs = if !skills.is_empty() && r() < 0.5 {
                    vec![skills[(r() * skills.len() as f64) as usize % skills.len()].clone()]
                } else {
                    vec![]
                };
                points.push(p);
                visits.push(Visit {
                    location: points.len() - 1,
                    service_time: service,
                    window,
                    demand: 0,
                    skills: needs,
                });
                planted_m += d;
                lunch_taken |= lunch_now;
                now = start + service;
                at = p;
                placed += 1;
                if placed == PER_DAY {
                    planted_m += d_home;
                }
            }
            assert_eq!(placed, PER_DAY, "the generator could not plant a day");
        }
    }
    let m = DenseMatrix::great_circle(&points, speed);
    Week {
        m,
        problem: Problem { visits, vehicles },
        planted_m,
    }
}

/// Independent check of a plan: every visit once (served or explained), each stop inside its
/// window and the vehicle's shift, travel and service times respected in order, the break inside
/// its window without overlapping a visit, skills held. Returns what is wrong, if anything.
fn check(m: &DenseMatrix, p: &Problem, plan: &Plan) -> Option<String> {
    let mut seen = vec![0; p.visits.len()];
    for r in &plan.routes {
        let v = &p.vehicles[r.vehicle];
        let (mut free, mut at) = (r.start_time.max(v.shift.start), v.start);
        // The earliest the vehicle can be ready at the end of leg `k` (before stop k, or home).
        let ready = |k: usize, free: f64, travel: f64| -> Result<f64, String> {
            match r.rest.filter(|b| b.after_stops == k) {
                None => Ok(free + travel),
                Some(b) if b.start < free - 1e-6 => Err(format!(
                    "vehicle {}: break overlaps the visit before leg {k}",
                    r.vehicle
                )),
                // On the way (travel and break do not overlap), or on arrival while waiting.
                Some(b) if b.start < free + travel => {
                    Ok((free + travel + b.end - b.start).max(b.end))
                }
                Some(b) => Ok(b.end),
            }
        };
        for (k, s) in r.stops.iter().enumerate() {
            seen[s.visit] += 1;
            let visit = &p.visits[s.visit];
            if !visit.skills.iter().all(|x| v.skills.contains(x)) {
                return Some(format!(
                    "visit {} lacks a skill on vehicle {}",
                    s.visit, r.vehicle
                ));
            }
            if visit
                .window
                .is_some_and(|w| s.start < w.start - 1e-6 || s.start > w.end + 1e-6)
            {
                return Some(format!("visit {} outside its window", s.visit));
            }
            match ready(k, free, m.time(at, visit.location)) {
                Err(why) => return Some(why),
                Ok(t) if s.start < t - 1e-6 => {
                    return Some(format!("visit {} starts before it can be reached", s.visit));
                }
                Ok(_) => {}
            }
            free = s.start + visit.service_time;
            at = visit.location;
        }
        let home = match ready(r.stops.len(), free, m.time(at, v.end.unwrap_or(at))) {
            Ok(t) => t,
            Err(why) => return Some(why),
        };
        if home > v.shift.end + 1e-6 {
            return Some(format!("vehicle {} back after its shift", r.vehicle));
        }
        match (v.rest, r.rest) {
            (Some(b), Some(s))
                if s.start < b.window.start - 1e-6 || s.start > b.window.end + 1e-6 =>
            {
                return Some(format!("vehicle {} break outside its window", r.vehicle));
            }
            (Some(_), None) => return Some(format!("vehicle {} has no break", r.vehicle)),
            _ => {}
        }
    }
    for u in &plan.unassigned {
        seen[u.visit] += 1;
    }
    seen.iter()
        .position(|&k| k != 1)
        .map(|c| format!("visit {c} appears {} times", seen[c]))
}

pub fn run(seed: u64, runs: u64, budgets_ms: &[u64]) {
    let week = generate(seed);
    let n = week.problem.visits.len();
    println!(
        "\n## Week plan: {TECHS} technicians × {DAYS} days ({} technician-days with lunch breaks and \
         skills), {n} visits (40 % with a 2-hour window, 20 % a day window), planted plan {:.1} km\n",
        week.problem.vehicles.len(),
        week.planted_m / 1000.0
    );
    header(&[
        "budget ms",
        "seed",
        "wall ms",
        "unassigned",
        "technician-days used",
        "km",
        "vs planted %",
        "check",
        "iterations",
    ]);
    for &ms in budgets_ms {
        for s in seed..seed + runs {
            let mut c = clock();
            let t = Instant::now();
            let mut budget =
                Budget::iterations(u64::MAX).with_time_limit(Duration::from_millis(ms), &mut c);
            let options = Options {
                seed: s,
                vehicle_cost: 0.0,
            };
            let plan = solve(&week.m, &week.problem, &options, &mut budget).unwrap();
            let wall = t.elapsed().as_secs_f64() * 1e3;
            row(&[
                ms.to_string(),
                s.to_string(),
                format!("{wall:.0}"),
                plan.unassigned.len().to_string(),
                plan.vehicles_used().to_string(),
                format!("{:.1}", plan.distance / 1000.0),
                format!(
                    "{:+.1}",
                    100.0 * (plan.distance - week.planted_m) / week.planted_m
                ),
                check(&week.m, &week.problem, &plan).unwrap_or_else(|| "ok".into()),
                plan.iterations.to_string(),
            ]);
        }
    }
}
