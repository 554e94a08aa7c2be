//! The `communs` command: serve the API, migrate, load the demo data, print the schema.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use communs::{Database, config::Config, demo, describe, graphql, telemetry};

/// Communs: a GraphQL API for a shared catalogue of local social-development initiatives.
#[derive(Parser)]
#[command(version, about)]
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
    SeedDemo,
    /// Print the GraphQL schema (SDL) to standard output.
    PrintSchema,
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
        Command::SeedDemo => {
            let config = configure()?;
            let database = Database::open(&config.database).await?;
            database.migrate().await?;
            let report = demo::load(&database.connection).await.map_err(describe)?;
            if report.inserted_anything() {
                println!("demo dataset loaded: {report:?}");
            } else {
                println!("demo dataset already present: nothing to do");
            }
            Ok(())
        }
    }
}
