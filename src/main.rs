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
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::PrintSchema = command {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("communs: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format)?;
    match command {
        Command::Serve | Command::PrintSchema => communs::serve(config).await,
        Command::Migrate => {
            Database::open(&config.database).await?.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::SeedDemo => {
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
