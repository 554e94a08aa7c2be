//! GraphiQL at `/`, with its scripts and style served from the binary (`assets/graphiql/`):
//! the page works offline, and loads nothing from another site.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// The files the page loads: the name they are served under (with their version, so that
/// a new version is a new address), their media type and their bytes.
const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql-3.9.0.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql-3.9.0.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// A file's address names its version: browsers may keep it for a year without asking.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// The routes of GraphiQL: the page and its files.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/graphiql/{file}", get(file))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn file(Path(name): Path<String>) -> Response {
    let Some((_, media_type, bytes)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (header::CACHE_CONTROL, IMMUTABLE),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        *bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::{FILES, PAGE};

    #[test]
    fn the_page_loads_every_file_served_and_only_those() {
        for (name, _, _) in FILES {
            assert!(PAGE.contains(&format!("\"/graphiql/{name}\"")), "{name}");
        }
        assert_eq!(PAGE.matches("/graphiql/").count(), FILES.len());
    }
}
