//! The GraphQL schema: one module per domain area, each with its types and resolvers.
//! Resolvers stay thin: parse the input, read the caller, call the store, map the result.

pub mod authentication;
pub mod connection;
pub mod context;
pub mod enums;
pub mod experience;
pub mod id;
pub mod initiative;
pub mod meeting;
pub mod meeting_admin;
pub mod node;
pub mod organisation;
pub mod personal_data;
pub mod professional;
pub mod reference_admin;
pub mod scalars;
pub mod stats;
pub mod territory;
pub mod theme;
pub mod user;

use async_graphql::{EmptySubscription, MergedObject, Schema};

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    initiative::InitiativeQuery,
    meeting::MeetingQuery,
    territory::TerritoryQuery,
    theme::ThemeQuery,
    organisation::OrganisationQuery,
    professional::ProfessionalQuery,
    authentication::AuthenticationQuery,
    user::UserQuery,
    stats::StatsQuery,
    personal_data::PersonalDataQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    authentication::AuthenticationMutation,
    user::UserMutation,
    reference_admin::ReferenceAdminMutation,
    meeting_admin::MeetingAdminMutation,
    personal_data::PersonalDataMutation,
);

pub type CommunsSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema. The per-request state (caller, database, loaders) is added to each
/// request by the HTTP handler, so the schema itself holds nothing.
pub fn build_schema() -> CommunsSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<node::Node>()
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}
