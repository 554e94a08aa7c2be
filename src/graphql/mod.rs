//! The GraphQL schema: one module per domain area, each with its types and resolvers.
//! Resolvers stay thin: parse the input, read the caller, call the store, map the result.

pub mod api_key;
pub mod authentication;
pub mod changes;
pub mod connection;
pub mod context;
pub mod contribution;
pub mod duplicate;
pub mod enums;
pub mod experience;
pub mod id;
pub mod initiative;
pub mod initiative_link;
pub mod input_policy;
pub mod limits;
pub mod map;
pub mod meeting;
pub mod meeting_admin;
pub mod moderation;
pub mod node;
pub mod notification;
pub mod organisation;
pub mod personal_data;
pub mod professional;
pub mod reference_admin;
pub mod revision;
pub mod scalars;
pub mod stats;
pub mod subscription;
pub mod territory;
pub mod theme;
pub mod user;
pub mod webhook;

use async_graphql::{MergedObject, SDLExportOptions, Schema};

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    initiative::InitiativeQuery,
    map::MapQuery,
    meeting::MeetingQuery,
    territory::TerritoryQuery,
    theme::ThemeQuery,
    organisation::OrganisationQuery,
    professional::ProfessionalQuery,
    authentication::AuthenticationQuery,
    user::UserQuery,
    moderation::ModerationQuery,
    stats::StatsQuery,
    personal_data::PersonalDataQuery,
    changes::ChangesQuery,
    webhook::WebhookQuery,
    api_key::ApiKeyQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    authentication::AuthenticationMutation,
    user::UserMutation,
    contribution::ContributionMutation,
    moderation::ModerationMutation,
    duplicate::DuplicateMutation,
    reference_admin::ReferenceAdminMutation,
    meeting_admin::MeetingAdminMutation,
    personal_data::PersonalDataMutation,
    webhook::WebhookMutation,
    notification::NotificationMutation,
    api_key::ApiKeyMutation,
);

pub type CommunsSchema = Schema<Query, Mutation, subscription::Subscription>;

/// What the schema answers besides the API itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaSettings {
    /// Whether `__schema` and `__type` answer (frontends and tools read the API from them).
    pub introspection: bool,
    /// Whether an unknown field's error suggests the names it resembles ("Did you mean…").
    pub suggestions: bool,
}

impl Default for SchemaSettings {
    fn default() -> Self {
        Self {
            introspection: true,
            suggestions: false,
        }
    }
}

/// Builds the schema with the default settings.
pub fn build_schema() -> CommunsSchema {
    build_schema_with(SchemaSettings::default())
}

/// Builds the schema. The per-request state (caller, database, loaders) is added to each
/// request by the HTTP handler, so the schema itself holds nothing. The limits on a query's
/// size are checked by the handler before the schema sees it (see [`limits`]).
pub fn build_schema_with(settings: SchemaSettings) -> CommunsSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        subscription::Subscription,
    )
    .register_output_type::<node::Node>();
    if !settings.introspection {
        builder = builder.disable_introspection();
    }
    if !settings.suggestions {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL, as checked in at `schema.graphql`: what introspection shows,
/// `@specifiedBy(url:)` of the scalars included.
pub fn sdl() -> String {
    build_schema().sdl_with_options(SDLExportOptions::new().include_specified_by())
}
