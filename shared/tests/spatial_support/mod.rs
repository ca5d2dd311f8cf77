//! Loads the real data under `tests/data` (see its README for sources and licences); shared by
//! the spatial tests and the spatial benchmark.
#![allow(dead_code)]

use wilayah_shared::LonLat;
use wilayah_shared::spatial::{SpatialError, Territory};

pub const DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");

/// A GeoNames place: name, state, position.
pub struct Place {
    pub name: String,
    pub state: String,
    pub position: LonLat,
}

/// The 17,343 US places of `us-cities-geonames.csv` (`name,lat,lng,admin1`; names may be quoted).
pub fn us_places() -> Vec<Place> {
    let text =
        std::fs::read_to_string(format!("{DATA_DIR}/us-cities-geonames.csv")).expect("read places");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut fields = line.rsplitn(4, ',');
            let state = fields.next().expect("admin1").to_owned();
            let lng: f64 = fields.next().expect("lng").parse().expect("lng number");
            let lat: f64 = fields.next().expect("lat").parse().expect("lat number");
            let name = fields.next().expect("name").trim_matches('"').to_owned();
            Place {
                name,
                state,
                position: LonLat::new(lng, lat).expect("valid position"),
            }
        })
        .collect()
}

/// A county: its FIPS code as id, its name and its rings in the GeoJSON MultiPolygon layout.
pub struct County {
    pub fips: i64,
    pub name: String,
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// The 3,231 county polygons of `us-counties-10m.geojson`.
pub fn us_counties() -> Vec<County> {
    let text = std::fs::read_to_string(format!("{DATA_DIR}/us-counties-10m.geojson"))
        .expect("read counties");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("GeoJSON");
    let ring = |r: &serde_json::Value| -> Vec<[f64; 2]> {
        r.as_array()
            .expect("ring")
            .iter()
            .map(|c| [c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat")])
            .collect()
    };
    let polygon = |p: &serde_json::Value| -> Vec<Vec<[f64; 2]>> {
        p.as_array().expect("polygon").iter().map(ring).collect()
    };
    doc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let g = &f["geometry"];
            let polygons = match g["type"].as_str().expect("geometry type") {
                "Polygon" => vec![polygon(&g["coordinates"])],
                "MultiPolygon" => g["coordinates"]
                    .as_array()
                    .expect("multipolygon")
                    .iter()
                    .map(polygon)
                    .collect(),
                other => panic!("unexpected geometry {other}"),
            };
            County {
                fips: f["id"].as_str().expect("id").parse().expect("numeric FIPS"),
                name: f["properties"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                polygons,
            }
        })
        .collect()
}

/// The counties as territories (owner = state FIPS, for something to show), read leniently:
/// the file has a few grid-snapping loops (see `Region::from_coords_lenient`).
pub fn county_territories() -> Result<Vec<Territory>, SpatialError> {
    us_counties()
        .into_iter()
        .map(|c| Territory::from_coords_lenient(c.fips, Some(c.fips / 1000), &c.polygons))
        .collect()
}
