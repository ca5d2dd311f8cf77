//! Held–Karp lower bound for a symmetric TSP: the best 1-tree (a spanning tree on nodes 1..n plus
//! the two cheapest edges at node 0) under node penalties π, maximised by subgradient steps
//! (Held & Karp 1971; step after Polyak, with Volgenant–Jonker's smoothing of the direction). Any
//! tour is at least this long, so `(tour − bound) / bound` over-states the gap to the optimum.

/// The bound for the dense symmetric matrix `d` (n × n, row-major), given an `upper` bound (a tour
/// length) to size the steps, after at most `iterations` 1-trees.
pub fn bound(d: &[f64], n: usize, upper: f64, iterations: usize) -> f64 {
    if n < 3 {
        return upper;
    }
    let mut pi = vec![0.0; n];
    let mut best = f64::NEG_INFINITY;
    let mut lambda = 2.0;
    let mut since_best = 0;
    let mut prev_dir = vec![0.0; n];
    let (mut key, mut parent, mut done, mut deg) =
        (vec![0.0; n], vec![0usize; n], vec![false; n], vec![0i64; n]);
    for _ in 0..iterations {
        // Prim over nodes 1..n with costs d + π_i + π_j.
        let c = |i: usize, j: usize| d[i * n + j] + pi[i] + pi[j];
        deg.fill(0);
        done.fill(false);
        for j in 1..n {
            key[j] = c(1, j);
            parent[j] = 1;
        }
        done[1] = true;
        let mut w = 0.0;
        for _ in 2..n {
            let mut u = 0;
            let mut best_key = f64::INFINITY;
            for j in 2..n {
                if !done[j] && key[j] < best_key {
                    best_key = key[j];
                    u = j;
                }
            }
            done[u] = true;
            w += best_key;
            deg[u] += 1;
            deg[parent[u]] += 1;
            for j in 2..n {
                if !done[j] {
                    let k = c(u, j);
                    if k < key[j] {
                        key[j] = k;
                        parent[j] = u;
                    }
                }
            }
        }
        // Node 0's two cheapest edges.
        let (mut a, mut b) = ((f64::INFINITY, 0), (f64::INFINITY, 0));
        for j in 1..n {
            let k = c(0, j);
            if k < a.0 {
                b = a;
                a = (k, j);
            } else if k < b.0 {
                b = (k, j);
            }
        }
        w += a.0 + b.0;
        deg[0] = 2;
        deg[a.1] += 1;
        deg[b.1] += 1;
        let lower = w - 2.0 * pi.iter().sum::<f64>();
        if lower > best + 1e-9 {
            best = lower;
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= 20 {
                lambda /= 2.0;
                since_best = 0;
            }
        }
        let norm: f64 = deg.iter().map(|&g| ((g - 2) * (g - 2)) as f64).sum();
        if norm == 0.0 || lambda < 1e-7 {
            break; // the 1-tree is a tour: optimal
        }
        let step = lambda * (upper - lower).max(1e-9 * upper) / norm;
        for i in 0..n {
            let dir = 0.7 * (deg[i] - 2) as f64 + 0.3 * prev_dir[i];
            prev_dir[i] = dir;
            pi[i] += step * dir;
        }
    }
    best
}
