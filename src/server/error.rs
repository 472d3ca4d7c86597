//! API errors: the one place error codes become HTTP statuses, and the JSON
//! shape `{"error":{"code","message"}}`. Internal details are logged, never sent.

use crate::error::{Error, ErrorCode};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

/// The HTTP status of an error code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A JSON error response.
pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": { "code": code, "message": message } }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code();
        let status = status_of(code);
        let message = if code == ErrorCode::Internal {
            tracing::error!(error = %self.0, "internal error");
            "internal error; see the server log".to_string()
        } else {
            self.0.to_string()
        };
        json_error(status, code.as_str(), &message)
    }
}

/// A bad request parameter.
pub fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(Error::BadParam(msg.into()))
}
