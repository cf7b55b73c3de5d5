//! Sign-in, tokens, users and the connections API.

use crate::fixture::*;
use porthole_testsuite::gateway::{Gateway, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn sign_in_gives_a_token_and_a_wrong_password_gets_one_clear_message() {
    let gw = Gateway::start().await.unwrap();
    let (st, body) = gw
        .request(
            Method::POST,
            "/api/tokens",
            None,
            Some(json!({"username":"admin","password":ADMIN_PASSWORD})),
        )
        .await
        .unwrap();
    assert_eq!(st, 200);
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "256-bit token, base64url");
    let (st, me) = gw
        .request(Method::GET, "/api/me", Some(token), None)
        .await
        .unwrap();
    assert_eq!((st, me["username"].as_str()), (200, Some("admin")));

    for (user, pw) in [("admin", "wrong"), ("nobody", "wrong")] {
        let (st, body) = gw
            .request(
                Method::POST,
                "/api/tokens",
                None,
                Some(json!({"username":user,"password":pw})),
            )
            .await
            .unwrap();
        assert_eq!(st, 401);
        assert_eq!(
            body["error"], "wrong user name or password",
            "same text for unknown users"
        );
    }
    // The token never appears in the log.
    assert!(!gw.stderr().contains(token));
}

#[tokio::test]
async fn repeated_failures_lock_the_name_out_with_retry_after() {
    let gw = Gateway::start_with(opts(&[("PORTHOLE_AUTH_MAX_FAILED_LOGINS", "2")]))
        .await
        .unwrap();
    for _ in 0..2 {
        let (st, _) = gw
            .request(
                Method::POST,
                "/api/tokens",
                None,
                Some(json!({"username":"admin","password":"bad"})),
            )
            .await
            .unwrap();
        assert_eq!(st, 401);
    }
    // Locked now, even with the right password.
    let (st, body) = gw
        .request(
            Method::POST,
            "/api/tokens",
            None,
            Some(json!({"username":"admin","password":ADMIN_PASSWORD})),
        )
        .await
        .unwrap();
    assert_eq!(st, 429, "{body}");
    assert!(body["error"].as_str().unwrap().contains("try again in"));
}

#[tokio::test]
async fn sign_out_revokes_the_token() {
    let gw = Gateway::start().await.unwrap();
    let t = gw.admin_token().await.unwrap();
    let (st, _) = gw
        .request(Method::DELETE, "/api/tokens/current", Some(&t), None)
        .await
        .unwrap();
    assert_eq!(st, 204);
    let (st, body) = gw
        .request(Method::GET, "/api/me", Some(&t), None)
        .await
        .unwrap();
    assert_eq!(st, 401);
    assert!(body["error"].as_str().unwrap().contains("sign in again"));
}

#[tokio::test]
async fn connection_secrets_are_never_returned_and_survive_an_edit() {
    let gw = Gateway::start().await.unwrap();
    let t = gw.admin_token().await.unwrap();
    let body = json!({"name":"Office","protocol":"rdp",
        "parameters":{"hostname":"10.0.0.5","password":"hunter22","private-key":"KEY"},
        "guacd":{"host":"127.0.0.1","port":4822}});
    let (st, created) = gw
        .request(Method::POST, "/api/connections", Some(&t), Some(body))
        .await
        .unwrap();
    assert_eq!(st, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    let text = created.to_string();
    assert!(
        !text.contains("hunter22") && !text.contains("KEY"),
        "{text}"
    );
    assert_eq!(
        created["secret_parameters_set"],
        json!(["password", "private-key"])
    );

    // An edit that leaves the password out keeps it.
    let (st, edited) = gw
        .request(
            Method::PUT,
            &format!("/api/connections/{id}"),
            Some(&t),
            Some(json!({"name":"Office 2","protocol":"rdp","parameters":{"hostname":"10.0.0.6"}})),
        )
        .await
        .unwrap();
    assert_eq!(st, 200, "{edited}");
    assert_eq!(
        edited["secret_parameters_set"],
        json!(["password", "private-key"])
    );
    assert_eq!(edited["parameters"], json!({"hostname":"10.0.0.6"}));

    let (st, _) = gw
        .request(
            Method::DELETE,
            &format!("/api/connections/{id}"),
            Some(&t),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, 204);
    let (st, _) = gw
        .request(
            Method::GET,
            &format!("/api/connections/{id}"),
            Some(&t),
            None,
        )
        .await
        .unwrap();
    assert_eq!(st, 404);
}

#[tokio::test]
async fn invalid_connections_are_refused_with_reasons() {
    let gw = Gateway::start().await.unwrap();
    let t = gw.admin_token().await.unwrap();
    for (body, needle) in [
        (json!({"name":"","protocol":"vnc"}), "name"),
        (json!({"name":"x","protocol":"VNC!"}), "protocol"),
        (
            json!({"name":"x","protocol":"vnc","guacd":{"host":"","port":1}}),
            "guacd",
        ),
    ] {
        let (st, b) = gw
            .request(Method::POST, "/api/connections", Some(&t), Some(body))
            .await
            .unwrap();
        assert_eq!(st, 400);
        assert!(b["error"].as_str().unwrap().contains(needle), "{b}");
    }
}

#[tokio::test]
async fn ordinary_users_see_only_their_connections_and_cannot_manage() {
    let env = env().await;
    let (st, _) = env
        .gw
        .request(
            Method::POST,
            "/api/users",
            Some(&env.token),
            Some(json!({"username":"bob","password":"bob-password"})),
        )
        .await
        .unwrap();
    assert_eq!(st, 201);
    let bob = env.gw.sign_in("bob", "bob-password").await.unwrap();
    let (st, list) = env
        .gw
        .request(Method::GET, "/api/connections", Some(&bob), None)
        .await
        .unwrap();
    assert_eq!((st, list), (200, json!([])));
    let (st, _) = env
        .gw
        .request(
            Method::POST,
            "/api/connections",
            Some(&bob),
            Some(json!({"name":"x","protocol":"vnc"})),
        )
        .await
        .unwrap();
    assert_eq!(st, 403);
    let (st, _) = env
        .gw
        .request(Method::GET, "/api/users", Some(&bob), None)
        .await
        .unwrap();
    assert_eq!(st, 403);
    // Opening the admin's connection looks exactly like a missing one.
    let mut c = porthole_testsuite::client::GuacClient::connect(
        &env.gw.tunnel_url(&query(&bob, &env.conn)),
    )
    .await
    .unwrap();
    assert_eq!(c.wait_closed(T).await.unwrap().status(), Some(516));
}
