//! One declaration per REST route gives its router, its policy and its OpenAPI entry, so the
//! three cannot drift: `api.route(Can("accounts", Read), routes!(accounts::list))` routes the
//! handler at the path its `#[utoipa::path]` names, enforces the rule on exactly that route and
//! records (method, path, rule) in the table that `route_table()` and the access-matrix test
//! read. A route cannot exist without a rule, and a rule cannot name a path no handler serves.
//!
//! Pages and server functions keep their lines in `wilayah_shared::access::APP_POLICIES` (the
//! app looks them up in-process); [`route_table`] lists them next to the REST routes.

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::Response;
use axum::routing::MethodRouter;
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::PathItem;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use wilayah_shared::access::{self, Rule};

use crate::AppState;

/// A REST route's declared policy: method, path as routed, rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub method: &'static str,
    pub path: String,
    pub rule: Rule,
}

/// The REST routes being declared: the router, its OpenAPI paths and the policy of each route.
#[derive(Default)]
pub struct Api {
    router: OpenApiRouter<AppState>,
    policies: Vec<Declared>,
}

/// The methods a path item has operations for.
fn methods(item: &PathItem) -> Vec<&'static str> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
        ("HEAD", &item.head),
        ("OPTIONS", &item.options),
        ("TRACE", &item.trace),
        ("QUERY", &item.query),
    ]
    .into_iter()
    .filter(|(_, operation)| operation.is_some())
    .map(|(method, _)| method)
    .collect()
}

/// Runs the request only if `rule` admits its caller (which the guard put in its extensions).
async fn enforce(rule: Rule, request: Request, next: Next) -> Response {
    match super::auth::refusal(rule, &request) {
        Some(refused) => refused,
        None => next.run(request).await,
    }
}

fn guarded(rule: Rule, method_router: MethodRouter<AppState>) -> MethodRouter<AppState> {
    method_router.route_layer(from_fn(move |request: Request, next: Next| {
        enforce(rule, request, next)
    }))
}

impl Api {
    /// Routes the operations of `routes!(…)` with `rule` enforced on each, documented by their
    /// `#[utoipa::path]`, and records their policy.
    pub fn route(mut self, rule: Rule, declared: UtoipaMethodRouter<AppState>) -> Self {
        let (schemas, paths, method_router) = declared;
        for (path, item) in &paths.paths {
            for method in methods(item) {
                self.policies.push(Declared {
                    method,
                    path: path.clone(),
                    rule,
                });
            }
        }
        self.router = self
            .router
            .routes((schemas, paths, guarded(rule, method_router)));
        self
    }

    /// A route documented elsewhere (the generic resources, whose OpenAPI comes from their
    /// spec; the sign-in forms, which are not API): routed and recorded the same way.
    pub fn route_undocumented(
        mut self,
        method: &'static str,
        path: &str,
        rule: Rule,
        method_router: MethodRouter<AppState>,
    ) -> Self {
        self.policies.push(Declared {
            method,
            path: path.to_owned(),
            rule,
        });
        self.router = self.router.route(path, guarded(rule, method_router));
        self
    }

    pub fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.policies.extend(other.policies);
        self
    }

    /// Applies `f` to the router (a layer over these routes, such as compression).
    pub fn map(
        mut self,
        f: impl FnOnce(OpenApiRouter<AppState>) -> OpenApiRouter<AppState>,
    ) -> Self {
        self.router = f(self.router);
        self
    }

    /// Under `prefix`: paths, OpenAPI paths and policies all get it.
    pub fn nest(self, prefix: &str, inner: Api) -> Self {
        let policies = inner.policies.into_iter().map(|p| Declared {
            path: format!("{prefix}{}", p.path),
            ..p
        });
        let mut outer = self;
        outer.policies.extend(policies);
        outer.router = outer.router.nest(prefix, inner.router);
        outer
    }

    pub fn into_parts(self) -> (Router<AppState>, OpenApi, Vec<Declared>) {
        let (router, openapi) = self.router.split_for_parts();
        (router, openapi, self.policies)
    }
}

/// What kind of thing a line of the route table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Rest,
    Page,
    ServerFn,
}

/// One line of the route table: every REST route, page and server function the server answers,
/// with its rule (`None`: no explicit policy, so admin-only by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub surface: Surface,
    pub method: String,
    pub path: String,
    pub rule: Option<Rule>,
}

/// Every REST route (from the declarations), page (from the app's route list) and server
/// function (from Leptos's registry), each with its policy.
pub fn route_table() -> Vec<RouteEntry> {
    let mut table: Vec<RouteEntry> = super::declared_policies()
        .into_iter()
        .map(|d| RouteEntry {
            surface: Surface::Rest,
            method: d.method.to_owned(),
            path: d.path,
            rule: Some(d.rule),
        })
        .collect();
    for page in leptos_axum::generate_route_list(wilayah_app::App) {
        let path = page.path().to_owned();
        table.push(RouteEntry {
            surface: Surface::Page,
            method: "GET".into(),
            rule: access::declared_rule("GET", &path),
            path,
        });
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        table.push(RouteEntry {
            surface: Surface::ServerFn,
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            rule: access::declared_rule(method.as_str(), path),
        });
    }
    table.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    table
}
