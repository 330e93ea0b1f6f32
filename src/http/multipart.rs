//! Reading a release submission: one optional JSON `meta` part and `file`
//! parts, with the upload limit enforced while streaming (413 as soon as it
//! is passed, before anything is stored).

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

pub async fn read(mut payload: Multipart, max_total: u64) -> Result<Submission, AppError> {
    let mut meta = None;
    let mut files = Vec::new();
    let mut total: u64 = 0;
    while let Some(mut field) = payload
        .try_next()
        .await
        .map_err(|e| AppError::BadRequest(format!("invalid multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| AppError::BadRequest(format!("invalid multipart body: {e}")))?
        {
            total += chunk.len() as u64;
            if total > max_total {
                return Err(AppError::TooLarge(format!(
                    "the upload exceeds the limit of {max_total} bytes"
                )));
            }
            if name == "meta" && bytes.len() + chunk.len() > MAX_META_BYTES {
                return Err(AppError::TooLarge("the meta part exceeds 1 MiB".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "meta" => {
                if meta.is_some() {
                    return Err(AppError::BadRequest("more than one \"meta\" part".into()));
                }
                let parsed: ReleaseMeta = serde_json::from_slice(&bytes)
                    .map_err(|e| AppError::BadRequest(format!("invalid meta: {e}")))?;
                meta = Some(parsed);
            }
            "file" => {
                let name = file_name.ok_or_else(|| {
                    AppError::BadRequest("a \"file\" part needs a filename".into())
                })?;
                files.push(Upload { name, bytes });
            }
            other => {
                return Err(AppError::BadRequest(format!(
                    "unexpected multipart part {other:?} (meta, file)"
                )))
            }
        }
    }
    Ok(Submission { meta, files })
}
