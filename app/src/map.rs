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
    let visibility = if visible { "visible" } else { "none" };
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

        #[wasm_bindgen(method, js_name = addSource)]
        fn add_source(this: &JsMap, id: &str, source: &JsValue);

        #[wasm_bindgen(method, js_name = addLayer)]
        fn add_layer(this: &JsMap, layer: &JsValue);

        #[wasm_bindgen(method, js_name = getLayer)]
        fn get_layer(this: &JsMap, id: &str) -> JsValue;

        #[wasm_bindgen(method, js_name = setLayoutProperty)]
        fn set_layout_property(this: &JsMap, layer: &str, name: &str, value: &JsValue);
    }

    fn to_js(value: &Value) -> JsValue {
        js_sys::JSON::parse(&value.to_string()).expect("serde_json output is valid JSON")
    }

    /// A live map on the page. It lives as long as the page, so its event closures are leaked
    /// on purpose (`forget`) rather than kept in a struct that would have to outlive the map.
    #[derive(Clone)]
    pub struct MapHandle {
        map: JsMap,
    }

    impl MapHandle {
        /// Creates the map in `container`. `layer_visible` is asked, once the style has loaded,
        /// whether each kind's layers start visible (the user may have toggled them meanwhile).
        pub fn create(
            container: &web_sys::HtmlElement,
            settings: &MapSettings,
            basemap_attribution: &str,
            layer_visible: impl Fn(AccountKind) -> bool + 'static,
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
                    for kind in AccountKind::ALL.iter().copied() {
                        map.add_source(source_id(kind), &to_js(&accounts_source(kind)));
                        for layer in accounts_layers(kind, layer_visible(kind)) {
                            map.add_layer(&to_js(&layer));
                        }
                    }
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();

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

        /// Shows or hides one kind's layers; a no-op until the layers exist (they are created
        /// with the then-current visibility on load).
        pub fn set_visible(&self, kind: AccountKind, visible: bool) {
            let value = JsValue::from_str(if visible { "visible" } else { "none" });
            for layer in [cluster_layer_id(kind), point_layer_id(kind)] {
                if !self.map.get_layer(&layer).is_undefined() {
                    self.map.set_layout_property(&layer, "visibility", &value);
                }
            }
        }
    }
}

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
}
