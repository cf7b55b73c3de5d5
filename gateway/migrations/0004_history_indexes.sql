-- Non-administrators list only their own sessions: index the filter.
CREATE INDEX session_history_user ON session_history(user_id, started_at);
