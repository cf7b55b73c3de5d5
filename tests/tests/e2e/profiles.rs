//! Sharing profiles through the REST API: create, list, edit, clone, delete; names
//! unique per connection; clear validation messages; who may see and change them.

use crate::fixture::*;
use reqwest::Method;
use serde_json::{json, Value};

/// Creates a non-administrator and signs them in; returns (user id, token).
pub async fn add_user(env: &Env, name: &str) -> (String, String) {
    let password = format!("{name}-password");
    let (st, user) = env
        .gw
        .request(
            Method::POST,
            "/api/users",
            Some(&env.token),
            Some(json!({"username": name, "password": password})),
        )
        .await
        .unwrap();
    assert_eq!(st, 201, "{user}");
    let token = env.gw.sign_in(name, &password).await.unwrap();
    (user["id"].as_str().unwrap().to_owned(), token)
}

/// Creates a connection owned by `owner_id` (as the administrator); returns its id.
pub async fn add_owned_connection(env: &Env, name: &str, owner_id: &str) -> String {
    let (st, c) = env
        .gw
        .request(
            Method::POST,
            "/api/connections",
            Some(&env.token),
            Some(json!({
                "name": name, "protocol": "vnc",
                "parameters": {"hostname": "desktop.example", "port": "5900"},
                "guacd": {"host": env.sim.addr().ip().to_string(), "port": env.sim.addr().port()},
                "owner_id": owner_id,
            })),
        )
        .await
        .unwrap();
    assert_eq!(st, 201, "{c}");
    c["id"].as_str().unwrap().to_owned()
}

pub async fn call(
    env: &Env,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    env.gw
        .request(method, path, Some(token), body)
        .await
        .unwrap()
}

/// Creates a profile on `conn`, expecting 201; returns it.
pub async fn add_profile(env: &Env, token: &str, conn: &str, body: Value) -> Value {
    let (st, p) = call(
        env,
        Method::POST,
        &format!("/api/connections/{conn}/sharing-profiles"),
        token,
        Some(body),
    )
    .await;
    assert_eq!(st, 201, "{p}");
    p
}

fn profile_path(p: &Value) -> String {
    format!("/api/sharing-profiles/{}", p["id"].as_str().unwrap())
}

#[tokio::test]
async fn sharing_profiles_can_be_created_listed_edited_and_deleted() {
    let env = env().await;
    let list_path = format!("/api/connections/{}/sharing-profiles", env.conn);
    let (st, empty) = call(&env, Method::GET, &list_path, &env.token, None).await;
    assert_eq!((st, empty), (200, json!([])));

    let p = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "  Watch only ", "read_only": true, "parameters": {"disable-copy": "true"}}),
    )
    .await;
    assert_eq!(p["name"], "Watch only", "names are trimmed");
    assert_eq!(p["connection_id"], env.conn.as_str());
    assert_eq!(p["read_only"], true);
    assert_eq!(p["parameters"], json!({"disable-copy": "true"}));
    assert!(p["created_at"].as_i64().unwrap() > 0);
    assert_eq!(p["created_at"], p["updated_at"]);

    let helpdesk = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "Helpdesk", "read_only": false}),
    )
    .await;
    assert_eq!(helpdesk["parameters"], json!({}), "parameters are optional");

    // The list is ordered by name; one profile reads back as it was created.
    let (st, list) = call(&env, Method::GET, &list_path, &env.token, None).await;
    assert_eq!(st, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Helpdesk", "Watch only"]);
    let (st, got) = call(&env, Method::GET, &profile_path(&p), &env.token, None).await;
    assert_eq!((st, &got), (200, &p));

    // An edit replaces name, flag and parameters.
    let (st, edited) = call(
        &env,
        Method::PUT,
        &profile_path(&p),
        &env.token,
        Some(json!({"name": "Co-pilot", "read_only": false, "parameters": {"enable-audio": "false"}})),
    )
    .await;
    assert_eq!(st, 200, "{edited}");
    assert_eq!(edited["id"], p["id"]);
    assert_eq!(edited["name"], "Co-pilot");
    assert_eq!(edited["read_only"], false);
    assert_eq!(edited["parameters"], json!({"enable-audio": "false"}));
    assert_eq!(edited["created_at"], p["created_at"]);
    assert!(edited["updated_at"].as_i64() >= p["updated_at"].as_i64());
    let (_, got) = call(&env, Method::GET, &profile_path(&p), &env.token, None).await;
    assert_eq!(got, edited);

    let (st, body) = call(&env, Method::DELETE, &profile_path(&p), &env.token, None).await;
    assert_eq!((st, body), (204, Value::Null));
    let (st, body) = call(&env, Method::GET, &profile_path(&p), &env.token, None).await;
    assert_eq!(st, 404);
    assert_eq!(body["error"], "no such sharing profile");
    for (method, body) in [
        (Method::DELETE, None),
        (Method::PUT, Some(json!({"name": "x", "read_only": true}))),
    ] {
        let (st, _) = call(&env, method, &profile_path(&p), &env.token, body).await;
        assert_eq!(st, 404, "a deleted profile stays gone");
    }
    let (_, list) = call(&env, Method::GET, &list_path, &env.token, None).await;
    assert_eq!(list, json!([helpdesk]));

    // A connection that does not exist has no profiles to list or add to.
    let (st, _) = call(
        &env,
        Method::GET,
        "/api/connections/nope/sharing-profiles",
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 404);
    let (st, _) = call(
        &env,
        Method::POST,
        "/api/connections/nope/sharing-profiles",
        &env.token,
        Some(json!({"name": "x", "read_only": true})),
    )
    .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn cloning_a_profile_copies_its_read_only_flag_and_parameters_under_the_new_name() {
    let env = env().await;
    for read_only in [true, false] {
        let src = add_profile(
            &env,
            &env.token,
            &env.conn,
            json!({"name": format!("Source {read_only}"), "read_only": read_only,
                   "parameters": {"disable-copy": "true", "disable-paste": "true"}}),
        )
        .await;
        let (st, copy) = call(
            &env,
            Method::POST,
            &format!("{}/clone", profile_path(&src)),
            &env.token,
            Some(json!({"name": format!(" Copy {read_only} ")})),
        )
        .await;
        assert_eq!(st, 201, "{copy}");
        assert_ne!(copy["id"], src["id"]);
        assert_eq!(copy["name"], format!("Copy {read_only}"));
        assert_eq!(copy["connection_id"], src["connection_id"]);
        assert_eq!(copy["read_only"], read_only);
        assert_eq!(copy["parameters"], src["parameters"]);
        // The copy is a profile of its own, and the source is untouched.
        let (_, got) = call(&env, Method::GET, &profile_path(&copy), &env.token, None).await;
        assert_eq!(got, copy);
        let (_, got) = call(&env, Method::GET, &profile_path(&src), &env.token, None).await;
        assert_eq!(got, src);
    }

    let src = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "Original", "read_only": true}),
    )
    .await;
    let clone_path = format!("{}/clone", profile_path(&src));
    let (st, body) = call(
        &env,
        Method::POST,
        &clone_path,
        &env.token,
        Some(json!({"name": "Original"})),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(
        body["error"],
        "a sharing profile named 'Original' already exists for this connection"
    );
    let (st, body) = call(
        &env,
        Method::POST,
        &clone_path,
        &env.token,
        Some(json!({"name": "  "})),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap()
        .contains("name must be 1 to 128 characters"));
    let (st, _) = call(
        &env,
        Method::POST,
        "/api/sharing-profiles/nope/clone",
        &env.token,
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(st, 404);
    let (_, list) = call(
        &env,
        Method::GET,
        &format!("/api/connections/{}/sharing-profiles", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        5,
        "no failed clone left a profile: {list}"
    );
}

#[tokio::test]
async fn profile_names_are_unique_within_a_connection_but_may_repeat_across_connections() {
    let env = env().await;
    let view = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "View", "read_only": true}),
    )
    .await;
    let edit = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "Edit", "read_only": false}),
    )
    .await;

    let (st, body) = call(
        &env,
        Method::POST,
        &format!("/api/connections/{}/sharing-profiles", env.conn),
        &env.token,
        Some(json!({"name": " View ", "read_only": false})),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(
        body["error"],
        "a sharing profile named 'View' already exists for this connection"
    );

    // Renaming onto another profile's name is refused; keeping one's own name is fine.
    let (st, body) = call(
        &env,
        Method::PUT,
        &profile_path(&edit),
        &env.token,
        Some(json!({"name": "View", "read_only": false})),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    let (st, body) = call(
        &env,
        Method::PUT,
        &profile_path(&view),
        &env.token,
        Some(json!({"name": "View", "read_only": false})),
    )
    .await;
    assert_eq!((st, &body["read_only"]), (200, &json!(false)), "{body}");

    // Another connection may use the same name.
    let other = env
        .gw
        .create_connection(&env.token, "Second desktop", "vnc", env.sim.addr())
        .await
        .unwrap();
    let p = add_profile(
        &env,
        &env.token,
        &other,
        json!({"name": "View", "read_only": true}),
    )
    .await;
    assert_eq!(p["connection_id"], other.as_str());
}

#[tokio::test]
async fn invalid_profiles_are_refused_with_messages_that_say_what_to_fix() {
    let env = env().await;
    let many: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("p{i}"), json!("1"))).collect();
    let cases = [
        (
            json!({"name": "", "read_only": true}),
            "name must be 1 to 128 characters",
        ),
        (
            json!({"name": "n".repeat(129), "read_only": true}),
            "name must be 1 to 128 characters",
        ),
        (
            json!({"name": "x", "read_only": false, "parameters": {"read-only": "true"}}),
            "'read-only' cannot be a parameter: set the read_only flag instead",
        ),
        (
            json!({"name": "x", "read_only": true, "parameters": many}),
            "a sharing profile has at most 64 parameters",
        ),
        (
            json!({"name": "x", "read_only": true, "parameters": {"p".repeat(129): "1"}}),
            "parameter names must be 1 to 128 characters",
        ),
        (
            json!({"name": "x", "read_only": true, "parameters": {"": "1"}}),
            "parameter names must be 1 to 128 characters",
        ),
        (
            json!({"name": "x", "read_only": true, "parameters": {"disable-copy": "v".repeat(4097)}}),
            "parameter 'disable-copy' is longer than 4096 characters",
        ),
        (json!({"name": "x"}), "missing field `read_only`"),
        (
            json!({"name": "x", "read_only": "yes"}),
            "invalid request body",
        ),
        (
            json!({"name": "x", "read_only": true, "owner": "me"}),
            "unknown field `owner`",
        ),
    ];
    let path = format!("/api/connections/{}/sharing-profiles", env.conn);
    for (body, needle) in &cases {
        let (st, answer) = call(&env, Method::POST, &path, &env.token, Some(body.clone())).await;
        assert_eq!(st, 400, "{body} → {answer}");
        let msg = answer["error"].as_str().unwrap();
        assert!(msg.contains(needle), "{body}: {msg}");
    }
    // The same rules apply to an edit, which leaves the profile as it was.
    let p = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "Fine", "read_only": true}),
    )
    .await;
    for (body, needle) in &cases {
        let (st, answer) = call(
            &env,
            Method::PUT,
            &profile_path(&p),
            &env.token,
            Some(body.clone()),
        )
        .await;
        assert_eq!(st, 400, "{body} → {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    let (_, got) = call(&env, Method::GET, &profile_path(&p), &env.token, None).await;
    assert_eq!(got, p);
    // Limits are inclusive.
    let many: serde_json::Map<String, Value> = (0..64)
        .map(|i| (format!("p{i}"), json!("v".repeat(4096))))
        .collect();
    add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "é".repeat(128), "read_only": true, "parameters": many}),
    )
    .await;
}

#[tokio::test]
async fn the_owner_of_a_connection_manages_its_profiles_and_other_users_cannot_even_see_them() {
    let env = env().await;
    let (bob_id, bob) = add_user(&env, "bob").await;
    let (_, eve) = add_user(&env, "eve").await;
    let bobs = add_owned_connection(&env, "Bob's desktop", &bob_id).await;

    // Bob, not an administrator, owns his connection: he may do everything with its
    // profiles.
    let p = add_profile(
        &env,
        &bob,
        &bobs,
        json!({"name": "View", "read_only": true}),
    )
    .await;
    let (st, _) = call(
        &env,
        Method::PUT,
        &profile_path(&p),
        &bob,
        Some(json!({"name": "Look", "read_only": true})),
    )
    .await;
    assert_eq!(st, 200);
    let (st, copy) = call(
        &env,
        Method::POST,
        &format!("{}/clone", profile_path(&p)),
        &bob,
        Some(json!({"name": "Look 2"})),
    )
    .await;
    assert_eq!(st, 201);
    let (st, _) = call(&env, Method::DELETE, &profile_path(&copy), &bob, None).await;
    assert_eq!(st, 204);
    // An administrator was not given Bob's connection: it sees nothing of it
    // (share-admin.md restriction 4: Share Admin acts only on what it was added to).
    let (st, _) = call(
        &env,
        Method::GET,
        &format!("/api/connections/{bobs}/sharing-profiles"),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 404);

    // Bob cannot see the administrator's connection, nor Eve Bob's: every profile
    // request answers exactly like a missing connection or profile.
    let admins = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "Admin view", "read_only": true}),
    )
    .await;
    for (who, conn, profile) in [(&bob, &env.conn, &admins), (&eve, &bobs, &p)] {
        let path = profile_path(profile);
        let (_, before) = call(&env, Method::GET, &path, &env.token, None).await;
        let list_path = format!("/api/connections/{conn}/sharing-profiles");
        let (st, body) = call(&env, Method::GET, &list_path, who, None).await;
        assert_eq!(
            (st, body["error"].as_str()),
            (404, Some("no such connection"))
        );
        let (st, body) = call(
            &env,
            Method::POST,
            &list_path,
            who,
            Some(json!({"name": "Mine", "read_only": false})),
        )
        .await;
        assert_eq!(
            (st, body["error"].as_str()),
            (404, Some("no such connection"))
        );
        for (method, path, body) in [
            (Method::GET, path.clone(), None),
            (
                Method::PUT,
                path.clone(),
                Some(json!({"name": "Mine", "read_only": false})),
            ),
            (
                Method::POST,
                format!("{path}/clone"),
                Some(json!({"name": "Mine"})),
            ),
            (Method::DELETE, path.clone(), None),
        ] {
            let (st, answer) = call(&env, method.clone(), &path, who, body).await;
            assert_eq!(st, 404, "{method} {path}: {answer}");
            assert_eq!(answer["error"], "no such sharing profile");
        }
        let (_, after) = call(&env, Method::GET, &path, &env.token, None).await;
        assert_eq!(before, after, "nothing changed");
    }
    let (_, list) = call(
        &env,
        Method::GET,
        &format!("/api/connections/{}/sharing-profiles", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(list, json!([admins]));

    // Without a token, nothing at all.
    let (st, _) = env
        .gw
        .request(Method::GET, &profile_path(&admins), None, None)
        .await
        .unwrap();
    assert_eq!(st, 401);
}

#[tokio::test]
async fn deleting_a_connection_deletes_its_sharing_profiles() {
    let env = env().await;
    let p = add_profile(
        &env,
        &env.token,
        &env.conn,
        json!({"name": "View", "read_only": true}),
    )
    .await;
    let (st, _) = call(
        &env,
        Method::DELETE,
        &format!("/api/connections/{}", env.conn),
        &env.token,
        None,
    )
    .await;
    assert_eq!(st, 204);
    let (st, body) = call(&env, Method::GET, &profile_path(&p), &env.token, None).await;
    assert_eq!(
        (st, body["error"].as_str()),
        (404, Some("no such sharing profile"))
    );
    let (st, _) = call(
        &env,
        Method::POST,
        &format!("{}/clone", profile_path(&p)),
        &env.token,
        Some(json!({"name": "Again"})),
    )
    .await;
    assert_eq!(st, 404);
}
