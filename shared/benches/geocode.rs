//! Geocoding an import offline: 10,000 generated address rows (street, number, neighbourhood
//! and district words, city or regency, province, postcode, in the forms people type them,
//! plus province-only and unreadable rows) through the built-in gazetteer. Prints the time per
//! import (median of the runs), the first call's build of the gazetteer, the precision of the
//! hits and how many place rows landed on the place they were made from.
//!
//!     cargo bench -p wilayah-shared --bench geocode
//!     cargo bench -p wilayah-shared --bench geocode -- --rows 100000 --runs 3

use std::time::Instant;

use wilayah_shared::LonLat;
use wilayah_shared::geocode::{GEONAMES_ID_PLACES_CSV, Precision, geocode, provinces};
use wilayah_shared::rng::SplitMix64;
use wilayah_shared::spatial::haversine_m;

#[path = "support/args.rs"]
mod args;
use args::arg;

const STREETS: &[&str] = &[
    "Sudirman",
    "Ahmad Yani",
    "Diponegoro",
    "Gatot Subroto",
    "Merdeka",
    "Pahlawan",
    "Gajah Mada",
    "Hayam Wuruk",
    "Imam Bonjol",
    "Pemuda",
    "Veteran",
    "Raya Bogor",
    "Asia Afrika",
    "MH Thamrin",
    "Pattimura",
    "Kartini",
    "Cut Nyak Dien",
    "Teuku Umar",
];
const SUBURBS: &[&str] = &[
    "Sukamaju",
    "Cempaka Putih",
    "Mekarsari",
    "Sukajadi",
    "Sumbersari",
    "Karang Anyar",
    "Tegalrejo",
    "Kebon Jeruk",
    "Margahayu",
    "Suka Damai",
    "Tanjung Rejo",
    "Kampung Baru",
];

/// A row made from a place (`Some(index)`) or from no place.
struct Row {
    address: String,
    from: Option<usize>,
}

fn rows(n: usize, places: &[(String, String, LonLat)]) -> Vec<Row> {
    let provinces: Vec<(&str, &str)> = provinces().collect();
    let province_of = |code: &str| {
        provinces
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, name)| *name)
    };
    let mut rng = SplitMix64::new(14);
    (0..n)
        .map(|_| {
            let i = rng.below(places.len());
            let (name, code, _) = &places[i];
            let province = province_of(code);
            let street = rng.pick(STREETS);
            let number = 1 + rng.below(250);
            let (kel, kec) = (rng.pick(SUBURBS), rng.pick(SUBURBS));
            let postcode = 10_000 + rng.below(89_999);
            let form = rng.below(100);
            let address = match form {
                0..=39 => format!(
                    "Jl. {street} No. {number}, Kel. {kel}, Kec. {kec}, Kota {name}, {province} {postcode}"
                ),
                40..=59 => format!("Jl. {street} {number} {name}"),
                60..=74 => format!(
                    "JL {} NO.{number} RT 0{}/RW 0{}, {}, {}",
                    street.to_uppercase(),
                    1 + rng.below(9),
                    1 + rng.below(9),
                    name.to_uppercase(),
                    province.to_uppercase()
                ),
                75..=89 => format!("Desa {name}, Kab. {kec}, Prov. {province}"),
                90..=96 => format!("Jl. {street} No. {number}, {province}"),
                _ => format!("Ruko {kel} Blok {}", 1 + rng.below(20)),
            };
            let from = (form < 90).then_some(i);
            Row { address, from }
        })
        .collect()
}

fn main() {
    let n = arg("--rows", 10_000);
    let runs = arg("--runs", 5);
    let places: Vec<(String, String, LonLat)> = GEONAMES_ID_PLACES_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty() && !l.starts_with('"'))
        .map(|line| {
            let mut f = line.rsplitn(4, ',');
            let code = f.next().unwrap().to_owned();
            let lng: f64 = f.next().unwrap().parse().unwrap();
            let lat: f64 = f.next().unwrap().parse().unwrap();
            (
                f.next().unwrap().to_owned(),
                code,
                LonLat::new(lng, lat).unwrap(),
            )
        })
        .collect();
    let rows = rows(n, &places);

    let t = Instant::now();
    let first = geocode("Bandung");
    let build = t.elapsed();
    assert!(first.is_some());

    let mut times = Vec::new();
    let mut hits = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        hits = rows.iter().map(|r| geocode(&r.address)).collect::<Vec<_>>();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];

    let mut by_precision = [0usize; 5];
    let (mut none, mut ambiguous, mut from_place, mut on_place, mut within_50km) = (0, 0, 0, 0, 0);
    for (row, hit) in rows.iter().zip(&hits) {
        let Some(hit) = hit else {
            none += 1;
            continue;
        };
        by_precision[hit.precision as usize] += 1;
        ambiguous += usize::from(hit.ambiguous);
        if let Some(i) = row.from {
            from_place += 1;
            let d = haversine_m(hit.position(), places[i].2);
            on_place += usize::from(d < 1_000.0);
            within_50km += usize::from(d < 50_000.0);
        }
    }
    let made_from_place = rows.iter().filter(|r| r.from.is_some()).count();
    println!(
        "geocode: {n} address rows, {runs} runs, built-in gazetteer of {} places",
        places.len()
    );
    println!(
        "  gazetteer build (first call): {:.1} ms",
        build.as_secs_f64() * 1e3
    );
    println!(
        "  import: median {:.1} ms ({:.1}–{:.1}), {:.2} µs per row",
        median * 1e3,
        times[0] * 1e3,
        times[times.len() - 1] * 1e3,
        median / n as f64 * 1e6
    );
    println!(
        "  hits: place {}, province {}, none {none}; ambiguous {ambiguous}",
        by_precision[Precision::Place as usize],
        by_precision[Precision::Province as usize],
    );
    println!(
        "  rows made from a place: {made_from_place}; found {from_place}, within 1 km of it {on_place}, within 50 km {within_50km}"
    );
}
