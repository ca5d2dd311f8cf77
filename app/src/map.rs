//! The MapLibre GL map, driven from Rust through wasm-bindgen.
//!
//! MapLibre's UMD bundle (vendored by `scripts/build.sh` into `/vendor/`) defines the global
//! `maplibregl`; we bind the handful of `Map` methods we use instead of writing JavaScript glue.
//! The style is built here as JSON: an offline Natural Earth basemap, an optional raster tile layer
//! when the deployment configures one, and one clustered GeoJSON source per account kind.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wilayah_shared::dashboard::{Camera, ColourBy, DashboardFilter};
use wilayah_shared::domain::{AccountKind, AccountStatus};

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

/// The feed of one kind's accounts under a dashboard filter; `None` when the filter asks for the
/// other kind only (the layer is then emptied rather than fetched).
pub fn filtered_accounts_url(kind: AccountKind, filter: &DashboardFilter) -> Option<String> {
    if filter.kind.is_some_and(|k| k != kind) {
        return None;
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("kind", kind.as_str());
    for (key, value) in filter.query_pairs() {
        if key != "kind" {
            query.append_pair(key, &value);
        }
    }
    Some(format!("/api/v1/map/accounts.geojson?{}", query.finish()))
}

/// What the map asks the server for: the accounts of one zoom level (its whole part, as tiles
/// are) in a view, clustered by the server. `view` is `[west, south, east, north]` with
/// longitudes in the map's unwrapped space (they may pass ±180 when the map shows world
/// copies); `None` is the whole world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedView {
    pub zoom: u8,
    pub view: Option<[f64; 4]>,
}

impl FeedView {
    /// The view to fetch for what the map shows: the visible bounds grown by half their size on
    /// every side, so small pans need no new request.
    pub fn around(zoom: f64, [west, south, east, north]: [f64; 4]) -> Self {
        let zoom = zoom.clamp(0.0, 24.0).floor() as u8;
        let (width, height) = (east - west, north - south);
        if width * 2.0 >= 360.0 {
            return Self { zoom, view: None };
        }
        let view = [
            west - width / 2.0,
            (south - height / 2.0).max(-90.0),
            east + width / 2.0,
            (north + height / 2.0).min(90.0),
        ];
        Self {
            zoom,
            view: Some(view),
        }
    }

    /// Whether the map showing `bounds` at `zoom` needs nothing this view did not fetch.
    pub fn covers(&self, zoom: f64, [west, south, east, north]: [f64; 4]) -> bool {
        if self.zoom != zoom.clamp(0.0, 24.0).floor() as u8 {
            return false;
        }
        match self.view {
            None => true,
            Some([w, s, e, n]) => west >= w && east <= e && south >= s && north <= n,
        }
    }

    /// The view as the server's `bbox` parameter: longitudes wrapped into [-180, 180], so a view
    /// across the antimeridian has `west > east`.
    pub fn bbox_param(&self) -> Option<String> {
        let [west, south, east, north] = self.view?;
        let wrap = |lon: f64| (lon + 180.0).rem_euclid(360.0) - 180.0;
        Some(format!(
            "{:.4},{:.4},{:.4},{:.4}",
            wrap(west),
            south,
            wrap(east),
            north
        ))
    }
}

/// The clustered feed of one kind's accounts under a filter, for one view.
pub fn clustered_accounts_url(
    kind: AccountKind,
    filter: &DashboardFilter,
    view: &FeedView,
) -> Option<String> {
    let mut url = filtered_accounts_url(kind, filter)?;
    url.push_str(&format!("&zoom={}", view.zoom));
    if let Some(bbox) = view.bbox_param() {
        url.push_str("&bbox=");
        url.push_str(&bbox);
    }
    Some(url)
}

/// Account status colours: customers in blues and greys, prospects in warm tones.
pub const STATUS_COLOURS: [(AccountStatus, &str); 7] = [
    (AccountStatus::Active, "#1f6feb"),
    (AccountStatus::AtRisk, "#f59f00"),
    (AccountStatus::Churned, "#868e96"),
    (AccountStatus::New, "#ff922b"),
    (AccountStatus::Contacted, "#e8590c"),
    (AccountStatus::Qualified, "#c2255c"),
    (AccountStatus::Disqualified, "#495057"),
];

/// The colour of one status (the legend uses the same table).
pub fn status_colour(status: AccountStatus) -> &'static str {
    STATUS_COLOURS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("#495057", |(_, c)| c)
}

/// The MapLibre colour expression of single account points.
pub fn point_colour(kind: AccountKind, colour_by: ColourBy) -> Value {
    match colour_by {
        ColourBy::Kind => json!(kind_colour(kind)),
        ColourBy::Status => {
            let mut expression = vec![json!("match"), json!(["get", "status"])];
            for (status, colour) in STATUS_COLOURS {
                expression.push(json!(status.as_str()));
                expression.push(json!(colour));
            }
            expression.push(json!("#495057"));
            Value::Array(expression)
        }
        // Same palette and rule as `rep_colour`, so a rep's accounts match their territory.
        ColourBy::Owner => json!([
            "case",
            ["==", ["typeof", ["get", "owner_id"]], "number"],
            [
                "at",
                ["%", ["get", "owner_id"], REP_PALETTE.len()],
                ["literal", REP_PALETTE]
            ],
            rep_colour(None),
        ]),
    }
}

/// Prefix of the images that carry cluster counts; see [`label_image`].
pub const COUNT_IMAGE: &str = "count:";
/// Prefix of the images that carry territory names.
pub const NAME_IMAGE: &str = "name:";

/// What a label image of the given id shows, and whether it is a cluster count (white on the
/// cluster circle) rather than a territory name (dark with a light halo). Labels are drawn as
/// images on demand because the offline map has no font glyphs to typeset text with.
pub fn label_image(image_id: &str) -> Option<(&str, bool)> {
    image_id
        .strip_prefix(COUNT_IMAGE)
        .map(|text| (text, true))
        .or_else(|| image_id.strip_prefix(NAME_IMAGE).map(|text| (text, false)))
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

/// The source of one account kind, empty until the map knows its view. The server clusters
/// (see [`clustered_accounts_url`]); MapLibre only draws.
pub fn accounts_source() -> Value {
    json!({ "type": "geojson", "data": points_geojson(&[]) })
}

pub fn cluster_count_layer_id(kind: AccountKind) -> String {
    format!("{}-counts", source_id(kind))
}

/// Three layers per kind: clusters sized by how many accounts they hold, their counts, and
/// single points coloured as `colour_by` says.
pub fn accounts_layers(kind: AccountKind, visible: bool, colour_by: ColourBy) -> [Value; 3] {
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
            "id": cluster_count_layer_id(kind), "type": "symbol", "source": source_id(kind),
            "filter": ["has", "point_count"],
            "layout": {
                "visibility": visibility,
                "icon-image": ["concat", COUNT_IMAGE, ["get", "point_count_abbreviated"]],
                "icon-allow-overlap": true, "icon-ignore-placement": true,
            },
        }),
        json!({
            "id": point_layer_id(kind), "type": "circle", "source": source_id(kind),
            "filter": ["!", ["has", "point_count"]],
            "layout": { "visibility": visibility },
            "paint": {
                "circle-color": point_colour(kind, colour_by), "circle-radius": 6,
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
                cluster_count_layer_id(AccountKind::Customer),
                point_layer_id(AccountKind::Customer),
            ],
            Overlay::Prospects => vec![
                cluster_layer_id(AccountKind::Prospect),
                cluster_count_layer_id(AccountKind::Prospect),
                point_layer_id(AccountKind::Prospect),
            ],
            Overlay::Territories => vec![
                "territories-fill".into(),
                "territory-shade-fill".into(),
                "territories-outline".into(),
                "territories-label".into(),
            ],
            Overlay::Visits => vec!["visits".into()],
        }
    }
}

fn visibility(visible: bool) -> &'static str {
    if visible { "visible" } else { "none" }
}

/// Territories filled in their rep's colour, with a stronger outline and their name; over the
/// fill, the shade of a metric when one is chosen (its own source, `territory-shade`, empty
/// otherwise, so that the rep colours' URL never races a shade set right after it).
pub fn territory_layers(visible: bool) -> [Value; 4] {
    let mut by_class = vec![json!("match"), json!(["get", "class"])];
    for (i, colour) in crate::analytics::CLASS_COLOURS.iter().enumerate() {
        by_class.push(json!(i));
        by_class.push(json!(colour));
    }
    by_class.push(json!("#adb5bd"));
    [
        json!({
            "id": "territories-fill", "type": "fill", "source": "territories",
            "layout": { "visibility": visibility(visible) },
            "paint": { "fill-color": ["get", "colour"], "fill-opacity": 0.16 },
        }),
        json!({
            "id": "territory-shade-fill", "type": "fill", "source": "territory-shade",
            "layout": { "visibility": visibility(visible) },
            "paint": { "fill-color": by_class, "fill-opacity": 0.5 },
        }),
        json!({
            "id": "territories-outline", "type": "line", "source": "territories",
            "layout": { "visibility": visibility(visible) },
            "paint": { "line-color": ["get", "colour"], "line-width": 1.5, "line-opacity": 0.8 },
        }),
        json!({
            "id": "territories-label", "type": "symbol", "source": "territories",
            // Zoomed further in, a territory spans many tiles and would be labelled in each.
            "minzoom": 6, "maxzoom": 9.5,
            "layout": {
                "visibility": visibility(visible),
                "icon-image": ["concat", NAME_IMAGE, ["get", "name"]],
            },
        }),
    ]
}

/// The rep colours' paint while a metric shades the territories (`shaded`): the fill gives way
/// to the shade, the outline turns neutral.
pub fn territory_paint(shaded: bool) -> [(&'static str, &'static str, Value); 2] {
    if shaded {
        [
            ("territories-fill", "fill-opacity", json!(0)),
            ("territories-outline", "line-color", json!("#495057")),
        ]
    } else {
        [
            ("territories-fill", "fill-opacity", json!(0.16)),
            (
                "territories-outline",
                "line-color",
                json!(["get", "colour"]),
            ),
        ]
    }
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

/// What the map starts with; the page reads it from the URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapStart {
    pub camera: Option<Camera>,
    pub filter: DashboardFilter,
    pub colour_by: ColourBy,
}

/// What the map reports back to the page.
pub struct MapCallbacks {
    /// Which overlays start shown, asked once the style has loaded (the user may have toggled
    /// them meanwhile).
    pub visible: Box<dyn Fn(Overlay) -> bool>,
    /// The id of an account the user clicked.
    pub select: Box<dyn Fn(i64)>,
    /// A click on the map away from any account: (lon, lat).
    pub pick: Box<dyn Fn(f64, f64)>,
    /// The map came to rest somewhere new.
    pub moved: Box<dyn Fn(Camera)>,
}

#[cfg(feature = "hydrate")]
pub use browser::MapHandle;

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

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

        #[wasm_bindgen(method, js_name = setPaintProperty)]
        fn set_paint_property(this: &JsMap, layer: &str, name: &str, value: &JsValue);

        #[wasm_bindgen(method, js_name = getZoom)]
        fn get_zoom(this: &JsMap) -> f64;

        #[wasm_bindgen(method, js_name = getBounds)]
        fn get_bounds(this: &JsMap) -> JsValue;

        #[wasm_bindgen(method, js_name = getCenter)]
        fn get_center(this: &JsMap) -> JsValue;

        #[wasm_bindgen(method, js_name = easeTo)]
        fn ease_to(this: &JsMap, options: &JsValue);

        #[wasm_bindgen(method, js_name = getCanvas)]
        fn get_canvas(this: &JsMap) -> web_sys::HtmlElement;

        #[wasm_bindgen(method, js_name = getSource)]
        fn get_source(this: &JsMap, id: &str) -> JsValue;

        #[wasm_bindgen(method, js_name = getContainer)]
        fn get_container(this: &JsMap) -> web_sys::HtmlElement;

        #[wasm_bindgen(method, js_name = hasImage)]
        fn has_image(this: &JsMap, id: &str) -> bool;

        #[wasm_bindgen(method, js_name = addImage)]
        fn add_image(this: &JsMap, id: &str, image: &web_sys::ImageData, options: &JsValue);

        #[wasm_bindgen(method, js_name = queryRenderedFeatures)]
        fn query_rendered_features(
            this: &JsMap,
            point: &JsValue,
            options: &JsValue,
        ) -> js_sys::Array;
    }

    fn to_js(value: &Value) -> JsValue {
        js_sys::JSON::parse(&value.to_string()).expect("serde_json output is valid JSON")
    }

    fn get(object: &JsValue, key: &str) -> JsValue {
        js_sys::Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
    }

    /// `event.features[0].properties[name]` of a layer event, if it is a number.
    fn feature_number(event: &JsValue, name: &str) -> Option<f64> {
        let first = get(&get(event, "features"), "0");
        get(&get(&first, "properties"), name).as_f64()
    }

    /// Every account layer a click can land on.
    fn clickable_layers() -> Vec<String> {
        AccountKind::ALL
            .iter()
            .flat_map(|&kind| [point_layer_id(kind), cluster_layer_id(kind)])
            .collect()
    }

    /// Draws a label as an image (see [`label_image`]) at twice the CSS size for sharp text.
    fn draw_label(text: &str, on_cluster: bool) -> Option<web_sys::ImageData> {
        const SCALE: f64 = 2.0;
        let document = web_sys::window()?.document()?;
        let canvas: web_sys::HtmlCanvasElement =
            document.create_element("canvas").ok()?.dyn_into().ok()?;
        let context: web_sys::CanvasRenderingContext2d =
            canvas.get_context("2d").ok()??.dyn_into().ok()?;
        let font = if on_cluster {
            "bold 24px system-ui, sans-serif"
        } else {
            "600 24px system-ui, sans-serif"
        };
        context.set_font(font);
        let width = (context.measure_text(text).ok()?.width() + 8.0 * SCALE).ceil();
        let height = 16.0 * SCALE;
        canvas.set_width(width as u32);
        canvas.set_height(height as u32);
        // Resizing the canvas resets its state.
        context.set_font(font);
        context.set_text_align("center");
        context.set_text_baseline("middle");
        let (x, y) = (width / 2.0, height / 2.0);
        if on_cluster {
            context.set_fill_style_str("#ffffff");
        } else {
            context.set_line_width(5.0);
            context.set_stroke_style_str("rgba(255,255,255,0.9)");
            context.stroke_text(text, x, y).ok()?;
            context.set_fill_style_str("#212529");
        }
        context.fill_text(text, x, y).ok()?;
        context.get_image_data(0.0, 0.0, width, height).ok()
    }

    /// The territories' data and paint for a shade (see [`MapHandle::set_territory_shade`]); a
    /// no-op until the layers exist.
    fn apply_shade(map: &JsMap, data: Option<&JsValue>) {
        if map.get_layer("territories-fill").is_undefined() {
            return;
        }
        match data {
            Some(data) => set_source_data(map, "territory-shade", data),
            None => set_source_data(map, "territory-shade", &empty_collection()),
        }
        for (layer, property, value) in territory_paint(data.is_some()) {
            map.set_paint_property(layer, property, &to_js(&value));
        }
    }

    fn set_source_data(map: &JsMap, source_id: &str, data: &JsValue) {
        let source = map.get_source(source_id);
        if source.is_undefined() {
            return;
        }
        if let Ok(set_data) = get(&source, "setData").dyn_into::<js_sys::Function>() {
            let _ = set_data.call1(&source, data);
        }
    }

    /// The JSON at `url`, parsed; `None` (logged) when it cannot be had.
    async fn load_json(url: &str) -> Option<JsValue> {
        let text = match gloo_net::http::Request::get(url).send().await {
            Ok(response) if response.ok() => response.text().await.ok()?,
            Ok(response) => {
                leptos::logging::warn!("{url}: {}", response.status());
                return None;
            }
            Err(e) => {
                leptos::logging::warn!("{url}: {e}");
                return None;
            }
        };
        js_sys::JSON::parse(&text).ok()
    }

    fn empty_collection() -> JsValue {
        to_js(&points_geojson(&[]))
    }

    /// What the account sources hold: the filter, and the view last fetched for it.
    struct AccountFeed {
        filter: DashboardFilter,
        fetched: Option<FeedView>,
        /// Counts refreshes. The feeds are fetched here, not by MapLibre from a URL, so that an
        /// answer reaches the sources only while no newer refresh came after it: MapLibre lets
        /// an older URL load land after a newer `setData` (an earlier filter's points would
        /// stay on the map).
        generation: u64,
        /// Fetches not answered yet: until they are, the map has not drawn what it was asked.
        loading: u32,
    }

    /// The visible bounds `[west, south, east, north]` (longitudes unwrapped).
    fn visible_bounds(map: &JsMap) -> Option<[f64; 4]> {
        let bounds = map.get_bounds();
        let edge = |name: &str| {
            get(&bounds, name)
                .dyn_into::<js_sys::Function>()
                .ok()?
                .call0(&bounds)
                .ok()?
                .as_f64()
        };
        Some([
            edge("getWest")?,
            edge("getSouth")?,
            edge("getEast")?,
            edge("getNorth")?,
        ])
    }

    /// Points the account sources at the server's clusters for what the map shows, unless what
    /// they hold already covers it (`force` after a filter change).
    fn refresh_accounts(map: &JsMap, shared: &Rc<RefCell<AccountFeed>>, force: bool) {
        let Some(bounds) = visible_bounds(map) else {
            return;
        };
        let zoom = map.get_zoom();
        let mut feed = shared.borrow_mut();
        if !force && feed.fetched.is_some_and(|f| f.covers(zoom, bounds)) {
            return;
        }
        let view = FeedView::around(zoom, bounds);
        feed.generation += 1;
        let generation = feed.generation;
        let urls: Vec<(AccountKind, Option<String>)> = AccountKind::ALL
            .iter()
            .map(|kind| (*kind, clustered_accounts_url(*kind, &feed.filter, &view)))
            .collect();
        feed.fetched = Some(view);
        feed.loading += urls.iter().filter(|(_, url)| url.is_some()).count() as u32;
        drop(feed);
        // The idle marker says the map drew what it was last asked: asking again takes it away
        // until the next `idle` after the answers are in.
        let _ = map.get_container().remove_attribute("data-map-idle");
        for (kind, url) in urls {
            let Some(url) = url else {
                set_source_data(map, source_id(kind), &empty_collection());
                continue;
            };
            let (map, shared) = (map.clone(), shared.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let data = load_json(&url).await;
                let current = {
                    let mut feed = shared.borrow_mut();
                    feed.loading -= 1;
                    feed.generation == generation
                };
                if let (true, Some(data)) = (current, data) {
                    set_source_data(&map, source_id(kind), &data);
                }
            });
        }
    }

    /// A live map on the page. It lives as long as the page, so its event closures are leaked
    /// on purpose (`forget`) rather than kept in a struct that would have to outlive the map.
    #[derive(Clone)]
    pub struct MapHandle {
        map: JsMap,
        feed: Rc<RefCell<AccountFeed>>,
        /// The territories shaded by a metric (`None`: by rep), kept to apply on `load` when it
        /// comes before the map has loaded.
        shade: Rc<RefCell<Option<JsValue>>>,
    }

    impl MapHandle {
        /// Creates the map in `container`, looking where `start` says (or the deployment's
        /// default) with the filtered accounts.
        pub fn create(
            container: &web_sys::HtmlElement,
            settings: &MapSettings,
            basemap_attribution: &str,
            start: MapStart,
            callbacks: MapCallbacks,
        ) -> Self {
            let (center, zoom) = match start.camera {
                Some(c) => ((c.lon, c.lat), c.zoom),
                None => (settings.center, settings.zoom),
            };
            let options = json!({
                "style": base_style(settings, basemap_attribution),
                "center": [center.0, center.1],
                "zoom": zoom,
                "attributionControl": { "compact": false },
            });
            let options = to_js(&options);
            js_sys::Reflect::set(&options, &"container".into(), container)
                .expect("options is an object");
            let map = JsMap::new(&options);
            let feed = Rc::new(RefCell::new(AccountFeed {
                filter: start.filter.clone(),
                fetched: None,
                generation: 0,
                loading: 0,
            }));
            let MapCallbacks {
                visible,
                select,
                pick,
                moved,
            } = callbacks;
            let shade: Rc<RefCell<Option<JsValue>>> = Rc::new(RefCell::new(None));

            let on_load = {
                let map = map.clone();
                let feed = feed.clone();
                let shade = shade.clone();
                Closure::<dyn FnMut()>::new(move || {
                    map.add_source(
                        "territories",
                        &to_js(&json!({ "type": "geojson", "data": TERRITORIES_URL })),
                    );
                    map.add_source(
                        "territory-shade",
                        &to_js(&json!({ "type": "geojson", "data": { "type": "FeatureCollection", "features": [] } })),
                    );
                    for layer in territory_layers(visible(Overlay::Territories)) {
                        map.add_layer(&to_js(&layer));
                    }
                    if let Some(data) = shade.borrow().as_ref() {
                        apply_shade(&map, Some(data));
                    }
                    for kind in AccountKind::ALL.iter().copied() {
                        let overlay = if kind == AccountKind::Customer {
                            Overlay::Customers
                        } else {
                            Overlay::Prospects
                        };
                        map.add_source(source_id(kind), &to_js(&accounts_source()));
                        for layer in accounts_layers(kind, visible(overlay), start.colour_by) {
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
                    refresh_accounts(&map, &feed, true);
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();

            // Cluster counts and territory names are images made when first needed.
            let on_missing_image = {
                let map = map.clone();
                Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    let Some(id) = get(&event, "id").as_string() else {
                        return;
                    };
                    let Some((text, on_cluster)) = label_image(&id) else {
                        return;
                    };
                    if map.has_image(&id) {
                        return;
                    }
                    if let Some(image) = draw_label(text, on_cluster) {
                        map.add_image(&id, &image, &to_js(&json!({ "pixelRatio": 2 })));
                    }
                })
            };
            map.on(
                "styleimagemissing",
                on_missing_image.as_ref().unchecked_ref(),
            );
            on_missing_image.forget();

            let select: std::rc::Rc<dyn Fn(i64)> = std::rc::Rc::from(select);
            for kind in AccountKind::ALL.iter().copied() {
                let select = select.clone();
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

                // A click on a cluster zooms in to where it breaks up, centred on it.
                let zoom_map = map.clone();
                let on_cluster = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    let here = zoom_map.get_zoom();
                    let zoom = feature_number(&event, "expansion_zoom")
                        .map_or(here + 2.0, |z| z.max(here + 1.0));
                    let options = to_js(&json!({ "zoom": zoom, "duration": 400 }));
                    let first = get(&get(&event, "features"), "0");
                    let position = get(&get(&first, "geometry"), "coordinates");
                    let centre = if position.is_undefined() {
                        get(&event, "lngLat")
                    } else {
                        position
                    };
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

            // A click away from every account asks what is near that spot.
            let on_click = {
                let map = map.clone();
                Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    let layers: Vec<String> = clickable_layers()
                        .into_iter()
                        .filter(|l| !map.get_layer(l).is_undefined())
                        .collect();
                    let hits = map.query_rendered_features(
                        &get(&event, "point"),
                        &to_js(&json!({ "layers": layers })),
                    );
                    if hits.length() > 0 {
                        return;
                    }
                    let at = get(&event, "lngLat");
                    if let (Some(lon), Some(lat)) =
                        (get(&at, "lng").as_f64(), get(&at, "lat").as_f64())
                    {
                        pick(lon, lat);
                    }
                })
            };
            map.on("click", on_click.as_ref().unchecked_ref());
            on_click.forget();

            let on_move_end = {
                let map = map.clone();
                let feed = feed.clone();
                Closure::<dyn FnMut()>::new(move || {
                    refresh_accounts(&map, &feed, false);
                    let centre = map.get_center();
                    let (Some(lon), Some(lat)) =
                        (get(&centre, "lng").as_f64(), get(&centre, "lat").as_f64())
                    else {
                        return;
                    };
                    if let Some(camera) = Camera::new(lon, lat, map.get_zoom()) {
                        moved(camera);
                    }
                })
            };
            map.on("moveend", on_move_end.as_ref().unchecked_ref());
            on_move_end.forget();

            // Tests and humans can tell the map has drawn everything: MapLibre's `idle` event.
            let on_idle = {
                let container = container.clone();
                let feed = feed.clone();
                Closure::<dyn FnMut()>::new(move || {
                    if feed.borrow().loading > 0 {
                        return;
                    }
                    let _ = container.set_attribute("data-map-idle", "true");
                    // The benchmark's figure: milliseconds from navigation to the first idle.
                    if container.get_attribute("data-map-idle-ms").is_none()
                        && let Some(now) = web_sys::window()
                            .and_then(|w| w.performance())
                            .map(|p| p.now())
                    {
                        let _ = container.set_attribute("data-map-idle-ms", &format!("{now:.0}"));
                    }
                })
            };
            map.on("idle", on_idle.as_ref().unchecked_ref());
            on_idle.forget();

            if let Some(window) = web_sys::window() {
                // A handle for the browser console and the end-to-end tests.
                let _ = js_sys::Reflect::set(&window, &"wilayahMap".into(), &map);
            }
            Self { map, feed, shade }
        }

        /// Fills the territories by a metric's classes (`Some`: the FeatureCollection of
        /// `GET /analytics/territories`) or again by their rep's colour (`None`).
        pub fn set_territory_shade(&self, data: Option<&Value>) {
            let data = data.map(to_js);
            apply_shade(&self.map, data.as_ref());
            *self.shade.borrow_mut() = data;
        }

        /// Highlights these positions (nearby prospects); an empty slice clears them.
        pub fn set_nearby(&self, positions: &[(f64, f64)]) {
            set_source_data(&self.map, "nearby", &to_js(&points_geojson(positions)));
        }

        /// Shows the accounts this filter matches (before `load`, the sources are created with
        /// it).
        pub fn set_filter(&self, filter: &DashboardFilter) {
            self.feed.borrow_mut().filter = filter.clone();
            refresh_accounts(&self.map, &self.feed, true);
        }

        /// Recolours the single account points.
        pub fn set_colour_by(&self, colour_by: ColourBy) {
            for kind in AccountKind::ALL.iter().copied() {
                let layer = point_layer_id(kind);
                if !self.map.get_layer(&layer).is_undefined() {
                    let colour = to_js(&point_colour(kind, colour_by));
                    self.map.set_paint_property(&layer, "circle-color", &colour);
                }
            }
        }

        /// Glides to a position, zooming in to street level if the map is further out.
        pub fn fly_to(&self, lon: f64, lat: f64) {
            let zoom = self.map.get_zoom().max(12.0);
            self.map.ease_to(&to_js(
                &json!({ "center": [lon, lat], "zoom": zoom, "duration": 600 }),
            ));
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
        let [clusters, counts, points] =
            accounts_layers(AccountKind::Prospect, false, ColourBy::Kind);
        assert_eq!(counts["layout"]["icon-image"][1], COUNT_IMAGE);
        assert_eq!(clusters["source"], "prospects");
        assert_eq!(clusters["filter"], json!(["has", "point_count"]));
        assert_eq!(points["filter"], json!(["!", ["has", "point_count"]]));
        assert_eq!(points["layout"]["visibility"], "none");
        assert_eq!(accounts_source()["data"]["features"], json!([]));
    }

    #[test]
    fn the_fetched_view_pads_the_visible_one_and_covers_small_pans() {
        let feed = FeedView::around(6.7, [105.0, -8.0, 109.0, -6.0]);
        assert_eq!(feed.zoom, 6);
        assert_eq!(feed.view, Some([103.0, -9.0, 111.0, -5.0]));
        assert!(feed.covers(6.2, [106.0, -8.5, 110.0, -6.5]));
        assert!(
            !feed.covers(7.0, [106.0, -8.5, 110.0, -6.5]),
            "another zoom"
        );
        assert!(
            !feed.covers(6.2, [108.0, -8.0, 112.0, -6.0]),
            "panned past the pad"
        );
        assert_eq!(
            feed.bbox_param().as_deref(),
            Some("103.0000,-9.0000,111.0000,-5.0000")
        );
        let url = clustered_accounts_url(AccountKind::Prospect, &DashboardFilter::default(), &feed);
        assert_eq!(
            url.as_deref(),
            Some(
                "/api/v1/map/accounts.geojson?kind=prospect&zoom=6&bbox=103.0000,-9.0000,111.0000,-5.0000"
            )
        );
    }

    #[test]
    fn views_across_the_antimeridian_wrap_and_wide_views_take_the_world() {
        let fiji = FeedView::around(5.0, [176.0, -20.0, 184.0, -14.0]);
        assert_eq!(
            fiji.bbox_param().as_deref(),
            Some("172.0000,-23.0000,-172.0000,-11.0000"),
            "west > east: the server reads a box across 180°"
        );
        let world = FeedView::around(1.3, [-250.0, -80.0, 60.0, 80.0]);
        assert_eq!(world.view, None);
        assert_eq!(world.bbox_param(), None);
        assert!(world.covers(1.9, [-100.0, -10.0, 10.0, 10.0]));
        let polar = FeedView::around(3.0, [0.0, 80.0, 20.0, 88.0]);
        assert_eq!(polar.view.unwrap()[3], 90.0);
    }

    #[test]
    fn filtered_feeds_carry_the_filter_and_skip_the_other_kind() {
        let filter = DashboardFilter {
            kind: Some(AccountKind::Customer),
            segment: Some("toko & warung".into()),
            owner_id: Some(4),
            ..DashboardFilter::default()
        };
        assert_eq!(
            filtered_accounts_url(AccountKind::Customer, &filter).unwrap(),
            "/api/v1/map/accounts.geojson?kind=customer&owner_id=4&segment=toko+%26+warung"
        );
        assert_eq!(filtered_accounts_url(AccountKind::Prospect, &filter), None);
        assert_eq!(
            filtered_accounts_url(AccountKind::Prospect, &DashboardFilter::default()).unwrap(),
            accounts_url(AccountKind::Prospect)
        );
    }

    #[test]
    fn owner_colours_follow_the_territory_palette() {
        let expression = point_colour(AccountKind::Customer, ColourBy::Owner);
        assert_eq!(expression[2][1][2], json!(REP_PALETTE.len()));
        assert_eq!(expression[3], json!(rep_colour(None)));
        let by_status = point_colour(AccountKind::Customer, ColourBy::Status);
        let statuses = by_status.as_array().unwrap().len();
        assert_eq!(
            statuses,
            2 + 2 * AccountStatus::ALL.len() + 1,
            "every status has a colour"
        );
        assert_eq!(
            point_colour(AccountKind::Prospect, ColourBy::Kind),
            json!(kind_colour(AccountKind::Prospect))
        );
    }

    #[test]
    fn label_images_say_what_they_show() {
        assert_eq!(label_image("count:1.2k"), Some(("1.2k", true)));
        assert_eq!(
            label_image("name:Jakarta Barat"),
            Some(("Jakarta Barat", false))
        );
        assert_eq!(label_image("marker-15"), None);
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
            survey_score: None,
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
