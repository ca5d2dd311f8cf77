//! Real data: 17,343 GeoNames US places assigned to 3,231 Census county polygons.

mod spatial_support;

use spatial_support::{county_territories, us_counties, us_places};
use wilayah_shared::LonLat;
use wilayah_shared::spatial::{Region, SpatialError, TerritoryIndex};

#[test]
fn the_county_file_is_valid_but_for_known_grid_snapping_artefacts() {
    let mut collapsed = 0;
    let mut spikes = 0;
    let mut crossing = Vec::new();
    for c in us_counties() {
        match Region::from_coords(&c.polygons) {
            Ok(r) => {
                assert_eq!(r.is_empty(), c.fips == 51610, "{}", c.name);
                collapsed += r.collapsed_rings().len();
                spikes += r.spikes_removed();
            }
            Err(SpatialError::SelfIntersection { .. }) => crossing.push(c.fips),
            Err(e) => panic!("{} {}: {e}", c.fips, c.name),
        }
        let lenient = Region::from_coords_lenient(&c.polygons).unwrap();
        assert_eq!(
            lenient.accepted_crossings().is_empty(),
            !crossing.contains(&c.fips)
        );
    }
    crossing.sort_unstable();
    // Tiny loops left by snapping to the TopoJSON grid (Alameda CA, Morehouse LA, Chesterfield,
    // Isle of Wight and Franklin city VA); the strict constructor names the edges.
    assert_eq!(crossing, vec![6001, 22067, 51041, 51093, 51620]);
    // Rings with fewer than 3 distinct positions; Falls Church city (51610) is left with none.
    assert_eq!(collapsed, 22);
    assert!(spikes > 0, "spike vertices are removed");
}

#[test]
fn us_places_fall_in_exactly_one_county_17287_times() {
    let places = us_places();
    assert_eq!(places.len(), 17_343);
    let territories = county_territories().expect("the county file is valid");
    assert_eq!(territories.len(), 3_231);
    let index = TerritoryIndex::new(territories).unwrap();
    let report = index.assign_all(
        places
            .iter()
            .enumerate()
            .map(|(i, p)| (i as i64, p.position)),
    );
    assert_eq!(report.assigned.len(), 17_287);
    assert_eq!(
        report.assigned.len() + report.unassigned.len() + report.overlaps.len(),
        17_343
    );
    // Counties tile the land, so no place may be claimed twice under the boundary rule.
    assert!(report.overlaps.is_empty(), "{:?}", report.overlaps);

    // Spot checks by name.
    let county_of = |name: &str, state: &str| {
        let p = places
            .iter()
            .find(|p| p.name == name && p.state == state)
            .unwrap();
        index
            .territories_at(p.position)
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        county_of("Bay Minette", "AL"),
        vec![1003],
        "Baldwin County, AL"
    );
    assert_eq!(county_of("Henderson", "TX"), vec![48401], "Rusk County, TX");
    // The Aleutians: a county crossing the antimeridian is found from both sides.
    let west_of_180 = index.territories_at(LonLat::new(179.5, 51.5).unwrap());
    assert!(west_of_180.iter().all(|t| t.id / 1000 == 2), "Alaska only");
}
