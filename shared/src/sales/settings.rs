//! The deployment's sales settings, edited by an admin: the company a printed proposal comes
//! from (name, address, logo, default terms) and the discount limit of each role
//! ([`DiscountPolicy`]). One record, versioned like every other (409 on a stale edit).

use serde::{Deserialize, Serialize};

use crate::account::ValidationError;
use crate::domain::StaffRole as Role;
use crate::money::FULL_BP;
use crate::sales::quote::{DiscountPolicy, MAX_TERMS_CHARS};

/// Longest company name and address, in characters.
pub const MAX_COMPANY_CHARS: usize = 500;
/// Longest logo reference: a URL or a `data:image/…` URL of a small image.
pub const MAX_LOGO_CHARS: usize = 200_000;

/// How far below the applicable price each role may sell without approval, in basis points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountLimits {
    pub sales_rep_bp: i64,
    pub manager_bp: i64,
    pub admin_bp: i64,
}

impl Default for DiscountLimits {
    /// The defaults of [`DiscountPolicy::default`]: reps 10 %, managers 25 %, admins 100 %.
    fn default() -> Self {
        let policy = DiscountPolicy::default();
        DiscountLimits {
            sales_rep_bp: policy.limit_bp(Role::SalesRep),
            manager_bp: policy.limit_bp(Role::Manager),
            admin_bp: policy.limit_bp(Role::Admin),
        }
    }
}

/// What an admin sets for sales documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesSettings {
    /// Printed at the top of a proposal.
    pub company_name: String,
    #[serde(default)]
    pub company_address: Option<String>,
    /// `https://…`, a path on this server (`/…`) or a `data:image/…` URL.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Terms printed on a proposal whose quote has none of its own.
    #[serde(default)]
    pub default_terms: Option<String>,
    #[serde(default)]
    pub discount_limits: DiscountLimits,
}

impl Default for SalesSettings {
    fn default() -> Self {
        SalesSettings {
            company_name: "Wilayah".into(),
            company_address: None,
            logo_url: None,
            default_terms: None,
            discount_limits: DiscountLimits::default(),
        }
    }
}

fn optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn too_long(field: &'static str, text: &str, max: usize) -> Result<(), ValidationError> {
    if text.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(())
}

impl SalesSettings {
    /// The settings as stored: text trimmed (empty optional text is none), every rule checked,
    /// the first broken one named by its field.
    pub fn validated(self) -> Result<Self, ValidationError> {
        let company_name = self.company_name.trim().to_owned();
        if company_name.is_empty() {
            return Err(ValidationError::new("company_name", "is required"));
        }
        too_long("company_name", &company_name, MAX_COMPANY_CHARS)?;
        let company_address = optional(self.company_address);
        if let Some(a) = &company_address {
            too_long("company_address", a, MAX_COMPANY_CHARS)?;
        }
        let logo_url = optional(self.logo_url);
        if let Some(url) = &logo_url {
            too_long("logo_url", url, MAX_LOGO_CHARS)?;
            let allowed = url.starts_with("https://")
                || url.starts_with("http://")
                || (url.starts_with('/') && !url.starts_with("//"))
                || url.starts_with("data:image/");
            if !allowed || url.chars().any(|c| c.is_control() || c == '"') {
                return Err(ValidationError::new(
                    "logo_url",
                    "must be an http(s) URL, a path on this server (/…) or a data:image/… URL",
                ));
            }
        }
        let default_terms = optional(self.default_terms);
        if let Some(t) = &default_terms {
            too_long("default_terms", t, MAX_TERMS_CHARS)?;
        }
        let l = self.discount_limits;
        for (field, value) in [
            ("discount_limits.sales_rep_bp", l.sales_rep_bp),
            ("discount_limits.manager_bp", l.manager_bp),
            ("discount_limits.admin_bp", l.admin_bp),
        ] {
            if !(0..=FULL_BP).contains(&value) {
                return Err(ValidationError::new(
                    field,
                    format!("{value} is outside 0..=10000 (0 to 100 %)"),
                ));
            }
        }
        Ok(SalesSettings {
            company_name,
            company_address,
            logo_url,
            default_terms,
            discount_limits: l,
        })
    }

    /// The discount policy these settings give (planners and technicians may give nothing).
    pub fn discount_policy(&self) -> DiscountPolicy {
        let l = self.discount_limits;
        let policy = DiscountPolicy::default();
        [
            (Role::SalesRep, l.sales_rep_bp),
            (Role::Manager, l.manager_bp),
            (Role::Admin, l.admin_bp),
        ]
        .into_iter()
        .try_fold(policy, |p, (role, bp)| p.with_limit(role, bp))
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_default_policy() {
        let settings = SalesSettings::default().validated().unwrap();
        assert_eq!(settings.discount_policy(), DiscountPolicy::default());
    }

    #[test]
    fn limits_set_the_policy_and_bad_values_name_their_field() {
        let mut s = SalesSettings::default();
        s.discount_limits.sales_rep_bp = 500;
        let policy = s.clone().validated().unwrap().discount_policy();
        assert_eq!(policy.limit_bp(Role::SalesRep), 500);
        assert_eq!(policy.limit_bp(Role::Technician), 0);
        s.discount_limits.manager_bp = 10_001;
        assert_eq!(
            s.validated().unwrap_err().field,
            "discount_limits.manager_bp"
        );
        let blank = SalesSettings {
            company_name: "  ".into(),
            ..SalesSettings::default()
        };
        assert_eq!(blank.validated().unwrap_err().field, "company_name");
        let script = SalesSettings {
            logo_url: Some("javascript:alert(1)".into()),
            ..SalesSettings::default()
        };
        assert_eq!(script.validated().unwrap_err().field, "logo_url");
        let trimmed = SalesSettings {
            company_address: Some("  ".into()),
            logo_url: Some(" /logo.svg ".into()),
            ..SalesSettings::default()
        }
        .validated()
        .unwrap();
        assert_eq!(trimmed.company_address, None);
        assert_eq!(trimmed.logo_url.as_deref(), Some("/logo.svg"));
    }
}
