//! Browser entry: `scripts/build.sh` compiles this crate to wasm32; Leptos's hydration script calls
//! [`hydrate`] once the server-rendered page is loaded.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(wilayah_app::App);
}
