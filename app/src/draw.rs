//! Maps with drawing on them. The planner's map: MapLibre with the draft's territories, the
//! validation problems (overlaps and gaps highlighted, labelled with the territory names) and the
//! accounts, plus polygon drawing and vertex editing with terra-draw (npm `terra-draw` and
//! `terra-draw-maplibre-gl-adapter`, vendored by `scripts/build.sh` and loaded on the pages that
//! draw). The segment editor's map ([`SegmentMap`]): the segment's area (a drawn polygon, a
//! circle around a clicked point, a territory) and its members now. Also the small `fetch`
//! helper the planner uses for the REST API.

use serde_json::{Value, json};

use crate::map::rep_colour;

/// Scripts the planner loads on demand (after MapLibre, which the shell loads).
pub const TERRA_DRAW_SCRIPTS: [&str; 2] = [
    "/vendor/terra-draw.umd.js",
    "/vendor/terra-draw-maplibre-gl-adapter.umd.js",
];

/// A MapLibre `match` expression colouring by `owner_id` like [`rep_colour`].
pub fn owner_colour_expression() -> Value {
    let mut expr = vec![
        json!("match"),
        json!(["%", ["coalesce", ["get", "owner_id"], -1], 10]),
    ];
    for i in 0..10 {
        expr.push(json!(i));
        expr.push(json!(rep_colour(Some(i))));
    }
    expr.push(json!(rep_colour(None)));
    Value::Array(expr)
}

/// The draft's territories as a FeatureCollection (`index` = position in the draft).
pub fn draft_geojson(territories: &[wilayah_shared::planning::DraftTerritory]) -> Value {
    let features: Vec<Value> = territories
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "type": "Feature",
                "geometry": t.geometry,
                "properties": { "index": i, "name": t.name, "owner_id": t.owner_id },
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

/// Overlap and gap areas of the problems as a FeatureCollection.
pub fn problems_geojson(problems: &[wilayah_shared::planning::Problem]) -> Value {
    let features: Vec<Value> = problems
        .iter()
        .filter_map(|p| {
            let area = p.area.as_ref()?;
            Some(json!({
                "type": "Feature",
                "geometry": { "type": "MultiPolygon", "coordinates": area },
                "properties": { "kind": p.kind },
            }))
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

pub fn planner_layers() -> Vec<Value> {
    vec![
        json!({ "id": "draft-fill", "type": "fill", "source": "draft",
                "paint": { "fill-color": owner_colour_expression(), "fill-opacity": 0.22 } }),
        json!({ "id": "draft-outline", "type": "line", "source": "draft",
                "paint": { "line-color": owner_colour_expression(), "line-width": 2 } }),
        json!({ "id": "problem-fill", "type": "fill", "source": "problems",
                "paint": { "fill-color": ["match", ["get", "kind"], "gap", "#f08c00", "#e03131"],
                           "fill-opacity": 0.55 } }),
        json!({ "id": "problem-outline", "type": "line", "source": "problems",
                "paint": { "line-color": "#c92a2a", "line-width": 2, "line-dasharray": [2, 1] } }),
        json!({ "id": "planner-accounts", "type": "circle", "source": "planner-accounts",
                "paint": { "circle-radius": 4, "circle-color": owner_colour_expression(),
                           "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } }),
    ]
}

/// A circle of `metres` (great-circle, on a sphere of the Earth's mean radius) around
/// `(lon, lat)` as a GeoJSON Polygon of 64 vertices, to draw a radius segment's area.
pub fn circle_polygon(lon: f64, lat: f64, metres: f64) -> Value {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let angular = metres / EARTH_RADIUS_M;
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    let mut ring: Vec<[f64; 2]> = (0..64)
        .map(|i| {
            let bearing = f64::from(i) * std::f64::consts::TAU / 64.0;
            let phi2 = (phi.sin() * angular.cos() + phi.cos() * angular.sin() * bearing.cos())
                .clamp(-1.0, 1.0)
                .asin();
            let lambda2 = lambda
                + (bearing.sin() * angular.sin() * phi.cos())
                    .atan2(angular.cos() - phi.sin() * phi2.sin());
            // Unwrapped around the centre, so a circle across the antimeridian draws whole.
            [lambda2.to_degrees(), phi2.to_degrees()]
        })
        .collect();
    ring.push(ring[0]);
    json!({ "type": "Polygon", "coordinates": [ring] })
}

/// One geometry (or none) as a FeatureCollection.
pub fn geometry_collection(geometry: Option<Value>) -> Value {
    let features: Vec<Value> = geometry
        .into_iter()
        .map(|g| json!({ "type": "Feature", "geometry": g, "properties": {} }))
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

/// The segment editor's layers: the area (filled, outlined) under the members.
pub fn segment_layers() -> Vec<Value> {
    vec![
        json!({ "id": "segment-area-fill", "type": "fill", "source": "segment-area",
                "paint": { "fill-color": "#0f766e", "fill-opacity": 0.12 } }),
        json!({ "id": "segment-area-outline", "type": "line", "source": "segment-area",
                "paint": { "line-color": "#0f766e", "line-width": 2 } }),
        json!({ "id": "segment-members", "type": "circle", "source": "segment-members",
                "paint": { "circle-radius": 5, "circle-color": "#c2410c",
                           "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } }),
    ]
}

/// A geometry with every coordinate rounded to 1e-9° (0.1 mm): terra-draw refuses features with
/// more decimals than its precision (9), as polygons cut or united by BooleanOps have.
pub fn round_coordinates(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .map(|x| json!((x * 1e9).round() / 1e9))
            .unwrap_or_else(|| value.clone()),
        Value::Array(items) => Value::Array(items.iter().map(round_coordinates).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), round_coordinates(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether two geometries have the same coordinates (numerically, within 1e-10°).
pub fn same_coordinates(a: &Value, b: &Value) -> bool {
    fn numbers(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Number(n) => out.extend(n.as_f64()),
            Value::Array(items) => items.iter().for_each(|i| numbers(i, out)),
            _ => {}
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    numbers(&a["coordinates"], &mut x);
    numbers(&b["coordinates"], &mut y);
    x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| (p - q).abs() <= 1e-10)
}

#[cfg(feature = "hydrate")]
pub use browser::{PlannerMap, SegmentMap, fetch_json, load_scripts, picked_file};

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::map::{MapSettings, base_style};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = maplibregl, js_name = Map)]
        #[derive(Clone)]
        type PlanMap;
        #[wasm_bindgen(constructor, js_namespace = maplibregl, js_class = "Map")]
        fn new(options: &JsValue) -> PlanMap;
        #[wasm_bindgen(method)]
        fn on(this: &PlanMap, event: &str, listener: &js_sys::Function);
        #[wasm_bindgen(method, js_name = addSource)]
        fn add_source(this: &PlanMap, id: &str, source: &JsValue);
        #[wasm_bindgen(method, js_name = addLayer)]
        fn add_layer(this: &PlanMap, layer: &JsValue);
        #[wasm_bindgen(method, js_name = getSource)]
        fn get_source(this: &PlanMap, id: &str) -> JsValue;
        #[wasm_bindgen(method, js_name = fitBounds)]
        fn fit_bounds(this: &PlanMap, bounds: &JsValue, options: &JsValue);

        #[wasm_bindgen(js_namespace = maplibregl, js_name = Marker)]
        #[derive(Clone)]
        type Marker;
        #[wasm_bindgen(constructor, js_namespace = maplibregl, js_class = "Marker")]
        fn new(options: &JsValue) -> Marker;
        #[wasm_bindgen(method, js_name = setLngLat)]
        fn set_lng_lat(this: &Marker, position: &JsValue) -> Marker;
        #[wasm_bindgen(method, js_name = addTo)]
        fn add_to(this: &Marker, map: &PlanMap) -> Marker;
        #[wasm_bindgen(method)]
        fn remove(this: &Marker);

        #[wasm_bindgen(js_namespace = terraDraw, js_name = TerraDraw)]
        #[derive(Clone)]
        type TerraDraw;
        #[wasm_bindgen(constructor, js_namespace = terraDraw, js_class = "TerraDraw")]
        fn new(options: &JsValue) -> TerraDraw;
        #[wasm_bindgen(method)]
        fn start(this: &TerraDraw);
        #[wasm_bindgen(method, js_name = setMode)]
        fn set_mode(this: &TerraDraw, mode: &str);
        #[wasm_bindgen(method, js_name = on)]
        fn on_event(this: &TerraDraw, event: &str, listener: &js_sys::Function);
        #[wasm_bindgen(method, js_name = getSnapshot)]
        fn get_snapshot(this: &TerraDraw) -> JsValue;
        #[wasm_bindgen(method)]
        fn clear(this: &TerraDraw);
        #[wasm_bindgen(method, js_name = addFeatures)]
        fn add_features(this: &TerraDraw, features: &JsValue) -> JsValue;

        #[wasm_bindgen(js_namespace = terraDraw, js_name = TerraDrawPolygonMode)]
        type PolygonMode;
        #[wasm_bindgen(constructor, js_namespace = terraDraw, js_class = "TerraDrawPolygonMode")]
        fn new(options: &JsValue) -> PolygonMode;
        #[wasm_bindgen(js_namespace = terraDraw, js_name = TerraDrawSelectMode)]
        type SelectMode;
        #[wasm_bindgen(constructor, js_namespace = terraDraw, js_class = "TerraDrawSelectMode")]
        fn new(options: &JsValue) -> SelectMode;
        #[wasm_bindgen(js_namespace = terraDraw, js_name = TerraDrawRenderMode)]
        type RenderMode;
        #[wasm_bindgen(constructor, js_namespace = terraDraw, js_class = "TerraDrawRenderMode")]
        fn new(options: &JsValue) -> RenderMode;
        #[wasm_bindgen(js_namespace = terraDrawMaplibreGlAdapter, js_name = TerraDrawMapLibreGLAdapter)]
        type Adapter;
        #[wasm_bindgen(constructor, js_namespace = terraDrawMaplibreGlAdapter, js_class = "TerraDrawMapLibreGLAdapter")]
        fn new(options: &JsValue) -> Adapter;
    }

    fn to_js(value: &Value) -> JsValue {
        js_sys::JSON::parse(&value.to_string()).expect("serde_json output is valid JSON")
    }

    fn from_js(value: &JsValue) -> Value {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null)
    }

    fn message(e: JsValue) -> String {
        e.as_string()
            .or_else(|| {
                js_sys::Reflect::get(&e, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| "request failed".into())
    }

    /// The file chosen in the `<input type=file>` an event came from; the input is emptied, so
    /// that choosing the same file again fires `change` again.
    pub fn picked_file(ev: &leptos::ev::Event) -> Option<web_sys::File> {
        let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
        let file = input.files().and_then(|files| files.get(0));
        input.set_value("");
        file
    }

    /// `fetch` with an optional JSON body: the status and the answer as JSON (`null` if empty).
    pub async fn fetch_json(
        method: &str,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Value), String> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let h = web_sys::Headers::new().map_err(message)?;
        if body.is_some() {
            h.set("content-type", "application/json").map_err(message)?;
        }
        for (k, v) in headers {
            h.set(k, v).map_err(message)?;
        }
        if method != "GET"
            && let Some(token) = crate::auth::csrf_token()
        {
            h.set("x-csrf-token", &token).map_err(message)?;
        }
        init.set_headers(&h);
        if let Some(b) = body {
            init.set_body(&JsValue::from_str(&b.to_string()));
        }
        let window = web_sys::window().ok_or("no window")?;
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(url, &init))
                .await
                .map_err(message)?
                .dyn_into()
                .map_err(message)?;
        let status = response.status();
        let text = JsFuture::from(response.text().map_err(message)?)
            .await
            .map_err(message)?
            .as_string()
            .unwrap_or_default();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, value))
    }

    /// Loads classic scripts one after the other (each waits for the previous), once.
    pub async fn load_scripts(urls: &[&str]) -> Result<(), String> {
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        for url in urls {
            let selector = format!("script[src='{url}']");
            if document.query_selector(&selector).ok().flatten().is_some() {
                continue;
            }
            let script = document.create_element("script").map_err(message)?;
            script.set_attribute("src", url).map_err(message)?;
            let loaded = js_sys::Promise::new(&mut |resolve, reject| {
                let on_load = Closure::once_into_js(move || {
                    let _ = resolve.call0(&JsValue::NULL);
                });
                let on_error = Closure::once_into_js(move || {
                    let _ = reject.call0(&JsValue::NULL);
                });
                let _ = js_sys::Reflect::set(&script, &"onload".into(), &on_load);
                let _ = js_sys::Reflect::set(&script, &"onerror".into(), &on_error);
            });
            document
                .head()
                .ok_or("no head")?
                .append_child(&script)
                .map_err(message)?;
            JsFuture::from(loaded)
                .await
                .map_err(|_| format!("could not load {url}"))?;
        }
        Ok(())
    }

    /// A map in `container` with the deployment's basemap.
    fn new_map(
        container: &web_sys::HtmlElement,
        settings: &MapSettings,
        basemap_attribution: &str,
    ) -> PlanMap {
        let options = to_js(&json!({
            "style": base_style(settings, basemap_attribution),
            "center": [settings.center.0, settings.center.1],
            "zoom": settings.zoom,
            "attributionControl": { "compact": false },
        }));
        let _ = js_sys::Reflect::set(&options, &"container".into(), container);
        PlanMap::new(&options)
    }

    /// Marks the container `data-map-idle` whenever MapLibre has drawn everything (tests wait
    /// for it).
    fn mark_idle(map: &PlanMap, container: &web_sys::HtmlElement) {
        let on_idle = {
            let container = container.clone();
            Closure::<dyn FnMut()>::new(move || {
                let _ = container.set_attribute("data-map-idle", "true");
            })
        };
        map.on("idle", on_idle.as_ref().unchecked_ref());
        on_idle.forget();
    }

    /// Replaces a GeoJSON source's data (a no-op before the source exists).
    fn set_source_data(map: &PlanMap, source: &str, data: &JsValue) {
        let source = map.get_source(source);
        if source.is_undefined() {
            return;
        }
        if let Ok(set_data) = js_sys::Reflect::get(&source, &"setData".into())
            && let Ok(set_data) = set_data.dyn_into::<js_sys::Function>()
        {
            let _ = set_data.call1(&source, data);
        }
    }

    /// Starts terra-draw on `map` in the `static` mode (also `polygon` to draw, `select` to edit);
    /// `on_drawn(geometry)` gets each polygon finished in the polygon mode.
    fn start_drawing(map: &PlanMap, on_drawn: std::rc::Rc<dyn Fn(Value)>) -> TerraDraw {
        let adapter = Adapter::new(&{
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"map".into(), map);
            o.into()
        });
        let select = SelectMode::new(&to_js(&json!({
            "flags": { "polygon": { "feature": { "draggable": true,
                "coordinates": { "midpoints": true, "draggable": true, "deletable": true } } } }
        })));
        let modes = js_sys::Array::new();
        modes.push(&PolygonMode::new(&to_js(&json!({}))));
        modes.push(&select);
        modes.push(&RenderMode::new(&to_js(
            &json!({ "modeName": "static", "styles": {} }),
        )));
        let draw_options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&draw_options, &"adapter".into(), &adapter);
        let _ = js_sys::Reflect::set(&draw_options, &"modes".into(), &modes);
        let draw = TerraDraw::new(&draw_options.into());
        draw.start();
        draw.set_mode("static");
        let finished = {
            let draw = draw.clone();
            let on_drawn = on_drawn.clone();
            Closure::<dyn FnMut(JsValue, JsValue)>::new(move |id: JsValue, context: JsValue| {
                let context = from_js(&context);
                if context["mode"] != "polygon" {
                    return;
                }
                let snapshot = from_js(&draw.get_snapshot());
                let id = from_js(&id);
                if let Some(f) = snapshot
                    .as_array()
                    .and_then(|fs| fs.iter().find(|f| f["id"] == id))
                {
                    on_drawn(f["geometry"].clone());
                }
            })
        };
        draw.on_event("finish", finished.as_ref().unchecked_ref());
        finished.forget();
        draw
    }

    /// terra-draw on a map, once the map has loaded.
    #[derive(Clone, Default)]
    struct Drawing(std::rc::Rc<std::cell::RefCell<Option<TerraDraw>>>);

    impl Drawing {
        fn start(&self, map: &PlanMap, on_drawn: std::rc::Rc<dyn Fn(Value)>) {
            *self.0.borrow_mut() = Some(start_drawing(map, on_drawn));
        }

        fn get(&self) -> Option<TerraDraw> {
            self.0.borrow().clone()
        }

        fn set_mode(&self, mode: &str) {
            if let Some(draw) = self.get() {
                draw.set_mode(mode);
            }
        }

        fn clear(&self) {
            if let Some(draw) = self.get() {
                draw.clear();
            }
        }
    }

    /// Adds empty GeoJSON sources to a loaded map.
    fn add_empty_sources(map: &PlanMap, names: &[&str]) {
        let empty =
            json!({ "type": "geojson", "data": { "type": "FeatureCollection", "features": [] } });
        for name in names {
            map.add_source(name, &to_js(&empty));
        }
    }

    /// The planner's map with terra-draw on it.
    #[derive(Clone)]
    pub struct PlannerMap {
        map: PlanMap,
        draw: Drawing,
        labels: std::rc::Rc<std::cell::RefCell<Vec<Marker>>>,
        /// What [`PlannerMap::load_for_editing`] put into terra-draw, to tell edits apart.
        editing: std::rc::Rc<std::cell::RefCell<Vec<(usize, Value)>>>,
    }

    impl PlannerMap {
        /// Creates the map; `on_drawn(geometry)` is called with each polygon finished in draw
        /// mode; `on_ready` once the sources and the drawing tools are in place.
        pub fn create(
            container: &web_sys::HtmlElement,
            settings: &MapSettings,
            basemap_attribution: &str,
            on_drawn: impl Fn(Value) + 'static,
            on_ready: impl Fn() + 'static,
        ) -> Self {
            let map = new_map(container, settings, basemap_attribution);
            let this = Self {
                map: map.clone(),
                draw: Default::default(),
                labels: Default::default(),
                editing: Default::default(),
            };
            let on_drawn = std::rc::Rc::new(on_drawn);
            let on_load = {
                let this = this.clone();
                Closure::<dyn FnMut()>::new(move || {
                    add_empty_sources(&this.map, &["draft", "problems"]);
                    this.map.add_source(
                        "planner-accounts",
                        &to_js(
                            &json!({ "type": "geojson", "data": "/api/v1/map/accounts.geojson" }),
                        ),
                    );
                    for layer in planner_layers() {
                        this.map.add_layer(&to_js(&layer));
                    }
                    this.draw.start(&this.map, on_drawn.clone());
                    on_ready();
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();
            mark_idle(&map, container);
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &"wilayahPlannerMap".into(), &map);
            }
            this
        }

        fn set_data(&self, source: &str, data: &JsValue) {
            set_source_data(&self.map, source, data);
        }

        pub fn show_draft(&self, territories: &[wilayah_shared::planning::DraftTerritory]) {
            self.set_data("draft", &to_js(&draft_geojson(territories)));
        }

        /// Highlights overlap and gap areas and labels each problem at its place.
        pub fn show_problems(
            &self,
            problems: &[wilayah_shared::planning::Problem],
            labels: &[String],
        ) {
            self.set_data("problems", &to_js(&problems_geojson(problems)));
            for marker in self.labels.borrow_mut().drain(..) {
                marker.remove();
            }
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            for (p, text) in problems.iter().zip(labels) {
                let Some([lon, lat]) = p.location else {
                    continue;
                };
                let Ok(element) = document.create_element("div") else {
                    continue;
                };
                element.set_class_name("problem-label");
                let _ = element.set_attribute("data-testid", "problem-label");
                element.set_text_content(Some(text));
                let options = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&options, &"element".into(), &element);
                let marker = Marker::new(&options.into())
                    .set_lng_lat(&to_js(&json!([lon, lat])))
                    .add_to(&self.map);
                self.labels.borrow_mut().push(marker);
            }
        }

        /// Reloads the accounts (after a publication moved them).
        pub fn reload_accounts(&self) {
            self.set_data(
                "planner-accounts",
                &JsValue::from_str(&format!(
                    "/api/v1/map/accounts.geojson?t={}",
                    js_sys::Date::now()
                )),
            );
        }

        /// `static` (look only), `polygon` (draw) or `select` (edit the loaded shapes).
        pub fn set_mode(&self, mode: &str) {
            self.draw.set_mode(mode);
        }

        /// Puts polygons into terra-draw for editing, each tagged with its territory index
        /// (coordinates rounded to terra-draw's precision).
        pub fn load_for_editing(&self, polygons: &[(usize, Value)]) {
            if let Some(draw) = self.draw.get() {
                draw.clear();
                let rounded: Vec<(usize, Value)> = polygons
                    .iter()
                    .map(|(i, g)| (*i, round_coordinates(g)))
                    .collect();
                let features: Vec<Value> = rounded
                    .iter()
                    .map(|(i, g)| {
                        json!({ "type": "Feature", "geometry": g,
                                          "properties": { "mode": "polygon", "territory": i } })
                    })
                    .collect();
                draw.add_features(&to_js(&Value::Array(features)));
                *self.editing.borrow_mut() = rounded;
            }
        }

        /// The polygons changed in terra-draw, as (territory index, geometry); clears
        /// terra-draw. Untouched polygons are left out, so they keep their exact coordinates.
        pub fn take_edited(&self) -> Vec<(usize, Value)> {
            let Some(draw) = self.draw.get() else {
                return Vec::new();
            };
            let snapshot = from_js(&draw.get_snapshot());
            draw.clear();
            let loaded = std::mem::take(&mut *self.editing.borrow_mut());
            snapshot
                .as_array()
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| {
                            let i = f["properties"]["territory"].as_u64()? as usize;
                            let geometry = f["geometry"].clone();
                            let unchanged = loaded
                                .iter()
                                .any(|(j, g)| *j == i && same_coordinates(g, &geometry));
                            (!unchanged).then_some((i, geometry))
                        })
                        .collect()
                })
                .unwrap_or_default()
        }

        /// Removes whatever terra-draw holds (a finished drawing becomes a draft territory).
        pub fn clear_drawing(&self) {
            self.draw.clear();
        }
    }

    /// The segment editor's map: the area and the members now; a click reports its position
    /// (the radius's centre), and in the polygon mode terra-draw draws the area.
    #[derive(Clone)]
    pub struct SegmentMap {
        map: PlanMap,
        draw: Drawing,
    }

    impl SegmentMap {
        /// Creates the map; `on_click(lon, lat)` on each click, `on_drawn(geometry)` with each
        /// polygon finished in the polygon mode, `on_ready` once the sources are in place.
        pub fn create(
            container: &web_sys::HtmlElement,
            settings: &MapSettings,
            basemap_attribution: &str,
            on_click: impl Fn(f64, f64) + 'static,
            on_drawn: impl Fn(Value) + 'static,
            on_ready: impl Fn() + 'static,
        ) -> Self {
            let map = new_map(container, settings, basemap_attribution);
            let this = Self {
                map: map.clone(),
                draw: Default::default(),
            };
            let on_drawn = std::rc::Rc::new(on_drawn);
            let on_load = {
                let this = this.clone();
                Closure::<dyn FnMut()>::new(move || {
                    add_empty_sources(&this.map, &["segment-area", "segment-members"]);
                    for layer in segment_layers() {
                        this.map.add_layer(&to_js(&layer));
                    }
                    this.draw.start(&this.map, on_drawn.clone());
                    on_ready();
                })
            };
            map.on("load", on_load.as_ref().unchecked_ref());
            on_load.forget();
            let clicked = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let at =
                    from_js(&js_sys::Reflect::get(&event, &"lngLat".into()).unwrap_or_default());
                if let (Some(lon), Some(lat)) = (at["lng"].as_f64(), at["lat"].as_f64()) {
                    on_click(lon, lat);
                }
            });
            map.on("click", clicked.as_ref().unchecked_ref());
            clicked.forget();
            mark_idle(&map, container);
            if let Some(window) = web_sys::window() {
                let _ = js_sys::Reflect::set(&window, &"wilayahSegmentMap".into(), &map);
            }
            this
        }

        /// Shows the area (a GeoJSON geometry, or none).
        pub fn show_area(&self, geometry: Option<Value>) {
            set_source_data(
                &self.map,
                "segment-area",
                &to_js(&geometry_collection(geometry)),
            );
        }

        /// Shows the members at their positions.
        pub fn show_members(&self, positions: &[(f64, f64)]) {
            set_source_data(
                &self.map,
                "segment-members",
                &to_js(&crate::map::points_geojson(positions)),
            );
        }

        /// Brings `[west, south, east, north]` into view.
        pub fn fit(&self, [west, south, east, north]: [f64; 4]) {
            self.map.fit_bounds(
                &to_js(&json!([[west, south], [east, north]])),
                &to_js(&json!({ "padding": 40, "maxZoom": 14, "duration": 0 })),
            );
        }

        /// `static` (clicks place the centre) or `polygon` (clicks draw).
        pub fn set_mode(&self, mode: &str) {
            self.draw.set_mode(mode);
        }

        /// Removes what terra-draw holds (a finished polygon becomes the shown area).
        pub fn clear_drawing(&self) {
            self.draw.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_keeps_nine_decimals_and_edits_are_told_apart() {
        let g = json!({"type": "Polygon", "coordinates": [[[115.12345678912345, -8.5], [115.5, -8.123456789123], [115.0, -8.0], [115.12345678912345, -8.5]]]});
        let r = round_coordinates(&g);
        assert_eq!(r["type"], "Polygon");
        assert_eq!(r["coordinates"][0][0][0], json!(115.123456789));
        assert_eq!(r["coordinates"][0][1][1], json!(-8.123456789));
        assert!(same_coordinates(&r, &r.clone()));
        // Integers and floats of the same value are the same coordinate.
        let a = json!({"coordinates": [[[115, -8], [116.0, -8.0]]]});
        let b = json!({"coordinates": [[[115.0, -8.0], [116, -8]]]});
        assert!(same_coordinates(&a, &b));
        let moved = json!({"coordinates": [[[115.0, -8.0], [116.1, -8]]]});
        assert!(!same_coordinates(&a, &moved));
        assert!(!same_coordinates(
            &a,
            &json!({"coordinates": [[[115, -8]]]})
        ));
    }

    #[test]
    fn a_circle_has_its_radius_all_round_and_is_closed() {
        use wilayah_shared::LonLat;
        use wilayah_shared::spatial::haversine_m;
        let circle = circle_polygon(179.9, -17.0, 25_000.0);
        let ring = circle["coordinates"][0].as_array().unwrap();
        assert_eq!(ring.len(), 65);
        assert_eq!(ring[0], ring[64]);
        let centre = LonLat::new(179.9, -17.0).unwrap();
        for p in ring {
            let lon = p[0].as_f64().unwrap();
            let lat = p[1].as_f64().unwrap();
            // Across the antimeridian the ring stays unwrapped (lon > 180) around the centre.
            let wrapped = if lon > 180.0 { lon - 360.0 } else { lon };
            let d = haversine_m(centre, LonLat::new(wrapped, lat).unwrap());
            assert!((d - 25_000.0).abs() < 30.0, "{d}");
        }
        assert!(ring.iter().any(|p| p[0].as_f64().unwrap() > 180.0));
    }
}
