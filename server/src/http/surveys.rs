//! `/api/v1/surveys` (issue 17 item 6, docs/service.md): customer satisfaction after a case is
//! resolved or a visit done — the results per staff member, case category and territory over
//! the caller's accounts, the latest answers, the sweep by hand, and the public link's two
//! routes (read the invitation, answer once).

use axum::Json;
use axum::extract::Path;
use chrono::{Days, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Read};
use wilayah_shared::access::Rule::{Can, Public};
use wilayah_shared::surveys::{Answer, Grouping, Summary, summarise};

use super::declare::Api;
use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery};
use super::scope::{Scoped, SurveyLink};
use crate::db::AnsweredSurvey;

pub fn declare(api: Api) -> Api {
    api.route(Can("surveys", Read), routes!(results))
        .route(Can("surveys", Read), routes!(answers))
        .route(Can("surveys", Create), routes!(sweep))
        .route(Public, routes!(invitation))
        .route(Public, routes!(answer))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultsQuery {
    group: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
}

/// `from..=to` as days of the deployment (default: the 90 days up to today), and the answers
/// of the caller's accounts in them.
async fn answered_in(
    scoped: &Scoped,
    q: &ResultsQuery,
) -> Result<(NaiveDate, NaiveDate, Vec<AnsweredSurvey>), ApiError> {
    let day = |field: &'static str, v: Option<&str>| -> Result<Option<NaiveDate>, ApiError> {
        v.map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_field(field, format!("expected a date YYYY-MM-DD, got {v:?}"))
            })
        })
        .transpose()
    };
    let to = day("to", q.to.as_deref())?.unwrap_or_else(|| scoped.today());
    let from = day("from", q.from.as_deref())?
        .unwrap_or_else(|| to.checked_sub_days(Days::new(89)).unwrap_or(to));
    if from > to {
        return Err(ApiError::bad_field("from", "must not be after to"));
    }
    let offset = scoped.state().utc_offset;
    let start = |d: NaiveDate| {
        d.and_time(NaiveTime::MIN)
            .and_local_timezone(offset)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now)
    };
    let end = to.checked_add_days(Days::new(1)).unwrap_or(to);
    let answers = scoped.answered_surveys(start(from), start(end)).await?;
    Ok((from, to, answers))
}

fn summary_json(s: &Summary) -> Value {
    json!({"answered": s.answered, "mean": s.mean, "csat": s.csat, "counts": s.counts})
}

/// `GET /surveys/results?group=staff|category|territory&from=&to=`
#[utoipa::path(get, path = "/surveys/results", tag = "cases",
    summary = "Customer satisfaction over the caller's accounts: the answers (1 to 5) given in the period, overall and per group — the staff member who served (the visit's technician or the case's assignee), the case category, or the account's territory — with the count, the mean, CSAT (the share of 4 and 5) and the answers per score",
    params(("group" = Option<String>, Query, description = "staff (default), category or territory"),
        ("from" = Option<String>, Query, format = Date, description = "Default: 89 days before to"),
        ("to" = Option<String>, Query, format = Date, description = "Default: today")),
    responses((status = 200, description = "The results", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error"))))]
async fn results(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<ResultsQuery>,
) -> Result<Json<Value>, ApiError> {
    let group = match q.group.as_deref() {
        None => Grouping::Staff,
        Some(g) => Grouping::parse(g).ok_or_else(|| {
            ApiError::bad_field(
                "group",
                format!("{g:?} is not one of staff, category, territory"),
            )
        })?,
    };
    let (from, to, answers) = answered_in(&scoped, &q).await?;
    let score = |a: &AnsweredSurvey| u8::try_from(a.score).unwrap_or(0);
    let overall = Summary::of(answers.iter().map(score));
    // Group key: (id or code, name).
    let key = |a: &AnsweredSurvey| -> (Option<String>, Option<String>) {
        match group {
            Grouping::Staff => (a.staff_id.map(|i| i.to_string()), a.staff_name.clone()),
            Grouping::Category => (a.category.clone(), None),
            Grouping::Territory => (
                a.territory_id.map(|i| i.to_string()),
                a.territory_name.clone(),
            ),
        }
    };
    let groups: Vec<Value> = summarise(answers.iter().map(|a| (key(a), score(a))))
        .into_iter()
        .map(|((id, name), s)| {
            let id = match group {
                Grouping::Category => json!(id),
                _ => json!(id.and_then(|i| i.parse::<i64>().ok())),
            };
            let mut v = summary_json(&s);
            v["key"] = id;
            v["name"] = json!(name);
            v
        })
        .collect();
    Ok(Json(json!({
        "group": group.as_str(), "from": from, "to": to,
        "overall": overall.as_ref().map(summary_json),
        "groups": groups,
    })))
}

/// `GET /surveys?from=&to=&limit=`
#[utoipa::path(get, path = "/surveys", tag = "cases",
    summary = "The latest answers at the caller's accounts, newest first: score, comment, the case or visit, who served, how it was answered (email link or tablet)",
    params(("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date),
        ("limit" = Option<usize>, Query, description = "At most (default 50, at most 1000)")),
    responses((status = 200, description = "The answers", body = Object),
        (status = 400, description = "A parameter does not parse (named)", body = ref("#/components/schemas/Error"))))]
async fn answers(
    scoped: Scoped,
    ApiQuery(q): ApiQuery<ResultsQuery>,
) -> Result<Json<Value>, ApiError> {
    if q.group.is_some() {
        return Err(ApiError::bad_field("group", "is for /surveys/results"));
    }
    let limit = match q.limit.as_deref() {
        None => 50,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::bad_field("limit", "must be between 1 and 1000"))?,
    };
    let (from, to, answers) = answered_in(&scoped, &q).await?;
    let total = answers.len();
    let items: Vec<Value> = answers
        .into_iter()
        .take(limit)
        .map(|a| {
            json!({"id": a.id, "account_id": a.account_id, "account_name": a.account_name,
                   "case_id": a.case_id, "visit_id": a.visit_id, "staff_id": a.staff_id,
                   "staff_name": a.staff_name, "category": a.category, "territory_id": a.territory_id,
                   "score": a.score, "comment": a.comment, "answered_via": a.answered_via,
                   "answered_at": a.answered_at})
        })
        .collect();
    Ok(Json(
        json!({"from": from, "to": to, "total": total, "items": items}),
    ))
}

/// `POST /surveys/sweep`
#[utoipa::path(post, path = "/surveys/sweep", tag = "cases",
    summary = "Open the surveys due now (the server does it every minute): one per case resolved or closed and per visit done in the last 14 days that has none, e-mailed to the account's first contact with an address who has not refused e-mail",
    responses((status = 200, description = "How many were opened", body = Object)))]
async fn sweep(scoped: Scoped) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"opened": scoped.open_surveys_now().await?})))
}

/// `GET /public/surveys/{token}`
#[utoipa::path(get, path = "/public/surveys/{id}", tag = "cases", security(()),
    summary = "The survey behind an e-mailed link, with no sign-in: who asks (the account's name), about what (the case's subject, or the visit's time), and whether it was answered",
    params(("id" = String, Path, description = "The token of the e-mailed link")),
    responses((status = 200, description = "The invitation", body = Object),
        (status = 404, description = "No such survey", body = ref("#/components/schemas/Error"))))]
async fn invitation(link: SurveyLink, Path(token): Path<String>) -> Result<Json<Value>, ApiError> {
    let invite = link.invite(&token).await?;
    Ok(Json(json!({
        "account_name": invite.account_name,
        "about": if invite.case_subject.is_some() { "case" } else { "visit" },
        "case_subject": invite.case_subject,
        "visit_at": invite.visit_at,
        "answered": invite.score.is_some(),
    })))
}

/// `POST /public/surveys/{token} {score, comment}`
#[utoipa::path(post, path = "/public/surveys/{id}", tag = "cases", security(()),
    summary = "Answer the survey behind a link, with no sign-in: a score from 1 to 5 and an optional comment; the first answer stands and goes into the customer's history",
    params(("id" = String, Path, description = "The token of the e-mailed link")),
    request_body = Object,
    responses((status = 200, description = "Recorded", body = Object),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 404, description = "No such survey", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Answered already", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Score out of 1 to 5, or comment too long (named)", body = ref("#/components/schemas/Error"))))]
async fn answer(
    link: SurveyLink,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<Answer>,
) -> Result<Json<Value>, ApiError> {
    link.answer(&token, body).await?;
    Ok(Json(json!({"recorded": true})))
}
