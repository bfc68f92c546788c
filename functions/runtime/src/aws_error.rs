//! AWS SDK errors turned into the stable error names the state machine matches on.
//!
//! This is the one place that decides which AWS error codes are transient (retried by the
//! state machine with backoff), which mean a missing permission, and which a missing resource.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use cloudbots_shared::error::{BotError, ErrorName};

const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "KMSInternalException",
    "ServiceFailure",
    "Unavailable",
    // Lambda: the function is being updated; the same change succeeds once that is done.
    "ResourceConflictException",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthFailure",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
];

/// The AWS error code of a service error, if the call got that far.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Classify an error code (and the HTTP status when there is no code).
pub fn classify_code(code: Option<&str>, status: Option<u16>) -> ErrorName {
    match code {
        Some(c) if TRANSIENT_CODES.contains(&c) => ErrorName::Transient,
        Some(c) if ACCESS_DENIED_CODES.contains(&c) => ErrorName::AccessDenied,
        Some(c) if c.contains("NotFound") || c.starts_with("NoSuch") => ErrorName::NotFound,
        Some(c)
            if c.contains("Malformed")
                || c.starts_with("InvalidParameter")
                || c == "ValidationError"
                || c == "ValidationException" =>
        {
            ErrorName::InvalidInput
        }
        Some("DependencyViolation")
        | Some("Conflict")
        | Some("OperationAborted")
        | Some("IncorrectState")
        | Some("IncorrectInstanceState") => ErrorName::Conflict,
        _ => match status {
            Some(429) => ErrorName::Transient,
            Some(s) if s >= 500 => ErrorName::Transient,
            Some(403) => ErrorName::AccessDenied,
            Some(404) => ErrorName::NotFound,
            _ => ErrorName::Internal,
        },
    }
}

/// Turn an SDK error into a bot error, saying what was being done.
pub fn bot_error<E>(doing: &str, err: SdkError<E, HttpResponse>) -> BotError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let name = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorName::Transient
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            classify_code(service.err().code(), Some(status))
        }
        _ => ErrorName::Internal,
    };
    let detail = match &err {
        SdkError::ServiceError(service) => format!(
            "{}: {}",
            service.err().code().unwrap_or("UnknownError"),
            service.err().message().unwrap_or("no message")
        ),
        other => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
    };
    BotError::new(name, format!("{doing}: {detail}"))
}

/// The result of a call, with the error code `missing` (the resource is gone) as `None` and
/// other errors as bot errors.
pub fn none_if_code<T, E>(
    missing: &str,
    doing: &str,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Option<T>, BotError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if code(&e) == Some(missing) => Ok(None),
        Err(e) => Err(bot_error(doing, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_stable_names() {
        assert_eq!(
            classify_code(Some("RequestLimitExceeded"), Some(503)),
            ErrorName::Transient
        );
        assert_eq!(
            classify_code(Some("UnauthorizedOperation"), Some(403)),
            ErrorName::AccessDenied
        );
        assert_eq!(
            classify_code(Some("InvalidInstanceID.NotFound"), Some(400)),
            ErrorName::NotFound
        );
        assert_eq!(
            classify_code(Some("NoSuchBucket"), Some(404)),
            ErrorName::NotFound
        );
        assert_eq!(
            classify_code(Some("InvalidInstanceID.Malformed"), Some(400)),
            ErrorName::InvalidInput
        );
        assert_eq!(
            classify_code(Some("DependencyViolation"), Some(400)),
            ErrorName::Conflict
        );
        assert_eq!(classify_code(None, Some(502)), ErrorName::Transient);
        assert_eq!(classify_code(Some("Weird"), Some(400)), ErrorName::Internal);
    }
}
