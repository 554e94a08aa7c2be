//! Subscriptions: the change stream as each caller may see it, over WebSocket
//! (`graphql-transport-ws`, see `http::websocket`). Each change is read afresh, with the
//! caller's visibility, when it arrives; a subscription that cannot keep up, or whose
//! connection's token stops being valid, ends with an error.

use std::{future::Future, sync::Arc};

use async_graphql::{Context, Enum, ID, InputObject, Result, SimpleObject, Subscription};
use futures_util::{Stream, stream};
use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use super::{
    context::ContextExt,
    experience::Experience,
    id::{GlobalId, NodeKind},
    initiative::Initiative,
    moderation::{ChangeProposal, Contribution, ModerationItem},
};
use crate::{
    domain::{
        access::Capability, caller::Caller, initiative_query::InitiativeFilter,
        visibility::ContributionScope,
    },
    error::{AppError, AppResult},
    events::{Audience, ChangeKind, ChangeStream, Committed, outbox},
    store::{self, loaders::Loaders},
};

/// What a WebSocket connection gives its subscriptions.
pub struct Live {
    /// The change stream, as this replica follows it.
    pub changes: ChangeStream,
    /// True while the connection's token is valid (always, for an anonymous connection);
    /// false once it expires, is revoked, or proves another role or organisation.
    pub credentials: watch::Receiver<bool>,
}

fn live<'a>(ctx: &Context<'a>) -> AppResult<&'a Live> {
    // Subscriptions run only over WebSocket, whose connections always bring it.
    ctx.data::<Live>()
        .map_err(|_| AppError::internal("the live state missing from a subscription"))
}

/// Starts listening to the stream, and reads where it ends now: what the subscriber reads
/// from now on reflects every change up to there, so only the later ones are news. A change
/// committed meanwhile may be both reflected and sent, never lost.
async fn listen(
    live: &Live,
    db: &DatabaseConnection,
) -> AppResult<(broadcast::Receiver<Arc<Committed>>, i64)> {
    let receiver = live.changes.subscribe();
    let after = outbox::last_sequence(db).await?;
    Ok((receiver, after))
}

/// What a subscription makes of one change.
enum Step<T> {
    /// Nothing for this subscriber.
    Skip,
    /// Sent; the subscription goes on.
    Send(T),
    /// Sent, and the subscription is over.
    Last(T),
}

/// Follows the stream from `receiver`, from the change after `after`, until `credentials`
/// turn false, sending what `pick` makes of each change. Falling behind ends the subscription with SUBSCRIPTION_LAGGED
/// rather than skipping changes silently: the client cannot know what it missed.
fn follow<T, F, Fut>(
    receiver: broadcast::Receiver<Arc<Committed>>,
    after: i64,
    credentials: watch::Receiver<bool>,
    pick: F,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: FnMut(Arc<Committed>) -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<Step<T>>> + Send,
{
    stream::unfold(
        Some((receiver, credentials, pick)),
        move |state| async move {
            let (mut receiver, mut credentials, mut pick) = state?;
            loop {
                let ended = async {
                    if credentials.wait_for(|valid| !*valid).await.is_err() {
                        // The connection is gone; so is this subscription, soon.
                        std::future::pending::<()>().await;
                    }
                };
                let received = tokio::select! {
                    biased;
                    () = ended => {
                        let error = AppError::Unauthenticated(
                            "the connection's token expired or was revoked: connect again \
                             with a new token"
                                .to_owned(),
                        );
                        return Some((Err(error.into()), None));
                    }
                    received = receiver.recv() => received,
                };
                let change = match received {
                    // Committed before the subscription started: not news to it.
                    Ok(change) if change.sequence <= after => continue,
                    Ok(change) => change,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        return Some((Err(AppError::Lagged { missed }.into()), None));
                    }
                    // The replica is stopping.
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                match pick(change).await {
                    Ok(Step::Skip) => {}
                    Ok(Step::Send(item)) => {
                        return Some((Ok(item), Some((receiver, credentials, pick))));
                    }
                    Ok(Step::Last(item)) => return Some((Ok(item), None)),
                    Err(error) => return Some((Err(error.into()), None)),
                }
            }
        },
    )
}

/// Which newly published initiatives to receive. Every criterion given must hold; within a
/// list, any value matches.
#[derive(InputObject, Default)]
pub struct InitiativePublishedFilter {
    /// Initiatives with any of these themes, sub-themes included.
    pub theme_ids: Option<Vec<ID>>,
    /// Initiatives on any of these territories or on a territory they contain, at any depth.
    pub territory_ids: Option<Vec<ID>>,
}

impl InitiativePublishedFilter {
    /// The same filter as `initiatives`' one; errors name the field under `filter.`.
    fn parse(self) -> AppResult<InitiativeFilter> {
        let ids = |kind, field: &str, ids: Option<Vec<ID>>| {
            GlobalId::parse_list(kind, &format!("filter.{field}"), &ids.unwrap_or_default())
        };
        Ok(InitiativeFilter {
            theme_ids: ids(NodeKind::Theme, "themeIds", self.theme_ids)?,
            territory_ids: ids(NodeKind::Territory, "territoryIds", self.territory_ids)?,
            ..InitiativeFilter::default()
        })
    }
}

/// What happened to a followed initiative.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InitiativeChangeKind {
    /// It changed (an approved change proposal, a moderator's edit).
    Updated,
    /// It is no longer public (archived, or rejected after publication).
    Unpublished,
    /// It is public again (restored).
    Published,
}

/// A change to the initiative `initiativeChanged` follows.
#[derive(SimpleObject)]
pub struct InitiativeChange {
    /// What happened.
    kind: InitiativeChangeKind,
    /// The initiative's global id.
    initiative_id: ID,
    /// The initiative as it is now; null when the caller may no longer see it, which ends
    /// the subscription.
    initiative: Option<Initiative>,
}

/// What the resolvers take from the subscription's state into its stream.
struct Reader {
    db: DatabaseConnection,
    scope: ContributionScope,
    loaders: Arc<Loaders>,
}

impl Reader {
    fn of<'a>(ctx: &'a Context<'_>) -> AppResult<(Self, &'a Caller)> {
        let state = ctx.state()?;
        Ok((
            Self {
                db: state.db.clone(),
                scope: state.scope.clone(),
                loaders: state.loaders.clone(),
            },
            &state.caller,
        ))
    }
}

#[derive(Default)]
pub struct Subscription;

/// Live changes, over WebSocket (`graphql-transport-ws`) on `/graphql`: authenticate in
/// `connection_init`'s payload (`{"Authorization": "Bearer <token>"}`).
#[Subscription]
impl Subscription {
    /// Each initiative when it is published, if it matches `filter` (as `initiatives`
    /// filters: sub-themes and contained territories included). Public.
    async fn initiative_published(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which initiatives to receive (all by default).")] filter: Option<
            InitiativePublishedFilter,
        >,
    ) -> Result<impl Stream<Item = Result<Initiative>> + use<>> {
        let filter = filter.unwrap_or_default().parse()?;
        let live = live(ctx)?;
        let (reader, _) = Reader::of(ctx)?;
        let (receiver, after) = listen(live, &reader.db).await?;
        let reader = Arc::new((reader, filter));
        Ok(follow(
            receiver,
            after,
            live.credentials.clone(),
            move |change| {
                let reader = reader.clone();
                async move {
                    let (reader, filter) = &*reader;
                    if change.kind != ChangeKind::InitiativePublished
                        || change.subject_type != "Initiative"
                    {
                        return Ok(Step::Skip);
                    }
                    let found = store::initiatives::matching(
                        &reader.db,
                        &reader.scope,
                        filter,
                        change.subject_id,
                    )
                    .await?;
                    Ok(found.map_or(Step::Skip, |model| Step::Send(Initiative::from(model))))
                }
            },
        ))
    }

    /// The changes of one initiative the caller may see: its updates, its unpublication and
    /// its publication again. Ends when the caller may no longer see it. An initiative the
    /// caller may not see is NOT_FOUND.
    async fn initiative_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative's global id.")] id: ID,
    ) -> Result<impl Stream<Item = Result<InitiativeChange>> + use<>> {
        let uuid = GlobalId::parse_as(NodeKind::Initiative, "id", &id)?;
        let live = live(ctx)?;
        let (reader, _) = Reader::of(ctx)?;
        // Listening before looking: a change made meanwhile is not lost.
        let (receiver, after) = listen(live, &reader.db).await?;
        if reader.loaders.initiative().load_one(uuid).await?.is_none() {
            return Err(AppError::NotFound(format!("no initiative {}", id.as_str())).into());
        }
        let reader = Arc::new(reader);
        Ok(follow(
            receiver,
            after,
            live.credentials.clone(),
            move |change| {
                let reader = reader.clone();
                let id = id.clone();
                async move {
                    if change.subject_type != "Initiative" || change.subject_id != uuid {
                        return Ok(Step::Skip);
                    }
                    let kind = match change.kind {
                        ChangeKind::InitiativeUpdated => InitiativeChangeKind::Updated,
                        ChangeKind::InitiativeUnpublished => InitiativeChangeKind::Unpublished,
                        ChangeKind::InitiativePublished => InitiativeChangeKind::Published,
                        _ => return Ok(Step::Skip),
                    };
                    let found = reader.loaders.initiative().load_one(uuid).await?;
                    let visible = found.is_some();
                    let item = InitiativeChange {
                        kind,
                        initiative_id: id,
                        initiative: found.map(Initiative::from),
                    };
                    Ok(if visible {
                        Step::Send(item)
                    } else {
                        Step::Last(item)
                    })
                }
            },
        ))
    }

    /// The moderation queue's changes, each with its item as it is now: submissions and
    /// decisions. Moderators and admins receive every item (or one organisation's, with
    /// `organisationId`); partners those of their organisation, and the edits of its drafts
    /// too.
    async fn moderation_queue_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this organisation's contributions (a partner's own by default).")]
        organisation_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<ModerationItem>> + use<>> {
        let organisation = organisation_id
            .map(|id| GlobalId::parse_as(NodeKind::Organisation, "organisationId", &id))
            .transpose()?;
        let live = live(ctx)?;
        let (reader, caller) = Reader::of(ctx)?;
        let account = caller.require_account()?;
        let only = if caller.can(Capability::Moderate) {
            organisation
        } else {
            let own = account.organisation_id.ok_or_else(|| {
                AppError::Forbidden(
                    "only moderators, admins and the partners of an organisation may follow \
                     the moderation queue"
                        .to_owned(),
                )
            })?;
            if organisation.is_some_and(|asked| asked != own) {
                return Err(AppError::Forbidden(
                    "a partner may follow only its own organisation's contributions".to_owned(),
                )
                .into());
            }
            Some(own)
        };
        // Drafts edited by their authors wait for no moderator: only their organisation's
        // partners follow those edits.
        let follows_edits = !caller.can(Capability::Moderate);
        let caller = caller.clone();
        let (receiver, after) = listen(live, &reader.db).await?;
        let reader = Arc::new(reader);
        Ok(follow(
            receiver,
            after,
            live.credentials.clone(),
            move |change| {
                let reader = reader.clone();
                let caller = caller.clone();
                async move {
                    let queued = match change.kind {
                        ChangeKind::ContributionSubmitted | ChangeKind::ContributionDecided => true,
                        ChangeKind::ContributionEdited => follows_edits,
                        _ => false,
                    };
                    let for_caller = change.audience.includes(&caller)
                        && only.is_none_or(|own| change.audience == Audience::Organisation(own));
                    if !queued || !for_caller {
                        return Ok(Step::Skip);
                    }
                    let item =
                        moderation_item(&reader.loaders, &change.subject_type, change.subject_id)
                            .await?;
                    Ok(item.map_or(Step::Skip, Step::Send))
                }
            },
        ))
    }
}

/// The contribution a change is about, as the caller may see it.
async fn moderation_item(
    loaders: &Loaders,
    subject_type: &str,
    id: Uuid,
) -> AppResult<Option<ModerationItem>> {
    let contribution = match subject_type {
        "Initiative" => loaders
            .initiative()
            .load_one(id)
            .await?
            .map(|model| Contribution::Initiative(model.into())),
        "Experience" => loaders
            .experience()
            .load_one(id)
            .await?
            .map(|model| Contribution::Experience(Experience(model))),
        "ChangeProposal" => loaders
            .change_proposal()
            .load_one(id)
            .await?
            .map(|model| Contribution::ChangeProposal(ChangeProposal(model))),
        _ => None,
    };
    Ok(contribution.map(ModerationItem::of))
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn change(sequence: i64) -> Arc<Committed> {
        Arc::new(Committed {
            sequence,
            occurred_at: chrono::Utc::now(),
            kind: ChangeKind::InitiativePublished,
            subject_type: "Initiative".to_owned(),
            subject_id: Uuid::nil(),
            audience: Audience::Public,
        })
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_ended_with_lagged_rather_than_skipping() {
        let (sender, receiver) = broadcast::channel(2);
        let (_valid, credentials) = watch::channel(true);
        for sequence in 1..=5 {
            sender.send(change(sequence)).unwrap();
        }
        let stream = follow(receiver, 0, credentials, |change| async move {
            Ok(Step::Send(change.sequence))
        });
        let received: Vec<_> = stream.collect().await;
        assert_eq!(received.len(), 1, "the error ends the subscription");
        let error = received[0].as_ref().unwrap_err();
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code").cloned());
        assert_eq!(
            code,
            Some(async_graphql::Value::from("SUBSCRIPTION_LAGGED")),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn credentials_that_turn_invalid_end_the_subscription() {
        let (_sender, receiver) = broadcast::channel::<Arc<Committed>>(2);
        let (valid, credentials) = watch::channel(true);
        let stream = follow(receiver, 0, credentials, |change| async move {
            Ok(Step::Send(change.sequence))
        });
        valid.send_replace(false);
        let received: Vec<_> = stream.collect().await;
        assert_eq!(received.len(), 1);
        assert!(received[0].is_err());
    }
}
