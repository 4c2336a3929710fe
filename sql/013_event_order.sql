-- Event ids without a lock (sql/rules/events.sql tells how): an event's id is its transaction's
-- id shifted left by 20 bits plus its place in the transaction, given as it goes in, instead of
-- a number from event_id_seq handed out at commit under one database-wide lock.

-- The sealing at commit (in databases made before the rules moved to sql/rules/).
DROP TRIGGER IF EXISTS events_seal ON spaces.events;
DROP FUNCTION IF EXISTS spaces.events_seal();

-- The ids given so far all lie below the new ones (this transaction's id, shifted).
DO $$
BEGIN
    IF (SELECT max(id) FROM spaces.events) >= (pg_current_xact_id()::text::bigint) << 20 THEN
        RAISE EXCEPTION 'cannot renumber events: an existing id is above the new scheme''s range';
    END IF;
END
$$;

ALTER TABLE spaces.events ALTER COLUMN id SET NOT NULL;

DROP SEQUENCE spaces.event_id_seq;
