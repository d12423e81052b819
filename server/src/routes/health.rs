//! Liveness and readiness.

use actix_web::{get, web, HttpResponse};
use diesel::prelude::*;

use crate::db::{self, PgPool};
use crate::http::error::ApiError;

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
              (status = 503, body = crate::http::error::ErrorBody)))]
#[get("/health/ready")]
pub async fn ready(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    db::with_conn(&pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
