//! The `Node` interface: any object with a global id, fetched by `node(id:)`.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::{
    context::{ContextExt, RequestState},
    experience::Experience,
    id::{GlobalId, NodeKind},
    initiative::Initiative,
    meeting::{Meeting, MeetingParticipant, MeetingTopic},
    moderation::{self, ChangeProposal, ModerationEvent, ModerationItem},
    organisation::Organisation,
    professional::{Position, Professional},
    territory::Territory,
    theme::Theme,
    user::User,
};
use crate::{domain::page::MAX_PAGE_SIZE, error::AppError};

/// An object with a global id, which `node(id:)` fetches whatever its type.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The global id of the object."))]
pub enum Node {
    Initiative(Initiative),
    Experience(Experience),
    Theme(Theme),
    Territory(Territory),
    Organisation(Organisation),
    Professional(Professional),
    Position(Position),
    Meeting(Meeting),
    MeetingParticipant(MeetingParticipant),
    MeetingTopic(MeetingTopic),
    User(User),
    ChangeProposal(ChangeProposal),
    ModerationItem(ModerationItem),
    ModerationEvent(ModerationEvent),
}

/// Fetches the object behind a parsed id, if the caller may see it.
pub(super) async fn fetch(state: &RequestState, id: GlobalId) -> Result<Option<Node>, AppError> {
    let loaders = &state.loaders;
    let uuid = id.uuid;
    Ok(match id.kind {
        NodeKind::Initiative => loaders
            .initiative()
            .load_one(uuid)
            .await?
            .map(|m| Node::Initiative(Initiative::from(m))),
        NodeKind::Experience => loaders
            .experience()
            .load_one(uuid)
            .await?
            .map(|m| Node::Experience(Experience(m))),
        NodeKind::Theme => loaders
            .theme()
            .load_one(uuid)
            .await?
            .map(|m| Node::Theme(Theme(m))),
        NodeKind::Territory => loaders
            .territory()
            .load_one(uuid)
            .await?
            .map(|m| Node::Territory(Territory(m))),
        NodeKind::Organisation => loaders
            .organisation()
            .load_one(uuid)
            .await?
            .map(|m| Node::Organisation(Organisation(m))),
        NodeKind::Professional => loaders
            .professional()
            .load_one(uuid)
            .await?
            .map(|m| Node::Professional(Professional(m))),
        NodeKind::Position => loaders
            .position()
            .load_one(uuid)
            .await?
            .map(|m| Node::Position(Position(m))),
        NodeKind::Meeting => loaders
            .meeting()
            .load_one(uuid)
            .await?
            .map(|m| Node::Meeting(Meeting(m))),
        NodeKind::MeetingParticipant => loaders
            .meeting_participant()
            .load_one(uuid)
            .await?
            .map(|m| Node::MeetingParticipant(MeetingParticipant(m))),
        NodeKind::MeetingTopic => loaders
            .meeting_topic()
            .load_one(uuid)
            .await?
            .map(|m| Node::MeetingTopic(MeetingTopic(m))),
        NodeKind::User => loaders
            .user()
            .load_one(uuid)
            .await?
            .map(|m| Node::User(User(m))),
        NodeKind::ChangeProposal => loaders
            .change_proposal()
            .load_one(uuid)
            .await?
            .map(|m| Node::ChangeProposal(ChangeProposal(m))),
        NodeKind::ModerationItem => moderation::queue_item(state, uuid)
            .await?
            .map(Node::ModerationItem),
        NodeKind::ModerationEvent => moderation::audit_entry(state, uuid)
            .await?
            .map(Node::ModerationEvent),
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when there is none the caller may see.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as returned in any `id` field.")] id: ID,
    ) -> Result<Option<Node>> {
        let id = GlobalId::parse("id", &id)?;
        Ok(fetch(ctx.state()?, id).await?)
    }

    /// Objects by their global ids, in the same order; null for each one there is none the
    /// caller may see. At most 100 ids.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, as returned in any `id` field (at most 100).")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() as u64 > MAX_PAGE_SIZE {
            return Err(AppError::bad_input(
                "ids",
                format!("at most {MAX_PAGE_SIZE} ids, got {}", ids.len()),
            )
            .into());
        }
        let ids = ids
            .iter()
            .enumerate()
            .map(|(index, id)| GlobalId::parse(&format!("ids[{index}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let state = ctx.state()?;
        // Loads run concurrently, so the loaders batch them into one query per type.
        let found =
            futures_util::future::try_join_all(ids.into_iter().map(|id| fetch(state, id))).await?;
        Ok(found)
    }
}
