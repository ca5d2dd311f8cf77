//! Domain vocabulary shared by the store, the REST API and the browser.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::account::ValidationError;

/// A string was not one of an enum's known values; carries what was given and what is allowed,
/// so an API or import error can say both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {given:?}; expected one of: {}", expected.join(", "))]
pub struct UnknownVariant {
    pub given: String,
    pub expected: &'static [&'static str],
}

/// Declares a closed set of values stored and sent as the given strings, with `as_str`, `ALL`,
/// `FromStr` and serde kept in one place so the database, the API and the UI cannot drift apart
/// (serde once derived its own names, and sent `kilogram` where the database and files said `kg`).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The values as text, in the order of `ALL` (for field rules and documentation).
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::UnknownVariant {
                        given: s.to_owned(),
                        expected: Self::NAMES,
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

/// A status may only move along `allowed` (from, to) pairs; staying put is always fine. The error
/// names `field` and lists where `from` can go, so a refused move tells the user the way.
pub fn check_flow<S: PartialEq + fmt::Display>(
    field: &'static str,
    from: S,
    to: S,
    allowed: &[(S, S)],
) -> Result<(), ValidationError> {
    if from == to || allowed.iter().any(|(f, t)| *f == from && *t == to) {
        return Ok(());
    }
    let next: Vec<String> = allowed
        .iter()
        .filter(|(f, _)| *f == from)
        .map(|(_, t)| t.to_string())
        .collect();
    let message = if next.is_empty() {
        format!("cannot go from {from} to {to}; {from} is final")
    } else {
        format!(
            "cannot go from {from} to {to}; from {from} it can go to: {}",
            next.join(", ")
        )
    };
    Err(ValidationError::new(field, message)
        .because("transition")
        .with("from", from)
        .with("to", to))
}

/// A move of a document's status along `allowed` when someone acts on it (send, accept, deliver):
/// like [`check_flow`], but staying put is refused too, since acting twice is a mistake to report.
pub fn check_move<S: PartialEq + fmt::Display>(
    field: &'static str,
    from: S,
    to: S,
    allowed: &[(S, S)],
) -> Result<(), ValidationError> {
    if from == to {
        return Err(ValidationError::new(field, format!("it is already {to}")));
    }
    check_flow(field, from, to, allowed)
}

string_enum!(
    /// Whether an account already buys from us.
    AccountKind { Customer => "customer", Prospect => "prospect" }
);

string_enum!(
    /// Where an account stands: customers are active, at risk or churned; prospects move from new
    /// through contacted to qualified (or disqualified).
    AccountStatus {
        Active => "active",
        AtRisk => "at_risk",
        Churned => "churned",
        New => "new",
        Contacted => "contacted",
        Qualified => "qualified",
        Disqualified => "disqualified",
    }
);

string_enum!(
    /// What a member of staff does; later issues scope data access by it.
    StaffRole {
        Admin => "admin",
        Manager => "manager",
        Planner => "planner",
        SalesRep => "sales_rep",
        Technician => "technician",
    }
);

string_enum!(
    /// A field visit's life: scheduled → en route → on site → done | missed.
    VisitStatus {
        Scheduled => "scheduled",
        EnRoute => "en_route",
        OnSite => "on_site",
        Done => "done",
        Missed => "missed",
    }
);

/// One account as the map draws it: position plus the attributes the map colours and filters by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapAccount {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
    pub status: AccountStatus,
    pub owner_id: Option<i64>,
    pub lon: f64,
    pub lat: f64,
    /// Revenue to date in minor units of `currency` (IDR has none, so rupiah).
    pub revenue_minor: i64,
    pub currency: String,
}

/// Head-line counts for the dashboard header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardSummary {
    pub customers: i64,
    pub prospects: i64,
    pub reps: i64,
    pub territories: i64,
    pub visits_today: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_their_strings() {
        for s in AccountStatus::ALL {
            assert_eq!(s.as_str().parse::<AccountStatus>().unwrap(), *s);
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for k in AccountKind::ALL {
            assert_eq!(k.as_str().parse::<AccountKind>().unwrap(), *k);
        }
    }

    #[test]
    fn unknown_values_list_the_allowed_ones() {
        let err = "vip".parse::<AccountKind>().unwrap_err();
        assert_eq!(err.given, "vip");
        assert_eq!(
            err.to_string(),
            r#"unknown value "vip"; expected one of: customer, prospect"#
        );
    }
}
