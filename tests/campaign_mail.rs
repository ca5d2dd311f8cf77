//! The e-mail channel of campaigns (issue 16) with a real SMTP server on loopback (Debian's
//! `python3-aiosmtpd`, started here, delivering into a maildir the test reads), against a real
//! database (SQLite, or PostgreSQL when `DATABASE_URL` says so): exactly the eligible recipients
//! get one e-mail each, with their merge fields; the unsubscribe link records the opt-out and no
//! further e-mail goes to that contact; a restart mid-send sends nobody a second e-mail.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};
use wilayah_server::config::Config;
use wilayah_tests::{TestApp, project_root};

/// The SMTP server on loopback, stopped when dropped.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn until<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Smtp {
    fn start() -> Smtp {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir =
            std::env::temp_dir().join(format!("wilayah-mail-{}-{port}", std::process::id()));
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (scripts/test.sh installs it)");
        let smtp = Smtp {
            child,
            port,
            maildir,
        };
        until("the SMTP server", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        smtp
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every delivered message, as text (quoted-printable soft breaks joined).
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
            .collect()
    }

    /// Delivered messages per recipient address.
    fn per_address(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for message in self.messages() {
            let to = message
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .expect("a To header")
                .to_owned();
            let address = to
                .rsplit_once('<')
                .map_or(to.as_str(), |(_, a)| a.trim_end_matches('>'))
                .to_owned();
            *out.entry(address).or_default() += 1;
        }
        out
    }
}

fn configure(config: &mut Config, smtp: &Smtp, per_minute: u32) {
    config.smtp_url = Some(smtp.url());
    config.smtp_per_minute = per_minute;
    config.public_url = Some("http://wilayah.test".into());
}

async fn post(app: &TestApp, uri: &str, body: Value) -> Value {
    let (status, answer) = app.send_json("POST", uri, &body).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "POST {uri} {body} → {status} {answer}"
    );
    answer
}

/// Accounts near Suva, one contact each: `(address, consent for e-mail)`; their contact ids.
async fn contacts(app: &TestApp, lon: f64, people: &[(&str, Option<&str>)]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, (email, consent)) in people.iter().enumerate() {
        let account = post(
            app,
            "/api/v1/accounts",
            json!({"name": format!("Toko {email}"), "lon": lon + i as f64 * 0.0001, "lat": -17.0}),
        )
        .await;
        let mut body =
            json!({"account_id": account["id"], "name": format!("Kontak {i}"), "email": email});
        if let Some(consent) = consent {
            body["consent_email"] = json!(consent);
            body["consent_email_on"] = json!("2026-11-02");
        }
        ids.push(
            post(app, "/api/v1/contacts", body).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    ids
}

async fn launch_email(app: &TestApp, name: &str, lon: f64) -> Value {
    let segment = post(
        app,
        "/api/v1/segments",
        json!({"name": name, "definition": {"area": {"type": "radius", "lon": lon, "lat": -17.0, "metres": 2000.0}}}),
    )
    .await;
    let campaign = post(
        app,
        "/api/v1/campaigns",
        json!({"name": name, "objective": name, "offer": "Diskon 10%", "channel": "email",
               "segment_id": segment["id"],
               "templates": {"en": {"subject": "Offer for {{customer}}", "body": "Dear {{contact}}, {{offer}}."}}}),
    )
    .await;
    post(
        app,
        &format!("/api/v1/campaigns/{}/launch", campaign["id"]),
        json!({"version": campaign["version"]}),
    )
    .await
}

/// Waits until the campaign has nothing pending or sending; its recipients then.
async fn settled(app: &TestApp, campaign: &Value) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, view) = app
            .get_json(&format!("/api/v1/campaigns/{}", campaign["id"]))
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let states = &view["tally"]["states"];
        if states.get("pending").is_none() && states.get("sending").is_none() {
            let (_, list) = app
                .get_json(&format!("/api/v1/campaigns/{}/recipients", campaign["id"]))
                .await;
            return list.as_array().unwrap().clone();
        }
        assert!(Instant::now() < deadline, "still sending: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn exactly_the_eligible_get_one_email_each_and_an_unsubscribe_stops_further_mail() {
    let smtp = Smtp::start();
    let app = TestApp::start_with(|c| configure(c, &smtp, 6000)).await;
    let sender = tokio::spawn(wilayah_server::mailer::run(app.state.clone()));
    contacts(
        &app,
        179.6,
        &[
            ("ana@suva.example", Some("granted")),
            ("budi@suva.example", Some("granted")),
            ("citra@suva.example", Some("refused")),
            ("dedi@suva.example", None),
        ],
    )
    .await;
    let first = launch_email(&app, "Natal", 179.6).await;
    let recipients = settled(&app, &first).await;
    let sent: Vec<&Value> = recipients.iter().filter(|r| r["state"] == "sent").collect();
    assert_eq!(sent.len(), 2, "{recipients:?}");
    assert_eq!(
        smtp.per_address(),
        BTreeMap::from([
            ("ana@suva.example".to_owned(), 1),
            ("budi@suva.example".to_owned(), 1)
        ])
    );
    let messages = smtp.messages();
    let to_ana = messages
        .iter()
        .find(|m| m.contains("ana@suva.example"))
        .unwrap();
    assert!(
        to_ana.contains("Subject: Offer for Toko ana@suva.example"),
        "{to_ana}"
    );
    assert!(to_ana.contains("Dear Kontak 0, Diskon 10%."), "{to_ana}");
    // The customer's history has the e-mail.
    let (_, history) = app
        .get_json(&format!(
            "/api/v1/accounts/{}/history",
            sent[0]["account_id"]
        ))
        .await;
    assert!(
        history.to_string().contains("Campaign e-mail: Natal"),
        "{history}"
    );

    // Ana follows her unsubscribe link (no sign-in).
    let link = to_ana
        .split("http://wilayah.test")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("an unsubscribe link")
        .to_owned();
    assert!(link.starts_with("/api/v1/unsubscribe/"), "{link}");
    let (status, page) = app.anonymous().get(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("tidak akan menerima"));
    let ana = recipients
        .iter()
        .find(|r| r["address"] == "ana@suva.example")
        .unwrap();
    let (_, contact) = app
        .get_json(&format!("/api/v1/contacts/{}", ana["contact_id"]))
        .await;
    assert_eq!(contact["consent_email"], "refused", "{contact}");
    let (status, _) = app
        .anonymous()
        .get("/api/v1/unsubscribe/0123456789abcdef0123456789abcdef")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A second campaign to the same people: Ana is left out for want of consent, Budi gets it.
    let second = launch_email(&app, "Tahun Baru", 179.6).await;
    let recipients = settled(&app, &second).await;
    let ana = recipients
        .iter()
        .find(|r| r["address"] == "ana@suva.example")
        .unwrap();
    assert_eq!(ana["excluded"], "no_consent");
    assert_eq!(
        smtp.per_address(),
        BTreeMap::from([
            ("ana@suva.example".to_owned(), 1),
            ("budi@suva.example".to_owned(), 2)
        ])
    );
    sender.abort();
}

#[tokio::test]
async fn a_restart_mid_send_sends_nobody_a_second_email() {
    let smtp = Smtp::start();
    // Two a second, so the stop comes while e-mails are still pending.
    let app = TestApp::start_with(|c| configure(c, &smtp, 120)).await;
    let people: Vec<String> = (0..8).map(|i| format!("p{i}@lautoka.example")).collect();
    let list: Vec<(&str, Option<&str>)> = people
        .iter()
        .map(|p| (p.as_str(), Some("granted")))
        .collect();
    contacts(&app, 177.4, &list).await;
    let sender = tokio::spawn(wilayah_server::mailer::run(app.state.clone()));
    let campaign = launch_email(&app, "Lautoka", 177.4).await;
    let before = {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let delivered = smtp.messages().len();
            if delivered >= 2 {
                break delivered;
            }
            assert!(Instant::now() < deadline, "no e-mail went out");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    // The server stops (its task dropped wherever it was) and starts again on the database.
    sender.abort();
    let _ = sender.await;
    let mut config = Config::defaults();
    config.database_url = app.db.url.clone();
    config.site_root = project_root().join("target/site");
    config.no_demo = true;
    configure(&mut config, &smtp, 6000);
    let restarted = wilayah_server::prepare(&config).await.expect("a restart");
    let sender = tokio::spawn(wilayah_server::mailer::run(restarted));
    let recipients = settled(&app, &campaign).await;
    sender.abort();

    let delivered = smtp.per_address();
    assert!(
        delivered.values().all(|n| *n == 1),
        "nobody twice: {delivered:?}"
    );
    assert!(
        before < people.len(),
        "the stop came mid-send ({before} sent)"
    );
    for r in &recipients {
        let address = r["address"].as_str().unwrap();
        match r["state"].as_str() {
            Some("sent") => assert_eq!(delivered.get(address), Some(&1), "{r}"),
            // Cut off between the claim and the record: maybe delivered, never again.
            Some("failed") => assert!(r["error"].as_str().unwrap().contains("interrupted"), "{r}"),
            other => panic!("{other:?}: {r}"),
        }
    }
    let sent = recipients.iter().filter(|r| r["state"] == "sent").count();
    assert!(
        sent + 1 >= people.len(),
        "at most the one cut off is not sent: {recipients:?}"
    );
}

/// The satisfaction survey's e-mail (issue 17 item 6) goes through the same mailer: one message
/// to the customer's contact once the case is resolved and the sweep has opened the survey, in
/// Indonesian and English, with a link that opens that survey; sweeping again sends nothing more.
#[tokio::test]
async fn a_resolved_cases_survey_is_mailed_once_with_a_working_link() {
    let smtp = Smtp::start();
    let app = TestApp::start_with(|c| {
        configure(c, &smtp, 6000);
        c.no_demo = true;
    })
    .await;
    let sender = tokio::spawn(wilayah_server::mailer::run(app.state.clone()));
    let account = post(
        &app,
        "/api/v1/accounts",
        json!({"name": "Toko Survei", "lon": 179.6, "lat": -17.0}),
    )
    .await;
    post(
        &app,
        "/api/v1/contacts",
        json!({"account_id": account["id"], "name": "Sinta", "email": "sinta@suva.example"}),
    )
    .await;
    post(
        &app,
        "/api/v1/cases",
        json!({"account_id": account["id"], "subject": "AC bocor", "status": "resolved",
               "resolution": "Pipa diganti"}),
    )
    .await;
    assert_eq!(
        post(&app, "/api/v1/surveys/sweep", json!({})).await["opened"],
        1
    );
    // The mailer runs on this test's runtime: wait without blocking it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let message = loop {
        if let Some(message) = smtp.messages().into_iter().next() {
            break message;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the survey e-mail"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        message.contains("Subject: Bagaimana layanan kami? / How did we do?"),
        "{message}"
    );
    assert!(
        message.contains("Halo Sinta") && message.contains("\"AC bocor\""),
        "{message}"
    );
    let link = message
        .split_whitespace()
        .find(|w| w.starts_with("http://wilayah.test/survey/"))
        .expect("the survey link")
        .to_owned();
    let token = link.trim_start_matches("http://wilayah.test/survey/");
    let (status, invite) = app
        .anonymous()
        .get_json(&format!("/api/v1/public/surveys/{token}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{invite}");
    assert_eq!(invite["case_subject"], "AC bocor");
    assert_eq!(
        post(&app, "/api/v1/surveys/sweep", json!({})).await["opened"],
        0
    );
    // A campaign launched after it is sent too: the mailer went back to waiting, not away.
    contacts(&app, 179.9, &[("dewi@suva.example", Some("granted"))]).await;
    let campaign = launch_email(&app, "after-survey", 179.9).await;
    settled(&app, &campaign).await;
    assert_eq!(
        smtp.per_address(),
        BTreeMap::from([
            ("sinta@suva.example".to_owned(), 1),
            ("dewi@suva.example".to_owned(), 1)
        ])
    );
    sender.abort();
}
