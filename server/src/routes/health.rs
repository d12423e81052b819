//! Liveness: answers when the server can reach its database.

use actix_web::{get, web, HttpResponse};
use diesel::prelude::*;

use crate::db::{self, PgPool};
use crate::error::ApiError;

/// Health check.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, description = "server and database are up"),
              (status = 503, body = crate::error::ErrorBody)))]
#[get("/health")]
pub async fn health(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    db::with_conn(&pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok"})))
}
