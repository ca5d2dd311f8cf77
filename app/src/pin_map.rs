//! A small map with one pin: the account page's inset and the account form's position picker.
//! The pin follows `position`; when `editable`, a click on the map or dragging the pin moves it
//! (MapLibre's `Marker`, bound here like the rest of `maplibregl` in [`crate::map`]).

use leptos::prelude::*;

use crate::i18n::{Msg, use_locale};

/// Zoom for a placed pin: streets are readable.
pub const PIN_ZOOM: f64 = 13.0;

#[component]
pub fn PinMap(
    /// `(lon, lat)`, `None` until the account is placed.
    position: RwSignal<Option<(f64, f64)>>,
    /// Clicking and dragging move the pin.
    editable: bool,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let locale = use_locale();

    #[cfg(feature = "hydrate")]
    {
        let handle = StoredValue::new_local(None::<browser::Pin>);
        Effect::new(move |_| {
            let Some(element) = container.get() else {
                return;
            };
            if handle.with_value(Option::is_some) {
                return;
            }
            let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
            let pin = browser::Pin::create(
                &element,
                attribution,
                position.get_untracked(),
                editable,
                move |lon, lat| position.set(Some((lon, lat))),
            );
            handle.set_value(Some(pin));
        });
        Effect::new(move |_| {
            let at = position.get();
            handle.with_value(|pin| {
                if let (Some(pin), Some((lon, lat))) = (pin, at) {
                    pin.show(lon, lat);
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (position, editable);

    view! {
        <div
            class="ws-map"
            node_ref=container
            data-testid="pin-map"
            role="region"
            aria-label=move || Msg::MapLabel.text(locale.get())
        ></div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use serde_json::json;
    use wasm_bindgen::prelude::*;

    use super::PIN_ZOOM;
    use crate::map::{RouteMap, base_style};

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = maplibregl, js_name = Map)]
        #[derive(Clone)]
        type JsMap;

        #[wasm_bindgen(constructor, js_namespace = maplibregl, js_class = "Map")]
        fn new(options: &JsValue) -> JsMap;

        #[wasm_bindgen(method)]
        fn on(this: &JsMap, event: &str, listener: &js_sys::Function);

        #[wasm_bindgen(method, js_name = jumpTo)]
        fn jump_to(this: &JsMap, options: &JsValue);

        #[wasm_bindgen(method, js_name = getContainer)]
        fn get_container(this: &JsMap) -> web_sys::HtmlElement;

        #[wasm_bindgen(js_namespace = maplibregl, js_name = Marker)]
        #[derive(Clone)]
        type JsMarker;

        #[wasm_bindgen(constructor, js_namespace = maplibregl, js_class = "Marker")]
        fn new(options: &JsValue) -> JsMarker;

        #[wasm_bindgen(method, js_name = setLngLat)]
        fn set_lng_lat(this: &JsMarker, lnglat: &JsValue) -> JsMarker;

        #[wasm_bindgen(method, js_name = addTo)]
        fn add_to(this: &JsMarker, map: &JsMap) -> JsMarker;

        #[wasm_bindgen(method, js_name = getLngLat)]
        fn get_lng_lat(this: &JsMarker) -> JsValue;

        #[wasm_bindgen(method, js_name = on)]
        fn on_marker(this: &JsMarker, event: &str, listener: &js_sys::Function);
    }

    fn to_js(value: &serde_json::Value) -> JsValue {
        js_sys::JSON::parse(&value.to_string()).expect("serde_json output is valid JSON")
    }

    fn number(object: &JsValue, key: &str) -> Option<f64> {
        js_sys::Reflect::get(object, &key.into()).ok()?.as_f64()
    }

    /// The map and its pin (added on the first position). Lives as long as the page.
    pub struct Pin {
        map: JsMap,
        marker: JsMarker,
        placed: std::cell::Cell<bool>,
        /// The position last shown, so that a move the map itself reported does not jump.
        shown: std::cell::Cell<Option<(f64, f64)>>,
    }

    impl Pin {
        pub fn create(
            container: &web_sys::HtmlElement,
            attribution: &str,
            at: Option<(f64, f64)>,
            editable: bool,
            moved: impl Fn(f64, f64) + Clone + 'static,
        ) -> Self {
            let settings = RouteMap::default_settings();
            let (center, zoom) = match at {
                Some(p) => (p, PIN_ZOOM),
                None => (settings.center, settings.zoom),
            };
            let options = to_js(&json!({
                "style": base_style(&settings, attribution),
                "center": [center.0, center.1],
                "zoom": zoom,
                "attributionControl": { "compact": true },
            }));
            js_sys::Reflect::set(&options, &"container".into(), container)
                .expect("options is an object");
            let map = JsMap::new(&options);
            let marker = JsMarker::new(&to_js(
                &json!({ "draggable": editable, "color": "#0f766e" }),
            ));
            let pin = Pin {
                map,
                marker,
                placed: std::cell::Cell::new(false),
                shown: std::cell::Cell::new(None),
            };
            if let Some((lon, lat)) = at {
                pin.show(lon, lat);
            }
            if editable {
                let on_click = {
                    let moved = moved.clone();
                    Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                        let Ok(lnglat) = js_sys::Reflect::get(&event, &"lngLat".into()) else {
                            return;
                        };
                        if let (Some(lon), Some(lat)) =
                            (number(&lnglat, "lng"), number(&lnglat, "lat"))
                        {
                            moved(lon, lat);
                        }
                    })
                };
                pin.map.on("click", on_click.as_ref().unchecked_ref());
                on_click.forget();
                let on_drag = {
                    let marker = pin.marker.clone();
                    Closure::<dyn FnMut()>::new(move || {
                        let lnglat = marker.get_lng_lat();
                        if let (Some(lon), Some(lat)) =
                            (number(&lnglat, "lng"), number(&lnglat, "lat"))
                        {
                            moved(lon, lat);
                        }
                    })
                };
                pin.marker
                    .on_marker("dragend", on_drag.as_ref().unchecked_ref());
                on_drag.forget();
            }
            let on_idle = {
                let container = container.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = container.set_attribute("data-map-idle", "true");
                })
            };
            pin.map.on("idle", on_idle.as_ref().unchecked_ref());
            on_idle.forget();
            pin
        }

        /// Puts the pin at `(lon, lat)` and brings it into view.
        pub fn show(&self, lon: f64, lat: f64) {
            if self.shown.get() == Some((lon, lat)) {
                return;
            }
            self.shown.set(Some((lon, lat)));
            self.marker.set_lng_lat(&to_js(&json!([lon, lat])));
            if !self.placed.replace(true) {
                self.marker.add_to(&self.map);
            }
            self.map
                .jump_to(&to_js(&json!({ "center": [lon, lat], "zoom": PIN_ZOOM })));
            let _ = self
                .map
                .get_container()
                .set_attribute("data-pin", &format!("{lon:.5},{lat:.5}"));
        }
    }
}
