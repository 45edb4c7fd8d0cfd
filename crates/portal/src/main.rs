//! `portal`: reads configuration, sets up logging, runs a command.

use clap::Parser;
use portal::settings::{Cli, Command, LogFormat, OperatorCommand};
use portal_domain::ids::{AccountId, UserId};

// glibc's allocator was a sixth of a members-page request's CPU (malloc, free and their
// consolidation), measured; mimalloc's thread-local free lists cut that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line, the cause chain: what an operator reads in a unit's journal.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(settings) => {
            portal::telemetry::init(settings.log_format);
            let app = portal::Application::build(*settings).await?;
            app.run_until(portal::shutdown_signal()).await
        }
        Command::Migrate(db) => {
            portal::telemetry::init(LogFormat::Text);
            portal::open_store(&db.database_url).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Operator(command) => {
            portal::telemetry::init(LogFormat::Text);
            operator(command).await
        }
    }
}

#[expect(clippy::print_stdout, reason = "the operator commands answer on standard output")]
async fn operator(command: OperatorCommand) -> anyhow::Result<()> {
    match command {
        OperatorCommand::CreateKey { database, label } => {
            let key = portal::create_operator_key(&database.database_url, &label).await?;
            println!("{key}");
            eprintln!("Send it as the X-Operator-Key header. It is shown only now.");
            Ok(())
        }
        OperatorCommand::ReassignOwner { database, account, user, remove_previous } => {
            let portal = portal::portal_for(&database.database_url).await?;
            let account =
                portal.reassign_owner(AccountId::from_uuid(account), UserId::from_uuid(user), remove_previous).await?;
            println!("account {} is now owned by {}", account.id(), account.owner());
            Ok(())
        }
        OperatorCommand::DisableUser { database, user } => {
            let portal = portal::portal_for(&database.database_url).await?;
            portal.disable_user(UserId::from_uuid(user)).await?;
            println!("user {user} is disabled");
            Ok(())
        }
    }
}
