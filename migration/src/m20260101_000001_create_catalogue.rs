//! The whole domain model: reference data (territories, themes, organisations, people,
//! meetings), the catalogue (initiatives, experiences and their links), accounts and the
//! moderation log. Enums are short strings and sets are link tables, so the same schema
//! runs on SQLite and PostgreSQL. Names and titles that lists are sorted by have a folded
//! copy (`sort_name`, `title_sort`: lower case, no accents), so that both backends sort
//! them alike whatever their collation.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Length of the string columns that hold an enum value.
const ENUM_LEN: u32 = 32;

/// A table with a UUID primary key `id` and the `created_at` / `updated_at` timestamps.
fn entity_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
        .col(timestamp_with_time_zone("updated_at").default(Expr::current_timestamp()))
        .take()
}

/// A foreign key from `table.column` to `target.id`.
fn reference(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

/// A link table between an initiative and something else, both sides deleted with either end
/// unless `other_on_delete` says otherwise.
fn initiative_link(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    other_on_delete: ForeignKeyAction,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(uuid("initiative_id"))
        .col(uuid(column))
        .primary_key(Index::create().col("initiative_id").col(column))
        .foreign_key(&mut reference(
            table,
            "initiative_id",
            "initiative",
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut reference(table, column, target, other_on_delete))
        .take()
}

/// A folded copy of a name for ordering. PostgreSQL compares it byte by byte (`C`), as
/// SQLite does, whatever the cluster's locale.
fn sort_column(name: &'static str, backend: DbBackend) -> ColumnDef {
    let mut column = string(name);
    if backend == DbBackend::Postgres {
        column.extra("COLLATE \"C\"");
    }
    column
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let backend = manager.get_database_backend();

        let tables = [
            entity_table("territory")
                .col(string("name"))
                .col(sort_column("sort_name", backend))
                .col(string_uniq("slug"))
                .col(string_len("kind", ENUM_LEN))
                .col(string_null("official_code"))
                .col(double_null("latitude"))
                .col(double_null("longitude"))
                .col(date_null("valid_from"))
                .col(date_null("valid_to"))
                .take(),
            Table::create()
                .table("territory_parent")
                .col(uuid("child_id"))
                .col(uuid("parent_id"))
                .primary_key(Index::create().col("child_id").col("parent_id"))
                .foreign_key(&mut reference(
                    "territory_parent",
                    "child_id",
                    "territory",
                    Cascade,
                ))
                .foreign_key(&mut reference(
                    "territory_parent",
                    "parent_id",
                    "territory",
                    Cascade,
                ))
                .take(),
            entity_table("theme")
                .col(string("name"))
                .col(sort_column("sort_name", backend))
                .col(string_uniq("slug"))
                .col(text_null("description"))
                .col(uuid_null("parent_id"))
                .col(integer("position").default(0))
                .foreign_key(&mut reference("theme", "parent_id", "theme", Restrict))
                .take(),
            entity_table("organisation")
                .col(string("name"))
                .col(sort_column("sort_name", backend))
                .col(string_uniq("slug"))
                .col(string_len("kind", ENUM_LEN))
                .col(uuid_null("territory_id"))
                .col(string_null("website"))
                .col(text_null("description"))
                .foreign_key(&mut reference(
                    "organisation",
                    "territory_id",
                    "territory",
                    Restrict,
                ))
                .take(),
            entity_table("app_user")
                .col(string_uniq("email"))
                .col(string("password_hash"))
                .col(string("display_name"))
                .col(string_len("role", ENUM_LEN))
                .col(uuid_null("organisation_id"))
                .col(boolean("is_active").default(true))
                .col(integer("token_version").default(0))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .foreign_key(&mut reference(
                    "app_user",
                    "organisation_id",
                    "organisation",
                    Restrict,
                ))
                .take(),
            entity_table("professional")
                .col(string("given_name"))
                .col(string("family_name"))
                .col(sort_column("sort_name", backend))
                .col(string_uniq("slug"))
                .col(string_null("email"))
                .col(string_null("phone"))
                .col(string_len("contact_visibility", ENUM_LEN).default("MEMBERS"))
                .col(uuid_null("user_id").unique_key())
                .foreign_key(&mut reference(
                    "professional",
                    "user_id",
                    "app_user",
                    SetNull,
                ))
                .take(),
            entity_table("position")
                .col(uuid("professional_id"))
                .col(uuid("organisation_id"))
                .col(string("job_title"))
                .col(string_null("field"))
                .col(uuid_null("territory_id"))
                .col(date_null("started_on"))
                .col(date_null("ended_on"))
                .foreign_key(&mut reference(
                    "position",
                    "professional_id",
                    "professional",
                    Cascade,
                ))
                .foreign_key(&mut reference(
                    "position",
                    "organisation_id",
                    "organisation",
                    Restrict,
                ))
                .foreign_key(&mut reference(
                    "position",
                    "territory_id",
                    "territory",
                    Restrict,
                ))
                .take(),
            entity_table("meeting")
                .col(string("title"))
                .col(string_uniq("slug"))
                .col(date("held_on"))
                .col(string_len("format", ENUM_LEN))
                .col(uuid_null("organiser_id"))
                .col(text_null("agenda"))
                .col(text_null("summary"))
                .foreign_key(&mut reference(
                    "meeting",
                    "organiser_id",
                    "organisation",
                    Restrict,
                ))
                .take(),
            entity_table("meeting_participant")
                .col(uuid("meeting_id"))
                .col(uuid_null("professional_id"))
                .col(string_len("role", ENUM_LEN))
                .col(string_null("job_title"))
                .col(integer("position").default(0))
                .foreign_key(&mut reference(
                    "meeting_participant",
                    "meeting_id",
                    "meeting",
                    Cascade,
                ))
                .foreign_key(&mut reference(
                    "meeting_participant",
                    "professional_id",
                    "professional",
                    SetNull,
                ))
                .take(),
            entity_table("meeting_topic")
                .col(uuid("meeting_id"))
                .col(integer("position"))
                .col(text("question"))
                .foreign_key(&mut reference(
                    "meeting_topic",
                    "meeting_id",
                    "meeting",
                    Cascade,
                ))
                .take(),
            entity_table("initiative")
                .col(string("title"))
                .col(sort_column("title_sort", backend))
                .col(string_uniq("slug"))
                .col(text("summary"))
                .col(text_null("description"))
                .col(date_null("started_on"))
                .col(date_null("ended_on"))
                .col(text_null("context"))
                .col(text_null("outcomes"))
                .col(text_null("continuation"))
                .col(string_len("status", ENUM_LEN))
                .col(uuid_null("organisation_id"))
                .col(uuid_null("submitted_by"))
                .col(timestamp_with_time_zone_null("published_at"))
                .col(integer("version").default(1))
                .foreign_key(&mut reference(
                    "initiative",
                    "organisation_id",
                    "organisation",
                    Restrict,
                ))
                .foreign_key(&mut reference(
                    "initiative",
                    "submitted_by",
                    "app_user",
                    SetNull,
                ))
                .take(),
            initiative_link("initiative_theme", "theme_id", "theme", Restrict),
            initiative_link(
                "initiative_territory",
                "territory_id",
                "territory",
                Restrict,
            ),
            initiative_link(
                "initiative_contact",
                "professional_id",
                "professional",
                Cascade,
            ),
            initiative_link("initiative_meeting", "meeting_id", "meeting", Cascade),
            initiative_link(
                "initiative_organisation",
                "organisation_id",
                "organisation",
                Restrict,
            )
            .col(string_len("role", ENUM_LEN))
            .take(),
            Table::create()
                .table("initiative_audience")
                .col(uuid("initiative_id"))
                .col(string_len("audience", ENUM_LEN))
                .primary_key(Index::create().col("initiative_id").col("audience"))
                .foreign_key(&mut reference(
                    "initiative_audience",
                    "initiative_id",
                    "initiative",
                    Cascade,
                ))
                .take(),
            entity_table("experience")
                .col(uuid("initiative_id"))
                .col(uuid_null("author_id"))
                .col(uuid_null("organisation_id"))
                .col(string("title"))
                .col(text("body"))
                .col(string_len("status", ENUM_LEN))
                .col(timestamp_with_time_zone_null("published_at"))
                .col(integer("version").default(1))
                .foreign_key(&mut reference(
                    "experience",
                    "initiative_id",
                    "initiative",
                    Cascade,
                ))
                .foreign_key(&mut reference(
                    "experience",
                    "author_id",
                    "app_user",
                    SetNull,
                ))
                .foreign_key(&mut reference(
                    "experience",
                    "organisation_id",
                    "organisation",
                    Restrict,
                ))
                .take(),
            Table::create()
                .table("moderation_event")
                .col(pk_uuid("id"))
                .col(string_len("subject_type", ENUM_LEN))
                .col(uuid("subject_id"))
                .col(uuid_null("actor_id"))
                .col(string_len("action", ENUM_LEN))
                .col(string_len_null("from_status", ENUM_LEN))
                .col(string_len_null("to_status", ENUM_LEN))
                .col(text_null("comment"))
                .col(timestamp_with_time_zone("created_at").default(Expr::current_timestamp()))
                .foreign_key(&mut reference(
                    "moderation_event",
                    "actor_id",
                    "app_user",
                    SetNull,
                ))
                .take(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }

        let indexes = [
            // Unique (kind, official_code): two territories of one kind never share a code.
            index("territory", &["kind", "official_code"])
                .unique()
                .take(),
            index("territory", &["sort_name"]),
            index("territory_parent", &["parent_id"]),
            index("theme", &["parent_id", "position", "sort_name"]),
            index("organisation", &["kind"]),
            index("organisation", &["territory_id"]),
            index("organisation", &["sort_name"]),
            index("professional", &["sort_name"]),
            index("position", &["professional_id"]),
            index("position", &["organisation_id"]),
            index("position", &["territory_id"]),
            index("meeting", &["held_on"]),
            index("meeting", &["organiser_id"]),
            index("meeting_participant", &["meeting_id", "position"]),
            index("meeting_participant", &["professional_id"]),
            index("meeting_topic", &["meeting_id", "position"]),
            // The public orderings, behind the status every public query filters on.
            index("initiative", &["status", "published_at"]),
            index("initiative", &["status", "title_sort"]),
            index("initiative", &["status", "started_on"]),
            index("initiative", &["organisation_id"]),
            index("initiative_theme", &["theme_id"]),
            index("initiative_territory", &["territory_id"]),
            index("initiative_contact", &["professional_id"]),
            index("initiative_meeting", &["meeting_id"]),
            index("initiative_organisation", &["organisation_id"]),
            index("initiative_audience", &["audience"]),
            index("experience", &["initiative_id", "status"]),
            index("experience", &["organisation_id"]),
            index("app_user", &["organisation_id"]),
            index("moderation_event", &["subject_id", "created_at"]),
            index("moderation_event", &["actor_id"]),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "moderation_event",
            "experience",
            "initiative_audience",
            "initiative_organisation",
            "initiative_meeting",
            "initiative_contact",
            "initiative_territory",
            "initiative_theme",
            "initiative",
            "meeting_topic",
            "meeting_participant",
            "meeting",
            "position",
            "professional",
            "app_user",
            "organisation",
            "theme",
            "territory_parent",
            "territory",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
