//! Entities looked up by their UUID primary key, for the generic loaders.

use entity::*;
use sea_orm::EntityTrait;
use uuid::Uuid;

/// An entity whose primary key is one UUID column.
pub trait Keyed: EntityTrait {
    fn id_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> Uuid;
}

macro_rules! keyed {
    ($($module:ident),+ $(,)?) => {
        $(
            impl Keyed for $module::Entity {
                fn id_column() -> Self::Column {
                    $module::Column::Id
                }
                fn id_of(model: &Self::Model) -> Uuid {
                    model.id
                }
            }
        )+
    };
}

keyed!(
    api_key,
    change_proposal,
    experience,
    initiative,
    meeting,
    meeting_participant,
    meeting_topic,
    moderation_event,
    organisation,
    position,
    professional,
    territory,
    theme,
    user
);
