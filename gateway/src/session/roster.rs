//! Notices for the originator: `msg` join/leave instructions and the roster.
//!
//! * `msg,1,<attachment id>,<name>` / `msg,2,…` — Guacamole 1.5 join/leave notices
//!   (guacamole-wire.md §3.1, §7); the name is empty for an anonymous viewer, which stock
//!   clients show as "An anonymous user". Ids are unique per attachment and every join
//!   has exactly one matching leave.
//! * `porthole-roster,<json>` — the full list of other users with their connection
//!   counts, sent when the originator attaches and after every change, so a reloaded
//!   page shows the right count at once. Stock clients ignore unknown opcodes. The JSON
//!   is `{"count": <attachments>, "users": [{"name": "alice", "anonymous": false,
//!   "connections": 2}, {"name": "Anonymous", "anonymous": true, "connections": 1}]}`,
//!   users sorted by name, anonymous last.

use super::Viewer;
use bytes::Bytes;
use porthole_protocol::encode_to_bytes;
use serde::Serialize;
use std::collections::BTreeMap;

/// The opcode of the roster instruction.
pub const ROSTER_OPCODE: &str = "porthole-roster";

/// One line of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterUser {
    pub name: String,
    pub anonymous: bool,
    pub connections: usize,
}

/// The roster of a set of viewers.
pub fn users<'a>(viewers: impl Iterator<Item = &'a Viewer>) -> Vec<RosterUser> {
    let mut named: BTreeMap<String, usize> = BTreeMap::new();
    let mut anonymous = 0usize;
    for v in viewers {
        match &v.name {
            Some(n) => *named.entry(n.clone()).or_default() += 1,
            None => anonymous += 1,
        }
    }
    let mut out: Vec<RosterUser> = named
        .into_iter()
        .map(|(name, connections)| RosterUser {
            name,
            anonymous: false,
            connections,
        })
        .collect();
    if anonymous > 0 {
        out.push(RosterUser {
            name: "Anonymous".into(),
            anonymous: true,
            connections: anonymous,
        });
    }
    out
}

/// The roster instruction.
pub fn encode<'a>(viewers: impl Iterator<Item = &'a Viewer>) -> Bytes {
    let users = users(viewers);
    let count: usize = users.iter().map(|u| u.connections).sum();
    let json = serde_json::json!({ "count": count, "users": users }).to_string();
    encode_to_bytes(ROSTER_OPCODE, &[json.as_str()])
}

/// `msg,1,<id>,<name>`
pub fn joined(id: &str, name: &str) -> Bytes {
    encode_to_bytes("msg", &["1", id, name])
}

/// `msg,2,<id>,<name>`
pub fn left(id: &str, name: &str) -> Bytes {
    encode_to_bytes("msg", &["2", id, name])
}
