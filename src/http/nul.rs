//! No text input may carry a NUL character: PostgreSQL cannot store one in
//! `text` (it answered 500 where SQLite took it), and no legitimate title,
//! comment, username or id contains one. Every request is checked here, in
//! its path, query and JSON or form body, and refused with 400 before a
//! handler runs, on both backends alike. Multipart metadata is checked
//! where it is parsed (`NewRelease::try_from`); file contents are data and
//! may contain anything.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::StreamExt;

use crate::error::AppError;

/// The largest JSON or form body read here (the JSON extractor's limit).
pub const MAX_BODY: usize = 1 << 20;

pub async fn refuse_nul(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Answered here as a response, like any refusal, with the error envelope.
    let refuse =
        |req: ServiceRequest, err: AppError| Ok(req.error_response(err).map_into_boxed_body());
    let uri = req.uri().to_string();
    if has_encoded_nul(&uri) {
        let err = AppError::BadRequest("the path or query contains a NUL character".into());
        return refuse(req, err);
    }
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase())
        .unwrap_or_default();
    let json = kind.starts_with("application/json");
    let form = kind.starts_with("application/x-www-form-urlencoded");
    if json || form {
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            body.extend_from_slice(&chunk?);
            if body.len() > MAX_BODY {
                let err = AppError::TooLarge(format!("the request body exceeds {MAX_BODY} bytes"));
                return refuse(req, err);
            }
        }
        let body: Bytes = body.freeze();
        let nul = body.contains(&0)
            || (json && has_json_nul(&body))
            || (form && has_encoded_nul(&String::from_utf8_lossy(&body)));
        if nul {
            let err = AppError::BadRequest("the request body contains a NUL character".into());
            return refuse(req, err);
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn has_encoded_nul(text: &str) -> bool {
    text.to_ascii_lowercase().contains("%00")
}

/// `\u0000` in a JSON text (an escaped backslash before it, `\\u0000`, is
/// six ordinary characters and passes).
fn has_json_nul(body: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, &b) in body.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        if backslashes % 2 == 1 && b == b'u' && body[i + 1..].starts_with(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nul_however_it_is_spelled() {
        assert!(has_json_nul(br#"{"a":"x\u0000y"}"#));
        assert!(has_json_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!has_json_nul(br#"{"a":"\\u0000"}"#), "an escaped backslash");
        assert!(!has_json_nul(br#"{"a":"\u00e9"}"#));
        assert!(has_encoded_nul("/api/v1/releases/a%00b"));
        assert!(has_encoded_nul("/public/releases?q=%00"));
        assert!(!has_encoded_nul("/public/releases?q=%20"));
    }
}
