//! Two replicas on one database: a change made through one is seen through the other at
//! once, even in the answers, figures and rankings the other keeps, and a replica that may
//! miss a change keeps nothing until it has caught up.
//!
//! On PostgreSQL each commit notifies every replica. On SQLite the stream is in-process: a
//! second app on the same file (as a `seed-demo` run beside the server) sees a change by
//! the follower's poll, so the same tests allow it that poll there. The listener's tests
//! are PostgreSQL's only: SQLite has no listener to lose.

use std::time::{Duration, Instant};

use communs::events::{follower::POLL_INTERVAL, listener::APPLICATION_NAME};
use entity::enums::{ContactVisibility, ModerationStatus, Role};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{Value, json};

use crate::{
    contributions::publish,
    fixtures::{NewInitiative, insert_initiative, set_contact_details},
    helpers::TestApp,
};

const LIST: &str = "{ initiatives(first: 100) { totalCount nodes { title } } }";
const SEARCH: &str =
    "query ($text: String!) { initiatives(filter: { search: $text }) { totalCount } }";
const STATS: &str = "{ stats { total } }";
const PAGE: &str = "query ($slug: String!) { initiative(slug: $slug) { title } }";
const PERSON: &str = "julie-parachini";
const CONTACT: &str = "query ($slug: String!) { professional(slug: $slug) { fullName email } }";

/// How often a test asks the other replica again.
const EVERY: Duration = Duration::from_millis(50);

/// Two replicas of the demo app on one database, keeping answers, figures, rankings and
/// reference rows as a deployment does.
async fn two_replicas() -> (TestApp, TestApp) {
    let a = TestApp::with_demo_and_settings(|settings| {
        settings.response_cache = Duration::from_secs(10);
        settings.stats_cache = Duration::from_secs(10);
        settings.reference_cache = Duration::from_secs(10);
        // The tests ask the other replica again and again until the change shows.
        settings.protection.rate_limit_per_address = 0;
    })
    .await;
    let b = a.replica().await;
    (a, b)
}

fn postgres(app: &TestApp) -> bool {
    app.db().get_database_backend() == DbBackend::Postgres
}

/// How long a change may take to reach the other replica: the target on PostgreSQL; on
/// SQLite, the follower's poll.
fn deadline(app: &TestApp) -> Duration {
    if postgres(app) {
        Duration::from_secs(1)
    } else {
        POLL_INTERVAL + Duration::from_secs(1)
    }
}

/// Asks `query` on `app` every `every` until `seen` holds of the data, for `limit` at most:
/// how long it took, or the last data when it never held.
async fn until(
    app: &TestApp,
    query: &str,
    variables: Value,
    limit: Duration,
    every: Duration,
    seen: impl Fn(&Value) -> bool,
) -> Result<Duration, Value> {
    let start = Instant::now();
    loop {
        let data = app.data_with(query, variables.clone()).await;
        if seen(&data) {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            return Err(data);
        }
        tokio::time::sleep(every).await;
    }
}

/// A submitted initiative, titled `title`, ready to be approved.
async fn submitted(app: &TestApp, title: &str) -> uuid::Uuid {
    insert_initiative(
        app.db(),
        NewInitiative {
            title,
            status: ModerationStatus::Submitted,
            owner: Some("afev"),
            ..NewInitiative::default()
        },
    )
    .await
}

#[tokio::test]
async fn an_approval_through_one_replica_shows_at_once_in_what_the_other_keeps() {
    let (a, b) = two_replicas().await;
    let moderator = a.account("m@exemple.fr", Role::Moderator, None).await;
    let title = "Grainothèque zanzibarienne des deux répliques";
    let id = submitted(&a, title).await;
    let search = json!({ "text": "zanzibarienne" });
    // The slug the initiative gets when it is published.
    let page = json!({ "slug": "grainotheque-zanzibarienne-des-deux-repliques" });
    // B keeps what it answers before the change.
    let list = b.data(LIST).await["initiatives"]["totalCount"]
        .as_i64()
        .unwrap();
    assert_eq!(
        b.data_with(SEARCH, search.clone()).await["initiatives"]["totalCount"],
        0
    );
    let total = b.data(STATS).await["stats"]["total"].as_i64().unwrap();
    assert_eq!(
        b.data_with(PAGE, page.clone()).await["initiative"],
        Value::Null
    );
    let before = b.statements();
    b.data(LIST).await;
    b.data(STATS).await;
    assert_eq!(b.statements(), before, "B answers from what it keeps");

    publish(&a, &moderator, id).await;

    let limit = deadline(&b);
    let count = |data: &Value| data["initiatives"]["totalCount"].as_i64();
    for (what, query, variables, seen) in [
        (
            "the list",
            LIST,
            json!({}),
            Box::new(move |data: &Value| count(data) == Some(list + 1))
                as Box<dyn Fn(&Value) -> bool>,
        ),
        (
            "a search",
            SEARCH,
            search,
            Box::new(move |data: &Value| count(data) == Some(1)),
        ),
        (
            "stats",
            STATS,
            json!({}),
            Box::new(move |data: &Value| data["stats"]["total"].as_i64() == Some(total + 1)),
        ),
        (
            "the initiative's page",
            PAGE,
            page,
            Box::new(move |data: &Value| data["initiative"]["title"] == title),
        ),
    ] {
        if let Err(last) = until(&b, query, variables, limit, EVERY, seen).await {
            panic!("{what} on B still misses the approval after {limit:?}: {last}");
        }
    }
}

#[tokio::test]
async fn a_contact_withdrawn_through_one_replica_is_gone_from_the_other_at_once() {
    let (a, b) = two_replicas().await;
    let admin = a.account("admin@exemple.fr", Role::Admin, None).await;
    set_contact_details(a.db(), PERSON, ContactVisibility::Public).await;
    let person = a.id_of(&format!(r#"professional(slug: "{PERSON}")"#)).await;
    let shown = b.data_with(CONTACT, json!({ "slug": PERSON })).await;
    assert!(shown["professional"]["email"].is_string(), "{shown}");

    let withdrawn = a
        .data_as(
            &admin.token,
            "mutation ($id: ID!) { setContactVisibility(input: { professionalId: $id,
                visibility: PRIVATE }) { contactVisibility } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(
        withdrawn["setContactVisibility"]["contactVisibility"],
        "PRIVATE"
    );

    let limit = deadline(&b);
    let gone = until(
        &b,
        CONTACT,
        json!({ "slug": PERSON }),
        limit,
        EVERY,
        |data| data["professional"]["email"].is_null(),
    )
    .await;
    if let Err(last) = gone {
        panic!("B still shows the withdrawn contact after {limit:?}: {last}");
    }
}

#[tokio::test]
async fn a_person_erased_through_one_replica_is_gone_from_the_other_at_once() {
    let (a, b) = two_replicas().await;
    let admin = a.account("admin@exemple.fr", Role::Admin, None).await;
    set_contact_details(a.db(), PERSON, ContactVisibility::Public).await;
    let person = a.id_of(&format!(r#"professional(slug: "{PERSON}")"#)).await;
    let shown = b.data_with(CONTACT, json!({ "slug": PERSON })).await;
    assert!(shown["professional"]["fullName"].is_string(), "{shown}");

    let erased = a
        .data_as(
            &admin.token,
            "mutation ($id: ID!) { erasePersonalData(professionalId: $id) { erasedId } }",
            json!({ "id": person }),
        )
        .await;
    assert_eq!(erased["erasePersonalData"]["erasedId"], person);

    let limit = deadline(&b);
    let gone = until(
        &b,
        CONTACT,
        json!({ "slug": PERSON }),
        limit,
        EVERY,
        |data| data["professional"].is_null(),
    )
    .await;
    if let Err(last) = gone {
        panic!("B still shows the erased person after {limit:?}: {last}");
    }
}

/// Stops new connections to the test's database (`false`: its listeners cannot connect
/// again, while the replicas' open connections go on), or allows them again (`true`).
async fn allow_connections(app: &TestApp, allowed: bool) {
    let name = app
        .db()
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_database() AS name",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "name")
        .unwrap();
    // Not from the database itself: PostgreSQL refuses that.
    let server = std::env::var("TEST_DATABASE_URL").expect("a PostgreSQL test server");
    let admin = sea_orm::Database::connect(server).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS {allowed}"
        ))
        .await
        .unwrap();
    admin.close().await.unwrap();
}

/// Opens `n` connections in `app`'s pool (they stay open, idle, for a while).
async fn open_connections(app: &TestApp, n: usize) {
    let sleep = || app.db().execute_unprepared("SELECT pg_sleep(0.05)");
    for done in futures_util::future::join_all((0..n).map(|_| sleep())).await {
        done.unwrap();
    }
}

/// Ends the connections of the change listeners on the test's database: how many.
async fn terminate_listeners(app: &TestApp) -> i64 {
    let row = app
        .db()
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity
             WHERE application_name = $1 AND datname = current_database()",
            [APPLICATION_NAME.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "ended").unwrap()
}

#[tokio::test]
async fn a_replica_whose_listener_is_cut_keeps_nothing_then_reconnects_and_catches_up() {
    let (a, b) = two_replicas().await;
    if !postgres(&a) {
        // SQLite has no listener: one process follows its own commits.
        return;
    }
    let moderator = a.account("m@exemple.fr", Role::Moderator, None).await;
    let while_down = submitted(&a, "Publiée pendant la coupure").await;
    let after = submitted(&a, "Publiée après la reconnexion").await;
    let count = |data: &Value| data["initiatives"]["totalCount"].as_i64().unwrap();
    let list = count(&b.data(LIST).await);

    // Connections the replicas will need meanwhile, opened while they still may be.
    open_connections(&a, 6).await;
    open_connections(&b, 6).await;
    allow_connections(&a, false).await;
    assert_eq!(
        terminate_listeners(&a).await,
        2,
        "each replica has one listener"
    );
    let start = Instant::now();
    while b.changes.is_following() {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "B noticed its lost listener"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    b.data(LIST).await;
    let before = b.statements();
    b.data(LIST).await;
    assert!(
        b.statements() > before,
        "while its listener is down, B keeps nothing: it runs the query again"
    );

    publish(&a, &moderator, while_down).await;
    let sequence = communs::events::outbox::last_sequence(a.db())
        .await
        .unwrap();
    allow_connections(&a, true).await;

    tokio::time::timeout(Duration::from_secs(5), b.changes.until_following())
        .await
        .expect("B's listener reconnects and B catches up");
    assert!(b.changes.position() >= sequence, "B caught up");
    assert_eq!(count(&b.data(LIST).await), list + 1);
    let before = b.statements();
    b.data(LIST).await;
    assert_eq!(b.statements(), before, "B keeps again once it follows");

    publish(&a, &moderator, after).await;
    let seen = until(&b, LIST, json!({}), Duration::from_secs(1), EVERY, |data| {
        count(data) == list + 2
    })
    .await;
    if let Err(last) = seen {
        panic!("B misses a change made after its listener reconnected: {last}");
    }
}

#[tokio::test]
async fn a_change_reaches_the_other_replica_in_a_notifications_time_not_a_polls() {
    let (a, b) = two_replicas().await;
    if !postgres(&a) {
        // SQLite's second app follows by the poll only.
        return;
    }
    let moderator = a.account("m@exemple.fr", Role::Moderator, None).await;
    let changes = 50;
    let mut ids = Vec::new();
    for n in 0..changes {
        ids.push(submitted(&a, &format!("Initiative mesurée numéro {n}")).await);
    }
    let count = |data: &Value| data["initiatives"]["totalCount"].as_i64().unwrap();
    let mut total = count(&b.data(LIST).await);
    let mut delays = Vec::new();
    for id in ids {
        publish(&a, &moderator, id).await;
        total += 1;
        let delay = until(
            &b,
            LIST,
            json!({}),
            Duration::from_secs(2),
            Duration::from_millis(5),
            |data| count(data) == total,
        )
        .await
        .unwrap_or_else(|last| panic!("B never saw the change: {last}"));
        delays.push(delay);
    }
    delays.sort();
    let median = delays[delays.len() / 2];
    let max = delays[delays.len() - 1];
    println!(
        "from A's commit to B's fresh answer, over {changes} changes: median {median:?}, max {max:?}"
    );
    // A poll (every second) would give a median near half a second.
    assert!(median < Duration::from_millis(250), "median {median:?}");
    assert!(max < Duration::from_secs(1), "max {max:?}");
}
