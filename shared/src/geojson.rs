//! Reading areas (Polygon / MultiPolygon geometries, or Features holding one) from GeoJSON, as
//! clients send them for "accounts within this area" and territory imports.

use serde::Deserialize;

use crate::account::ValidationError;
use crate::spatial::Region;

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum Area {
    Polygon {
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
    Feature {
        geometry: Box<Area>,
    },
}

fn ring(positions: Vec<Vec<f64>>, field: &'static str) -> Result<Vec<[f64; 2]>, ValidationError> {
    positions
        .into_iter()
        .enumerate()
        .map(|(i, p)| match p.as_slice() {
            // A third value (altitude) is allowed by GeoJSON and ignored here.
            [lon, lat, ..] => Ok([*lon, *lat]),
            _ => Err(ValidationError::new(
                field,
                format!("position {i} needs a longitude and a latitude"),
            )),
        })
        .collect()
}

/// The polygons of a GeoJSON area as `[polygon][ring][position]`, the layout [`Region`] takes.
pub fn area_coordinates(
    json: &str,
    field: &'static str,
) -> Result<Vec<Vec<Vec<[f64; 2]>>>, ValidationError> {
    let area: Area = serde_json::from_str(json).map_err(|e| {
        ValidationError::new(
            field,
            format!("not a GeoJSON Polygon, MultiPolygon or Feature: {e}"),
        )
    })?;
    let mut area = area;
    loop {
        match area {
            Area::Feature { geometry } => area = *geometry,
            Area::Polygon { coordinates } => {
                return Ok(vec![
                    coordinates
                        .into_iter()
                        .map(|r| ring(r, field))
                        .collect::<Result<_, _>>()?,
                ]);
            }
            Area::MultiPolygon { coordinates } => {
                return coordinates
                    .into_iter()
                    .map(|polygon| polygon.into_iter().map(|r| ring(r, field)).collect())
                    .collect();
            }
        }
    }
}

/// Parses and validates a GeoJSON area into a [`Region`]; errors name `field` and say what is
/// wrong (bad JSON, wrong geometry type, too few points, unclosed or self-crossing rings).
pub fn parse_area(json: &str, field: &'static str) -> Result<Region, ValidationError> {
    let coordinates = area_coordinates(json, field)?;
    Region::from_coords(&coordinates).map_err(|e| ValidationError::new(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LonLat;

    const SQUARE: &str =
        r#"{"type":"Polygon","coordinates":[[[106,-7],[107,-7],[107,-6],[106,-6],[106,-7]]]}"#;

    #[test]
    fn reads_polygons_features_and_multipolygons() {
        let inside = LonLat::new(106.5, -6.5).unwrap();
        assert!(parse_area(SQUARE, "within").unwrap().contains(inside));
        let feature = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{SQUARE}}}"#);
        assert!(parse_area(&feature, "within").unwrap().contains(inside));
        let multi = r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[106,-7],[107,-7],[107,-6],[106,-6],[106,-7]]]]}"#;
        assert!(parse_area(multi, "within").unwrap().contains(inside));
    }

    #[test]
    fn refuses_what_is_not_an_area_naming_the_field() {
        for bad in [
            "not json",
            r#"{"type":"Point","coordinates":[1,2]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0,0]]]}"#,
        ] {
            let err = parse_area(bad, "within").unwrap_err();
            assert_eq!(err.field, "within", "{bad}");
        }
    }
}
