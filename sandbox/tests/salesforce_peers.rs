#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Salesforce emulator: regressions found by driving jsforce and simple-salesforce against it
//! (`bench/peers/`): the versioned resource list names the caller's identity URL, and that
//! URL answers with the identity of the user (token in `Authorization` or `oauth_token`).

mod salesforce_common;

use reqwest::Method;
use salesforce_common::Sf;
use sandbox::salesforce::{DEFAULT_ORG_ID, DEFAULT_USERNAME};

#[tokio::test]
async fn resource_list_names_the_identity_url_and_it_answers() {
    let sf = Sf::start().await;
    let list = sf.get("/").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json["jobs"], "/services/data/v67.0/jobs");
    let identity = list.json["identity"].as_str().unwrap().to_owned();
    let user_id = sf.sb.emulator().user_id(DEFAULT_USERNAME);
    assert_eq!(
        identity,
        format!("{}/id/{DEFAULT_ORG_ID}/{user_id}", sf.sb.base_url())
    );

    // As jsforce's `identity()` asks: token as a query parameter, `format=json`.
    let res = sf
        .http
        .get(format!(
            "{identity}?format=json&oauth_token={}",
            sf.token.replace('!', "%21")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["id"], identity.as_str());
    assert_eq!(body["user_id"], user_id.as_str());
    assert_eq!(body["organization_id"], DEFAULT_ORG_ID);
    assert_eq!(body["username"], DEFAULT_USERNAME);
    assert_eq!(body["active"], true);
    assert!(
        body["urls"]["rest"]
            .as_str()
            .unwrap()
            .ends_with("/services/data/v{version}/")
    );

    // Bearer header works too; a 15-character user id is the same user.
    let short = format!(
        "{}/id/{DEFAULT_ORG_ID}/{}",
        sf.sb.base_url(),
        &user_id[..15]
    );
    let res = sf.send(Method::GET, &short, None, &[]).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["user_id"], user_id.as_str());

    // No or a bad token, another org, an unknown user.
    let res = sf.http.get(&identity).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.text().await.unwrap(), "Bad_OAuth_Token");
    let other_org = format!("{}/id/00D000000000001AAA/{user_id}", sf.sb.base_url());
    let res = sf.send(Method::GET, &other_org, None, &[]).await;
    assert_eq!((res.status, res.text.as_str()), (403, "Bad_Id"));
    let nobody = format!(
        "{}/id/{DEFAULT_ORG_ID}/005000000000099AAA",
        sf.sb.base_url()
    );
    let res = sf.send(Method::GET, &nobody, None, &[]).await;
    assert_eq!((res.status, res.text.as_str()), (403, "Bad_Id"));
}
