//! Reading multipart bodies (API submissions and dashboard forms) with the
//! upload limit enforced while streaming: 413 as soon as it is passed,
//! before anything is stored.

use actix_multipart::Multipart;
use futures_util::TryStreamExt;

use crate::error::AppError;
use crate::service::releases::{ReleaseMeta, Upload};

/// The meta part is small; a megabyte is far more than any real one.
const MAX_META_BYTES: usize = 1 << 20;

pub struct Submission {
    pub meta: Option<ReleaseMeta>,
    pub files: Vec<Upload>,
}

/// One part of a multipart body.
pub struct Part {
    pub name: String,
    /// Set for file inputs (possibly empty when no file was chosen).
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Reads every part, enforcing `max_total` over the whole body while it
/// streams and `max_field` on parts that are not files, so an oversized
/// request is refused before it is held in memory.
pub async fn read_parts(
    mut payload: Multipart,
    max_total: u64,
    max_field: usize,
) -> Result<Vec<Part>, AppError> {
    let bad = |e: actix_multipart::MultipartError| {
        AppError::BadRequest(format!("invalid multipart body: {e}"))
    };
    let mut parts = Vec::new();
    let mut total: u64 = 0;
    while let Some(mut field) = payload.try_next().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(bad)? {
            total += chunk.len() as u64;
            if total > max_total {
                return Err(AppError::TooLarge(format!(
                    "the upload exceeds the limit of {max_total} bytes"
                )));
            }
            if file_name.is_none() && bytes.len() + chunk.len() > max_field {
                return Err(AppError::TooLarge(format!(
                    "the part {name:?} exceeds {max_field} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        parts.push(Part {
            name,
            file_name,
            bytes,
        });
    }
    Ok(parts)
}

/// The API's submission body: one optional JSON `meta` part and `file` parts.
pub async fn read(payload: Multipart, max_total: u64) -> Result<Submission, AppError> {
    let mut meta = None;
    let mut seen_meta = false;
    let mut files = Vec::new();
    for part in read_parts(payload, max_total, MAX_META_BYTES).await? {
        match (part.name.as_str(), part.file_name) {
            ("meta", _) => {
                if seen_meta {
                    return Err(AppError::BadRequest("more than one \"meta\" part".into()));
                }
                seen_meta = true;
                // `null` is no meta, as an absent part is.
                meta = serde_json::from_slice::<Option<ReleaseMeta>>(&part.bytes)
                    .map_err(|e| AppError::BadRequest(format!("invalid meta: {e}")))?;
            }
            ("file", Some(name)) => files.push(Upload {
                name,
                bytes: part.bytes,
            }),
            ("file", None) => {
                return Err(AppError::BadRequest(
                    "a \"file\" part needs a filename".into(),
                ))
            }
            (other, _) => {
                return Err(AppError::BadRequest(format!(
                    "unexpected multipart part {other:?} (meta, file)"
                )))
            }
        }
    }
    Ok(Submission { meta, files })
}
