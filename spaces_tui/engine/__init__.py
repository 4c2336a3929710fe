"""The domain: resources, reservations, approvals, blackouts and events. Plain Python over
psycopg (spaces_tui.db.connection); the rules themselves live in sql/, and this layer turns
their answers into domain objects and domain exceptions. Never imports Textual."""
