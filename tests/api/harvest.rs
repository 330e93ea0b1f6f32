//! Harvesting the catalogue as portals do: the CKAN action API's shapes and
//! refusals in process, then the real clients (`ckanapi`, `pyld`; see
//! tests/harvest/clients.py) against the real server on a socket.
//!
//! The client run skips (with a message) when the Python modules are
//! missing, unless RELEASEGATE_HARVEST_TEST=1 (CI), which makes that a
//! failure.

use std::net::TcpListener;
use std::process::Command;

use serde_json::{json, Value};

use crate::common::*;

/// Publishes one release with `file`; returns its id.
async fn published(
    app: &TestApp,
    cast: &Cast,
    title: &str,
    open_mode: &str,
    file: (&str, &str),
) -> String {
    let mut m = meta(&[]);
    m["title"] = json!(title);
    m["open_mode"] = json!(open_mode);
    let r = app
        .file_release(&cast.submitter, m, file.0, file.1.as_bytes())
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.approve_all(&id, cast, |_| "redact").await["state"],
        "published"
    );
    id
}

/// Two published releases and one retracted after publication.
async fn catalogue(app: &TestApp, cast: &Cast) -> (String, String, String) {
    let gdp = published(
        app,
        cast,
        "2026年GDP季度统计",
        "unconditional",
        ("gdp.csv", "季度,GDP\n一季度,1200\n"),
    )
    .await;
    let restricted = published(
        app,
        cast,
        "企业用电明细",
        "conditional",
        ("power.csv", "区,用电\n华容区,300\n"),
    )
    .await;
    let gone = published(
        app,
        cast,
        "已撤回的数据",
        "unconditional",
        ("old.txt", "旧数据\n"),
    )
    .await;
    let retracted = app
        .post_json(
            &format!("/api/v1/releases/{gone}/retract"),
            Some(&cast.secrecy),
            json!({"reason": "发现未脱敏信息"}),
        )
        .await;
    assert_eq!(retracted.status, 200, "{}", retracted.text());
    (gdp, restricted, gone)
}

fn ckan_error(res: &Response, status: u16, kind: &str) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    let body = res.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["__type"], kind, "{body}");
    assert!(body["help"]
        .as_str()
        .unwrap()
        .contains("/api/3/action/help_show"));
    body
}

#[actix_web::test]
async fn the_ckan_action_api_answers_in_ckan_shapes_and_refuses_as_ckan_does() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let (gdp, restricted, gone) = catalogue(&app, &cast).await;

    for prefix in ["/api/3/action", "/api/action"] {
        let list = app.get(&format!("{prefix}/package_list"), None).await;
        assert_eq!(list.status, 200, "{}", list.text());
        let mut names: Vec<String> = serde_json::from_value(list.json()["result"].clone()).unwrap();
        names.sort();
        let mut expected = vec![gdp.to_lowercase(), restricted.to_lowercase()];
        expected.sort();
        assert_eq!(names, expected, "the retracted release is not listed");
    }
    let show = app
        .post_json(
            "/api/3/action/package_show",
            None,
            json!({"id": gdp.to_lowercase()}),
        )
        .await
        .json();
    assert_eq!(show["success"], true);
    let package = &show["result"];
    assert_eq!(package["id"], gdp.as_str());
    assert_eq!(package["license_id"], "CC-BY-4.0");
    assert_eq!(package["organization"]["name"], "FGW");
    assert_eq!(package["organization"]["title"], "市发展改革委");
    assert_eq!(package["num_resources"], 1);
    let resource = &package["resources"][0];
    assert_eq!(resource["format"], "CSV");
    assert_eq!(
        resource["url"],
        format!("http://releasegate.test/public/releases/{gdp}/files/gdp.csv")
    );
    // The resource is what the public downloads.
    let file = app
        .get(&format!("/public/releases/{gdp}/files/gdp.csv"), None)
        .await;
    let digest = releasegate::store::sha256_hex(&file.bytes);
    assert_eq!(resource["hash"], format!("sha256:{digest}"));

    let search = |query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/3/action/package_search?{query}"), None)
                .await
        }
    };
    let found = search("q=GDP").await.json()["result"].clone();
    assert_eq!(found["count"], 1);
    assert_eq!(found["results"][0]["id"], gdp.as_str());
    let all = search("q=*:*&rows=1&start=1").await.json()["result"].clone();
    assert_eq!(
        (
            all["count"].as_i64(),
            all["results"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    let none = search("fq=organization:TJJ").await.json()["result"].clone();
    assert_eq!(none["count"], 0);
    let other_licence = search("fq=license_id:odc-odbl").await.json()["result"].clone();
    assert_eq!(other_licence["count"], 0);
    let since = search("fq=metadata_modified:%5B2000-01-01T00:00:00Z%20TO%20*%5D")
        .await
        .json();
    assert_eq!(since["result"]["count"], 2, "{since}");

    let orgs = app
        .get("/api/3/action/organization_list?all_fields=true", None)
        .await
        .json();
    let fgw = orgs["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "FGW")
        .cloned()
        .unwrap();
    assert_eq!(fgw["package_count"], 2);

    // Refusals, in CKAN's shape and with CKAN's statuses.
    ckan_error(
        &app.get("/api/3/action/package_delete", None).await,
        400,
        "Bad Request",
    );
    ckan_error(
        &app.get("/api/3/action/package_show", None).await,
        409,
        "Validation Error",
    );
    ckan_error(
        &app.get(&format!("/api/3/action/package_show?id={gone}"), None)
            .await,
        404,
        "Not Found Error",
    );
    let rows = ckan_error(&search("rows=1001").await, 409, "Validation Error");
    assert!(
        rows["error"]["rows"][0].as_str().unwrap().contains("1000"),
        "{rows}"
    );
    ckan_error(&search("rows=many").await, 409, "Validation Error");
    ckan_error(
        &search("fq=res_format:CSV").await,
        409,
        "Search Query Error",
    );
    let array = app
        .call(
            actix_web::test::TestRequest::post()
                .uri("/api/3/action/package_list")
                .insert_header(("Content-Type", "application/json"))
                .set_payload("[1, 2]"),
        )
        .await;
    ckan_error(&array, 400, "Bad Request");
}

#[actix_web::test]
async fn the_dcat_catalogue_has_absolute_iris_licence_media_types_and_tombstones() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let (gdp, restricted, gone) = catalogue(&app, &cast).await;
    let catalog = app.get("/public/catalog", None).await;
    assert_eq!(
        catalog.headers.get("content-type").unwrap(),
        "application/ld+json"
    );
    let catalog = catalog.json();
    let dataset = |id: &str| {
        catalog["dcat:dataset"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["dct:identifier"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no dataset {id} in {catalog}"))
    };
    let open = dataset(&gdp);
    assert_eq!(
        open["@id"],
        format!("http://releasegate.test/public/releases/{gdp}")
    );
    assert_eq!(
        open["dct:license"]["@id"],
        "https://creativecommons.org/licenses/by/4.0/"
    );
    assert_eq!(open["dcat:contactPoint"]["vcard:fn"], "市发展改革委");
    let distribution = &open["dcat:distribution"][0];
    assert_eq!(
        distribution["dcat:mediaType"]["@id"],
        "https://www.iana.org/assignments/media-types/text/csv"
    );
    assert_eq!(
        distribution["dcat:downloadURL"]["@id"],
        format!("http://releasegate.test/public/releases/{gdp}/files/gdp.csv")
    );
    assert!(dataset(&restricted)["dct:accessRights"]["@id"]
        .as_str()
        .unwrap()
        .ends_with("/RESTRICTED"));
    let tombstone = dataset(&gone);
    assert_eq!(
        tombstone["adms:status"]["@id"],
        "http://purl.org/adms/status/Withdrawn"
    );
    assert!(tombstone.get("dcat:distribution").is_none(), "{tombstone}");
    // /public/releases lists only what is published.
    let listed = app.get("/public/releases", None).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // Paging: the next page's address is absolute and keeps the search.
    let first = app
        .get("/public/catalog?limit=2&theme=subsidy", None)
        .await
        .json();
    let next = first["hydra:next"]["@id"].as_str().unwrap();
    assert!(
        next.starts_with("http://releasegate.test/public/catalog?"),
        "{next}"
    );
    assert!(
        next.contains("theme=subsidy") && next.contains("cursor="),
        "{next}"
    );
}

fn python_has(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .status()
        .is_ok_and(|s| s.success())
}

#[actix_web::test]
async fn ckanapi_and_pyld_read_the_live_catalogue() {
    if !python_has("ckanapi, pyld") {
        assert!(
            std::env::var_os("RELEASEGATE_HARVEST_TEST").is_none(),
            "RELEASEGATE_HARVEST_TEST is set but ckanapi or pyld is missing"
        );
        eprintln!("SKIPPED harvesting with ckanapi and pyld: `pip install ckanapi pyld` to run it");
        return;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let public_url = base.clone();
    let (app, cast) = TestApp::builder()
        .settings(move |s| s.public_url = public_url)
        .with_cast()
        .await;
    let (gdp, restricted, gone) = catalogue(&app, &cast).await;
    let (server, _) =
        releasegate::http::server(app.state.clone(), &format!("127.0.0.1:{port}")).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/harvest/clients.py");
    let run_base = base.clone();
    let out =
        actix_web::web::block(move || Command::new("python3").arg(script).arg(run_base).output())
            .await
            .unwrap()
            .unwrap();
    handle.stop(true).await;
    assert!(
        out.status.success(),
        "clients.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names = vec![gdp.to_lowercase(), restricted.to_lowercase()];
    names.sort();
    for client in ["post", "get_only"] {
        let seen = &report[client];
        assert_eq!(seen["names"], json!(names), "{client}: {seen}");
        assert_eq!(seen["title"], "2026年GDP季度统计");
        assert_eq!(seen["license_id"], "CC-BY-4.0");
        assert_eq!(seen["organization"], "市发展改革委");
        assert_eq!(
            seen["resource_url"],
            format!("{base}/public/releases/{gdp}/files/gdp.csv")
        );
        assert_eq!(seen["organizations"]["FGW"], 2);
    }
    let dcat = &report["dcat"];
    assert_eq!(dcat["datasets"], 3, "{dcat}");
    assert_eq!(dcat["withdrawn"], json!([gone]));
    assert_eq!(
        dcat["licenses"],
        json!(["https://creativecommons.org/licenses/by/4.0/"])
    );
    assert_eq!(
        dcat["media_types"],
        json!(["https://www.iana.org/assignments/media-types/text/csv"])
    );
    assert_eq!(dcat["access_rights"], json!(["PUBLIC", "RESTRICTED"]));
    assert_eq!(dcat["download_urls"].as_array().unwrap().len(), 2);
    assert!(dcat["triples"].as_u64().unwrap() > 30, "{dcat}");
}
