//! Saved views of the accounts list (issue 14 item 2): a name and the list's query string
//! (filter, search, sort), kept per user, optionally shared with everyone who may open the list.
//! The list's own query string is [`ListView`]: the map dashboard's filter plus search, sort
//! and page, so "show on the map" and "show these in the list" pass the same parameters.

use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::dashboard::{DashboardFilter, DashboardView};

/// Longest view name, in characters.
pub const MAX_VIEW_NAME_CHARS: usize = 100;
/// Longest stored query string.
pub const MAX_VIEW_QUERY_CHARS: usize = 2000;

/// A saved view as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The accounts list's query string, without `?`.
    pub query: String,
    pub shared: bool,
    /// The user who saved it.
    pub user_id: i64,
    /// True when the caller saved it (only they, or an admin, may delete it).
    #[serde(default)]
    pub mine: bool,
}

/// A view to save, as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    pub name: String,
    pub query: String,
    #[serde(default)]
    pub shared: bool,
}

impl NewView {
    /// A trimmed, non-empty name of at most [`MAX_VIEW_NAME_CHARS`], and a query string of at
    /// most [`MAX_VIEW_QUERY_CHARS`] without a leading `?`.
    pub fn validate(mut self) -> Result<Self, ValidationError> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() {
            return Err(ValidationError::new("name", "must not be empty"));
        }
        if self.name.chars().count() > MAX_VIEW_NAME_CHARS {
            return Err(ValidationError::new(
                "name",
                format!("longer than {MAX_VIEW_NAME_CHARS} characters"),
            ));
        }
        self.query = self.query.trim().trim_start_matches('?').to_owned();
        if self.query.chars().count() > MAX_VIEW_QUERY_CHARS {
            return Err(ValidationError::new(
                "query",
                format!("longer than {MAX_VIEW_QUERY_CHARS} characters"),
            ));
        }
        Ok(self)
    }
}

/// How the accounts list is sorted: a column, ascending or descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListSort {
    #[default]
    Name,
    NameDesc,
    Revenue,
    RevenueDesc,
    Updated,
    UpdatedDesc,
}

impl ListSort {
    pub const ALL: [ListSort; 6] = [
        ListSort::Name,
        ListSort::NameDesc,
        ListSort::Revenue,
        ListSort::RevenueDesc,
        ListSort::Updated,
        ListSort::UpdatedDesc,
    ];

    /// The `sort` parameter of `GET /api/v1/accounts`.
    pub fn as_str(self) -> &'static str {
        match self {
            ListSort::Name => "name",
            ListSort::NameDesc => "-name",
            ListSort::Revenue => "revenue",
            ListSort::RevenueDesc => "-revenue",
            ListSort::Updated => "updated_at",
            ListSort::UpdatedDesc => "-updated_at",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Clicking a column's header: that column ascending, or descending when it already was.
    pub fn toggled(self, column: &str) -> Self {
        let ascending = ListSort::parse(column).unwrap_or_default();
        if self == ascending {
            ListSort::parse(&format!("-{column}")).unwrap_or(ascending)
        } else {
            ascending
        }
    }
}

/// Rows per page of the accounts list.
pub const LIST_PAGE_SIZE: u32 = 25;

/// Everything the accounts list's address carries: the map's filter, the search text, the sort
/// and the page (from 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListView {
    pub filter: DashboardFilter,
    pub search: String,
    pub sort: ListSort,
    pub page: u32,
}

impl ListView {
    /// The view as a query string without `?` (empty for the default view).
    pub fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.filter.query_pairs() {
            out.append_pair(key, &value);
        }
        if !self.search.trim().is_empty() {
            out.append_pair("q", self.search.trim());
        }
        if self.sort != ListSort::default() {
            out.append_pair("sort", self.sort.as_str());
        }
        if self.page > 0 {
            out.append_pair("page", &self.page.to_string());
        }
        out.finish()
    }

    /// Reads a view from a query string (a shared link may be hand-edited: what does not parse
    /// is dropped). The filter is read exactly as the map reads it.
    pub fn from_query(query: &str) -> Self {
        let query = query.trim_start_matches('?');
        let mut view = ListView {
            filter: DashboardView::from_query(query).filter,
            ..ListView::default()
        };
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "q" => view.search = value.trim().to_owned(),
                "sort" => view.sort = ListSort::parse(&value).unwrap_or_default(),
                "page" => view.page = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        view
    }

    /// The same view without its page: what a saved view keeps, and what the map's link gets.
    pub fn without_page(&self) -> Self {
        ListView {
            page: 0,
            ..self.clone()
        }
    }

    /// `GET /api/v1/accounts` for this view's page.
    pub fn api_url(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.filter.query_pairs() {
            out.append_pair(key, &value);
        }
        if !self.search.trim().is_empty() {
            out.append_pair("q", self.search.trim());
        }
        out.append_pair("sort", self.sort.as_str());
        out.append_pair("limit", &LIST_PAGE_SIZE.to_string());
        out.append_pair(
            "offset",
            &(u64::from(self.page) * u64::from(LIST_PAGE_SIZE)).to_string(),
        );
        format!("/api/v1/accounts?{}", out.finish())
    }

    /// The map (`/`) showing this view's filter.
    pub fn map_url(&self) -> String {
        let view = DashboardView {
            filter: self.filter.clone(),
            ..DashboardView::default()
        };
        match view.to_query() {
            q if q.is_empty() => "/".to_owned(),
            q => format!("/?{q}"),
        }
    }
}

/// The accounts list showing the map's filter (the map's "show these in the list").
pub fn list_url(filter: &DashboardFilter) -> String {
    let view = ListView {
        filter: filter.clone(),
        ..ListView::default()
    };
    match view.to_query() {
        q if q.is_empty() => "/accounts".to_owned(),
        q => format!("/accounts?{q}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountKind, AccountStatus};

    fn view() -> ListView {
        ListView {
            filter: DashboardFilter {
                kind: Some(AccountKind::Customer),
                status: Some(AccountStatus::AtRisk),
                owner_id: Some(4),
                territory_id: Some(2),
                segment: Some("retail & co".into()),
                tag: Some("vip".into()),
                stage: Some("proposal".into()),
            },
            search: "Jl. Asia Afrika".into(),
            sort: ListSort::RevenueDesc,
            page: 3,
        }
    }

    #[test]
    fn a_list_view_round_trips_through_its_address() {
        let v = view();
        assert_eq!(ListView::from_query(&v.to_query()), v);
        assert_eq!(ListView::from_query(&format!("?{}", v.to_query())), v);
        assert_eq!(ListView::default().to_query(), "");
        assert_eq!(ListView::from_query(""), ListView::default());
    }

    #[test]
    fn the_map_and_the_list_share_the_filter() {
        let v = view();
        let map = DashboardView::from_query(v.map_url().trim_start_matches("/?"));
        assert_eq!(map.filter, v.filter);
        let back = list_url(&map.filter);
        let list = ListView::from_query(back.trim_start_matches("/accounts?"));
        assert_eq!(list.filter, v.filter);
        assert_eq!(list_url(&DashboardFilter::default()), "/accounts");
        assert_eq!(ListView::default().map_url(), "/");
    }

    #[test]
    fn the_api_url_pages_and_sorts() {
        let url = view().api_url();
        assert!(url.starts_with("/api/v1/accounts?kind=customer&"), "{url}");
        assert!(url.contains("q=Jl.+Asia+Afrika"), "{url}");
        assert!(url.contains("sort=-revenue&limit=25&offset=75"), "{url}");
    }

    #[test]
    fn junk_in_a_link_is_dropped() {
        let v = ListView::from_query("sort=sideways&page=-1&kind=alien&q=%20toko%20");
        assert_eq!(v.sort, ListSort::Name);
        assert_eq!(v.page, 0);
        assert_eq!(v.filter.kind, None);
        assert_eq!(v.search, "toko");
    }

    #[test]
    fn clicking_a_header_toggles_its_direction() {
        assert_eq!(ListSort::Name.toggled("name"), ListSort::NameDesc);
        assert_eq!(ListSort::NameDesc.toggled("name"), ListSort::Name);
        assert_eq!(ListSort::Name.toggled("revenue"), ListSort::Revenue);
        assert_eq!(
            ListSort::RevenueDesc.toggled("updated_at"),
            ListSort::Updated
        );
    }

    #[test]
    fn view_names_are_trimmed_and_bounded() {
        let ok = NewView {
            name: "  Jakarta at risk ".into(),
            query: "?status=at_risk".into(),
            shared: true,
        }
        .validate()
        .unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.query.as_str()),
            ("Jakarta at risk", "status=at_risk")
        );
        let blank = NewView {
            name: "   ".into(),
            query: String::new(),
            shared: false,
        };
        assert_eq!(blank.validate().unwrap_err().field, "name");
        let long = NewView {
            name: "x".repeat(101),
            query: String::new(),
            shared: false,
        };
        assert_eq!(long.validate().unwrap_err().field, "name");
    }
}
