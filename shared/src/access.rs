//! Who may do what. Pure rules, no I/O: the roles, the role × resource × action matrix, the rows
//! each role sees, the policy of every page and server function, and what an audit entry records
//! of a change. The server applies these (see `server/src/http/auth.rs`, and the REST routes'
//! declarations in `server/src/http`); they are unit-tested here.
//!
//! **Deny by default**: a page or server function with no line in [`APP_POLICIES`] is for admins
//! only, and so is a REST path no declaration routes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A user's role; the same five roles staff members have.
pub use crate::domain::StaffRole as Role;

/// What a request does to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Import,
    Export,
}

/// The signed-in user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    /// The staff member this user is (required for sales reps and technicians: their rows are
    /// found through it).
    pub staff_id: Option<i64>,
    /// A manager's region: the territories they manage. Empty means every territory.
    pub region: Vec<i64>,
}

/// The accounts a caller may see. Everything hanging off an account (contacts, deals, cases,
/// activities, visits, history) follows its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    All,
    /// Accounts in these territories (a manager with a region).
    Territories(Vec<i64>),
    /// A sales rep's own accounts plus the prospects in the territories the rep owns.
    Rep {
        staff_id: i64,
    },
    /// The accounts a technician has visits at.
    VisitedBy {
        staff_id: i64,
    },
    /// A rep or technician user not linked to a staff member sees nothing.
    Nothing,
}

impl AccountScope {
    /// Whether an account with these attributes may be created (or kept after a change) by a
    /// caller of this scope: a rep only creates accounts they own, a regional manager only
    /// accounts in their region. Technicians do not create accounts.
    pub fn may_hold(&self, owner_id: Option<i64>, territory_id: Option<i64>) -> bool {
        match self {
            AccountScope::All => true,
            AccountScope::Territories(region) => territory_id.is_some_and(|t| region.contains(&t)),
            AccountScope::Rep { staff_id } => owner_id == Some(*staff_id),
            AccountScope::VisitedBy { .. } | AccountScope::Nothing => false,
        }
    }
}

/// Which rows of a generic resource a caller sees, beyond the role check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowScope {
    All,
    /// Rows whose `account_id` is one of the caller's accounts.
    ByAccount,
    /// Rows whose `column` is the caller's staff id (a technician's own visits).
    Own {
        column: &'static str,
        staff_id: i64,
    },
    Nothing,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn account_scope(&self) -> AccountScope {
        match (self.role, self.staff_id) {
            (Role::Admin | Role::Planner, _) => AccountScope::All,
            (Role::Manager, _) if self.region.is_empty() => AccountScope::All,
            (Role::Manager, _) => AccountScope::Territories(self.region.clone()),
            (Role::SalesRep, Some(staff_id)) => AccountScope::Rep { staff_id },
            (Role::Technician, Some(staff_id)) => AccountScope::VisitedBy { staff_id },
            (Role::SalesRep | Role::Technician, None) => AccountScope::Nothing,
        }
    }

    /// The rows of `resource` (a table name) this caller sees.
    pub fn row_scope(&self, resource: &str) -> RowScope {
        let by_account = match self.account_scope() {
            AccountScope::All => RowScope::All,
            AccountScope::Nothing => RowScope::Nothing,
            _ => RowScope::ByAccount,
        };
        match (resource, self.role, self.staff_id) {
            ("staff" | "territories", _, _) => RowScope::All,
            ("visits", Role::Technician, Some(staff_id)) => RowScope::Own {
                column: "technician_id",
                staff_id,
            },
            ("contacts" | "opportunities" | "activities" | "cases" | "visits", _, _) => by_account,
            // The catalogue is reference data: whoever may read it reads all of it.
            ("products" | "price_lists" | "price_list_items", _, _) => RowScope::All,
            // Quotes and orders follow their account (`Scoped`'s sales methods narrow them).
            ("quotes" | "orders", _, _) => by_account,
            // Tasks (follow-ups) follow their account.
            ("tasks", _, _) => by_account,
            // A resource this module does not know yet: only unscoped callers see its rows.
            _ if by_account == RowScope::All => RowScope::All,
            _ => RowScope::Nothing,
        }
    }
}

impl Caller {
    /// Whether this caller's role may do `action` on `resource` (see [`may`]).
    pub fn may(&self, resource: &str, action: Action) -> bool {
        may(self.role, resource, action)
    }

    /// A staff member's own fields (e-mail, phone, home base) are visible to the people who plan
    /// and manage staff, and to that staff member; everyone else sees who they are (name, role).
    pub fn sees_private_staff_fields(&self, staff_id: i64) -> bool {
        matches!(self.role, Role::Admin | Role::Manager | Role::Planner)
            || self.staff_id == Some(staff_id)
    }

    /// The value a field naming the acting staff member (`staff_id` of an activity, `opened_by`
    /// of a case) gets: always the caller's own staff id, whatever a request body says.
    pub fn acting_staff_id(&self) -> Option<i64> {
        self.staff_id
    }
}

/// Fields of a resource that name the staff member who did it: set from the caller on every
/// write path, never from the request.
pub fn authorship_field(resource: &str) -> Option<&'static str> {
    match resource {
        "activities" => Some("staff_id"),
        "cases" => Some("opened_by"),
        _ => None,
    }
}

/// Staff fields only [`Caller::sees_private_staff_fields`] callers receive.
pub const PRIVATE_STAFF_FIELDS: &[&str] = &["email", "phone", "home_lon", "home_lat"];

/// The resource a line of an account's timeline reveals: a visit, case or deal is its own
/// resource; an activity is an activity, except the notes the server writes when a deal's stage,
/// a case's or a visit's status changes (channel `pipeline`, `case`, `visit`), which tell about
/// that resource.
pub fn timeline_resource(kind: &str, channel: Option<&str>) -> &'static str {
    match (kind, channel) {
        ("visit", _) | ("activity", Some("visit")) => "visits",
        ("case", _) | ("activity", Some("case")) => "cases",
        ("opportunity", _) | ("activity", Some("pipeline")) => "opportunities",
        ("activity", _) => "activities",
        _ => "nothing-readable",
    }
}

/// A technician may add a stop to their own day only at a prospect this close (great-circle
/// metres) to the day's route, which is what "prospects along my route" offers; anything
/// further is a dispatcher's call.
pub const TECHNICIAN_ADD_STOP_REACH_M: f64 = 5_000.0;

/// Whether `at` lies along a technician's day: within [`TECHNICIAN_ADD_STOP_REACH_M`] of the
/// great-circle leg between any two of the day's places (their home base and the stops), in
/// whatever order the route takes them.
pub fn along_the_day(places: &[crate::LonLat], at: crate::LonLat) -> bool {
    let near = |a: crate::LonLat, b: crate::LonLat| {
        crate::spatial::distance_to_leg_m(a, b, at)
            .is_some_and(|d| d <= TECHNICIAN_ADD_STOP_REACH_M)
    };
    places
        .iter()
        .enumerate()
        .any(|(i, &a)| near(a, a) || places[i + 1..].iter().any(|&b| near(a, b)))
}

/// Who may change an account's owner. A rep may set themselves as the owner only of an account
/// nobody owns (claiming a prospect in their territory); an account another rep owns moves
/// between reps only through a manager, a planner or an admin.
pub fn may_change_owner(caller: &Caller, current: Option<i64>, new: Option<i64>) -> bool {
    if current == new {
        return true;
    }
    match caller.account_scope() {
        AccountScope::Rep { staff_id } => current.is_none() && new == Some(staff_id),
        AccountScope::All | AccountScope::Territories(_) => true,
        AccountScope::VisitedBy { .. } | AccountScope::Nothing => false,
    }
}

impl crate::account::TimelineEntry {
    /// Whether this line of a timeline tells the caller only about resources their role reads.
    pub fn readable_by(&self, caller: &Caller) -> bool {
        caller.may(
            timeline_resource(&self.kind, self.channel.as_deref()),
            Action::Read,
        )
    }
}

impl crate::account::AccountPanel {
    /// The panel with only the parts the caller's role may read: a planner's has no contacts,
    /// deals, cases or activities; a technician's no deals.
    pub fn visible_to(mut self, caller: &Caller) -> Self {
        if !caller.may("contacts", Action::Read) {
            self.contacts.clear();
        }
        if !caller.may("opportunities", Action::Read) {
            self.open_deals.clear();
        }
        if !caller.may("cases", Action::Read) {
            self.open_cases.clear();
        }
        if !caller.may("visits", Action::Read) {
            self.last_visit = None;
        }
        self.history.retain(|entry| entry.readable_by(caller));
        self
    }
}

/// The role × resource × action matrix. `resource` is the table name (`accounts`, `contacts`,
/// …) or one of the pseudo-resources `routes`, `audit`, `privacy`, `map`, `analytics`. Admins may do
/// everything; an unknown resource or action is admin-only.
pub fn may(role: Role, resource: &str, action: Action) -> bool {
    use Action::*;
    use Role::*;
    if role == Admin {
        return true;
    }
    let roles: &[Role] = match (resource, action) {
        ("accounts", Read | Export) => &[Manager, Planner, SalesRep, Technician],
        ("accounts", Create | Update) => &[Manager, Planner, SalesRep],
        ("accounts", Import) => &[Manager, Planner],
        ("accounts", Delete) => &[Manager],
        ("contacts", Read) => &[Manager, SalesRep, Technician],
        ("contacts", Create | Update | Delete) => &[Manager, SalesRep],
        ("opportunities", Read | Create | Update | Delete) => &[Manager, SalesRep],
        // Activities are append-only (no update); deleting history is a manager's call.
        ("activities", Read | Create) => &[Manager, SalesRep, Technician],
        ("activities", Delete) => &[Manager],
        ("cases", Read | Create | Update) => &[Manager, SalesRep, Technician],
        ("cases", Delete) => &[Manager],
        // Running the escalation check of missed SLA targets by hand (the server runs it every
        // minute); the SLA policies themselves (`sla_policies`) are the admins'.
        ("case_escalations", Create) => &[Manager],
        ("visits", Read) => &[Manager, Planner, SalesRep, Technician],
        ("visits", Update) => &[Manager, Planner, Technician],
        ("visits", Create | Delete) => &[Manager, Planner],
        ("staff", Read) => &[Manager, Planner, SalesRep, Technician],
        ("territories", Read | Export) => &[Manager, Planner, SalesRep, Technician],
        ("territories", Create | Update | Delete | Import) => &[Planner],
        // Route planning (plan, suggest) creates plans, not records.
        ("routes", Create) => &[Manager, Planner],
        // The catalogue: read by those who quote and sell; edited by admins.
        ("products" | "price_lists" | "price_list_items", Read) => &[Manager, SalesRep],
        // The catalogue page and its CSV export: the people who run sales.
        ("products", Export) => &[Manager],
        // Quotes and orders on the caller's accounts; deeper discounts need a manager's
        // approval (`quote_approvals`); order history comes in through a manager.
        ("quotes" | "orders", Read | Create | Update) => &[Manager, SalesRep],
        ("quote_approvals", Create) => &[Manager],
        ("orders", Import) => &[Manager],
        // Follow-ups on the caller's accounts, worked by those who sell.
        ("tasks", Read | Create | Update | Delete) => &[Manager, SalesRep],
        // Leads (prospects) move through their flow and convert into customers.
        ("leads", Update) => &[Manager, SalesRep],
        ("audit", Read) => &[Manager],
        // Customer analytics (RFM, 80/20, cohorts, cross-sell, unusual orders, lifetime value)
        // over the caller's accounts' orders; technicians work visits, not sales.
        ("analytics", Read) => &[Manager, Planner, SalesRep],
        // "Valuable customers at risk near me / along today's route": who may see which of
        // their own customers are likely to lapse. Technicians see it for the customers they
        // already serve (their accounts), without the money (`analytics` read shows that).
        ("at_risk", Read) => &[Manager, Planner, SalesRep, Technician],
        // Starting the background scoring job of every customer.
        ("analytics", Create) => &[Manager],
        // Campaigns (issue 16): segments are analysis of accounts (their members are the
        // caller's accounts), so whoever analyses the book defines them; a campaign reaches
        // contacts through their consent, which is a manager's call. Reps never run campaigns
        // over other reps' customers.
        ("segments", Read | Create | Update | Delete | Export) => &[Manager, Planner],
        ("campaigns", Read | Create | Update | Delete | Export) => &[Manager],
        // Satisfaction surveys (issue 17): their results over the caller's accounts for those
        // who look after customers; running the sweep that opens them by hand is a manager's.
        // Technicians record answers on their own visits through their field actions.
        ("surveys", Read) => &[Manager, Planner, SalesRep],
        ("surveys", Create) => &[Manager],
        // Privacy: export everything held about a customer, erase a customer.
        ("privacy", Export | Delete) => &[Manager],
        _ => &[],
    };
    roles.contains(&role)
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No sign-in needed (login, first-admin setup).
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users whose role [`may`] do `action` on `resource`; rows are scoped by the handler.
    Can(&'static str, Action),
    /// Admins only: what every route without a policy gets.
    AdminOnly,
}

/// One policy line: method (`*` for any), path pattern as the router spells it (`{id}` matches
/// one path segment), rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutePolicy {
    pub method: &'static str,
    pub path: &'static str,
    pub rule: Rule,
}

const fn route(method: &'static str, path: &'static str, rule: Rule) -> RoutePolicy {
    RoutePolicy { method, path, rule }
}

/// A page of the app: it answers `GET`.
const fn page(path: &'static str, rule: Rule) -> RoutePolicy {
    route("GET", path, rule)
}

/// A server function of the app (`/rpc/…`, any method).
const fn server_fn(path: &'static str, rule: Rule) -> RoutePolicy {
    route("*", path, rule)
}

use Action::{Create, Delete, Export, Read, Update};
use Rule::{AdminOnly, Can, Public, SignedIn};

/// The policy of every page and server function of the Leptos app. **A new page or server
/// function gets one line here**; without one it is admin-only. REST routes declare their rule
/// where they are routed (`api.route(rule, routes!(handler))` in `server/src/http`), the generic
/// resources follow [`may`]; the server's `http::route_table()` lists all of them together.
pub static APP_POLICIES: &[RoutePolicy] = &[
    // Pages. Signing in needs no sign-in; a page a role may not use answers 403.
    page("/login", Public),
    page("/setup", Public),
    page("/", Can("accounts", Read)),
    page("/tech", Can("visits", Update)),
    page("/planner", Can("territories", Update)),
    page("/admin", AdminOnly),
    page("/analytics", Can("analytics", Read)),
    page("/leads", Can("leads", Update)),
    page("/pipeline", Can("opportunities", Read)),
    page("/today", Can("tasks", Read)),
    page("/import", Can("accounts", Action::Import)),
    // The accounts workspace: the list, a new account (before the account page, whose `{id}`
    // would match "new" too), the customer 360.
    page("/accounts", Can("accounts", Read)),
    page("/accounts/new", Can("accounts", Create)),
    page("/accounts/{id}", Can("accounts", Read)),
    // Sales (issue 18): the catalogue for those who run sales (admins edit it), quotes and
    // orders for whoever sells; the data comes from the REST API, which scopes it.
    page("/catalogue", Can("products", Export)),
    page("/quotes/{id}", Can("quotes", Read)),
    page("/quotes/{id}/print", Can("quotes", Read)),
    page("/orders", Can("orders", Read)),
    page("/orders/{id}", Can("orders", Read)),
    // The service desk (issue 17): the case queue for whoever works cases, the call centre for
    // whoever opens them, and the public "report a problem" form for anybody.
    page("/cases", Can("cases", Read)),
    page("/call-centre", Can("cases", Create)),
    page("/report", Public),
    // The satisfaction survey behind an e-mailed link (issue 17): whoever holds the link.
    page("/survey/{id}", Public),
    // Campaigns (issue 16): the segment editor for whoever reads segments, the campaigns for
    // whoever runs them; the data comes from the REST API, which scopes it.
    page("/segments", Can("segments", Read)),
    page("/campaigns", Can("campaigns", Read)),
    page("/campaigns/new", Can("campaigns", Create)),
    page("/campaigns/{id}", Can("campaigns", Read)),
    // Server functions of the pages.
    server_fn("/rpc/filter_options", SignedIn),
    server_fn("/rpc/dashboard_kpis", Can("accounts", Read)),
    server_fn("/rpc/dashboard_list", Can("accounts", Read)),
    server_fn("/rpc/log_activity", Can("activities", Create)),
    server_fn("/rpc/open_case", Can("cases", Create)),
    server_fn("/rpc/dashboard_summary", SignedIn),
    server_fn("/rpc/map_settings", SignedIn),
    server_fn("/rpc/account_panel", Can("accounts", Read)),
    server_fn("/rpc/nearby_prospects", Can("accounts", Read)),
    server_fn("/rpc/admin_overview", AdminOnly),
    server_fn("/rpc/admin_add_user", AdminOnly),
    server_fn("/rpc/admin_reset_password", AdminOnly),
    server_fn("/rpc/admin_new_token", AdminOnly),
    server_fn("/rpc/admin_revoke_token", AdminOnly),
];

/// Does `path` match `pattern` (`{name}` matches one non-empty segment)?
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pattern = pattern.split('/');
    let mut path = path.split('/');
    loop {
        match (pattern.next(), path.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p.starts_with('{') && p.ends_with('}') && !s.is_empty() => {}
            (Some(p), Some(s)) if p == s => {}
            _ => return false,
        }
    }
}

/// The line of [`APP_POLICIES`] for a page or server function request, if it has one.
pub fn declared_rule(method: &str, path: &str) -> Option<Rule> {
    APP_POLICIES
        .iter()
        .find(|p| (p.method == "*" || p.method == method) && path_matches(p.path, path))
        .map(|p| p.rule)
}

/// The rule for a page or server function request: its line in [`APP_POLICIES`], else
/// admin-only (deny by default). Server functions check it in-process too, e.g.
/// `rule_for("POST", "/rpc/admin_overview")`, since server rendering calls them without HTTP.
pub fn rule_for(method: &str, path: &str) -> Rule {
    declared_rule(method, path).unwrap_or(AdminOnly)
}

/// The rule of a generic resource route (`/api/v1/{resource}` and `/api/v1/{resource}/{id}`):
/// the [`may`] matrix for the action the method means, `None` for a method the route lacks.
pub fn generic_rule(resource: &'static str, method: &str, item: bool) -> Option<Rule> {
    let action = match (method, item) {
        ("GET", _) => Read,
        ("POST", false) => Create,
        ("PATCH", true) => Update,
        ("DELETE", true) => Delete,
        _ => return None,
    };
    Some(Can(resource, action))
}

impl Rule {
    /// Whether a caller (`None`: not signed in) passes this rule.
    pub fn admits(self, caller: Option<&Caller>) -> bool {
        match (self, caller) {
            (Rule::Public, _) => true,
            (_, None) => false,
            (Rule::SignedIn, Some(_)) => true,
            (Rule::Can(resource, action), Some(c)) => may(c.role, resource, action),
            (Rule::AdminOnly, Some(c)) => c.is_admin(),
        }
    }
}

/// Fields whose values identify or describe a person: names, contact details, free text that
/// people write about a customer (notes, outcomes, case texts, a deal's lost reason, a quote's
/// terms), the customer's own identifiers and labels (external id, tags) and secrets.
pub const PERSONAL_FIELDS: &[&str] = &[
    "name",
    "email",
    "phone",
    "title",
    "address",
    "notes",
    "body",
    "outcome",
    "subject",
    "description",
    "resolution",
    "lost_reason",
    "terms",
    "external_id",
    "tags",
    "password",
    "password_hash",
];

/// Fields whose values say where a person is or lives: an account's position, a staff member's
/// home, a technician's check-in position and the measures derived from it.
pub const LOCATION_FIELDS: &[&str] = &[
    "lon",
    "lat",
    "home_lon",
    "home_lat",
    "checkin_lon",
    "checkin_lat",
    "checkin_accuracy_m",
    "checkin_distance_m",
    "accuracy_m",
    "distance_m",
];

/// What an audit entry or a kept payload shows instead of a personal or location value.
pub const REDACTED: &str = "[personal]";

/// Whether a field's value is personal or location data ([`PERSONAL_FIELDS`],
/// [`LOCATION_FIELDS`]): the audit log records that it changed, never its value.
pub fn is_personal(field: &str) -> bool {
    PERSONAL_FIELDS.contains(&field) || LOCATION_FIELDS.contains(&field)
}

/// `changes` with the value of every personal or location field replaced by [`REDACTED`]
/// (nulls stay null: "cleared" tells nothing about the person). Applied to every audit entry
/// as it is written, and by erasure to entries written before the classification grew.
pub fn redact(changes: Map<String, Value>) -> Map<String, Value> {
    changes
        .into_iter()
        .map(|(field, value)| {
            let shown = if is_personal(&field) && !value.is_null() {
                Value::from(REDACTED)
            } else {
                value
            };
            (field, shown)
        })
        .collect()
}

/// Bookkeeping columns that change with every write and say nothing about the change.
const BOOKKEEPING: &[&str] = &["id", "version", "created_at", "updated_at"];

/// What an audit entry records of a change: every field whose value differs between `old`
/// (none for a creation) and `new`, with its new value, or [`REDACTED`] for personal and
/// location fields.
pub fn audit_changes(
    old: Option<&Map<String, Value>>,
    new: &Map<String, Value>,
) -> Map<String, Value> {
    redact(
        new.iter()
            .filter(|(field, _)| !BOOKKEEPING.contains(&field.as_str()))
            .filter(|(field, value)| match old {
                Some(old) => old.get(*field) != Some(*value),
                None => !value.is_null(),
            })
            .map(|(field, value)| (field.clone(), value.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn caller(role: Role, staff_id: Option<i64>, region: Vec<i64>) -> Caller {
        Caller {
            user_id: 1,
            email: "x@example.com".into(),
            role,
            staff_id,
            region,
        }
    }

    #[test]
    fn pages_and_server_functions_without_a_line_are_admin_only() {
        assert_eq!(rule_for("POST", "/rpc/some_new_function"), AdminOnly);
        assert_eq!(declared_rule("POST", "/rpc/some_new_function"), None);
        assert_eq!(rule_for("GET", "/some_new_page"), AdminOnly);
        assert_eq!(rule_for("GET", "/api/v1/users"), AdminOnly);
        assert!(!AdminOnly.admits(Some(&caller(Role::Manager, None, vec![]))));
        assert!(AdminOnly.admits(Some(&caller(Role::Admin, None, vec![]))));
        assert!(!AdminOnly.admits(None));
    }

    #[test]
    fn pages_and_server_functions_have_their_lines() {
        assert_eq!(
            rule_for("POST", "/rpc/account_panel"),
            Can("accounts", Read)
        );
        assert_eq!(rule_for("GET", "/rpc/account_panel"), Can("accounts", Read));
        assert_eq!(rule_for("POST", "/rpc/admin_overview"), AdminOnly);
        assert_eq!(
            declared_rule("POST", "/rpc/admin_overview"),
            Some(AdminOnly)
        );
        assert_eq!(rule_for("GET", "/login"), Public);
        assert_eq!(rule_for("GET", "/planner"), Can("territories", Update));
        assert_eq!(rule_for("POST", "/planner"), AdminOnly, "pages answer GET");
        let rep = caller(Role::SalesRep, Some(4), vec![]);
        assert!(!rule_for("GET", "/admin").admits(Some(&rep)));
        assert!(!rule_for("GET", "/planner").admits(Some(&rep)));
        assert!(rule_for("GET", "/").admits(Some(&rep)));
        assert!(Public.admits(None));
        assert!(!SignedIn.admits(None));
    }

    #[test]
    fn generic_routes_follow_the_matrix() {
        assert_eq!(
            generic_rule("contacts", "GET", true),
            Some(Can("contacts", Read))
        );
        assert_eq!(
            generic_rule("contacts", "POST", false),
            Some(Can("contacts", Create))
        );
        assert_eq!(
            generic_rule("visits", "PATCH", true),
            Some(Can("visits", Update))
        );
        assert_eq!(generic_rule("contacts", "PATCH", false), None);
        assert_eq!(generic_rule("contacts", "PUT", true), None);
        assert_eq!(generic_rule("contacts", "POST", true), None);
    }

    #[test]
    fn paths_match_segment_by_segment() {
        assert!(path_matches("/api/v1/accounts/{id}", "/api/v1/accounts/5"));
        assert!(!path_matches("/api/v1/accounts/{id}", "/api/v1/accounts/"));
        assert!(!path_matches(
            "/api/v1/accounts/{id}",
            "/api/v1/accounts/5/history"
        ));
        assert!(!path_matches("/api/v1/accounts", "/api/v1/accounts/5"));
    }

    #[test]
    fn each_role_gets_its_rows() {
        assert_eq!(
            caller(Role::Admin, None, vec![]).account_scope(),
            AccountScope::All
        );
        assert_eq!(
            caller(Role::Planner, None, vec![]).account_scope(),
            AccountScope::All
        );
        assert_eq!(
            caller(Role::Manager, None, vec![]).account_scope(),
            AccountScope::All
        );
        assert_eq!(
            caller(Role::Manager, None, vec![2, 3]).account_scope(),
            AccountScope::Territories(vec![2, 3])
        );
        assert_eq!(
            caller(Role::SalesRep, Some(4), vec![]).account_scope(),
            AccountScope::Rep { staff_id: 4 }
        );
        assert_eq!(
            caller(Role::SalesRep, None, vec![]).account_scope(),
            AccountScope::Nothing
        );
        assert_eq!(
            caller(Role::Technician, Some(9), vec![]).account_scope(),
            AccountScope::VisitedBy { staff_id: 9 }
        );
        let tech = caller(Role::Technician, Some(9), vec![]);
        assert_eq!(
            tech.row_scope("visits"),
            RowScope::Own {
                column: "technician_id",
                staff_id: 9
            }
        );
        assert_eq!(tech.row_scope("contacts"), RowScope::ByAccount);
        assert_eq!(tech.row_scope("staff"), RowScope::All);
        assert_eq!(tech.row_scope("territory_drafts"), RowScope::Nothing);
        let admin = caller(Role::Admin, None, vec![]);
        assert_eq!(admin.row_scope("contacts"), RowScope::All);
        assert_eq!(admin.row_scope("territory_drafts"), RowScope::All);
    }

    #[test]
    fn a_technician_adds_only_what_lies_along_the_day() {
        let at = |lon, lat| crate::LonLat::new(lon, lat).unwrap();
        // Home in Bandung, one stop about 40 km east.
        let places = [at(107.6, -6.9), at(107.96, -6.9)];
        // Halfway along the leg, 2 km off it: along the day, though 18 km from either end.
        assert!(along_the_day(&places, at(107.78, -6.918)));
        // Near the home base alone.
        assert!(along_the_day(&places, at(107.62, -6.91)));
        // 20 km off the leg, and far from everything.
        assert!(!along_the_day(&places, at(107.78, -7.08)));
        assert!(!along_the_day(&places, at(110.4, -7.0)));
        assert!(!along_the_day(&[], at(107.6, -6.9)));
    }

    #[test]
    fn scoped_callers_only_create_accounts_they_may_hold() {
        let rep = AccountScope::Rep { staff_id: 4 };
        assert!(rep.may_hold(Some(4), None));
        assert!(!rep.may_hold(Some(5), None));
        assert!(!rep.may_hold(None, Some(1)));
        let region = AccountScope::Territories(vec![1, 2]);
        assert!(region.may_hold(None, Some(2)));
        assert!(!region.may_hold(Some(4), Some(3)));
        assert!(!region.may_hold(Some(4), None));
        assert!(AccountScope::All.may_hold(None, None));
    }

    #[test]
    fn audit_entries_name_changed_fields_without_copying_personal_values() {
        let old = json!({"id": 1, "name": "Ani", "status": "new", "phone": null, "version": 1});
        let new = json!({"id": 1, "name": "Ani Wijaya", "status": "contacted", "phone": null, "version": 2});
        let changes = audit_changes(old.as_object(), new.as_object().unwrap());
        assert_eq!(
            Value::Object(changes),
            json!({"name": "[personal]", "status": "contacted"})
        );
        let created = audit_changes(None, new.as_object().unwrap());
        assert_eq!(
            Value::Object(created),
            json!({"name": "[personal]", "status": "contacted"})
        );
    }

    #[test]
    fn positions_identifiers_tags_and_lost_reasons_are_never_copied_into_the_log() {
        let created = json!({
            "id": 7, "name": "Toko Ani", "lon": 106.8, "lat": -6.2, "external_id": "C-1",
            "tags": ["vip"], "lost_reason": "moved away", "segment": "retail",
            "checkin_lon": 106.81, "checkin_lat": -6.21, "home_lon": null, "revenue_minor": 5
        });
        let changes = audit_changes(None, created.as_object().unwrap());
        assert_eq!(
            Value::Object(changes),
            json!({
                "name": REDACTED, "lon": REDACTED, "lat": REDACTED, "external_id": REDACTED,
                "tags": REDACTED, "lost_reason": REDACTED, "segment": "retail",
                "checkin_lon": REDACTED, "checkin_lat": REDACTED, "revenue_minor": 5
            })
        );
    }

    #[test]
    fn redaction_keeps_the_field_names_and_is_idempotent() {
        let old_entry =
            json!({"lon": 106.8, "notes": "gate code 1234", "status": "done", "tags": null});
        let once = redact(old_entry.as_object().unwrap().clone());
        assert_eq!(
            Value::Object(once.clone()),
            json!({"lon": REDACTED, "notes": REDACTED, "status": "done", "tags": null})
        );
        assert_eq!(redact(once.clone()), once);
    }
}
