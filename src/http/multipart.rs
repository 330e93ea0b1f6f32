//! Reading multipart bodies (API submissions and dashboard forms) with the
//! upload limit enforced while streaming: 413 as soon as it is passed,
//! before anything is stored.

use actix_multipart::Multipart;
use futures_util::TryStreamExt;

use std::io::Write;

use crate::error::AppError;
use crate::service::releases::{ReleaseMeta, Upload};
use crate::store::{FileStore, StoreWriter};

/// The meta part is small; a megabyte is far more than any real one.
const MAX_META_BYTES: usize = 1 << 20;

pub struct Submission {
    pub meta: Option<ReleaseMeta>,
    pub files: Vec<Upload>,
}

/// One part of a multipart body.
pub struct Part {
    pub name: String,
    pub body: Body,
}

pub enum Body {
    /// A form field or the JSON meta, held (`max_field` bounds it).
    Field(Vec<u8>),
    /// A file input (its name possibly empty when no file was chosen),
    /// written into the store's spool as it arrives: never held whole, and
    /// kept only once the submission's checks pass.
    File {
        name: String,
        spool: Box<StoreWriter>,
    },
}

/// Reads every part, enforcing `max_total` over the whole body while it
/// streams and `max_field` on parts that are not files, so an oversized
/// request is refused before it is held or spooled.
pub async fn read_parts(
    mut payload: Multipart,
    store: &FileStore,
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
        let mut body = match file_name {
            Some(name) => Body::File {
                name,
                spool: Box::new(store.writer().map_err(AppError::internal)?),
            },
            None => Body::Field(Vec::new()),
        };
        while let Some(chunk) = field.try_next().await.map_err(bad)? {
            total += chunk.len() as u64;
            if total > max_total {
                return Err(AppError::TooLarge(format!(
                    "the upload exceeds the limit of {max_total} bytes"
                )));
            }
            match &mut body {
                Body::Field(bytes) if bytes.len() + chunk.len() > max_field => {
                    return Err(AppError::TooLarge(format!(
                        "the part {name:?} exceeds {max_field} bytes"
                    )));
                }
                Body::Field(bytes) => bytes.extend_from_slice(&chunk),
                // A buffered write into the page cache, a chunk at a time:
                // short enough to stay on the async worker.
                Body::File { spool, .. } => {
                    spool.write_all(&chunk).map_err(AppError::internal)?;
                }
            }
        }
        parts.push(Part { name, body });
    }
    Ok(parts)
}

/// A spooled part that must be small, read back.
fn read_small(spool: &mut StoreWriter, max: usize) -> Result<Vec<u8>, AppError> {
    if spool.len() > max as u64 {
        return Err(AppError::TooLarge(format!(
            "the part \"meta\" exceeds {max} bytes"
        )));
    }
    let source = spool.read_back().map_err(AppError::internal)?;
    crate::extract::read_whole(&source).map_err(AppError::internal)
}

/// The API's submission body: one optional JSON `meta` part and `file` parts.
pub async fn read(
    payload: Multipart,
    store: &FileStore,
    max_total: u64,
) -> Result<Submission, AppError> {
    let mut meta = None;
    let mut seen_meta = false;
    let mut files = Vec::new();
    for part in read_parts(payload, store, max_total, MAX_META_BYTES).await? {
        match (part.name.as_str(), part.body) {
            ("meta", body) => {
                let bytes = match body {
                    Body::Field(bytes) => bytes,
                    // `curl -F meta=@meta.json` sends it as a file.
                    Body::File { mut spool, .. } => read_small(&mut spool, MAX_META_BYTES)?,
                };
                if seen_meta {
                    return Err(AppError::BadRequest("more than one \"meta\" part".into()));
                }
                seen_meta = true;
                // `null` is no meta, as an absent part is.
                meta = serde_json::from_slice::<Option<ReleaseMeta>>(&bytes)
                    .map_err(|e| AppError::BadRequest(format!("invalid meta: {e}")))?;
            }
            ("file", Body::File { name, spool }) => files.push(Upload {
                name,
                spool: *spool,
            }),
            ("file", Body::Field(_)) => {
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
