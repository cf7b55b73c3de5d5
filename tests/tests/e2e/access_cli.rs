//! The access-model CLI (share-admin.md §6) — the real `porthole` binary run against a
//! running gateway with `--url` / `PORTHOLE_TOKEN`: tables by default, `--format json`,
//! and the exit codes of §5.

use crate::fixture::*;
use crate::profiles::{add_owned_connection, add_user, call};
use porthole_testsuite::gateway::porthole_binary;
use reqwest::Method;
use serde_json::Value;

/// Runs `porthole ARGS…` as the holder of `token`; returns exit code, stdout, stderr.
async fn porthole(env: &Env, token: &str, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(porthole_binary().unwrap())
        .args(args)
        .env("PORTHOLE_URL", &env.gw.base)
        .env("PORTHOLE_TOKEN", token)
        .env_remove("PORTHOLE_CONFIG")
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[tokio::test]
async fn cli_enterprise_role_makes_a_node_scoped_share_admin() {
    let env = env().await;
    add_user(&env, "sa").await;
    let (_, e) = call(
        &env,
        Method::GET,
        "/api/access/enterprise",
        &env.token,
        None,
    )
    .await;
    let root = e["name"].as_str().unwrap().to_owned();
    for args in [
        vec!["enterprise-node", "Sales", "--add", "--parent", &root],
        vec!["enterprise-role", "Sales SA", "--add", "--node", "Sales"],
        vec![
            "enterprise-role",
            "Sales SA",
            "--add-admin",
            "Sales",
            "--cascade",
            "on",
        ],
        vec![
            "enterprise-role",
            "Sales SA",
            "--node",
            "Sales",
            "--add-privilege=sharing_administrator",
        ],
        vec!["enterprise-role", "Sales SA", "--add-user", "sa@localhost"],
    ] {
        let (code, out, err) = porthole(&env, &env.token, &args).await;
        assert_eq!(code, 0, "{args:?}: {out} {err}");
        assert!(out.contains("ok (authority:"), "{out}");
    }
    let (code, out, _) = porthole(
        &env,
        &env.token,
        &["enterprise-role", "Sales SA", "--format", "json"],
    )
    .await;
    assert_eq!(code, 0);
    let v = json_of(&out);
    let text = v.to_string();
    assert!(
        text.contains("sharing_administrator") && text.contains("sa@localhost"),
        "{v}"
    );
    // A usage error (§5 step 3) exits 2 with the reason in JSON.
    let (code, out, _) = porthole(
        &env,
        &env.token,
        &[
            "enterprise-role",
            "Sales SA",
            "--node",
            "Sales",
            "--add-privilege",
            "fly",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 2, "{out}");
    assert_eq!(json_of(&out)["reason"], "invalid_privilege");
}

#[tokio::test]
async fn cli_share_folder_and_share_record_with_exit_codes() {
    let env = env().await;
    let (_, bob) = add_user(&env, "bob").await;
    let (code, out, err) = porthole(&env, &env.token, &["mkdir", "Team", "-sf", "-e"]).await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) = porthole(&env, &env.token, &["ln", "Sim desktop", "Team"]).await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) = porthole(
        &env,
        &env.token,
        &["share-folder", "Team", "-e", "bob@localhost", "-p", "on"],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, _) = porthole(&env, &env.token, &["get", "Team", "--format", "json"]).await;
    assert_eq!(code, 0);
    let v = json_of(&out);
    assert_eq!(v["members"].as_array().unwrap().len(), 2, "{v}");
    // Bob, without manage-users, may not add anyone: denied, exit 3.
    let (code, out, _) = porthole(
        &env,
        &bob,
        &[
            "share-folder",
            "Team",
            "-e",
            "admin@localhost",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 3, "{out}");
    assert_eq!(json_of(&out)["ok"], false);
    // -d/-s need -r: usage, exit 2.
    let (code, _, _) = porthole(&env, &env.token, &["share-folder", "Team", "-d", "on"]).await;
    assert_eq!(code, 2);
    // A direct grant; then a connection nobody has: not_found, exit 4.
    let (code, out, err) = porthole(
        &env,
        &env.token,
        &["share-record", &env.conn, "-e", "bob@localhost", "-w"],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, _, _) = porthole(
        &env,
        &env.token,
        &["share-record", "no-such-connection", "-e", "bob@localhost"],
    )
    .await;
    assert_eq!(code, 4);
}

#[tokio::test]
async fn cli_transfer_record_prints_per_connection_results_and_exits_1_on_failure() {
    let env = env().await;
    let (bob_id, _) = add_user(&env, "bob").await;
    let bobs = add_owned_connection(&env, "Bob's", &bob_id).await;
    let (code, out, err) = porthole(
        &env,
        &env.token,
        &["transfer-record", &env.conn, &bobs, "--to", "bob@localhost"],
    )
    .await;
    assert_eq!(code, 1, "{out} {err}");
    assert!(
        out.contains("Connection") && out.contains("Status"),
        "{out}"
    );
    assert!(out.contains("1 of 2 transferred, 1 failed"), "{out}");
    let (code, out, _) = porthole(
        &env,
        &env.token,
        &[
            "transfer-record",
            &env.conn,
            "--to",
            "admin@localhost",
            "--format",
            "json",
        ],
    )
    .await;
    // The admin no longer owns it: every item failed.
    assert_eq!(code, 1);
    let v = json_of(&out);
    assert_eq!(
        (v["total"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn cli_trash_and_compliance() {
    let env = env().await;
    let (_, e) = call(
        &env,
        Method::DELETE,
        &format!("/api/access/connections/{}", env.conn),
        &env.token,
        None,
    )
    .await;
    assert!(e["trashed"].is_array());
    let (code, out, _) = porthole(&env, &env.token, &["trash", "list"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("Sim desktop"), "{out}");
    let (code, out, err) = porthole(&env, &env.token, &["trash", "restore", &env.conn]).await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, err) = porthole(&env, &env.token, &["compliance", "report"]).await;
    assert_eq!(code, 0, "{out} {err}");
    assert!(
        out.contains("Sim desktop") && out.contains("owner"),
        "{out}"
    );
    // No gateway behind the URL: exit 5.
    let out = tokio::process::Command::new(porthole_binary().unwrap())
        .args([
            "trash",
            "list",
            "--url",
            "http://127.0.0.1:9",
            "--token",
            "x",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
}

#[tokio::test]
async fn cli_session_list_and_kill_rm_and_mv() {
    let env = env().await;
    let (mut c, _) = open(&env).await;
    let (code, out, err) =
        porthole(&env, &env.token, &["session", "list", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let v = json_of(&out);
    let id = v[0]["id"].as_str().unwrap().to_owned();
    let (code, out, err) = porthole(&env, &env.token, &["session", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&id) && out.contains("Sim desktop"), "{out}");
    let (code, _, err) = porthole(&env, &env.token, &["session", "kill", &id]).await;
    assert_eq!(code, 0, "{err}");
    c.wait_closed(T).await.unwrap();
    for args in [
        vec!["mkdir", "A", "-sf"],
        vec!["mkdir", "B", "-sf"],
        vec!["ln", "Sim desktop", "A"],
        vec!["mv", "Sim desktop", "B", "--from", "A"],
        vec!["rm", "Sim desktop", "--from", "B"],
    ] {
        let (code, out, err) = porthole(&env, &env.token, &args).await;
        assert_eq!(code, 0, "{args:?}: {out} {err}");
    }
    // Still private to its owner: removing the placement left it live.
    let (code, out, _) = porthole(&env, &env.token, &["trash", "list", "--format", "json"]).await;
    assert_eq!(code, 0);
    assert_eq!(json_of(&out), serde_json::json!([]));
}

#[tokio::test]
async fn cli_sharing_profile_and_share_link() {
    let env = env().await;
    let (_c, _) = open(&env).await;
    let (code, out, err) =
        porthole(&env, &env.token, &["session", "list", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let session = json_of(&out)[0]["id"].as_str().unwrap().to_owned();
    // No profile yet: R43's no_sharing_profile, exit 3.
    let (code, out, _) = porthole(
        &env,
        &env.token,
        &[
            "share-link",
            "create",
            "--session",
            &session,
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 3, "{out}");
    assert_eq!(json_of(&out)["reason"], "no_sharing_profile");
    let (code, out, err) = porthole(
        &env,
        &env.token,
        &[
            "sharing-profile",
            "add",
            "Sim desktop",
            "--name",
            "View",
            "--read-only",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, out, _) = porthole(
        &env,
        &env.token,
        &["sharing-profile", "list", "Sim desktop"],
    )
    .await;
    assert_eq!(code, 0);
    assert!(out.contains("View"), "{out}");
    let (code, out, err) = porthole(
        &env,
        &env.token,
        &[
            "share-link",
            "create",
            "--session",
            &session,
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    let link = json_of(&out);
    assert!(link["url"].as_str().unwrap().contains("#/share/"), "{link}");
    let (code, out, err) = porthole(
        &env,
        &env.token,
        &["share-link", "revoke", link["id"].as_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    let (code, _, _) = porthole(&env, &env.token, &["share-link", "revoke", "no-such-link"]).await;
    assert_eq!(code, 4);
}
