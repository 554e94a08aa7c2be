//! E-mail notices: partners are told in French of the decisions on their organisation's
//! contributions, moderators and admins of new submissions, each as they chose; a message
//! the SMTP server cannot take is tried again; two replicas send each message once. The
//! SMTP server here is a real one on 127.0.0.1 (the protocol of the `mailin` crate over
//! tokio sockets), and each message it takes is parsed as a mail client would.

use std::{
    collections::{HashSet, VecDeque},
    io::{BufRead, BufReader},
    net::IpAddr,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use communs::mail::MailSettings;
use entity::{
    enums::{ModerationStatus, Role},
    mail_notice, stream_consumer, user,
};
use mail_parser::{MessageParser, MimeHeaders};
use mailin::{Action, Handler, Response, SessionBuilder};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt},
    task::JoinHandle,
};
use uuid::Uuid;

use crate::{
    contributions::{draft, moderate, submit},
    fixtures::{NewInitiative, insert_initiative},
    helpers::{TEST_ERASURE_KEY, TEST_JWT_SECRET, TestAccount, TestApp, error_codes},
};

const SITE: &str = "https://communs.exemple.fr";
const FROM: &str = "Communs <ne-pas-repondre@communs.exemple.fr>";

/// A message the SMTP server took, parsed.
#[derive(Debug, Clone)]
struct Mail {
    /// The envelope's recipients.
    to: Vec<String>,
    subject: String,
    body: String,
    message_id: String,
    has_date: bool,
    from: String,
    content_type: String,
}

/// An SMTP server that keeps what it takes, and answers the recipients of the next
/// messages with the codes it is told to, then 250.
#[derive(Clone, Default)]
struct SmtpServer {
    received: Arc<Mutex<Vec<Mail>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

/// One SMTP session's handler.
#[derive(Clone)]
struct Session {
    server: SmtpServer,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Session {
    fn rcpt(&mut self, _to: &str) -> Response {
        match self.server.answers.lock().unwrap().pop_front() {
            Some(code) => Response::custom(code, "told to answer so by the test".to_owned()),
            None => mailin::response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let parsed = MessageParser::default()
            .parse(&self.data)
            .expect("a message a client can parse");
        let mail = Mail {
            to: self.to.clone(),
            subject: parsed.subject().unwrap_or_default().to_owned(),
            // As a mail client shows it: lines end with CRLF on the wire.
            body: parsed
                .body_text(0)
                .unwrap_or_default()
                .replace("\r\n", "\n"),
            message_id: parsed.message_id().unwrap_or_default().to_owned(),
            has_date: parsed.date().is_some(),
            from: parsed
                .from()
                .and_then(|from| from.first())
                .and_then(|from| from.address())
                .unwrap_or_default()
                .to_owned(),
            content_type: parsed
                .content_type()
                .map(|kind| {
                    format!(
                        "{}/{}; charset={}",
                        kind.ctype(),
                        kind.subtype().unwrap_or_default(),
                        kind.attribute("charset").unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
        };
        self.server.received.lock().unwrap().push(mail);
        mailin::response::OK
    }
}

impl SmtpServer {
    /// A server on a free port; its port.
    async fn start() -> (Self, u16) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = Self::default();
        server.serve(listener);
        (server, port)
    }

    /// A server on `port`, which nothing listens on yet.
    async fn start_on(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let server = Self::default();
        server.serve(listener);
        server
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let server = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                tokio::spawn(server.clone().session(stream, peer.ip()));
            }
        });
    }

    async fn session(self, stream: tokio::net::TcpStream, peer: IpAddr) {
        let (read, mut write) = stream.into_split();
        let mut read = tokio::io::BufReader::new(read);
        let mut session = SessionBuilder::new("smtp.test").build(
            peer,
            Session {
                server: self,
                to: Vec::new(),
                data: Vec::new(),
            },
        );
        let greeting = session.greeting().buffer().unwrap();
        if write.write_all(&greeting).await.is_err() {
            return;
        }
        let mut line = Vec::new();
        loop {
            line.clear();
            match read.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let response = session.process(&line);
            match response.action {
                Action::NoReply => {}
                Action::Reply => {
                    if write.write_all(&response.buffer().unwrap()).await.is_err() {
                        return;
                    }
                }
                Action::Close | Action::UpgradeTls => {
                    let _ = write.write_all(&response.buffer().unwrap()).await;
                    return;
                }
            }
        }
    }

    /// Answers the next messages' recipients with `codes`, then takes them.
    fn answer(&self, codes: &[u16]) {
        *self.answers.lock().unwrap() = codes.iter().copied().collect();
    }

    fn received(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` messages came (20 s at most), then a little longer to see that
    /// no other comes.
    async fn wait_for(&self, count: usize) -> Vec<Mail> {
        for _ in 0..400 {
            if self.received().len() >= count {
                tokio::time::sleep(Duration::from_millis(400)).await;
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{count} messages expected, {} received",
            self.received().len()
        );
    }

    fn to(&self, address: &str) -> Vec<Mail> {
        self.received()
            .into_iter()
            .filter(|mail| mail.to.iter().any(|to| to == address))
            .collect()
    }
}

/// Sends e-mail notices for an app while the test runs.
struct Mailing(JoinHandle<()>);

impl Drop for Mailing {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn settings(port: u16, retry_delays_ms: &[u64]) -> MailSettings {
    MailSettings {
        site_url: Some(SITE.to_owned()),
        timeout: Duration::from_secs(5),
        retry_delays: retry_delays_ms
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
        poll: Duration::from_millis(50),
        ..MailSettings::new(format!("smtp://127.0.0.1:{port}"), FROM.parse().unwrap())
    }
}

/// Starts sending `app`'s notices through the server on `port`, once the consumer has
/// taken its place in the change stream (what happens after is told).
async fn send_mail(app: &TestApp, port: u16, retry_delays_ms: &[u64]) -> Mailing {
    send_mail_with(app, settings(port, retry_delays_ms)).await
}

/// [`send_mail`] with these settings.
async fn send_mail_with(app: &TestApp, settings: MailSettings) -> Mailing {
    let mailing = Mailing(communs::mail::start(
        app.db().clone(),
        app.changes.clone(),
        Arc::new(settings),
    ));
    for _ in 0..200 {
        if stream_consumer::Entity::find_by_id("mail".to_owned())
            .one(app.db())
            .await
            .unwrap()
            .is_some()
        {
            return mailing;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the e-mail consumer never took its place in the change stream");
}

async fn submitted(app: &TestApp, title: &str, organisation: &str) -> String {
    let id = insert_initiative(
        app.db(),
        NewInitiative {
            title,
            status: ModerationStatus::Submitted,
            owner: Some(organisation),
            ..NewInitiative::default()
        },
    )
    .await;
    format!("Initiative:{id}")
}

/// A moderator's decision on a contribution inserted as submitted, which must be made.
async fn decide(
    app: &TestApp,
    moderator: &TestAccount,
    id: &str,
    action: &str,
    comment: Option<&str>,
) {
    let decided = moderate(app, moderator, id, action, comment, 1).await;
    assert!(decided.get("errors").is_none(), "{decided}");
}

fn uuid_of(id: &str) -> &str {
    id.split_once(':').unwrap().1
}

/// Every notice queued, in order.
async fn notices(app: &TestApp) -> Vec<mail_notice::Model> {
    let mut all = mail_notice::Entity::find().all(app.db()).await.unwrap();
    all.sort_by_key(|notice| (notice.sequence, notice.user_id));
    all
}

/// The notices once `done` holds of them (20 s at most).
async fn notices_once(
    app: &TestApp,
    done: impl Fn(&[mail_notice::Model]) -> bool,
) -> Vec<mail_notice::Model> {
    let mut last = Vec::new();
    for _ in 0..400 {
        last = notices(app).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the notices never got there: {last:#?}");
}

#[tokio::test]
async fn a_partner_is_told_in_french_of_each_decision_on_its_organisations_contributions() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    let _mailing = send_mail(&app, port, &[50]).await;
    app.account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.account("paul@irdsu.exemple.fr", Role::Partner, Some("irdsu"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    let approved = submitted(&app, "Troc de graines au pied des tours", "afev").await;
    let rejected = submitted(&app, "Atelier vélo solidaire", "afev").await;
    let sent_back = submitted(&app, "Jardin partagé des Provinces", "afev").await;

    decide(&app, &moderator, &approved, "APPROVE", None).await;
    decide(
        &app,
        &moderator,
        &rejected,
        "REJECT",
        Some("Cette initiative est déjà au catalogue."),
    )
    .await;
    decide(
        &app,
        &moderator,
        &sent_back,
        "REQUEST_CHANGES",
        Some("Précisez le public visé et les dates."),
    )
    .await;

    let received = smtp.wait_for(3).await;
    assert_eq!(
        received.len(),
        3,
        "three decisions, one partner: {received:#?}"
    );
    assert!(
        received
            .iter()
            .all(|mail| mail.to == ["claire@afev.exemple.fr"]),
        "only the organisation's partner is told: {received:#?}"
    );
    assert!(smtp.to("paul@irdsu.exemple.fr").is_empty());
    assert!(smtp.to("moderation@exemple.fr").is_empty());

    let about = |title: &str| {
        received
            .iter()
            .find(|mail| mail.subject.contains(title))
            .unwrap_or_else(|| panic!("no message about {title}: {received:#?}"))
            .clone()
    };
    let published = about("Troc de graines au pied des tours");
    assert_eq!(
        published.subject,
        "[Communs] Contribution publiée : « Troc de graines au pied des tours »"
    );
    assert!(
        published.body.contains(
            "L'initiative « Troc de graines au pied des tours » (AFEV — Association de la \
             fondation étudiante pour la ville) a été approuvée par l'équipe de modération : \
             elle est désormais publiée sur Communs."
        ),
        "{}",
        published.body
    );
    assert!(
        published.body.contains(&format!(
            "{SITE}/contributions/initiatives/{}",
            uuid_of(&approved)
        )),
        "{}",
        published.body
    );

    let refused = about("Atelier vélo solidaire");
    assert_eq!(
        refused.subject,
        "[Communs] Initiative non retenue : « Atelier vélo solidaire »"
    );
    assert!(
        refused
            .body
            .contains("Motif donné par la modération :\nCette initiative est déjà au catalogue."),
        "{}",
        refused.body
    );

    let changes = about("Jardin partagé des Provinces");
    assert_eq!(
        changes.subject,
        "[Communs] Modifications demandées : « Jardin partagé des Provinces »"
    );
    assert!(
        changes
            .body
            .contains("Ce qu'il faut changer :\nPrécisez le public visé et les dates."),
        "{}",
        changes.body
    );

    for mail in &received {
        assert_eq!(mail.from, "ne-pas-repondre@communs.exemple.fr");
        assert!(mail.has_date, "a Date header");
        assert!(
            mail.message_id.ends_with("@communs.exemple.fr"),
            "a Message-ID of the sender's domain: {}",
            mail.message_id
        );
        assert_eq!(
            mail.content_type.to_ascii_lowercase(),
            "text/plain; charset=utf-8"
        );
        assert!(mail.body.starts_with("Bonjour,"), "{}", mail.body);
        for private in ["@", "moderation@exemple.fr"] {
            assert!(
                !mail.body.contains(private),
                "no address in the body: {}",
                mail.body
            );
        }
    }
    let ids: HashSet<&str> = received
        .iter()
        .map(|mail| mail.message_id.as_str())
        .collect();
    assert_eq!(ids.len(), 3);
    let sent = notices(&app).await;
    assert!(
        sent.iter().all(|notice| notice.status == "SENT"),
        "{sent:#?}"
    );
}

#[tokio::test]
async fn moderators_and_admins_are_told_of_a_new_submission_and_partners_are_not() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    let _mailing = send_mail(&app, port, &[50]).await;
    let partner = app
        .account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.account("lea@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    app.account("admin@exemple.fr", Role::Admin, None).await;
    let away = app
        .account("ancien@exemple.fr", Role::Moderator, None)
        .await;
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(false))
        .filter(user::Column::Id.eq(uuid_of(&away.id).parse::<Uuid>().unwrap()))
        .exec(app.db())
        .await
        .unwrap();

    let id = draft(&app, &partner, "Repair café du quartier Bellecroix").await;
    let sent = submit(&app, &partner, &id, 1).await;
    assert!(sent.get("errors").is_none(), "{sent}");

    let received = smtp.wait_for(2).await;
    let mut told: Vec<&str> = received.iter().map(|mail| mail.to[0].as_str()).collect();
    told.sort_unstable();
    assert_eq!(
        told,
        ["admin@exemple.fr", "moderation@exemple.fr"],
        "active moderators and admins only: {received:#?}"
    );
    let mail = &received[0];
    assert_eq!(
        mail.subject,
        "[Communs] Nouvelle contribution à modérer : « Repair café du quartier Bellecroix »"
    );
    assert!(
        mail.body.contains(
            "L'initiative « Repair café du quartier Bellecroix » a été soumise par AFEV — \
             Association de la fondation étudiante pour la ville et attend une décision de \
             modération."
        ),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains(&format!(
            "{SITE}/contributions/initiatives/{}",
            uuid_of(&id)
        )),
        "{}",
        mail.body
    );
}

const SETTINGS: &str = "{ me { notificationSettings { contributionDecisions newSubmissions } } }";

const UPDATE: &str = "mutation($input: UpdateMyNotificationSettingsInput!) { \
     updateMyNotificationSettings(input: $input) { \
     notificationSettings { contributionDecisions newSubmissions } } }";

#[tokio::test]
async fn an_account_that_turned_a_notice_off_receives_none_and_the_others_still_do() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    let _mailing = send_mail(&app, port, &[50]).await;
    let quiet = app
        .account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    app.account("lea@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let quiet_moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    app.account("admin@exemple.fr", Role::Admin, None).await;
    app.data_as(
        &quiet.token,
        UPDATE,
        json!({ "input": { "contributionDecisions": false } }),
    )
    .await;
    app.data_as(
        &quiet_moderator.token,
        UPDATE,
        json!({ "input": { "newSubmissions": false } }),
    )
    .await;

    let id = draft(&app, &quiet, "Ludothèque de rue").await;
    let sent = submit(&app, &quiet, &id, 1).await;
    let version = sent["data"]["submitInitiative"]["initiative"]["version"]
        .as_i64()
        .unwrap();
    let decided = moderate(&app, &quiet_moderator, &id, "APPROVE", None, version).await;
    assert!(decided.get("errors").is_none(), "{decided}");

    let received = smtp.wait_for(2).await;
    let mut told: Vec<(&str, &str)> = received
        .iter()
        .map(|mail| (mail.to[0].as_str(), mail.subject.as_str()))
        .collect();
    told.sort_unstable();
    assert_eq!(
        told,
        [
            (
                "admin@exemple.fr",
                "[Communs] Nouvelle contribution à modérer : « Ludothèque de rue »"
            ),
            (
                "lea@afev.exemple.fr",
                "[Communs] Contribution publiée : « Ludothèque de rue »"
            ),
        ],
        "{received:#?}"
    );
}

#[tokio::test]
async fn notification_settings_are_on_by_default_and_new_submissions_are_for_moderators() {
    let app = TestApp::with_demo().await;
    let partner = app
        .account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;

    let defaults = app.data_as(&partner.token, SETTINGS, json!({})).await;
    assert_eq!(
        defaults["me"]["notificationSettings"],
        json!({ "contributionDecisions": true, "newSubmissions": null })
    );
    let refused = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "newSubmissions": true } }),
        )
        .await;
    assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["field"], "input.newSubmissions",
        "{refused}"
    );

    let no_digest = app
        .query_as(
            &partner.token,
            UPDATE,
            json!({ "input": { "submissionDigest": true } }),
        )
        .await;
    assert_eq!(error_codes(&no_digest), ["BAD_USER_INPUT"], "{no_digest}");
    assert_eq!(
        no_digest["errors"][0]["extensions"]["field"], "input.submissionDigest",
        "{no_digest}"
    );

    let changed = app
        .data_as(
            &moderator.token,
            UPDATE,
            json!({ "input": { "newSubmissions": false } }),
        )
        .await;
    assert_eq!(
        changed["updateMyNotificationSettings"]["notificationSettings"],
        json!({ "contributionDecisions": true, "newSubmissions": false })
    );
    let again = app
        .data_as(
            &moderator.token,
            UPDATE,
            json!({ "input": { "contributionDecisions": false } }),
        )
        .await;
    assert_eq!(
        again["updateMyNotificationSettings"]["notificationSettings"],
        json!({ "contributionDecisions": false, "newSubmissions": false }),
        "what is left out stays as it was"
    );
    let read = app.data_as(&moderator.token, SETTINGS, json!({})).await;
    assert_eq!(
        read["me"]["notificationSettings"],
        json!({ "contributionDecisions": false, "newSubmissions": false })
    );
    let partners_own = app.data_as(&partner.token, SETTINGS, json!({})).await;
    assert_eq!(
        partners_own["me"]["notificationSettings"]["contributionDecisions"], true,
        "one account's settings are its own"
    );

    let anonymous = app
        .query_with(
            UPDATE,
            json!({ "input": { "contributionDecisions": false } }),
        )
        .await;
    assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn a_message_the_server_could_not_take_arrives_once_it_is_up_and_takes_it() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let app = TestApp::with_demo().await;
    let _mailing = send_mail(&app, port, &[200; 20]).await;
    app.account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    let id = submitted(&app, "Troc de graines au pied des tours", "afev").await;
    decide(&app, &moderator, &id, "APPROVE", None).await;

    // Nothing listens: the connection is refused, and the message waits.
    let waiting = notices_once(&app, |all| {
        all.len() == 1 && all[0].attempts >= 1 && all[0].last_error.is_some()
    })
    .await;
    assert_eq!(waiting[0].status, "PENDING", "{waiting:#?}");

    // Up, but busy once (451): then it takes the message.
    let smtp = SmtpServer::start_on(port).await;
    smtp.answer(&[451]);
    let received = smtp.wait_for(1).await;
    assert_eq!(received.len(), 1, "sent once: {received:#?}");
    assert_eq!(received[0].to, ["claire@afev.exemple.fr"]);
    let sent = notices_once(&app, |all| all[0].status == "SENT").await;
    assert!(
        sent[0].attempts >= 3,
        "refused, then 451, then taken: {sent:#?}"
    );
    assert_eq!(sent[0].last_error, None);
}

#[tokio::test]
async fn a_message_refused_for_good_or_past_the_retries_has_failed_with_the_last_error() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    let _mailing = send_mail(&app, port, &[30, 30]).await;
    app.account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;

    smtp.answer(&[451, 451, 451]);
    let busy = submitted(&app, "Atelier vélo solidaire", "afev").await;
    decide(&app, &moderator, &busy, "APPROVE", None).await;
    let failed = notices_once(&app, |all| all.len() == 1 && all[0].status == "FAILED").await;
    assert_eq!(failed[0].attempts, 3, "the first attempt and two retries");
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("451"),
        "{failed:#?}"
    );

    smtp.answer(&[550]);
    let refused = submitted(&app, "Jardin partagé des Provinces", "afev").await;
    decide(&app, &moderator, &refused, "APPROVE", None).await;
    let failed = notices_once(&app, |all| all.len() == 2 && all[1].status == "FAILED").await;
    assert_eq!(failed[1].attempts, 1, "a refusal is not tried again");
    assert!(
        failed[1]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550"),
        "{failed:#?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn two_replicas_send_a_burst_of_50_decisions_each_exactly_once() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    let replica = app.replica().await;
    app.account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    let mut ids = Vec::new();
    for number in 0..50 {
        ids.push(submitted(&app, &format!("Initiative du lot numéro {number}"), "afev").await);
    }
    // The e-mails start being owed from here; both replicas then find 50 decisions to hand
    // over and send at once.
    let txn = sea_orm::TransactionTrait::begin(app.db()).await.unwrap();
    let end = communs::events::outbox::last_sequence(&txn).await.unwrap();
    communs::store::stream_consumers::lock_position(&txn, "mail", end)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    for id in &ids {
        decide(&app, &moderator, id, "APPROVE", None).await;
    }
    let _first = send_mail(&app, port, &[50]).await;
    let _second = send_mail(&replica, port, &[50]).await;

    smtp.wait_for(50).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = smtp.received();
    assert_eq!(received.len(), 50, "none twice");
    let subjects: HashSet<&str> = received.iter().map(|mail| mail.subject.as_str()).collect();
    assert_eq!(subjects.len(), 50, "each decision once");
    let sent = notices(&app).await;
    assert_eq!(sent.len(), 50);
    assert!(
        sent.iter()
            .all(|notice| notice.status == "SENT" && notice.attempts == 1),
        "{sent:#?}"
    );
}

/// The `communs` binary serving the test's database, with more settings.
struct Served {
    child: Child,
    address: String,
}

impl Served {
    fn start(app: &TestApp, settings: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_communs"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.database_url)
            .env("JWT_SECRET", TEST_JWT_SECRET)
            .env("ERASURE_KEY", TEST_ERASURE_KEY)
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .envs(settings.iter().map(|(name, value)| (name, value)))
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Communs is serving")
                    && let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(address) = event["address"].as_str()
                {
                    let _ = address_tx.send(address.to_owned());
                }
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server announces its address");
        Self { child, address }
    }

    async fn moderate(&self, moderator: &TestAccount, id: &str) {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("http://{}/graphql", self.address))
            .bearer_auth(&moderator.token)
            .json(&json!({
                "query": crate::contributions::MODERATE,
                "variables": { "id": id, "action": "APPROVE", "version": 1 },
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(answer.get("errors").is_none(), "{answer}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_server_sends_e_mails_with_smtp_url_set_and_queues_none_without_it() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    app.account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let moderator = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    let first = submitted(&app, "Troc de graines au pied des tours", "afev").await;
    let second = submitted(&app, "Atelier vélo solidaire", "afev").await;

    let without = Served::start(&app, &[]);
    without.moderate(&moderator, &first).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(without);
    assert_eq!(
        mail_notice::Entity::find().count(app.db()).await.unwrap(),
        0,
        "no SMTP_URL: nothing queued"
    );
    assert!(
        stream_consumer::Entity::find_by_id("mail".to_owned())
            .one(app.db())
            .await
            .unwrap()
            .is_none(),
        "no SMTP_URL: the stream is not read for e-mails"
    );

    let with = Served::start(
        &app,
        &[
            ("SMTP_URL", format!("smtp://127.0.0.1:{port}")),
            ("MAIL_FROM", FROM.to_owned()),
            ("PUBLIC_SITE_URL", SITE.to_owned()),
        ],
    );
    // The consumer starts where the stream is when it first runs.
    for _ in 0..200 {
        if stream_consumer::Entity::find_by_id("mail".to_owned())
            .one(app.db())
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    with.moderate(&moderator, &second).await;
    let received = smtp.wait_for(1).await;
    assert_eq!(received.len(), 1, "only what happened since: {received:#?}");
    assert_eq!(
        received[0].subject,
        "[Communs] Contribution publiée : « Atelier vélo solidaire »"
    );
    assert!(
        received[0].body.contains(&format!(
            "{SITE}/contributions/initiatives/{}",
            uuid_of(&second)
        )),
        "{}",
        received[0].body
    );
}

#[tokio::test]
async fn a_moderator_who_chose_a_digest_gets_the_submissions_gathered_in_one_message_once() {
    let (smtp, port) = SmtpServer::start().await;
    let app = TestApp::with_demo().await;
    let replica = app.replica().await;
    let partner = app
        .account("claire@afev.exemple.fr", Role::Partner, Some("afev"))
        .await;
    let gathering = app
        .account("moderation@exemple.fr", Role::Moderator, None)
        .await;
    app.account("admin@exemple.fr", Role::Admin, None).await;
    let chosen = app
        .data_as(
            &gathering.token,
            "mutation { updateMyNotificationSettings(input: { submissionDigest: true }) {
                notificationSettings { newSubmissions submissionDigest } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        chosen["updateMyNotificationSettings"]["notificationSettings"],
        json!({ "newSubmissions": true, "submissionDigest": true })
    );
    // Two replicas, gathering for three seconds.
    let digest_settings = || MailSettings {
        digest_period: Duration::from_secs(3),
        ..settings(port, &[50])
    };
    let _first = send_mail_with(&app, digest_settings()).await;
    let _second = send_mail_with(&replica, digest_settings()).await;

    let mut ids = Vec::new();
    for title in ["Jardin partagé", "Repair café", "Aide aux devoirs"] {
        let id = draft(&app, &partner, title).await;
        let sent = submit(&app, &partner, &id, 1).await;
        assert!(sent.get("errors").is_none(), "{sent}");
        ids.push(id);
    }
    let received = smtp.wait_for(4).await;
    assert_eq!(
        smtp.to("admin@exemple.fr").len(),
        3,
        "one message each for who did not choose a digest"
    );
    let digests = smtp.to("moderation@exemple.fr");
    assert_eq!(digests.len(), 1, "{received:#?}");
    let digest = &digests[0];
    assert_eq!(digest.subject, "[Communs] 3 contributions à modérer");
    let listed: Vec<&str> = digest
        .body
        .lines()
        .filter(|line| line.starts_with("- "))
        .collect();
    assert_eq!(
        listed,
        [
            "- L'initiative « Jardin partagé », soumise par AFEV — Association de la fondation \
             étudiante pour la ville",
            "- L'initiative « Repair café », soumise par AFEV — Association de la fondation \
             étudiante pour la ville",
            "- L'initiative « Aide aux devoirs », soumise par AFEV — Association de la fondation \
             étudiante pour la ville",
        ],
        "oldest first: {}",
        digest.body
    );
    for id in &ids {
        assert!(
            digest.body.contains(&format!(
                "  {SITE}/contributions/initiatives/{}",
                uuid_of(id)
            )),
            "{}",
            digest.body
        );
    }
    let gathered: Vec<String> = notices(&app)
        .await
        .into_iter()
        .filter(|notice| notice.user_id.to_string() == uuid_of(&gathering.id))
        .map(|notice| notice.status)
        .collect();
    assert_eq!(gathered, ["IN_DIGEST", "IN_DIGEST", "SENT"]);

    // A submission after the digest starts the next one.
    let id = draft(&app, &partner, "Paniers solidaires").await;
    submit(&app, &partner, &id, 1).await;
    smtp.wait_for(6).await;
    let digests = smtp.to("moderation@exemple.fr");
    assert_eq!(digests.len(), 2);
    assert_eq!(digests[1].subject, "[Communs] 1 contribution à modérer");
    assert!(
        digests[1]
            .body
            .contains("une contribution a été soumise et attend une décision de modération"),
        "{}",
        digests[1].body
    );
}
