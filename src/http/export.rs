//! Streaming exports (the audit log, the access log): rows are written as
//! they are read, page by page on the blocking pool, so an export of any
//! size holds one page in memory.

use actix_web::web::Bytes;
use actix_web::HttpResponse;

use crate::app::AppState;
use crate::audit::checkpoint::CheckpointKey;
use crate::audit::merkle;
use crate::service::{audit_log, audit_tree};

/// Pages buffered between the database reader and the socket.
const CHANNEL_DEPTH: usize = 16;

struct ChannelWriter(tokio::sync::mpsc::Sender<Bytes>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Answers `content_type`, streaming what `write` writes (on a pooled
/// connection, off the async threads).
pub fn stream<W>(state: &AppState, content_type: &'static str, write: W) -> HttpResponse
where
    W: FnOnce(&mut crate::db::DbConn, &mut dyn std::io::Write) -> anyhow::Result<u64>
        + Send
        + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(CHANNEL_DEPTH);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let result = pool
            .get()
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| {
                let mut out = std::io::BufWriter::with_capacity(64 * 1024, ChannelWriter(tx));
                write(&mut conn, &mut out)?;
                std::io::Write::flush(&mut out)?;
                Ok(())
            });
        if let Err(err) = result {
            tracing::warn!(error = format!("{err:#}"), "export stopped");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), rx))
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .streaming(body)
}

/// Streams the filtered audit events as NDJSON or CSV; the caller has
/// recorded the read ([`audit_log::record_read`]).
pub fn audit(state: &AppState, filter: audit_log::Filter, csv: bool) -> HttpResponse {
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    let key = state.checkpoint_key.clone();
    stream(state, content_type, move |conn, out| {
        write_export(conn, &filter, csv, &key, out)
    })
}

/// Writes the filtered events as CSV, or as NDJSON that proves itself: one
/// event per line; in an export of part of the log, each event followed by
/// its inclusion proof (`{"inclusion": {seq, tree_size, hashes}}`); last,
/// the checkpoint signed for the export (`{"checkpoint": "<signed note>"}`),
/// which the export ends at. `releasegate audit verify --file` checks it
/// (docs/audit.md). Shared with the CLI export.
pub fn write_export(
    conn: &mut crate::db::DbConn,
    filter: &audit_log::Filter,
    csv: bool,
    key: &CheckpointKey,
    out: impl std::io::Write,
) -> anyhow::Result<u64> {
    if csv {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(audit_log::CSV_HEADER)?;
        let n = audit_log::for_each(conn, filter, |_, e| {
            Ok(writer.write_record(audit_log::csv_record(e))?)
        })?;
        writer.flush()?;
        return Ok(n);
    }
    let mut out = out;
    // Signed first, so that every exported event is covered by it.
    let Some((newest, _)) = audit_tree::checkpoint(conn, key)? else {
        return Ok(0);
    };
    let size = newest.size;
    let prove = filter.is_partial();
    let mut n = 0;
    audit_log::for_each(conn, filter, |conn, e| {
        // Events written after the checkpoint belong to the next export.
        if e.seq > size {
            return Ok(());
        }
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
        if prove {
            let (_, proof) = audit_tree::inclusion_proof(conn, e.seq as u64, Some(size as u64))?;
            let hashes: Vec<String> = proof.iter().map(merkle::to_hex).collect();
            let line = serde_json::json!({"inclusion": {"seq": e.seq, "tree_size": size, "hashes": hashes}});
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
        }
        n += 1;
        Ok(())
    })?;
    let note = audit_tree::with_cosignatures(conn, &newest)?;
    serde_json::to_writer(&mut out, &serde_json::json!({"checkpoint": note}))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(n)
}

/// What a downloaded receipt is called.
pub fn receipt_name(release_id: &str, seq: i64) -> String {
    format!("receipt-{release_id}-{seq}.json")
}

/// A receipt (`audit::receipt`) as a file to save, for the API and the dashboard.
pub fn receipt(file_name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(bytes)
}
