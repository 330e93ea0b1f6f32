//! One error type for request handling, rendered as
//! `{"error": {"code": "snake_case", "message": "..."}}` with its status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::workflow::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Conflict with the current state; the code names which rule.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    /// Valid input that breaks a rule.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } | Self::Unprocessable { code, .. } => code,
            Self::TooLarge(_) => "payload_too_large",
            Self::UnsupportedType(_) => "unsupported_media_type",
            Self::Internal(_) => "internal",
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => Self::NotFound("not found".into()),
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Self::internal(err)
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            Refusal::UnknownStage(_) => Self::Unprocessable {
                code: "unknown_stage",
                message,
            },
            Refusal::NotEntitled(_) => Self::Forbidden(message),
            Refusal::OwnRelease => Self::Forbidden(message),
            Refusal::SeparationOfDuties { .. } => Self::Forbidden(message),
            Refusal::NotOpen(_) => Self::Conflict {
                code: "not_open",
                message,
            },
            Refusal::AlreadyDecided => Self::Conflict {
                code: "already_decided",
                message,
            },
            Refusal::Undispositioned(_) => Self::Conflict {
                code: "undispositioned_findings",
                message,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(err) = self {
            tracing::error!(error = format!("{err:#}"), "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unauthorized(_)) {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        res.json(serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}}))
    }
}

pub type AppResult<T> = Result<T, AppError>;
