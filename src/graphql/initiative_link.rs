//! Links between initiatives as the API shows them: only between initiatives the caller
//! may see.

use std::collections::HashMap;

use async_graphql::{Context, Object, Result};
use entity::{enums, initiative_link};
use uuid::Uuid;

use super::{
    context::{ContextExt, load_in_order, load_rows},
    enums::InitiativeLinkKind,
    initiative::Initiative,
};

/// A link between two initiatives, seen from one of them.
#[derive(Clone)]
pub struct InitiativeLink {
    row: initiative_link::Model,
    other: Initiative,
}

/// How an initiative relates to another one, and which.
#[Object]
impl InitiativeLink {
    /// How they relate, read from the initiative holding the link to the one it names
    /// (« A is VARIANT_OF B »).
    async fn kind(&self) -> InitiativeLinkKind {
        self.row.kind.into()
    }

    /// A few words on the link, when given.
    async fn note(&self) -> Option<&str> {
        self.row.note.as_deref()
    }

    /// The other initiative: the one named in `links`, the one holding the link in
    /// `linkedFrom`.
    async fn initiative(&self) -> &Initiative {
        &self.other
    }
}

/// Which end of a link the initiative asked about is.
#[derive(Clone, Copy)]
pub enum End {
    /// It holds the link: the other is the target.
    From,
    /// It is named: the other holds the link.
    To,
}

/// The links of `id` at `end`, of `kind` when given, whose other initiative the caller may
/// see.
pub async fn links(
    ctx: &Context<'_>,
    id: Uuid,
    end: End,
    kind: Option<InitiativeLinkKind>,
) -> Result<Vec<InitiativeLink>> {
    let loaders = &ctx.state()?.loaders;
    let rows = match end {
        End::From => load_rows(loaders.links_from_initiative(), id).await?,
        End::To => load_rows(loaders.links_to_initiative(), id).await?,
    };
    let kind: Option<enums::InitiativeLinkKind> = kind.map(Into::into);
    let rows: Vec<&initiative_link::Model> = rows
        .iter()
        .filter(|row| kind.is_none_or(|kind| row.kind == kind))
        .collect();
    let other = |row: &initiative_link::Model| match end {
        End::From => row.to_id,
        End::To => row.from_id,
    };
    let seen: HashMap<Uuid, Initiative> =
        load_in_order(loaders.initiative(), rows.iter().map(|row| other(row)))
            .await?
            .into_iter()
            .map(|model| (model.id, Initiative::from(model)))
            .collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let other = seen.get(&other(row))?.clone();
            Some(InitiativeLink {
                row: row.clone(),
                other,
            })
        })
        .collect())
}

/// The visible variants of `id`, by title.
pub async fn variants(ctx: &Context<'_>, id: Uuid) -> Result<Vec<Initiative>> {
    let loaders = &ctx.state()?.loaders;
    let ids = loaders
        .variants_of_initiative()
        .load_one(id)
        .await?
        .unwrap_or_default();
    Ok(load_in_order(loaders.initiative(), ids)
        .await?
        .into_iter()
        .map(Initiative::from)
        .collect())
}
