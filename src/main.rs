//! The `communs` command: serve the API, migrate, load the demo data or official
//! territories, print the schema.

use std::{
    io::{BufRead, IsTerminal},
    process::ExitCode,
};

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use communs::{
    Database,
    accounts::{self, NewUser},
    admin,
    config::Config,
    demo, describe,
    domain::account::{DisplayName, Email, NewPassword},
    graphql, store, telemetry,
};
use entity::enums::Role;

/// mimalloc rather than the system allocator: glibc's keeps the 19 MiB each password hash
/// takes in its heaps, and a burst of 64 logins left the process at 220 MB (78 MB with
/// mimalloc, which returns them); it also serves the many small allocations of a GraphQL
/// response faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The variable `create-user` reads the password from; standard input otherwise.
const PASSWORD_VARIABLE: &str = "COMMUNS_NEW_PASSWORD";

/// Communs: a GraphQL API for a shared catalogue of local social-development initiatives.
#[derive(Parser)]
#[command(
    version,
    about,
    after_help = "Settings come from the environment, and from a `.env` file in the working \
                  folder: `.env.example` lists them all, and docs/operations.md explains \
                  each one."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the demo dataset (the 14 May 2020 meeting); loading it twice changes nothing.
    SeedDemo {
        /// Also create a demo admin, moderator and partner, and print their passwords.
        #[arg(long)]
        with_accounts: bool,
    },
    /// Create an account, e.g. the first admin of a new deployment. The password is read
    /// from the COMMUNS_NEW_PASSWORD variable, or else asked on the terminal without being
    /// shown, or else read from the first line of standard input (a pipe): never from an
    /// argument, which other users of the machine could see.
    CreateUser {
        /// The e-mail address the account logs in with.
        #[arg(long)]
        email: String,
        /// What the account may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The organisation it acts for (slug or id): required for partners.
        #[arg(long)]
        organisation: Option<String>,
        /// The name shown for it (the e-mail address by default).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    PrintSchema,
    /// Copy the embedded SQLite database to a new file while the server runs (on PostgreSQL,
    /// use pg_dump: see docs/operations.md). Keep the files `jwt-secret` and `erasure-key`
    /// of DATA_DIR with it.
    Backup {
        /// The file to write; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Load an official territory file (INSEE COG regions, departments or municipalities,
    /// the INSEE intercommunality composition, or the 2024 QPV list: see docs/operations.md).
    /// Importing the same file again changes nothing; codes no longer in the file are
    /// marked no longer valid. Malformed lines are reported with their line number and
    /// the rest is imported.
    ImportTerritories {
        /// The CSV file (`,` or `;` separated, UTF-8).
        file: std::path::PathBuf,
        /// Import nothing if any line is malformed.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Partner,
    Moderator,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Partner => Role::Partner,
            RoleArg::Moderator => Role::Moderator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("communs: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The settings, once logging is set up as they say.
fn configure() -> anyhow::Result<Config> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format)?;
    Ok(config)
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::PrintSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Serve => communs::serve(configure()?).await,
        Command::Migrate => {
            let config = configure()?;
            Database::open(&config.database).await?.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SeedDemo { with_accounts } => {
            let config = configure()?;
            let erasure_key = accounts::signing_secrets::erasure_key(&config)?;
            let database = Database::open(&config.database).await?;
            database.migrate().await?;
            let report = demo::load(&database.connection, &erasure_key)
                .await
                .map_err(describe)?;
            if report.inserted_anything() {
                println!(
                    "demo dataset loaded: {} territories, {} themes, {} organisations, \
                     {} professionals, {} meetings, {} initiatives",
                    report.territories,
                    report.themes,
                    report.organisations,
                    report.professionals,
                    report.meetings,
                    report.initiatives
                );
            } else {
                println!("demo dataset already present: nothing to do");
            }
            if report.skipped_erased > 0 {
                println!(
                    "{} demo entries skipped: the people they name were erased",
                    report.skipped_erased
                );
            }
            if with_accounts {
                for account in demo::accounts::create(&database.connection)
                    .await
                    .map_err(describe)?
                {
                    match account.password {
                        Some(password) => println!(
                            "demo account {} ({}): password {password}",
                            account.email,
                            account.role.as_str()
                        ),
                        None => println!(
                            "demo account {} ({}) already exists: password unchanged",
                            account.email,
                            account.role.as_str()
                        ),
                    }
                }
            }
            Ok(())
        }
        Command::Backup { file } => {
            let config = configure()?;
            let database = Database::open(&config.database).await?;
            admin::backup::copy_sqlite(&database.connection, &file)
                .await
                .map_err(describe)?;
            println!("database copied to {}", file.display());
            Ok(())
        }
        Command::ImportTerritories { file, strict } => {
            let config = configure()?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = communs::domain::territory_file::read(&text)
                .map_err(|message| anyhow::anyhow!("{}: {message}", file.display()))?;
            let kind = parsed.kind;
            let read = parsed.lines.len();
            let left_out = parsed.left_out.clone();
            let database = Database::open(&config.database).await?;
            database.migrate().await?;
            let today = chrono::Utc::now().date_naive();
            let report =
                admin::territory_import::import(&database.connection, parsed, strict, today)
                    .await
                    .map_err(describe)?;
            for malformed in &report.malformed {
                match &malformed.code {
                    Some(code) => eprintln!(
                        "{}:{}: malformed line ({code}): {}",
                        file.display(),
                        malformed.line,
                        malformed.message
                    ),
                    None => eprintln!(
                        "{}:{}: malformed line: {}",
                        file.display(),
                        malformed.line,
                        malformed.message
                    ),
                }
            }
            for (line, message) in &report.unknown_parents {
                eprintln!("{}:{line}: {message}", file.display());
            }
            if !report.applied {
                anyhow::bail!(
                    "{} malformed lines: nothing imported (--strict)",
                    report.malformed.len()
                );
            }
            println!("{}: {read} lines read", kind.describe());
            if report.changed_nothing() {
                println!("the territories already matched the lines read: nothing changed");
            } else {
                println!(
                    "{} created, {} renamed, {} valid again, {} no longer valid, \
                     {} links added, {} links removed, {} points moved",
                    report.created,
                    report.renamed,
                    report.revalidated,
                    report.expired,
                    report.links_added,
                    report.links_removed,
                    report.moved,
                );
            }
            for (reason, count) in &left_out {
                println!("{count} rows not imported: {reason}");
            }
            if !report.malformed.is_empty() {
                println!(
                    "{} malformed lines not imported (listed above); codes missing from the \
                     file were not marked no longer valid: fix those lines and import again",
                    report.malformed.len()
                );
            }
            Ok(())
        }
        Command::CreateUser {
            email,
            role,
            organisation,
            display_name,
        } => {
            // Said before anything is asked or opened.
            if matches!(role, RoleArg::Partner) && organisation.is_none() {
                anyhow::bail!(
                    "a partner acts for an organisation: give it with --organisation <slug or id>"
                );
            }
            let email = Email::parse("--email", &email).map_err(describe)?;
            let config = configure()?;
            let database = Database::open(&config.database).await?;
            database.migrate().await?;
            let organisation_id = match organisation {
                Some(reference) => Some(
                    store::reference::organisation_id(&database.connection, &reference)
                        .await
                        .map_err(describe)?
                        .with_context(|| format!("no organisation `{reference}`"))?,
                ),
                None => None,
            };
            let password = read_password()?;
            let password = NewPassword::parse("password", &password, &email).map_err(describe)?;
            let display_name = DisplayName::parse(
                "--display-name",
                display_name.as_deref().unwrap_or(email.as_str()),
            )
            .map_err(describe)?;
            let (user, _) = accounts::create_user(
                &database.connection,
                NewUser {
                    email,
                    display_name,
                    role: role.into(),
                    organisation_id,
                    password: Some(password),
                },
            )
            .await
            .map_err(describe)?;
            println!("account created: {} ({})", user.email, user.role.as_str());
            Ok(())
        }
    }
}

/// The new account's password: from the environment, else asked on the terminal without
/// echoing it, else the first line of standard input (a pipe, for scripts).
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE) {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("password of the new account (not shown): ")
            .context("cannot read the password from the terminal");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
