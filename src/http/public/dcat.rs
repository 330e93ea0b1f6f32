//! The catalogue in DCAT 3 (JSON-LD): absolute IRIs under the service's
//! public address, the configured licence, IANA media types, checksums,
//! and retracted releases as withdrawn tombstones.

use serde_json::{json, Value};

use crate::config::Licence;
use crate::service::releases::{OpenMode, Page, PublicRelease};

/// The EU access-right vocabulary DCAT-AP uses: conditional (有条件开放)
/// data is restricted, the rest public.
fn access_rights(open_mode: OpenMode) -> &'static str {
    if open_mode == OpenMode::Conditional {
        "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
    } else {
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    }
}

fn date_time(value: &str) -> Value {
    json!({"@value": value, "@type": "xsd:dateTime"})
}

fn iri(value: impl Into<String>) -> Value {
    json!({"@id": value.into()})
}

fn dataset(base: &str, licence: &Licence, r: &PublicRelease) -> Value {
    let mut dataset = json!({
        "@type": "dcat:Dataset",
        "@id": format!("{base}/public/releases/{}", r.id),
        "dct:identifier": r.id,
        "dct:title": r.title,
        "dct:description": r.description,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": r.department_name},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": r.department_name},
        "dcat:keyword": [r.data_category, r.department_name],
        "dct:modified": date_time(&r.modified),
        "dct:accessRights": iri(access_rights(r.open_mode)),
        "dct:license": iri(&licence.url),
    });
    if let Some(issued) = &r.published_at {
        dataset["dct:issued"] = date_time(issued);
    }
    if let Some(frequency) = r.update_frequency {
        dataset["dct:accrualPeriodicity"] = iri(frequency.dcat_iri());
    }
    if r.retracted_at.is_some() {
        // A tombstone: harvesters learn the dataset is gone, not why.
        dataset["adms:status"] = iri("http://purl.org/adms/status/Withdrawn");
        dataset["owl:deprecated"] = json!(true);
        return dataset;
    }
    dataset["dcat:distribution"] = r
        .files
        .iter()
        .map(|f| {
            let url = format!("{base}{}", f.url);
            json!({
                "@type": "dcat:Distribution",
                "@id": url,
                "dct:title": f.name,
                "dcat:accessURL": iri(&url),
                "dcat:downloadURL": iri(&url),
                "dcat:mediaType": iri(format!("https://www.iana.org/assignments/media-types/{}", f.media_type)),
                "dct:license": iri(&licence.url),
                "dct:accessRights": iri(access_rights(r.open_mode)),
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": iri("http://spdx.org/rdf/terms#checksumAlgorithm_sha256"),
                    "spdx:checksumValue": {"@value": f.sha256, "@type": "xsd:hexBinary"},
                },
            })
        })
        .collect();
    dataset
}

/// One page of the catalogue; `next` is the absolute address of the next.
pub fn catalog(
    base: &str,
    licence: &Licence,
    page: &Page<PublicRelease>,
    next: Option<String>,
) -> Value {
    json!({
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "spdx": "http://spdx.org/rdf/terms#",
            "adms": "http://www.w3.org/ns/adms#",
            "owl": "http://www.w3.org/2002/07/owl#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "hydra": "http://www.w3.org/ns/hydra/core#",
        },
        "@type": "dcat:Catalog",
        "@id": format!("{base}/public/catalog"),
        "dct:title": "releasegate",
        "dct:license": iri(&licence.url),
        "dcat:dataset": page.items.iter().map(|r| dataset(base, licence, r)).collect::<Vec<_>>(),
        "hydra:next": next.map(iri),
        "next_cursor": page.next_cursor,
    })
}
