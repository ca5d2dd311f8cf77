//! Browser entry: `scripts/build.sh` compiles this crate to wasm32; Leptos's hydration script calls
//! [`hydrate`] once the server-rendered page is loaded.
// The dashboard page is one deeply nested view type; hydrating it needs a deeper query limit.
#![recursion_limit = "512"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(wilayah_app::App);
}
