//! Reading areas (Polygon / MultiPolygon geometries, or Features holding one) from GeoJSON, as
//! clients send them for "accounts within this area" and territory imports.

use serde::Deserialize;
use serde_json::Value;

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

/// Most positions one polygon (its outline and holes together) may have: well above what drawn
/// territories and simplified boundary files need, and checked (O(n log n)) in well under a
/// second (docs/planning.md).
pub const MAX_POLYGON_VERTICES: usize = 50_000;

/// Most positions one request may send in all its areas together (a draft, a validation, an
/// import, a `within` filter): bounds the geometry work one request can cause.
pub const MAX_REQUEST_VERTICES: usize = 250_000;

/// Counts the positions a request sends against [`MAX_POLYGON_VERTICES`] and
/// [`MAX_REQUEST_VERTICES`], before any geometry is checked.
#[derive(Debug, Clone)]
pub struct VertexBudget {
    used: usize,
}

impl Default for VertexBudget {
    fn default() -> Self {
        Self::new()
    }
}

impl VertexBudget {
    pub fn new() -> Self {
        VertexBudget { used: 0 }
    }

    /// Takes the positions of polygons of `sizes` (positions per polygon), or says which
    /// limit they break, naming `field`.
    pub fn take(
        &mut self,
        sizes: impl IntoIterator<Item = usize>,
        field: &'static str,
    ) -> Result<(), ValidationError> {
        for (i, size) in sizes.into_iter().enumerate() {
            if size > MAX_POLYGON_VERTICES {
                return Err(ValidationError::new(
                    field,
                    format!(
                        "polygon {} has {size} positions; at most {MAX_POLYGON_VERTICES} per polygon",
                        i + 1
                    ),
                ));
            }
            self.used += size;
            if self.used > MAX_REQUEST_VERTICES {
                return Err(ValidationError::new(
                    field,
                    format!("more than {MAX_REQUEST_VERTICES} positions in one request"),
                ));
            }
        }
        Ok(())
    }

    /// [`VertexBudget::take`] for a GeoJSON geometry value (`Polygon`, `MultiPolygon` or a
    /// `Feature` holding one; other values count nothing).
    pub fn take_geojson(
        &mut self,
        geometry: &Value,
        field: &'static str,
    ) -> Result<(), ValidationError> {
        self.take(polygon_sizes(geometry), field)
    }
}

/// Positions per polygon of a GeoJSON geometry value.
pub fn polygon_sizes(geometry: &Value) -> Vec<usize> {
    let positions = |polygon: &Value| -> usize {
        polygon.as_array().map_or(0, |rings| {
            rings.iter().filter_map(Value::as_array).map(Vec::len).sum()
        })
    };
    match geometry.get("type").and_then(Value::as_str) {
        Some("Feature") => geometry
            .get("geometry")
            .map_or_else(Vec::new, polygon_sizes),
        Some("Polygon") => geometry
            .get("coordinates")
            .map(positions)
            .into_iter()
            .collect(),
        Some("MultiPolygon") => geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |polygons| {
                polygons.iter().map(positions).collect()
            }),
        _ => Vec::new(),
    }
}

/// Parses and validates a GeoJSON area into a [`Region`]; errors name `field` and say what is
/// wrong (bad JSON, wrong geometry type, too many positions, too few points, unclosed or
/// self-crossing rings).
pub fn parse_area(json: &str, field: &'static str) -> Result<Region, ValidationError> {
    let coordinates = area_coordinates(json, field)?;
    VertexBudget::new().take(
        coordinates
            .iter()
            .map(|rings| rings.iter().map(Vec::len).sum()),
        field,
    )?;
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

    fn circle(n: usize) -> Vec<[f64; 2]> {
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                [106.0 + a.cos(), -6.0 + a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    #[test]
    fn polygons_and_requests_over_the_vertex_caps_are_refused_naming_the_field() {
        let big =
            serde_json::json!({"type": "Polygon", "coordinates": [circle(MAX_POLYGON_VERTICES)]});
        let err = parse_area(&big.to_string(), "within").unwrap_err();
        assert_eq!(err.field, "within");
        assert!(
            err.message
                .contains(&format!("at most {MAX_POLYGON_VERTICES} per polygon")),
            "{}",
            err.message
        );
        let fits = serde_json::json!({"type": "Polygon", "coordinates": [circle(MAX_POLYGON_VERTICES - 1)]});
        assert!(parse_area(&fits.to_string(), "within").is_ok());

        let mut budget = VertexBudget::new();
        let feature = serde_json::json!({"type": "Feature", "geometry": fits});
        assert_eq!(polygon_sizes(&feature), vec![MAX_POLYGON_VERTICES]);
        let mut refused = None;
        for _ in 0..=(MAX_REQUEST_VERTICES / MAX_POLYGON_VERTICES) {
            if let Err(e) = budget.take_geojson(&feature, "territories") {
                refused = Some(e);
                break;
            }
        }
        let refused = refused.expect("the request cap is reached");
        assert_eq!(refused.field, "territories");
        assert!(
            refused.message.contains("in one request"),
            "{}",
            refused.message
        );
    }
}
