//! Fast exact point-in-territory lookup: a uniform grid over the polygons' envelopes, and per
//! polygon its edges bucketed into horizontal bands.
//!
//! - **Grid.** Each cell lists the polygons whose envelope meets it, each marked either
//!   *inside* — no edge of the polygon comes near the cell (edge envelopes are compared with the
//!   cell widened by a millionth of its size, far more than the rounding of the cell index), so
//!   every point of the cell is inside, decided once by testing the cell's centre — or *test*.
//!   Cells with no edge nearby and outside a polygon do not list it. Most points fall in cells
//!   that answer without any geometry.
//! - **Bands.** For a *test* entry the crossing rule of [`super::Region`] runs over only the
//!   edges whose y-range meets the band holding the point's latitude. Every edge that can cross
//!   the point's ray has the point's latitude in its y-range, so it is in that band and the
//!   parity — and so the answer, boundary rule included — is exactly that of the full test.
//!
//! Polygons across the antimeridian (stored in 0..360° longitude) are few; they are not in the
//! grid and are tested (with their bands) for every point.

use geo::Coord;

use crate::LonLat;
use crate::spatial::region::{Plane, PreparedPolygon, edge_crosses};

/// One polygon's edges in horizontal bands.
#[derive(Debug, Clone)]
pub(super) struct Bands {
    bbox: [f64; 4],
    plane: Plane,
    inv_h: f64,
    /// `starts[i]..starts[i + 1]` are band `i`'s edges.
    starts: Vec<u32>,
    edges: Vec<[Coord<f64>; 2]>,
}

impl Bands {
    pub(super) fn new(part: &PreparedPolygon) -> Self {
        let bbox = part.bbox;
        let all: Vec<[Coord<f64>; 2]> = part
            .rings()
            .iter()
            .flat_map(|r| r.windows(2).map(|w| [w[0], w[1]]))
            .collect();
        let height = bbox[3] - bbox[1];
        let n = if height > 0.0 {
            (all.len() / 4).clamp(1, 4096)
        } else {
            1
        };
        let inv_h = if height > 0.0 { n as f64 / height } else { 0.0 };
        let band = |y: f64| (((y - bbox[1]) * inv_h).max(0.0) as usize).min(n - 1);
        let pad = if height > 0.0 {
            height / n as f64 * 1e-6
        } else {
            0.0
        };
        let mut counts = vec![0u32; n + 1];
        let ranges: Vec<(usize, usize)> = all
            .iter()
            .map(|[a, b]| (band(a.y.min(b.y) - pad), band(a.y.max(b.y) + pad)))
            .collect();
        for &(lo, hi) in &ranges {
            for c in &mut counts[lo..=hi] {
                *c += 1;
            }
        }
        let mut starts = Vec::with_capacity(n + 1);
        let mut total = 0u32;
        for c in &counts[..n] {
            starts.push(total);
            total += c;
        }
        starts.push(total);
        let mut fill = starts.clone();
        let mut edges = vec![[Coord { x: 0.0, y: 0.0 }; 2]; total as usize];
        for (e, &(lo, hi)) in all.iter().zip(&ranges) {
            for f in &mut fill[lo..=hi] {
                edges[*f as usize] = *e;
                *f += 1;
            }
        }
        Self {
            bbox,
            plane: part.plane,
            inv_h,
            starts,
            edges,
        }
    }

    /// Exactly [`PreparedPolygon::contains`].
    #[inline]
    pub(super) fn contains(&self, p: LonLat) -> bool {
        let p = self.plane.point(p);
        let [x0, y0, x1, y1] = self.bbox;
        if p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1 {
            return false;
        }
        let n = self.starts.len() - 1;
        let i = (((p.y - y0) * self.inv_h) as usize).min(n - 1);
        let (from, to) = (self.starts[i] as usize, self.starts[i + 1] as usize);
        self.edges[from..to]
            .iter()
            .fold(false, |odd, [a, b]| odd ^ edge_crosses(*a, *b, p))
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.starts.capacity() * 4 + self.edges.capacity() * size_of::<[Coord<f64>; 2]>()
    }
}

/// Set on a grid entry whose polygon contains the whole cell.
const INSIDE: u32 = 1 << 31;

/// The grid over the envelopes of the polygons that do not cross the antimeridian.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    bounds: [f64; 4],
    nx: usize,
    ny: usize,
    inv_dx: f64,
    inv_dy: f64,
    /// `starts[c]..starts[c + 1]` are cell `c`'s entries: a polygon index, `| INSIDE`.
    starts: Vec<u32>,
    entries: Vec<u32>,
}

/// About this many cells per polygon, up to [`MAX_CELLS`] (4 MB of offsets) in all.
const CELLS_PER_POLYGON: usize = 256;
const MAX_CELLS: usize = 1 << 20;

impl Grid {
    /// `parts[i]` is polygon `i` (with `bands[i]`); only those for which `in_grid` holds are put in.
    pub(super) fn new(parts: &[&PreparedPolygon], bands: &[Bands], in_grid: &[bool]) -> Self {
        let mut bounds = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (part, _) in parts.iter().zip(in_grid).filter(|(_, g)| **g) {
            let b = part.bbox;
            bounds = [
                bounds[0].min(b[0]),
                bounds[1].min(b[1]),
                bounds[2].max(b[2]),
                bounds[3].max(b[3]),
            ];
        }
        if bounds[0] > bounds[2] {
            return Self {
                bounds,
                nx: 0,
                ny: 0,
                inv_dx: 0.0,
                inv_dy: 0.0,
                starts: Vec::new(),
                entries: Vec::new(),
            };
        }
        let (w, h) = (bounds[2] - bounds[0], bounds[3] - bounds[1]);
        let polygons = in_grid.iter().filter(|g| **g).count();
        let target = (polygons * CELLS_PER_POLYGON).clamp(16, MAX_CELLS) as f64;
        let side = (w.max(1e-9) * h.max(1e-9) / target).sqrt();
        let nx = ((w / side).ceil() as usize).clamp(1, 1 << 14);
        let ny = ((h / side).ceil() as usize).clamp(1, 1 << 14);
        let (dx, dy) = (w / nx as f64, h / ny as f64);
        let mut grid = Self {
            bounds,
            nx,
            ny,
            inv_dx: if w > 0.0 { nx as f64 / w } else { 0.0 },
            inv_dy: if h > 0.0 { ny as f64 / h } else { 0.0 },
            starts: Vec::new(),
            entries: Vec::new(),
        };
        let (pad_x, pad_y) = (dx * 1e-6, dy * 1e-6);
        let mut listed: Vec<(u32, u32)> = Vec::new();
        for (pi, part) in parts.iter().enumerate() {
            if !in_grid[pi] {
                continue;
            }
            let [bx0, by0, bx1, by1] = part.bbox;
            let (i0, i1) = (grid.col(bx0 - pad_x), grid.col(bx1 + pad_x));
            let (j0, j1) = (grid.row(by0 - pad_y), grid.row(by1 + pad_y));
            let (w, h) = (i1 - i0 + 1, j1 - j0 + 1);
            let mut near_edge = vec![false; w * h];
            for ring in part.rings() {
                for e in ring.windows(2) {
                    let (a, b) = (e[0], e[1]);
                    let (ci0, ci1) = (
                        grid.col(a.x.min(b.x) - pad_x),
                        grid.col(a.x.max(b.x) + pad_x),
                    );
                    let (cj0, cj1) = (
                        grid.row(a.y.min(b.y) - pad_y),
                        grid.row(a.y.max(b.y) + pad_y),
                    );
                    for j in cj0..=cj1 {
                        for i in ci0..=ci1 {
                            near_edge[(j - j0) * w + (i - i0)] = true;
                        }
                    }
                }
            }
            for j in j0..=j1 {
                // Between cells near an edge, a run of cells is wholly inside or outside.
                let mut run_inside: Option<bool> = None;
                for i in i0..=i1 {
                    let cell = (j * nx + i) as u32;
                    if near_edge[(j - j0) * w + (i - i0)] {
                        run_inside = None;
                        listed.push((cell, pi as u32));
                        continue;
                    }
                    let inside = *run_inside.get_or_insert_with(|| {
                        let centre = LonLat::new_unchecked(
                            bounds[0] + (i as f64 + 0.5) * dx,
                            bounds[1] + (j as f64 + 0.5) * dy,
                        );
                        bands[pi].contains(centre)
                    });
                    if inside {
                        listed.push((cell, pi as u32 | INSIDE));
                    }
                }
            }
        }
        // Inside entries first within a cell: they need no test.
        listed.sort_unstable_by_key(|&(cell, e)| (cell, !e));
        let mut starts = Vec::with_capacity(nx * ny + 1);
        let mut k = 0;
        for cell in 0..(nx * ny) as u32 {
            starts.push(k as u32);
            while k < listed.len() && listed[k].0 == cell {
                k += 1;
            }
        }
        starts.push(k as u32);
        grid.starts = starts;
        grid.entries = listed.into_iter().map(|(_, e)| e).collect();
        grid
    }

    fn col(&self, x: f64) -> usize {
        (((x - self.bounds[0]) * self.inv_dx).max(0.0) as usize).min(self.nx - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.bounds[1]) * self.inv_dy).max(0.0) as usize).min(self.ny - 1)
    }

    /// Calls `found` with each polygon index containing `p` (among those in the grid).
    #[inline]
    pub(super) fn visit(&self, p: LonLat, bands: &[Bands], mut found: impl FnMut(u32)) {
        let (x, y) = (p.lon(), p.lat());
        let [x0, y0, x1, y1] = self.bounds;
        if !(x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            return;
        }
        let cell = self.row(y) * self.nx + self.col(x);
        let (from, to) = (self.starts[cell] as usize, self.starts[cell + 1] as usize);
        for &e in &self.entries[from..to] {
            let part = e & !INSIDE;
            if e & INSIDE != 0 || bands[part as usize].contains(p) {
                found(part);
            }
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        (self.starts.capacity() + self.entries.capacity()) * 4
    }
}
