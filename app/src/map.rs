//! The MapLibre GL map, driven from Rust through wasm-bindgen.
//!
//! MapLibre's UMD bundle (vendored by `scripts/build.sh` into `/vendor/`) defines the global
//! `maplibregl`; we bind the handful of `Map` methods we use instead of writing JavaScript glue.
//! The style is built here as JSON: an offline Natural Earth basemap, an optional raster tile layer
//! when the deployment configures one, and one clustered GeoJSON source per account kind.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wilayah_shared::domain::AccountKind;

/// What the browser needs to know to draw the basemap; comes from the server's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSettings {
    /// `{z}/{x}/{y}` raster tile URL drawn over the offline basemap, if the deployment has one.
    pub tile_url: Option<String>,
    pub tile_attribution: Option<String>,
    /// Initial view: centre (lon, lat) and zoom.
    pub center: (f64, f64),
    pub zoom: f64,
}

/// Colours per account kind; the legend uses the same table.
pub fn kind_colour(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Customer => "#1f6feb",
        AccountKind::Prospect => "#e8590c",
    }
}

/// Distinct colours for reps' territories, picked by rep id so a rep keeps their colour.
const REP_PALETTE: [&str; 10] = [
    "#2b8a3e", "#5f3dc4", "#c2255c", "#1971c2", "#e67700", "#0c8599", "#862e9c", "#5c940d",
    "#a61e4d", "#364fc7",
];

/// The colour of a rep's territory; grey for territories nobody owns.
pub fn rep_colour(owner_id: Option<i64>) -> &'static str {
    match owner_id {
        Some(id) => REP_PALETTE[id.rem_euclid(REP_PALETTE.len() as i64) as usize],
        None => "#868e96",
    }
}

/// Visit marker colours by status.
pub const VISIT_STATUS_COLOURS: [(&str, &str); 5] = [
    ("scheduled", "#495057"),
    ("en_route", "#f59f00"),
    ("on_site", "#1c7ed6"),
    ("done", "#2f9e44"),
    ("missed", "#e03131"),
];

pub const TERRITORIES_URL: &str = "/api/v1/map/territories.geojson";
pub const VISITS_URL: &str = "/api/v1/map/visits.geojson";

pub const BASEMAP_URL: &str = "/basemap/countries.geojson";

/// The GeoJSON endpoint of one account kind (see the server's map API).
pub fn accounts_url(kind: AccountKind) -> String {
    format!("/api/v1/map/accounts.geojson?kind={}", kind.as_str())
}

pub fn source_id(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Customer => "customers",
        AccountKind::Prospect => "prospects",
    }
}

pub fn cluster_layer_id(kind: AccountKind) -> String {
    format!("{}-clusters", source_id(kind))
}

pub fn point_layer_id(kind: AccountKind) -> String {
    format!("{}-points", source_id(kind))
}

/// The MapLibre style: basemap only. Account layers are added once the style has loaded.
pub fn base_style(settings: &MapSettings, basemap_attribution: &str) -> Value {
    let mut sources = serde_json::Map::new();
    sources.insert(
        "countries".into(),
        json!({ "type": "geojson", "data": BASEMAP_URL, "attribution": basemap_attribution }),
    );
    let mut layers = vec![
        json!({ "id": "sea", "type": "background", "paint": { "background-color": "#cfe1ec" } }),
        json!({ "id": "land", "type": "fill", "source": "countries",
                "paint": { "fill-color": "#f4f1ea" } }),
    ];
    if let Some(url) = &settings.tile_url {
        sources.insert(
            "tiles".into(),
            json!({ "type": "raster", "tiles": [url], "tileSize": 256,
                    "attribution": settings.tile_attribution.clone().unwrap_or_default() }),
        );
        layers.push(json!({ "id": "tiles", "type": "raster", "source": "tiles" }));
    }
    layers.push(
        json!({ "id": "borders", "type": "line", "source": "countries",
                        "paint": { "line-color": "#a39e93", "line-width": 0.7 } }),
    );
    json!({ "version": 8, "sources": sources, "layers": layers })
}

/// The clustered source of one account kind.
pub fn accounts_source(kind: AccountKind) -> Value {
    json!({
        "type": "geojson",
        "data": accounts_url(kind),
        "cluster": true,
        "clusterRadius": 40,
        "clusterMaxZoom": 11,
    })
}

/// Two layers per kind: clusters sized by how many accounts they hold, and single points.
pub fn accounts_layers(kind: AccountKind, visible: bool) -> [Value; 2] {
    let colour = kind_colour(kind);
    let visibility = visibility(visible);
    [
        json!({
            "id": cluster_layer_id(kind), "type": "circle", "source": source_id(kind),
            "filter": ["has", "point_count"],
            "layout": { "visibility": visibility },
            "paint": {
                "circle-color": colour, "circle-opacity": 0.75,
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 2,
                "circle-radius": ["step", ["get", "point_count"], 12, 10, 16, 50, 22, 200, 28],
            },
        }),
        json!({
            "id": point_layer_id(kind), "type": "circle", "source": source_id(kind),
            "filter": ["!", ["has", "point_count"]],
            "layout": { "visibility": visibility },
            "paint": {
                "circle-color": colour, "circle-radius": 6,
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5,
            },
        }),
    ]
}

/// The layer groups a user can switch on and off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Customers,
    Prospects,
    Territories,
    Visits,
}

impl Overlay {
    pub const ALL: [Overlay; 4] = [
        Overlay::Territories,
        Overlay::Customers,
        Overlay::Prospects,
        Overlay::Visits,
    ];

    /// The MapLibre layers that make up this overlay.
    pub fn layer_ids(self) -> Vec<String> {
        match self {
            Overlay::Customers => vec![
                cluster_layer_id(AccountKind::Customer),
                point_layer_id(AccountKind::Customer),
            ],
            Overlay::Prospects => vec![
                cluster_layer_id(AccountKind::Prospect),
                point_layer_id(AccountKind::Prospect),
            ],
            Overlay::Territories => vec!["territories-fill".into(), "territories-outline".into()],
            Overlay::Visits => vec!["visits".into()],
        }
    }
}

fn visibility(visible: bool) -> &'static str {
    if visible { "visible" } else { "none" }
}

/// Territories filled in their rep's colour, with a stronger outline.
pub fn territory_layers(visible: bool) -> [Value; 2] {
    [
        json!({
            "id": "territories-fill", "type": "fill", "source": "territories",
            "layout": { "visibility": visibility(visible) },
            "paint": { "fill-color": ["get", "colour"], "fill-opacity": 0.16 },
        }),
        json!({
            "id": "territories-outline", "type": "line", "source": "territories",
            "layout": { "visibility": visibility(visible) },
            "paint": { "line-color": ["get", "colour"], "line-width": 1.5, "line-opacity": 0.8 },
        }),
    ]
}

/// Today's visits: a ring around the account, coloured by the visit's status.
pub fn visit_layer(visible: bool) -> Value {
    let mut colour = vec![json!("match"), json!(["get", "status"])];
    for (status, hex) in VISIT_STATUS_COLOURS {
        colour.push(json!(status));
        colour.push(json!(hex));
    }
    colour.push(json!("#495057"));
    json!({
        "id": "visits", "type": "circle", "source": "visits",
        "layout": { "visibility": visibility(visible) },
        "paint": {
            "circle-radius": 10, "circle-color": "rgba(0,0,0,0)",
            "circle-stroke-width": 3, "circle-stroke-color": colour,
        },
    })
}

/// A FeatureCollection of bare points.
pub fn points_geojson(positions: &[(f64, f64)]) -> Value {
    let features: Vec<Value> = positions
        .iter()
        .map(|(lon, lat)| json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] }, "properties": {} }))
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

/// Nearby prospects the user asked for: large yellow markers above everything else.
pub fn nearby_layer() -> Value {
    json!({
        "id": "nearby", "type": "circle", "source": "nearby",
        "paint": { "circle-radius": 9, "circle-color": "#fcc419", "circle-stroke-color": "#212529", "circle-stroke-width": 2 },
    })
}

#[cfg(feature = "hydrate")]
pub use browser::MapHandle;

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = maplibregl, js_name = Map)]
        #[derive(Clone)]
        type JsMap;

        #[wasm_bindgen(constructor, js_namespace = maplibregl, js_class = "Map")]
        fn new(options: &JsValue) -> JsMap;

        #[wasm_bindgen(method)]
        fn on(this: &JsMap, event: &str, listener: &js_sys::Function);

        /// A listener for events on one layer's features.
        #[wasm_bindgen(method, js_name = on)]
        fn on_layer(this: &JsMap, event: &str, layer: &str, listener: &js_sys::Function);

        #[wasm_bindgen(method, js_name = addSource)]
        fn add_source(this: &JsMap, id: &str, source: &JsValue);

        #[wasm_bindgen(method, js_name = addLayer)]
        fn add_layer(this: &JsMap, layer: &JsValue);

        #[wasm_bindgen(method, js_name = getLayer)]
        fn get_layer(this: &JsMap, id: &str) -> JsValue;

        #[wasm_bindgen(method, js_name = setLayoutProperty)]
        fn set_layout_property(this: &JsMap, layer: &str, name: &str, value: &JsValue);

        #[wasm_bindgen(method, js_name = getZoom)]
        fn get_zoom(this: &JsMap) -> f64;

        #[wasm_bindgen(method, js_name = easeTo)]
        fn ease_to(this: &JsMap, options: &JsValue);

        #[wasm_bindgen(method, js_name = getCanvas)]
        fn get_canvas(this: &JsMap) -> web_sys::HtmlElement;

        #[wasm_bindgen(method, js_name = getSource)]
        fn get_source(this: &JsMap, id: &str) -> JsValue;
    }

    fn to_js(value: &Value) -> JsValue {
        js_sys::JSON::parse(&value.to_string()).expect("serde_json output is valid JSON")
    }

    /// `event.features[0].properties[name]` of a layer event, if it is a number.
    fn feature_number(event: &JsValue, name: &str) -> Option<f64> {
        let features = js_sys::Reflect::get(event, &"features".into()).ok()?;
        let first = js_sys::Reflect::get(&features, &0.into()).ok()?;
        let properties = js_sys::Reflect::get(&first, &"properties".into()).ok()?;
        js_sys::Reflect::get(&properties, &name.into())
            .ok()?
            .as_f64()
    }

    /// A live map on the page. It lives as long as the page, so its event closures are leaked
    /// on purpose (`forget`) rather than kept in a struct that would have to outlive the map.
    #[derive(Clone)]
    pub struct MapHandle {
        map: JsMap,
    }

    impl MapHandle {
        /// Creates the map in `container`. Once the style has loaded, `visible` is asked which
        /// overlays start shown (the user may have toggled them meanwhile); `on_select` gets the
        /// id of an account the user clicks.
        pub fn create(
            container: &web_sys::HtmlElement,
            settings: &MapSettings,
            basemap_attribution: &str,
            visible: impl Fn(Overlay) -> bool + 'static,
            on_select: impl Fn(i64) + 'static,
        ) -> Self {
            let options = json!({
                "style": base_style(settings, basemap_attribution),
                "center": [settings.center.0, settings.center.1],
                "zoom": settings.zoom,
                "attributionControl": { "compact": false },
            });
            let options = to_js(&options);
            js_sys::Reflect::set(&options, &"container".into(), container)
                .expect("options is an object");
            let map = JsMap::new(&options);

            let on_load = {
                let map = map.clone();
                Closure::<dyn FnMut()>::new(move || {
                    map.add_source(
                        "territories",
                        &to_js(&json!({ "type": "geojson", "data": TERRITORIES_URL })),
                    );
                    for layer in territory_layers(visible(Overlay::Territories)) {
                        map.add_layer(&to_js(&layer));
                    }
                    for kind in AccountKind::ALL.iter().copied() {
                        let overlay = if kind == AccountKind::Customer {
                            Overlay::Customers
                        } else {
                            Overlay::Prospects
                        };
                        map.add_source(source_id(kind), &to_js(&accounts_source(kind)));
                        for layer in accounts_layers(kind, visible(overlay)) {
                            map.add_layer(&to_js(&layer));
                        }
                    }
                    map.add_source(
                        "visits",
                        &to_js(&json!({ "type": "geojson", "data": VISITS_URL })),
                    );
                    map.add_layer(&to_js(&visit_layer(visible(Overlay::Visits))));
                    let no_points = json!({ "type": "geojson", "data": points_geojson(&[]) });
                    map.add_source("nearby", &to_js(&no_points));
                    map.add_layer(&to_js(&nearby_layer()));
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();

            let on_select = std::rc::Rc::new(on_select);
            for kind in AccountKind::ALL.iter().copied() {
                let select = on_select.clone();
                let on_point = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    if let Some(id) = feature_number(&event, "id") {
                        select(id as i64);
                    }
                });
                map.on_layer(
                    "click",
                    &point_layer_id(kind),
                    on_point.as_ref().unchecked_ref(),
                );
                on_point.forget();

                // A click on a cluster zooms in towards it.
                let zoom_map = map.clone();
                let on_cluster = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    let Ok(centre) = js_sys::Reflect::get(&event, &"lngLat".into()) else {
                        return;
                    };
                    let options =
                        to_js(&json!({ "zoom": zoom_map.get_zoom() + 2.0, "duration": 400 }));
                    let _ = js_sys::Reflect::set(&options, &"center".into(), &centre);
                    zoom_map.ease_to(&options);
                });
                map.on_layer(
                    "click",
                    &cluster_layer_id(kind),
                    on_cluster.as_ref().unchecked_ref(),
                );
                on_cluster.forget();

                // A pointer cursor over what can be clicked.
                for layer in [point_layer_id(kind), cluster_layer_id(kind)] {
                    for (event, cursor) in [("mouseenter", "pointer"), ("mouseleave", "")] {
                        let canvas_map = map.clone();
                        let set_cursor = Closure::<dyn FnMut()>::new(move || {
                            let _ = canvas_map
                                .get_canvas()
                                .style()
                                .set_property("cursor", cursor);
                        });
                        map.on_layer(event, &layer, set_cursor.as_ref().unchecked_ref());
                        set_cursor.forget();
                    }
                }
            }

            // Tests and humans can tell the map has drawn everything: MapLibre's `idle` event.
            let on_idle = {
                let container = container.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = container.set_attribute("data-map-idle", "true");
                })
            };
            map.on("idle", on_idle.as_ref().unchecked_ref());
            on_idle.forget();

            if let Some(window) = web_sys::window() {
                // A handle for the browser console and the end-to-end tests.
                let _ = js_sys::Reflect::set(&window, &"wilayahMap".into(), &map);
            }
            Self { map }
        }

        /// Highlights these positions (nearby prospects); an empty slice clears them.
        pub fn set_nearby(&self, positions: &[(f64, f64)]) {
            let source = self.map.get_source("nearby");
            if source.is_undefined() {
                return;
            }
            if let Ok(set_data) = js_sys::Reflect::get(&source, &"setData".into())
                && let Ok(set_data) = set_data.dyn_into::<js_sys::Function>()
            {
                let _ = set_data.call1(&source, &to_js(&points_geojson(positions)));
            }
        }

        /// Shows or hides an overlay; a no-op until its layers exist (they are created with the
        /// then-current visibility on load).
        pub fn set_visible(&self, overlay: Overlay, visible: bool) {
            let value = JsValue::from_str(visibility(visible));
            for layer in overlay.layer_ids() {
                if !self.map.get_layer(&layer).is_undefined() {
                    self.map.set_layout_property(&layer, "visibility", &value);
                }
            }
        }
    }

    /// The technician's route map. Lives as long as the page (its load closure is leaked).
    pub struct RouteMap {
        map: JsMap,
    }

    impl RouteMap {
        /// The offline basemap over Indonesia, when the deployment's settings are not known yet.
        pub fn default_settings() -> MapSettings {
            MapSettings {
                tile_url: None,
                tile_attribution: None,
                center: (113.5, -3.5),
                zoom: 4.2,
            }
        }

        pub fn create(
            container: &web_sys::HtmlElement,
            settings: &MapSettings,
            basemap_attribution: &str,
            route: &RouteFeatures,
        ) -> Self {
            let mut options = json!({
                "style": base_style(settings, basemap_attribution),
                "center": [settings.center.0, settings.center.1],
                "zoom": settings.zoom,
                "attributionControl": { "compact": false },
            });
            if let Some(b) = route.bounds {
                options["bounds"] = json!([[b[0], b[1]], [b[2], b[3]]]);
                options["fitBoundsOptions"] = json!({ "padding": 40, "maxZoom": 15 });
            }
            let options = to_js(&options);
            js_sys::Reflect::set(&options, &"container".into(), container)
                .expect("options is an object");
            let map = JsMap::new(&options);
            let (line, stops) = (route.line.clone(), route.stops.clone());
            let on_load = {
                let map = map.clone();
                Closure::<dyn FnMut()>::new(move || {
                    for (id, data) in [
                        ("route-line", line.clone()),
                        ("route-stops", stops.clone()),
                        ("route-suggestions", points_geojson(&[])),
                    ] {
                        map.add_source(id, &to_js(&json!({ "type": "geojson", "data": data })));
                    }
                    for layer in route_layers() {
                        map.add_layer(&to_js(&layer));
                    }
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();
            let on_idle = {
                let container = container.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = container.set_attribute("data-map-idle", "true");
                })
            };
            map.on("idle", on_idle.as_ref().unchecked_ref());
            on_idle.forget();
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &"wilayahRouteMap".into(), &map);
            }
            Self { map }
        }

        fn set_data(&self, source: &str, data: &Value) {
            let source = self.map.get_source(source);
            if source.is_undefined() {
                return;
            }
            if let Ok(set_data) = js_sys::Reflect::get(&source, &"setData".into())
                && let Ok(set_data) = set_data.dyn_into::<js_sys::Function>()
            {
                let _ = set_data.call1(&source, &to_js(data));
            }
        }

        /// Redraws the route and the suggested prospects (a no-op until the style has loaded;
        /// the route it was created with is drawn then).
        pub fn show(&self, route: &RouteFeatures, suggested: &[(f64, f64)]) {
            self.set_data("route-line", &route.line);
            self.set_data("route-stops", &route.stops);
            self.set_data("route-suggestions", &points_geojson(suggested));
        }
    }
}

// --- Field service: the technician's route map -------------------------------------------

/// A technician's day drawn as GeoJSON: the route from home through every stop and back, the
/// stops numbered in route order and coloured by status, and the box to frame them.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteFeatures {
    pub line: Value,
    pub stops: Value,
    /// West, south, east, north.
    pub bounds: Option<[f64; 4]>,
}

pub fn route_features(day: &wilayah_shared::field::FieldDay) -> RouteFeatures {
    let home = day.home_lon.zip(day.home_lat);
    let mut path: Vec<(f64, f64)> = home.into_iter().collect();
    path.extend(day.stops.iter().map(|s| (s.lon, s.lat)));
    path.extend(home);
    let stops: Vec<Value> = day
        .stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [s.lon, s.lat] },
                    "properties": { "seq": i + 1, "status": s.status, "visit_id": s.visit_id } })
        })
        .chain(home.map(|(lon, lat)| {
            json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] },
                    "properties": { "seq": 0, "status": "home" } })
        }))
        .collect();
    let bounds = path.iter().fold(None, |b: Option<[f64; 4]>, &(lon, lat)| {
        Some(match b {
            None => [lon, lat, lon, lat],
            Some([w, s, e, n]) => [w.min(lon), s.min(lat), e.max(lon), n.max(lat)],
        })
    });
    let coordinates: Vec<[f64; 2]> = path.iter().map(|&(lon, lat)| [lon, lat]).collect();
    RouteFeatures {
        line: json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "geometry": { "type": "LineString", "coordinates": coordinates }, "properties": {} }
        ] }),
        stops: json!({ "type": "FeatureCollection", "features": stops }),
        bounds,
    }
}

/// The route map's layers: the route line, then stops ringed in their status colour (home
/// filled dark), then suggested prospects in yellow.
pub fn route_layers() -> [Value; 3] {
    let mut colour = vec![json!("match"), json!(["get", "status"])];
    for (status, hex) in VISIT_STATUS_COLOURS {
        colour.push(json!(status));
        colour.push(json!(hex));
    }
    colour.push(json!("#212529"));
    [
        json!({ "id": "route-line", "type": "line", "source": "route-line",
                "paint": { "line-color": "#0f766e", "line-width": 4, "line-opacity": 0.8 } }),
        json!({ "id": "route-stops", "type": "circle", "source": "route-stops",
                "paint": { "circle-radius": 11, "circle-color": "#ffffff",
                           "circle-stroke-width": 4, "circle-stroke-color": colour } }),
        json!({ "id": "route-suggestions", "type": "circle", "source": "route-suggestions",
                "paint": { "circle-radius": 9, "circle-color": "#fcc419",
                           "circle-stroke-color": "#212529", "circle-stroke-width": 2 } }),
    ]
}

#[cfg(feature = "hydrate")]
pub use browser::RouteMap;

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tile_url: Option<&str>) -> MapSettings {
        MapSettings {
            tile_url: tile_url.map(str::to_owned),
            tile_attribution: None,
            center: (118.0, -2.0),
            zoom: 4.0,
        }
    }

    #[test]
    fn offline_style_has_the_basemap_and_no_remote_tiles() {
        let style = base_style(&settings(None), "Natural Earth");
        assert_eq!(style["sources"]["countries"]["data"], BASEMAP_URL);
        assert_eq!(
            style["sources"]["countries"]["attribution"],
            "Natural Earth"
        );
        assert!(style["sources"].get("tiles").is_none());
    }

    #[test]
    fn a_configured_tile_url_adds_a_raster_layer_under_the_borders() {
        let style = base_style(
            &settings(Some("https://tiles.example/{z}/{x}/{y}.png")),
            "NE",
        );
        assert_eq!(
            style["sources"]["tiles"]["tiles"][0],
            "https://tiles.example/{z}/{x}/{y}.png"
        );
        let ids: Vec<&str> = style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["sea", "land", "tiles", "borders"]);
    }

    #[test]
    fn account_layers_split_clusters_from_points_and_honour_visibility() {
        let [clusters, points] = accounts_layers(AccountKind::Prospect, false);
        assert_eq!(clusters["source"], "prospects");
        assert_eq!(clusters["filter"], json!(["has", "point_count"]));
        assert_eq!(points["filter"], json!(["!", ["has", "point_count"]]));
        assert_eq!(points["layout"]["visibility"], "none");
        assert_eq!(
            accounts_source(AccountKind::Customer)["data"],
            "/api/v1/map/accounts.geojson?kind=customer"
        );
    }

    #[test]
    fn a_route_goes_from_home_through_the_stops_and_back() {
        let stop = |id: i64, lon: f64, status: &str| wilayah_shared::field::FieldStop {
            visit_id: id,
            version: 1,
            account_id: id,
            account_name: format!("A{id}"),
            address: None,
            lon,
            lat: -6.2,
            status: status.into(),
            window_start: String::new(),
            window_end: String::new(),
            duration_min: 30,
            planned_arrival: None,
            planned_start: None,
            left_out: None,
            checkin_at: None,
            checkin_accuracy_m: None,
            checkin_distance_m: None,
            outcome: None,
            notes: None,
        };
        let day = wilayah_shared::field::FieldDay {
            technician_id: 1,
            technician_name: "T".into(),
            date: "2026-11-23".into(),
            utc_offset_minutes: 420,
            home_lon: Some(106.7),
            home_lat: Some(-6.3),
            stops: vec![stop(1, 106.8, "done"), stop(2, 106.9, "scheduled")],
            distances: "great_circle".into(),
            fetched_at: String::new(),
        };
        let drawn = route_features(&day);
        assert_eq!(
            drawn.line["features"][0]["geometry"]["coordinates"],
            json!([[106.7, -6.3], [106.8, -6.2], [106.9, -6.2], [106.7, -6.3]])
        );
        assert_eq!(drawn.stops["features"][1]["properties"]["seq"], 2);
        assert_eq!(drawn.stops["features"][2]["properties"]["status"], "home");
        assert_eq!(drawn.bounds, Some([106.7, -6.3, 106.9, -6.2]));
    }
}
