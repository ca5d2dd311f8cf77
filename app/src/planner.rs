//! The territory planner at `/planner`: a draft of territories on the map, drawn and edited with
//! terra-draw, split, merged, deleted, given reps; validation problems on the map and in a list;
//! balancing with each rep's totals before and after; preview and publish (with the conflict
//! message when someone published in between). Talks to the REST API under
//! `/api/v1/planning` (see `docs/planning.md`).

use leptos::prelude::*;
use serde_json::Value;
use wilayah_shared::planning::{
    Draft, DraftTerritory, ImportError, Measure, Problem, ProblemKind, RepTotals, Totals,
};

use crate::i18n::{Locale, Msg, tr, use_locale};
use crate::map::rep_colour;

/// Fills `{0}`, `{1}` in a message.
fn fill(text: &str, args: &[&str]) -> String {
    args.iter().enumerate().fold(text.to_owned(), |t, (i, a)| {
        t.replace(&format!("{{{i}}}"), a)
    })
}

/// A problem in the reader's language, naming the territories.
pub fn problem_text(p: &Problem, locale: Locale) -> String {
    let names: Vec<&str> = p.territories.iter().map(String::as_str).collect();
    let first = names.first().copied().unwrap_or("");
    let second = names.get(1).copied().unwrap_or("");
    match p.kind {
        ProblemKind::SelfIntersection => fill(Msg::ProblemSelfIntersection.text(locale), &[first]),
        ProblemKind::Overlap => fill(Msg::ProblemOverlap.text(locale), &[first, second]),
        ProblemKind::Gap => fill(Msg::ProblemGap.text(locale), &[&names.join(", ")]),
        ProblemKind::InvalidGeometry => fill(Msg::ProblemInvalid.text(locale), &[first]),
        ProblemKind::MissingName | ProblemKind::DuplicateName => {
            fill(Msg::ProblemName.text(locale), &[first])
        }
    }
}

/// "Feature 3 (Kuta)" or "Feature 3" in the reader's language.
fn feature_text(index: usize, name: Option<&str>, locale: Locale) -> String {
    match name {
        Some(name) => fill(
            Msg::ImportFeatureNamed.text(locale),
            &[&index.to_string(), name],
        ),
        None => fill(Msg::ImportFeature.text(locale), &[&index.to_string()]),
    }
}

/// Why a GeoJSON file was refused, in the reader's language, naming the feature at fault.
pub fn import_error_text(e: &ImportError, locale: Locale) -> String {
    match e {
        ImportError::NotJson(_) => Msg::ImportNotJson.text(locale).to_owned(),
        ImportError::NotFeatures => Msg::ImportNotFeatures.text(locale).to_owned(),
        ImportError::Empty => Msg::ImportEmpty.text(locale).to_owned(),
        ImportError::NotArea { index, name, found } => fill(
            Msg::ImportNotArea.text(locale),
            &[&feature_text(*index, name.as_deref(), locale), found],
        ),
        ImportError::BadOwner { index, name } => fill(
            Msg::ImportBadOwner.text(locale),
            &[&feature_text(*index, name.as_deref(), locale)],
        ),
    }
}

/// What the planner holds.
#[derive(Clone, Copy)]
struct Planner {
    draft: RwSignal<Option<Draft>>,
    preview: RwSignal<Value>,
    reps: RwSignal<Vec<(i64, String)>>,
    balance: RwSignal<Value>,
    message: RwSignal<Option<String>>,
    /// Why the last GeoJSON import was refused.
    import_error: RwSignal<Option<String>>,
    stale: RwSignal<bool>,
    ticked: RwSignal<Vec<usize>>,
    /// "static", "polygon" (draw), "split" (draw the part to cut off) or "select" (edit).
    mode: RwSignal<&'static str>,
    busy: RwSignal<bool>,
    actor: RwSignal<String>,
    /// Bumped after a publication so the map reloads the accounts.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    published: RwSignal<u32>,
}

impl Planner {
    fn problems(&self) -> Vec<Problem> {
        self.preview
            .with(|p| serde_json::from_value(p["problems"].clone()).unwrap_or_default())
    }
}

#[component]
pub fn PlannerPage() -> impl IntoView {
    let planner = Planner {
        draft: RwSignal::new(None),
        preview: RwSignal::new(Value::Null),
        reps: RwSignal::new(Vec::new()),
        balance: RwSignal::new(Value::Null),
        message: RwSignal::new(None),
        import_error: RwSignal::new(None),
        stale: RwSignal::new(false),
        ticked: RwSignal::new(Vec::new()),
        mode: RwSignal::new("static"),
        busy: RwSignal::new(false),
        actor: RwSignal::new(String::new()),
        published: RwSignal::new(0),
    };
    let settings = Resource::new(|| (), |_| crate::api::get_map_settings());
    view! {
        <div class="layout planner">
            <crate::Header title=Msg::PlannerTitle />
            <aside class="sidebar planner-side">
                {view! { <DraftPanel planner /> }.into_any()}
                {view! { <ProblemList planner /> }.into_any()}
                {view! { <BalancePanel planner /> }.into_any()}
                {view! { <PublishPanel planner /> }.into_any()}
            </aside>
            <main class="map-area">
                <Suspense fallback=|| view! { <div class="map map-loading">{tr(Msg::Loading)}</div> }>
                    {move || Suspend::new(async move {
                        match settings.await {
                            Ok(settings) => view! { <PlannerMapView settings planner /> }.into_any(),
                            Err(_) => view! { <p class="error">{tr(Msg::LoadFailed)}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod actions {
    use super::*;
    use crate::draw::fetch_json;
    use geo::{BooleanOps, MultiPolygon};
    use serde_json::json;
    use wilayah_shared::geojson::area_coordinates;

    fn error_text(status: u16, body: &Value) -> String {
        body["error"]
            .as_str()
            .map_or_else(|| format!("HTTP {status}"), str::to_owned)
    }

    pub async fn refresh_preview(p: Planner) {
        let Some(id) = p.draft.get_untracked().map(|d| d.id) else {
            return;
        };
        if let Ok((200, preview)) = fetch_json(
            "GET",
            &format!("/api/v1/planning/drafts/{id}/preview"),
            None,
            &[],
        )
        .await
        {
            p.stale.set(preview["stale"] == true);
            p.preview.set(preview);
        }
    }

    /// Loads the newest open draft, or starts one from the published territories.
    pub async fn load(p: Planner) {
        if let Ok((200, staff)) = fetch_json("GET", "/api/v1/staff?limit=1000", None, &[]).await {
            let reps = staff["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter(|s| s["role"] == "sales_rep")
                        .filter_map(|s| Some((s["id"].as_i64()?, s["name"].as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            p.reps.set(reps);
        }
        let open = match fetch_json("GET", "/api/v1/planning/drafts", None, &[]).await {
            Ok((200, list)) => serde_json::from_value::<Vec<Draft>>(list)
                .unwrap_or_default()
                .into_iter()
                .find(|d| d.status == "open"),
            _ => None,
        };
        match open {
            Some(d) => p.draft.set(Some(d)),
            None => new_draft(p).await,
        }
        refresh_preview(p).await;
    }

    pub async fn new_draft(p: Planner) {
        match fetch_json("POST", "/api/v1/planning/drafts", Some(&json!({})), &[]).await {
            Ok((201, d)) => {
                p.draft.set(serde_json::from_value(d).ok());
                p.stale.set(false);
                p.ticked.set(Vec::new());
            }
            Ok((status, body)) => p.message.set(Some(error_text(status, &body))),
            Err(e) => p.message.set(Some(e)),
        }
    }

    /// Saves new territories into the draft and refreshes the preview.
    pub async fn save(p: Planner, territories: Vec<DraftTerritory>) {
        let Some(draft) = p.draft.get_untracked() else {
            return;
        };
        let body = json!({ "version": draft.version, "territories": territories });
        match fetch_json(
            "PATCH",
            &format!("/api/v1/planning/drafts/{}", draft.id),
            Some(&body),
            &[],
        )
        .await
        {
            Ok((200, d)) => p.draft.set(serde_json::from_value(d).ok()),
            Ok((status, body)) => p.message.set(Some(error_text(status, &body))),
            Err(e) => p.message.set(Some(e)),
        }
        refresh_preview(p).await;
    }

    /// Imports a GeoJSON file into the draft: checked here first with the server's own rules
    /// (so a refused feature is named in the reader's language), then sent to the import API,
    /// which checks again (and that owners exist) and stores it.
    pub async fn import_file(p: Planner, file: web_sys::File, locale: Locale) {
        let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => text.as_string().unwrap_or_default(),
            Err(_) => {
                p.import_error
                    .set(Some(Msg::ImportNotJson.text(locale).to_owned()));
                return;
            }
        };
        let count = match wilayah_shared::planning::territories_from_geojson(text.as_bytes()) {
            Ok(list) => list.len(),
            Err(e) => {
                p.import_error.set(Some(import_error_text(&e, locale)));
                return;
            }
        };
        let Some(draft) = p.draft.get_untracked() else {
            return;
        };
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match fetch_json(
            "POST",
            &format!(
                "/api/v1/planning/drafts/{}/import?version={}",
                draft.id, draft.version
            ),
            Some(&body),
            &[],
        )
        .await
        {
            Ok((200, d)) => {
                p.draft.set(serde_json::from_value(d).ok());
                p.import_error.set(None);
                p.ticked.set(Vec::new());
                p.message.set(Some(fill(
                    Msg::ImportedCount.text(locale),
                    &[&count.to_string()],
                )));
            }
            Ok((status, body)) => p.import_error.set(Some(fill(
                Msg::ImportRefused.text(locale),
                &[&error_text(status, &body)],
            ))),
            Err(e) => p
                .import_error
                .set(Some(fill(Msg::ImportRefused.text(locale), &[&e]))),
        }
        refresh_preview(p).await;
    }

    pub async fn rebase(p: Planner) {
        let Some(draft) = p.draft.get_untracked() else {
            return;
        };
        let body = json!({ "version": draft.version, "rebase": true });
        if let Ok((200, d)) = fetch_json(
            "PATCH",
            &format!("/api/v1/planning/drafts/{}", draft.id),
            Some(&body),
            &[],
        )
        .await
        {
            p.draft.set(serde_json::from_value(d).ok());
            p.message.set(None);
        }
        refresh_preview(p).await;
    }

    pub async fn publish(p: Planner, locale: Locale) {
        let Some(draft) = p.draft.get_untracked() else {
            return;
        };
        let actor = p.actor.get_untracked();
        let headers: Vec<(&str, &str)> = if actor.trim().is_empty() {
            Vec::new()
        } else {
            vec![("x-wilayah-actor", actor.as_str())]
        };
        let body = json!({ "version": draft.version });
        match fetch_json(
            "POST",
            &format!("/api/v1/planning/drafts/{}/publish", draft.id),
            Some(&body),
            &headers,
        )
        .await
        {
            Ok((200, outcome)) => {
                let n = outcome["reassigned"].as_array().map_or(0, Vec::len);
                p.message.set(Some(fill(
                    Msg::PublishedCount.text(locale),
                    &[&n.to_string()],
                )));
                p.balance.set(Value::Null);
                new_draft(p).await;
                refresh_preview(p).await;
                p.published.update(|n| *n += 1);
            }
            Ok((409, body)) => {
                p.stale.set(true);
                p.message.set(Some(format!(
                    "{} ({})",
                    Msg::StaleDraft.text(locale),
                    error_text(409, &body)
                )));
            }
            Ok((status, body)) => p.message.set(Some(error_text(status, &body))),
            Err(e) => p.message.set(Some(e)),
        }
    }

    pub async fn balance(p: Planner, measure: String, seed: u64) {
        let body = json!({ "measure": measure, "seed": seed, "time_budget_ms": 2000 });
        match fetch_json("POST", "/api/v1/planning/balance", Some(&body), &[]).await {
            Ok((201, answer)) => {
                p.draft
                    .set(serde_json::from_value(answer["draft"].clone()).ok());
                p.preview.set(answer["preview"].clone());
                p.balance.set(answer);
                p.ticked.set(Vec::new());
                p.message.set(None);
            }
            Ok((status, body)) => p.message.set(Some(error_text(status, &body))),
            Err(e) => p.message.set(Some(e)),
        }
    }

    fn multipolygon(geometry: &Value) -> Option<MultiPolygon<f64>> {
        let coords = area_coordinates(&geometry.to_string(), "geometry").ok()?;
        wilayah_shared::spatial::Region::from_coords_lenient(&coords)
            .ok()
            .map(|r| r.to_multi_polygon())
    }

    /// The ticked territories united into the first of them.
    pub fn merge(territories: &mut Vec<DraftTerritory>, ticked: &[usize]) -> bool {
        let mut ticked: Vec<usize> = ticked
            .iter()
            .copied()
            .filter(|&i| i < territories.len())
            .collect();
        ticked.sort_unstable();
        if ticked.len() < 2 {
            return false;
        }
        let Some(mut union) = multipolygon(&territories[ticked[0]].geometry) else {
            return false;
        };
        for &i in &ticked[1..] {
            if let Some(mp) = multipolygon(&territories[i].geometry) {
                union = union.union(&mp);
            }
        }
        territories[ticked[0]].geometry = wilayah_shared::planning::geometry(&union);
        for &i in ticked[1..].iter().rev() {
            territories.remove(i);
        }
        true
    }

    /// Cuts `cutter` out of territory `i` into a new territory named `name`.
    pub fn split(
        territories: &mut Vec<DraftTerritory>,
        i: usize,
        cutter: &Value,
        name: String,
    ) -> bool {
        let (Some(whole), Some(cut)) = (
            territories.get(i).and_then(|t| multipolygon(&t.geometry)),
            multipolygon(cutter),
        ) else {
            return false;
        };
        let inside = whole.intersection(&cut);
        let rest = whole.difference(&cut);
        if inside.0.is_empty() || rest.0.is_empty() {
            return false;
        }
        territories[i].geometry = wilayah_shared::planning::geometry(&rest);
        let owner_id = territories[i].owner_id;
        territories.push(DraftTerritory {
            id: None,
            name,
            owner_id,
            geometry: wilayah_shared::planning::geometry(&inside),
        });
        true
    }
}

/// A finished drawing: a new territory, or (in split mode) the part cut off the ticked one.
#[cfg(feature = "hydrate")]
fn on_drawn(p: Planner, geometry: Value, locale: Locale) {
    let Some(draft) = p.draft.get_untracked() else {
        return;
    };
    let mut territories = draft.territories.clone();
    let name = fill(
        Msg::NewTerritoryName.text(locale),
        &[&(territories.len() + 1).to_string()],
    );
    if p.mode.get_untracked() == "split" {
        let Some(&i) = p.ticked.get_untracked().first() else {
            return;
        };
        if !actions::split(&mut territories, i, &geometry, name) {
            return;
        }
        // The ticked territory changed shape; a merge next should not take it by surprise.
        p.ticked.set(Vec::new());
    } else {
        territories.push(DraftTerritory {
            id: None,
            name,
            owner_id: None,
            geometry,
        });
    }
    leptos::task::spawn_local(actions::save(p, territories));
}

#[component]
fn PlannerMapView(settings: crate::map::MapSettings, planner: Planner) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let locale = use_locale();
    #[cfg(feature = "hydrate")]
    {
        let handle = StoredValue::new_local(None::<crate::draw::PlannerMap>);
        let ready = RwSignal::new(false);
        Effect::new(move |_| {
            let Some(element) = container.get() else {
                return;
            };
            if handle.with_value(Option::is_some) {
                return;
            }
            let settings = settings.clone();
            leptos::task::spawn_local(async move {
                if let Err(e) = crate::draw::load_scripts(&crate::draw::TERRA_DRAW_SCRIPTS).await {
                    planner.message.set(Some(e));
                    return;
                }
                let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
                let map = crate::draw::PlannerMap::create(
                    &element,
                    &settings,
                    attribution,
                    move |geometry| {
                        if let Some(map) = handle.get_value() {
                            map.clear_drawing();
                        }
                        on_drawn(planner, geometry, locale.get_untracked());
                    },
                    move || ready.set(true),
                );
                handle.set_value(Some(map));
                actions::load(planner).await;
            });
        });
        Effect::new(move |_| {
            let territories = planner
                .draft
                .with(|d| d.as_ref().map(|d| d.territories.clone()));
            if !ready.get() {
                return;
            }
            if let (Some(t), Some(map)) = (territories, handle.get_value()) {
                map.show_draft(&t);
            }
        });
        Effect::new(move |_| {
            let problems = planner.problems();
            let lang = locale.get();
            if !ready.get() {
                return;
            }
            let labels: Vec<String> = problems.iter().map(|p| problem_text(p, lang)).collect();
            if let Some(map) = handle.get_value() {
                map.show_problems(&problems, &labels);
            }
        });
        Effect::new(move |_| {
            if planner.published.get() > 0
                && let Some(map) = handle.get_value()
            {
                map.reload_accounts();
            }
        });
        Effect::new(move |previous: Option<&'static str>| {
            let mode = planner.mode.get();
            if !ready.get() {
                return mode;
            }
            let Some(map) = handle.get_value() else {
                return mode;
            };
            if previous == Some("select") && mode != "select" {
                let edited = map.take_edited();
                if let Some(draft) = planner.draft.get_untracked() {
                    let mut territories = draft.territories.clone();
                    for (i, geometry) in edited {
                        if let Some(t) = territories.get_mut(i) {
                            t.geometry = geometry;
                        }
                    }
                    leptos::task::spawn_local(actions::save(planner, territories));
                }
            }
            match mode {
                "select" => {
                    let polygons: Vec<(usize, Value)> = planner
                        .draft
                        .get_untracked()
                        .map(|d| {
                            d.territories
                                .iter()
                                .enumerate()
                                .filter(|(_, t)| t.geometry["type"] == "Polygon")
                                .map(|(i, t)| (i, t.geometry.clone()))
                                .collect()
                        })
                        .unwrap_or_default();
                    map.load_for_editing(&polygons);
                    map.set_mode("select");
                }
                "polygon" | "split" => map.set_mode("polygon"),
                _ => map.set_mode("static"),
            }
            mode
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (settings, planner);
    view! {
        <div
            class="map"
            id="planner-map"
            data-testid="planner-map"
            node_ref=container
            role="region"
            aria-label=move || Msg::PlannerMapLabel.text(locale.get())
        ></div>
    }
}

/// A change to the draft's territory list; `false` when there was nothing to change.
type TerritoryEdit = Box<dyn FnOnce(&mut Vec<DraftTerritory>) -> bool>;

#[component]
fn DraftPanel(planner: Planner) -> impl IntoView {
    let p = planner;
    let locale = use_locale();
    let set_mode = move |mode: &'static str| {
        move |_| {
            p.mode
                .update(|m| *m = if *m == mode { "static" } else { mode })
        }
    };
    let edit = move |change: TerritoryEdit| {
        #[cfg(not(feature = "hydrate"))]
        let _ = (change, p);
        #[cfg(feature = "hydrate")]
        if let Some(draft) = p.draft.get_untracked() {
            let mut territories = draft.territories.clone();
            if change(&mut territories) {
                p.ticked.set(Vec::new());
                leptos::task::spawn_local(actions::save(p, territories));
            }
        }
    };
    let merge = move |_| {
        let ticked = p.ticked.get_untracked();
        #[cfg(feature = "hydrate")]
        edit(Box::new(move |t| actions::merge(t, &ticked)));
        #[cfg(not(feature = "hydrate"))]
        let _ = ticked;
    };
    let new_draft = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            actions::new_draft(p).await;
            actions::refresh_preview(p).await;
        });
    };
    let import = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(file) = crate::draw::picked_file(&ev) {
            leptos::task::spawn_local(actions::import_file(p, file, locale.get_untracked()));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let export_href = move || {
        p.draft.with(|d| {
            d.as_ref()
                .map(|d| format!("/api/v1/planning/drafts/{}/export", d.id))
        })
    };
    view! {
        <section class="panel planner-draft">
            <h2>
                {tr(Msg::DraftLabel)} ": "
                <span data-testid="draft-name">{move || p.draft.with(|d| d.as_ref().map(|d| d.name.clone()))}</span>
            </h2>
            <div class="planner-tools">
                <button class="action" data-testid="new-draft" on:click=new_draft>{tr(Msg::NewDraft)}</button>
                <button class="action" data-testid="draw-territory"
                    class:active=move || p.mode.get() == "polygon" on:click=set_mode("polygon")>
                    {tr(Msg::DrawTerritory)}
                </button>
                <button class="action" data-testid="edit-shapes"
                    class:active=move || p.mode.get() == "select" on:click=set_mode("select")>
                    {tr(Msg::EditShapes)}
                </button>
                <button class="action" data-testid="split-territory"
                    class:active=move || p.mode.get() == "split" on:click=set_mode("split")>
                    {tr(Msg::SplitTerritory)}
                </button>
                <button class="action" data-testid="merge-territories" on:click=merge>{tr(Msg::MergeTicked)}</button>
                <label class="action file-action" data-testid="import-label">
                    {tr(Msg::ImportGeojson)}
                    <input type="file" data-testid="import-file"
                        accept=".geojson,.json,application/geo+json,application/json"
                        on:change=import />
                </label>
                <a class="action" data-testid="export-draft" href=export_href download="draft.geojson">{tr(Msg::ExportGeojson)}</a>
                <a class="action" data-testid="export-published" href="/api/v1/territories/export"
                    download="territories.geojson">{tr(Msg::ExportPublished)}</a>
            </div>
            <Show when=move || p.import_error.with(Option::is_some)>
                <p class="error" role="alert" data-testid="import-error">{move || p.import_error.get()}</p>
            </Show>
            <Show when=move || matches!(p.mode.get(), "polygon" | "split")>
                <p class="muted" data-testid="draw-hint">{tr(Msg::DrawHint)}</p>
            </Show>
            <ul class="territory-list" data-testid="territory-list">
                {move || {
                    let territories = p.draft.with(|d| d.as_ref().map(|d| d.territories.clone())).unwrap_or_default();
                    let reps = p.reps.get();
                    territories
                        .into_iter()
                        .enumerate()
                        .map(|(i, t)| {
                            let owner = t.owner_id;
                            let name = t.name.clone();
                            let row_name = t.name.clone();
                            let options = reps
                                .iter()
                                .map(|(id, rep)| {
                                    view! { <option value=id.to_string() selected=owner == Some(*id)>{rep.clone()}</option> }
                                })
                                .collect_view();
                            let set_owner = move |ev| {
                                let value = event_target_value(&ev);
                                let owner_id = value.parse::<i64>().ok();
                                edit(Box::new(move |t| {
                                    t[i].owner_id = owner_id;
                                    true
                                }));
                            };
                            let rename = move |ev| {
                                let value = event_target_value(&ev);
                                edit(Box::new(move |t| {
                                    t[i].name = value;
                                    true
                                }));
                            };
                            let delete = move |_| edit(Box::new(move |t| {
                                t.remove(i);
                                true
                            }));
                            let tick = move |ev| {
                                let on = event_target_checked(&ev);
                                p.ticked.update(|ticked| {
                                    ticked.retain(|&x| x != i);
                                    if on {
                                        ticked.push(i);
                                    }
                                });
                            };
                            view! {
                                <li class="territory-row" data-testid="territory-row" data-name=row_name>
                                    <input type="checkbox" data-testid="territory-tick" on:change=tick
                                        prop:checked=move || p.ticked.with(|t| t.contains(&i)) />
                                    <span class="swatch" style=format!("background:{}", rep_colour(owner))></span>
                                    <input class="territory-name" data-testid="territory-name" value=name on:change=rename />
                                    <select data-testid="territory-rep" on:change=set_owner>
                                        <option value="" selected=owner.is_none()>{Msg::NoRep.text(locale.get_untracked())}</option>
                                        {options}
                                    </select>
                                    <button class="link link-danger" data-testid="territory-delete" on:click=delete>{tr(Msg::DeleteTerritory)}</button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
fn ProblemList(planner: Planner) -> impl IntoView {
    let locale = use_locale();
    view! {
        <section class="panel planner-problems">
            <h2>{tr(Msg::Problems)}</h2>
            <ul data-testid="problems">
                {move || {
                    let problems = planner.problems();
                    if problems.is_empty() {
                        return view! { <li class="muted" data-testid="no-problems">{tr(Msg::NoProblems)}</li> }.into_any();
                    }
                    problems
                        .iter()
                        .map(|p| {
                            let class = format!("problem problem-{}", serde_json::to_value(p.severity).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default());
                            view! { <li class=class data-testid="problem">{problem_text(p, locale.get())}</li> }
                        })
                        .collect_view()
                        .into_any()
                }}
            </ul>
        </section>
    }
}

/// Each rep's totals before → after for the chosen measure (the rows of the server's preview,
/// [`wilayah_shared::planning::compare_totals`]); `data-before`/`data-after` carry the values.
#[component]
fn TotalsTable(rows: Vec<RepTotals>, measure: Measure) -> impl IntoView {
    let cell = move |t: &Totals| match measure {
        Measure::VisitHours => format!("{:.1}", t.visit_hours),
        Measure::Revenue => crate::format_money(t.revenue_minor, "IDR"),
        Measure::Accounts => t.accounts.to_string(),
    };
    let body = rows
        .into_iter()
        .filter(|r| r.owner_id.is_some())
        .map(|r| {
            view! {
                <tr data-testid="rep-totals" data-owner=r.owner_id.map(|o| o.to_string())
                    data-before=r.before.value(measure).to_string()
                    data-after=r.after.value(measure).to_string()>
                    <td>{r.name.clone()}</td>
                    <td class="num">{cell(&r.before)}</td>
                    <td class="num">{cell(&r.after)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="totals" data-testid="totals" data-measure=measure.as_str()>
            <thead><tr><th>{tr(Msg::Reps)}</th><th>{tr(Msg::Before)}</th><th>{tr(Msg::After)}</th></tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

#[component]
fn BalancePanel(planner: Planner) -> impl IntoView {
    let measure = RwSignal::new("accounts".to_owned());
    let seed = RwSignal::new(1u64);
    let run = move |_| {
        planner.busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            actions::balance(planner, measure.get_untracked(), seed.get_untracked()).await;
            planner.busy.set(false);
        });
    };
    view! {
        <section class="panel planner-balance">
            <h2>{tr(Msg::BalanceTitle)}</h2>
            <label>{tr(Msg::Measure)} " "
                <select data-testid="balance-measure" on:change=move |ev| measure.set(event_target_value(&ev))>
                    <option value="accounts">{tr(Msg::MeasureAccounts)}</option>
                    <option value="revenue">{tr(Msg::MeasureRevenue)}</option>
                    <option value="visit_hours">{tr(Msg::MeasureVisitHours)}</option>
                </select>
            </label>
            <label>{tr(Msg::Seed)} " "
                <input type="number" min="0" data-testid="balance-seed" value="1"
                    on:change=move |ev| seed.set(event_target_value(&ev).parse().unwrap_or(1)) />
            </label>
            <button class="action" data-testid="run-balance" disabled=move || planner.busy.get() on:click=run>
                {tr(Msg::RunBalance)}
            </button>
        </section>
    }
}

#[component]
fn PublishPanel(planner: Planner) -> impl IntoView {
    let p = planner;
    let locale = use_locale();
    let publish = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(actions::publish(p, locale.get_untracked()));
    };
    let rebase = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(actions::rebase(p));
    };
    let measure = move || {
        p.balance
            .with(|b| serde_json::from_value::<Measure>(b["measure"].clone()).ok())
            .unwrap_or_default()
    };
    let spread = move |which: &'static str| {
        let m = measure();
        p.preview.with(|v| {
            v[which][m.as_str()]
                .as_f64()
                .map_or_else(|| "∞".to_owned(), |s| format!("{s:.2}"))
        })
    };
    view! {
        <section class="panel planner-publish">
            <h2>{tr(Msg::Preview)}</h2>
            <p data-testid="moves-count">
                {move || fill(Msg::AccountsMoving.text(locale.get()), &[&p.preview.with(|v| v["moves"].as_array().map_or(0, Vec::len)).to_string()])}
            </p>
            <p data-testid="unassigned-count">
                {move || fill(Msg::UnassignedAccounts.text(locale.get()), &[&p.preview.with(|v| v["unassigned"].as_array().map_or(0, Vec::len)).to_string()])}
            </p>
            <p data-testid="spread">
                {tr(Msg::Spread)} ": " <span data-testid="spread-before">{move || spread("spread_before")}</span>
                " → " <span data-testid="spread-after">{move || spread("spread_after")}</span>
            </p>
            {move || {
                let rows: Vec<RepTotals> = p
                    .preview
                    .with(|v| serde_json::from_value(v["reps"].clone()).unwrap_or_default());
                view! { <TotalsTable rows measure=measure() /> }
            }}
            <label>{tr(Msg::ActorName)}
                <input data-testid="actor" on:input=move |ev| p.actor.set(event_target_value(&ev)) />
            </label>
            <button class="action primary" data-testid="publish" on:click=publish>{tr(Msg::Publish)}</button>
            <Show when=move || p.stale.get()>
                <button class="action" data-testid="rebase" on:click=rebase>{tr(Msg::Rebase)}</button>
            </Show>
            <p class="planner-message" data-testid="planner-message">{move || p.message.get()}</p>
        </section>
    }
}
