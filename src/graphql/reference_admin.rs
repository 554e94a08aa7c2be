//! Keeping reference data clean: create, update, delete and merge themes (moderators and
//! admins), territories, organisations, professionals and their positions (admins).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};

use super::{
    context::ContextExt,
    enums::{ContactVisibility, OrganisationKind, TerritoryKind},
    id::{GlobalId, NodeKind},
    organisation::Organisation,
    professional::{Position, Professional},
    scalars::Date,
    territory::Territory,
    theme::Theme,
};
use crate::{
    admin::{
        self, Change, OrganisationFields, PositionFields, ProfessionalFields, TerritoryFields,
        ThemeFields,
    },
    domain::{
        access::Capability,
        account::Email,
        reference::{Name, WebUrl, parse_phone},
    },
    error::AppError,
};

/// A change of an optional value: left out keeps it, null clears it, a value is parsed.
fn change<T, U>(
    value: MaybeUndefined<T>,
    parse: impl FnOnce(T) -> Result<U, AppError>,
) -> Result<Change<U>, AppError> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(parse(value)?)),
    })
}

/// A free text: trimmed; blank is no text.
fn text(value: String) -> Result<Option<String>, AppError> {
    let trimmed = value.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

fn text_change(value: MaybeUndefined<String>) -> Result<Change<String>, AppError> {
    Ok(change(value, text)?.map(Option::flatten))
}

fn id_of(kind: NodeKind, field: &str, id: &ID) -> Result<uuid::Uuid, AppError> {
    GlobalId::parse_as(kind, field, id)
}

fn optional_id(
    kind: NodeKind,
    field: &str,
    id: Option<ID>,
) -> Result<Change<uuid::Uuid>, AppError> {
    id.map(|id| id_of(kind, field, &id)).transpose().map(Some)
}

/// A row to delete, and where its references go.
#[derive(InputObject)]
pub struct DeleteInput {
    /// The row to delete.
    pub id: ID,
    /// A row of the same kind to move every reference to (initiatives, positions, …).
    /// Without it, deleting a row still referenced is refused with CONFLICT, listing what
    /// references it.
    pub replacement_id: Option<ID>,
}

/// Two rows of the same kind, one a duplicate of the other.
#[derive(InputObject)]
pub struct MergeInput {
    /// The row to keep.
    kept_id: ID,
    /// The duplicate: its references move to the kept row, its slug resolves to it, and
    /// it is deleted.
    merged_id: ID,
}

/// The row deleted.
#[derive(SimpleObject)]
pub struct DeletePayload {
    /// The id the row had.
    deleted_id: ID,
}

/// A new theme.
#[derive(InputObject)]
pub struct CreateThemeInput {
    /// Its name, in French. The slug is made from it.
    name: String,
    /// What it covers.
    description: Option<String>,
    /// The top-level theme it belongs to; none for a top-level theme.
    parent_id: Option<ID>,
    /// Its rank among its siblings (0 by default).
    position: Option<i32>,
}

/// Changes to a theme; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateThemeInput {
    /// The theme.
    id: ID,
    /// A new name; the slug follows and the old one keeps resolving.
    name: Option<String>,
    /// A new description, or null to remove it.
    description: MaybeUndefined<String>,
    /// A new parent, or null to make it top-level.
    parent_id: MaybeUndefined<ID>,
    /// A new rank among its siblings.
    position: Option<i32>,
}

/// A theme after a change.
#[derive(SimpleObject)]
pub struct ThemePayload {
    /// The theme as it is now.
    theme: Theme,
}

/// A new organisation.
#[derive(InputObject)]
pub struct CreateOrganisationInput {
    /// Its name. The slug is made from it.
    name: String,
    /// What kind of body it is.
    kind: OrganisationKind,
    /// Its area of action.
    territory_id: Option<ID>,
    /// Its website (http or https).
    website: Option<String>,
    /// What it does.
    description: Option<String>,
}

/// Changes to an organisation; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateOrganisationInput {
    /// The organisation.
    id: ID,
    /// A new name; the slug follows and the old one keeps resolving.
    name: Option<String>,
    /// A new kind.
    kind: Option<OrganisationKind>,
    /// A new area of action, or null.
    territory_id: MaybeUndefined<ID>,
    /// A new website (http or https), or null.
    website: MaybeUndefined<String>,
    /// A new description, or null.
    description: MaybeUndefined<String>,
}

/// An organisation after a change.
#[derive(SimpleObject)]
pub struct OrganisationPayload {
    /// The organisation as it is now.
    organisation: Organisation,
}

/// A new professional.
#[derive(InputObject)]
pub struct CreateProfessionalInput {
    /// Given name.
    given_name: String,
    /// Family name.
    family_name: String,
    /// E-mail address.
    email: Option<String>,
    /// Phone number.
    phone: Option<String>,
    /// Who may see the e-mail and phone (MEMBERS by default).
    contact_visibility: Option<ContactVisibility>,
    /// The person's own account, which may then manage their contact visibility.
    user_id: Option<ID>,
}

/// Changes to a professional; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateProfessionalInput {
    /// The professional.
    id: ID,
    /// A new given name; the slug follows and the old one keeps resolving.
    given_name: Option<String>,
    /// A new family name; the slug follows and the old one keeps resolving.
    family_name: Option<String>,
    /// A new e-mail address, or null.
    email: MaybeUndefined<String>,
    /// A new phone number, or null.
    phone: MaybeUndefined<String>,
    /// Who may see the e-mail and phone.
    contact_visibility: Option<ContactVisibility>,
    /// The person's own account, or null to unlink it.
    user_id: MaybeUndefined<ID>,
}

/// A professional after a change.
#[derive(SimpleObject)]
pub struct ProfessionalPayload {
    /// The professional as it is now.
    professional: Professional,
}

/// A new position of a professional.
#[derive(InputObject)]
pub struct CreatePositionInput {
    /// The professional.
    professional_id: ID,
    /// The employer.
    organisation_id: ID,
    /// The job title.
    job_title: String,
    /// The field of work, e.g. « politique de la ville ».
    field: Option<String>,
    /// The territory the post covers.
    territory_id: Option<ID>,
    /// When the post began.
    started_on: Option<Date>,
    /// When it ended (not before it began).
    ended_on: Option<Date>,
}

/// Changes to a position; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdatePositionInput {
    /// The position.
    id: ID,
    /// A new employer.
    organisation_id: Option<ID>,
    /// A new job title.
    job_title: Option<String>,
    /// A new field of work, or null.
    field: MaybeUndefined<String>,
    /// A new territory, or null.
    territory_id: MaybeUndefined<ID>,
    /// A new start date, or null.
    started_on: MaybeUndefined<Date>,
    /// An end date (the post is over), or null (it goes on).
    ended_on: MaybeUndefined<Date>,
}

/// A position after a change.
#[derive(SimpleObject)]
pub struct PositionPayload {
    /// The position as it is now.
    position: Position,
}

/// A new territory.
#[derive(InputObject)]
pub struct CreateTerritoryInput {
    /// Its name. The slug is made from it.
    name: String,
    /// What it is.
    kind: TerritoryKind,
    /// Its official code, in the format of its kind (INSEE code, SIREN, QPV code).
    official_code: Option<String>,
    /// The territories it lies in (a graph: a QPV may straddle two municipalities).
    parent_ids: Option<Vec<ID>>,
    /// Latitude of its centre, from -90 to 90.
    latitude: Option<f64>,
    /// Longitude of its centre, from -180 to 180.
    longitude: Option<f64>,
    /// Since when its code is valid.
    valid_from: Option<Date>,
    /// Until when its code was valid (not before `validFrom`).
    valid_to: Option<Date>,
}

/// Changes to a territory; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateTerritoryInput {
    /// The territory.
    id: ID,
    /// A new name; the slug follows and the old one keeps resolving.
    name: Option<String>,
    /// A new official code, or null.
    official_code: MaybeUndefined<String>,
    /// The territories it lies in, replacing the current ones. A territory cannot lie in
    /// itself or in one of the territories it contains.
    parent_ids: Option<Vec<ID>>,
    /// A new latitude, or null.
    latitude: MaybeUndefined<f64>,
    /// A new longitude, or null.
    longitude: MaybeUndefined<f64>,
    /// A new start of validity, or null.
    valid_from: MaybeUndefined<Date>,
    /// A new end of validity, or null.
    valid_to: MaybeUndefined<Date>,
}

/// A territory after a change.
#[derive(SimpleObject)]
pub struct TerritoryPayload {
    /// The territory as it is now.
    territory: Territory,
}

fn delete_args(
    kind: NodeKind,
    input: &DeleteInput,
) -> Result<(uuid::Uuid, Option<uuid::Uuid>), AppError> {
    Ok((
        id_of(kind, "input.id", &input.id)?,
        input
            .replacement_id
            .as_ref()
            .map(|id| id_of(kind, "input.replacementId", id))
            .transpose()?,
    ))
}

fn merge_args(kind: NodeKind, input: &MergeInput) -> Result<(uuid::Uuid, uuid::Uuid), AppError> {
    Ok((
        id_of(kind, "input.keptId", &input.kept_id)?,
        id_of(kind, "input.mergedId", &input.merged_id)?,
    ))
}

impl DeletePayload {
    pub fn new(id: ID) -> Self {
        Self { deleted_id: id }
    }
}

fn deleted(id: ID) -> DeletePayload {
    DeletePayload::new(id)
}

#[derive(Default)]
pub struct ReferenceAdminMutation;

/// Reference data: themes for moderators and admins, the rest for admins.
#[Object]
impl ReferenceAdminMutation {
    /// Creates a theme. Moderators and admins.
    async fn create_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new theme.")] input: CreateThemeInput,
    ) -> Result<ThemePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageThemes)?;
        let name = Name::parse("input.name", &input.name)?;
        let fields = ThemeFields {
            name: None,
            description: Some(input.description.map(text).transpose()?.flatten()),
            parent_id: optional_id(NodeKind::Theme, "input.parentId", input.parent_id)?,
            position: input.position,
        };
        let theme = admin::create_theme(&state.db, actor, name, fields).await?;
        Ok(ThemePayload {
            theme: Theme(theme),
        })
    }

    /// Changes a theme. Moderators and admins.
    async fn update_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme and its changes.")] input: UpdateThemeInput,
    ) -> Result<ThemePayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageThemes)?;
        let id = id_of(NodeKind::Theme, "input.id", &input.id)?;
        let fields = ThemeFields {
            name: input
                .name
                .map(|name| Name::parse("input.name", &name))
                .transpose()?,
            description: text_change(input.description)?,
            parent_id: change(input.parent_id, |id| {
                id_of(NodeKind::Theme, "input.parentId", &id)
            })?,
            position: input.position,
        };
        let theme = admin::update_theme(&state.db, id, fields).await?;
        Ok(ThemePayload {
            theme: Theme(theme),
        })
    }

    /// Deletes a theme; CONFLICT while initiatives or sub-themes use it, unless a
    /// replacement is named. Moderators and admins.
    async fn delete_theme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme and its replacement.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageThemes)?;
        let (id, replacement) = delete_args(NodeKind::Theme, &input)?;
        admin::delete_theme(&state.db, actor, id, replacement).await?;
        Ok(deleted(input.id))
    }

    /// Merges a duplicate theme into another, in one step, logged. Moderators and admins.
    async fn merge_themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The theme kept and its duplicate.")] input: MergeInput,
    ) -> Result<ThemePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageThemes)?;
        let (kept, merged) = merge_args(NodeKind::Theme, &input)?;
        let theme = admin::merge_themes(&state.db, actor, kept, merged).await?;
        Ok(ThemePayload {
            theme: Theme(theme),
        })
    }

    /// Creates an organisation. Admins only.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new organisation.")] input: CreateOrganisationInput,
    ) -> Result<OrganisationPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let name = Name::parse("input.name", &input.name)?;
        let fields = OrganisationFields {
            name: None,
            kind: None,
            territory_id: optional_id(
                NodeKind::Territory,
                "input.territoryId",
                input.territory_id,
            )?,
            website: Some(
                input
                    .website
                    .map(|url| WebUrl::parse("input.website", &url))
                    .transpose()?,
            ),
            description: Some(input.description.map(text).transpose()?.flatten()),
        };
        let organisation =
            admin::create_organisation(&state.db, name, input.kind.into(), fields).await?;
        Ok(OrganisationPayload {
            organisation: Organisation(organisation),
        })
    }

    /// Changes an organisation. Admins only.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation and its changes.")] input: UpdateOrganisationInput,
    ) -> Result<OrganisationPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let id = id_of(NodeKind::Organisation, "input.id", &input.id)?;
        let fields = OrganisationFields {
            name: input
                .name
                .map(|name| Name::parse("input.name", &name))
                .transpose()?,
            kind: input.kind.map(Into::into),
            territory_id: change(input.territory_id, |id| {
                id_of(NodeKind::Territory, "input.territoryId", &id)
            })?,
            website: change(input.website, |url| WebUrl::parse("input.website", &url))?,
            description: text_change(input.description)?,
        };
        let organisation = admin::update_organisation(&state.db, id, fields).await?;
        Ok(OrganisationPayload {
            organisation: Organisation(organisation),
        })
    }

    /// Deletes an organisation; CONFLICT while accounts, positions, meetings, initiatives
    /// or experiences refer to it, unless a replacement is named. Admins only.
    async fn delete_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation and its replacement.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageReferenceData)?;
        let (id, replacement) = delete_args(NodeKind::Organisation, &input)?;
        admin::delete_organisation(&state.db, actor, id, replacement).await?;
        Ok(deleted(input.id))
    }

    /// Merges a duplicate organisation into another, in one step, logged. Admins only.
    async fn merge_organisations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organisation kept and its duplicate.")] input: MergeInput,
    ) -> Result<OrganisationPayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageReferenceData)?;
        let (kept, merged) = merge_args(NodeKind::Organisation, &input)?;
        let organisation = admin::merge_organisations(&state.db, actor, kept, merged).await?;
        Ok(OrganisationPayload {
            organisation: Organisation(organisation),
        })
    }

    /// Creates a professional. Admins only.
    async fn create_professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new professional.")] input: CreateProfessionalInput,
    ) -> Result<ProfessionalPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let given_name = Name::parse("input.givenName", &input.given_name)?;
        let family_name = Name::parse("input.familyName", &input.family_name)?;
        let fields = ProfessionalFields {
            given_name: None,
            family_name: None,
            email: Some(
                input
                    .email
                    .map(|email| Email::parse("input.email", &email))
                    .transpose()?,
            ),
            phone: Some(
                input
                    .phone
                    .map(|phone| parse_phone("input.phone", &phone))
                    .transpose()?,
            ),
            contact_visibility: input.contact_visibility.map(Into::into),
            user_id: optional_id(NodeKind::User, "input.userId", input.user_id)?,
        };
        let professional =
            admin::create_professional(&state.db, given_name, family_name, fields).await?;
        Ok(ProfessionalPayload {
            professional: Professional(professional),
        })
    }

    /// Changes a professional. Admins only.
    async fn update_professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional and their changes.")] input: UpdateProfessionalInput,
    ) -> Result<ProfessionalPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let id = id_of(NodeKind::Professional, "input.id", &input.id)?;
        let fields = ProfessionalFields {
            given_name: input
                .given_name
                .map(|name| Name::parse("input.givenName", &name))
                .transpose()?,
            family_name: input
                .family_name
                .map(|name| Name::parse("input.familyName", &name))
                .transpose()?,
            email: change(input.email, |email| Email::parse("input.email", &email))?,
            phone: change(input.phone, |phone| parse_phone("input.phone", &phone))?,
            contact_visibility: input.contact_visibility.map(Into::into),
            user_id: change(input.user_id, |id| {
                id_of(NodeKind::User, "input.userId", &id)
            })?,
        };
        let professional = admin::update_professional(&state.db, id, fields).await?;
        Ok(ProfessionalPayload {
            professional: Professional(professional),
        })
    }

    /// Deletes a professional; CONFLICT while positions, meeting participations or
    /// initiative contacts refer to them, unless a replacement is named. To remove a
    /// person and their data, use `erasePersonalData`. Admins only.
    async fn delete_professional(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional and their replacement.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageReferenceData)?;
        let (id, replacement) = delete_args(NodeKind::Professional, &input)?;
        admin::delete_professional(&state.db, actor, id, replacement).await?;
        Ok(deleted(input.id))
    }

    /// Merges a duplicate professional into another, in one step, logged: the kept one
    /// takes the contact details and account it lacks, and the stricter contact
    /// visibility. Admins only.
    async fn merge_professionals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional kept and their duplicate.")] input: MergeInput,
    ) -> Result<ProfessionalPayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageReferenceData)?;
        let (kept, merged) = merge_args(NodeKind::Professional, &input)?;
        let professional = admin::merge_professionals(&state.db, actor, kept, merged).await?;
        Ok(ProfessionalPayload {
            professional: Professional(professional),
        })
    }

    /// Adds a position to a professional. Admins only.
    async fn create_position(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new position.")] input: CreatePositionInput,
    ) -> Result<PositionPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let professional_id = id_of(
            NodeKind::Professional,
            "input.professionalId",
            &input.professional_id,
        )?;
        let fields = PositionFields {
            organisation_id: Some(id_of(
                NodeKind::Organisation,
                "input.organisationId",
                &input.organisation_id,
            )?),
            job_title: Some(Name::parse("input.jobTitle", &input.job_title)?),
            field: Some(input.field.map(text).transpose()?.flatten()),
            territory_id: optional_id(
                NodeKind::Territory,
                "input.territoryId",
                input.territory_id,
            )?,
            started_on: Some(input.started_on.map(|date| date.0)),
            ended_on: Some(input.ended_on.map(|date| date.0)),
        };
        let position = admin::create_position(&state.db, professional_id, fields).await?;
        Ok(PositionPayload {
            position: Position(position),
        })
    }

    /// Changes a position, e.g. ends it. Admins only.
    async fn update_position(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The position and its changes.")] input: UpdatePositionInput,
    ) -> Result<PositionPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let id = id_of(NodeKind::Position, "input.id", &input.id)?;
        let fields = PositionFields {
            organisation_id: input
                .organisation_id
                .map(|id| id_of(NodeKind::Organisation, "input.organisationId", &id))
                .transpose()?,
            job_title: input
                .job_title
                .map(|title| Name::parse("input.jobTitle", &title))
                .transpose()?,
            field: text_change(input.field)?,
            territory_id: change(input.territory_id, |id| {
                id_of(NodeKind::Territory, "input.territoryId", &id)
            })?,
            started_on: change(input.started_on, |date| Ok(date.0))?,
            ended_on: change(input.ended_on, |date| Ok(date.0))?,
        };
        let position = admin::update_position(&state.db, id, fields).await?;
        Ok(PositionPayload {
            position: Position(position),
        })
    }

    /// Deletes a position. Admins only.
    async fn delete_position(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The position to delete.")] id: ID,
    ) -> Result<DeletePayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        admin::delete_position(&state.db, id_of(NodeKind::Position, "id", &id)?).await?;
        Ok(deleted(id))
    }

    /// Creates a territory. Admins only.
    async fn create_territory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new territory.")] input: CreateTerritoryInput,
    ) -> Result<TerritoryPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let name = Name::parse("input.name", &input.name)?;
        let fields = TerritoryFields {
            name: None,
            official_code: Some(input.official_code),
            parent_ids: input
                .parent_ids
                .map(|ids| GlobalId::parse_list(NodeKind::Territory, "input.parentIds", &ids))
                .transpose()?,
            latitude: Some(input.latitude),
            longitude: Some(input.longitude),
            valid_from: Some(input.valid_from.map(|date| date.0)),
            valid_to: Some(input.valid_to.map(|date| date.0)),
        };
        let territory = admin::create_territory(&state.db, name, input.kind.into(), fields).await?;
        Ok(TerritoryPayload {
            territory: Territory(territory),
        })
    }

    /// Changes a territory. Admins only.
    async fn update_territory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The territory and its changes.")] input: UpdateTerritoryInput,
    ) -> Result<TerritoryPayload> {
        let state = ctx.state()?;
        state.caller.require(Capability::ManageReferenceData)?;
        let id = id_of(NodeKind::Territory, "input.id", &input.id)?;
        let fields = TerritoryFields {
            name: input
                .name
                .map(|name| Name::parse("input.name", &name))
                .transpose()?,
            official_code: change(input.official_code, Ok)?,
            parent_ids: input
                .parent_ids
                .map(|ids| GlobalId::parse_list(NodeKind::Territory, "input.parentIds", &ids))
                .transpose()?,
            latitude: change(input.latitude, Ok)?,
            longitude: change(input.longitude, Ok)?,
            valid_from: change(input.valid_from, |date| Ok(date.0))?,
            valid_to: change(input.valid_to, |date| Ok(date.0))?,
        };
        let territory = admin::update_territory(&state.db, id, fields).await?;
        Ok(TerritoryPayload {
            territory: Territory(territory),
        })
    }

    /// Deletes a territory; CONFLICT while territories, organisations, positions or
    /// initiatives refer to it, unless a replacement is named. Admins only.
    async fn delete_territory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The territory and its replacement.")] input: DeleteInput,
    ) -> Result<DeletePayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManageReferenceData)?;
        let (id, replacement) = delete_args(NodeKind::Territory, &input)?;
        admin::delete_territory(&state.db, actor, id, replacement).await?;
        Ok(deleted(input.id))
    }
}
