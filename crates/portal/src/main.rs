//! `portal`: reads configuration, sets up logging, runs a command.

use clap::Parser;
use portal::settings::{Cli, Command, LogFormat};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(settings) => {
            portal::telemetry::init(settings.log_format);
            let app = portal::Application::build(settings).await?;
            app.run_until(portal::shutdown_signal()).await
        }
        Command::Migrate(db) => {
            portal::telemetry::init(LogFormat::Text);
            portal::open_store(&db.database_url).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
    }
}
