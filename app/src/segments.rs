//! `/segments`: the saved segments (each with its member count among the caller's accounts)
//! and the segment editor: a name, the criteria (the map filter's fields, any of some tags, a
//! least churn risk, the last order's day) and a geography (anywhere, a radius around a point
//! clicked on the map, a polygon drawn on it, a territory). While it is edited the members are
//! counted and shown on the map (`POST /api/v1/segments/preview`, a moment after the last
//! change; only the newest answer lands). Save (with the version read; a stale one reloads and
//! says so), delete, the members listed, their CSV export.
//!
//! `/segments?polygon=[[lon,lat],…]` opens the editor with that polygon as its area.

use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use wilayah_shared::dashboard::{DashboardFilter, FilterOptions};
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::resources::PIPELINE_STAGES;
use wilayah_shared::segments::{Area, Criteria, Definition, Members, NewSegment, Segment};

use crate::account_page::{kind_msg, load};
use crate::accounts::{ListText, options_view};
use crate::campaigns::{CampaignText as C, refusal_text};
use crate::i18n::{Msg, Text, stage_msg, status_msg, tr, use_locale};
use crate::rest::{self, RestError};
use crate::{Header, format_count_in};

/// How many members the editor lists under the map.
const LISTED_MEMBERS: usize = 50;

/// The kind of geography chosen in the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AreaKind {
    Anywhere,
    Radius,
    Polygon,
    Territory,
}

impl AreaKind {
    const ALL: [AreaKind; 4] = [
        AreaKind::Anywhere,
        AreaKind::Radius,
        AreaKind::Polygon,
        AreaKind::Territory,
    ];

    fn code(self) -> &'static str {
        match self {
            AreaKind::Anywhere => "anywhere",
            AreaKind::Radius => "radius",
            AreaKind::Polygon => "polygon",
            AreaKind::Territory => "territory",
        }
    }

    fn label(self) -> C {
        match self {
            AreaKind::Anywhere => C::Everywhere,
            AreaKind::Radius => C::AreaRadius,
            AreaKind::Polygon => C::AreaPolygon,
            AreaKind::Territory => C::AreaTerritory,
        }
    }
}

/// Polygon rings in the API's layout.
type Rings = Vec<Vec<[f64; 2]>>;

/// The editor's fields, as typed.
#[derive(Clone, Copy)]
struct Editor {
    id: RwSignal<Option<i64>>,
    version: RwSignal<Option<i64>>,
    name: RwSignal<String>,
    filter: RwSignal<DashboardFilter>,
    any_tag: RwSignal<String>,
    /// Percent, "" for none.
    min_churn: RwSignal<String>,
    after: RwSignal<String>,
    before: RwSignal<String>,
    area: RwSignal<AreaKind>,
    centre: RwSignal<Option<(f64, f64)>>,
    metres: RwSignal<String>,
    polygon: RwSignal<Option<Rings>>,
    territory: RwSignal<String>,
    /// The map should bring the members into view once they are read (a segment was opened).
    fit: RwSignal<bool>,
}

fn day(text: &str) -> Option<chrono::NaiveDate> {
    text.trim().parse().ok()
}

impl Editor {
    fn new() -> Self {
        Editor {
            id: RwSignal::new(None),
            version: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            filter: RwSignal::new(DashboardFilter::default()),
            any_tag: RwSignal::new(String::new()),
            min_churn: RwSignal::new(String::new()),
            after: RwSignal::new(String::new()),
            before: RwSignal::new(String::new()),
            area: RwSignal::new(AreaKind::Anywhere),
            centre: RwSignal::new(None),
            metres: RwSignal::new("5000".to_owned()),
            polygon: RwSignal::new(None),
            territory: RwSignal::new(String::new()),
            fit: RwSignal::new(false),
        }
    }

    /// Empties the editor for a new segment.
    fn clear(&self) {
        self.open(&Segment {
            id: 0,
            name: String::new(),
            definition: Definition::default(),
            created_by: None,
            version: 0,
        });
        self.id.set(None);
        self.version.set(None);
    }

    /// Shows a saved segment.
    fn open(&self, segment: &Segment) {
        let c = &segment.definition.criteria;
        self.id.set(Some(segment.id));
        self.version.set(Some(segment.version));
        self.name.set(segment.name.clone());
        self.filter.set(c.filter.clone());
        self.any_tag.set(c.any_tag.join(", "));
        self.min_churn.set(
            c.min_churn_risk
                .map(|r| ((r * 100.0).round() as i64).to_string())
                .unwrap_or_default(),
        );
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        self.after.set(date(c.last_order_after));
        self.before.set(date(c.last_order_before));
        self.centre.set(None);
        self.polygon.set(None);
        self.territory.set(String::new());
        match &segment.definition.area {
            None => self.area.set(AreaKind::Anywhere),
            Some(Area::Radius { lon, lat, metres }) => {
                self.area.set(AreaKind::Radius);
                self.centre.set(Some((*lon, *lat)));
                self.metres.set(format!("{}", metres.round()));
            }
            Some(Area::Polygon { coordinates }) => {
                self.area.set(AreaKind::Polygon);
                self.polygon.set(Some(coordinates.clone()));
            }
            Some(Area::Territory { territory_id }) => {
                self.area.set(AreaKind::Territory);
                self.territory.set(territory_id.to_string());
            }
        }
        self.fit.set(true);
    }

    /// The area as chosen (tracked): none until a centre is placed or a polygon drawn. An
    /// unreadable radius is sent as 0, which the server refuses naming the area.
    fn chosen_area(&self) -> Option<Area> {
        match self.area.get() {
            AreaKind::Anywhere => None,
            AreaKind::Radius => self.centre.get().map(|(lon, lat)| Area::Radius {
                lon,
                lat,
                metres: self
                    .metres
                    .get()
                    .trim()
                    .replace(',', ".")
                    .parse()
                    .unwrap_or(0.0),
            }),
            AreaKind::Polygon => self
                .polygon
                .get()
                .map(|coordinates| Area::Polygon { coordinates }),
            AreaKind::Territory => self
                .territory
                .get()
                .parse()
                .ok()
                .map(|territory_id| Area::Territory { territory_id }),
        }
    }

    /// The definition as typed (tracked).
    fn definition(&self) -> Definition {
        Definition {
            criteria: Criteria {
                filter: self.filter.get(),
                any_tag: self
                    .any_tag
                    .get()
                    .split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect(),
                min_churn_risk: self.min_churn.get().parse::<f64>().ok().map(|p| p / 100.0),
                last_order_after: day(&self.after.get()),
                last_order_before: day(&self.before.get()),
            },
            area: self.chosen_area(),
        }
    }
}

/// The area to draw on the map: a radius as a circle, a polygon as drawn (a territory shows
/// through its members).
#[cfg(feature = "hydrate")]
fn area_geometry(area: Option<&Area>) -> Option<serde_json::Value> {
    match area? {
        Area::Radius { lon, lat, metres } => Some(crate::draw::circle_polygon(*lon, *lat, *metres)),
        Area::Polygon { coordinates } => {
            Some(serde_json::json!({ "type": "Polygon", "coordinates": coordinates }))
        }
        Area::Territory { .. } => None,
    }
}

/// Points the map must show of an area to show it whole: a radius's extremes, a polygon's
/// vertices (a territory shows through its members).
#[cfg(any(feature = "hydrate", test))]
fn area_extent(area: Option<&Area>) -> Vec<(f64, f64)> {
    match area {
        Some(Area::Radius { lon, lat, metres }) => {
            let dlat = metres / 111_320.0;
            let dlon = dlat / lat.to_radians().cos().max(0.01);
            vec![(lon - dlon, lat - dlat), (lon + dlon, lat + dlat)]
        }
        Some(Area::Polygon { coordinates }) => coordinates
            .iter()
            .flatten()
            .map(|[lon, lat]| (*lon, *lat))
            .collect(),
        Some(Area::Territory { .. }) | None => Vec::new(),
    }
}

/// The smallest `[west, south, east, north]` around some positions.
#[cfg(any(feature = "hydrate", test))]
fn bounds(positions: &[(f64, f64)]) -> Option<[f64; 4]> {
    let (first, rest) = positions.split_first()?;
    Some(rest.iter().fold(
        [first.0, first.1, first.0, first.1],
        |[w, s, e, n], (lon, lat)| [w.min(*lon), s.min(*lat), e.max(*lon), n.max(*lat)],
    ))
}

/// The polygon of `/segments?polygon=[[lon,lat],…]` (one ring, closed here if it is not).
fn polygon_from_query(search: &str) -> Option<Rings> {
    let value = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("polygon="))?;
    let decoded: String = form_urlencoded::parse(format!("p={value}").as_bytes())
        .next()?
        .1
        .into_owned();
    let mut ring: Vec<[f64; 2]> = serde_json::from_str(&decoded).ok()?;
    if ring.len() < 3 {
        return None;
    }
    if ring.first() != ring.last() {
        ring.push(ring[0]);
    }
    Some(vec![ring])
}

/// `/segments`
#[component]
pub fn SegmentsPage() -> impl IntoView {
    let locale = use_locale();
    let search = leptos_router::hooks::use_location().search;
    let editor = Editor::new();
    let segments: RwSignal<Option<Result<Vec<Segment>, RestError>>> = RwSignal::new(None);
    let counts: RwSignal<HashMap<i64, usize>> = RwSignal::new(HashMap::new());
    let options: RwSignal<Option<FilterOptions>> = RwSignal::new(None);
    let preview: RwSignal<Option<Result<Members, RestError>>> = RwSignal::new(None);
    let message: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let confirm_delete = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let revision = RwSignal::new(0u32);

    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(o) = crate::api::get_filter_options().await {
                let _ = options.try_set(Some(o));
            }
        });
        if let Some(rings) = polygon_from_query(&search.get_untracked()) {
            editor.area.set(AreaKind::Polygon);
            editor.polygon.set(Some(rings));
            editor.fit.set(true);
        }
    });
    // The list, and each segment's members counted for the caller.
    Effect::new(move |_| {
        revision.track();
        load("/api/v1/segments".to_owned(), segments);
    });
    Effect::new(move |_| {
        let Some(Ok(list)) = segments.get() else {
            return;
        };
        for s in list {
            leptos::task::spawn_local(async move {
                if let Ok(m) =
                    rest::get::<Members>(&format!("/api/v1/segments/{}/members", s.id)).await
                {
                    counts.update(|c| {
                        c.insert(s.id, m.count);
                    });
                }
            });
        }
    });
    // The live count: a moment after the last change, the newest answer only.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let definition = editor.definition();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        preview.set(None);
        set_timeout(
            move || {
                if generation.try_get_value() != Some(mine) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let answer =
                        rest::send::<Members>("POST", "/api/v1/segments/preview", &definition)
                            .await;
                    if generation.try_get_value() == Some(mine) {
                        let _ = preview.try_set(Some(answer));
                    }
                });
            },
            Duration::from_millis(300),
        );
    });

    let save = move |_: leptos::ev::MouseEvent| {
        let l = locale.get_untracked();
        let body = NewSegment {
            name: editor.name.get_untracked(),
            definition: editor.definition(),
            version: editor.version.get_untracked(),
        };
        busy.set(true);
        message.set(None);
        error.set(None);
        leptos::task::spawn_local(async move {
            let id = editor.id.get_untracked();
            let answer = match id {
                None => rest::send::<Segment>("POST", "/api/v1/segments", &body).await,
                Some(id) => rest::send("PATCH", &format!("/api/v1/segments/{id}"), &body).await,
            };
            busy.set(false);
            match answer {
                Ok(saved) => {
                    editor.id.set(Some(saved.id));
                    editor.version.set(Some(saved.version));
                    message.set(Some(C::SegmentSaved.text(l).to_owned()));
                    revision.update(|r| *r += 1);
                }
                Err(e) => {
                    error.set(Some(refusal_text(&e, C::SegmentConflict, l)));
                    if let (409, Some(id)) = (e.status, id)
                        && let Ok(current) =
                            rest::get::<Segment>(&format!("/api/v1/segments/{id}")).await
                    {
                        editor.open(&current);
                    }
                }
            }
        });
    };
    let delete = move |_: leptos::ev::MouseEvent| {
        let Some(id) = editor.id.get_untracked() else {
            return;
        };
        let l = locale.get_untracked();
        leptos::task::spawn_local(async move {
            match rest::delete(&format!("/api/v1/segments/{id}")).await {
                Ok(()) => {
                    editor.clear();
                    message.set(Some(C::Deleted.text(l).to_owned()));
                    revision.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e.failure().text(l))),
            }
            confirm_delete.set(false);
        });
    };

    let list = move || {
        let l = locale.get();
        let chosen = editor.id.get();
        match segments.get() {
            None => view! { <p class="muted">{tr(Msg::Loading)}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e.failure().text(l)}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => {
                view! { <p class="muted" data-testid="no-segments">{tr(C::NoSegments)}</p> }.into_any()
            }
            Some(Ok(list)) => view! {
                <ul class="segment-list" data-testid="segments">
                    {list.into_iter().map(|s| {
                        let count = move || counts.with(|c| c.get(&s.id).map(|n| format_count_in(locale.get(), *n as i64)));
                        let current = chosen == Some(s.id);
                        let opened = s.clone();
                        view! {
                            <li>
                                <button class="segment-item" class:current=current data-testid=format!("segment-{}", s.id)
                                    on:click=move |_| { message.set(None); error.set(None); editor.open(&opened) }>
                                    <span class="segment-name">{s.name.clone()}</span>
                                    <span class="segment-count" data-testid=format!("segment-{}-count", s.id)>{count}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        }
    };

    let count = move || {
        let l = locale.get();
        match preview.get() {
            None => view! { <p class="segment-live muted" data-testid="segment-count-pending">{tr(C::Counting)}</p> }.into_any(),
            Some(Ok(m)) => view! {
                <p class="segment-live">
                    <strong data-testid="segment-live-count">{format_count_in(l, m.count as i64)}</strong>
                    " "{tr(C::MatchNow)}
                </p>
            }
            .into_any(),
            Some(Err(e)) => view! { <p class="segment-live error" data-testid="segment-preview-error">{e.failure().text(l)}</p> }.into_any(),
        }
    };
    let members = move || {
        let l = locale.get();
        let Some(Ok(m)) = preview.get() else {
            return None;
        };
        let more = m.count.saturating_sub(LISTED_MEMBERS);
        Some(view! {
            <section class="panel segment-members" data-testid="segment-members">
                <h2>{tr(C::MembersTitle)}</h2>
                <ul class="member-list">
                    {m.accounts.into_iter().take(LISTED_MEMBERS).map(|a| view! {
                        <li>
                            <a href=format!("/accounts/{}", a.id)>{a.name}</a>
                            <span class="muted">{kind_msg(a.kind).text(l)}" · "{status_msg(a.status).text(l)}</span>
                        </li>
                    }).collect_view()}
                </ul>
                {(more > 0).then(|| view! { <p class="muted">{format!("+ {} {}", format_count_in(l, more as i64), C::AndMore.text(l))}</p> })}
            </section>
        })
    };

    view! {
        <leptos_meta::Stylesheet href="/campaigns.css" />
        <div class="ws-page">
            <Header title=Msg::NavSegments />
            <main class="ws-main segments-page" data-testid="segments-page">
                <aside class="panel segment-index">
                    <div class="section-head">
                        <h2>{tr(C::Segments)}</h2>
                        <button class="ws-button" data-testid="new-segment" on:click=move |_| {
                            message.set(None); error.set(None); editor.clear()
                        }>{tr(C::NewSegment)}</button>
                    </div>
                    {list}
                </aside>
                <section class="panel segment-editor" data-testid="segment-editor">
                    <div class="segment-form">
                        <label class="segment-name-field">
                            <span>{tr(C::SegmentName)}</span>
                            <input type="text" data-testid="segment-name" prop:value=move || editor.name.get()
                                on:input=move |ev| editor.name.set(event_target_value(&ev)) />
                        </label>
                        <CriteriaFields editor options />
                        <AreaFields editor options />
                        <div class="campaign-messages" aria-live="polite">
                            {move || message.get().map(|m| view! { <p class="notice" data-testid="segment-notice">{m}</p> })}
                            {move || error.get().map(|m| view! { <p class="error" data-testid="segment-error">{m}</p> })}
                        </div>
                        <div class="ws-actions">
                            <button class="ws-button primary" data-testid="segment-save" disabled=move || busy.get() on:click=save>
                                {tr(C::SaveSegment)}
                            </button>
                            {move || editor.id.get().map(|id| view! {
                                <a class="ws-link-button" href=format!("/api/v1/segments/{id}/export") download data-testid="segment-export">
                                    {tr(C::ExportCsv)}
                                </a>
                                {move || if confirm_delete.get() {
                                    view! {
                                        <button class="ws-button danger" data-testid="segment-delete-confirm" on:click=delete>{tr(C::ConfirmDelete)}</button>
                                        <button class="ws-button subtle" on:click=move |_| confirm_delete.set(false)>{tr(C::Cancel)}</button>
                                    }.into_any()
                                } else {
                                    view! {
                                        <button class="ws-button danger" data-testid="segment-delete" on:click=move |_| confirm_delete.set(true)>{tr(C::Delete)}</button>
                                    }.into_any()
                                }}
                            })}
                        </div>
                    </div>
                    <div class="segment-preview">
                        {count}
                        <SegmentMapView editor preview />
                    </div>
                </section>
                {members}
            </main>
        </div>
    }
}

/// A `<select>` of `(value, label)` choices after an "any" one, showing `current`.
fn choice(
    label: ListText,
    testid: &'static str,
    current: impl Fn() -> String + Copy + Send + Sync + 'static,
    set: impl Fn(String) + Copy + Send + Sync + 'static,
    choices: impl Fn() -> Vec<(String, String)> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let locale = use_locale();
    let options = move || {
        let now = current();
        let mut all = vec![(String::new(), ListText::Any.text(locale.get()).to_owned())];
        all.extend(choices());
        options_view(&now, all)
    };
    view! {
        <label class="ws-filter">
            {tr(label)}
            <select data-testid=testid on:change=move |ev| set(event_target_value(&ev))>{options}</select>
        </label>
    }
}

fn nonblank(value: String) -> Option<String> {
    let value = value.trim().to_owned();
    (!value.is_empty()).then_some(value)
}

#[component]
fn CriteriaFields(editor: Editor, options: RwSignal<Option<FilterOptions>>) -> impl IntoView {
    let locale = use_locale();
    let f = editor.filter;
    let named = move |pick: fn(&FilterOptions) -> Vec<(String, String)>| {
        move || options.with(|o| o.as_ref().map(pick).unwrap_or_default())
    };
    let churn_options = move || {
        let now = editor.min_churn.get();
        let mut all = vec![(String::new(), ListText::Any.text(locale.get()).to_owned())];
        all.extend((1..10).map(|i| ((i * 10).to_string(), format!("{} %", i * 10))));
        options_view(&now, all)
    };
    let date = move |label: C, testid: &'static str, value: RwSignal<String>| {
        view! {
            <label class="ws-filter">
                {tr(label)}
                <input type="date" data-testid=testid prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <fieldset class="segment-fieldset">
            <legend>{tr(C::Criteria)}</legend>
            <div class="ws-filters">
                {choice(ListText::Kind, "criteria-kind",
                    move || f.with(|f| f.kind.map(|k| k.as_str().to_owned()).unwrap_or_default()),
                    move |s| f.update(|f| f.kind = s.parse().ok()),
                    move || AccountKind::ALL.iter().map(|k| (k.as_str().to_owned(), kind_msg(*k).text(locale.get()).to_owned())).collect())}
                {choice(ListText::Status, "criteria-status",
                    move || f.with(|f| f.status.map(|k| k.as_str().to_owned()).unwrap_or_default()),
                    move |s| f.update(|f| f.status = s.parse().ok()),
                    move || AccountStatus::ALL.iter().map(|k| (k.as_str().to_owned(), status_msg(*k).text(locale.get()).to_owned())).collect())}
                {choice(ListText::Owner, "criteria-owner",
                    move || f.with(|f| f.owner_id.map(|k| k.to_string()).unwrap_or_default()),
                    move |s| f.update(|f| f.owner_id = s.parse().ok()),
                    named(|o| o.reps.iter().map(|r| (r.id.to_string(), r.name.clone())).collect()))}
                {choice(ListText::Territory, "criteria-territory",
                    move || f.with(|f| f.territory_id.map(|k| k.to_string()).unwrap_or_default()),
                    move |s| f.update(|f| f.territory_id = s.parse().ok()),
                    named(|o| o.territories.iter().map(|r| (r.id.to_string(), r.name.clone())).collect()))}
                {choice(ListText::Segment, "criteria-segment",
                    move || f.with(|f| f.segment.clone().unwrap_or_default()),
                    move |s| f.update(|f| f.segment = nonblank(s)),
                    named(|o| o.segments.iter().map(|s| (s.clone(), s.clone())).collect()))}
                {choice(ListText::Tag, "criteria-tag",
                    move || f.with(|f| f.tag.clone().unwrap_or_default()),
                    move |s| f.update(|f| f.tag = nonblank(s)),
                    named(|o| o.tags.iter().map(|s| (s.clone(), s.clone())).collect()))}
                {choice(ListText::Stage, "criteria-stage",
                    move || f.with(|f| f.stage.clone().unwrap_or_default()),
                    move |s| f.update(|f| f.stage = nonblank(s)),
                    move || PIPELINE_STAGES.iter().filter_map(|s| Some((s.to_string(), stage_msg(s)?.text(locale.get()).to_owned()))).collect())}
                <label class="ws-filter">
                    {tr(C::MinChurn)}
                    <select data-testid="criteria-churn" on:change=move |ev| editor.min_churn.set(event_target_value(&ev))>
                        {churn_options}
                    </select>
                </label>
                {date(C::OrderedAfter, "criteria-after", editor.after)}
                {date(C::OrderedBefore, "criteria-before", editor.before)}
            </div>
            <label class="ws-filter any-tag">
                <span>{tr(C::AnyTag)}" "<small>"("{tr(C::AnyTagHint)}")"</small></span>
                <input type="text" data-testid="criteria-any-tag" prop:value=move || editor.any_tag.get()
                    on:change=move |ev| editor.any_tag.set(event_target_value(&ev)) />
            </label>
        </fieldset>
    }
}

#[component]
fn AreaFields(editor: Editor, options: RwSignal<Option<FilterOptions>>) -> impl IntoView {
    let locale = use_locale();
    let kinds = move || {
        let now = editor.area.get();
        AreaKind::ALL
            .into_iter()
            .map(|k| {
                view! {
                    <button class="ws-button" class:current={k == now} aria-pressed={(k == now).to_string()}
                        data-testid=format!("area-{}", k.code())
                        on:click=move |_| {
                            editor.area.set(k);
                            if k == AreaKind::Polygon { editor.polygon.set(None) }
                        }>
                        {tr(k.label())}
                    </button>
                }
            })
            .collect_view()
    };
    let territories = move || {
        let now = editor.territory.get();
        let mut all = vec![(
            String::new(),
            C::ChooseTerritory.text(locale.get()).to_owned(),
        )];
        options.with(|o| {
            if let Some(o) = o {
                all.extend(
                    o.territories
                        .iter()
                        .map(|t| (t.id.to_string(), t.name.clone())),
                );
            }
        });
        options_view(&now, all)
    };
    let detail = move || {
        let l = locale.get();
        match editor.area.get() {
            AreaKind::Anywhere => None,
            AreaKind::Radius => Some(view! {
                <div class="area-detail">
                    <label class="ws-filter">
                        {tr(C::RadiusMetres)}
                        <input type="number" min="1" step="100" data-testid="area-metres" prop:value=move || editor.metres.get()
                            on:input=move |ev| editor.metres.set(event_target_value(&ev)) />
                    </label>
                    <p class="muted" data-testid="area-centre">
                        {move || match editor.centre.get() {
                            None => C::ClickCentre.text(l).to_owned(),
                            Some((lon, lat)) => format!("{}: {}, {}", C::CentreAt.text(l),
                                crate::format_decimal_in(l, lat, 5), crate::format_decimal_in(l, lon, 5)),
                        }}
                    </p>
                </div>
            }.into_any()),
            AreaKind::Polygon => Some(view! {
                <div class="area-detail">
                    {move || if editor.polygon.with(Option::is_some) {
                        view! {
                            <p class="notice" data-testid="area-polygon-drawn">{tr(C::PolygonDrawn)}</p>
                            <button class="ws-button" data-testid="area-draw-again" on:click=move |_| editor.polygon.set(None)>{tr(C::DrawAgain)}</button>
                        }.into_any()
                    } else {
                        view! { <p class="muted" data-testid="area-draw-hint">{tr(C::DrawHint)}</p> }.into_any()
                    }}
                </div>
            }.into_any()),
            AreaKind::Territory => Some(view! {
                <div class="area-detail">
                    <label class="ws-filter">
                        {tr(C::AreaTerritory)}
                        <select data-testid="area-territory" on:change=move |ev| editor.territory.set(event_target_value(&ev))>
                            {territories}
                        </select>
                    </label>
                </div>
            }.into_any()),
        }
    };
    view! {
        <fieldset class="segment-fieldset">
            <legend>{tr(C::Geography)}</legend>
            <div class="area-kinds" role="group">{kinds}</div>
            {detail}
        </fieldset>
    }
}

/// The map of the editor: the area and the members now. Clicks place the radius's centre; in
/// the polygon mode (a polygon area not drawn yet) they draw.
#[component]
fn SegmentMapView(
    editor: Editor,
    preview: RwSignal<Option<Result<Members, RestError>>>,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let locale = use_locale();
    let failed: RwSignal<Option<String>> = RwSignal::new(None);
    #[cfg(feature = "hydrate")]
    {
        let handle = StoredValue::new_local(None::<crate::draw::SegmentMap>);
        let ready = RwSignal::new(false);
        Effect::new(move |_| {
            let Some(element) = container.get() else {
                return;
            };
            if handle.with_value(Option::is_some) {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Err(e) = crate::draw::load_scripts(&crate::draw::TERRA_DRAW_SCRIPTS).await {
                    failed.set(Some(e));
                    return;
                }
                let settings = crate::api::get_map_settings()
                    .await
                    .unwrap_or_else(|_| crate::map::RouteMap::default_settings());
                let attribution = Msg::BasemapAttribution.text(locale.get_untracked());
                let map = crate::draw::SegmentMap::create(
                    &element,
                    &settings,
                    attribution,
                    move |lon, lat| {
                        if editor.area.get_untracked() == AreaKind::Radius {
                            editor.centre.set(Some((lon, lat)));
                        }
                    },
                    move |geometry| {
                        if let Some(map) = handle.get_value() {
                            map.clear_drawing();
                        }
                        if let Ok(rings) =
                            serde_json::from_value::<Rings>(geometry["coordinates"].clone())
                        {
                            editor.polygon.set(Some(rings));
                        }
                    },
                    move || ready.set(true),
                );
                handle.set_value(Some(map));
            });
        });
        // Drawing while a polygon area waits for its polygon.
        Effect::new(move |_| {
            let drawing =
                editor.area.get() == AreaKind::Polygon && editor.polygon.with(Option::is_none);
            if ready.get()
                && let Some(map) = handle.get_value()
            {
                map.set_mode(if drawing { "polygon" } else { "static" });
                if !drawing {
                    map.clear_drawing();
                }
            }
        });
        Effect::new(move |_| {
            let area = editor.chosen_area();
            if ready.get()
                && let Some(map) = handle.get_value()
            {
                map.show_area(area_geometry(area.as_ref()));
            }
        });
        Effect::new(move |_| {
            let positions: Vec<(f64, f64)> = preview.with(|p| match p {
                Some(Ok(m)) => m.accounts.iter().map(|a| (a.lon, a.lat)).collect(),
                _ => Vec::new(),
            });
            if !ready.get() || preview.with(Option::is_none) {
                return;
            }
            let Some(map) = handle.get_value() else {
                return;
            };
            map.show_members(&positions);
            let mut extent = untrack(|| area_extent(editor.chosen_area().as_ref()));
            extent.extend(positions.iter().copied());
            if editor.fit.get_untracked()
                && let Some(b) = bounds(&extent)
            {
                editor.fit.set(false);
                map.fit(b);
            }
            if let Some(element) = container.get_untracked() {
                let _ = element.set_attribute("data-members", &positions.len().to_string());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (editor, preview);
    view! {
        <div
            class="segment-map"
            node_ref=container
            data-testid="segment-map"
            role="region"
            aria-label=move || Msg::MapLabel.text(locale.get())
        ></div>
        {move || failed.get().map(|e| view! { <p class="error">{e}</p> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polygon_comes_from_the_query_closed() {
        let q = "?polygon=%5B%5B106.8%2C-6.2%5D%2C%5B106.9%2C-6.2%5D%2C%5B106.9%2C-6.3%5D%5D";
        let rings = polygon_from_query(q).unwrap();
        assert_eq!(rings[0].len(), 4);
        assert_eq!(rings[0][0], rings[0][3]);
        assert_eq!(polygon_from_query("?polygon=%5B%5B1%2C2%5D%5D"), None);
        assert_eq!(polygon_from_query("?x=1"), None);
    }

    #[test]
    fn a_radius_extent_spans_its_diameter() {
        let extent = area_extent(Some(&Area::Radius {
            lon: 107.6,
            lat: -6.9,
            metres: 3_000.0,
        }));
        let [w, s, e, n] = bounds(&extent).unwrap();
        assert!((n - s - 2.0 * 3_000.0 / 111_320.0).abs() < 1e-9);
        assert!(
            e - w > n - s,
            "a degree of longitude is shorter away from the equator"
        );
        assert!(area_extent(None).is_empty());
    }

    #[test]
    fn bounds_hold_every_position() {
        assert_eq!(bounds(&[]), None);
        assert_eq!(
            bounds(&[(106.8, -6.2), (107.0, -6.9), (106.9, -6.0)]),
            Some([106.8, -6.9, 107.0, -6.0])
        );
    }
}
