//! Where an address is. With `--geocoder-url`, a Nominatim-compatible geocoder is asked first
//! (street precision); when it is not set, fails, is slow or finds nothing, the offline
//! gazetteer built into the app answers (province or place precision). Imports use the
//! gazetteer alone: public geocoders allow about one request a second, so a 10,000-row file
//! would take hours (see docs/geocoding.md).

use std::time::Duration;

use wilayah_shared::geocode::GeocodeHit;
use wilayah_shared::geocode::nominatim::{parse_nominatim, search_url};

use crate::outbound;

/// The longest wait for the external geocoder before the gazetteer answers instead.
pub const TIMEOUT: Duration = Duration::from_secs(4);
/// Largest answer read (one result of `limit=1` is a few KB).
const MAX_ANSWER_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Geocoder {
    /// Base URL of the external geocoder (`http://nominatim:8080`), if one is configured.
    pub external: Option<String>,
}

impl Geocoder {
    pub fn new(external: Option<String>) -> Self {
        Self {
            external: external.filter(|url| !url.trim().is_empty()),
        }
    }

    /// The position of `address`: the external geocoder's when it knows it, else the
    /// gazetteer's.
    pub async fn locate(&self, address: &str) -> Option<GeocodeHit> {
        if let Some(base) = &self.external {
            match ask(base, address).await {
                Ok(Some(hit)) => return Some(hit),
                Ok(None) => {}
                Err(why) => {
                    tracing::warn!(%why, "the external geocoder failed; using the gazetteer")
                }
            }
        }
        wilayah_shared::geocode::geocode(address)
    }
}

async fn ask(base: &str, address: &str) -> Result<Option<GeocodeHit>, String> {
    let (status, body) = outbound::get(&search_url(base, address), TIMEOUT, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let text = std::str::from_utf8(&body).map_err(|e| e.to_string())?;
    parse_nominatim(text).map_err(|e| e.to_string())
}
