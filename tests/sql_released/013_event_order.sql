-- Event ids without a lock: listeners still read "everything after the last id I saw" and can
-- never skip an event, but no writer waits for another to commit.
--
-- The old ids were handed out at commit under one database-wide lock, which any transaction that
-- ran the deferred trigger early (SET CONSTRAINTS ALL IMMEDIATE) and stayed open held against
-- every writer. Now an event's id is its transaction's id shifted left by 20 bits, plus its place
-- in the transaction (up to 2^20 - 1 events a transaction):
--
--     id = txid << 20 | n
--
-- and a reader sees only ids below the horizon: the oldest transaction still running, shifted
-- the same way (spaces.event_horizon()). Every transaction below the horizon has finished, so
-- nothing can ever appear below it again: an id a reader has passed stays passed. What a long
-- transaction delays is only when later events are *read* (they wait for the horizon), never a
-- write. NOTIFY still fires at each commit, so screens that reload on a notification are not
-- delayed at all.

DROP TRIGGER events_seal ON spaces.events;
DROP FUNCTION spaces.events_seal();

CREATE FUNCTION spaces.event_id_base() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT (pg_current_xact_id()::text::bigint) << 20
$$;

-- Ids below this are final: every transaction that could still write one has ended.
CREATE FUNCTION spaces.event_horizon() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint) << 20
$$;

DO $$
BEGIN
    IF (SELECT max(id) FROM spaces.events) >= spaces.event_id_base() THEN
        RAISE EXCEPTION 'cannot renumber events: an existing id is above the new scheme''s range';
    END IF;
END
$$;

ALTER TABLE spaces.events ALTER COLUMN id SET NOT NULL;

CREATE FUNCTION spaces.events_number() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    base bigint := spaces.event_id_base();
BEGIN
    NEW.id := coalesce((SELECT max(e.id) + 1 FROM spaces.events e
                         WHERE e.id > base AND e.id < base + (1 << 20)), base + 1);
    IF NEW.id >= base + (1 << 20) THEN
        RAISE EXCEPTION 'one transaction may write at most % events', (1 << 20) - 1
            USING ERRCODE = 'SP003';
    END IF;
    NEW.created_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER events_number
    BEFORE INSERT ON spaces.events
    FOR EACH ROW EXECUTE FUNCTION spaces.events_number();

CREATE FUNCTION spaces.events_notify() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('spaces_events', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify
    AFTER INSERT ON spaces.events
    FOR EACH ROW EXECUTE FUNCTION spaces.events_notify();

-- The log is append-only: no row changes, none is deleted.
CREATE OR REPLACE FUNCTION spaces.events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only' USING ERRCODE = 'SP003';
END
$$;

-- Events after p_since that no running transaction can still precede, oldest first.
CREATE FUNCTION spaces.events_after(p_since bigint, p_limit integer DEFAULT 1000)
RETURNS SETOF spaces.events
LANGUAGE sql STABLE AS $$
    SELECT * FROM spaces.events
     WHERE id > p_since AND id < spaces.event_horizon()
     ORDER BY id LIMIT p_limit
$$;

-- The newest id a reader can start after without missing anything still to come.
CREATE FUNCTION spaces.latest_event_id() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(id), 0) FROM spaces.events WHERE id < spaces.event_horizon()
$$;

DROP SEQUENCE spaces.event_id_seq;
