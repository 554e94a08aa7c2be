//! Recording meetings: the meeting itself, who took part (in order), the questions kept
//! for next time, and the initiatives reported there. Lists given in an input replace the
//! meeting's, in the same transaction.

use chrono::{NaiveDate, Utc};
use entity::{
    enums::{MeetingFormat, ParticipantRole},
    initiative, initiative_meeting, meeting, meeting_participant, meeting_topic,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::{Change, check_exists, delete_row};
use crate::{
    domain::{
        caller::Account,
        reference::{Name, slug_from},
    },
    error::{AppError, AppResult},
    store::curation::{self, ReferenceKind},
};

/// A person at a meeting, as an input gives them.
#[derive(Debug, Clone)]
pub struct NewParticipant {
    pub professional_id: Uuid,
    pub role: ParticipantRole,
    pub job_title: Option<String>,
}

/// A meeting's values, as an input gives them.
#[derive(Debug, Default)]
pub struct MeetingFields {
    pub title: Option<Name>,
    pub held_on: Option<NaiveDate>,
    pub format: Option<MeetingFormat>,
    pub organiser_id: Change<Uuid>,
    pub agenda: Change<String>,
    pub summary: Change<String>,
    /// Replaces the participants, in this order.
    pub participants: Option<Vec<NewParticipant>>,
    /// Replaces the questions kept for next time, in this order.
    pub topics: Option<Vec<String>>,
    /// Replaces the initiatives reported.
    pub initiative_ids: Option<Vec<Uuid>>,
}

async fn save_lists<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    fields: &mut MeetingFields,
) -> AppResult<()> {
    let now = Utc::now();
    if let Some(participants) = fields.participants.take() {
        let mut seen = Vec::new();
        for (index, participant) in participants.iter().enumerate() {
            let field = format!("input.participants[{index}].professionalId");
            check_exists(
                db,
                ReferenceKind::Professional,
                &field,
                participant.professional_id,
            )
            .await?;
            if seen.contains(&participant.professional_id) {
                return Err(AppError::bad_input(field, "this person is already listed"));
            }
            seen.push(participant.professional_id);
        }
        meeting_participant::Entity::delete_many()
            .filter(meeting_participant::Column::MeetingId.eq(id))
            .exec(db)
            .await?;
        for (index, participant) in participants.into_iter().enumerate() {
            meeting_participant::Entity::insert(meeting_participant::ActiveModel {
                id: Set(Uuid::now_v7()),
                meeting_id: Set(id),
                professional_id: Set(Some(participant.professional_id)),
                role: Set(participant.role),
                job_title: Set(participant.job_title),
                position: Set(index as i32),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    if let Some(topics) = fields.topics.take() {
        meeting_topic::Entity::delete_many()
            .filter(meeting_topic::Column::MeetingId.eq(id))
            .exec(db)
            .await?;
        for (index, question) in topics.into_iter().enumerate() {
            meeting_topic::Entity::insert(meeting_topic::ActiveModel {
                id: Set(Uuid::now_v7()),
                meeting_id: Set(id),
                position: Set(index as i32),
                question: Set(question),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    if let Some(initiative_ids) = fields.initiative_ids.take() {
        for (index, initiative_id) in initiative_ids.iter().enumerate() {
            if initiative::Entity::find_by_id(*initiative_id)
                .one(db)
                .await?
                .is_none()
            {
                return Err(AppError::bad_input(
                    format!("input.initiativeIds[{index}]"),
                    "no initiative has this id",
                ));
            }
        }
        initiative_meeting::Entity::delete_many()
            .filter(initiative_meeting::Column::MeetingId.eq(id))
            .exec(db)
            .await?;
        let mut seen = Vec::new();
        for initiative_id in initiative_ids {
            if seen.contains(&initiative_id) {
                continue;
            }
            seen.push(initiative_id);
            initiative_meeting::Entity::insert(initiative_meeting::ActiveModel {
                initiative_id: Set(initiative_id),
                meeting_id: Set(id),
            })
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

async fn apply<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    found: Option<&meeting::Model>,
    mut row: meeting::ActiveModel,
    fields: MeetingFields,
) -> AppResult<meeting::ActiveModel> {
    if let Some(organiser_id) = fields.organiser_id {
        if let Some(organiser_id) = organiser_id {
            check_exists(
                db,
                ReferenceKind::Organisation,
                "input.organiserId",
                organiser_id,
            )
            .await?;
        }
        row.organiser_id = Set(organiser_id);
    }
    if let Some(held_on) = fields.held_on {
        row.held_on = Set(held_on);
    }
    if let Some(format) = fields.format {
        row.format = Set(format);
    }
    if let Some(agenda) = fields.agenda {
        row.agenda = Set(agenda);
    }
    if let Some(summary) = fields.summary {
        row.summary = Set(summary);
    }
    if let Some(title) = fields.title {
        row.title = Set(title.into_inner());
    }
    let retitled = found.is_none_or(|found| {
        found.title != *row.title.as_ref() || found.held_on != *row.held_on.as_ref()
    });
    if retitled {
        let base = slug_from(&format!("{} {}", row.title.as_ref(), row.held_on.as_ref()));
        let slug = curation::unique_slug(db, ReferenceKind::Meeting, &base, id).await?;
        if let Some(found) = found {
            curation::keep_old_slug(db, ReferenceKind::Meeting, id, &found.slug, &slug).await?;
        }
        row.slug = Set(slug);
    }
    row.updated_at = Set(Utc::now());
    Ok(row)
}

/// Records a meeting. The slug is made from its title and date.
pub async fn create_meeting(
    db: &DatabaseConnection,
    title: Name,
    held_on: NaiveDate,
    format: MeetingFormat,
    mut fields: MeetingFields,
) -> AppResult<meeting::Model> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let now = Utc::now();
    let row = meeting::ActiveModel {
        id: Set(id),
        title: Set(title.into_inner()),
        slug: Set(String::new()),
        held_on: Set(held_on),
        format: Set(format),
        organiser_id: Set(None),
        agenda: Set(None),
        summary: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let lists = MeetingFields {
        participants: fields.participants.take(),
        topics: fields.topics.take(),
        initiative_ids: fields.initiative_ids.take(),
        ..MeetingFields::default()
    };
    let row = apply(&txn, id, None, row, fields).await?;
    let created = meeting::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    let mut lists = lists;
    save_lists(&txn, id, &mut lists).await?;
    super::record_reference_changes(&txn, ReferenceKind::Meeting, &[created.id]).await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a meeting; a new title or date gives a new slug, the old one keeps resolving.
pub async fn update_meeting(
    db: &DatabaseConnection,
    id: Uuid,
    mut fields: MeetingFields,
) -> AppResult<meeting::Model> {
    let txn = db.begin().await?;
    let found = meeting::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such meeting".to_owned()))?;
    save_lists(&txn, id, &mut fields).await?;
    let row = apply(&txn, id, Some(&found), found.clone().into(), fields).await?;
    let updated = meeting::Entity::update(row).exec(&txn).await?;
    super::record_reference_changes(&txn, ReferenceKind::Meeting, &[id]).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a meeting with its participants and topics; CONFLICT while initiatives were
/// reported at it, unless `replacement` names the meeting to move them to.
pub async fn delete_meeting(
    db: &DatabaseConnection,
    actor: &Account,
    id: Uuid,
    replacement: Option<Uuid>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    let found = meeting::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such meeting".to_owned()))?;
    delete_row(
        &txn,
        actor,
        ReferenceKind::Meeting,
        (id, &found.slug),
        replacement,
    )
    .await?;
    super::record_reference_changes(
        &txn,
        ReferenceKind::Meeting,
        &super::deleted_rows(id, replacement),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
