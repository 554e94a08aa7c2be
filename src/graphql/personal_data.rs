//! People's data rights: contact visibility, export and erasure of a professional's data.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::{
    context::ContextExt,
    enums::ContactVisibility,
    id::{GlobalId, NodeKind},
    professional::Professional,
    scalars::Json,
};
use crate::{admin::personal_data, domain::access::Capability};

/// Who may see a professional's contact details from now on.
#[derive(InputObject)]
pub struct SetContactVisibilityInput {
    /// The professional.
    professional_id: ID,
    /// Who may see their e-mail and phone.
    visibility: ContactVisibility,
}

/// A professional after a change of their contact visibility.
#[derive(SimpleObject)]
pub struct SetContactVisibilityPayload {
    /// The professional as others see them now.
    professional: Professional,
    /// Who may see their e-mail and phone now.
    contact_visibility: ContactVisibility,
}

/// What an erasure kept, without any of the erased data.
#[derive(SimpleObject)]
pub struct ErasePersonalDataPayload {
    /// The id the professional had; nothing answers to it any more.
    erased_id: ID,
    /// Meeting participations kept as anonymous traces (role only, no name, no job title).
    anonymous_participations: u64,
    /// Positions removed.
    positions_removed: u64,
    /// Initiative contacts removed.
    contacts_removed: u64,
    /// Whether the person's account was deactivated and stripped of its e-mail address
    /// and name.
    account_erased: bool,
}

#[derive(Default)]
pub struct PersonalDataQuery;

/// Personal data, for the person and for admins.
#[Object]
impl PersonalDataQuery {
    /// Everything held about a professional, as one JSON document: the person, their
    /// account, positions, meeting participations, initiatives naming them as contact,
    /// former slugs and the audit events about them. Admins, or the person's own account.
    async fn export_personal_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional whose data to export.")] professional_id: ID,
    ) -> Result<Json> {
        let state = ctx.state()?;
        let id = GlobalId::parse_as(NodeKind::Professional, "professionalId", &professional_id)?;
        Ok(Json(
            personal_data::export(&state.db, &state.caller, id).await?,
        ))
    }
}

#[derive(Default)]
pub struct PersonalDataMutation;

/// People's data rights.
#[Object]
impl PersonalDataMutation {
    /// Changes who may see a professional's e-mail and phone, at once everywhere. The
    /// person's own account, or an admin.
    async fn set_contact_visibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional and the new visibility.")]
        input: SetContactVisibilityInput,
    ) -> Result<SetContactVisibilityPayload> {
        let state = ctx.state()?;
        let id = GlobalId::parse_as(
            NodeKind::Professional,
            "input.professionalId",
            &input.professional_id,
        )?;
        let updated = personal_data::set_contact_visibility(
            &state.db,
            &state.caller,
            id,
            input.visibility.into(),
        )
        .await?;
        Ok(SetContactVisibilityPayload {
            contact_visibility: updated.contact_visibility.into(),
            professional: Professional(updated),
        })
    }

    /// Erases a professional's personal data: name, contact details, positions, initiative
    /// contacts and former slugs, everywhere; their account, if any, is deactivated and
    /// loses its e-mail address and name. Meeting participations stay as anonymous traces.
    /// The erasure holds against every later seed or import. Logged without the erased data.
    /// Admins only.
    async fn erase_personal_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The professional whose data to erase.")] professional_id: ID,
    ) -> Result<ErasePersonalDataPayload> {
        let state = ctx.state()?;
        let actor = state.caller.require(Capability::ManagePersonalData)?;
        let id = GlobalId::parse_as(NodeKind::Professional, "professionalId", &professional_id)?;
        let report = personal_data::erase(&state.db, &state.erasure_key, actor, id).await?;
        Ok(ErasePersonalDataPayload {
            erased_id: professional_id,
            anonymous_participations: report.anonymous_participations,
            positions_removed: report.positions_removed,
            contacts_removed: report.contacts_removed,
            account_erased: report.account_erased,
        })
    }
}
