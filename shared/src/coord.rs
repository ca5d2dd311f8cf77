//! WGS84 coordinates as the rest of the system sees them: longitude and latitude in degrees.

use serde::{Deserialize, Serialize};

/// Why a coordinate was refused. Each variant names the offending axis so callers can report the field.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CoordError {
    #[error("longitude {0} is not a finite number")]
    LonNotFinite(f64),
    #[error("latitude {0} is not a finite number")]
    LatNotFinite(f64),
    #[error("longitude {0} is outside -180..=180")]
    LonOutOfRange(f64),
    #[error("latitude {0} is outside -90..=90")]
    LatOutOfRange(f64),
}

impl CoordError {
    /// The name of the field at fault, as it appears in API payloads.
    pub fn field(&self) -> &'static str {
        match self {
            CoordError::LonNotFinite(_) | CoordError::LonOutOfRange(_) => "lon",
            CoordError::LatNotFinite(_) | CoordError::LatOutOfRange(_) => "lat",
        }
    }
}

/// A validated WGS84 position. Construct it with [`LonLat::new`]; the fields are read-only so an
/// out-of-range value can never reach the spatial index.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        if !lon.is_finite() {
            return Err(CoordError::LonNotFinite(lon));
        }
        if !lat.is_finite() {
            return Err(CoordError::LatNotFinite(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::LonOutOfRange(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::LatOutOfRange(lat));
        }
        Ok(Self { lon, lat })
    }

    /// For values already known to be in range (e.g. decoded from a validated fixed-point form).
    pub(crate) const fn new_unchecked(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }
}

impl<'de> Deserialize<'de> for LonLat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            lon: f64,
            lat: f64,
        }
        let raw = Raw::deserialize(deserializer)?;
        LonLat::new(raw.lon, raw.lat).map_err(serde::de::Error::custom)
    }
}

impl From<LonLat> for geo::Point<f64> {
    fn from(p: LonLat) -> Self {
        geo::Point::new(p.lon, p.lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_edges_of_the_valid_range() {
        for (lon, lat) in [(-180.0, -90.0), (180.0, 90.0), (0.0, 0.0), (106.8, -6.2)] {
            let p = LonLat::new(lon, lat).unwrap();
            assert_eq!((p.lon(), p.lat()), (lon, lat));
        }
    }

    #[test]
    fn refuses_out_of_range_and_non_finite_values_naming_the_field() {
        let cases = [
            (180.5, 0.0, "lon"),
            (-181.0, 0.0, "lon"),
            (0.0, 90.01, "lat"),
            (0.0, -91.0, "lat"),
            (f64::NAN, 0.0, "lon"),
            (0.0, f64::INFINITY, "lat"),
        ];
        for (lon, lat, field) in cases {
            let err = LonLat::new(lon, lat).unwrap_err();
            assert_eq!(err.field(), field, "{lon},{lat}");
        }
    }

    #[test]
    fn deserialising_validates() {
        let ok: LonLat = serde_json::from_str(r#"{"lon":106.8,"lat":-6.2}"#).unwrap();
        assert_eq!(ok.lat(), -6.2);
        let err = serde_json::from_str::<LonLat>(r#"{"lon":200,"lat":0}"#).unwrap_err();
        assert!(err.to_string().contains("longitude 200"), "{err}");
    }
}
