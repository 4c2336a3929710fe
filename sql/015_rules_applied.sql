-- Which text of each sql/rules/ file the database holds: an upgrade applies a file again when
-- its checksum differs (spaces_tui/db/migrations/rules.py). Kept by the migrations alone, like
-- alembic_version.
CREATE TABLE spaces.rules_applied (
    file       text PRIMARY KEY,
    checksum   text NOT NULL,    -- sha256 of the file's text
    defines    text[] NOT NULL,  -- what it created: 'function spaces.f', 'trigger t on spaces.x'
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Roles given access before this revision may read it, as a grant made now lets them.
DO $$
DECLARE
    people text := (SELECT string_agg(quote_ident(a.name), ', ') FROM spaces.access a
                     WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name));
BEGIN
    IF people IS NOT NULL THEN
        EXECUTE 'GRANT SELECT ON spaces.rules_applied TO ' || people;
    END IF;
END
$$;
