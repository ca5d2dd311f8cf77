//! Road distances and travel times from an OSRM-compatible routing server (`table` service),
//! for route planning when `--osrm-url` is set. The caller falls back to great-circle
//! distances when this fails (see docs/routing.md for the policy).

use std::time::Duration;

use serde::Deserialize;
use wilayah_shared::LonLat;
use wilayah_shared::routing::DenseMatrix;
use wilayah_shared::spatial::haversine_m;

use crate::outbound::{self, FetchError};

/// OSRM's default `--max-table-size`: larger requests are not sent (great-circle is used).
pub const MAX_TABLE_LOCATIONS: usize = 100;
/// The longest wait for an answer before falling back.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read (a 100 × 100 table of two annotations is about 200 KB).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum OsrmError {
    #[error("{0} locations are more than the {MAX_TABLE_LOCATIONS} an OSRM table request takes")]
    TooManyLocations(usize),
    #[error("invalid OSRM URL {0:?} (http://host:port expected)")]
    BadUrl(String),
    #[error("OSRM did not answer: {0}")]
    Unreachable(String),
    #[error("OSRM did not answer within {TIMEOUT:?}")]
    Timeout,
    #[error("OSRM answered HTTP {status}: {message}")]
    Status { status: u16, message: String },
    #[error("OSRM answered something unreadable: {0}")]
    Unreadable(String),
}

#[derive(Debug, Deserialize)]
struct TableAnswer {
    code: String,
    #[serde(default)]
    message: Option<String>,
    durations: Option<Vec<Vec<Option<f64>>>>,
    distances: Option<Vec<Vec<Option<f64>>>>,
}

/// The `table` request for `points`: `{base}/table/v1/driving/lon,lat;lon,lat?annotations=…`.
pub fn table_url(base: &str, points: &[LonLat]) -> String {
    let coordinates: Vec<String> = points
        .iter()
        .map(|p| format!("{:.6},{:.6}", p.lon(), p.lat()))
        .collect();
    format!(
        "{}/table/v1/driving/{}?annotations=duration,distance",
        base.trim_end_matches('/'),
        coordinates.join(";")
    )
}

/// Turns an OSRM table answer into a matrix. A pair OSRM could not connect (`null`) gets the
/// great-circle distance at `fallback_speed_m_per_s`, so one unroutable point does not sink
/// the plan.
fn matrix_from(
    answer: TableAnswer,
    points: &[LonLat],
    fallback_speed_m_per_s: f64,
) -> Result<DenseMatrix, OsrmError> {
    if answer.code != "Ok" {
        return Err(OsrmError::Unreadable(format!(
            "code {} {}",
            answer.code,
            answer.message.unwrap_or_default()
        )));
    }
    let n = points.len();
    let (Some(durations), Some(distances)) = (answer.durations, answer.distances) else {
        return Err(OsrmError::Unreadable(
            "durations or distances missing".into(),
        ));
    };
    let square =
        |rows: &Vec<Vec<Option<f64>>>| rows.len() == n && rows.iter().all(|r| r.len() == n);
    if !square(&durations) || !square(&distances) {
        return Err(OsrmError::Unreadable(format!("not a {n} × {n} table")));
    }
    let (mut distance, mut time) = (Vec::with_capacity(n * n), Vec::with_capacity(n * n));
    for i in 0..n {
        for j in 0..n {
            let straight = haversine_m(points[i], points[j]);
            let usable = |v: Option<f64>| v.filter(|v| v.is_finite() && *v >= 0.0);
            match (usable(distances[i][j]), usable(durations[i][j])) {
                (Some(d), Some(t)) => {
                    distance.push(d);
                    time.push(t);
                }
                _ => {
                    distance.push(straight);
                    time.push(straight / fallback_speed_m_per_s);
                }
            }
        }
    }
    DenseMatrix::from_rows(n, distance, time)
        .ok_or_else(|| OsrmError::Unreadable("table size".into()))
}

/// Asks the OSRM server at `base` for the road distance and time matrix between `points`.
pub async fn table(
    base: &str,
    points: &[LonLat],
    fallback_speed_m_per_s: f64,
) -> Result<DenseMatrix, OsrmError> {
    if points.len() > MAX_TABLE_LOCATIONS {
        return Err(OsrmError::TooManyLocations(points.len()));
    }
    if points.len() < 2 {
        return Ok(DenseMatrix::great_circle(points, fallback_speed_m_per_s));
    }
    let (status, body) = outbound::get(&table_url(base, points), TIMEOUT, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| match e {
            FetchError::BadUrl(_) => OsrmError::BadUrl(base.to_owned()),
            FetchError::Unreachable(why) => OsrmError::Unreachable(why),
            FetchError::Timeout(_) => OsrmError::Timeout,
        })?;
    let answer: Result<TableAnswer, _> = serde_json::from_slice(&body);
    if !status.is_success() {
        let message = answer
            .ok()
            .and_then(|a| a.message.or(Some(a.code)))
            .unwrap_or_default();
        return Err(OsrmError::Status {
            status: status.as_u16(),
            message,
        });
    }
    matrix_from(
        answer.map_err(|e| OsrmError::Unreadable(e.to_string()))?,
        points,
        fallback_speed_m_per_s,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wilayah_shared::routing::TravelMatrix;

    fn points() -> Vec<LonLat> {
        vec![
            LonLat::new(106.8, -6.2).unwrap(),
            LonLat::new(106.9, -6.25).unwrap(),
        ]
    }

    #[test]
    fn the_request_lists_lon_lat_pairs_separated_by_semicolons() {
        assert_eq!(
            table_url("http://osrm:5000/", &points()),
            "http://osrm:5000/table/v1/driving/106.800000,-6.200000;106.900000,-6.250000?annotations=duration,distance"
        );
    }

    #[test]
    fn unroutable_pairs_fall_back_to_great_circle_and_errors_are_named() {
        let answer = TableAnswer {
            code: "Ok".into(),
            message: None,
            durations: Some(vec![vec![Some(0.0), None], vec![Some(700.0), Some(0.0)]]),
            distances: Some(vec![vec![Some(0.0), None], vec![Some(14_000.0), Some(0.0)]]),
        };
        let m = matrix_from(answer, &points(), 10.0).unwrap();
        assert_eq!(m.distance(1, 0), 14_000.0);
        assert_eq!(m.time(1, 0), 700.0);
        let straight = haversine_m(points()[0], points()[1]);
        assert_eq!(m.distance(0, 1), straight);
        assert_eq!(m.time(0, 1), straight / 10.0);

        let refused = TableAnswer {
            code: "InvalidQuery".into(),
            message: Some("bad".into()),
            durations: None,
            distances: None,
        };
        assert!(matrix_from(refused, &points(), 10.0).is_err());
        let short = TableAnswer {
            code: "Ok".into(),
            message: None,
            durations: Some(vec![vec![Some(0.0)]]),
            distances: Some(vec![vec![Some(0.0)]]),
        };
        assert!(matrix_from(short, &points(), 10.0).is_err());
    }
}
