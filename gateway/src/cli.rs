//! The access-model CLI (share-admin.md §6): subcommands of `porthole` that call a running
//! gateway's REST API (`/api/access/…`) with `--url` / `--token` (or `PORTHOLE_URL` /
//! `PORTHOLE_TOKEN`, a bearer token from `POST /api/tokens`).
//!
//! Output: human tables by default, `--format json` for the REST answer as is. Exit codes
//! (§5): `0` success, `1` a bulk command with a failed item, `2` usage (step 3), `3`
//! denied, `4` `not_found`; `5` when the gateway cannot be reached or answers something
//! unexpected. With `--format json` a denial prints `{"ok": false, "reason", "message"}`.
//!
//! Folders and connections are named by id or (for the caller's own folders and the
//! connections they can open) by name; users by email or id; nodes and roles by name or id.

use clap::{Args, Subcommand, ValueEnum};
use porthole_access::ReasonCode;
use reqwest::Method;
use serde_json::{json, Value};

/// How to reach the gateway, and how to print.
#[derive(Args, Debug, Clone)]
pub struct Conn {
    /// The gateway's URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "PORTHOLE_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A bearer token (`POST /api/tokens`).
    #[arg(long, env = "PORTHOLE_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Decide (and audit) without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Skip confirmations (there are none: accepted for compatibility).
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOff {
    On,
    Off,
}

impl OnOff {
    fn b(self) -> bool {
        self == OnOff::On
    }
}

/// The access-model subcommands.
#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Create, rename or move a node (R1).
    EnterpriseNode(NodeArgs),
    /// View users, or change their node, roles and lock (R2, R3, R38).
    EnterpriseUser(UserArgs),
    /// View, create, change or delete roles (R3–R6).
    EnterpriseRole(RoleArgs),
    /// Create a shared folder (R9): `mkdir NAME -sf [-u] [-r] [-e] [-s] [-a]`.
    Mkdir(MkdirArgs),
    /// Link a connection into a folder (R14).
    Ln(LnArgs),
    /// Show a folder or connection (R36).
    Get(GetArgs),
    /// Folder members, member flags, defaults and placement flags (R10–R12, R18, R19).
    ShareFolder(ShareFolderArgs),
    /// Direct grants, transfer and cancel (R20, R24–R26).
    ShareRecord(ShareRecordArgs),
    /// Bulk ownership transfer with a per-connection result (R26).
    TransferRecord(TransferArgs),
    /// Placement flags / grants of every connection in a folder (§6.6).
    RecordPermission(RecordPermissionArgs),
    /// Delete a folder; its connections go to their owners' trash if unreferenced (R27).
    Rmdir(RmdirArgs),
    /// Unlink a connection from a folder (R15, R16) or delete it for everyone (R22).
    Rm(RmArgs),
    /// Move a connection between folders (R17).
    Mv(MvArgs),
    /// Users to share a folder with, Share Admins first (R37).
    UserSearch(UserSearchArgs),
    /// Live sessions: list (R45, R51) and kill (R47).
    Session(SessionArgs),
    /// Sharing profiles of a connection (R41, R42).
    SharingProfile(ProfileArgs),
    /// Share links of a live session (R43, R44).
    ShareLink(LinkArgs),
    /// Compliance reports (R39).
    Compliance(ComplianceArgs),
    /// The caller's trash (R28).
    Trash(TrashArgs),
}

#[derive(Args, Debug)]
pub struct NodeArgs {
    pub node: String,
    #[arg(long)]
    pub add: bool,
    #[arg(long)]
    pub parent: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct UserArgs {
    #[arg(required = true)]
    pub users: Vec<String>,
    #[arg(long)]
    pub node: Option<String>,
    #[arg(long = "add-role")]
    pub add_role: Vec<String>,
    #[arg(long = "remove-role")]
    pub remove_role: Vec<String>,
    #[arg(long, conflicts_with = "unlock")]
    pub lock: bool,
    #[arg(long)]
    pub unlock: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct RoleArgs {
    #[arg(required = true)]
    pub roles: Vec<String>,
    #[arg(long)]
    pub add: bool,
    #[arg(long)]
    pub delete: bool,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long = "new-user", value_enum)]
    pub new_user: Option<OnOff>,
    /// The home node with `--add`; the entry's node with privileges.
    #[arg(long)]
    pub node: Option<String>,
    #[arg(long = "add-user", visible_alias = "au")]
    pub add_user: Vec<String>,
    #[arg(long = "remove-user", visible_alias = "ru")]
    pub remove_user: Vec<String>,
    #[arg(long = "add-admin", visible_alias = "aa")]
    pub add_admin: Vec<String>,
    #[arg(long = "remove-admin", visible_alias = "ra")]
    pub remove_admin: Vec<String>,
    #[arg(long, value_enum)]
    pub cascade: Option<OnOff>,
    #[arg(long = "add-privilege", visible_alias = "ap")]
    pub add_privilege: Vec<String>,
    #[arg(long = "remove-privilege", visible_alias = "rp")]
    pub remove_privilege: Vec<String>,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct MkdirArgs {
    pub name: String,
    /// A shared folder (`-sf`; the only kind there is).
    #[arg(long = "shared-folder")]
    pub shared_folder: bool,
    #[arg(short = 'u', long = "manage-users")]
    pub manage_users: bool,
    #[arg(short = 'r', long = "manage-records")]
    pub manage_records: bool,
    #[arg(short = 'e', long = "can-edit")]
    pub can_edit: bool,
    #[arg(short = 's', long = "can-share")]
    pub can_share: bool,
    #[arg(short = 'a', long)]
    pub all: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct LnArgs {
    pub connection: String,
    pub folder: String,
    #[arg(short = 'e', long = "can-edit")]
    pub can_edit: bool,
    #[arg(short = 's', long = "can-reshare")]
    pub can_share: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    pub target: String,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderAction {
    Grant,
    Remove,
}

#[derive(Args, Debug)]
pub struct ShareFolderArgs {
    #[arg(required = true)]
    pub folders: Vec<String>,
    #[arg(short = 'a', long, value_enum, default_value = "grant")]
    pub action: FolderAction,
    #[arg(short = 'e', long = "email")]
    pub emails: Vec<String>,
    #[arg(short = 'o', long = "manage-users", value_enum)]
    pub manage_users: Option<OnOff>,
    #[arg(short = 'p', long = "manage-records", value_enum)]
    pub manage_records: Option<OnOff>,
    #[arg(short = 'r', long = "record")]
    pub records: Vec<String>,
    #[arg(short = 'd', long = "can-edit", value_enum)]
    pub can_edit: Option<OnOff>,
    #[arg(short = 's', long = "can-share", value_enum)]
    pub can_share: Option<OnOff>,
    #[arg(long = "new-owner")]
    pub new_owner: Option<String>,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordAction {
    Grant,
    Revoke,
    Owner,
    Cancel,
}

#[derive(Args, Debug)]
pub struct ShareRecordArgs {
    /// The connection (omit with `-a cancel`).
    pub connection: Option<String>,
    #[arg(short = 'e', long = "email", required = true)]
    pub emails: Vec<String>,
    #[arg(short = 'a', long, value_enum, default_value = "grant")]
    pub action: RecordAction,
    #[arg(short = 'w', long)]
    pub write: bool,
    #[arg(short = 's', long)]
    pub share: bool,
    /// Every connection of a FOLDER.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    #[arg(required = true)]
    pub connections: Vec<String>,
    #[arg(long)]
    pub to: String,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantRevoke {
    Grant,
    Revoke,
}

#[derive(Args, Debug)]
pub struct RecordPermissionArgs {
    pub folder: String,
    #[arg(short = 'a', long, value_enum)]
    pub action: GrantRevoke,
    #[arg(short = 'd', long = "can-edit")]
    pub can_edit: bool,
    #[arg(short = 's', long = "can-share")]
    pub can_share: bool,
    #[arg(long = "share-folder")]
    pub share_folder: bool,
    #[arg(long = "share-record")]
    pub share_record: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct RmdirArgs {
    pub folder: String,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct RmArgs {
    pub connection: String,
    #[arg(long, conflicts_with = "delete", required_unless_present = "delete")]
    pub from: Option<String>,
    #[arg(long)]
    pub delete: bool,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct MvArgs {
    pub connection: String,
    pub dest: String,
    #[arg(long)]
    pub from: String,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct UserSearchArgs {
    pub query: Option<String>,
    #[arg(long = "for-folder")]
    pub for_folder: String,
    #[command(flatten)]
    pub conn: Conn,
}

#[derive(Args, Debug)]
pub struct SessionArgs {
    #[command(subcommand)]
    pub op: SessionOp,
}

#[derive(Subcommand, Debug)]
pub enum SessionOp {
    /// Sessions the caller may see.
    List {
        #[command(flatten)]
        conn: Conn,
    },
    /// End a session.
    Kill {
        session: String,
        #[command(flatten)]
        conn: Conn,
    },
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    #[command(subcommand)]
    pub op: ProfileOp,
}

#[derive(Subcommand, Debug)]
pub enum ProfileOp {
    List {
        connection: String,
        #[command(flatten)]
        conn: Conn,
    },
    Add {
        connection: String,
        #[arg(long)]
        name: String,
        #[arg(long = "read-only")]
        read_only: bool,
        #[command(flatten)]
        conn: Conn,
    },
    Delete {
        connection: String,
        profile: String,
        #[command(flatten)]
        conn: Conn,
    },
}

#[derive(Args, Debug)]
pub struct LinkArgs {
    #[command(subcommand)]
    pub op: LinkOp,
}

#[derive(Subcommand, Debug)]
pub enum LinkOp {
    /// Mint a link; prints its URL.
    Create {
        #[arg(long)]
        session: String,
        /// Profile id or name (may be omitted when the connection has exactly one).
        #[arg(long)]
        profile: Option<String>,
        #[command(flatten)]
        conn: Conn,
    },
    Revoke {
        link: String,
        #[command(flatten)]
        conn: Conn,
    },
}

#[derive(Args, Debug)]
pub struct ComplianceArgs {
    #[command(subcommand)]
    pub report: ComplianceReport,
}

#[derive(Subcommand, Debug)]
pub enum ComplianceReport {
    /// Who can open what (R39).
    Report {
        #[arg(long)]
        node: Option<String>,
        #[arg(short = 'u', long = "username")]
        users: Vec<String>,
        #[command(flatten)]
        conn: Conn,
    },
    /// Folders with members and share admins (R39).
    SharedFolderReport {
        #[arg(long)]
        node: Option<String>,
        #[command(flatten)]
        conn: Conn,
    },
}

#[derive(Args, Debug)]
pub struct TrashArgs {
    #[command(subcommand)]
    pub op: TrashOp,
}

#[derive(Subcommand, Debug)]
pub enum TrashOp {
    List {
        #[command(flatten)]
        conn: Conn,
    },
    Get {
        connection: String,
        #[command(flatten)]
        conn: Conn,
    },
    Restore {
        #[arg(required = true)]
        connections: Vec<String>,
        #[command(flatten)]
        conn: Conn,
    },
    Unshare {
        #[arg(required = true)]
        connections: Vec<String>,
        #[command(flatten)]
        conn: Conn,
    },
    /// Purge the whole trash (or the connections named).
    Purge {
        connections: Vec<String>,
        #[command(flatten)]
        conn: Conn,
    },
}

/// Why a call failed.
enum Failure {
    /// An access-model denial (exit code from §5).
    Denied(ReasonCode, String),
    /// A usage problem found before calling (exit 2).
    Usage(String),
    /// Anything else (exit 5).
    Other(String),
}

type R<T> = Result<T, Failure>;

struct Client {
    http: reqwest::Client,
    conn: Conn,
}

/// Percent-encodes a path segment or query value (space as `%20`: paths do not decode `+`).
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl Client {
    fn new(conn: &Conn) -> Client {
        Client {
            http: reqwest::Client::new(),
            conn: conn.clone(),
        }
    }

    async fn call(&self, m: Method, path: &str, body: Option<Value>) -> R<Value> {
        self.call_q(m, path, body, self.conn.dry_run).await
    }

    async fn call_q(&self, m: Method, path: &str, body: Option<Value>, dry: bool) -> R<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{path}{}",
            self.conn.url.trim_end_matches('/'),
            if dry && m != Method::GET {
                format!("{sep}dry_run=true")
            } else {
                String::new()
            }
        );
        let mut rb = self.http.request(m, &url).bearer_auth(&self.conn.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| Failure::Other(format!("cannot reach {}: {e}", self.conn.url)))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(v);
        }
        let msg = v["error"].as_str().unwrap_or(&text).to_owned();
        match v["reason"]
            .as_str()
            .and_then(|r| serde_json::from_value::<ReasonCode>(json!(r)).ok())
        {
            Some(r) => Err(Failure::Denied(r, msg)),
            None if status == reqwest::StatusCode::BAD_REQUEST => Err(Failure::Usage(msg)),
            None => Err(Failure::Other(format!("{status}: {msg}"))),
        }
    }

    /// A folder of the caller by id or name.
    async fn folder(&self, f: &str) -> R<String> {
        let list = self.call(Method::GET, "/api/access/folders", None).await?;
        let found = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["id"].as_str() == Some(f) || x["name"].as_str() == Some(f));
        Ok(found.and_then(|x| x["id"].as_str()).unwrap_or(f).to_owned())
    }

    /// A connection the caller can open by id or name (anything else is passed as is).
    async fn connection(&self, c: &str) -> R<String> {
        let list = self.call(Method::GET, "/api/connections", None).await?;
        let found = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["id"].as_str() == Some(c) || x["name"].as_str() == Some(c));
        Ok(found.and_then(|x| x["id"].as_str()).unwrap_or(c).to_owned())
    }
}

/// Runs a subcommand; returns the exit code.
pub async fn run(cmd: AccessCommand) -> i32 {
    let format = match &cmd {
        AccessCommand::EnterpriseNode(a) => a.conn.format,
        AccessCommand::EnterpriseUser(a) => a.conn.format,
        AccessCommand::EnterpriseRole(a) => a.conn.format,
        AccessCommand::Mkdir(a) => a.conn.format,
        AccessCommand::Ln(a) => a.conn.format,
        AccessCommand::Get(a) => a.conn.format,
        AccessCommand::ShareFolder(a) => a.conn.format,
        AccessCommand::ShareRecord(a) => a.conn.format,
        AccessCommand::TransferRecord(a) => a.conn.format,
        AccessCommand::RecordPermission(a) => a.conn.format,
        AccessCommand::Rmdir(a) => a.conn.format,
        AccessCommand::Rm(a) => a.conn.format,
        AccessCommand::Mv(a) => a.conn.format,
        AccessCommand::UserSearch(a) => a.conn.format,
        AccessCommand::Session(a) => match &a.op {
            SessionOp::List { conn } | SessionOp::Kill { conn, .. } => conn.format,
        },
        AccessCommand::SharingProfile(a) => match &a.op {
            ProfileOp::List { conn, .. }
            | ProfileOp::Add { conn, .. }
            | ProfileOp::Delete { conn, .. } => conn.format,
        },
        AccessCommand::ShareLink(a) => match &a.op {
            LinkOp::Create { conn, .. } | LinkOp::Revoke { conn, .. } => conn.format,
        },
        AccessCommand::Compliance(a) => match &a.report {
            ComplianceReport::Report { conn, .. }
            | ComplianceReport::SharedFolderReport { conn, .. } => conn.format,
        },
        AccessCommand::Trash(a) => match &a.op {
            TrashOp::List { conn }
            | TrashOp::Get { conn, .. }
            | TrashOp::Restore { conn, .. }
            | TrashOp::Unshare { conn, .. }
            | TrashOp::Purge { conn, .. } => conn.format,
        },
    };
    match dispatch(cmd, format).await {
        Ok(code) => code,
        Err(Failure::Denied(r, msg)) => {
            if format == Format::Json {
                println!(
                    "{}",
                    json!({"ok": false, "reason": r.as_str(), "message": msg})
                );
            } else {
                eprintln!("porthole: denied ({}): {msg}", r.as_str());
            }
            r.exit_code()
        }
        Err(Failure::Usage(msg)) => {
            if format == Format::Json {
                println!(
                    "{}",
                    json!({"ok": false, "reason": "usage", "message": msg})
                );
            } else {
                eprintln!("porthole: {msg}");
            }
            2
        }
        Err(Failure::Other(msg)) => {
            eprintln!("porthole: {msg}");
            5
        }
    }
}

fn print_outcome(format: Format, what: &str, o: &Value) {
    if format == Format::Json {
        println!("{o}");
        return;
    }
    let authority = o["authority"]["authority"].as_str().unwrap_or("-");
    let notices: Vec<&str> = o["notices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["notice"].as_str())
        .collect();
    let mut line = format!("{what}: ok (authority: {authority})");
    if !notices.is_empty() {
        line.push_str(&format!(" [{}]", notices.join(", ")));
    }
    println!("{line}");
    for t in o["trashed"].as_array().into_iter().flatten() {
        println!(
            "  to the trash of {}: {}",
            t["owner"].as_str().unwrap_or("?"),
            t["connection"].as_str().unwrap_or("?")
        );
    }
}

/// Prints rows as an aligned table.
fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for r in rows {
        line(r.clone());
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn print_value(format: Format, v: &Value) {
    if format == Format::Json {
        println!("{v}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
        );
    }
}

async fn dispatch(cmd: AccessCommand, format: Format) -> R<i32> {
    match cmd {
        AccessCommand::EnterpriseNode(a) => {
            let c = Client::new(&a.conn);
            let o = if a.add {
                let parent = a
                    .parent
                    .ok_or_else(|| Failure::Usage("--add needs --parent".into()))?;
                c.call(
                    Method::POST,
                    "/api/access/nodes",
                    Some(json!({"name": a.node, "parent": parent})),
                )
                .await?
            } else {
                c.call(
                    Method::PATCH,
                    &format!("/api/access/nodes/{}", enc(&a.node)),
                    Some(json!({"name": a.name, "parent": a.parent})),
                )
                .await?
            };
            print_outcome(format, &format!("node {}", a.node), &o);
            Ok(0)
        }
        AccessCommand::EnterpriseUser(a) => {
            let c = Client::new(&a.conn);
            let changes = a.node.is_some()
                || !a.add_role.is_empty()
                || !a.remove_role.is_empty()
                || a.lock
                || a.unlock;
            for u in &a.users {
                let base = format!("/api/access/users/{}", enc(u));
                if !changes {
                    let v = c.call(Method::GET, &base, None).await?;
                    print_value(format, &v);
                    continue;
                }
                if let Some(n) = &a.node {
                    let o = c
                        .call(
                            Method::PUT,
                            &format!("{base}/node"),
                            Some(json!({"node": n})),
                        )
                        .await?;
                    print_outcome(format, &format!("{u} node"), &o);
                }
                for r in &a.add_role {
                    let o = c
                        .call(Method::PUT, &format!("{base}/roles/{}", enc(r)), None)
                        .await?;
                    print_outcome(format, &format!("{u} + role {r}"), &o);
                }
                for r in &a.remove_role {
                    let o = c
                        .call(Method::DELETE, &format!("{base}/roles/{}", enc(r)), None)
                        .await?;
                    print_outcome(format, &format!("{u} - role {r}"), &o);
                }
                if a.lock || a.unlock {
                    let op = if a.lock { "lock" } else { "unlock" };
                    let o = c.call(Method::POST, &format!("{base}/{op}"), None).await?;
                    print_outcome(format, &format!("{u} {op}"), &o);
                }
            }
            Ok(0)
        }
        AccessCommand::EnterpriseRole(a) => role(a, format).await,
        AccessCommand::Mkdir(a) => {
            let c = Client::new(&a.conn);
            let d = json!({
                "manage_users": a.manage_users || a.all,
                "manage_records": a.manage_records || a.all,
                "can_edit": a.can_edit || a.all,
                "can_share": a.can_share || a.all,
            });
            let o = c
                .call(
                    Method::POST,
                    "/api/access/folders",
                    Some(json!({"name": a.name, "defaults": d})),
                )
                .await?;
            print_outcome(format, &format!("folder {}", a.name), &o);
            Ok(0)
        }
        AccessCommand::Ln(a) => {
            let c = Client::new(&a.conn);
            let f = c.folder(&a.folder).await?;
            let conn = c.connection(&a.connection).await?;
            let mut body = serde_json::Map::new();
            if a.can_edit {
                body.insert("can_edit".into(), json!(true));
            }
            if a.can_share {
                body.insert("can_share".into(), json!(true));
            }
            let o = c
                .call(
                    Method::PUT,
                    &format!("/api/access/folders/{}/records/{}", enc(&f), enc(&conn)),
                    Some(Value::Object(body)),
                )
                .await?;
            print_outcome(format, &format!("ln {} {}", a.connection, a.folder), &o);
            Ok(0)
        }
        AccessCommand::Get(a) => {
            let c = Client::new(&a.conn);
            let f = c.folder(&a.target).await?;
            let v = match c
                .call(
                    Method::GET,
                    &format!("/api/access/folders/{}", enc(&f)),
                    None,
                )
                .await
            {
                Ok(v) => v,
                Err(Failure::Denied(ReasonCode::NotFound, _)) => {
                    let conn = c.connection(&a.target).await?;
                    c.call(
                        Method::GET,
                        &format!("/api/access/connections/{}", enc(&conn)),
                        None,
                    )
                    .await?
                }
                Err(e) => return Err(e),
            };
            print_value(format, &v);
            Ok(0)
        }
        AccessCommand::ShareFolder(a) => share_folder(a, format).await,
        AccessCommand::ShareRecord(a) => share_record(a, format).await,
        AccessCommand::TransferRecord(a) => {
            let c = Client::new(&a.conn);
            let mut ids = Vec::new();
            for x in &a.connections {
                ids.push(c.connection(x).await?);
            }
            let v = c
                .call(
                    Method::POST,
                    "/api/access/transfers",
                    Some(json!({"connections": ids, "to": a.to})),
                )
                .await?;
            print_bulk(format, &v, "transferred");
            Ok(i32::from(v["ok"] != json!(true)))
        }
        AccessCommand::RecordPermission(a) => record_permission(a, format).await,
        AccessCommand::Rmdir(a) => {
            let c = Client::new(&a.conn);
            let f = c.folder(&a.folder).await?;
            let o = c
                .call(
                    Method::DELETE,
                    &format!("/api/access/folders/{}", enc(&f)),
                    None,
                )
                .await?;
            print_outcome(format, &format!("rmdir {}", a.folder), &o);
            Ok(0)
        }
        AccessCommand::Rm(a) => {
            let c = Client::new(&a.conn);
            let conn = c.connection(&a.connection).await?;
            let o = match &a.from {
                Some(f) => {
                    let f = c.folder(f).await?;
                    c.call(
                        Method::DELETE,
                        &format!("/api/access/folders/{}/records/{}", enc(&f), enc(&conn)),
                        None,
                    )
                    .await?
                }
                None => {
                    c.call(
                        Method::DELETE,
                        &format!("/api/access/connections/{}", enc(&conn)),
                        None,
                    )
                    .await?
                }
            };
            print_outcome(format, &format!("rm {}", a.connection), &o);
            Ok(0)
        }
        AccessCommand::Mv(a) => {
            let c = Client::new(&a.conn);
            let conn = c.connection(&a.connection).await?;
            let from = c.folder(&a.from).await?;
            let to = c.folder(&a.dest).await?;
            let o = c
                .call(
                    Method::POST,
                    &format!(
                        "/api/access/folders/{}/records/{}/move",
                        enc(&from),
                        enc(&conn)
                    ),
                    Some(json!({"to": to})),
                )
                .await?;
            print_outcome(format, &format!("mv {} {}", a.connection, a.dest), &o);
            Ok(0)
        }
        AccessCommand::UserSearch(a) => {
            let c = Client::new(&a.conn);
            let f = c.folder(&a.for_folder).await?;
            let mut path = format!("/api/access/users?folder={}", enc(&f));
            if let Some(q) = &a.query {
                path.push_str(&format!("&q={}", enc(q)));
            }
            let v = c.call(Method::GET, &path, None).await?;
            print_value(format, &v);
            Ok(0)
        }
        AccessCommand::Session(a) => match a.op {
            SessionOp::List { conn } => {
                let c = Client::new(&conn);
                let v = c.call(Method::GET, "/api/sessions", None).await?;
                if format == Format::Json {
                    println!("{v}");
                } else {
                    let rows: Vec<Vec<String>> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|x| {
                            vec![
                                s(&x["id"]),
                                s(&x["connection_name"]),
                                s(&x["username"]),
                                x["viewers"].as_array().map_or(0, Vec::len).to_string(),
                            ]
                        })
                        .collect();
                    table(&["Session", "Connection", "Originator", "Viewers"], &rows);
                }
                Ok(0)
            }
            SessionOp::Kill { session, conn } => {
                let c = Client::new(&conn);
                c.call(
                    Method::DELETE,
                    &format!("/api/sessions/{}", enc(&session)),
                    None,
                )
                .await?;
                if format == Format::Json {
                    println!("{}", json!({"ok": true}));
                } else {
                    println!("session {session}: ended");
                }
                Ok(0)
            }
        },
        AccessCommand::SharingProfile(a) => profiles(a.op, format).await,
        AccessCommand::ShareLink(a) => share_link(a.op, format).await,
        AccessCommand::Compliance(a) => match a.report {
            ComplianceReport::Report { node, users, conn } => {
                let c = Client::new(&conn);
                let mut q: Vec<String> = Vec::new();
                if let Some(n) = node {
                    q.push(format!("node={}", enc(&n)));
                }
                q.extend(users.iter().map(|u| format!("owner={}", enc(u))));
                let v = c
                    .call(
                        Method::GET,
                        &format!("/api/access/compliance?{}", q.join("&")),
                        None,
                    )
                    .await?;
                if format == Format::Json {
                    println!("{v}");
                } else {
                    let rows: Vec<Vec<String>> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| {
                            vec![
                                s(&r["connection_name"]),
                                s(&r["owner"]),
                                s(&r["user"]),
                                r["permissions"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .map(s)
                                    .collect::<Vec<_>>()
                                    .join(","),
                            ]
                        })
                        .collect();
                    table(&["Connection", "Owner", "User", "Permissions"], &rows);
                }
                Ok(0)
            }
            ComplianceReport::SharedFolderReport { node, conn } => {
                let c = Client::new(&conn);
                let q = node
                    .map(|n| format!("?node={}", enc(&n)))
                    .unwrap_or_default();
                let v = c
                    .call(
                        Method::GET,
                        &format!("/api/access/compliance/shared-folders{q}"),
                        None,
                    )
                    .await?;
                print_value(format, &v);
                Ok(0)
            }
        },
        AccessCommand::Trash(a) => trash(a.op, format).await,
    }
}

fn print_bulk(format: Format, v: &Value, verb: &str) {
    if format == Format::Json {
        println!("{v}");
        return;
    }
    let rows: Vec<Vec<String>> = v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| vec![s(&r["connection"]), s(&r["status"])])
        .collect();
    table(&["Connection", "Status"], &rows);
    let total = v["total"].as_u64().unwrap_or(0);
    let ok = v["successful"].as_u64().unwrap_or(0);
    if ok == total {
        println!("{ok} of {total} {verb}");
    } else {
        println!("{ok} of {total} {verb}, {} failed", total - ok);
    }
}

async fn role(a: RoleArgs, format: Format) -> R<i32> {
    let c = Client::new(&a.conn);
    let changes = a.add
        || a.delete
        || a.name.is_some()
        || a.new_user.is_some()
        || !a.add_user.is_empty()
        || !a.remove_user.is_empty()
        || !a.add_admin.is_empty()
        || !a.remove_admin.is_empty()
        || a.cascade.is_some()
        || !a.add_privilege.is_empty()
        || !a.remove_privilege.is_empty();
    if !changes {
        for r in &a.roles {
            let v = c
                .call(Method::GET, &format!("/api/access/roles/{}", enc(r)), None)
                .await?;
            print_value(format, &v);
        }
        return Ok(0);
    }
    for r in &a.roles {
        let base = format!("/api/access/roles/{}", enc(r));
        if a.add {
            let home = a.node.clone().ok_or_else(|| {
                Failure::Denied(ReasonCode::NodeRequired, "--add needs --node HOME".into())
            })?;
            let o = c
                .call(
                    Method::POST,
                    "/api/access/roles",
                    Some(json!({"name": r, "home_node": home, "new_user": a.new_user.is_some_and(OnOff::b)})),
                )
                .await?;
            print_outcome(format, &format!("role {r}"), &o);
        } else if a.name.is_some() || a.new_user.is_some() {
            let o = c
                .call(
                    Method::PATCH,
                    &base,
                    Some(json!({"name": a.name, "new_user": a.new_user.map(OnOff::b)})),
                )
                .await?;
            print_outcome(format, &format!("role {r}"), &o);
        }
        for u in &a.add_user {
            let o = c
                .call(Method::PUT, &format!("{base}/members/{}", enc(u)), None)
                .await?;
            print_outcome(format, &format!("role {r} + {u}"), &o);
        }
        for u in &a.remove_user {
            let o = c
                .call(Method::DELETE, &format!("{base}/members/{}", enc(u)), None)
                .await?;
            print_outcome(format, &format!("role {r} - {u}"), &o);
        }
        let mut entries: Vec<&String> = a.add_admin.iter().collect();
        if entries.is_empty() && a.cascade.is_some() {
            // `--cascade` alone changes the entry of `--node`.
            entries.extend(a.node.iter());
        }
        for n in entries {
            let o = c
                .call(
                    Method::PUT,
                    &format!("{base}/nodes/{}", enc(n)),
                    Some(json!({"cascade": a.cascade.map(OnOff::b)})),
                )
                .await?;
            print_outcome(format, &format!("role {r} manages {n}"), &o);
        }
        for n in &a.remove_admin {
            let o = c
                .call(Method::DELETE, &format!("{base}/nodes/{}", enc(n)), None)
                .await?;
            print_outcome(format, &format!("role {r} no longer manages {n}"), &o);
        }
        if !a.add_privilege.is_empty() || !a.remove_privilege.is_empty() {
            let o = c
                .call(
                    Method::POST,
                    &format!("{base}/privileges"),
                    Some(json!({"node": a.node, "add": a.add_privilege, "remove": a.remove_privilege})),
                )
                .await?;
            print_outcome(format, &format!("role {r} privileges"), &o);
        }
        if a.delete {
            let o = c.call(Method::DELETE, &base, None).await?;
            print_outcome(format, &format!("role {r} deleted"), &o);
        }
    }
    Ok(0)
}

async fn share_folder(a: ShareFolderArgs, format: Format) -> R<i32> {
    let c = Client::new(&a.conn);
    if (a.can_edit.is_some() || a.can_share.is_some()) && a.records.is_empty() {
        return Err(Failure::Denied(
            ReasonCode::RecordTargetRequired,
            "-d/-s need a record target (-r)".into(),
        ));
    }
    for f in &a.folders {
        let f = c.folder(f).await?;
        let base = format!("/api/access/folders/{}", enc(&f));
        let mut emails = a.emails.clone();
        let mut records = a.records.clone();
        if emails.iter().any(|e| e == "@existing") || records.iter().any(|r| r == "@existing") {
            let v = c.call(Method::GET, &base, None).await?;
            let me = c.call(Method::GET, "/api/me", None).await?;
            let my_email = me["email"].as_str().unwrap_or_default().to_owned();
            if emails.iter().any(|e| e == "@existing") {
                emails.retain(|e| e != "@existing");
                emails.extend(
                    v["members"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m["email"].as_str())
                        .filter(|e| *e != my_email)
                        .map(str::to_owned),
                );
            }
            if records.iter().any(|r| r == "@existing") {
                records.retain(|r| r != "@existing");
                records.extend(
                    v["records"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r["connection"].as_str())
                        .map(str::to_owned),
                );
            }
        }
        for e in &emails {
            let o = if e == "*" {
                c.call(
                    Method::PATCH,
                    &format!("{base}/defaults"),
                    Some(json!({"manage_users": a.manage_users.map(OnOff::b),
                                "manage_records": a.manage_records.map(OnOff::b)})),
                )
                .await?
            } else if a.action == FolderAction::Remove {
                let q = a
                    .new_owner
                    .as_ref()
                    .map(|n| format!("?new_owner={}", enc(n)))
                    .unwrap_or_default();
                c.call(
                    Method::DELETE,
                    &format!("{base}/members/{}{q}", enc(e)),
                    None,
                )
                .await?
            } else {
                c.call(
                    Method::PUT,
                    &format!("{base}/members/{}", enc(e)),
                    Some(json!({"manage_users": a.manage_users.map(OnOff::b),
                                "manage_records": a.manage_records.map(OnOff::b)})),
                )
                .await?
            };
            print_outcome(format, &format!("{f} {e}"), &o);
        }
        for r in &records {
            let o = if r == "*" {
                c.call(
                    Method::PATCH,
                    &format!("{base}/defaults"),
                    Some(json!({"can_edit": a.can_edit.map(OnOff::b),
                                "can_share": a.can_share.map(OnOff::b)})),
                )
                .await?
            } else {
                let conn = c.connection(r).await?;
                if a.action == FolderAction::Remove {
                    c.call(
                        Method::DELETE,
                        &format!("{base}/records/{}", enc(&conn)),
                        None,
                    )
                    .await?
                } else {
                    // Named connections must already be in the folder (R19).
                    let v = c.call(Method::GET, &base, None).await?;
                    let placed = v["records"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|x| x["connection"].as_str() == Some(conn.as_str()));
                    if !placed {
                        return Err(Failure::Denied(
                            ReasonCode::RecordNotInFolder,
                            format!("{r} is not in that folder"),
                        ));
                    }
                    c.call(
                        Method::PUT,
                        &format!("{base}/records/{}", enc(&conn)),
                        Some(json!({"can_edit": a.can_edit.map(OnOff::b),
                                    "can_share": a.can_share.map(OnOff::b)})),
                    )
                    .await?
                }
            };
            print_outcome(format, &format!("{f} {r}"), &o);
        }
    }
    Ok(0)
}

async fn share_record(a: ShareRecordArgs, format: Format) -> R<i32> {
    let c = Client::new(&a.conn);
    if a.action == RecordAction::Cancel {
        for e in &a.emails {
            let o = c
                .call(
                    Method::POST,
                    "/api/access/cancel-shares",
                    Some(json!({"user": e})),
                )
                .await?;
            print_outcome(format, &format!("cancel {e}"), &o);
        }
        return Ok(0);
    }
    let target = a
        .connection
        .clone()
        .ok_or_else(|| Failure::Usage("name a connection (or a folder with -R)".into()))?;
    let conns: Vec<String> = if a.recursive {
        let f = c.folder(&target).await?;
        let v = c
            .call(
                Method::GET,
                &format!("/api/access/folders/{}", enc(&f)),
                None,
            )
            .await?;
        v["records"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["connection"].as_str().map(str::to_owned))
            .collect()
    } else {
        vec![c.connection(&target).await?]
    };
    if a.action == RecordAction::Owner {
        if a.emails.len() != 1 {
            return Err(Failure::Denied(
                ReasonCode::ExpectsSingleTarget,
                "exactly one -e is expected".into(),
            ));
        }
        let v = c
            .call(
                Method::POST,
                "/api/access/transfers",
                Some(json!({"connections": conns, "to": a.emails[0]})),
            )
            .await?;
        if !a.recursive && conns.len() == 1 {
            // A single transfer reports like any single command.
            if let Some(status) = v["results"][0]["status"].as_str() {
                if status != "ok" {
                    let r: ReasonCode = serde_json::from_value(json!(status))
                        .map_err(|_| Failure::Other(format!("unexpected status {status}")))?;
                    return Err(Failure::Denied(r, r.message().into()));
                }
            }
        }
        print_bulk(format, &v, "transferred");
        return Ok(i32::from(v["ok"] != json!(true)));
    }
    for conn in &conns {
        for e in &a.emails {
            let path = format!("/api/access/connections/{}/grants/{}", enc(conn), enc(e));
            let o = if a.action == RecordAction::Revoke {
                let mut q = Vec::new();
                if a.write {
                    q.push("can_edit=true");
                }
                if a.share {
                    q.push("can_share=true");
                }
                let q = if q.is_empty() {
                    String::new()
                } else {
                    format!("?{}", q.join("&"))
                };
                c.call(Method::DELETE, &format!("{path}{q}"), None).await?
            } else {
                let mut body = serde_json::Map::new();
                if a.write {
                    body.insert("can_edit".into(), json!(true));
                }
                if a.share {
                    body.insert("can_share".into(), json!(true));
                }
                c.call(Method::PUT, &path, Some(Value::Object(body)))
                    .await?
            };
            print_outcome(format, &format!("{conn} {e}"), &o);
        }
    }
    Ok(0)
}

async fn record_permission(a: RecordPermissionArgs, format: Format) -> R<i32> {
    let c = Client::new(&a.conn);
    if !a.can_edit && !a.can_share {
        return Err(Failure::Usage("name at least one of -d / -s".into()));
    }
    let both = !a.share_folder && !a.share_record;
    let grant = a.action == GrantRevoke::Grant;
    let f = c.folder(&a.folder).await?;
    let v = c
        .call(
            Method::GET,
            &format!("/api/access/folders/{}", enc(&f)),
            None,
        )
        .await?;
    let mut results = Vec::new();
    for r in v["records"].as_array().into_iter().flatten() {
        let Some(conn) = r["connection"].as_str() else {
            continue;
        };
        if a.share_folder || both {
            let mut body = serde_json::Map::new();
            if a.can_edit {
                body.insert("can_edit".into(), json!(grant));
            }
            if a.can_share {
                body.insert("can_share".into(), json!(grant));
            }
            let res = c
                .call(
                    Method::PUT,
                    &format!("/api/access/folders/{}/records/{}", enc(&f), enc(conn)),
                    Some(Value::Object(body)),
                )
                .await;
            results.push(item(conn, "placement", res)?);
        }
        if a.share_record || both {
            let cv = c
                .call(
                    Method::GET,
                    &format!("/api/access/connections/{}", enc(conn)),
                    None,
                )
                .await;
            let grants: Vec<String> = match &cv {
                Ok(cv) => cv["grants"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g["email"].as_str().or(g["user"].as_str()))
                    .map(str::to_owned)
                    .collect(),
                Err(_) => Vec::new(),
            };
            for g in grants {
                let path = format!("/api/access/connections/{}/grants/{}", enc(conn), enc(&g));
                let res = if grant {
                    let mut body = serde_json::Map::new();
                    if a.can_edit {
                        body.insert("can_edit".into(), json!(true));
                    }
                    if a.can_share {
                        body.insert("can_share".into(), json!(true));
                    }
                    c.call(Method::PUT, &path, Some(Value::Object(body))).await
                } else {
                    let mut q = Vec::new();
                    if a.can_edit {
                        q.push("can_edit=true");
                    }
                    if a.can_share {
                        q.push("can_share=true");
                    }
                    c.call(Method::DELETE, &format!("{path}?{}", q.join("&")), None)
                        .await
                };
                results.push(item(conn, &format!("grant {g}"), res)?);
            }
        }
    }
    let failed = results.iter().filter(|r| r["status"] != "ok").count();
    let total = results.len();
    let v = json!({"ok": failed == 0, "total": total, "successful": total - failed,
                   "failed": failed, "results": results});
    if format == Format::Json {
        println!("{v}");
    } else {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| vec![s(&r["connection"]), s(&r["item"]), s(&r["status"])])
            .collect();
        table(&["Connection", "Item", "Status"], &rows);
        println!("{} of {total} changed, {failed} skipped", total - failed);
    }
    Ok(i32::from(failed > 0))
}

fn item(conn: &str, what: &str, res: R<Value>) -> R<Value> {
    match res {
        Ok(_) => Ok(json!({"connection": conn, "item": what, "status": "ok"})),
        Err(Failure::Denied(r, _)) => {
            Ok(json!({"connection": conn, "item": what, "status": r.as_str()}))
        }
        Err(e) => Err(e),
    }
}

async fn trash(op: TrashOp, format: Format) -> R<i32> {
    match op {
        TrashOp::List { conn } => {
            let c = Client::new(&conn);
            let v = c.call(Method::GET, "/api/access/trash", None).await?;
            if format == Format::Json {
                println!("{v}");
            } else {
                let rows: Vec<Vec<String>> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| vec![s(&x["id"]), s(&x["name"])])
                    .collect();
                table(&["Connection", "Name"], &rows);
            }
            Ok(0)
        }
        TrashOp::Get { connection, conn } => {
            let c = Client::new(&conn);
            let v = c
                .call(
                    Method::GET,
                    &format!("/api/access/trash/{}", enc(&connection)),
                    None,
                )
                .await?;
            print_value(format, &v);
            Ok(0)
        }
        TrashOp::Restore { connections, conn } => {
            let c = Client::new(&conn);
            for x in &connections {
                let o = c
                    .call(
                        Method::POST,
                        &format!("/api/access/trash/{}/restore", enc(x)),
                        None,
                    )
                    .await?;
                print_outcome(format, &format!("restore {x}"), &o);
            }
            Ok(0)
        }
        TrashOp::Unshare { connections, conn } => {
            let c = Client::new(&conn);
            for x in &connections {
                let o = c
                    .call(
                        Method::POST,
                        &format!("/api/access/trash/{}/unshare", enc(x)),
                        None,
                    )
                    .await?;
                print_outcome(format, &format!("unshare {x}"), &o);
            }
            Ok(0)
        }
        TrashOp::Purge { connections, conn } => {
            let c = Client::new(&conn);
            let ids: Vec<String> = if connections.is_empty() {
                let v = c.call(Method::GET, "/api/access/trash", None).await?;
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x["id"].as_str().map(str::to_owned))
                    .collect()
            } else {
                connections
            };
            for x in &ids {
                let o = c
                    .call(
                        Method::DELETE,
                        &format!("/api/access/trash/{}", enc(x)),
                        None,
                    )
                    .await?;
                print_outcome(format, &format!("purge {x}"), &o);
            }
            Ok(0)
        }
    }
}

/// The profiles of connection `c` (id or name): (connection id, profiles).
async fn profiles_of(c: &Client, conn: &str) -> R<(String, Vec<Value>)> {
    let id = c.connection(conn).await?;
    let v = c
        .call(
            Method::GET,
            &format!("/api/connections/{}/sharing-profiles", enc(&id)),
            None,
        )
        .await?;
    Ok((id, v.as_array().cloned().unwrap_or_default()))
}

async fn profiles(op: ProfileOp, format: Format) -> R<i32> {
    match op {
        ProfileOp::List { connection, conn } => {
            let c = Client::new(&conn);
            let (_, list) = profiles_of(&c, &connection).await?;
            if format == Format::Json {
                println!("{}", Value::Array(list));
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|p| vec![s(&p["id"]), s(&p["name"]), s(&p["read_only"])])
                    .collect();
                table(&["Profile", "Name", "Read-only"], &rows);
            }
            Ok(0)
        }
        ProfileOp::Add {
            connection,
            name,
            read_only,
            conn,
        } => {
            let c = Client::new(&conn);
            let id = c.connection(&connection).await?;
            let v = c
                .call(
                    Method::POST,
                    &format!("/api/connections/{}/sharing-profiles", enc(&id)),
                    Some(json!({"name": name, "read_only": read_only})),
                )
                .await?;
            if format == Format::Json {
                println!("{v}");
            } else {
                println!("profile {}: {}", s(&v["name"]), s(&v["id"]));
            }
            Ok(0)
        }
        ProfileOp::Delete {
            connection,
            profile,
            conn,
        } => {
            let c = Client::new(&conn);
            let (_, list) = profiles_of(&c, &connection).await?;
            let id = list
                .iter()
                .find(|p| p["id"] == json!(profile) || p["name"] == json!(profile))
                .and_then(|p| p["id"].as_str())
                .unwrap_or(&profile)
                .to_owned();
            c.call(
                Method::DELETE,
                &format!("/api/sharing-profiles/{}", enc(&id)),
                None,
            )
            .await?;
            if format == Format::Json {
                println!("{}", json!({"ok": true}));
            } else {
                println!("profile {profile}: deleted");
            }
            Ok(0)
        }
    }
}

async fn share_link(op: LinkOp, format: Format) -> R<i32> {
    match op {
        LinkOp::Create {
            session,
            profile,
            conn,
        } => {
            let c = Client::new(&conn);
            let sess = c
                .call(
                    Method::GET,
                    &format!("/api/sessions/{}", enc(&session)),
                    None,
                )
                .await?;
            let connection = sess["connection_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let (_, list) = profiles_of(&c, &connection).await?;
            let profile_id = match &profile {
                Some(p) => list
                    .iter()
                    .find(|x| x["id"] == json!(p) || x["name"] == json!(p))
                    .and_then(|x| x["id"].as_str())
                    .unwrap_or(p)
                    .to_owned(),
                None => match list.as_slice() {
                    [] => {
                        return Err(Failure::Denied(
                            ReasonCode::NoSharingProfile,
                            ReasonCode::NoSharingProfile.message().into(),
                        ))
                    }
                    [one] => one["id"].as_str().unwrap_or_default().to_owned(),
                    _ => {
                        return Err(Failure::Denied(
                            ReasonCode::ProfileRequired,
                            ReasonCode::ProfileRequired.message().into(),
                        ))
                    }
                },
            };
            let v = c
                .call(
                    Method::POST,
                    &format!("/api/sessions/{}/links", enc(&session)),
                    Some(json!({"profile_id": profile_id})),
                )
                .await?;
            if format == Format::Json {
                println!("{v}");
            } else {
                println!("{}", s(&v["url"]));
            }
            Ok(0)
        }
        LinkOp::Revoke { link, conn } => {
            let c = Client::new(&conn);
            let sessions = c.call(Method::GET, "/api/sessions", None).await?;
            for sess in sessions.as_array().into_iter().flatten() {
                let id = sess["id"].as_str().unwrap_or_default();
                let has = sess["links"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|l| l["id"] == json!(link));
                if has {
                    c.call(
                        Method::DELETE,
                        &format!("/api/sessions/{}/links/{}", enc(id), enc(&link)),
                        None,
                    )
                    .await?;
                    if format == Format::Json {
                        println!("{}", json!({"ok": true}));
                    } else {
                        println!("link {link}: revoked");
                    }
                    return Ok(0);
                }
            }
            Err(Failure::Denied(
                ReasonCode::NotFound,
                ReasonCode::NotFound.message().into(),
            ))
        }
    }
}
