//! Point clusters for the map, computed where the data is (the server) so that a browser draws a
//! few hundred clusters instead of parsing and clustering every account itself: at 100,000
//! accounts that was most of the dashboard's first-paint time (see `docs/dashboard.md`).
//!
//! The clustering is supercluster's (the algorithm MapLibre runs in its worker): from the deepest
//! zoom up, each point absorbs the points within a radius in screen pixels. The crate computes the
//! hierarchy once per point set; a query then reads one zoom's clusters in a view.

use std::fmt;

use supercluster::{CoordinateSystem, Supercluster, SuperclusterOptions};

use super::LonLatBox;
use crate::domain::MapAccount;

/// Cluster radius in screen pixels, as MapLibre's `clusterRadius` (tile size 512).
pub const CLUSTER_RADIUS_PX: f64 = 40.0;
/// Above this zoom every account is drawn on its own.
pub const CLUSTER_MAX_ZOOM: u8 = 11;
/// Up to this many accounts, a query answers the whole set for its zoom (one request per zoom
/// level, pans cost nothing); above it only the view is answered.
pub const WHOLE_SET_LIMIT: usize = 5_000;

/// The accounts of one filter, clustered at every zoom level.
pub struct AccountClusters {
    accounts: Vec<MapAccount>,
    /// `None` for no accounts: the crate cannot index an empty set.
    index: Option<Supercluster>,
}

/// One thing to draw: a cluster of several accounts, or a single account.
#[derive(Debug, Clone, PartialEq)]
pub enum MapFeature<'a> {
    Cluster(Cluster),
    Account(&'a MapAccount),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Unique within its [`AccountClusters`].
    pub id: u64,
    /// The cluster's weighted centre.
    pub lon: f64,
    pub lat: f64,
    pub count: u64,
    /// The zoom at which the cluster falls apart, where a click on it should lead.
    pub expansion_zoom: u8,
}

impl fmt::Debug for AccountClusters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountClusters")
            .field("accounts", &self.accounts.len())
            .finish_non_exhaustive()
    }
}

impl AccountClusters {
    /// Clusters the accounts at zooms 0 to [`CLUSTER_MAX_ZOOM`].
    pub fn build(accounts: Vec<MapAccount>) -> Self {
        let options = SuperclusterOptions {
            radius: CLUSTER_RADIUS_PX,
            extent: 512.0,
            min_zoom: 0,
            max_zoom: CLUSTER_MAX_ZOOM,
            min_points: 2,
            node_size: 64,
            coordinate_system: CoordinateSystem::LatLng,
        };
        let points = accounts
            .iter()
            .enumerate()
            .map(|(at, account)| ::geojson::Feature {
                // The position in `accounts` comes back with each unclustered point.
                id: Some(::geojson::feature::Id::Number(at.into())),
                geometry: Some(::geojson::Geometry::new(::geojson::Value::Point(vec![
                    account.lon,
                    account.lat,
                ]))),
                bbox: None,
                properties: None,
                foreign_members: None,
            })
            .collect();
        if accounts.is_empty() {
            return Self {
                accounts,
                index: None,
            };
        }
        let mut index = Supercluster::new(options);
        index
            .load(points)
            .expect("every zoom from 0 to the maximum is built");
        Self {
            accounts,
            index: Some(index),
        }
    }

    /// How many accounts are clustered.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// What to draw at `zoom` (its whole part, as map tiles do) in `view`, or everywhere when
    /// `view` is `None` or the set is small enough to answer whole ([`WHOLE_SET_LIMIT`]).
    pub fn features(&self, zoom: f64, view: Option<&LonLatBox>) -> Vec<MapFeature<'_>> {
        let zoom = zoom.clamp(0.0, 24.0).floor() as u8;
        let bbox = match view {
            Some(view) if self.accounts.len() > WHOLE_SET_LIMIT => {
                [view.west(), view.south(), view.east(), view.north()]
            }
            _ => [-180.0, -90.0, 180.0, 90.0],
        };
        let Some(index) = &self.index else {
            return Vec::new();
        };
        let found = index.get_clusters(bbox, zoom).unwrap_or_default();
        found
            .into_iter()
            .filter_map(|feature| self.feature(index, feature))
            .collect()
    }

    fn feature(&self, index: &Supercluster, feature: ::geojson::Feature) -> Option<MapFeature<'_>> {
        let properties = feature.properties.as_ref();
        let cluster_id = properties
            .and_then(|p| p.get("cluster_id"))
            .and_then(|id| id.as_u64());
        match cluster_id {
            Some(id) => {
                let count = properties?.get("point_count")?.as_u64()?;
                let ::geojson::Value::Point(position) = &feature.geometry.as_ref()?.value else {
                    return None;
                };
                let expansion_zoom = index.get_cluster_expansion_zoom(id as usize);
                Some(MapFeature::Cluster(Cluster {
                    id,
                    lon: position[0],
                    lat: position[1],
                    count,
                    expansion_zoom: expansion_zoom.min(u8::MAX.into()) as u8,
                }))
            }
            None => match feature.id? {
                ::geojson::feature::Id::Number(at) => self
                    .accounts
                    .get(at.as_u64()? as usize)
                    .map(MapFeature::Account),
                ::geojson::feature::Id::String(_) => None,
            },
        }
    }
}

/// A cluster's count as its label shows it: 950, 1.2k, 12k.
pub fn abbreviated_count(count: u64) -> String {
    if count >= 10_000 {
        format!("{}k", (count as f64 / 1000.0).round())
    } else if count >= 1_000 {
        let tenths = (count as f64 / 100.0).round() as u64;
        if tenths.is_multiple_of(10) {
            format!("{}k", tenths / 10)
        } else {
            format!("{}.{}k", tenths / 10, tenths % 10)
        }
    } else {
        count.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::LonLat;
    use crate::domain::{AccountKind, AccountStatus};
    use crate::rng::SplitMix64;

    fn account(id: i64, lon: f64, lat: f64) -> MapAccount {
        MapAccount {
            id,
            name: format!("Account {id}"),
            kind: AccountKind::Customer,
            status: AccountStatus::Active,
            owner_id: None,
            lon,
            lat,
            revenue_minor: 0,
            currency: "IDR".into(),
        }
    }

    /// Points around Java, around the antimeridian (Fiji) and close to both poles.
    fn scattered(n: usize, seed: u64) -> Vec<MapAccount> {
        let mut rng = SplitMix64::new(seed);
        (0..n)
            .map(|i| {
                let (lon, lat) = match i % 4 {
                    0 => (106.0 + 6.0 * rng.unit(), -8.0 + 2.0 * rng.unit()),
                    1 => {
                        let lon = 175.0 + 10.0 * rng.unit();
                        (
                            if lon > 180.0 { lon - 360.0 } else { lon },
                            -18.0 + 3.0 * rng.unit(),
                        )
                    }
                    2 => (-180.0 + 360.0 * rng.unit(), 80.0 + 9.9 * rng.unit()),
                    _ => (-180.0 + 360.0 * rng.unit(), -89.9 + 9.9 * rng.unit()),
                };
                account(i as i64 + 1, lon, lat)
            })
            .collect()
    }

    fn counted(features: &[MapFeature<'_>]) -> u64 {
        features
            .iter()
            .map(|f| match f {
                MapFeature::Cluster(c) => c.count,
                MapFeature::Account(_) => 1,
            })
            .sum()
    }

    #[test]
    fn every_zoom_accounts_for_every_point_once() {
        let accounts = scattered(2_000, 7);
        let clusters = AccountClusters::build(accounts.clone());
        for zoom in 0..=14 {
            let features = clusters.features(zoom as f64 + 0.7, None);
            assert_eq!(counted(&features), accounts.len() as u64, "zoom {zoom}");
            let singles: Vec<i64> = features
                .iter()
                .filter_map(|f| match f {
                    MapFeature::Account(a) => Some(a.id),
                    MapFeature::Cluster(_) => None,
                })
                .collect();
            let distinct: HashSet<i64> = singles.iter().copied().collect();
            assert_eq!(distinct.len(), singles.len(), "zoom {zoom}: a point twice");
            if zoom > CLUSTER_MAX_ZOOM.into() {
                assert_eq!(singles.len(), accounts.len(), "zoom {zoom} has no clusters");
            }
        }
        let world = clusters.features(0.0, None);
        assert!(world.len() < 100, "{} features at zoom 0", world.len());
    }

    #[test]
    fn a_cluster_breaks_up_at_its_expansion_zoom() {
        let clusters = AccountClusters::build(scattered(2_000, 11));
        for zoom in [0u8, 3, 6, 9] {
            for feature in clusters.features(zoom.into(), None) {
                let MapFeature::Cluster(cluster) = feature else {
                    continue;
                };
                assert!(cluster.expansion_zoom > zoom, "{cluster:?} at {zoom}");
                let children = clusters
                    .index
                    .as_ref()
                    .expect("points were clustered")
                    .get_children(cluster.id as usize)
                    .expect("a cluster has children");
                assert!(children.len() >= 2 || cluster.expansion_zoom > CLUSTER_MAX_ZOOM);
            }
        }
    }

    /// Beyond the clustering zooms a view answers exactly the accounts inside it: checked
    /// against a scan, for views across the antimeridian and at the poles.
    #[test]
    fn a_view_holds_exactly_the_points_inside_it_once_unclustered() {
        let accounts = scattered(WHOLE_SET_LIMIT + 1_000, 3);
        let clusters = AccountClusters::build(accounts.clone());
        let views = [
            LonLatBox::new(105.0, -8.0, 108.0, -6.0).unwrap(),
            LonLatBox::new(178.0, -17.0, -178.0, -15.0).unwrap(),
            LonLatBox::new(-30.0, 85.0, 30.0, 90.0).unwrap(),
            LonLatBox::new(150.0, -90.0, -150.0, -85.0).unwrap(),
        ];
        for view in &views {
            let expected: HashSet<i64> = accounts
                .iter()
                .filter(|a| view.contains(LonLat::new(a.lon, a.lat).unwrap()))
                .map(|a| a.id)
                .collect();
            assert!(!expected.is_empty(), "{view:?} holds points");
            let found = clusters.features(15.0, Some(view));
            let ids: HashSet<i64> = found
                .iter()
                .map(|f| match f {
                    MapFeature::Account(a) => a.id,
                    MapFeature::Cluster(c) => panic!("cluster {c:?} at zoom 15"),
                })
                .collect();
            assert_eq!(ids.len(), found.len());
            assert_eq!(ids, expected, "{view:?}");
        }
    }

    #[test]
    fn a_clustered_view_covers_everything_inside_it() {
        let accounts = scattered(WHOLE_SET_LIMIT + 1_000, 5);
        let clusters = AccountClusters::build(accounts.clone());
        let view = LonLatBox::new(174.0, -19.0, -174.0, -14.0).unwrap();
        let inside = accounts
            .iter()
            .filter(|a| view.contains(LonLat::new(a.lon, a.lat).unwrap()))
            .count() as u64;
        let found = clusters.features(4.0, Some(&view));
        assert!(counted(&found) >= inside, "{} < {inside}", counted(&found));
        assert!(
            counted(&found) < accounts.len() as u64,
            "a view answers less than the world"
        );
    }

    #[test]
    fn small_sets_answer_whole_whatever_the_view() {
        let accounts = scattered(400, 9);
        let clusters = AccountClusters::build(accounts.clone());
        let view = LonLatBox::new(105.0, -8.0, 108.0, -6.0).unwrap();
        assert_eq!(counted(&clusters.features(15.0, Some(&view))), 400);
    }

    #[test]
    fn no_accounts_answer_nothing() {
        let clusters = AccountClusters::build(Vec::new());
        let view = LonLatBox::new(105.0, -8.0, 108.0, -6.0).unwrap();
        assert!(clusters.is_empty());
        assert_eq!(clusters.features(3.0, None), Vec::new());
        assert_eq!(clusters.features(14.0, Some(&view)), Vec::new());
    }

    #[test]
    fn counts_abbreviate_like_maplibre() {
        assert_eq!(abbreviated_count(999), "999");
        assert_eq!(abbreviated_count(1_000), "1k");
        assert_eq!(abbreviated_count(1_249), "1.2k");
        assert_eq!(abbreviated_count(9_999), "10k");
        assert_eq!(abbreviated_count(12_499), "12k");
        assert_eq!(abbreviated_count(100_000), "100k");
    }
}
