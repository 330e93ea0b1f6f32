//! A download's body as a sized stream: the stored file is read in chunks
//! on the blocking pool as the client takes them, so a 200 MB file costs
//! one chunk of memory per download, not 200 MB.

use std::io::Read;

use actix_web::body::SizedStream;
use actix_web::web::{self, Bytes};
use futures_util::Stream;

use crate::service::public::DownloadBody;
use crate::store::Verified;

/// Bytes read from the store per chunk.
const CHUNK: usize = 256 * 1024;

enum Step {
    File(Verified, Vec<u8>),
    Whole(Vec<u8>),
    Done,
}

/// One chunk of the file (empty at its end, where the digest is checked).
async fn next_chunk(mut file: Verified) -> std::io::Result<(Verified, Vec<u8>)> {
    web::block(move || {
        let mut buf = vec![0; CHUNK];
        let n = file.read(&mut buf)?;
        buf.truncate(n);
        Ok((file, buf))
    })
    .await
    .map_err(std::io::Error::other)?
}

fn chunks(body: DownloadBody) -> impl Stream<Item = std::io::Result<Bytes>> {
    let first = match body {
        DownloadBody::Stored { file, tail } => Step::File(file, tail),
        DownloadBody::Whole(bytes) => Step::Whole(bytes),
    };
    futures_util::stream::unfold(first, |step| async move {
        match step {
            Step::File(file, tail) => match next_chunk(file).await {
                Ok((file, chunk)) if !chunk.is_empty() => {
                    Some((Ok(Bytes::from(chunk)), Step::File(file, tail)))
                }
                Ok(_) if tail.is_empty() => None,
                Ok(_) => Some((Ok(Bytes::from(tail)), Step::Done)),
                // The client sees the copy cut short, never a wrong one.
                Err(e) => {
                    tracing::error!(error = %e, "a download stopped");
                    Some((Err(e), Step::Done))
                }
            },
            Step::Whole(bytes) => Some((Ok(Bytes::from(bytes)), Step::Done)),
            Step::Done => None,
        }
    })
}

/// The body with its length announced.
pub fn sized(body: DownloadBody) -> SizedStream<impl Stream<Item = std::io::Result<Bytes>>> {
    let len = body.len();
    SizedStream::new(len, Box::pin(chunks(body)))
}
