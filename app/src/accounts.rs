//! `/accounts`: the accounts the caller may see as a table. Search (name, address, a contact's
//! name, e-mail or phone), sort by column, paging, the map's filter (the same query parameters
//! as the dashboard's address, so "show on the map" and the map's "show these in the list" keep
//! it), named saved views (own and shared), and bulk actions on a selection: add a tag, change
//! the owner (one PATCH per row; the server decides, each refusal is shown on its row) and
//! export the selection as CSV. Loaded through the REST API after hydration.

use leptos::prelude::*;
use serde_json::{Value, json};
use wilayah_shared::account::{Account, Page};
use wilayah_shared::dashboard::FilterOptions;
use wilayah_shared::domain::{AccountKind, AccountStatus};
use wilayah_shared::resources::PIPELINE_STAGES;
use wilayah_shared::views::{LIST_PAGE_SIZE, ListView, NewView, SavedView};

use crate::account_page::{kind_msg, name_of, refusal_text};
use crate::i18n::{Msg, Text, stage_msg, status_msg, tr, use_locale};
use crate::rest::{self, RestError};

/// The accounts list's own texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListText {
    Search,
    SearchHint,
    Any,
    Kind,
    Status,
    Owner,
    Territory,
    Segment,
    Tag,
    Stage,
    Clear,
    ShowOnMap,
    NewAccount,
    Name,
    Revenue,
    Updated,
    SelectAll,
    Select,
    Selected,
    AddTag,
    TagToAdd,
    ChangeOwner,
    Apply,
    ExportSelection,
    ClearSelection,
    Done,
    Views,
    NoViews,
    ViewName,
    Shared,
    SaveView,
    DeleteView,
    SharedBy,
    Previous,
    Next,
    Shown,
    NoAccounts,
    LoadFailed,
    SortAscending,
    SortDescending,
    /// On the map: the list with the map's filter.
    ShowInList,
    /// On the map's customer panel: the account page.
    OpenAccountPage,
}

impl Text for ListText {
    fn both(self) -> [&'static str; 2] {
        use ListText::*;
        match self {
            Search => ["Search", "Cari"],
            SearchHint => [
                "name, address, contact, phone or e-mail",
                "nama, alamat, kontak, telepon, atau e-mail",
            ],
            Any => ["Any", "Semua"],
            Kind => ["Type", "Jenis"],
            Status => ["Status", "Status"],
            Owner => ["Owner", "Penanggung jawab"],
            Territory => ["Territory", "Wilayah penjualan"],
            Segment => ["Segment", "Segmen"],
            Tag => ["Tag", "Label"],
            Stage => ["Deal stage", "Tahap peluang"],
            Clear => ["Clear filter", "Hapus filter"],
            ShowOnMap => ["Show on the map", "Tampilkan di peta"],
            NewAccount => ["New account", "Akun baru"],
            Name => ["Name", "Nama"],
            Revenue => ["Revenue", "Pendapatan"],
            Updated => ["Updated", "Diperbarui"],
            SelectAll => ["Select all on this page", "Pilih semua di halaman ini"],
            Select => ["Select", "Pilih"],
            Selected => ["{} selected", "{} dipilih"],
            AddTag => ["Add tag", "Tambah label"],
            TagToAdd => ["tag", "label"],
            ChangeOwner => ["Change owner", "Ganti penanggung jawab"],
            Apply => ["Apply", "Terapkan"],
            ExportSelection => ["Export selection (CSV)", "Ekspor pilihan (CSV)"],
            ClearSelection => ["Clear selection", "Batalkan pilihan"],
            Done => ["done", "selesai"],
            Views => ["Saved views", "Tampilan tersimpan"],
            NoViews => ["No saved views yet", "Belum ada tampilan tersimpan"],
            ViewName => ["Name of this view", "Nama tampilan ini"],
            Shared => ["Share with the team", "Bagikan ke tim"],
            SaveView => ["Save view", "Simpan tampilan"],
            DeleteView => ["Delete", "Hapus"],
            SharedBy => ["shared", "dibagikan"],
            Previous => ["Previous", "Sebelumnya"],
            Next => ["Next", "Berikutnya"],
            Shown => ["{} of {}", "{} dari {}"],
            NoAccounts => ["No accounts match", "Tidak ada akun yang cocok"],
            LoadFailed => ["Could not load the accounts", "Gagal memuat akun"],
            SortAscending => ["sorted ascending", "urut naik"],
            SortDescending => ["sorted descending", "urut turun"],
            ShowInList => ["Show these in the list", "Tampilkan dalam daftar"],
            OpenAccountPage => ["Open the account page", "Buka halaman akun"],
        }
    }
}

/// The result of a bulk action on one row, already in words when refused.
#[derive(Debug, Clone, PartialEq)]
struct RowOutcome {
    id: i64,
    name: String,
    refused: Option<RestError>,
}

#[derive(Clone, Copy)]
struct List {
    view: RwSignal<ListView>,
    page: RwSignal<Option<Result<Page<Account>, RestError>>>,
    selected: RwSignal<Vec<i64>>,
    options: RwSignal<Option<FilterOptions>>,
    revision: RwSignal<u32>,
    outcomes: RwSignal<Vec<RowOutcome>>,
}

/// Writes the view into the address bar without a navigation.
fn replace_query(query: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let url = if query.is_empty() {
            "/accounts".to_owned()
        } else {
            format!("/accounts?{query}")
        };
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = query;
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let search = leptos_router::hooks::use_location().search;
    let list = List {
        view: RwSignal::new(ListView::from_query(&search.get_untracked())),
        page: RwSignal::new(None),
        selected: RwSignal::new(Vec::new()),
        options: RwSignal::new(None),
        revision: RwSignal::new(0),
        outcomes: RwSignal::new(Vec::new()),
    };
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(o) = crate::api::get_filter_options().await {
                list.options.set(Some(o));
            }
        });
    });
    // Each change of the view (or a bulk action) fetches its page; only the newest answer lands.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let view = list.view.get();
        list.revision.track();
        replace_query(&view.to_query());
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            let answer = rest::get::<Page<Account>>(&view.api_url()).await;
            if generation.get_value() == mine {
                list.page.set(Some(answer));
            }
        });
    });
    view! {
        <div class="ws-page">
            <crate::Header title=Msg::NavAccounts />
            <main class="ws-main ws-accounts">
                <Toolbar list />
                <SavedViews list />
                <BulkBar list />
                <Table list />
            </main>
        </div>
    }
}

/// The `<option>`s of `(value, label)` choices, the one whose value is `now` selected.
pub fn options_view(now: &str, choices: Vec<(String, String)>) -> impl IntoView + use<> {
    choices
        .into_iter()
        .map(|(value, text)| {
            let selected = value == now;
            view! { <option value=value selected=selected>{text}</option> }
        })
        .collect_view()
}

/// A `<select>` of the filter: `Any` and the choices `(value, label)`.
fn choice(
    list: List,
    label: ListText,
    testid: &'static str,
    current: impl Fn(&ListView) -> String + Copy + Send + Sync + 'static,
    set: impl Fn(&mut ListView, String) + Copy + Send + Sync + 'static,
    choices: impl Fn() -> Vec<(String, String)> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let locale = use_locale();
    let options = move || {
        let now = list.view.with(current);
        let mut all = vec![(String::new(), ListText::Any.text(locale.get()).to_owned())];
        all.extend(choices());
        options_view(&now, all)
    };
    view! {
        <label class="ws-filter">
            {tr(label)}
            <select
                data-testid=testid
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    list.selected.set(Vec::new());
                    list.view.update(|v| {
                        set(v, value);
                        v.page = 0;
                    });
                }
            >
                {options}
            </select>
        </label>
    }
}

fn nonblank(value: String) -> Option<String> {
    let value = value.trim().to_owned();
    (!value.is_empty()).then_some(value)
}

#[component]
fn Toolbar(list: List) -> impl IntoView {
    let locale = use_locale();
    let named = move |pick: fn(&FilterOptions) -> Vec<(String, String)>| {
        move || {
            list.options
                .with(|o| o.as_ref().map(pick).unwrap_or_default())
        }
    };
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        list.view.update(|v| {
            v.search = text;
            v.page = 0;
        });
    };
    view! {
        <section class="panel ws-toolbar" data-testid="accounts-toolbar">
            <label class="ws-search">
                {tr(ListText::Search)}
                <input
                    type="search"
                    data-testid="accounts-search"
                    placeholder=move || ListText::SearchHint.text(locale.get())
                    prop:value=move || list.view.with(|v| v.search.clone())
                    on:input=on_search
                />
            </label>
            <div class="ws-filters">
                {choice(list, ListText::Kind, "filter-kind",
                    |v| v.filter.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
                    |v, s| v.filter.kind = s.parse().ok(),
                    move || AccountKind::ALL.iter().map(|k| (k.as_str().to_owned(), kind_msg(*k).text(locale.get()).to_owned())).collect())}
                {choice(list, ListText::Status, "filter-status",
                    |v| v.filter.status.map(|k| k.as_str().to_owned()).unwrap_or_default(),
                    |v, s| v.filter.status = s.parse().ok(),
                    move || AccountStatus::ALL.iter().map(|k| (k.as_str().to_owned(), status_msg(*k).text(locale.get()).to_owned())).collect())}
                {choice(list, ListText::Owner, "filter-owner",
                    |v| v.filter.owner_id.map(|k| k.to_string()).unwrap_or_default(),
                    |v, s| v.filter.owner_id = s.parse().ok(),
                    named(|o| o.reps.iter().map(|r| (r.id.to_string(), r.name.clone())).collect()))}
                {choice(list, ListText::Territory, "filter-territory",
                    |v| v.filter.territory_id.map(|k| k.to_string()).unwrap_or_default(),
                    |v, s| v.filter.territory_id = s.parse().ok(),
                    named(|o| o.territories.iter().map(|r| (r.id.to_string(), r.name.clone())).collect()))}
                {choice(list, ListText::Segment, "filter-segment",
                    |v| v.filter.segment.clone().unwrap_or_default(),
                    |v, s| v.filter.segment = nonblank(s),
                    named(|o| o.segments.iter().map(|s| (s.clone(), s.clone())).collect()))}
                {choice(list, ListText::Tag, "filter-tag",
                    |v| v.filter.tag.clone().unwrap_or_default(),
                    |v, s| v.filter.tag = nonblank(s),
                    named(|o| o.tags.iter().map(|s| (s.clone(), s.clone())).collect()))}
                {choice(list, ListText::Stage, "filter-stage",
                    |v| v.filter.stage.clone().unwrap_or_default(),
                    |v, s| v.filter.stage = nonblank(s),
                    move || PIPELINE_STAGES.iter().filter_map(|s| Some((s.to_string(), stage_msg(s)?.text(locale.get()).to_owned()))).collect())}
            </div>
            <div class="ws-actions">
                <button class="ws-button" data-testid="clear-filter" on:click=move |_| list.view.set(ListView::default())>
                    {tr(ListText::Clear)}
                </button>
                <a class="ws-link-button" data-testid="show-on-map" href=move || list.view.with(ListView::map_url)>
                    {tr(ListText::ShowOnMap)}
                </a>
                <a class="ws-link-button primary" data-testid="new-account" href="/accounts/new">
                    {tr(ListText::NewAccount)}
                </a>
            </div>
        </section>
    }
}

#[component]
fn SavedViews(list: List) -> impl IntoView {
    let locale = use_locale();
    let views: RwSignal<Vec<SavedView>> = RwSignal::new(Vec::new());
    let revision = RwSignal::new(0u32);
    let name = RwSignal::new(String::new());
    let shared = RwSignal::new(false);
    let error: RwSignal<Option<RestError>> = RwSignal::new(None);
    let admin = crate::use_signed_in().is_some_and(|c| c.is_admin());
    Effect::new(move |_| {
        revision.track();
        leptos::task::spawn_local(async move {
            if let Ok(list) = rest::get::<Vec<SavedView>>("/api/v1/views").await {
                views.set(list);
            }
        });
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NewView {
            name: name.get_untracked(),
            query: list.view.with_untracked(|v| v.without_page().to_query()),
            shared: shared.get_untracked(),
        };
        error.set(None);
        leptos::task::spawn_local(async move {
            match rest::send::<SavedView>("POST", "/api/v1/views", &body).await {
                Ok(_) => {
                    name.set(String::new());
                    revision.update(|r| *r += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let remove = move |id: i64| {
        leptos::task::spawn_local(async move {
            match rest::delete(&format!("/api/v1/views/{id}")).await {
                Ok(()) => revision.update(|r| *r += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let items = move || {
        let all = views.get();
        if all.is_empty() {
            return view! { <li class="muted">{tr(ListText::NoViews)}</li> }.into_any();
        }
        all.into_iter()
            .map(|v| {
                let query = v.query.clone();
                let open = move |_| {
                    list.selected.set(Vec::new());
                    list.view.set(ListView::from_query(&query));
                };
                let id = v.id;
                let deletable = v.mine || admin;
                view! {
                    <li class="ws-view">
                        <button class="ws-button" data-testid="saved-view" on:click=open>
                            {v.name.clone()}
                            {v.shared.then(|| view! { " · " <span class="muted">{tr(ListText::SharedBy)}</span> })}
                        </button>
                        {deletable.then(|| view! {
                            <button class="ws-button subtle" data-testid="delete-view" on:click=move |_| remove(id)>
                                {tr(ListText::DeleteView)}
                            </button>
                        })}
                    </li>
                }
                .into_any()
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="panel ws-views" data-testid="saved-views">
            <h2>{tr(ListText::Views)}</h2>
            <ul class="ws-view-list">{items}</ul>
            <form class="ws-inline" on:submit=save>
                <input
                    type="text"
                    data-testid="view-name"
                    placeholder=move || ListText::ViewName.text(locale.get())
                    aria-label=move || ListText::ViewName.text(locale.get())
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <label class="layer-toggle">
                    <input type="checkbox" data-testid="view-shared" prop:checked=move || shared.get() on:change=move |ev| shared.set(event_target_checked(&ev)) />
                    {tr(ListText::Shared)}
                </label>
                <button type="submit" class="ws-button" data-testid="save-view">{tr(ListText::SaveView)}</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="view-error">{refusal_text(&e, locale.get())}</p> })}
        </section>
    }
}

/// Runs `change` (a PATCH body from the row's account) on every selected row of the page, one
/// request per row; each refusal is kept with its row.
fn bulk(list: List, change: impl Fn(&Account) -> Option<Value> + 'static) {
    let rows: Vec<Account> = list.page.with_untracked(|p| match p {
        Some(Ok(page)) => list.selected.with_untracked(|s| {
            page.items
                .iter()
                .filter(|a| s.contains(&a.id))
                .cloned()
                .collect()
        }),
        _ => Vec::new(),
    });
    leptos::task::spawn_local(async move {
        let mut outcomes = Vec::new();
        for account in rows {
            let Some(body) = change(&account) else {
                continue;
            };
            let refused =
                rest::send::<Value>("PATCH", &format!("/api/v1/accounts/{}", account.id), &body)
                    .await
                    .err();
            outcomes.push(RowOutcome {
                id: account.id,
                name: account.name.clone(),
                refused,
            });
        }
        list.outcomes.set(outcomes);
        list.revision.update(|r| *r += 1);
    });
}

#[component]
fn BulkBar(list: List) -> impl IntoView {
    let locale = use_locale();
    let tag = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let count = move || list.selected.with(Vec::len);
    let add_tag = move |_| {
        let Some(new) = nonblank(tag.get_untracked()) else {
            return;
        };
        bulk(list, move |a| {
            let mut tags = a.tags.clone();
            if tags.contains(&new) {
                return None;
            }
            tags.push(new.clone());
            Some(json!({ "version": a.version, "tags": tags }))
        });
    };
    let change_owner = move |_| {
        let Ok(to) = owner.get_untracked().parse::<i64>() else {
            return;
        };
        bulk(list, move |a| {
            (a.owner_id != Some(to)).then(|| json!({ "version": a.version, "owner_id": to }))
        });
    };
    let reps = move || {
        let mut all = vec![view! { <option value="">"—"</option> }.into_any()];
        all.extend(list.options.with(|o| {
            o.as_ref()
                .map(|o| {
                    o.reps
                        .iter()
                        .map(|r| {
                            view! { <option value=r.id.to_string()>{r.name.clone()}</option> }
                                .into_any()
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }));
        all
    };
    let export = move || {
        let ids = list
            .selected
            .with(|s| s.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        format!("/api/v1/accounts/export?format=csv&ids={ids}")
    };
    let outcomes = move || {
        list.outcomes
            .get()
            .into_iter()
            .map(|o| {
                let (refused, name, id) = (o.refused.is_some(), o.name.clone(), o.id);
                let text = move || match &o.refused {
                    None => ListText::Done.text(locale.get()).to_owned(),
                    Some(e) => refusal_text(e, locale.get()),
                };
                view! {
                    <li class:error=refused data-testid="bulk-outcome" data-account=id.to_string()>
                        <strong>{name}</strong> ": " {text}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="panel ws-bulk" data-testid="bulk" class:hidden=move || count() == 0 && list.outcomes.with(Vec::is_empty)>
            <p data-testid="selected-count">{move || ListText::Selected.text(locale.get()).replacen("{}", &count().to_string(), 1)}</p>
            <div class="ws-actions">
                <span class="ws-inline">
                    <input type="text" data-testid="bulk-tag" aria-label=move || ListText::TagToAdd.text(locale.get()) placeholder=move || ListText::TagToAdd.text(locale.get()) prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev)) />
                    <button class="ws-button" data-testid="bulk-add-tag" on:click=add_tag disabled=move || count() == 0>{tr(ListText::AddTag)}</button>
                </span>
                <span class="ws-inline">
                    <select data-testid="bulk-owner" aria-label=move || ListText::Owner.text(locale.get()) on:change=move |ev| owner.set(event_target_value(&ev))>{reps}</select>
                    <button class="ws-button" data-testid="bulk-change-owner" on:click=change_owner disabled=move || count() == 0>{tr(ListText::ChangeOwner)}</button>
                </span>
                <a class="ws-link-button" data-testid="bulk-export" href=export download="">{tr(ListText::ExportSelection)}</a>
                <button class="ws-button subtle" on:click=move |_| { list.selected.set(Vec::new()); list.outcomes.set(Vec::new()); }>{tr(ListText::ClearSelection)}</button>
            </div>
            <ul class="ws-list">{outcomes}</ul>
        </section>
    }
}

/// A sortable column's header button.
fn sort_header(list: List, column: &'static str, label: ListText) -> impl IntoView {
    let locale = use_locale();
    let state = move || {
        let sort = list.view.with(|v| v.sort);
        if sort.as_str() == column {
            Some(false)
        } else if sort.as_str().strip_prefix('-') == Some(column) {
            Some(true)
        } else {
            None
        }
    };
    view! {
        <th aria-sort=move || match state() { Some(false) => "ascending", Some(true) => "descending", None => "none" }>
            <button
                class="ws-sort"
                data-testid=format!("sort-{column}")
                on:click=move |_| list.view.update(|v| { v.sort = v.sort.toggled(column); v.page = 0; })
            >
                {tr(label)}
                {move || match state() {
                    Some(false) => " ▲",
                    Some(true) => " ▼",
                    None => "",
                }}
                <span class="visually-hidden">{move || match state() {
                    Some(false) => ListText::SortAscending.text(locale.get()),
                    Some(true) => ListText::SortDescending.text(locale.get()),
                    None => "",
                }}</span>
            </button>
        </th>
    }
}

#[component]
fn Table(list: List) -> impl IntoView {
    let locale = use_locale();
    let rows = move || {
        match list.page.get() {
        None => view! { <tr><td colspan="8" class="muted">{tr(Msg::Loading)}</td></tr> }.into_any(),
        Some(Err(_)) => view! { <tr><td colspan="8" class="error">{tr(ListText::LoadFailed)}</td></tr> }.into_any(),
        Some(Ok(page)) if page.items.is_empty() => {
            view! { <tr><td colspan="8" class="muted" data-testid="no-accounts">{tr(ListText::NoAccounts)}</td></tr> }.into_any()
        }
        Some(Ok(page)) => page
            .items
            .into_iter()
            .map(|a| {
                let id = a.id;
                let checked = move || list.selected.with(|s| s.contains(&id));
                let toggle = move |ev: leptos::ev::Event| {
                    let on = event_target_checked(&ev);
                    list.selected.update(|s| {
                        s.retain(|x| *x != id);
                        if on {
                            s.push(id);
                        }
                    });
                };
                let (owner, territory) = (a.owner_id, a.territory_id);
                let owner_name = move || list.options.with(|o| o.as_ref().map(|o| name_of(&o.reps, owner)));
                let territory_name = move || list.options.with(|o| o.as_ref().map(|o| name_of(&o.territories, territory)));
                let updated = a.updated_at.date_naive();
                view! {
                    <tr data-testid="account-row" data-account=id.to_string()>
                        <td class="ws-check">
                            <input type="checkbox" data-testid="select-row" aria-label=move || ListText::Select.text(locale.get()) prop:checked=checked on:change=toggle />
                        </td>
                        <td><a class="link" href=format!("/accounts/{id}") data-testid="account-link">{a.name.clone()}</a></td>
                        <td>{tr(kind_msg(a.kind))}</td>
                        <td>{tr(status_msg(a.status))}</td>
                        <td>{owner_name}</td>
                        <td>{territory_name}</td>
                        <td class="num">{crate::format_money(a.revenue_minor, &a.currency)}</td>
                        <td>{move || crate::format_date(updated)}</td>
                    </tr>
                }
                .into_any()
            })
            .collect_view()
            .into_any(),
    }
    };
    let all_on_page = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let ids: Vec<i64> = list.page.with_untracked(|p| match p {
            Some(Ok(page)) => page.items.iter().map(|a| a.id).collect(),
            _ => Vec::new(),
        });
        list.selected.update(|s| {
            s.retain(|x| !ids.contains(x));
            if on {
                s.extend(ids);
            }
        });
    };
    let pager = move || {
        let (total, shown_from, shown_to) = match list.page.get() {
            Some(Ok(p)) => (p.total, p.offset + 1, p.offset + p.items.len() as u64),
            _ => (0, 0, 0),
        };
        let page = list.view.with(|v| v.page);
        let last = (total.max(1) as u64 - 1) / u64::from(LIST_PAGE_SIZE);
        let range = if total == 0 {
            "0".to_owned()
        } else {
            format!("{shown_from}–{shown_to}")
        };
        view! {
            <nav class="pager" data-testid="pager">
                <button class="ws-button" data-testid="prev-page" disabled={page == 0} on:click=move |_| list.view.update(|v| v.page = v.page.saturating_sub(1))>
                    {tr(ListText::Previous)}
                </button>
                <span data-testid="shown">{move || ListText::Shown.text(locale.get()).replacen("{}", &range, 1).replacen("{}", &total.to_string(), 1)}</span>
                <button class="ws-button" data-testid="next-page" disabled={u64::from(page) >= last} on:click=move |_| list.view.update(|v| v.page += 1)>
                    {tr(ListText::Next)}
                </button>
            </nav>
        }
    };
    view! {
        <section class="panel ws-table-panel">
            <table class="ws-table" data-testid="accounts-table">
                <thead>
                    <tr>
                        <th class="ws-check">
                            <input type="checkbox" data-testid="select-page" aria-label=move || ListText::SelectAll.text(locale.get()) on:change=all_on_page />
                        </th>
                        {sort_header(list, "name", ListText::Name)}
                        <th>{tr(ListText::Kind)}</th>
                        <th>{tr(ListText::Status)}</th>
                        <th>{tr(ListText::Owner)}</th>
                        <th>{tr(ListText::Territory)}</th>
                        {sort_header(list, "revenue", ListText::Revenue)}
                        {sort_header(list, "updated_at", ListText::Updated)}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {pager}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use wilayah_shared::views::ListSort;

    #[test]
    fn list_texts_differ_by_language_where_they_should() {
        for text in [
            ListText::Search,
            ListText::ShowOnMap,
            ListText::SaveView,
            ListText::NoAccounts,
        ] {
            assert_ne!(text.text(Locale::En), text.text(Locale::Id), "{text:?}");
        }
        assert_eq!(ListSort::default(), ListSort::Name);
    }
}
