//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};

use crate::db::{self, PgPool};
use crate::http::error::ApiError;
use crate::http::responses as resp;

/// Liveness: the process serves requests (touches nothing else, so a
/// load balancer's probe costs nothing).
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "the server is up")))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

/// Readiness: the server can reach its database.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses((status = 200, description = "server and database are up"),
              (status = 503, response = resp::Unavailable)))]
#[get("/health/ready")]
pub async fn ready(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    db::with_conn(&pool, |conn| Ok(crate::store::ping(conn)?)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
