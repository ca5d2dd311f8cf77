//! The GeoJSON reader keeps every coordinate bit for bit: a vertex read one unit in the last
//! place off can move a point lying exactly on it into the neighbouring polygon. The reference
//! is the standard library's correctly rounded `str::parse::<f64>`, applied to the number text
//! cut out of the file here.

use wilayah_shared::geojson::area_coordinates;
use wilayah_shared::rng::SplitMix64;

const COUNTIES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/us-counties-10m.geojson"
);

/// The text of each `"geometry":{…}` object in the file, by matching braces (no string in the
/// file holds a brace).
fn geometries(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("\"geometry\":") {
        let start = at + "\"geometry\":".len();
        let mut depth = 0;
        let end = rest[start..]
            .char_indices()
            .find_map(|(i, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(start + i + 1)
            })
            .expect("balanced geometry");
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

/// Every number in the `coordinates` array, in order, parsed by the standard library.
fn numbers_in_coordinates(geometry: &str) -> Vec<f64> {
    let from = geometry.find("\"coordinates\":").expect("coordinates") + "\"coordinates\":".len();
    geometry[from..]
        .split(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("a number"))
        .collect()
}

/// Fails naming how many values differ and the first of them, rather than printing them all.
fn assert_same_bits(read: &[u64], expected: &[u64], what: &str) {
    assert_eq!(read.len(), expected.len(), "{what}: number of values");
    let differ: Vec<usize> = (0..read.len())
        .filter(|&i| read[i] != expected[i])
        .collect();
    if let Some(&i) = differ.first() {
        panic!(
            "{what}: {} of {} values differ, first #{i}: read {} for {}",
            differ.len(),
            read.len(),
            f64::from_bits(read[i]),
            f64::from_bits(expected[i])
        );
    }
}

fn flat_bits(polygons: &[Vec<Vec<[f64; 2]>>]) -> Vec<u64> {
    polygons
        .iter()
        .flatten()
        .flatten()
        .flat_map(|c| [c[0].to_bits(), c[1].to_bits()])
        .collect()
}

#[test]
fn every_coordinate_of_the_county_file_is_read_bit_for_bit() {
    let text = std::fs::read_to_string(COUNTIES).expect("read counties");
    let geometries = geometries(&text);
    assert_eq!(geometries.len(), 3_231);
    let mut compared = 0;
    for (i, geometry) in geometries.iter().enumerate() {
        let read = area_coordinates(geometry, "area").expect("a county geometry");
        let expected: Vec<u64> = numbers_in_coordinates(geometry)
            .into_iter()
            .map(f64::to_bits)
            .collect();
        assert_same_bits(&flat_bits(&read), &expected, &format!("geometry {i}"));
        compared += expected.len();
    }
    assert_eq!(compared, 136_626, "numbers compared");
}

#[test]
fn random_coordinates_written_in_any_form_are_read_bit_for_bit() {
    let mut rng = SplitMix64::new(7);
    let coords: Vec<[f64; 2]> = (0..50_000)
        .map(|_| [rng.unit() * 360.0 - 180.0, rng.unit() * 180.0 - 90.0])
        .collect();
    // Shortest round-trip form, 17 significant digits, and exponent form.
    type Form = (&'static str, fn(f64) -> String);
    let forms: [Form; 3] = [
        ("{}", |v| format!("{v}")),
        ("{:.17e}", |v| format!("{v:.17e}")),
        ("{:e}", |v| format!("{v:e}")),
    ];
    for (name, form) in forms {
        let mut ring: Vec<[f64; 2]> = coords.clone();
        ring.push(ring[0]);
        let positions: Vec<String> = ring
            .iter()
            .map(|c| format!("[{},{}]", form(c[0]), form(c[1])))
            .collect();
        let json = format!(
            r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
            positions.join(",")
        );
        let read = area_coordinates(&json, "area").unwrap();
        assert_same_bits(&flat_bits(&read), &flat_bits(&[vec![ring]]), name);
    }
}
