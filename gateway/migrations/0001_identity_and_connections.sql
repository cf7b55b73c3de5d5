-- Identity and connection definitions.
--
-- Portable SQL: every statement here runs unchanged on SQLite and PostgreSQL.
-- Identifiers are text UUIDs, times are BIGINT milliseconds since the Unix epoch, and
-- booleans are BIGINT 0/1, so the same queries and the same row types work on both.
--
-- The identity tables are laid out for the access model of share-admin.md §1: users
-- are identified by email and belong to an enterprise node (or to none: a consumer).

CREATE TABLE enterprises (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE nodes (
    id             TEXT PRIMARY KEY,
    enterprise_id  TEXT NOT NULL REFERENCES enterprises(id),
    parent_id      TEXT REFERENCES nodes(id),
    name           TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (enterprise_id, parent_id, name)
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    -- Lower-cased email: the identity users are known by.
    email          TEXT NOT NULL UNIQUE,
    -- Short sign-in name (defaults to the email's local part); also unique.
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    -- argon2id PHC string; NULL for users who cannot sign in with a password.
    password_hash  TEXT,
    -- NULL enterprise/node: a consumer account outside any enterprise.
    enterprise_id  TEXT REFERENCES enterprises(id),
    node_id        TEXT REFERENCES nodes(id),
    -- Gateway administrator (manages connections and all sessions). The finer access
    -- model (roles, privileges) arrives in later migrations beside this flag.
    is_admin       BIGINT NOT NULL DEFAULT 0,
    disabled       BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

CREATE TABLE auth_tokens (
    id            TEXT PRIMARY KEY,
    -- SHA-256 of the bearer token, hex. The token itself is never stored.
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    remote_addr   TEXT
);
CREATE INDEX auth_tokens_user ON auth_tokens(user_id);

CREATE TABLE connections (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    protocol       TEXT NOT NULL,
    -- JSON object of guacd parameter name -> value.
    parameters     TEXT NOT NULL,
    -- guacd to use for this connection; NULL: the configured default.
    guacd_host     TEXT,
    guacd_port     BIGINT,
    guacd_tls      BIGINT,
    owner_id       TEXT REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX connections_owner ON connections(owner_id);
