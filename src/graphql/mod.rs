//! The GraphQL schema: one module per domain area, each with its types and resolvers.
//! Resolvers stay thin: parse the input, read the caller, call the store, map the result.

pub mod connection;
pub mod context;
pub mod enums;
pub mod experience;
pub mod id;
pub mod initiative;
pub mod meeting;
pub mod node;
pub mod organisation;
pub mod professional;
pub mod scalars;
pub mod stats;
pub mod territory;
pub mod theme;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};

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
    stats::StatsQuery,
);

pub type CommunsSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema. The per-request state (caller, database, loaders) is added to each
/// request by the HTTP handler, so the schema itself holds nothing.
pub fn build_schema() -> CommunsSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .register_output_type::<node::Node>()
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}
