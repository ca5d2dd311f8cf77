//! The CRM's resources besides accounts, declared for the generic engine in [`crate::resource`].

use serde_json::{Map, Value};

use crate::account::ValidationError;
use crate::domain::check_flow;
use crate::geojson::parse_area;
use crate::money::Currency;
use crate::resource::{Field, FieldType::*, ResourceSpec};

pub(crate) const CURRENCY_DOC: &str = "ISO 4217 code; money fields are integer minor units of it";

pub(crate) fn text<'a>(record: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    record.get(name).and_then(Value::as_str)
}

pub(crate) fn check_currency(record: &Map<String, Value>) -> Result<(), ValidationError> {
    Currency::parse("currency", text(record, "currency").unwrap_or_default()).map(|_| ())
}

/// A status may only move along `allowed` (from, to) pairs; staying put is always fine.
pub(crate) fn check_transition(
    field: &'static str,
    new: &Map<String, Value>,
    old: Option<&Map<String, Value>>,
    allowed: &[(&str, &str)],
) -> Result<(), ValidationError> {
    match (old.and_then(|o| text(o, field)), text(new, field)) {
        (Some(from), Some(to)) => check_flow(field, from, to, allowed),
        _ => Ok(()),
    }
}

/// "Freezer deal: proposal → negotiation" when `field` changed.
fn status_note(
    channel: &'static str,
    field: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Option<(&'static str, String)> {
    let (from, to) = (text(old, field)?, text(new, field)?);
    let what = text(new, "title")
        .or_else(|| text(new, "subject"))
        .unwrap_or(channel);
    (from != to).then(|| (channel, format!("{what}: {from} → {to}")))
}

/// What a contact said about being contacted on a channel.
pub const CONSENT_VALUES: &[&str] = &["granted", "refused"];

/// The channels a contact gives consent for, each with its `consent_<channel>`,
/// `consent_<channel>_on` (the date) and `consent_<channel>_source` fields.
pub const CONSENT_CHANNELS: [&str; 3] = ["email", "sms", "phone"];

static CONTACT_FIELDS: [Field; 14] = [
    Field::new("account_id", Int, "Account the person works at")
        .required()
        .references("accounts")
        .filter()
        .immutable(),
    Field::new("name", Text, "Full name")
        .required()
        .max_chars(200)
        .sort(),
    Field::new("title", Text, "Job title").max_chars(200),
    Field::new("email", Text, "E-mail address")
        .max_chars(200)
        .filter(),
    Field::new("phone", Text, "Phone number").max_chars(50),
    Field::new(
        "consent_email",
        Text,
        "Consent to e-mail: granted or refused (null: never asked)",
    )
    .one_of(CONSENT_VALUES)
    .filter(),
    Field::new(
        "consent_email_on",
        Date,
        "When the e-mail consent was given or refused",
    ),
    Field::new(
        "consent_email_source",
        Text,
        "Where the e-mail consent came from (a form, a call, an event)",
    )
    .max_chars(200),
    Field::new(
        "consent_sms",
        Text,
        "Consent to SMS and WhatsApp: granted or refused (null: never asked)",
    )
    .one_of(CONSENT_VALUES)
    .filter(),
    Field::new(
        "consent_sms_on",
        Date,
        "When the SMS/WhatsApp consent was given or refused",
    ),
    Field::new(
        "consent_sms_source",
        Text,
        "Where the SMS/WhatsApp consent came from",
    )
    .max_chars(200),
    Field::new(
        "consent_phone",
        Text,
        "Consent to phone calls: granted or refused (null: never asked)",
    )
    .one_of(CONSENT_VALUES)
    .filter(),
    Field::new(
        "consent_phone_on",
        Date,
        "When the phone consent was given or refused",
    ),
    Field::new(
        "consent_phone_source",
        Text,
        "Where the phone consent came from",
    )
    .max_chars(200),
];

/// A contact's e-mail must look like one, and a consent answer needs the date it was given.
fn check_contact(new: &Map<String, Value>) -> Result<(), ValidationError> {
    if let Some(e) = text(new, "email")
        && !e.contains('@')
    {
        return Err(
            ValidationError::new("email", format!("{e:?} is not an e-mail address"))
                .because("not_email"),
        );
    }
    for channel in CONSENT_CHANNELS {
        let answered = new
            .get(&format!("consent_{channel}"))
            .is_some_and(|v| !v.is_null());
        let dated = new
            .get(&format!("consent_{channel}_on"))
            .is_some_and(|v| !v.is_null());
        if answered && !dated {
            return Err(ValidationError::new(
                consent_date_field(channel),
                "is required when consent is recorded",
            )
            .because("required"));
        }
    }
    Ok(())
}

/// The date field of a channel's consent, as a static name for errors.
fn consent_date_field(channel: &str) -> &'static str {
    match channel {
        "email" => "consent_email_on",
        "sms" => "consent_sms_on",
        _ => "consent_phone_on",
    }
}

pub static CONTACTS: ResourceSpec = ResourceSpec {
    name: "contacts",
    singular: "contact",
    fields: &CONTACT_FIELDS,
    versioned: true,
    check: Some(|new, _| check_contact(new)),
    history_note: None,
    default_sort: "id",
};

static STAFF_FIELDS: [Field; 8] = [
    Field::new("name", Text, "Full name")
        .required()
        .max_chars(200)
        .sort(),
    Field::new("email", Text, "Login e-mail, unique")
        .required()
        .max_chars(200)
        .filter(),
    Field::new("role", Text, "What the person does")
        .required()
        .one_of(&["admin", "manager", "planner", "sales_rep", "technician"])
        .filter()
        .sort(),
    Field::new("home_lon", Float, "Home base longitude (WGS84)").range(-180.0, 180.0),
    Field::new("home_lat", Float, "Home base latitude (WGS84)").range(-90.0, 90.0),
    Field::new(
        "skills",
        Json,
        "Skills (list of text), matched against visit requirements",
    )
    .defaults_to("[]"),
    Field::new("work_start", Text, "Shift start, local time HH:MM").defaults_to("\"08:00\""),
    Field::new("work_end", Text, "Shift end, local time HH:MM").defaults_to("\"17:00\""),
];

fn minutes_of_day(
    field: &'static str,
    record: &Map<String, Value>,
) -> Result<u32, ValidationError> {
    let bad = || ValidationError::new(field, "expected a time of day like 08:30");
    let (h, m) = text(record, field)
        .and_then(|t| t.split_once(':'))
        .ok_or_else(bad)?;
    match (h.parse::<u32>(), m.parse::<u32>()) {
        (Ok(h), Ok(m))
            if h < 24 && m < 60 && m.to_string().len() <= 2 && h.to_string().len() <= 2 =>
        {
            Ok(h * 60 + m)
        }
        _ => Err(bad()),
    }
}

pub static STAFF: ResourceSpec = ResourceSpec {
    name: "staff",
    singular: "member of staff",
    fields: &STAFF_FIELDS,
    versioned: true,
    check: Some(|new, _| {
        if !text(new, "email").is_some_and(|e| e.contains('@')) {
            return Err(
                ValidationError::new("email", "is not an e-mail address").because("not_email")
            );
        }
        if new["home_lon"].is_null() != new["home_lat"].is_null() {
            return Err(ValidationError::new(
                "home_lat",
                "give both home_lon and home_lat, or neither",
            ));
        }
        let skills_ok = new["skills"].as_array().is_some_and(|s| {
            s.iter()
                .all(|x| x.as_str().is_some_and(|t| !t.trim().is_empty()))
        });
        if !skills_ok {
            return Err(ValidationError::new(
                "skills",
                "expected a list of non-empty texts",
            ));
        }
        if minutes_of_day("work_end", new)? <= minutes_of_day("work_start", new)? {
            return Err(ValidationError::new("work_end", "must be after work_start"));
        }
        Ok(())
    }),
    history_note: None,
    default_sort: "id",
};

static TERRITORY_FIELDS: [Field; 3] = [
    Field::new("name", Text, "Unique name")
        .required()
        .max_chars(200)
        .sort(),
    Field::new("geometry", Json, "GeoJSON Polygon or MultiPolygon (WGS84)").required(),
    Field::new("owner_id", Int, "The rep who owns it")
        .references("staff")
        .filter(),
];

pub static TERRITORIES: ResourceSpec = ResourceSpec {
    name: "territories",
    singular: "territory",
    fields: &TERRITORY_FIELDS,
    versioned: true,
    check: Some(|new, _| parse_area(&new["geometry"].to_string(), "geometry").map(|_| ())),
    history_note: None,
    default_sort: "id",
};

pub const PIPELINE_STAGES: &[&str] = &[
    "lead",
    "qualified",
    "proposal",
    "negotiation",
    "won",
    "lost",
];

static OPPORTUNITY_FIELDS: [Field; 8] = [
    Field::new("account_id", Int, "The account")
        .required()
        .references("accounts")
        .filter()
        .immutable(),
    Field::new("owner_id", Int, "The rep working it")
        .references("staff")
        .filter(),
    Field::new("title", Text, "What is being sold")
        .required()
        .max_chars(200)
        .sort(),
    Field::new(
        "stage",
        Text,
        "lead → qualified → proposal → negotiation → won | lost (any open stage to any other; won and lost are final)",
    )
    .defaults_to("\"lead\"")
    .one_of(PIPELINE_STAGES)
    .filter()
    .sort(),
    Field::new("value_minor", Int, "Expected value in minor units")
        .defaults_to("0")
        .range(0.0, 9.0e15)
        .sort(),
    Field::new("currency", Text, CURRENCY_DOC).defaults_to("\"IDR\""),
    Field::new("expected_close", Date, "Expected close date").sort(),
    Field::new("lost_reason", Text, "Why it was lost (required when lost)").max_chars(500),
];

pub static OPPORTUNITIES: ResourceSpec = ResourceSpec {
    name: "opportunities",
    singular: "opportunity",
    fields: &OPPORTUNITY_FIELDS,
    versioned: true,
    check: Some(|new, old| {
        check_currency(new)?;
        crate::pipeline::check_stage_change(new, old)?;
        if text(new, "stage") == Some("lost") && text(new, "lost_reason").is_none() {
            return Err(ValidationError::new(
                "lost_reason",
                "is required when the stage is lost",
            ));
        }
        Ok(())
    }),
    history_note: Some(|old, new| status_note("pipeline", "stage", old, new)),
    default_sort: "id",
};

pub const ACTIVITY_KINDS: &[&str] = &["call", "email", "meeting", "visit", "note", "complaint"];

static ACTIVITY_FIELDS: [Field; 8] = [
    Field::new("account_id", Int, "The account")
        .required()
        .references("accounts")
        .filter()
        .immutable(),
    Field::new("staff_id", Int, "Who had the contact")
        .references("staff")
        .filter(),
    Field::new("kind", Text, "What happened")
        .required()
        .one_of(ACTIVITY_KINDS)
        .filter(),
    Field::new(
        "channel",
        Text,
        "Where: phone, e-mail, WhatsApp, in person, web, pipeline...",
    )
    .max_chars(50)
    .filter(),
    Field::new("subject", Text, "One line")
        .required()
        .max_chars(200),
    Field::new("body", Text, "Details").max_chars(10_000),
    Field::new("outcome", Text, "Result").max_chars(500),
    Field::new("occurred_at", Timestamp, "When it happened")
        .required()
        .sort(),
];

/// The contact history: append-only, so it has no version and cannot be edited.
pub static ACTIVITIES: ResourceSpec = ResourceSpec {
    name: "activities",
    singular: "activity",
    fields: &ACTIVITY_FIELDS,
    versioned: false,
    check: None,
    history_note: None,
    default_sort: "-occurred_at",
};

/// How urgent a case or a task is.
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

static CASE_FIELDS: [Field; 13] = [
    Field::new("account_id", Int, "The complaining account")
        .required()
        .references("accounts")
        .filter()
        .immutable(),
    Field::new("opened_by", Int, "Who recorded it").references("staff"),
    Field::new("assigned_to", Int, "Who handles it")
        .references("staff")
        .filter(),
    Field::new("subject", Text, "One line")
        .required()
        .max_chars(200),
    Field::new("description", Text, "What the customer reported").max_chars(10_000),
    Field::new("priority", Text, "low, normal, high, urgent")
        .defaults_to("\"normal\"")
        .one_of(PRIORITIES)
        .filter()
        .sort(),
    Field::new("status", Text, "new → in_progress → resolved → closed")
        .defaults_to("\"new\"")
        .one_of(&["new", "in_progress", "resolved", "closed"])
        .filter()
        .sort(),
    Field::new("sla_due_at", Timestamp, "When it must be resolved by").sort(),
    Field::new(
        "resolution",
        Text,
        "How it was resolved (required when resolved or closed)",
    )
    .max_chars(10_000),
    Field::new(
        "category",
        Text,
        "What it is about: billing, delivery, product, installation, maintenance, complaint, other (picks the SLA policy)",
    )
    .defaults_to("\"other\"")
    .one_of(crate::service::CASE_CATEGORIES)
    .filter()
    .sort(),
    Field::new("channel", Text, "How it came in: staff, web, phone, email")
        .defaults_to("\"staff\"")
        .one_of(crate::service::CASE_CHANNELS)
        .filter(),
    Field::new(
        "responded_at",
        Timestamp,
        "When it first left new (set by the server; the response target's clock stops)",
    )
    .sort(),
    Field::new(
        "resolved_at",
        Timestamp,
        "When it was last resolved (set by the server; cleared when reopened)",
    ),
];

pub static CASES: ResourceSpec = ResourceSpec {
    name: "cases",
    singular: "case",
    fields: &CASE_FIELDS,
    versioned: true,
    check: Some(|new, old| {
        check_transition(
            "status",
            new,
            old,
            &[
                ("new", "in_progress"),
                ("new", "resolved"),
                ("in_progress", "resolved"),
                ("resolved", "closed"),
                ("resolved", "in_progress"),
                ("closed", "in_progress"),
            ],
        )?;
        if matches!(text(new, "status"), Some("resolved" | "closed"))
            && text(new, "resolution").is_none()
        {
            return Err(ValidationError::new(
                "resolution",
                "is required to resolve or close a case",
            ));
        }
        Ok(())
    }),
    history_note: Some(|old, new| status_note("case", "status", old, new)),
    default_sort: "id",
};

static VISIT_FIELDS: [Field; 11] = [
    Field::new("account_id", Int, "The account visited")
        .required()
        .references("accounts")
        .filter()
        .immutable(),
    Field::new("technician_id", Int, "Who visits")
        .references("staff")
        .filter(),
    Field::new("window_start", Timestamp, "Earliest arrival")
        .required()
        .sort(),
    Field::new("window_end", Timestamp, "Latest arrival")
        .required()
        .sort(),
    Field::new("duration_min", Int, "Time on site, minutes")
        .required()
        .range(1.0, 1440.0),
    Field::new(
        "status",
        Text,
        "scheduled → en_route → on_site → done | missed",
    )
    .defaults_to("\"scheduled\"")
    .one_of(&["scheduled", "en_route", "on_site", "done", "missed"])
    .filter()
    .sort(),
    Field::new("checkin_lon", Float, "Where the technician checked in").range(-180.0, 180.0),
    Field::new("checkin_lat", Float, "Where the technician checked in").range(-90.0, 90.0),
    Field::new("checkin_at", Timestamp, "When the technician checked in"),
    Field::new("outcome", Text, "Result").max_chars(500),
    Field::new("notes", Text, "Notes").max_chars(10_000),
];

/// The moves a visit's status may make (the field view offers exactly these).
pub const VISIT_STATUS_FLOW: &[(&str, &str)] = &[
    ("scheduled", "en_route"),
    ("scheduled", "on_site"),
    ("scheduled", "missed"),
    ("en_route", "on_site"),
    ("en_route", "missed"),
    ("on_site", "done"),
];

pub static VISITS: ResourceSpec = ResourceSpec {
    name: "visits",
    singular: "visit",
    fields: &VISIT_FIELDS,
    versioned: true,
    check: Some(|new, old| {
        // RFC 3339 UTC strings of one format compare in time order.
        if text(new, "window_end") <= text(new, "window_start") {
            return Err(ValidationError::new(
                "window_end",
                "must be after window_start",
            ));
        }
        if new["checkin_lon"].is_null() != new["checkin_lat"].is_null() {
            return Err(ValidationError::new(
                "checkin_lat",
                "give both checkin_lon and checkin_lat, or neither",
            ));
        }
        check_transition("status", new, old, VISIT_STATUS_FLOW)
    }),
    history_note: Some(|old, new| status_note("visit", "status", old, new)),
    default_sort: "window_start",
};

/// Every generic resource, for routing and the OpenAPI document.
pub static ALL: [&ResourceSpec; 11] = [
    &CONTACTS,
    &STAFF,
    &TERRITORIES,
    &OPPORTUNITIES,
    &ACTIVITIES,
    &CASES,
    &VISITS,
    &crate::sales::catalogue::PRODUCTS,
    &crate::sales::catalogue::PRICE_LISTS,
    &crate::sales::catalogue::PRICE_LIST_ITEMS,
    &crate::pipeline::TASKS,
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_default_satisfies_its_own_rules() {
        for spec in ALL {
            for f in spec.fields {
                if let Some(default) = f.default {
                    let value: Value = serde_json::from_str(default).unwrap();
                    if let (Some(allowed), Some(v)) = (f.one_of, value.as_str()) {
                        assert!(allowed.contains(&v), "{}.{}", spec.name, f.name);
                    }
                }
                assert!(!(f.required && f.nullable), "{}.{}", spec.name, f.name);
            }
        }
    }

    #[test]
    fn visits_need_an_ordered_window_and_follow_the_status_flow() {
        let base = json!({"account_id": 1, "window_start": "2026-11-23T08:00:00+07:00", "window_end": "2026-11-23T10:00:00+07:00", "duration_min": 30});
        let created = VISITS.validate_create(&base).unwrap().record;
        let mut reversed = base.clone();
        reversed["window_end"] = json!("2026-11-23T07:00:00+07:00");
        assert_eq!(
            VISITS.validate_create(&reversed).unwrap_err().field,
            "window_end"
        );
        assert!(
            VISITS
                .validate_patch(&created, &json!({"version": 1, "status": "en_route"}))
                .is_ok()
        );
        let err = VISITS
            .validate_patch(&created, &json!({"version": 1, "status": "done"}))
            .unwrap_err();
        assert_eq!(err.field, "status");
        assert!(err.message.contains("en_route"), "{}", err.message);
    }

    #[test]
    fn a_lost_deal_needs_a_reason_and_a_closed_case_a_resolution() {
        let deal = json!({"account_id": 1, "title": "Freezers", "stage": "lost"});
        assert_eq!(
            OPPORTUNITIES.validate_create(&deal).unwrap_err().field,
            "lost_reason"
        );
        let case = CASES
            .validate_create(&json!({"account_id": 1, "subject": "Late delivery"}))
            .unwrap()
            .record;
        assert_eq!(
            CASES
                .validate_patch(&case, &json!({"version": 1, "status": "resolved"}))
                .unwrap_err()
                .field,
            "resolution"
        );
        assert_eq!(
            CASES
                .validate_patch(
                    &case,
                    &json!({"version": 1, "status": "closed", "resolution": "x"})
                )
                .unwrap_err()
                .field,
            "status"
        );
    }

    #[test]
    fn territories_refuse_self_intersecting_geometry_and_staff_odd_shifts() {
        let bowtie = json!({"name": "T", "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}});
        assert_eq!(
            TERRITORIES.validate_create(&bowtie).unwrap_err().field,
            "geometry"
        );
        let staff = json!({"name": "A", "email": "a@x.id", "role": "technician", "work_start": "17:00", "work_end": "08:00"});
        assert_eq!(STAFF.validate_create(&staff).unwrap_err().field, "work_end");
        let staff =
            json!({"name": "A", "email": "a@x.id", "role": "technician", "work_start": "8:5x"});
        assert_eq!(
            STAFF.validate_create(&staff).unwrap_err().field,
            "work_start"
        );
    }
}
