-- Sharing profiles, share links, session history and the audit trail.
-- Portable SQL, as in 0001: TEXT ids, BIGINT milliseconds and 0/1 flags.

CREATE TABLE sharing_profiles (
    id             TEXT PRIMARY KEY,
    connection_id  TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    read_only      BIGINT NOT NULL,
    -- JSON object: guacd parameters applied to joiners (e.g. read-only).
    parameters     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (connection_id, name)
);

-- A share link lives only as long as its session; rows are kept for the audit trail.
CREATE TABLE share_links (
    id             TEXT PRIMARY KEY,
    -- SHA-256 of the 256-bit key, hex. The key itself is never stored.
    key_hash       TEXT NOT NULL UNIQUE,
    session_id     TEXT NOT NULL,
    connection_id  TEXT NOT NULL,
    profile_id     TEXT NOT NULL,
    profile_name   TEXT NOT NULL,
    read_only      BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT,
    max_uses       BIGINT,
    uses           BIGINT NOT NULL DEFAULT 0,
    ended_at       BIGINT,
    -- revoked | session-ended | profile-deleted | expired | used-up
    end_reason     TEXT
);
CREATE INDEX share_links_session ON share_links(session_id);

-- One row per session (the originator's connection), kept after it ends.
CREATE TABLE session_history (
    id               TEXT PRIMARY KEY,
    connection_id    TEXT NOT NULL,
    connection_name  TEXT NOT NULL,
    protocol         TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    username         TEXT NOT NULL,
    remote_addr      TEXT NOT NULL,
    started_at       BIGINT NOT NULL,
    ended_at         BIGINT,
    end_status       BIGINT,
    end_reason       TEXT
);
CREATE INDEX session_history_started ON session_history(started_at);

-- Everyone who joined a session other than its originator.
CREATE TABLE session_participants (
    id            TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL,
    -- link | admin-watch | admin-join | originator-reconnect
    kind          TEXT NOT NULL,
    link_id       TEXT,
    profile_id    TEXT,
    profile_name  TEXT,
    user_id       TEXT,
    -- The username, or 'Anonymous'.
    name          TEXT NOT NULL,
    read_only     BIGINT NOT NULL,
    remote_addr   TEXT NOT NULL,
    joined_at     BIGINT NOT NULL,
    left_at       BIGINT,
    leave_reason  TEXT
);
CREATE INDEX session_participants_session ON session_participants(session_id);

-- Every attempted change, allowed or denied, with the authority that decided it.
CREATE TABLE audit_events (
    id             TEXT PRIMARY KEY,
    at             BIGINT NOT NULL,
    actor_user_id  TEXT,
    -- Username, 'Anonymous', or 'system'.
    actor_name     TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_type    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    -- allowed | denied
    outcome        TEXT NOT NULL,
    -- Which rule or role allowed it, or the reason it was denied.
    authority      TEXT NOT NULL,
    -- JSON object with details.
    detail         TEXT NOT NULL,
    remote_addr    TEXT
);
CREATE INDEX audit_events_at ON audit_events(at);
