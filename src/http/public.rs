//! The public catalogue: published releases only, readable by anyone.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::params::{PageQuery, Query};
use crate::app::AppState;
use crate::error::{AppResult, ErrorBody};
use crate::service::releases::{self, OpenMode, Page, PublicRelease};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_public_releases)
        .service(get_public_release)
        .service(download_file)
        .service(get_catalog);
}

/// Published releases, newest first.
#[utoipa::path(tag = "public", params(PageQuery), responses((status = OK, body = Page<PublicRelease>)))]
#[get("/releases")]
async fn list_public_releases(
    state: web::Data<AppState>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| releases::public_list(conn, q.cursor.as_deref(), q.limit()))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One published release.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path)),
    responses((status = OK, body = PublicRelease), (status = NOT_FOUND, body = ErrorBody))
)]
#[get("/releases/{id}")]
async fn get_public_release(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let release = state
        .run(move |conn| releases::public_release(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// The published rendition of one file (redacted where a reviewer decided so).
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path), ("name" = String, Path)),
    responses(
        (status = OK, content_type = "application/octet-stream", body = Vec<u8>),
        (status = NOT_FOUND, body = ErrorBody),
    )
)]
#[get("/releases/{id}/files/{name}")]
async fn download_file(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, name) = path.into_inner();
    let (name, bytes) = state
        .call(move |st, conn| releases::public_file(st, conn, &id, &name))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&name))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::FilenameExt(
                actix_web::http::header::ExtendedValue {
                    charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: name.into_bytes(),
                },
            )],
        })
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "json" => "application/json",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ofd" => "application/ofd",
        "pdf" => "application/pdf",
        "txt" | "md" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// The EU access-right vocabulary DCAT-AP uses: conditional (有条件开放)
/// data is restricted, the rest public.
fn access_rights(open_mode: &str) -> &'static str {
    if open_mode == OpenMode::Conditional.as_str() {
        "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
    } else {
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    }
}

/// DCAT catalogue of published releases (JSON-LD), one page at a time.
#[utoipa::path(
    tag = "public",
    params(PageQuery),
    responses((status = OK, content_type = "application/ld+json", body = Object))
)]
#[get("/catalog")]
async fn get_catalog(state: web::Data<AppState>, q: Query<PageQuery>) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| releases::public_list(conn, q.cursor.as_deref(), q.limit()))
        .await?;
    let datasets: Vec<_> = page
        .items
        .iter()
        .map(|r| {
            serde_json::json!({
                "@type": "dcat:Dataset",
                "@id": format!("/public/releases/{}", r.id),
                "dct:identifier": r.id,
                "dct:title": r.title,
                "dct:description": r.description,
                "dct:publisher": r.department,
                "dct:issued": r.published_at,
                "dcat:theme": r.data_category,
                "dct:accessRights": access_rights(&r.open_mode),
                "dcat:distribution": r.files.iter().map(|f| serde_json::json!({
                    "@type": "dcat:Distribution",
                    "dct:title": f.name,
                    "dcat:downloadURL": f.url,
                    "spdx:checksum": {"spdx:algorithm": "sha256", "spdx:checksumValue": f.sha256},
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .json(serde_json::json!({
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "spdx": "http://spdx.org/rdf/terms#",
            },
            "@type": "dcat:Catalog",
            "dcat:dataset": datasets,
            "next_cursor": page.next_cursor,
        })))
}
