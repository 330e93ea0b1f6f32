//! One error type for request handling, rendered as
//! `{"error": {"code": "snake_case", "message": "..."}}` with its status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::workflow::Refusal;

/// Every `error.code` the service answers: a closed set, so clients can
/// match on it and the API document can list it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Internal,
    // 409: conflicts with the release's current state.
    NotOpen,
    NotAllowedInState,
    AlreadyDecided,
    UndispositionedFindings,
    StaleVersion,
    StageDecided,
    ReleaseChanged,
    Exists,
    RedactedVersionRequired,
    // 422: valid input that breaks a rule.
    UnknownStage,
    UnknownDepartment,
    DepartmentRequired,
    CoDepartmentsInvalid,
    NoteRequired,
    BlockingFinding,
    DepartmentFixed,
    InvalidFile,
    ColumnSummary,
    NoValue,
    NotConditional,
    LimitReached,
    InvalidAddress,
    Blocked,
    NotOpenable,
    WrongDepartment,
    OutsideYear,
    OrganisationRequired,
    OutsideLog,
    UnknownCosigner,
    BadCosignature,
    /// 422: a delegate must share the delegator's roles and department.
    InvalidDelegation,
    /// 410: the release was retracted after publication.
    Retracted,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 41] = [
        Self::BadRequest,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::TooManyRequests,
        Self::Internal,
        Self::NotOpen,
        Self::NotAllowedInState,
        Self::AlreadyDecided,
        Self::UndispositionedFindings,
        Self::StaleVersion,
        Self::StageDecided,
        Self::ReleaseChanged,
        Self::Exists,
        Self::RedactedVersionRequired,
        Self::UnknownStage,
        Self::UnknownDepartment,
        Self::DepartmentRequired,
        Self::CoDepartmentsInvalid,
        Self::NoteRequired,
        Self::BlockingFinding,
        Self::DepartmentFixed,
        Self::InvalidFile,
        Self::ColumnSummary,
        Self::NoValue,
        Self::NotConditional,
        Self::LimitReached,
        Self::InvalidAddress,
        Self::Blocked,
        Self::NotOpenable,
        Self::WrongDepartment,
        Self::OutsideYear,
        Self::OrganisationRequired,
        Self::OutsideLog,
        Self::UnknownCosigner,
        Self::BadCosignature,
        Self::InvalidDelegation,
        Self::Retracted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests => "too_many_requests",
            Self::Internal => "internal",
            Self::NotOpen => "not_open",
            Self::NotAllowedInState => "not_allowed_in_state",
            Self::AlreadyDecided => "already_decided",
            Self::UndispositionedFindings => "undispositioned_findings",
            Self::StaleVersion => "stale_version",
            Self::StageDecided => "stage_decided",
            Self::ReleaseChanged => "release_changed",
            Self::Exists => "exists",
            Self::UnknownStage => "unknown_stage",
            Self::UnknownDepartment => "unknown_department",
            Self::DepartmentRequired => "department_required",
            Self::CoDepartmentsInvalid => "co_departments_invalid",
            Self::NoteRequired => "note_required",
            Self::BlockingFinding => "blocking_finding",
            Self::DepartmentFixed => "department_fixed",
            Self::InvalidFile => "invalid_file",
            Self::ColumnSummary => "column_summary",
            Self::NoValue => "no_value",
            Self::NotConditional => "not_conditional",
            Self::LimitReached => "limit_reached",
            Self::InvalidAddress => "invalid_address",
            Self::Blocked => "blocked",
            Self::NotOpenable => "not_openable",
            Self::WrongDepartment => "wrong_department",
            Self::OutsideYear => "outside_year",
            Self::OrganisationRequired => "organisation_required",
            Self::OutsideLog => "outside_log",
            Self::UnknownCosigner => "unknown_cosigner",
            Self::BadCosignature => "bad_cosignature",
            Self::RedactedVersionRequired => "redacted_version_required",
            Self::InvalidDelegation => "invalid_delegation",
            Self::Retracted => "retracted",
        }
    }
}

impl ErrorCode {
    /// The HTTP status every answer with this code carries: the API document
    /// lists, for each status an operation answers, exactly these codes.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Blocked => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotOpen
            | Self::NotAllowedInState
            | Self::AlreadyDecided
            | Self::UndispositionedFindings
            | Self::StaleVersion
            | Self::StageDecided
            | Self::ReleaseChanged
            | Self::Exists
            | Self::RedactedVersionRequired => StatusCode::CONFLICT,
            Self::UnknownStage
            | Self::UnknownDepartment
            | Self::DepartmentRequired
            | Self::CoDepartmentsInvalid
            | Self::NoteRequired
            | Self::BlockingFinding
            | Self::DepartmentFixed
            | Self::InvalidFile
            | Self::ColumnSummary
            | Self::NoValue
            | Self::NotConditional
            | Self::LimitReached
            | Self::InvalidAddress
            | Self::NotOpenable
            | Self::WrongDepartment
            | Self::OutsideYear
            | Self::OrganisationRequired
            | Self::OutsideLog
            | Self::UnknownCosigner
            | Self::BadCosignature
            | Self::InvalidDelegation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Retracted => StatusCode::GONE,
        }
    }
}

/// The body of every error answer: `{"error": {"code", "message"}}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people: what was wrong, naming the field or rule.
    pub message: String,
}

/// The 410 answer for a retracted release: the error, and when and why.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RetractedBody {
    pub error: ErrorDetail,
    pub retracted_at: String,
    pub reason: String,
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// 403 `blocked`: the account, key or address is on the blocklist.
    #[error("{0}")]
    Blocked(String),
    #[error("{0}")]
    NotFound(String),
    /// A known path asked with a method it does not answer (`Allow` lists those it does).
    #[error("this path answers {}", .0.join(", "))]
    MethodNotAllowed(Vec<String>),
    /// A rule refused the request: a conflict with the release's current
    /// state (409) or valid input that breaks a rule (422); the code names
    /// the rule and sets the status.
    #[error("{message}")]
    Rule { code: ErrorCode, message: String },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    /// 410 `retracted`: the release was taken off the catalogue after
    /// publication; the answer carries when and why.
    #[error("this release was retracted: {reason}")]
    Retracted {
        at: chrono::NaiveDateTime,
        reason: String,
    },
    /// 429: try again after this many seconds (`Retry-After`).
    #[error("too many attempts: try again in {0} s")]
    TooManyRequests(u64),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Blocked(_) => ErrorCode::Blocked,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            Self::Rule { code, .. } => *code,
            Self::TooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::UnsupportedType(_) => ErrorCode::UnsupportedMediaType,
            Self::TooManyRequests(_) => ErrorCode::TooManyRequests,
            Self::Retracted { .. } => ErrorCode::Retracted,
            Self::Internal(_) => ErrorCode::Internal,
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
        let rule = |code| Self::Rule {
            code,
            message: message.clone(),
        };
        match refusal {
            Refusal::UnknownStage(_) => rule(ErrorCode::UnknownStage),
            Refusal::BlockingFinding | Refusal::UninspectedFile => rule(ErrorCode::BlockingFinding),
            Refusal::NotEntitled(_)
            | Refusal::OwnRelease
            | Refusal::SeparationOfDuties { .. }
            | Refusal::Recused => Self::Forbidden(message),
            Refusal::ExtensionLimit { .. } => rule(ErrorCode::LimitReached),
            Refusal::NotOpen(_) => rule(ErrorCode::NotOpen),
            Refusal::NotAllowedInState { .. } => rule(ErrorCode::NotAllowedInState),
            Refusal::AlreadyDecided => rule(ErrorCode::AlreadyDecided),
            Refusal::Undispositioned(_) => rule(ErrorCode::UndispositionedFindings),
            Refusal::CannotRedact(_) => rule(ErrorCode::RedactedVersionRequired),
            Refusal::StaleVersion { .. } => rule(ErrorCode::StaleVersion),
            Refusal::StageDecided(_) => rule(ErrorCode::StageDecided),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(err) = self {
            tracing::error!(error = format!("{err:#}"), "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthorized(_) => {
                res.insert_header(("WWW-Authenticate", "Bearer"));
            }
            Self::TooManyRequests(seconds) => {
                res.insert_header(("Retry-After", seconds.to_string()));
            }
            Self::MethodNotAllowed(methods) => {
                res.insert_header(("Allow", methods.join(", ")));
            }
            _ => {}
        }
        let error = ErrorDetail {
            code: self.code(),
            message: self.to_string(),
        };
        match self {
            Self::Retracted { at, reason } => res.json(RetractedBody {
                error,
                retracted_at: crate::audit::format_time(at),
                reason: reason.clone(),
            }),
            _ => res.json(ErrorBody { error }),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code is produced somewhere: a variant nobody returns is dead
    /// (or a rule that lost its check). Reads the sources, as lemmy's
    /// "errors used" test does.
    #[test]
    fn every_error_code_is_produced_somewhere() {
        let mut sources = String::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("error.rs")
                {
                    sources.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        // The generic codes come from the AppError variants themselves.
        let generic = [
            ErrorCode::BadRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::TooManyRequests,
            ErrorCode::Internal,
            ErrorCode::Blocked,
            ErrorCode::Retracted,
        ];
        let refusals = [
            ErrorCode::NotOpen,
            ErrorCode::NotAllowedInState,
            ErrorCode::AlreadyDecided,
            ErrorCode::UndispositionedFindings,
            ErrorCode::StaleVersion,
            ErrorCode::StageDecided,
            ErrorCode::UnknownStage,
            ErrorCode::BlockingFinding,
            ErrorCode::RedactedVersionRequired,
        ];
        for code in ErrorCode::ALL {
            if generic.contains(&code) || refusals.contains(&code) {
                continue;
            }
            let name = format!("ErrorCode::{code:?}");
            assert!(sources.contains(&name), "{name} is never produced");
        }
        let names: std::collections::BTreeSet<_> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "codes are distinct");
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }
}
