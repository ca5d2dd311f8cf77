//! Satisfaction surveys through the gate (docs/service.md): the results over the caller's
//! accounts; the public link's door, which reaches one survey by its token and nothing else;
//! and the sweep that opens surveys after cases are resolved and visits done.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use wilayah_shared::access::Action;
use wilayah_shared::surveys::Answer;

use super::Scoped;
use crate::AppState;
use crate::db::{Answered, AnsweredSurvey, SurveyInvite};
use crate::http::error::ApiError;

const SURVEYS: &str = "surveys";

/// How far back the sweep looks for cases resolved and visits done: older ones are not asked
/// about any more (a survey weeks after the fact is noise).
pub const SURVEY_WINDOW_DAYS: i64 = 14;

/// Opens the surveys due at `now` and wakes the mailer when there are any to send.
pub async fn open_due_surveys(state: &AppState, now: DateTime<Utc>) -> Result<u64, ApiError> {
    let opened = state
        .store
        .0
        .open_surveys(now - Duration::days(SURVEY_WINDOW_DAYS), now)
        .await?;
    if opened > 0 {
        state.mailer.wake();
    }
    Ok(opened)
}

impl Scoped {
    /// The answered surveys of the caller's accounts answered in `from..to`, newest first.
    pub async fn answered_surveys(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AnsweredSurvey>, ApiError> {
        self.require(SURVEYS, Action::Read)?;
        let visible = self.visible().await?;
        Ok(self
            .store()
            .answered_surveys(visible.ids(), from, to)
            .await?)
    }

    /// Runs the sweep now (it runs every minute anyway): how many surveys it opened.
    pub async fn open_surveys_now(&self) -> Result<u64, ApiError> {
        self.require(SURVEYS, Action::Create)?;
        open_due_surveys(&self.state, Utc::now()).await
    }
}

/// The survey link's door: whoever holds the link is the customer asked; it reads and answers
/// that one survey.
pub struct SurveyLink {
    state: AppState,
}

impl FromRequestParts<AppState> for SurveyLink {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(SurveyLink {
            state: state.clone(),
        })
    }
}

/// A token as the links carry them (128 bits, hex): anything else is no survey's.
fn well_formed(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

impl SurveyLink {
    pub async fn invite(&self, token: &str) -> Result<SurveyInvite, ApiError> {
        if !well_formed(token) {
            return Err(ApiError::NotFound);
        }
        self.state
            .store
            .0
            .survey_invite(token)
            .await?
            .ok_or(ApiError::NotFound)
    }

    /// Records the answer; 404 for an unknown link, 409 when it was answered already.
    pub async fn answer(&self, token: &str, answer: Answer) -> Result<(), ApiError> {
        if !well_formed(token) {
            return Err(ApiError::NotFound);
        }
        let (score, comment) = answer.validate()?;
        let outcome = self
            .state
            .store
            .0
            .answer_survey(token, score, comment.as_deref(), Utc::now())
            .await?;
        answered(outcome)
    }
}

/// An answer's outcome as the API says it.
pub fn answered(outcome: Answered) -> Result<(), ApiError> {
    match outcome {
        Answered::Recorded => Ok(()),
        Answered::Unknown => Err(ApiError::NotFound),
        Answered::Already => Err(ApiError::ConflictMessage(
            "this survey has been answered already".into(),
        )),
    }
}
