//! `/api/v1/campaigns` (issue 16 item 2): campaigns — name, objective, offer, channel, budget,
//! period, owner, target segment — launched once (the recipients frozen with the reason each
//! one left out was left out), their recipients at the caller's accounts, and the file of the
//! eligible ones for the export channel. The rules are on the scoped handle (`scope::campaigns`).

use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::routes;
use wilayah_shared::access::Action::{Create, Delete, Export, Read, Update};
use wilayah_shared::access::Rule::{Can, Public};
use wilayah_shared::campaigns::{
    Campaign, CampaignView, NewCampaign, Recipient, Tally, recipients_to_csv,
};

use super::declare::Api;
use super::error::ApiError;
use super::extract::ApiJson;
use super::scope::{OptOut, Scoped};

pub fn declare(api: Api) -> Api {
    api.route(Can("campaigns", Read), routes!(list))
        .route(Can("campaigns", Create), routes!(create))
        .route(Can("campaigns", Read), routes!(get))
        .route(Can("campaigns", Update), routes!(update))
        .route(Can("campaigns", Delete), routes!(delete))
        .route(Can("campaigns", Update), routes!(launch))
        .route(Can("campaigns", Read), routes!(recipients))
        .route(Can("campaigns", Export), routes!(export))
        .route(Public, routes!(unsubscribe))
}

/// `GET /campaigns`
#[utoipa::path(get, path = "/campaigns", tag = "campaigns",
    summary = "Every campaign, newest first, each with its recipients at the caller's accounts counted (`tally`, as on one campaign)",
    responses((status = 200, description = "The campaigns", body = Object)))]
async fn list(scoped: Scoped) -> Result<Json<Vec<CampaignView>>, ApiError> {
    let mut out = Vec::new();
    for campaign in scoped.campaigns().await? {
        let recipients = scoped.campaign_recipients(campaign.id).await?;
        out.push(CampaignView {
            campaign,
            tally: Tally::of(&recipients),
        });
    }
    Ok(Json(out))
}

/// `POST /campaigns` → 201
#[utoipa::path(post, path = "/campaigns", tag = "campaigns",
    summary = "Create a draft campaign run by the caller: name, objective, offer, channel (email, call_list, export), budget_minor with currency, starts_on, ends_on, segment_id, control_share (0 to 0.5) and, for e-mail, templates {en, id} of {subject, body} with merge fields {{customer}}, {{contact}}, {{offer}}, {{unsubscribe}}",
    request_body = Object,
    responses((status = 201, description = "Created", body = Object),
        (status = 400, description = "Malformed body", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A rule broken (field named)", body = ref("#/components/schemas/Error"))))]
async fn create(
    scoped: Scoped,
    ApiJson(body): ApiJson<NewCampaign>,
) -> Result<impl IntoResponse, ApiError> {
    let campaign = scoped.create_campaign(body).await?;
    let location = format!("/api/v1/campaigns/{}", campaign.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(campaign),
    ))
}

/// `GET /campaigns/{id}`
#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns",
    summary = "A campaign, with its recipients at the caller's accounts counted (`tally`: recipients, eligible, excluded per reason, sending states)",
    params(("id" = i64, Path, description = "The campaign")),
    responses((status = 200, description = "The campaign", body = Object),
        (status = 404, description = "No such campaign", body = ref("#/components/schemas/Error"))))]
async fn get(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<CampaignView>, ApiError> {
    let campaign = scoped.campaign(id).await?;
    let recipients = scoped.campaign_recipients(id).await?;
    Ok(Json(CampaignView {
        campaign,
        tally: Tally::of(&recipients),
    }))
}

/// `PATCH /campaigns/{id}`
#[utoipa::path(patch, path = "/campaigns/{id}", tag = "campaigns",
    summary = "Change a draft campaign still at `version` (the whole campaign, as on create)",
    params(("id" = i64, Path, description = "The campaign")),
    request_body = Object,
    responses((status = 200, description = "Changed", body = Object),
        (status = 404, description = "No such campaign", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "A rule broken, or the campaign is no longer a draft (field status)", body = ref("#/components/schemas/Error"))))]
async fn update(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewCampaign>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(scoped.update_campaign(id, body).await?))
}

/// `DELETE /campaigns/{id}` → 204
#[utoipa::path(delete, path = "/campaigns/{id}", tag = "campaigns",
    summary = "Delete a campaign and its recipients (the lines in the customers' histories stay)",
    params(("id" = i64, Path, description = "The campaign")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such campaign", body = ref("#/components/schemas/Error"))))]
async fn delete(scoped: Scoped, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    scoped.delete_campaign(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LaunchBody {
    version: i64,
}

/// `POST /campaigns/{id}/launch {"version"}`
#[utoipa::path(post, path = "/campaigns/{id}/launch", tag = "campaigns",
    summary = "Launch a draft: its segment's members among the caller's accounts now are frozen as recipients, one per contact, each eligible or left out for a reason (no_consent for the channel, no_address on it, control_group, running_campaign with the same objective), in one transaction; each reached customer's history gets a line",
    params(("id" = i64, Path, description = "The campaign")),
    request_body = Object,
    responses((status = 200, description = "The running campaign", body = Object),
        (status = 404, description = "No such campaign", body = ref("#/components/schemas/Error")),
        (status = 409, description = "Stale version", body = ref("#/components/schemas/Error")),
        (status = 422, description = "Not a draft (field status), or its segment was deleted (segment_id)", body = ref("#/components/schemas/Error"))))]
async fn launch(
    scoped: Scoped,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<LaunchBody>,
) -> Result<Json<Campaign>, ApiError> {
    Ok(Json(scoped.launch_campaign(id, body.version).await?))
}

/// `GET /campaigns/{id}/recipients`
#[utoipa::path(get, path = "/campaigns/{id}/recipients", tag = "campaigns",
    summary = "The frozen recipients at the caller's accounts, by account then contact: each with its address on the channel, why it was left out (`excluded`) if it was, and its sending state",
    params(("id" = i64, Path, description = "The campaign")),
    responses((status = 200, description = "The recipients", body = Object),
        (status = 404, description = "No such campaign", body = ref("#/components/schemas/Error"))))]
async fn recipients(scoped: Scoped, Path(id): Path<i64>) -> Result<Json<Vec<Recipient>>, ApiError> {
    Ok(Json(scoped.campaign_recipients(id).await?))
}

/// `GET /campaigns/{id}/export`
#[utoipa::path(get, path = "/campaigns/{id}/export", tag = "campaigns",
    summary = "The eligible recipients at the caller's accounts as CSV (consent for the channel granted, an address, not held out), for providers the app does not drive (SMS, WhatsApp, letters)",
    params(("id" = i64, Path, description = "The campaign")),
    responses((status = 200, description = "The file", content((String = "text/csv"))),
        (status = 404, description = "No such campaign", body = ref("#/components/schemas/Error"))))]
async fn export(scoped: Scoped, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let campaign = scoped.campaign(id).await?;
    let recipients = scoped.campaign_recipients(id).await?;
    Ok(super::csv_file(
        &format!("campaign-{id}"),
        recipients_to_csv(campaign.channel, &recipients),
    ))
}

/// `GET /unsubscribe/{token}`: the link in every campaign e-mail.
#[utoipa::path(get, path = "/unsubscribe/{id}", tag = "campaigns",
    summary = "The unsubscribe link of a campaign e-mail (no sign-in): the recipient's contact refuses e-mail from today, its pending campaign e-mails are skipped, and the customer's history says so; a page in Bahasa Indonesia and English",
    params(("id" = String, Path, description = "The recipient's token")),
    responses((status = 200, description = "Unsubscribed", content((String = "text/html"))),
        (status = 404, description = "No such link", content((String = "text/html")))))]
async fn unsubscribe(opt_out: OptOut, Path(token): Path<String>) -> Result<Response, ApiError> {
    let (status, id, en) = if opt_out.unsubscribe(&token).await? {
        (
            StatusCode::OK,
            "Anda tidak akan menerima e-mail kampanye lagi.",
            "You will receive no more campaign e-mails.",
        )
    } else {
        (
            StatusCode::NOT_FOUND,
            "Tautan ini tidak dikenal.",
            "This link is not known.",
        )
    };
    let page = format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Wilayah</title></head>\
         <body><p data-testid=\"unsubscribed\">{id}</p><p lang=\"en\">{en}</p></body></html>"
    );
    Ok((
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response())
}
