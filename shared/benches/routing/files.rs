//! TSPLIB / VRPLIB text files: reading sections and header values, writing generated instances.

use std::path::Path;

/// Sections of a TSPLIB/VRPLIB file: header `KEY : value` pairs and numeric rows per section.
pub struct Lib {
    header: Vec<(String, String)>,
    sections: Vec<(String, Vec<Vec<f64>>)>,
}

impl Lib {
    pub fn read(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut lib = Lib {
            header: Vec::new(),
            sections: Vec::new(),
        };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if line == "EOF" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                lib.header
                    .push((k.trim().to_uppercase(), v.trim().to_string()));
            } else if line.ends_with("SECTION") {
                lib.sections.push((line.to_string(), Vec::new()));
            } else if let Some((_, rows)) = lib.sections.last_mut() {
                rows.push(
                    line.split_whitespace()
                        .filter_map(|x| x.parse().ok())
                        .collect(),
                );
            }
        }
        Some(lib)
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn section(&self, name: &str) -> &[Vec<f64>] {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, r)| r.as_slice())
    }
}

/// Writes a TSPLIB `EUC_2D` instance.
pub fn write_tsp(path: &Path, name: &str, comment: &str, pts: &[(f64, f64)]) {
    let mut out = format!(
        "NAME : {name}\nCOMMENT : {comment}\nTYPE : TSP\nDIMENSION : {}\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n",
        pts.len()
    );
    for (i, (x, y)) in pts.iter().enumerate() {
        out += &format!("{} {x} {y}\n", i + 1);
    }
    out += "EOF\n";
    std::fs::write(path, out).expect("write .tsp");
}

/// Writes a TSPLIB tour (0-based `order` written 1-based).
pub fn write_tour(path: &Path, name: &str, comment: &str, order: &[usize]) {
    let mut out = format!(
        "NAME : {name}\nCOMMENT : {comment}\nTYPE : TOUR\nDIMENSION : {}\nTOUR_SECTION\n",
        order.len()
    );
    for i in order {
        out += &format!("{}\n", i + 1);
    }
    out += "-1\nEOF\n";
    std::fs::write(path, out).expect("write .tour");
}

/// One VRPTW instance in the Solomon-style VRPLIB layout (node 1 is the depot).
pub struct VrpFile<'a> {
    pub name: &'a str,
    pub comment: &'a str,
    pub vehicles: usize,
    pub capacity: u32,
    pub service: f64,
    pub pts: &'a [(f64, f64)],
    pub demand: &'a [u32],
    pub windows: &'a [(f64, f64)],
}

pub fn write_vrp(path: &Path, f: &VrpFile) {
    let mut out = format!(
        "NAME : {}\nCOMMENT : {}\nTYPE : CVRPTW\nDIMENSION : {}\nVEHICLES : {}\nCAPACITY : {}\n\
         SERVICE_TIME : {}\nEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n",
        f.name,
        f.comment,
        f.pts.len(),
        f.vehicles,
        f.capacity,
        f.service
    );
    for (i, (x, y)) in f.pts.iter().enumerate() {
        out += &format!("{} {x} {y}\n", i + 1);
    }
    out += "DEMAND_SECTION\n";
    for (i, q) in f.demand.iter().enumerate() {
        out += &format!("{} {q}\n", i + 1);
    }
    out += "TIME_WINDOW_SECTION\n";
    for (i, (a, b)) in f.windows.iter().enumerate() {
        out += &format!("{} {a} {b}\n", i + 1);
    }
    out += "DEPOT_SECTION\n1\n-1\nEOF\n";
    std::fs::write(path, out).expect("write .vrp");
}

/// Writes a solution in the PyVRP/CVRPLIB `.sol` layout (visits numbered from 1, depot 0).
pub fn write_sol(path: &Path, routes: &[Vec<usize>], cost: f64) {
    let mut out = String::new();
    for (i, r) in routes.iter().enumerate() {
        let visits: Vec<String> = r.iter().map(|v| v.to_string()).collect();
        out += &format!("Route #{}: {}\n", i + 1, visits.join(" "));
    }
    out += &format!("Cost {cost:.1}\n");
    std::fs::write(path, out).expect("write .sol");
}
