//! Recording meetings (moderators and admins): the meeting, its participants, the
//! questions kept for next time and the initiatives reported there.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{
    context::ContextExt,
    enums::{MeetingFormat, ParticipantRole},
    id::{GlobalId, NodeKind},
    meeting::Meeting,
    reference_admin::{DeleteInput, DeletePayload},
    scalars::Date,
};
use crate::{
    admin::meetings::{self, MeetingFields, NewParticipant},
    domain::{access::Capability, reference::Name},
    error::AppError,
};

/// A person at a meeting.
#[derive(InputObject)]
pub struct ParticipantInput {
    /// The professional.
    professional_id: ID,
    /// The part they played (PARTICIPANT by default).
    role: Option<ParticipantRole>,
    /// Their job title at the time.
    job_title: Option<String>,
}

/// A new meeting.
#[derive(InputObject)]
pub struct CreateMeetingInput {
    /// Its title. The slug is made from it and the date.
    title: String,
    /// The day it was held.
    held_on: Date,
    /// How it was held.
    format: MeetingFormat,
    /// The organisation that organised it.
    organiser_id: Option<ID>,
    /// The agenda (Markdown).
    agenda: Option<String>,
    /// The minutes (Markdown).
    summary: Option<String>,
    /// Who took part, in order.
    participants: Option<Vec<ParticipantInput>>,
    /// The questions kept for the next meeting, in order.
    topics: Option<Vec<String>>,
    /// The initiatives reported at it.
    initiative_ids: Option<Vec<ID>>,
}

/// Changes to a meeting; fields left out stay as they are, lists given replace the
/// meeting's.
#[derive(InputObject)]
pub struct UpdateMeetingInput {
    /// The meeting.
    id: ID,
    /// A new title; the slug follows and the old one keeps resolving.
    title: Option<String>,
    /// A new date; the slug follows and the old one keeps resolving.
    held_on: Option<Date>,
    /// A new format.
    format: Option<MeetingFormat>,
    /// A new organiser, or null.
    organiser_id: MaybeUndefined<ID>,
    /// A new agenda, or null.
    agenda: MaybeUndefined<String>,
    /// New minutes, or null.
    summary: MaybeUndefined<String>,
    /// Who took part, replacing the list.
    participants: Option<Vec<ParticipantInput>>,
    /// The questions kept for next time, replacing the list.
    topics: Option<Vec<String>>,
    /// The initiatives reported, replacing the list.
    initiative_ids: Option<Vec<ID>>,
}

/// A meeting after a change.
#[derive(SimpleObject)]
pub struct MeetingPayload {
    /// The meeting as it is now.
    meeting: Meeting,
}

fn participants(list: Vec<ParticipantInput>) -> Result<Vec<NewParticipant>, AppError> {
    list.into_iter()
        .enumerate()
        .map(|(index, participant)| {
            Ok(NewParticipant {
                professional_id: GlobalId::parse_as(
                    NodeKind::Professional,
                    &format!("input.participants[{index}].professionalId"),
                    &participant.professional_id,
                )?,
                role: participant
                    .role
                    .map_or(entity::enums::ParticipantRole::Participant, Into::into),
                job_title: participant
                    .job_title
                    .map(|title| title.trim().to_owned())
                    .filter(|title| !title.is_empty()),
            })
        })
        .collect()
}

fn topics(list: Vec<String>) -> Result<Vec<String>, AppError> {
    list.into_iter()
        .enumerate()
        .map(|(index, question)| {
            Name::parse(&format!("input.topics[{index}]"), &question).map(Name::into_inner)
        })
        .collect()
}

fn text(value: Option<String>) -> Option<String> {
    value
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn lists(
    participant_list: Option<Vec<ParticipantInput>>,
    topic_list: Option<Vec<String>>,
    initiative_ids: Option<Vec<ID>>,
) -> Result<MeetingFields, AppError> {
    Ok(MeetingFields {
        participants: participant_list.map(participants).transpose()?,
        topics: topic_list.map(topics).transpose()?,
        initiative_ids: initiative_ids
            .map(|ids| GlobalId::parse_list(NodeKind::Initiative, "input.initiativeIds", &ids))
            .transpose()?,
        ..MeetingFields::default()
    })
}

#[derive(Default)]
pub struct MeetingAdminMutation;

/// Recording meetings, for moderators and admins.
#[Object]
impl MeetingAdminMutation {
    /// Records a meeting with its participants, topics and reported initiatives.
    /// Moderators and admins.
    async fn create_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new meeting.")] input: CreateMeetingInput,
    ) -> Result<MeetingPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::RecordMeetings)?;
        let title = Name::parse("input.title", &input.title)?;
        let mut fields = lists(input.participants, input.topics, input.initiative_ids)?;
        fields.organiser_id = Some(
            input
                .organiser_id
                .map(|id| GlobalId::parse_as(NodeKind::Organisation, "input.organiserId", &id))
                .transpose()?,
        );
        fields.agenda = Some(text(input.agenda));
        fields.summary = Some(text(input.summary));
        let meeting = meetings::create_meeting(
            &state.db,
            title,
            input.held_on.0,
            input.format.into(),
            fields,
        )
        .await?;
        Ok(MeetingPayload {
            meeting: Meeting(meeting),
        })
    }

    /// Changes a meeting. Moderators and admins.
    async fn update_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting and its changes.")] input: UpdateMeetingInput,
    ) -> Result<MeetingPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::RecordMeetings)?;
        let id = GlobalId::parse_as(NodeKind::Meeting, "input.id", &input.id)?;
        let mut fields = lists(input.participants, input.topics, input.initiative_ids)?;
        fields.title = input
            .title
            .map(|title| Name::parse("input.title", &title))
            .transpose()?;
        fields.held_on = input.held_on.map(|date| date.0);
        fields.format = input.format.map(Into::into);
        fields.organiser_id = match input.organiser_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(GlobalId::parse_as(
                NodeKind::Organisation,
                "input.organiserId",
                &id,
            )?)),
        };
        let text_change = |value: MaybeUndefined<String>| match value {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(value) => Some(text(Some(value))),
        };
        fields.agenda = text_change(input.agenda);
        fields.summary = text_change(input.summary);
        let meeting = meetings::update_meeting(&state.db, id, fields).await?;
        Ok(MeetingPayload {
            meeting: Meeting(meeting),
        })
    }

    /// Deletes a meeting with its participants and topics; CONFLICT while initiatives
    /// were reported at it, unless a replacement meeting is named. Admins only.
    async fn delete_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting and its replacement.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageReferenceData)?;
        let id = GlobalId::parse_as(NodeKind::Meeting, "input.id", &input.id)?;
        let replacement = input
            .replacement_id
            .as_ref()
            .map(|id| GlobalId::parse_as(NodeKind::Meeting, "input.replacementId", id))
            .transpose()?;
        meetings::delete_meeting(&state.db, actor, id, replacement).await?;
        Ok(DeletePayload::new(input.id))
    }
}
