//! Reading one GraphQL request off HTTP: the JSON body of a POST, the query string of a GET
//! (`query`, `operationName`, `variables` and `extensions`, the last two as JSON), as the
//! GraphQL over HTTP specification names them.
//!
//! Read here rather than by async-graphql-axum's extractor, which reads `operation_name`
//! from a query string instead of `operationName`, and turns a body cut at the size limit
//! into an unreadable body (400) instead of one too large (413).

use async_graphql::{BatchRequest, ParseRequestError, Request};
use axum::{
    body::Bytes,
    extract::{
        FromRequest, Query, Request as HttpRequest,
        rejection::{BytesRejection, FailedToBufferBody},
    },
    http::Method,
};
use serde::Deserialize;

use super::graphql_endpoint::RequestRefused;

/// A GraphQL request, or the refusal of what was sent instead.
pub struct GraphqlRequest(pub Request);

/// The parameters of a GET request.
#[derive(Deserialize)]
struct QueryParameters {
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for GraphqlRequest {
    type Rejection = RequestRefused;

    async fn from_request(request: HttpRequest, state: &S) -> Result<Self, Self::Rejection> {
        if request.method() == Method::GET {
            return from_query_string(request.uri()).map(Self);
        }
        let body =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection {
                    BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                        RequestRefused::from(ParseRequestError::PayloadTooLarge)
                    }
                    _ => RequestRefused::from(ParseRequestError::Io(std::io::Error::other(
                        "the body could not be read",
                    ))),
                })?;
        let batch = serde_json::from_slice::<BatchRequest>(&body)
            .map_err(|error| ParseRequestError::InvalidRequest(Box::new(error)))?;
        Ok(Self(batch.into_single()?))
    }
}

fn from_query_string(uri: &axum::http::Uri) -> Result<Request, RequestRefused> {
    let Query(parameters) = Query::<QueryParameters>::try_from_uri(uri).map_err(|error| {
        ParseRequestError::InvalidRequest(Box::new(std::io::Error::other(error.body_text())))
    })?;
    let mut request = serde_json::Map::new();
    request.insert("query".to_owned(), parameters.query.into());
    if let Some(name) = parameters.operation_name {
        request.insert("operationName".to_owned(), name.into());
    }
    for (name, text) in [
        ("variables", parameters.variables),
        ("extensions", parameters.extensions),
    ] {
        if let Some(text) = text {
            let value = serde_json::from_str::<serde_json::Value>(&text).map_err(|error| {
                ParseRequestError::InvalidRequest(Box::new(std::io::Error::other(format!(
                    "`{name}` is not JSON: {error}"
                ))))
            })?;
            request.insert(name.to_owned(), value);
        }
    }
    serde_json::from_value::<Request>(request.into())
        .map_err(|error| ParseRequestError::InvalidRequest(Box::new(error)).into())
}
