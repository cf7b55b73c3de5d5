-- The access model of share-admin.md: user status, roles with managed nodes and
-- privileges, folders with members, defaults and placements, connection state (trash) and
-- private placement, direct grants. Engine: crate `porthole-access` (access/), whose
-- `rows` module has one struct per table below and whose `Change` enum one variant per
-- statement the gateway runs.
--
-- Portable SQL, as in 0001/0002: TEXT ids, BIGINT milliseconds and 0/1 flags; every
-- statement runs unchanged on SQLite and PostgreSQL. Share Admin rights are computed, never
-- stored (R33): no table below has a column for them.

-- Users: active | invited | locked. `disabled` is superseded by `status = 'locked'`.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
UPDATE users SET status = 'locked' WHERE disabled = 1;
CREATE INDEX users_enterprise ON users(enterprise_id);
CREATE INDEX users_node ON users(node_id);

-- Exactly one root per enterprise (1.1); children by parent.
CREATE UNIQUE INDEX nodes_one_root ON nodes(enterprise_id) WHERE parent_id IS NULL;
CREATE INDEX nodes_parent ON nodes(parent_id);

-- Roles (1.3). `default_admin` marks the `Administrator` role created with the
-- enterprise (1.4, R6); `new_user` is `--new-user on|off`.
CREATE TABLE roles (
    id             TEXT PRIMARY KEY,
    enterprise_id  TEXT NOT NULL REFERENCES enterprises(id),
    name           TEXT NOT NULL,
    home_node_id   TEXT NOT NULL REFERENCES nodes(id),
    new_user       BIGINT NOT NULL DEFAULT 0,
    default_admin  BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles(enterprise_id, LOWER(name));

-- Direct members of a role.
CREATE TABLE role_members (
    role_id   TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (role_id, user_id)
);
CREATE INDEX role_members_user ON role_members(user_id);

-- Managed-node entries {node, cascade, privileges} (1.3): the entry ...
CREATE TABLE role_managed_nodes (
    role_id   TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    node_id   TEXT NOT NULL REFERENCES nodes(id),
    cascades  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (role_id, node_id)
);
CREATE INDEX role_managed_nodes_node ON role_managed_nodes(node_id);

-- ... and its privileges, lower-case names (`sharing_administrator`, ...).
CREATE TABLE role_privileges (
    role_id    TEXT NOT NULL,
    node_id    TEXT NOT NULL,
    privilege  TEXT NOT NULL,
    PRIMARY KEY (role_id, node_id, privilege),
    FOREIGN KEY (role_id, node_id) REFERENCES role_managed_nodes(role_id, node_id) ON DELETE CASCADE
);

-- Folders (1.5). The owner is always a member (with both flags, in folder_members).
CREATE TABLE folders (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    owner_id                TEXT NOT NULL REFERENCES users(id),
    default_manage_users    BIGINT NOT NULL DEFAULT 0,
    default_manage_records  BIGINT NOT NULL DEFAULT 0,
    default_can_edit        BIGINT NOT NULL DEFAULT 0,
    default_can_share       BIGINT NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE INDEX folders_owner ON folders(owner_id);

-- Members with their stored flags.
CREATE TABLE folder_members (
    folder_id       TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id),
    manage_users    BIGINT NOT NULL DEFAULT 0,
    manage_records  BIGINT NOT NULL DEFAULT 0,
    added_at        BIGINT NOT NULL,
    PRIMARY KEY (folder_id, user_id)
);
CREATE INDEX folder_members_user ON folder_members(user_id);

-- Placements: one per (folder, connection), same flags for every member.
CREATE TABLE folder_records (
    folder_id      TEXT NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    connection_id  TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    can_edit       BIGINT NOT NULL DEFAULT 0,
    can_share      BIGINT NOT NULL DEFAULT 0,
    added_at       BIGINT NOT NULL,
    PRIMARY KEY (folder_id, connection_id)
);
CREATE INDEX folder_records_connection ON folder_records(connection_id);

-- Connections (1.6): live | trashed (the owner's trash, 1.8), and whether the owner keeps
-- it in their private area. Existing connections stay visible to their owners.
ALTER TABLE connections ADD COLUMN state TEXT NOT NULL DEFAULT 'live';
ALTER TABLE connections ADD COLUMN is_private BIGINT NOT NULL DEFAULT 1;
ALTER TABLE connections ADD COLUMN trashed_at BIGINT;
CREATE INDEX connections_owner_state ON connections(owner_id, state);
-- Every connection has exactly one owner: give ownerless ones to the first administrator.
UPDATE connections
   SET owner_id = (SELECT id FROM users WHERE is_admin = 1 ORDER BY created_at, id LIMIT 1)
 WHERE owner_id IS NULL;

-- Direct grants (never to the owner). They stay, dormant, while the connection is trashed.
CREATE TABLE connection_grants (
    connection_id  TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id),
    can_edit       BIGINT NOT NULL DEFAULT 0,
    can_share      BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (connection_id, user_id)
);
CREATE INDEX connection_grants_user ON connection_grants(user_id);
