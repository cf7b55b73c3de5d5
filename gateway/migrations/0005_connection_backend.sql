-- Which back end serves a connection: 'guacd' (a guacd daemon) or 'builtin' (Porthole's
-- own VNC client, no guacd).
ALTER TABLE connections ADD COLUMN backend TEXT NOT NULL DEFAULT 'guacd';
