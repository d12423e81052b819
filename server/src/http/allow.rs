//! 405 answers that say what is allowed: every 405 carries `Allow` with the
//! methods its path supports (taken from the OpenAPI document, so the route
//! list stays the one in `routes::configure`) and the usual JSON error body
//! (`method_not_allowed`); a known path asked with another method answers
//! 405 instead of 404.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use utoipa::openapi::OpenApi;

use super::error::ApiError;

/// Every served path pattern and the methods it answers.
#[derive(Debug, Default)]
pub struct Routes {
    paths: Vec<(ResourceDef, Vec<Method>)>,
    /// Whether other paths are static files (`GET`, `HEAD`).
    files: bool,
}

impl Routes {
    /// The paths and methods of `doc`, plus `extra` (routes served but not
    /// documented, such as the document itself); `files` when every other
    /// path is served as a static file.
    pub fn new(doc: &OpenApi, extra: &[(&str, Method)], files: bool) -> Self {
        let mut paths: Vec<(ResourceDef, Vec<Method>)> = Vec::new();
        let mut add = |pattern: &str, method: Method| match paths
            .iter_mut()
            .find(|(def, _)| def.pattern() == Some(pattern))
        {
            Some((_, methods)) if !methods.contains(&method) => methods.push(method),
            Some(_) => {}
            None => paths.push((ResourceDef::new(pattern), vec![method])),
        };
        for (pattern, item) in doc.paths.paths.iter() {
            let ops = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::OPTIONS, &item.options),
                (Method::HEAD, &item.head),
                (Method::PATCH, &item.patch),
                (Method::TRACE, &item.trace),
            ];
            for (method, op) in ops {
                if op.is_some() {
                    add(pattern, method);
                }
            }
        }
        for (pattern, method) in extra {
            add(pattern, method.clone());
        }
        Self { paths, files }
    }

    /// The methods `path` answers, if it is a known route.
    pub fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.paths
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }

    /// The `Allow` value for `path`: its methods, or `GET, HEAD` for a
    /// static file.
    fn allow(&self, path: &str) -> Option<String> {
        match self.allowed(path) {
            Some(methods) => Some(
                methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None if self.files => Some("GET, HEAD".to_string()),
            None => None,
        }
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut res = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path answers {allow}"),
    )
    .error_response();
    if let Ok(v) = HeaderValue::from_str(allow) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// The answer for a request no route took: 405 (with `Allow`) when the
/// path is a known route asked with another method, else 404.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let allow = req
        .app_data::<web::Data<Routes>>()
        .and_then(|r| r.allowed(req.path()))
        .map(|methods| {
            methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        });
    match allow {
        Some(allow) => method_not_allowed(&allow),
        None => ApiError::not_found("no such endpoint").error_response(),
    }
}

/// Middleware: a 405 from anywhere (a resource's default, the static files)
/// gets `Allow` for its path and, when it is not already one, the JSON
/// error body.
pub async fn allow_header<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let res = next.call(req).await?;
    if res.status() != StatusCode::METHOD_NOT_ALLOWED {
        return Ok(res.map_into_left_body());
    }
    let Some(allow) = res
        .request()
        .app_data::<web::Data<Routes>>()
        .and_then(|r| r.allow(res.request().path()))
    else {
        return Ok(res.map_into_left_body());
    };
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json {
        let mut res = res;
        if let Ok(v) = HeaderValue::from_str(&allow) {
            res.headers_mut().insert(header::ALLOW, v);
        }
        return Ok(res.map_into_left_body());
    }
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, method_not_allowed(&allow)).map_into_right_body())
}
