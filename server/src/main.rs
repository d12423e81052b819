//! The `cipherpool` command: `serve`, `migrate`, `worker`, `releaser`,
//! `create-admin`.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use cipherpool_server::config::Settings;
use cipherpool_server::domain::{Email, Role};
use cipherpool_server::http::error::ApiError;
use cipherpool_server::services::accounts::{create_user, new_password_hash};
use cipherpool_server::startup::Application;
use cipherpool_server::store::audit;
use cipherpool_server::{db, telemetry};

/// Cipherpool: privacy-preserving data contribution platform.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (defaults to ./cipherpool.toml when present).
    /// Environment variables CIPHERPOOL_* override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the REST API.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Compute statistics jobs: lease shards and reduce steps from the
    /// database (run any number of workers, on any machine that reaches it).
    Worker {
        /// Engine backend (`gpu` needs a build with the `gpu` feature).
        #[arg(long, value_enum, default_value = "cpu")]
        backend: cipherpool_server::worker::BackendKind,
    },
    /// Release aggregated statistics reports through the keyholders and
    /// announce registry changes to them (run at least one beside `serve`).
    Releaser,
    /// Create an admin account. The password is read from the
    /// CIPHERPOOL_ADMIN_PASSWORD environment variable, or else from the first
    /// line of standard input.
    CreateAdmin {
        /// The admin's e-mail address (login name).
        #[arg(long)]
        email: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("loading configuration")?;
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate => {
            let applied = db::run_migrations(&settings.database_url)?;
            println!("applied {} migration(s)", applied.len());
            Ok(())
        }
        Command::CreateAdmin { email } => create_admin(&settings, &email),
        Command::Releaser => {
            db::run_migrations(&settings.database_url)?;
            actix_web::rt::System::new().block_on(async move {
                let releaser = cipherpool_server::releaser::Releaser::from_settings(&settings)?;
                tracing::info!("cipherpool releaser running");
                // Stopping it mid-release is safe: the job's lease expires
                // and the next releaser asks the keyholders again (they
                // answer a repeated release from their stored one).
                releaser.run().await;
                Ok(())
            })
        }
        Command::Worker { backend } => {
            db::run_migrations(&settings.database_url)?;
            let opts = cipherpool_server::worker::WorkerOptions {
                lease_secs: settings.worker_lease_secs,
                poll: std::time::Duration::from_millis(settings.poll_ms),
                backend,
                batch: 8,
                max_attempts: cipherpool_server::worker::MAX_ATTEMPTS,
            };
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            cipherpool_server::worker::run(&settings.database_url, opts, stop)
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        tracing::info!(port = app.port(), "cipherpool listening");
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn create_admin(settings: &Settings, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let password = match std::env::var("CIPHERPOOL_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    db::run_migrations(&settings.database_url)?;
    let hash = new_password_hash(password, &email)
        .map_err(|e| anyhow::anyhow!("{}", ApiError::from(e)))?;
    let pool = db::build_pool(&settings.database_url, 1)?;
    let mut conn = pool.get()?;
    let user = db::run_tx_sync(&mut conn, "create_admin", |c| {
        let user = create_user(c, &email, &hash, Role::Admin)?;
        audit::record(
            c,
            None,
            "create_admin",
            &format!("user:{}", user.id),
            serde_json::json!({"email": user.email}),
        )?;
        Ok(user)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created admin {} (id {})", user.email, user.id);
    Ok(())
}
