//! CLI-shaped requests (§6) expanded into atomic [`Command`]s, and the bulk transfer of
//! R26. The CLI and REST layers parse arguments into these structs; each resulting
//! command is applied (and reported) on its own.

use crate::apply::{apply, Cx};
use crate::command::{Command, Outcome};
use crate::model::Id;
use crate::reason::ReasonCode;
use crate::snapshot::Snapshot;
use serde::Serialize;

/// `-a grant|remove` of `share-folder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FolderAction {
    #[default]
    Grant,
    Remove,
}

/// `share-folder FOLDER... [-a] [-e]... [-o] [-p] [-r]... [-d] [-s] [--new-owner]` (§6.3).
/// `-e`/`-r` values may be an email / connection id, `@existing` or `*`.
#[derive(Debug, Clone, Default)]
pub struct ShareFolderArgs {
    pub folders: Vec<Id>,
    pub action: FolderAction,
    pub emails: Vec<String>,
    pub manage_users: Option<bool>,
    pub manage_records: Option<bool>,
    pub records: Vec<String>,
    pub can_edit: Option<bool>,
    pub can_share: Option<bool>,
    pub new_owner: Option<String>,
}

/// Expands `share-folder` (§6.3): `-e EMAIL` → R10/R11 (grant) or R12 (remove);
/// `-e '*' -o/-p` and `-r '*' -d/-s` → R18; `-r C -d/-s` → R19; `-a remove -r C` →
/// unlink (R15). `@existing` expands to every member except the actor, or every
/// placement. `-d/-s` without `-r` is `record_target_required`; folders the actor is not a
/// member of are `not_found`.
pub fn share_folder(
    s: &Snapshot,
    actor: &str,
    a: &ShareFolderArgs,
) -> Result<Vec<Command>, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let folders = a
        .folders
        .iter()
        .map(|f| cx.folder(f))
        .collect::<Result<Vec<_>, _>>()?;
    if (a.can_edit.is_some() || a.can_share.is_some()) && a.records.is_empty() {
        return Err(ReasonCode::RecordTargetRequired);
    }
    let mut out = Vec::new();
    for f in folders {
        for e in &a.emails {
            let users: Vec<String> = match e.as_str() {
                "*" => {
                    out.push(Command::SetFolderDefaults {
                        folder: f.id.clone(),
                        manage_users: a.manage_users,
                        manage_records: a.manage_records,
                        can_edit: None,
                        can_share: None,
                    });
                    continue;
                }
                "@existing" => f
                    .members
                    .keys()
                    .filter(|u| u.as_str() != cx.actor)
                    .cloned()
                    .collect(),
                other => vec![other.to_owned()],
            };
            for u in users {
                out.push(match a.action {
                    FolderAction::Grant => Command::ShareFolderUser {
                        folder: f.id.clone(),
                        user: u,
                        manage_users: a.manage_users,
                        manage_records: a.manage_records,
                    },
                    FolderAction::Remove => Command::RemoveFolderUser {
                        folder: f.id.clone(),
                        user: u,
                        new_owner: a.new_owner.clone(),
                    },
                });
            }
        }
        for r in &a.records {
            let conns: Vec<String> = match r.as_str() {
                "*" => {
                    out.push(Command::SetFolderDefaults {
                        folder: f.id.clone(),
                        manage_users: None,
                        manage_records: None,
                        can_edit: a.can_edit,
                        can_share: a.can_share,
                    });
                    continue;
                }
                "@existing" => f.records.keys().cloned().collect(),
                other => vec![other.to_owned()],
            };
            for c in conns {
                out.push(match a.action {
                    FolderAction::Grant => Command::SetPlacementFlags {
                        folder: f.id.clone(),
                        connection: c,
                        can_edit: a.can_edit,
                        can_share: a.can_share,
                    },
                    FolderAction::Remove => Command::UnlinkConnection {
                        connection: c,
                        folder: f.id.clone(),
                    },
                });
            }
        }
    }
    Ok(out)
}

/// `-a grant|revoke|owner|cancel` of `share-record`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordAction {
    #[default]
    Grant,
    Revoke,
    Owner,
    Cancel,
}

/// `share-record CONNECTION|FOLDER -e EMAIL... [-a] [-w] [-s] [-R]` (§6.4).
#[derive(Debug, Clone, Default)]
pub struct ShareRecordArgs {
    /// A connection id, or a folder id with `recursive`.
    pub target: Id,
    pub emails: Vec<String>,
    pub action: RecordAction,
    pub write: bool,
    pub share: bool,
    pub recursive: bool,
}

/// The connections of a folder the actor is a member of (`-R`, `transfer-record` of a
/// folder), by id.
pub fn folder_connections(s: &Snapshot, actor: &str, folder: &str) -> Result<Vec<Id>, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    Ok(cx.folder(folder)?.records.keys().cloned().collect())
}

/// Expands `share-record` (§6.4) into R20 / R24 commands. `-a owner` takes exactly one
/// `-e` (`expects_single_target`); without `-R` the target is a connection.
pub fn share_record(
    s: &Snapshot,
    actor: &str,
    a: &ShareRecordArgs,
) -> Result<Vec<Command>, ReasonCode> {
    if a.action == RecordAction::Owner && a.emails.len() != 1 {
        return Err(ReasonCode::ExpectsSingleTarget);
    }
    if a.action == RecordAction::Cancel {
        return Ok(a
            .emails
            .iter()
            .map(|e| Command::CancelShares { user: e.clone() })
            .collect());
    }
    let conns = if a.recursive {
        folder_connections(s, actor, &a.target)?
    } else {
        vec![a.target.clone()]
    };
    let mut out = Vec::new();
    for c in conns {
        for e in &a.emails {
            out.push(match a.action {
                RecordAction::Grant => Command::Grant {
                    connection: c.clone(),
                    user: e.clone(),
                    can_edit: a.write.then_some(true),
                    can_share: a.share.then_some(true),
                },
                RecordAction::Revoke => Command::Revoke {
                    connection: c.clone(),
                    user: e.clone(),
                    can_edit: a.write,
                    can_share: a.share,
                },
                RecordAction::Owner | RecordAction::Cancel => Command::Transfer {
                    connection: c.clone(),
                    user: e.clone(),
                },
            });
        }
    }
    Ok(out)
}

/// `record-permission FOLDER -a grant|revoke [-d] [-s] [--share-folder] [--share-record]`
/// (§6.6).
#[derive(Debug, Clone, Default)]
pub struct RecordPermissionArgs {
    pub folder: Id,
    pub grant: bool,
    pub can_edit: bool,
    pub can_share: bool,
    pub share_folder: bool,
    pub share_record: bool,
}

/// Expands `record-permission` into R19 (placement flags of every connection of the folder)
/// and R20 (their existing direct grants) commands; neither switch = both.
pub fn record_permission(
    s: &Snapshot,
    actor: &str,
    a: &RecordPermissionArgs,
) -> Result<Vec<Command>, ReasonCode> {
    let cx = Cx::new(s, actor)?;
    let f = cx.folder(&a.folder)?;
    let (sf, sr) = if !a.share_folder && !a.share_record {
        (true, true)
    } else {
        (a.share_folder, a.share_record)
    };
    let flag = |on: bool| on.then_some(a.grant);
    let mut out = Vec::new();
    for cid in f.records.keys() {
        if sf {
            out.push(Command::SetPlacementFlags {
                folder: f.id.clone(),
                connection: cid.clone(),
                can_edit: flag(a.can_edit),
                can_share: flag(a.can_share),
            });
        }
        if sr {
            if let Some(c) = s.connection(cid) {
                for u in c.grants.keys() {
                    out.push(if a.grant {
                        Command::Grant {
                            connection: cid.clone(),
                            user: u.clone(),
                            can_edit: flag(a.can_edit),
                            can_share: flag(a.can_share),
                        }
                    } else {
                        Command::Revoke {
                            connection: cid.clone(),
                            user: u.clone(),
                            can_edit: a.can_edit,
                            can_share: a.can_share,
                        }
                    });
                }
            }
        }
    }
    Ok(out)
}

/// One item of a bulk transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkItem {
    pub connection: Id,
    pub result: Result<Outcome, ReasonCode>,
}

/// R26: the per-connection result list of `transfer-record` (`{"ok", "total",
/// "successful", "failed", "results": [{"connection", "status"}]}` when serialised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkResult {
    pub items: Vec<BulkItem>,
}

impl BulkResult {
    /// Number of items.
    pub fn total(&self) -> usize {
        self.items.len()
    }
    /// Items that succeeded.
    pub fn successful(&self) -> usize {
        self.items.iter().filter(|i| i.result.is_ok()).count()
    }
    /// Items that failed.
    pub fn failed(&self) -> usize {
        self.total() - self.successful()
    }
    /// Every item succeeded?
    pub fn ok(&self) -> bool {
        self.failed() == 0
    }
    /// CLI exit code: 0 if every item succeeded, else 1.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.ok())
    }
}

impl Serialize for BulkResult {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(Serialize)]
        struct Row<'a> {
            connection: &'a str,
            status: &'a str,
        }
        let rows: Vec<Row<'_>> = self
            .items
            .iter()
            .map(|i| Row {
                connection: &i.connection,
                status: match &i.result {
                    Ok(_) => "ok",
                    Err(r) => r.as_str(),
                },
            })
            .collect();
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("ok", &self.ok())?;
        m.serialize_entry("total", &self.total())?;
        m.serialize_entry("successful", &self.successful())?;
        m.serialize_entry("failed", &self.failed())?;
        m.serialize_entry("results", &rows)?;
        m.end()
    }
}

/// R26: transfer each connection to `to` on its own (R24). A transfer changes only its
/// own connection, so every item is decided against `s`; a connection listed twice fails
/// the second time with `already_owner`. The caller commits each `Ok` item separately (a
/// failure never blocks another), or nothing for `--dry-run`.
pub fn transfer_bulk(s: &Snapshot, actor: &str, connections: &[Id], to: &str) -> BulkResult {
    let mut done: Vec<&str> = Vec::new();
    let items = connections
        .iter()
        .map(|c| {
            let result = if done.contains(&c.as_str()) {
                Err(ReasonCode::AlreadyOwner)
            } else {
                apply(
                    s,
                    actor,
                    &Command::Transfer {
                        connection: c.clone(),
                        user: to.to_owned(),
                    },
                )
            };
            if result.is_ok() {
                done.push(c);
            }
            BulkItem {
                connection: c.clone(),
                result,
            }
        })
        .collect();
    BulkResult { items }
}
