//! The sea-orm entities of Communs, one module per table. They mirror the migrations and
//! nothing else: the GraphQL types live in the `communs` crate, so a column change never
//! changes the API by accident.

pub mod enums;

pub mod api_key;
pub mod change_event;
pub mod change_proposal;
pub mod erasure_tombstone;
pub mod experience;
pub mod initiative;
pub mod initiative_audience;
pub mod initiative_contact;
pub mod initiative_link;
pub mod initiative_meeting;
pub mod initiative_organisation;
pub mod initiative_revision;
pub mod initiative_territory;
pub mod initiative_theme;
pub mod login_failure;
pub mod mail_notice;
pub mod meeting;
pub mod meeting_participant;
pub mod meeting_topic;
pub mod moderation_event;
pub mod not_duplicate;
pub mod notification_setting;
pub mod organisation;
pub mod position;
pub mod professional;
pub mod slug_alias;
pub mod stream_consumer;
pub mod territory;
pub mod territory_parent;
pub mod theme;
pub mod user;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
