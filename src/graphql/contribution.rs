//! What partners do: write initiatives and experiences, submit them, and propose changes
//! to published initiatives.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::{
    context::ContextExt,
    enums::{Audience, InitiativeLinkKind, OrganisationRole},
    experience::Experience,
    id::{GlobalId, NodeKind},
    initiative::Initiative,
    moderation::ChangeProposal,
    scalars::Date,
};
use crate::{
    contributions,
    domain::{
        contribution::{ExperienceChanges, InitiativeChanges, OrganisationLink, Patch},
        initiative_link::LinkChange,
        place::Point,
    },
    error::AppError,
};

/// An organisation taking part in an initiative, and its role.
#[derive(InputObject)]
pub struct InitiativeOrganisationInput {
    /// The organisation.
    organisation_id: ID,
    /// What it does in the initiative.
    role: OrganisationRole,
}

/// A link from the initiative being written to another one.
#[derive(InputObject)]
pub struct InitiativeLinkInput {
    /// The initiative it names: published, or a draft of the writer's organisation.
    target_id: ID,
    /// How the two relate.
    kind: InitiativeLinkKind,
    /// A few words on the link (at most 500 characters), e.g. « même action, à Illkirch ».
    note: Option<String>,
}

/// A point on the map, in degrees (WGS 84).
#[derive(InputObject)]
pub struct PointInput {
    /// From -90 (south) to 90 (north).
    latitude: f64,
    /// From -180 (west) to 180 (east).
    longitude: f64,
}

/// The fields of an initiative that a change may set. Fields left out stay as they are;
/// `null` clears an optional field; a list replaces the whole set.
#[derive(InputObject, Default)]
pub struct InitiativeChangesInput {
    /// A new title (at most 200 characters).
    title: Option<String>,
    /// A new summary (at most 500 characters).
    summary: Option<String>,
    /// The full description (Markdown); null clears it.
    description: MaybeUndefined<String>,
    /// When it started; null clears it.
    started_on: MaybeUndefined<Date>,
    /// When it ended; null clears it.
    ended_on: MaybeUndefined<Date>,
    /// The circumstances (e.g. « confinement COVID-19 »); null clears it.
    context: MaybeUndefined<String>,
    /// What came of it, lessons learnt; null clears it.
    outcomes: MaybeUndefined<String>,
    /// What lasted afterwards; null clears it.
    continuation: MaybeUndefined<String>,
    /// Its themes (replaces them all).
    theme_ids: Option<Vec<ID>>,
    /// Its territories (replaces them all).
    territory_ids: Option<Vec<ID>>,
    /// The organisations taking part, with their roles (replaces them all).
    organisations: Option<Vec<InitiativeOrganisationInput>>,
    /// The people to contact about it (replaces them all).
    contact_ids: Option<Vec<ID>>,
    /// The meetings where it was reported (replaces them all).
    meeting_ids: Option<Vec<ID>>,
    /// Who it is for (replaces them all).
    audiences: Option<Vec<Audience>>,
    /// Its links to other initiatives (replaces them all). Each target and kind at most
    /// once, never the initiative itself, no cycle of CONTINUATION_OF or of PART_OF, and a
    /// VARIANT_OF said from one end only. On a published initiative, partners propose them
    /// with `proposeInitiativeChange`.
    links: Option<Vec<InitiativeLinkInput>>,
    /// Where it is on the map, when its territories' point is not precise enough (a
    /// neighbourhood of a large municipality). Rounded to 3 decimals (about 100 m), so that
    /// no street address can be found from it. Null returns to the point of its
    /// territories. On a published initiative, partners propose it with
    /// `proposeInitiativeChange`.
    place: MaybeUndefined<PointInput>,
}

fn text(value: MaybeUndefined<String>) -> Option<Patch<String>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(Patch::Clear),
        MaybeUndefined::Value(text) => Some(Patch::Set(text)),
    }
}

fn date(value: MaybeUndefined<Date>) -> Option<Patch<NaiveDate>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(Patch::Clear),
        MaybeUndefined::Value(date) => Some(Patch::Set(date.0)),
    }
}

fn ids(
    kind: NodeKind,
    field: &str,
    ids: Option<Vec<ID>>,
) -> Result<Option<Vec<uuid::Uuid>>, AppError> {
    ids.map(|ids| GlobalId::parse_list(kind, field, &ids))
        .transpose()
}

impl InitiativeChangesInput {
    /// The domain's changes, with ids parsed; errors name `input.<field>`.
    fn into_changes(self) -> Result<InitiativeChanges, AppError> {
        let organisations = self
            .organisations
            .map(|links| {
                links
                    .into_iter()
                    .enumerate()
                    .map(|(index, link)| {
                        Ok(OrganisationLink {
                            organisation_id: GlobalId::parse_as(
                                NodeKind::Organisation,
                                &format!("input.organisations[{index}].organisationId"),
                                &link.organisation_id,
                            )?,
                            role: link.role.into(),
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()
            })
            .transpose()?;
        let links = self
            .links
            .map(|links| {
                links
                    .into_iter()
                    .enumerate()
                    .map(|(index, link)| {
                        Ok(LinkChange {
                            target_id: GlobalId::parse_as(
                                NodeKind::Initiative,
                                &format!("input.links[{index}].targetId"),
                                &link.target_id,
                            )?,
                            kind: link.kind.into(),
                            note: link.note,
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()
            })
            .transpose()?;
        let place = match self.place {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(Patch::Clear),
            MaybeUndefined::Value(point) => Some(Patch::Set(Point::parse(
                "input.place",
                point.latitude,
                point.longitude,
            )?)),
        };
        Ok(InitiativeChanges {
            place,
            title: self.title,
            summary: self.summary,
            description: text(self.description),
            started_on: date(self.started_on),
            ended_on: date(self.ended_on),
            context: text(self.context),
            outcomes: text(self.outcomes),
            continuation: text(self.continuation),
            theme_ids: ids(NodeKind::Theme, "input.themeIds", self.theme_ids)?,
            territory_ids: ids(
                NodeKind::Territory,
                "input.territoryIds",
                self.territory_ids,
            )?,
            organisations,
            contact_ids: ids(NodeKind::Professional, "input.contactIds", self.contact_ids)?,
            meeting_ids: ids(NodeKind::Meeting, "input.meetingIds", self.meeting_ids)?,
            audiences: self
                .audiences
                .map(|list| list.into_iter().map(Into::into).collect()),
            links,
        })
    }
}

/// A new initiative: a title and a summary, and any other field.
#[derive(InputObject)]
pub struct CreateInitiativeInput {
    /// Its title (at most 200 characters).
    title: String,
    /// A short summary (at most 500 characters).
    summary: String,
    /// Every other field, optional.
    #[graphql(flatten)]
    fields: InitiativeChangesInput,
}

/// Changes to an initiative in DRAFT or CHANGES_REQUESTED (moderators: in any state).
#[derive(InputObject)]
pub struct UpdateInitiativeInput {
    /// The initiative.
    id: ID,
    /// The `version` the changes are based on; a stale one is CONFLICT.
    expected_version: i32,
    /// The changes.
    #[graphql(flatten)]
    changes: InitiativeChangesInput,
}

/// A change proposed to a published initiative.
#[derive(InputObject)]
pub struct ProposeInitiativeChangeInput {
    /// The published initiative.
    id: ID,
    /// The initiative's `version` the proposal is based on; a stale one is CONFLICT.
    expected_version: i32,
    /// The proposed changes (at least one field).
    #[graphql(flatten)]
    changes: InitiativeChangesInput,
}

/// An initiative or experience to submit, at the version read.
#[derive(InputObject)]
pub struct SubmitInput {
    /// The initiative or experience.
    id: ID,
    /// The `version` read; a stale one is CONFLICT.
    expected_version: i32,
}

/// A new experience about a published initiative.
#[derive(InputObject)]
pub struct CreateExperienceInput {
    /// The published initiative it is about.
    initiative_id: ID,
    /// Its title (at most 200 characters).
    title: String,
    /// What was done, what worked, the obstacles (Markdown).
    body: String,
}

/// Changes to an experience in DRAFT or CHANGES_REQUESTED (moderators: in any state).
#[derive(InputObject)]
pub struct UpdateExperienceInput {
    /// The experience.
    id: ID,
    /// The `version` read; a stale one is CONFLICT.
    expected_version: i32,
    /// A new title.
    title: Option<String>,
    /// A new body.
    body: Option<String>,
}

/// An initiative after a change.
#[derive(SimpleObject)]
pub struct InitiativePayload {
    /// The initiative as stored now.
    initiative: Initiative,
}

/// An experience after a change.
#[derive(SimpleObject)]
pub struct ExperiencePayload {
    /// The experience as stored now.
    experience: Experience,
}

/// A proposal, waiting for a moderator.
#[derive(SimpleObject)]
pub struct ChangeProposalPayload {
    /// The proposal.
    change_proposal: ChangeProposal,
}

#[derive(Default)]
pub struct ContributionMutation;

/// Writing and submitting contributions. Every change is logged in `moderationEvents`.
#[Object]
impl ContributionMutation {
    /// Creates an initiative in DRAFT, owned by the caller's organisation. Only its
    /// organisation's partners and moderators see it until it is published.
    async fn create_initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new initiative.")] input: CreateInitiativeInput,
    ) -> Result<InitiativePayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let mut changes = input.fields.into_changes()?;
        changes.title = Some(input.title);
        changes.summary = Some(input.summary);
        let initiative =
            contributions::create_initiative(&state.db, &author, &state.scope, changes).await?;
        Ok(InitiativePayload {
            initiative: initiative.into(),
        })
    }

    /// Changes an initiative: its authors in DRAFT or CHANGES_REQUESTED, moderators at any
    /// time. A stale `expectedVersion` is CONFLICT.
    async fn update_initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative, the version read and the changes.")]
        input: UpdateInitiativeInput,
    ) -> Result<InitiativePayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let id = GlobalId::parse_as(NodeKind::Initiative, "input.id", &input.id)?;
        let changes = input.changes.into_changes()?;
        let initiative = contributions::update_initiative(
            &state.db,
            &state.caller,
            &author,
            &state.scope,
            id,
            input.expected_version,
            changes,
        )
        .await?;
        Ok(InitiativePayload {
            initiative: initiative.into(),
        })
    }

    /// Submits a draft, or resubmits after a request for changes, for moderation. It needs
    /// at least one theme and one territory.
    async fn submit_initiative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative and the version read.")] input: SubmitInput,
    ) -> Result<InitiativePayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let id = GlobalId::parse_as(NodeKind::Initiative, "input.id", &input.id)?;
        let initiative = contributions::submit_initiative(
            &state.db,
            &state.caller,
            &author,
            &state.scope,
            id,
            input.expected_version,
        )
        .await?;
        Ok(InitiativePayload {
            initiative: initiative.into(),
        })
    }

    /// Proposes a change to a published initiative, for partners of an organisation taking
    /// part in it. The published version stays as it is until a moderator approves the
    /// proposal (`moderate` with APPROVE), which then applies it.
    async fn propose_initiative_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative, the version read and the proposed changes.")]
        input: ProposeInitiativeChangeInput,
    ) -> Result<ChangeProposalPayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let id = GlobalId::parse_as(NodeKind::Initiative, "input.id", &input.id)?;
        let changes = input.changes.into_changes()?;
        let proposal = contributions::propose_change(
            &state.db,
            &author,
            &state.scope,
            id,
            input.expected_version,
            changes,
        )
        .await?;
        Ok(ChangeProposalPayload {
            change_proposal: ChangeProposal(proposal),
        })
    }

    /// Creates an experience (*retour d'expérience*) in DRAFT about a published initiative.
    async fn create_experience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new experience.")] input: CreateExperienceInput,
    ) -> Result<ExperiencePayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let initiative_id = GlobalId::parse_as(
            NodeKind::Initiative,
            "input.initiativeId",
            &input.initiative_id,
        )?;
        let experience = contributions::create_experience(
            &state.db,
            &author,
            &state.scope,
            initiative_id,
            ExperienceChanges {
                title: Some(input.title),
                body: Some(input.body),
            },
        )
        .await?;
        Ok(ExperiencePayload {
            experience: Experience(experience),
        })
    }

    /// Changes an experience: its authors in DRAFT or CHANGES_REQUESTED, moderators at any
    /// time.
    async fn update_experience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experience, the version read and the changes.")]
        input: UpdateExperienceInput,
    ) -> Result<ExperiencePayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let id = GlobalId::parse_as(NodeKind::Experience, "input.id", &input.id)?;
        let experience = contributions::update_experience(
            &state.db,
            &state.caller,
            &author,
            &state.scope,
            id,
            input.expected_version,
            ExperienceChanges {
                title: input.title,
                body: input.body,
            },
            false,
        )
        .await?;
        Ok(ExperiencePayload {
            experience: Experience(experience),
        })
    }

    /// Submits an experience for moderation (or resubmits it after a request for changes).
    async fn submit_experience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The experience and the version read.")] input: SubmitInput,
    ) -> Result<ExperiencePayload> {
        let state = ctx.state()?;
        let author = state.caller.require_author()?;
        let id = GlobalId::parse_as(NodeKind::Experience, "input.id", &input.id)?;
        let experience = contributions::update_experience(
            &state.db,
            &state.caller,
            &author,
            &state.scope,
            id,
            input.expected_version,
            ExperienceChanges::default(),
            true,
        )
        .await?;
        Ok(ExperiencePayload {
            experience: Experience(experience),
        })
    }
}
