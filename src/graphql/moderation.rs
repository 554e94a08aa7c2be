//! What moderators do: the queue of submitted contributions, decisions, the audit log, and
//! the change proposals partners make to published initiatives.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Union};
use entity::{
    change_proposal,
    enums::{ModerationStatus as StoredStatus, SubjectType},
    initiative, moderation_event,
};

use super::{
    api_key::ApiKeyActor,
    connection::{Connection, page_args},
    context::{ContextExt, RequestState, load_rows},
    enums::{AuditSubjectKind, ContributionKind, ModerationAction, ModerationStatus},
    experience::Experience,
    id::{GlobalId, NodeKind},
    initiative::{Initiative, load_links},
    organisation::Organisation,
    scalars::DateTime,
    user::User,
};
use crate::{
    contributions::{self, Decided, Subject},
    domain::{
        access::Capability,
        contribution::{InitiativeChanges, Patch},
        moderation::Decision,
        page::PageRequest,
        personal_data::{PersonalDataFinding, PersonalDataKind as FindingKind, scan_fields},
    },
    error::AppError,
    store::{
        self,
        moderation_queue::QueuedKind,
        page::{Page, TotalCount},
    },
};

#[derive(Clone)]
pub struct ChangeProposal(pub change_proposal::Model);

impl ChangeProposal {
    fn proposed(&self) -> Result<InitiativeChanges, AppError> {
        serde_json::from_str(&self.0.changes).map_err(AppError::internal)
    }
}

/// One field a proposal changes, as it is and as it would be.
#[derive(SimpleObject, Clone)]
pub struct FieldChange {
    /// The field, named as in `InitiativeChangesInput` (`summary`, `themeIds`, ...).
    field: String,
    /// Its current value (lists: global ids separated by commas; links: `KIND id (note)`;
    /// place: `latitude, longitude`, null when it comes from the territories); null when
    /// empty.
    before: Option<String>,
    /// The proposed value, in the same form; null to clear it.
    after: Option<String>,
}

impl FieldChange {
    pub(super) fn new(field: &str, before: Option<String>, after: Option<String>) -> Self {
        Self {
            field: field.to_owned(),
            before,
            after,
        }
    }
}

/// A list as `FieldChange` shows it: items separated by commas, null when empty.
pub(super) fn joined(ids: impl IntoIterator<Item = String>) -> Option<String> {
    let list: Vec<String> = ids.into_iter().collect();
    (!list.is_empty()).then(|| list.join(", "))
}

fn text_change(field: &str, before: Option<&str>, after: &Patch<String>) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        before: before.map(str::to_owned),
        after: after.value(),
    }
}

/// A change of a list of ids, written as global ids.
fn id_list_change(
    field: &str,
    kind: NodeKind,
    before: impl Iterator<Item = uuid::Uuid>,
    after: &[uuid::Uuid],
) -> FieldChange {
    FieldChange {
        field: field.to_owned(),
        before: joined(before.map(|uuid| kind.id(uuid).0)),
        after: joined(after.iter().map(|uuid| kind.id(*uuid).0)),
    }
}

/// The field-by-field difference between a proposal and its initiative as it is now.
async fn field_changes(
    ctx: &Context<'_>,
    current: &initiative::Model,
    changes: &InitiativeChanges,
) -> Result<Vec<FieldChange>> {
    let loaders = &ctx.state()?.loaders;
    let mut out = Vec::new();
    if let Some(title) = &changes.title {
        out.push(text_change(
            "title",
            Some(&current.title),
            &Patch::Set(title.clone()),
        ));
    }
    if let Some(summary) = &changes.summary {
        out.push(text_change(
            "summary",
            Some(&current.summary),
            &Patch::Set(summary.clone()),
        ));
    }
    for (field, before, after) in [
        ("description", &current.description, &changes.description),
        ("context", &current.context, &changes.context),
        ("outcomes", &current.outcomes, &changes.outcomes),
        ("continuation", &current.continuation, &changes.continuation),
    ] {
        if let Some(after) = after {
            out.push(text_change(field, before.as_deref(), after));
        }
    }
    for (field, before, after) in [
        ("startedOn", current.started_on, &changes.started_on),
        ("endedOn", current.ended_on, &changes.ended_on),
    ] {
        if let Some(after) = after {
            out.push(FieldChange {
                field: field.to_owned(),
                before: before.map(|date| date.to_string()),
                after: after.value().map(|date| date.to_string()),
            });
        }
    }
    let id = current.id;
    if let Some(after) = &changes.theme_ids {
        let before = load_links(ctx, id).await?;
        let before = before.themes.iter().copied();
        out.push(id_list_change("themeIds", NodeKind::Theme, before, after));
    }
    if let Some(after) = &changes.territory_ids {
        let before = load_links(ctx, id).await?;
        let before = before.territories.iter().copied();
        out.push(id_list_change(
            "territoryIds",
            NodeKind::Territory,
            before,
            after,
        ));
    }
    if let Some(after) = &changes.organisations {
        let before = load_links(ctx, id).await?;
        let link = |uuid, role: &str| format!("{} ({role})", NodeKind::Organisation.id(uuid).0);
        out.push(FieldChange {
            field: "organisations".to_owned(),
            before: joined(
                before
                    .organisations
                    .iter()
                    .map(|(organisation, role)| link(*organisation, role)),
            ),
            after: joined(
                after
                    .iter()
                    .map(|l| link(l.organisation_id, l.role.as_str())),
            ),
        });
    }
    if let Some(after) = &changes.contact_ids {
        let before = load_rows(loaders.contacts_of_initiative(), id).await?;
        let before = before.iter().map(|row| row.professional_id);
        out.push(id_list_change(
            "contactIds",
            NodeKind::Professional,
            before,
            after,
        ));
    }
    if let Some(after) = &changes.meeting_ids {
        let before = load_rows(loaders.meetings_of_initiative(), id).await?;
        let before = before.iter().map(|row| row.meeting_id);
        out.push(id_list_change(
            "meetingIds",
            NodeKind::Meeting,
            before,
            after,
        ));
    }
    if let Some(after) = &changes.links {
        let rows = load_rows(loaders.links_from_initiative(), id).await?;
        let link = |kind: entity::enums::InitiativeLinkKind, target, note: Option<&str>| {
            let link = format!("{} {}", kind.as_str(), NodeKind::Initiative.id(target).0);
            match note {
                Some(note) => format!("{link} ({note})"),
                None => link,
            }
        };
        out.push(FieldChange {
            field: "links".to_owned(),
            before: joined(
                rows.iter()
                    .map(|row| link(row.kind, row.to_id, row.note.as_deref())),
            ),
            after: joined(
                after
                    .iter()
                    .map(|l| link(l.kind, l.target_id, l.note.as_deref())),
            ),
        });
    }
    if let Some(after) = &changes.place {
        let point = |latitude: f64, longitude: f64| format!("{latitude}, {longitude}");
        out.push(FieldChange {
            field: "place".to_owned(),
            before: current
                .latitude
                .zip(current.longitude)
                .filter(|_| current.place_explicit)
                .map(|(latitude, longitude)| point(latitude, longitude)),
            after: after
                .value()
                .map(|place| point(place.latitude(), place.longitude())),
        });
    }
    if let Some(after) = &changes.audiences {
        let rows = load_rows(loaders.audiences_of_initiative(), id).await?;
        out.push(FieldChange {
            field: "audiences".to_owned(),
            before: joined(rows.iter().map(|row| row.audience.as_str().to_owned())),
            after: joined(after.iter().map(|audience| audience.as_str().to_owned())),
        });
    }
    Ok(out)
}

/// A change a partner proposed to a published initiative. The initiative stays as it is
/// until a moderator approves the proposal, which then applies it. Seen by the partners of
/// the proposing organisation and by moderators.
#[Object]
impl ChangeProposal {
    /// The global id of the proposal.
    pub async fn id(&self) -> ID {
        NodeKind::ChangeProposal.id(self.0.id)
    }

    /// SUBMITTED while it waits; PUBLISHED once approved and applied; REJECTED.
    async fn status(&self) -> ModerationStatus {
        self.0.status.into()
    }

    /// The version of the proposal: send it as `expectedVersion` to `moderate`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The initiative's version the proposal was made against. It is approved only while
    /// the initiative is still at that version.
    async fn base_version(&self) -> i32 {
        self.0.base_version
    }

    /// The initiative it would change.
    async fn initiative(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        let found = ctx
            .state()?
            .loaders
            .initiative()
            .load_one(self.0.initiative_id)
            .await?;
        Ok(found.map(Initiative::from))
    }

    /// What it changes, field by field, against the initiative as it is now.
    async fn changes(&self, ctx: &Context<'_>) -> Result<Vec<FieldChange>> {
        let Some(current) = ctx
            .state()?
            .loaders
            .initiative()
            .load_one(self.0.initiative_id)
            .await?
        else {
            return Ok(Vec::new());
        };
        field_changes(ctx, &current, &self.proposed()?).await
    }

    /// The organisation that proposed it.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation(ctx, self.0.organisation_id).await
    }

    /// The account that proposed it, for moderators and that account.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.author_id).await
    }

    /// When it was proposed.
    async fn submitted_at(&self) -> Option<DateTime> {
        self.0.submitted_at.map(DateTime)
    }
}

async fn organisation(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Organisation>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx
        .state()?
        .loaders
        .organisation()
        .load_one(id)
        .await?
        .map(Organisation))
}

async fn user(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    Ok(ctx.state()?.loaders.user().load_one(id).await?.map(User))
}

/// A contribution: an initiative, an experience or a change proposal.
#[derive(Union, Clone)]
pub enum Contribution {
    Initiative(Initiative),
    Experience(Experience),
    ChangeProposal(ChangeProposal),
}

/// What kind of personal data was found.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum PersonalDataKind {
    /// An e-mail address.
    Email,
    /// A French phone number.
    Phone,
}

/// Personal data found in a contribution's texts. It does not block anything: it asks the
/// moderator to check before publishing, since the catalogue is public.
#[derive(SimpleObject, Clone)]
pub struct PersonalDataWarning {
    /// The field it was found in (`description`, `body`, ...).
    field: String,
    /// What it looks like.
    kind: PersonalDataKind,
    /// The text found.
    excerpt: String,
}

impl From<PersonalDataFinding> for PersonalDataWarning {
    fn from(finding: PersonalDataFinding) -> Self {
        Self {
            field: finding.field.to_owned(),
            kind: match finding.kind {
                FindingKind::Email => PersonalDataKind::Email,
                FindingKind::Phone => PersonalDataKind::Phone,
            },
            excerpt: finding.excerpt,
        }
    }
}

fn initiative_warnings(model: &initiative::Model) -> Vec<PersonalDataWarning> {
    scan_fields([
        ("title", Some(model.title.as_str())),
        ("summary", Some(model.summary.as_str())),
        ("description", model.description.as_deref()),
        ("context", model.context.as_deref()),
        ("outcomes", model.outcomes.as_deref()),
        ("continuation", model.continuation.as_deref()),
    ])
    .into_iter()
    .map(Into::into)
    .collect()
}

fn proposal_warnings(changes: &InitiativeChanges) -> Vec<PersonalDataWarning> {
    let set = |patch: &Option<Patch<String>>| patch.as_ref().and_then(Patch::value);
    let (description, context, outcomes, continuation) = (
        set(&changes.description),
        set(&changes.context),
        set(&changes.outcomes),
        set(&changes.continuation),
    );
    scan_fields([
        ("title", changes.title.as_deref()),
        ("summary", changes.summary.as_deref()),
        ("description", description.as_deref()),
        ("context", context.as_deref()),
        ("outcomes", outcomes.as_deref()),
        ("continuation", continuation.as_deref()),
    ])
    .into_iter()
    .map(Into::into)
    .collect()
}

/// One contribution waiting for (or past) a moderator's decision.
#[derive(Clone)]
pub struct ModerationItem(Contribution);

/// What every kind of contribution records about its moderation.
struct Tracking {
    status: StoredStatus,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    author_id: Option<uuid::Uuid>,
    organisation_id: Option<uuid::Uuid>,
}

impl ModerationItem {
    pub fn of(contribution: Contribution) -> Self {
        Self(contribution)
    }

    /// The UUID of the contribution, which the item's id shares.
    fn contribution_id(&self) -> uuid::Uuid {
        match &self.0 {
            Contribution::Initiative(item) => item.model.id,
            Contribution::Experience(item) => item.0.id,
            Contribution::ChangeProposal(item) => item.0.id,
        }
    }

    fn tracking(&self) -> Tracking {
        match &self.0 {
            Contribution::Initiative(item) => Tracking {
                status: item.model.status,
                submitted_at: item.model.submitted_at,
                author_id: item.model.submitted_by,
                organisation_id: item.model.organisation_id,
            },
            Contribution::Experience(item) => Tracking {
                status: item.0.status,
                submitted_at: item.0.submitted_at,
                author_id: item.0.author_id,
                organisation_id: item.0.organisation_id,
            },
            Contribution::ChangeProposal(item) => Tracking {
                status: item.0.status,
                submitted_at: item.0.submitted_at,
                author_id: item.0.author_id,
                organisation_id: item.0.organisation_id,
            },
        }
    }
}

/// A contribution in the moderation queue, with what a moderator needs to decide.
#[Object]
impl ModerationItem {
    /// The global id of the item: the same for as long as the contribution exists, whatever
    /// its state, so that `node(id:)` shows it as it is now.
    pub async fn id(&self) -> ID {
        NodeKind::ModerationItem.id(self.contribution_id())
    }

    /// What kind of contribution it is.
    async fn kind(&self) -> ContributionKind {
        match &self.0 {
            Contribution::Initiative(_) => ContributionKind::Initiative,
            Contribution::Experience(_) => ContributionKind::Experience,
            Contribution::ChangeProposal(_) => ContributionKind::ChangeProposal,
        }
    }

    /// The contribution itself.
    async fn subject(&self) -> &Contribution {
        &self.0
    }

    /// Where it stands.
    async fn status(&self) -> ModerationStatus {
        self.tracking().status.into()
    }

    /// When it was last submitted.
    async fn submitted_at(&self) -> Option<DateTime> {
        self.tracking().submitted_at.map(DateTime)
    }

    /// The account that wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.tracking().author_id).await
    }

    /// The organisation it is written for.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation(ctx, self.tracking().organisation_id).await
    }

    /// What a change proposal changes, field by field; empty for new initiatives and
    /// experiences (everything in them is new).
    async fn changes(&self, ctx: &Context<'_>) -> Result<Vec<FieldChange>> {
        match &self.0 {
            Contribution::ChangeProposal(proposal) => {
                let Some(current) = ctx
                    .state()?
                    .loaders
                    .initiative()
                    .load_one(proposal.0.initiative_id)
                    .await?
                else {
                    return Ok(Vec::new());
                };
                field_changes(ctx, &current, &proposal.proposed()?).await
            }
            _ => Ok(Vec::new()),
        }
    }

    /// E-mail addresses and French phone numbers found in its texts: check them before
    /// approving.
    async fn warnings(&self) -> Result<Vec<PersonalDataWarning>> {
        Ok(match &self.0 {
            Contribution::Initiative(item) => initiative_warnings(&item.model),
            Contribution::Experience(item) => scan_fields([
                ("title", Some(item.0.title.as_str())),
                ("body", Some(item.0.body.as_str())),
            ])
            .into_iter()
            .map(Into::into)
            .collect(),
            Contribution::ChangeProposal(item) => proposal_warnings(&item.proposed()?),
        })
    }
}

#[derive(Clone)]
pub struct ModerationEvent(moderation_event::Model);

/// An entry of the audit log: a change or a decision on a contribution.
#[Object]
impl ModerationEvent {
    /// The global id of the entry (an entry never changes).
    pub async fn id(&self) -> ID {
        NodeKind::ModerationEvent.id(self.0.id)
    }

    /// What the event is about.
    async fn subject_kind(&self) -> AuditSubjectKind {
        self.0.subject_type.into()
    }

    /// The global id of what the event is about.
    async fn subject_id(&self) -> ID {
        subject_kind(self.0.subject_type).id(self.0.subject_id)
    }

    /// What happened.
    async fn action(&self) -> ModerationAction {
        self.0.action.into()
    }

    /// The status before.
    async fn from_status(&self) -> Option<ModerationStatus> {
        self.0.from_status.map(Into::into)
    }

    /// The status after.
    async fn to_status(&self) -> Option<ModerationStatus> {
        self.0.to_status.map(Into::into)
    }

    /// The moderator's comment: the reason of a rejection, the changes asked for. For a
    /// NOT_DUPLICATE entry, shown only to a reader who may see `relatedInitiative` too.
    async fn comment(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if self.0.action == entity::enums::ModerationAction::NotDuplicate
            && self.related_initiative(ctx).await?.is_none()
        {
            return Ok(None);
        }
        Ok(self.0.comment.as_deref())
    }

    /// The other initiative the entry is about: for NOT_DUPLICATE, the other one of the
    /// pair; for MERGE, the one merged into the subject (null once deleted). Null when the
    /// reader may not see it.
    async fn related_initiative(&self, ctx: &Context<'_>) -> Result<Option<Initiative>> {
        let Some(id) = self.0.related_id else {
            return Ok(None);
        };
        let found = ctx.state()?.loaders.initiative().load_one(id).await?;
        Ok(found.map(Initiative::from))
    }

    /// Who did it, for moderators and that account.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        user(ctx, self.0.actor_id).await
    }

    /// The API key a tool did it with (then there is no `actor`), for whoever reads the log.
    async fn actor_key(&self, ctx: &Context<'_>) -> Result<Option<ApiKeyActor>> {
        let Some(id) = self.0.api_key_id else {
            return Ok(None);
        };
        let key = ctx.state()?.loaders.api_key().load_one(id).await?;
        Ok(key.map(ApiKeyActor))
    }

    /// When.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

fn subject_kind(subject: SubjectType) -> NodeKind {
    match subject {
        SubjectType::Initiative => NodeKind::Initiative,
        SubjectType::Experience => NodeKind::Experience,
        SubjectType::ChangeProposal => NodeKind::ChangeProposal,
        SubjectType::Territory => NodeKind::Territory,
        SubjectType::Theme => NodeKind::Theme,
        SubjectType::Organisation => NodeKind::Organisation,
        SubjectType::Professional => NodeKind::Professional,
        SubjectType::Meeting => NodeKind::Meeting,
    }
}

/// The queue item of the contribution `id`, if the caller may follow its moderation.
pub(super) async fn queue_item(
    state: &RequestState,
    id: uuid::Uuid,
) -> Result<Option<ModerationItem>, AppError> {
    let loaders = &state.loaders;
    // The id does not say which kind of contribution it is: the three loads share a batch.
    let (initiative, experience, proposal) = futures_util::future::try_join3(
        loaders.initiative().load_one(id),
        loaders.experience().load_one(id),
        loaders.change_proposal().load_one(id),
    )
    .await?;
    let contribution = initiative
        .map(|m| Contribution::Initiative(m.into()))
        .or_else(|| experience.map(|m| Contribution::Experience(Experience(m))))
        .or_else(|| proposal.map(|m| Contribution::ChangeProposal(ChangeProposal(m))));
    Ok(contribution.map(ModerationItem).filter(|item| {
        state
            .caller
            .may_follow_moderation_of(item.tracking().organisation_id)
    }))
}

/// The entry `id` of the audit log, if the caller may read the log it belongs to.
pub(super) async fn audit_entry(
    state: &RequestState,
    id: uuid::Uuid,
) -> Result<Option<ModerationEvent>, AppError> {
    let Some(event) = state.loaders.moderation_event().load_one(id).await? else {
        return Ok(None);
    };
    let subject = GlobalId {
        kind: subject_kind(event.subject_type),
        uuid: event.subject_id,
    };
    // Entries about reference data belong to no contribution's log.
    let readable = match contribution_owner(state, subject).await {
        Ok(owner) => owner.is_some_and(|owner| state.caller.may_follow_moderation_of(owner)),
        Err(_) => false,
    };
    Ok(readable.then_some(ModerationEvent(event)))
}

/// The organisation of the contribution `subject` (`Some(None)` for one without any),
/// `None` when the caller sees no such contribution; BAD_USER_INPUT on `subjectId` when
/// `subject` is not a contribution.
async fn contribution_owner(
    state: &RequestState,
    subject: GlobalId,
) -> Result<Option<Option<uuid::Uuid>>, AppError> {
    let loaders = &state.loaders;
    Ok(match subject.kind {
        NodeKind::Initiative => loaders
            .initiative()
            .load_one(subject.uuid)
            .await?
            .map(|m| m.organisation_id),
        NodeKind::Experience => loaders
            .experience()
            .load_one(subject.uuid)
            .await?
            .map(|m| m.organisation_id),
        NodeKind::ChangeProposal => loaders
            .change_proposal()
            .load_one(subject.uuid)
            .await?
            .map(|m| m.organisation_id),
        _ => {
            return Err(AppError::bad_input(
                "subjectId",
                "expected the id of an initiative, an experience or a change proposal",
            ));
        }
    })
}

/// Which contributions the queue lists.
#[derive(InputObject, Default)]
pub struct ModerationQueueFilter {
    /// Only these kinds (all by default).
    kinds: Option<Vec<ContributionKind>>,
    /// Only these states (SUBMITTED by default).
    statuses: Option<Vec<ModerationStatus>>,
}

#[derive(Default)]
pub struct ModerationQuery;

/// The moderators' view.
#[Object]
impl ModerationQuery {
    /// Contributions waiting for a decision, oldest submission first: initiatives,
    /// experiences and change proposals, each with its author, organisation, changes and
    /// personal-data warnings. Moderators and admins only.
    async fn moderation_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which kinds and states to list (SUBMITTED by default).")] filter: Option<
            ModerationQueueFilter,
        >,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<ModerationItem>> {
        let state = ctx.state()?;
        state.caller.require(Capability::Moderate)?;
        let filter = filter.unwrap_or_default();
        let mut kinds: Vec<SubjectType> = filter
            .kinds
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        if kinds.is_empty() {
            kinds = vec![
                SubjectType::Initiative,
                SubjectType::Experience,
                SubjectType::ChangeProposal,
            ];
        }
        let mut statuses: Vec<StoredStatus> = filter
            .statuses
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        if statuses.is_empty() {
            statuses = vec![StoredStatus::Submitted];
        }
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let (page, total) =
            store::moderation_queue::page(&state.db, &kinds, &statuses, request).await?;
        let loaders = &state.loaders;
        let items = futures_util::future::try_join_all(page.rows.iter().map(|entry| async move {
            Ok::<_, AppError>(match entry.kind {
                QueuedKind::Initiative => loaders
                    .initiative()
                    .load_one(entry.id)
                    .await?
                    .map(|m| Contribution::Initiative(m.into())),
                QueuedKind::Experience => loaders
                    .experience()
                    .load_one(entry.id)
                    .await?
                    .map(|m| Contribution::Experience(Experience(m))),
                QueuedKind::ChangeProposal => loaders
                    .change_proposal()
                    .load_one(entry.id)
                    .await?
                    .map(|m| Contribution::ChangeProposal(ChangeProposal(m))),
            })
        }))
        .await?;
        let rows: Vec<ModerationItem> = items.into_iter().flatten().map(ModerationItem).collect();
        let page = store::page::Page {
            rows,
            offset: page.offset,
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
        };
        Ok(Connection::new(page, total))
    }

    /// The audit log of a contribution, oldest first: every change and decision, with the
    /// moderators' comments. Moderators see every log; partners see the logs of their
    /// organisation's contributions (an empty list for any other).
    #[graphql(
        deprecation = "Use `moderationLog(subjectId:)`, the same entries as a connection (`first`/`after`, `pageInfo`, `totalCount`)."
    )]
    async fn moderation_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative, experience or change proposal.")] subject_id: ID,
    ) -> Result<Vec<ModerationEvent>> {
        let state = ctx.state()?;
        let Some(subject) = readable_log(state, &subject_id).await? else {
            return Ok(Vec::new());
        };
        let events = store::contributions::events(&state.db, subject).await?;
        Ok(events.into_iter().map(ModerationEvent).collect())
    }

    /// The audit log of a contribution, oldest first, a page at a time: every change and
    /// decision, with the moderators' comments. Moderators see every log; partners see the
    /// logs of their organisation's contributions (an empty list for any other).
    async fn moderation_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The initiative, experience or change proposal.")] subject_id: ID,
        #[graphql(desc = "Page size from the start (1 to 100, 20 by default).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (1 to 100).")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
    ) -> Result<Connection<ModerationEvent>> {
        let request = PageRequest::try_from(page_args(first, after, last, before))?;
        let state = ctx.state()?;
        let Some(subject) = readable_log(state, &subject_id).await? else {
            return Ok(Connection::new(Page::empty(), TotalCount::known(0)));
        };
        let (page, total) = store::contributions::events_page(&state.db, subject, request).await?;
        Ok(Connection::new(page.map(ModerationEvent), total))
    }
}

/// The contribution whose log `subject_id` asks for, if the caller may read it: signed-in
/// callers (and API keys) only, BAD_USER_INPUT for an id of anything else than a
/// contribution.
async fn readable_log(state: &RequestState, subject_id: &ID) -> Result<Option<uuid::Uuid>> {
    state.caller.require_credentials()?;
    let subject = GlobalId::parse("subjectId", subject_id)?;
    let owner = contribution_owner(state, subject).await?;
    Ok(owner
        .is_some_and(|owner| state.caller.may_follow_moderation_of(owner))
        .then_some(subject.uuid))
}

/// What a moderator decides.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ModerationDecision {
    /// Publish a submitted contribution (apply a submitted change proposal).
    Approve,
    /// Refuse a submitted contribution; `comment` gives the reason (required).
    Reject,
    /// Send a submitted contribution back to its authors; `comment` says what to change
    /// (required). Not for change proposals.
    RequestChanges,
    /// Withdraw a published contribution from the public catalogue.
    Archive,
    /// Publish an archived contribution again.
    Restore,
}

impl From<ModerationDecision> for Decision {
    fn from(decision: ModerationDecision) -> Self {
        match decision {
            ModerationDecision::Approve => Self::Approve,
            ModerationDecision::Reject => Self::Reject,
            ModerationDecision::RequestChanges => Self::RequestChanges,
            ModerationDecision::Archive => Self::Archive,
            ModerationDecision::Restore => Self::Restore,
        }
    }
}

/// A moderator's decision on a contribution.
#[derive(InputObject)]
pub struct ModerateInput {
    /// The initiative, experience or change proposal.
    subject_id: ID,
    /// The decision.
    action: ModerationDecision,
    /// Why: required to reject or to request changes; shown to the authors.
    comment: Option<String>,
    /// The subject's `version` read; a stale one is CONFLICT.
    expected_version: i32,
}

/// The contribution after a decision.
#[derive(SimpleObject)]
pub struct ModeratePayload {
    /// The contribution as stored now.
    subject: Contribution,
}

#[derive(Default)]
pub struct ModerationMutation;

/// Moderators' decisions.
#[Object]
impl ModerationMutation {
    /// Approves, rejects, sends back, archives or restores a contribution, following the
    /// moderation state machine: a transition it does not allow is INVALID_TRANSITION; a
    /// stale `expectedVersion` is CONFLICT. Logged with the comment. Moderators and admins
    /// only.
    async fn moderate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subject, the decision, its comment and the version read.")]
        input: ModerateInput,
    ) -> Result<ModeratePayload> {
        let state = ctx.state()?;
        let account = state.caller.require(Capability::Moderate)?;
        let parsed = GlobalId::parse("input.subjectId", &input.subject_id)?;
        let subject = match parsed.kind {
            NodeKind::Initiative => Subject::Initiative(parsed.uuid),
            NodeKind::Experience => Subject::Experience(parsed.uuid),
            NodeKind::ChangeProposal => Subject::ChangeProposal(parsed.uuid),
            _ => {
                return Err(AppError::bad_input(
                    "input.subjectId",
                    "expected the id of an initiative, an experience or a change proposal",
                )
                .into());
            }
        };
        let decided = contributions::moderate(
            &state.db,
            account,
            subject,
            input.action.into(),
            input.comment.as_deref(),
            input.expected_version,
        )
        .await?;
        Ok(ModeratePayload {
            subject: match decided {
                Decided::Initiative(model) => Contribution::Initiative(model.into()),
                Decided::Experience(model) => Contribution::Experience(Experience(model)),
                Decided::ChangeProposal(model) => {
                    Contribution::ChangeProposal(ChangeProposal(model))
                }
            },
        })
    }
}
