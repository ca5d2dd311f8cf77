//! An external Nominatim-compatible geocoder: the request URL and the reading of its answer
//! (`/search?format=jsonv2`: an array of places, or one place for `/reverse`). No HTTP here;
//! the server makes the request.

use serde::Deserialize;

use super::{GeocodeHit, Precision};
use crate::LonLat;

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NominatimError {
    #[error("the geocoder's answer is not a Nominatim place list: {0}")]
    NotNominatim(String),
    #[error("the geocoder's {field} {value:?} is not a valid coordinate")]
    BadCoordinate { field: &'static str, value: String },
}

/// The search URL for `address` under `base_url` (e.g. `https://nominatim.example.org`):
/// one best result, restricted to Indonesia.
pub fn search_url(base_url: &str, address: &str) -> String {
    let q: String = form_urlencoded::byte_serialize(address.as_bytes()).collect();
    format!(
        "{}/search?format=jsonv2&limit=1&countrycodes=id&q={q}",
        base_url.trim_end_matches('/')
    )
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Answer {
    Many(Vec<Found>),
    One(Found),
}

#[derive(Deserialize)]
struct Found {
    lat: Number,
    lon: Number,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    addresstype: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// Nominatim writes coordinates as strings; some compatible servers as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Text(String),
    Value(f64),
}

impl Number {
    fn value(&self, field: &'static str) -> Result<f64, NominatimError> {
        match self {
            Number::Value(v) => Ok(*v),
            Number::Text(t) => t.trim().parse().map_err(|_| NominatimError::BadCoordinate {
                field,
                value: t.clone(),
            }),
        }
    }
}

/// The precision of a Nominatim place by its `addresstype` (or `type`): administrative areas
/// by their level as OpenStreetMap maps Indonesia (province = state, regency/city = county or
/// city, kecamatan = municipality or district), settlements as places, and every other feature
/// (roads, buildings, amenities, shops) as street precision. `None` for a country or larger.
fn precision_of(kind: &str) -> Option<Precision> {
    Some(match kind {
        "continent" | "country" => return None,
        "state" | "province" | "region" => Precision::Province,
        "state_district" | "county" | "city" | "regency" => Precision::Regency,
        "municipality" | "city_district" | "district" | "subdistrict" | "borough" => {
            Precision::District
        }
        "town" | "village" | "hamlet" | "suburb" | "quarter" | "neighbourhood"
        | "isolated_dwelling" | "locality" | "city_block" | "farm" | "croft" | "postcode" => {
            Precision::Place
        }
        _ => Precision::Street,
    })
}

/// The best place of a Nominatim answer as a hit (the first one that is finer than a
/// country), or `None` when it found nothing.
pub fn parse_nominatim(json: &str) -> Result<Option<GeocodeHit>, NominatimError> {
    let answer: Answer =
        serde_json::from_str(json).map_err(|e| NominatimError::NotNominatim(e.to_string()))?;
    let found = match answer {
        Answer::Many(list) => list,
        Answer::One(one) => vec![one],
    };
    for f in found {
        let kind = f.addresstype.as_deref().or(f.kind.as_deref()).unwrap_or("");
        let Some(precision) = precision_of(kind) else {
            continue;
        };
        let (lon, lat) = (f.lon.value("lon")?, f.lat.value("lat")?);
        let position = LonLat::new(lon, lat).map_err(|e| NominatimError::BadCoordinate {
            field: e.field(),
            value: format!("{lon}, {lat}"),
        })?;
        let matched_name = f.display_name.or(f.name).unwrap_or_default();
        return Ok(Some(GeocodeHit::at(
            position,
            precision,
            matched_name,
            false,
        )));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_answer_gives_the_first_place_with_its_precision() {
        let json = r#"[{"place_id":1,"lat":"-6.9215","lon":"107.6098","category":"highway",
            "type":"primary","addresstype":"road","name":"Jalan Asia Afrika",
            "display_name":"Jalan Asia Afrika, Braga, Sumur Bandung, Bandung, Jawa Barat, Indonesia"}]"#;
        let hit = parse_nominatim(json).unwrap().unwrap();
        assert_eq!((hit.lon, hit.lat), (107.6098, -6.9215));
        assert_eq!(hit.precision, Precision::Street);
        assert!(hit.matched_name.starts_with("Jalan Asia Afrika, Braga"));
        assert!(!hit.ambiguous);
    }

    #[test]
    fn precision_follows_the_address_type_or_type() {
        let one = |kind: &str| {
            let json = format!(r#"{{"lat":-7.0,"lon":110.4,"addresstype":"{kind}"}}"#);
            parse_nominatim(&json).unwrap().map(|h| h.precision)
        };
        assert_eq!(one("state"), Some(Precision::Province));
        assert_eq!(one("city"), Some(Precision::Regency));
        assert_eq!(one("municipality"), Some(Precision::District));
        assert_eq!(one("village"), Some(Precision::Place));
        assert_eq!(one("house"), Some(Precision::Street));
        assert_eq!(one("country"), None);
        let by_type = r#"[{"lat":"1","lon":"2","type":"suburb","display_name":"x"}]"#;
        assert_eq!(
            parse_nominatim(by_type).unwrap().unwrap().precision,
            Precision::Place
        );
    }

    #[test]
    fn empty_and_bad_answers() {
        assert_eq!(parse_nominatim("[]").unwrap(), None);
        assert!(matches!(
            parse_nominatim(r#"{"error":"Unable to geocode"}"#),
            Err(NominatimError::NotNominatim(_))
        ));
        assert!(matches!(
            parse_nominatim(r#"[{"lat":"north","lon":"2","type":"house"}]"#),
            Err(NominatimError::BadCoordinate { field: "lat", .. })
        ));
        assert!(matches!(
            parse_nominatim(r#"[{"lat":"95","lon":"2","type":"house"}]"#),
            Err(NominatimError::BadCoordinate { field: "lat", .. })
        ));
    }

    #[test]
    fn the_search_url_encodes_the_address() {
        assert_eq!(
            search_url("https://geo.example/", "Jl. Asia Afrika No. 8, Bandung"),
            "https://geo.example/search?format=jsonv2&limit=1&countrycodes=id&q=Jl.+Asia+Afrika+No.+8%2C+Bandung"
        );
    }
}
