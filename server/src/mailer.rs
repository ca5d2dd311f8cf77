//! The e-mail channel of campaigns (issue 16, docs/campaigns.md): a background task sends the
//! pending e-mails of running campaigns through SMTP (`--smtp-url`), one at a time at most
//! `--smtp-per-minute`, each from its campaign's templates with the recipient's merge fields and
//! unsubscribe link.
//!
//! No e-mail goes out twice: a recipient is claimed in the database (`pending` → `sending`,
//! committed) before its message is handed to the SMTP server, and its outcome recorded after
//! (`sent`, or `failed` with the error). A stop between the two leaves it `sending`; the next
//! start marks it failed rather than sending it again (`fail_interrupted_sends` in `prepare`),
//! and sending resumes with the recipients still pending.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;
use wilayah_shared::campaigns::{MergeFields, render};

use crate::AppState;
use crate::db::{EmailClaim, SurveyClaim};

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("--smtp-url {url:?} is not an SMTP URL like smtp://host:port: {message}")]
    Url { url: String, message: String },
    #[error("--smtp-from {0:?} is not an e-mail address like \"Wilayah <noreply@example.com>\"")]
    From(String),
    #[error("--smtp-per-minute must be at least 1")]
    Rate,
}

/// A plain SMTP transport from `smtp://[user:password@]host[:port]` (port 25 by default).
fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailerError> {
    let refuse = |message: &str| MailerError::Url {
        url: url.to_owned(),
        message: message.to_owned(),
    };
    let rest = url
        .strip_prefix("smtp://")
        .ok_or_else(|| refuse("only smtp:// is supported (no TLS in this build)"))?;
    let rest = rest.trim_end_matches('/');
    let (login, server) = match rest.rsplit_once('@') {
        Some((login, server)) => (Some(login), server),
        None => (None, rest),
    };
    let (host, port) = match server.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| refuse("the port is not a number"))?,
        ),
        None => (server, 25),
    };
    if host.is_empty() {
        return Err(refuse("no host"));
    }
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(login) = login {
        let (user, password) = login.split_once(':').unwrap_or((login, ""));
        builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
    }
    Ok(builder.build())
}

/// The SMTP transport and the sending settings, shared by the server's state.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    /// Without a trailing `/`.
    public_url: String,
    interval: Duration,
    wake: Notify,
}

impl Mailer {
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        per_minute: u32,
        public_url: String,
    ) -> Result<Self, MailerError> {
        if per_minute == 0 {
            return Err(MailerError::Rate);
        }
        let transport = smtp_url.map(transport).transpose()?;
        Ok(Mailer {
            transport,
            from: from
                .parse()
                .map_err(|_| MailerError::From(from.to_owned()))?,
            public_url: public_url.trim_end_matches('/').to_owned(),
            interval: Duration::from_secs(60) / per_minute,
            wake: Notify::new(),
        })
    }

    /// Whether e-mails can be sent (an SMTP server is configured).
    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Tells the sending task there may be new pending e-mails (a launch).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The unsubscribe link of a recipient's token.
    pub fn unsubscribe_link(&self, token: &str) -> String {
        format!("{}/api/v1/unsubscribe/{token}", self.public_url)
    }

    /// The survey's link (the public page).
    pub fn survey_link(&self, token: &str) -> String {
        format!("{}/survey/{token}", self.public_url)
    }

    /// A satisfaction survey's e-mail, in Indonesian and English (the contact's language is
    /// not recorded): what it is about and the link.
    fn survey_message(&self, claim: &SurveyClaim) -> Result<Message, String> {
        let address = claim.address.as_deref().unwrap_or_default();
        let contact = claim.contact_name.as_deref().unwrap_or_default();
        let to: Mailbox = format!("{} <{address}>", contact.replace(['<', '>', '"'], ""))
            .parse()
            .or_else(|_| address.parse())
            .map_err(|e| format!("not an e-mail address: {e}"))?;
        let (subject, body) = wilayah_shared::surveys::invitation(
            &claim.account_name,
            contact,
            claim.case_subject.as_deref(),
            &self.survey_link(&claim.token),
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }

    fn message(&self, claim: &EmailClaim) -> Result<Message, String> {
        let address = claim.address.as_deref().unwrap_or_default();
        let contact = claim.contact_name.as_deref().unwrap_or_default();
        let to: Mailbox = format!("{} <{address}>", contact.replace(['<', '>', '"'], ""))
            .parse()
            .or_else(|_| address.parse())
            .map_err(|e| format!("not an e-mail address: {e}"))?;
        let link = self.unsubscribe_link(claim.token.as_deref().unwrap_or_default());
        let (subject, body) = render(
            &claim.templates(),
            &MergeFields {
                customer: &claim.account_name,
                contact,
                offer: &claim.offer,
                unsubscribe: &link,
            },
        )
        .ok_or("the campaign has no e-mail template")?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())
    }
}

/// Sends pending campaign e-mails until the task is dropped: one, then the throttle's pause;
/// when none is pending, waits for a launch (or a minute). Does nothing without `--smtp-url`.
pub async fn run(state: AppState) {
    let mailer = Arc::clone(&state.mailer);
    let Some(transport) = mailer.transport.clone() else {
        return;
    };
    let store = state.store.system().clone();
    loop {
        let claim = match store.claim_next_email().await {
            Ok(Some(claim)) => claim,
            Ok(None) => {
                match send_next_survey(&mailer, &transport, store.as_ref()).await {
                    Ok(true) => tokio::time::sleep(mailer.interval).await,
                    Ok(false) => {
                        let _ =
                            tokio::time::timeout(Duration::from_secs(60), mailer.wake.notified())
                                .await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "claiming the next survey e-mail failed");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming the next campaign e-mail failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        let outcome = match mailer.message(&claim) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = store
            .record_email(&claim, outcome.as_ref().err().map(String::as_str))
            .await
        {
            tracing::warn!(error = %e, recipient = claim.recipient_id, "recording a campaign e-mail failed");
        }
        tokio::time::sleep(mailer.interval).await;
    }
}

/// Sends the next pending satisfaction survey (after the campaigns' e-mails, within the same
/// throttle); `false` when none is pending.
async fn send_next_survey(
    mailer: &Mailer,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    store: &dyn crate::db::ServerStore,
) -> Result<bool, wilayah_app::store::StoreError> {
    let Some(claim) = store.claim_next_survey_email().await? else {
        return Ok(false);
    };
    let outcome = match mailer.survey_message(&claim) {
        Ok(message) => transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    store
        .record_survey_email(claim.id, outcome.as_ref().err().map(String::as_str))
        .await?;
    Ok(true)
}
