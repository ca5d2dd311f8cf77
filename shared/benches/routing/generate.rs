//! Synthetic instances written as files, so `--instances DIR` treats them like public ones:
//! 1,000-point travelling-salesman instances (uniform and clustered, after the DIMACS TSP
//! challenge's generators) and 100-visit VRPTW instances with clustered customers and wide windows
//! (shaped like Solomon's C2/RC2 classes).

use super::files::{VrpFile, write_tsp, write_vrp};
use std::path::Path;

/// xorshift64* with Box–Muller normals: enough for test data, reproducible from the seed.
struct Gen(u64);

impl Gen {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Uniform integer points in [0, 10⁶)², or clustered: n/10 uniform centres with points normally
/// distributed around them (σ = 10⁶/√n), clamped to the square.
pub fn tsp_points(n: usize, clustered: bool, seed: u64) -> Vec<(f64, f64)> {
    let mut g = Gen::new(seed);
    let side = 1e6;
    let centres: Vec<(f64, f64)> = (0..(n / 10).max(1))
        .map(|_| (g.unit() * side, g.unit() * side))
        .collect();
    let sigma = side / (n as f64).sqrt();
    (0..n)
        .map(|_| {
            if clustered {
                let (cx, cy) = centres[(g.unit() * centres.len() as f64) as usize];
                let x = (cx + g.normal() * sigma).clamp(0.0, side - 1.0);
                let y = (cy + g.normal() * sigma).clamp(0.0, side - 1.0);
                (x.floor(), y.floor())
            } else {
                ((g.unit() * side).floor(), (g.unit() * side).floor())
            }
        })
        .collect()
}

/// Locations (depot first), demands and windows of a generated day.
type Day = (Vec<(f64, f64)>, Vec<u32>, Vec<(f64, f64)>);

/// Shape of a clustered wide-window day.
pub struct Clusters {
    pub count: usize,
    /// Standard deviation of a visit around its cluster centre.
    pub sigma: f64,
    /// Window widths are `width × 1..=4`.
    pub width: f64,
    /// Share of visits open all day.
    pub all_day: f64,
}

/// A VRPTW day on Solomon's scale (100 × 100 square, depot near the middle, horizon 3,390,
/// service 90, capacity 700, 25 vehicles): customers in clusters, each window a random multiple
/// of `width` around a time the visit could be served, some open all day.
pub fn clustered_wide_vrptw(n: usize, seed: u64, shape: &Clusters) -> Day {
    let mut g = Gen::new(seed ^ 0x5a5a);
    let (horizon, service) = (3390.0, 90.0);
    let depot = (40.0, 50.0);
    let centres: Vec<(f64, f64)> = (0..shape.count)
        .map(|_| (5.0 + g.unit() * 90.0, 5.0 + g.unit() * 90.0))
        .collect();
    let mut pts = vec![depot];
    let mut demand = vec![0];
    let mut windows = vec![(0.0, horizon)];
    for _ in 0..n {
        let (cx, cy) = centres[(g.unit() * centres.len() as f64) as usize];
        let x = (cx + g.normal() * shape.sigma).clamp(0.0, 100.0).round();
        let y = (cy + g.normal() * shape.sigma).clamp(0.0, 100.0).round();
        let reach = (x - depot.0).hypot(y - depot.1).ceil();
        let (earliest, latest) = (reach, horizon - reach - service);
        let window = if g.unit() < shape.all_day {
            (earliest, latest)
        } else {
            let width = shape.width * (1.0 + (g.unit() * 4.0).floor());
            let centre = earliest + g.unit() * (latest - earliest);
            let a = (centre - width / 2.0).max(earliest).floor();
            let b = (centre + width / 2.0).min(latest).floor();
            (a, b.max(a))
        };
        pts.push((x, y));
        demand.push(10 + (g.unit() * 4.0).floor() as u32 * 10);
        windows.push(window);
    }
    (pts, demand, windows)
}

/// Writes the synthetic set into `dir`: uniform and clustered 1,000-point tours (seeds 1, 2) and
/// clustered wide-window VRPTW days of two shapes (three seeds each): `cw` 8 loose clusters
/// (σ 4), windows 320–1,280 wide, a fifth all day; `ct` 10 tight clusters (σ 2) like Solomon's C2,
/// windows 640–2,560 wide, 30 % all day.
pub fn write_all(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create the instance folder");
    for seed in 1..=2 {
        for (kind, clustered) in [("uniform", false), ("clustered", true)] {
            let name = format!("{kind}1000-{seed}");
            let comment =
                format!("1000 {kind} points in [0, 1e6)^2, seed {seed} (wilayah bench generator)");
            let pts = tsp_points(1000, clustered, seed);
            write_tsp(&dir.join(format!("{name}.tsp")), &name, &comment, &pts);
        }
    }
    let shapes = [
        (
            "cw",
            Clusters {
                count: 8,
                sigma: 4.0,
                width: 320.0,
                all_day: 0.2,
            },
        ),
        (
            "ct",
            Clusters {
                count: 10,
                sigma: 2.0,
                width: 640.0,
                all_day: 0.3,
            },
        ),
    ];
    // (prefix, visits, seeds): three 100-visit days per shape, and one 1,000-visit day to time.
    let sizes = [("cw", 100, 3), ("ct", 100, 3), ("cw", 1000, 1)];
    for (prefix, n, seeds) in sizes {
        let shape = &shapes.iter().find(|s| s.0 == prefix).unwrap().1;
        for seed in 1..=seeds {
            let name = format!("{prefix}{n}-{seed}");
            let (pts, demand, windows) = clustered_wide_vrptw(n, seed, shape);
            let comment = format!(
                "{n} visits in {} clusters (sigma {}), windows {}-{} wide, {:.0} % all day, seed {seed} \
                 (wilayah bench generator)",
                shape.count,
                shape.sigma,
                shape.width,
                4.0 * shape.width,
                100.0 * shape.all_day
            );
            write_vrp(
                &dir.join(format!("{name}.vrp")),
                &VrpFile {
                    name: &name,
                    comment: &comment,
                    vehicles: n / 4,
                    capacity: 700,
                    service: 90.0,
                    pts: &pts,
                    demand: &demand,
                    windows: &windows,
                },
            );
        }
    }
}
