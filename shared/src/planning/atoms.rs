//! The building blocks balancing works on, and their adjacency: grid cells holding accounts
//! (for accounts scattered over islands), or polygons that share edges (counties).

use std::collections::HashMap;

use geo::{Coord, LineString, MultiPolygon, Polygon, unary_union};

use super::balance::{Atom, Projection};
use crate::LonLat;

/// Component label of each node and how many components there are.
pub(crate) fn components(adjacency: &[Vec<usize>]) -> (Vec<usize>, usize) {
    let mut label = vec![usize::MAX; adjacency.len()];
    let mut count = 0;
    let mut stack = Vec::new();
    for start in 0..adjacency.len() {
        if label[start] != usize::MAX {
            continue;
        }
        label[start] = count;
        stack.push(start);
        while let Some(i) = stack.pop() {
            for &j in &adjacency[i] {
                if label[j] == usize::MAX {
                    label[j] = count;
                    stack.push(j);
                }
            }
        }
        count += 1;
    }
    (label, count)
}

fn link(adjacency: &mut [Vec<usize>], i: usize, j: usize) {
    if i != j && !adjacency[i].contains(&j) {
        adjacency[i].push(j);
        adjacency[j].push(i);
    }
}

/// Joins separate parts of the graph (islands) until it is connected: each part but the
/// largest is linked, by its closest pair of atoms, to the nearest atom outside it. Returns the
/// links added. Balancing then treats a sea crossing like a shared border.
pub fn connect_components(
    adjacency: &mut [Vec<usize>],
    positions: &[[f64; 2]],
) -> Vec<(usize, usize)> {
    let projection = Projection::around(positions.iter().copied());
    let xy: Vec<[f64; 2]> = positions.iter().map(|&p| projection.km(p)).collect();
    let mut added = Vec::new();
    loop {
        let (label, count) = components(adjacency);
        if count <= 1 {
            return added;
        }
        let mut sizes = vec![0usize; count];
        for &l in &label {
            sizes[l] += 1;
        }
        let largest = (0..count)
            .max_by_key(|&c| (sizes[c], usize::MAX - c))
            .unwrap_or(0);
        // Link every smaller part this round; parts may merge with each other, which is fine.
        let mut links = Vec::new();
        for c in (0..count).filter(|&c| c != largest) {
            let mut best: Option<(f64, usize, usize)> = None;
            for i in (0..label.len()).filter(|&i| label[i] == c) {
                for j in (0..label.len()).filter(|&j| label[j] != c) {
                    let d = (xy[i][0] - xy[j][0]).powi(2) + (xy[i][1] - xy[j][1]).powi(2);
                    if best.is_none_or(|(b, _, _)| d < b) {
                        best = Some((d, i, j));
                    }
                }
            }
            if let Some((_, i, j)) = best {
                links.push((i, j));
            }
        }
        for (i, j) in links {
            if !adjacency[i].contains(&j) {
                link(adjacency, i, j);
                added.push((i, j));
            }
        }
    }
}

/// Atoms made of the square grid cells (of `cell_deg` degrees) that hold at least one account.
#[derive(Debug, Clone, PartialEq)]
pub struct GridAtoms {
    pub cell_deg: f64,
    /// (column, row) of each atom's cell: `lon = column · cell_deg`.
    pub cells: Vec<(i64, i64)>,
    pub atoms: Vec<Atom>,
    /// Atom of each input account.
    pub atom_of: Vec<usize>,
    /// Cells touching at an edge or a corner are neighbours; islands are joined by
    /// [`connect_components`].
    pub adjacency: Vec<Vec<usize>>,
}

/// Grid atoms for accounts at `positions` with `revenue` each. An atom's position is the mean of
/// its accounts (where the work is), its area the cell's.
pub fn grid_atoms(accounts: &[(LonLat, f64)], cell_deg: f64) -> GridAtoms {
    let mut index: HashMap<(i64, i64), usize> = HashMap::new();
    let mut cells = Vec::new();
    let mut sums: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut atom_of = Vec::with_capacity(accounts.len());
    for &(p, revenue) in accounts {
        let cell = (
            (p.lon() / cell_deg).floor() as i64,
            (p.lat() / cell_deg).floor() as i64,
        );
        let i = *index.entry(cell).or_insert_with(|| {
            cells.push(cell);
            sums.push((0.0, 0.0, 0.0, 0.0));
            cells.len() - 1
        });
        let s = &mut sums[i];
        s.0 += 1.0;
        s.1 += revenue;
        s.2 += p.lon();
        s.3 += p.lat();
        atom_of.push(i);
    }
    let atoms: Vec<Atom> = cells
        .iter()
        .zip(&sums)
        .map(|(&(_, row), &(n, revenue, lon, lat))| {
            let mid_lat = (row as f64 + 0.5) * cell_deg;
            let side_km = cell_deg * 111.2;
            Atom {
                position: [lon / n, lat / n],
                area_km2: side_km * side_km * mid_lat.to_radians().cos(),
                accounts: n,
                revenue,
            }
        })
        .collect();
    let mut adjacency = vec![Vec::new(); cells.len()];
    for (i, &(x, y)) in cells.iter().enumerate() {
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(&j) = index.get(&(x + dx, y + dy))
                    && j > i
                {
                    link(&mut adjacency, i, j);
                }
            }
        }
    }
    let positions: Vec<[f64; 2]> = atoms.iter().map(|a| a.position).collect();
    connect_components(&mut adjacency, &positions);
    GridAtoms {
        cell_deg,
        cells,
        atoms,
        atom_of,
        adjacency,
    }
}

/// The union of grid cells as one multipolygon (what a district of grid atoms covers).
pub fn cells_multipolygon(cells: &[(i64, i64)], cell_deg: f64) -> MultiPolygon<f64> {
    let squares: Vec<Polygon<f64>> = cells
        .iter()
        .map(|&(x, y)| {
            // Each edge from its own index, so neighbours share bit-identical edges (x0 + cell
            // can differ from the next cell's x0 in the last bit).
            let (x0, y0) = (x as f64 * cell_deg, y as f64 * cell_deg);
            let (x1, y1) = ((x + 1) as f64 * cell_deg, (y + 1) as f64 * cell_deg);
            Polygon::new(
                LineString(vec![
                    Coord { x: x0, y: y0 },
                    Coord { x: x1, y: y0 },
                    Coord { x: x1, y: y1 },
                    Coord { x: x0, y: y1 },
                    Coord { x: x0, y: y0 },
                ]),
                Vec::new(),
            )
        })
        .collect();
    let merged = unary_union(&squares);
    // Snap to the grid's own precision so shared corners stay identical.
    let round = |v: f64| (v * 1e9).round() / 1e9;
    MultiPolygon(
        merged
            .0
            .into_iter()
            .map(|p| {
                let snap = |l: &LineString<f64>| {
                    LineString(
                        l.0.iter()
                            .map(|c| Coord {
                                x: round(c.x),
                                y: round(c.y),
                            })
                            .collect(),
                    )
                };
                Polygon::new(snap(p.exterior()), p.interiors().iter().map(snap).collect())
            })
            .collect(),
    )
}

/// Neighbours among polygons that share at least one edge (identical end positions, as in
/// boundary files built from shared arcs, e.g. TopoJSON), each list ascending.
pub fn shared_edge_adjacency(polygons: &[MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    type Position = (i64, i64);
    let key =
        |c: &Coord<f64>| -> Position { ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64) };
    let mut edges: HashMap<(Position, Position), Vec<usize>> = HashMap::new();
    for (i, mp) in polygons.iter().enumerate() {
        for polygon in &mp.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for w in ring.0.windows(2) {
                    let (a, b) = (key(&w[0]), key(&w[1]));
                    if a == b {
                        continue;
                    }
                    let e = if a < b { (a, b) } else { (b, a) };
                    let owners = edges.entry(e).or_default();
                    if !owners.contains(&i) {
                        owners.push(i);
                    }
                }
            }
        }
    }
    let mut adjacency = vec![Vec::new(); polygons.len()];
    for owners in edges.values() {
        for (x, &i) in owners.iter().enumerate() {
            for &j in &owners[x + 1..] {
                link(&mut adjacency, i, j);
            }
        }
    }
    for list in &mut adjacency {
        list.sort_unstable();
    }
    adjacency
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn grid_atoms_group_accounts_and_join_islands() {
        let accounts = [
            (ll(106.81, -6.21), 5.0),
            (ll(106.82, -6.22), 7.0),
            (ll(106.93, -6.21), 1.0),
            (ll(115.2, -8.6), 3.0),
        ];
        let g = grid_atoms(&accounts, 0.1);
        assert_eq!(g.atoms.len(), 3);
        assert_eq!(g.atom_of[0], g.atom_of[1]);
        assert_eq!(g.atoms[0].accounts, 2.0);
        assert_eq!(g.atoms[0].revenue, 12.0);
        assert_eq!(components(&g.adjacency).1, 1, "{:?}", g.adjacency);
        assert!(g.adjacency[0].contains(&1));
        let mp = cells_multipolygon(&[g.cells[0], g.cells[1]], 0.1);
        assert_eq!(mp.0.len(), 1);
        assert!((mp.unsigned_area() - 0.02).abs() < 1e-9);
    }

    #[test]
    fn polygons_sharing_an_edge_are_neighbours() {
        let square = |x: f64, y: f64| {
            MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (x, y),
                    (x + 1.0, y),
                    (x + 1.0, y + 1.0),
                    (x, y + 1.0),
                    (x, y),
                ]),
                vec![],
            )])
        };
        // 0|1 side by side, 2 above 0, 3 touching 1 only at a corner.
        let polygons = [
            square(0.0, 0.0),
            square(1.0, 0.0),
            square(0.0, 1.0),
            square(2.0, 1.0),
        ];
        let adjacency = shared_edge_adjacency(&polygons);
        assert_eq!(adjacency, vec![vec![1, 2], vec![0], vec![0], vec![]]);
    }
}
