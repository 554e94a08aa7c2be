//! Duplicates decided once: two initiatives are not the same action, or one is merged into
//! the other.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::{
    context::ContextExt,
    id::{GlobalId, NodeKind},
    initiative::Initiative,
    scalars::DateTime,
};
use crate::{contributions::duplicates, domain::access::Capability};

/// Two initiatives decided not to be the same action: neither is suggested as a look-alike
/// of the other any more.
#[derive(SimpleObject)]
pub struct NotDuplicateDecision {
    /// The initiative given as `a`.
    initiative: Initiative,
    /// The initiative given as `b`.
    other: Initiative,
    /// When the pair was decided (the first time, for a pair decided before).
    decided_at: DateTime,
}

/// The result of a merge.
#[derive(SimpleObject)]
pub struct MergeInitiativesPayload {
    /// The initiative kept, as stored now: with the duplicate's experiences, links,
    /// contacts, themes, territories, audiences, meetings and organisations; its `version`
    /// went up by one.
    initiative: Initiative,
}

#[derive(Default)]
pub struct DuplicateMutation;

/// Deciding duplicates once.
#[Object]
impl DuplicateMutation {
    /// Decides that two initiatives are not the same action: `similarInitiatives(initiativeId:)`
    /// no longer suggests one for the other. Moderators and admins decide on any pair;
    /// a partner (or an API key with CONTRIBUTE) on a pair one of which its organisation
    /// owns (FORBIDDEN otherwise), the other being one it may see. An initiative the caller
    /// may not see is NOT_FOUND; the same initiative twice is BAD_USER_INPUT. Deciding a
    /// pair again returns the first decision and is not logged again. Logged as
    /// NOT_DUPLICATE in both initiatives' logs.
    async fn mark_not_duplicate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One initiative.")] a: ID,
        #[graphql(desc = "The other initiative.")] b: ID,
        #[graphql(desc = "Why they differ (at most 5,000 characters), shown in the logs.")]
        comment: Option<String>,
    ) -> Result<NotDuplicateDecision> {
        let state = ctx.state()?;
        let a = GlobalId::parse_as(NodeKind::Initiative, "a", &a)?;
        let b = GlobalId::parse_as(NodeKind::Initiative, "b", &b)?;
        let decided = duplicates::mark_not_duplicate(
            &state.db,
            &state.caller,
            &state.scope,
            a,
            b,
            comment.as_deref(),
        )
        .await?;
        Ok(NotDuplicateDecision {
            initiative: decided.a.into(),
            other: decided.b.into(),
            decided_at: DateTime(decided.decision.created_at),
        })
    }

    /// Merges the initiative `duplicateId` into `keptId`, in one step: the kept one takes
    /// the duplicate's experiences, links (a link that would join it to itself, repeat one
    /// it has or close a cycle of continuations or parts is dropped), contacts, themes,
    /// territories, audiences, meetings and organisations; its own texts and status stay.
    /// The duplicate is deleted (with its pending change proposals); its slug, and its own
    /// former slugs, lead to the kept one in `initiative(slug:)`. Logged as MERGE in the
    /// kept initiative's log. Moderators and admins only. A published duplicate is merged
    /// only into a published initiative (BAD_USER_INPUT otherwise).
    async fn merge_initiatives(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative kept.")] kept_id: ID,
        #[graphql(desc = "The initiative merged into it, then deleted.")] duplicate_id: ID,
        #[graphql(desc = "Why (at most 5,000 characters), shown in the log.")] comment: Option<
            String,
        >,
    ) -> Result<MergeInitiativesPayload> {
        let state = ctx.state()?;
        let account = state.caller.require(Capability::Moderate)?;
        let kept = GlobalId::parse_as(NodeKind::Initiative, "keptId", &kept_id)?;
        let duplicate = GlobalId::parse_as(NodeKind::Initiative, "duplicateId", &duplicate_id)?;
        let kept =
            duplicates::merge_initiatives(&state.db, account, kept, duplicate, comment.as_deref())
                .await?;
        Ok(MergeInitiativesPayload {
            initiative: kept.into(),
        })
    }
}
