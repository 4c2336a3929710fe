-- Interop: Spaces in other calendars and systems (#16). Tables only; what reads and writes
-- them lives in spaces_tui/engine/interop/.

-- This database's own identity, made once: an exported booking's UID is
-- reservation-<id>@<this id>, the same across exports and different from another Spaces
-- database's reservation with the same number. One row, never changed.
CREATE TABLE spaces.instance (
    id        uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
);
INSERT INTO spaces.instance DEFAULT VALUES;

-- Event relays: each delivers spaces.events, in id order, to one HTTP endpoint, and remembers
-- the last event id the endpoint acknowledged, so a restart resumes there and nothing is
-- skipped. Kept by whoever runs `spaces relay` (the owner): no member reads or writes them.
CREATE TABLE spaces.relays (
    name            text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    url             text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    topics          text[] NOT NULL DEFAULT '{}',  -- patterns; none: every topic
    delivered_id    bigint NOT NULL DEFAULT 0 CHECK (delivered_id >= 0),
    delivered_at    timestamptz,
    last_attempt_at timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Roles given access before this revision may read the instance's id (an export names it), as
-- a grant made now lets them.
DO $$
DECLARE
    people text := (SELECT string_agg(quote_ident(a.name), ', ') FROM spaces.access a
                     WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name));
BEGIN
    IF people IS NOT NULL THEN
        EXECUTE 'GRANT SELECT ON spaces.instance TO ' || people;
    END IF;
END
$$;
