//! What is published besides the files — the title, the description and the
//! file names — is scanned like the files: a mark there blocks, a personal
//! value there is dispositioned and goes out masked.

use crate::common::*;
use serde_json::json;

#[actix_web::test]
async fn a_classification_mark_in_the_title_blocks_the_release() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let mut m = meta(&[]);
    m["title"] = json!("机密★10年 内部通报");
    let release = app
        .file_release(&cast.submitter, m, "a.txt", "公开统计数据\n".as_bytes())
        .await;
    assert_eq!(release["state"], "blocked", "{release}");
    let id = release["id"].as_str().unwrap();
    let items = findings(&app, id, &cast.secrecy).await;
    let mark = finding_of(&items, "CLASSIFICATION_MARK");
    assert_eq!(mark["location"], json!({"field": "title"}));
    assert_eq!(mark["severity"], "block");
}

#[actix_web::test]
async fn an_id_number_in_the_description_and_a_file_name_goes_out_masked() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let mut m = meta(&[]);
    m["description"] = json!(format!("经办人身份证号{ID_NUMBER}，已核对"));
    let name = format!("王建国{ID_NUMBER}.txt");
    let release = app
        .file_release(&cast.submitter, m, &name, "公开统计数据\n".as_bytes())
        .await;
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.privacy).await;
    let ids: Vec<_> = items.iter().filter(|f| f["type"] == "CN_ID_CARD").collect();
    let at: Vec<_> = ids.iter().map(|f| f["location"].clone()).collect();
    assert!(at.contains(&json!({"field": "description"})), "{at:?}");
    assert!(
        at.contains(&json!({"file": name, "field": "file_name"})),
        "{at:?}"
    );
    for f in &ids {
        assert!(!f["excerpt"].as_str().unwrap().contains(ID_NUMBER), "{f}");
    }

    // The privacy officer sees the raw value of a metadata finding on request.
    let description = ids
        .iter()
        .find(|f| f["location"]["field"] == "description")
        .unwrap();
    let res = app
        .post_json(
            &format!(
                "/api/v1/releases/{id}/findings/{}/reveal",
                description["id"].as_str().unwrap()
            ),
            Some(&cast.privacy),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.text().contains(ID_NUMBER), "{}", res.text());

    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published", "{release}");
    let public = app.get(&format!("/public/releases/{id}"), None).await;
    assert_eq!(public.status, 200);
    assert!(!public.text().contains(ID_NUMBER), "{}", public.text());
    let body = public.json();
    let masked = format!("{}********{}", &ID_NUMBER[..6], &ID_NUMBER[14..]);
    assert_eq!(
        body["description"],
        format!("经办人身份证号{masked}，已核对")
    );
    assert_eq!(body["files"][0]["name"], format!("王建国{masked}.txt"));
    let file = app
        .get(body["files"][0]["url"].as_str().unwrap(), None)
        .await;
    assert_eq!(file.status, 200, "the file answers at its public name");
    assert_eq!(file.text(), "公开统计数据\n");
    for listing in ["/public/releases", "/public/catalog", "/catalog"] {
        let res = app.get(listing, None).await;
        assert_eq!(res.status, 200, "{listing}");
        assert!(!res.text().contains(ID_NUMBER), "{listing}: {}", res.text());
    }
}
