//! Building and running the HTTP server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::{self, ApiError};
use crate::routes;

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    pool: PgPool,
}

impl Application {
    /// Runs migrations, builds the pool and binds `settings.listen`
    /// (port 0 picks a free port).
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let applied = db::run_migrations(&settings.database_url)?;
        for m in applied {
            tracing::info!(migration = %m, "applied migration");
        }
        let pool = db::build_pool(&settings.database_url, settings.db_pool_size)?;
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let server = run(listener, pool.clone(), settings)?;
        Ok(Self { port, server, pool })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database pool the server uses.
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, pool: PgPool, settings: Settings) -> anyhow::Result<Server> {
    let metrics = PrometheusMetricsBuilder::new("cipherpool")
        .endpoint("/metrics")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let max_json = settings.max_json_bytes;
    let pool = web::Data::new(pool);
    let settings = web::Data::new(settings);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(metrics.clone())
            .wrap(TracingLogger::default())
            .app_data(pool.clone())
            .app_data(settings.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(max_json)
                    .error_handler(|e, _| error::json_error(e)),
            )
            .app_data(web::PayloadConfig::new(max_json))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|e, _| ApiError::not_found(format!("invalid path: {e}")).into()),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::bad_request("invalid_query", e.to_string()).into()
                }),
            )
            .configure(routes::configure)
            .default_service(web::to(|| async {
                Err::<HttpResponse, ApiError>(ApiError::not_found("no such endpoint"))
            }))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
