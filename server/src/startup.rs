//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::{web, App, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use keyholder_api::{KeyholderClient, KeyholderGroup};
use secrecy::ExposeSecret;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::attestation::AttestationCache;
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::http::allow::{self, Routes};
use crate::http::assets::{self, PkgDir};
use crate::http::error::{self, ApiError};
use crate::openapi;
use crate::routes;
use crate::services::registry::Registry;
use crate::state::AppState;
use crate::throttle::{Throttle, TrustedProxies};

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    pool: PgPool,
    throttle: web::Data<Throttle>,
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
        let state = {
            let mut conn = pool.get()?;
            let registry = Registry::default();
            registry
                .sync(&mut conn)
                .map_err(|e| anyhow::anyhow!("registry: {e}"))?;
            let notes = crate::services::notes::NotesTree::default();
            notes
                .sync(&mut conn)
                .map_err(|e| anyhow::anyhow!("notes tree: {e}"))?;
            AppState {
                registry,
                notes: Arc::new(notes),
                attestation: AttestationCache::default(),
                keyholder: Arc::new(keyholder_group(
                    &settings.keyholder_url,
                    settings.keyholder_token.expose_secret(),
                )?),
                campaign_crypto: Default::default(),
                recent_roots: settings.recent_roots,
                recent_root_secs: settings.recent_root_secs,
                verifications: crate::state::VerificationGate::new(
                    settings.verify_parallel,
                    settings.verify_queue,
                ),
                material: crate::state::MaterialCache::default(),
                open_list: crate::state::OpenList::new(std::time::Duration::from_millis(
                    settings.open_list_cache_ms,
                )),
            }
        };
        let throttle = web::Data::new(Throttle::new(
            &settings.rate_limits,
            TrustedProxies::parse(&settings.trusted_proxies)?,
        ));
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let server = run(listener, pool.clone(), settings, state, throttle.clone())?;
        Ok(Self {
            port,
            server,
            pool,
            throttle,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database pool the server uses.
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    /// Serves until the process is stopped (reports are released by the
    /// `cipherpool releaser` role, [`crate::releaser`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let throttle = self.throttle.clone();
        let forget = async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                every.tick().await;
                throttle.forget_quiet();
            }
        };
        tokio::select! {
            r = self.server => r,
            () = forget => Ok(()),
        }
    }
}

fn run(
    listener: TcpListener,
    pool: PgPool,
    settings: Settings,
    state: AppState,
    throttle: web::Data<Throttle>,
) -> anyhow::Result<Server> {
    let metrics = PrometheusMetricsBuilder::new("cipherpool")
        .endpoint("/metrics")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
    let max_json = settings.max_json_bytes;
    let max_contribution = settings.max_contribution_bytes;
    let web_dir = std::path::PathBuf::from(&settings.web_dir);
    let serve_web = web_dir.is_dir();
    let state = web::Data::new(state);
    let pool = web::Data::new(pool);
    let settings = web::Data::new(settings);
    let server = HttpServer::new(move || {
        // The one route list registers each handler and documents it.
        let (app, doc) = App::new()
            .into_utoipa_app()
            .openapi(openapi::ApiDoc::openapi())
            .configure(|cfg| routes::configure(cfg, max_contribution))
            .split_for_parts();
        let routes = web::Data::new(Routes::new(
            &doc,
            &[
                ("/api/openapi.json", Method::GET),
                ("/metrics", Method::GET),
            ],
            serve_web,
        ));
        // The first `wrap` is the innermost: 405s get `Allow` before the
        // security headers are added.
        app.wrap(actix_web::middleware::from_fn(allow::allow_header))
            .wrap(actix_web::middleware::from_fn(crate::throttle::hsts))
            .wrap(security_headers())
            .wrap(metrics.clone())
            .wrap(TracingLogger::default())
            .app_data(routes)
            .app_data(web::Data::new(openapi::Document(doc)))
            .app_data(pool.clone())
            .app_data(settings.clone())
            .app_data(state.clone())
            .app_data(throttle.clone())
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
            .service(openapi::openapi_json)
            .configure(|cfg| {
                if serve_web {
                    // The wasm client (web/pkg), gzip-encoded where the
                    // browser takes it; then the front end. No CDN.
                    cfg.app_data(web::Data::new(PkgDir(web_dir.clone())))
                        .service(
                            web::resource(assets::PKG_ROUTE)
                                .route(web::get().to(assets::pkg_file))
                                .route(web::head().to(assets::pkg_file))
                                // As for the other static files: 405, and
                                // `allow_header` adds `Allow: GET, HEAD`.
                                .default_service(web::to(|| async {
                                    actix_web::HttpResponse::MethodNotAllowed().finish()
                                })),
                        );
                    cfg.service(
                        actix_files::Files::new("/", &web_dir)
                            .index_file("index.html")
                            .default_handler(web::to(allow::fallback)),
                    );
                }
            })
            // 405 with `Allow` for a known path asked with another method,
            // else 404.
            .default_service(web::to(allow::fallback))
    })
    // Idle keep-alive connections stay open longer than clients' pools keep
    // them (reqwest: 90 s default; browsers: ~60 s), so a client never
    // sends on a connection the server is closing.
    .keep_alive(std::time::Duration::from_secs(120))
    .listen(listener)?
    .run();
    Ok(server)
}

/// The Content-Security-Policy of every response: scripts, styles, workers
/// and the wasm client only from this origin (no inline code; wasm
/// compilation allowed), never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Security headers on every response (pages, assets and the API).
///
/// The pages are cross-origin isolated (COOP `same-origin`, COEP
/// `require-corp`, which every same-origin asset and worker script carries
/// too): only then does the browser give them `SharedArrayBuffer`, which
/// the threaded wasm client (web/pkg-threads) needs. The pages load nothing
/// from another origin (see the CSP); CORP `same-origin` keeps other
/// origins' pages from embedding these responses.
fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Embedder-Policy", "require-corp"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
}

/// The keyholders of `urls` (comma separated) with `tokens` (comma
/// separated in the same order, or one for all).
pub fn keyholder_group(urls: &str, tokens: &str) -> anyhow::Result<KeyholderGroup> {
    let urls: Vec<&str> = urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    let tokens: Vec<&str> = tokens.split(',').map(str::trim).collect();
    if urls.is_empty() {
        anyhow::bail!("no keyholder configured (CIPHERPOOL_KEYHOLDER_URL)");
    }
    if tokens.len() != urls.len() && tokens.len() != 1 {
        anyhow::bail!(
            "{} keyholder URLs but {} tokens (CIPHERPOOL_KEYHOLDER_TOKEN: one per keyholder, comma separated)",
            urls.len(),
            tokens.len()
        );
    }
    Ok(KeyholderGroup::new(
        urls.iter()
            .enumerate()
            .map(|(i, u)| KeyholderClient::new(u, tokens[i.min(tokens.len() - 1)]))
            .collect(),
    ))
}
