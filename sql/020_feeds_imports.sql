-- Interop, continued (#16): calendar feeds a phone subscribes to, and what an iCalendar import
-- brought in. Tables only; what reads and writes them lives in spaces_tui/engine/interop/.

-- A feed: an export's filters under a name, served at /feeds/NAME.ics?key=KEY. Only a hash of
-- the key is kept (the key is shown once, when the feed is made): a copy of the database does
-- not open anybody's feed.
CREATE TABLE spaces.feeds (
    name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    key_hash   bytea NOT NULL CHECK (length(key_hash) = 32),  -- SHA-256 of the key
    filters    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(filters) = 'object'),
    created_by text NOT NULL DEFAULT spaces.current_actor(),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- What an import made of each event of a file: its UID (with its RECURRENCE-ID, for one
-- occurrence of a repeating event) on a resource, the booking or blackout it became, and a
-- fingerprint of what the event said, so the same file imported again changes nothing and an
-- updated one is told apart (cancel and book again, through the rules).
CREATE TABLE spaces.imported (
    resource_id    bigint NOT NULL REFERENCES spaces.resources (id),
    source_uid     text NOT NULL CHECK (length(source_uid) BETWEEN 1 AND 1000),
    reservation_id bigint REFERENCES spaces.reservations (id),
    blackout_id    bigint REFERENCES spaces.blackouts (id),
    fingerprint    text NOT NULL,
    imported_by    text NOT NULL DEFAULT spaces.current_actor(),
    imported_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(reservation_id, blackout_id) = 1),
    PRIMARY KEY (resource_id, source_uid)
);
CREATE INDEX imported_reservation_idx ON spaces.imported (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX imported_blackout_idx ON spaces.imported (blackout_id) WHERE blackout_id IS NOT NULL;

-- Roles given access before this revision read these as a grant made now lets them.
DO $$
DECLARE
    people text := (SELECT string_agg(quote_ident(a.name), ', ') FROM spaces.access a
                     WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name));
BEGIN
    IF people IS NOT NULL THEN
        EXECUTE 'GRANT SELECT ON spaces.feeds, spaces.imported TO ' || people;
        EXECUTE 'GRANT INSERT, UPDATE ON spaces.imported TO ' || people;
    END IF;
END
$$;
