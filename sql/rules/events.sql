-- The event bus: an outbox (spaces.events, sql/007_events.sql) written in the same transaction
-- as the change, announced with pg_notify('spaces_events', id) as each event goes in (the
-- listener hears it when the transaction commits).
--
-- Listeners read "everything after the last id I saw" and can never skip an event, and no
-- writer waits for another to commit. An event's id is its transaction's id shifted left by
-- 20 bits, plus its place in the transaction (up to 2^20 - 1 events a transaction):
--
--     id = txid << 20 | n
--
-- and a reader sees only ids below the horizon: the oldest transaction still running in this
-- database, shifted the same way (spaces.event_horizon()). Every transaction of this database
-- below the horizon has finished, so nothing can ever appear below it again: an id a reader has
-- passed stays passed. What a long transaction delays is only when later events are *read* (they
-- wait for the horizon), never a write. NOTIFY still fires at each commit, so screens that
-- reload on a notification are not delayed at all.

CREATE OR REPLACE FUNCTION spaces.event_id_base() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT (pg_current_xact_id()::text::bigint) << 20
$$;

-- Ids below this are final: every transaction that could still write one has ended.
--
-- Transaction ids are the whole server's, so the oldest one running may belong to another
-- database, which can never write an event here: on a shared server another application's
-- long transaction, or anyone's left open, would hold every reader back for as long as it
-- lasts. A running transaction is passed over only when pg_stat_activity places it in another
-- database (its backend_xid, which every role may read, is that transaction's alone, so the
-- placing is right even when the activity view is a moment old); one it cannot place counts.
CREATE OR REPLACE FUNCTION spaces.event_horizon() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT (least(pg_snapshot_xmax(snapshot),
                  (SELECT min(running)
                     FROM pg_snapshot_xip(snapshot) AS running
                    WHERE NOT EXISTS (
                          SELECT FROM pg_stat_activity AS a
                           WHERE a.backend_xid = xid(running)
                             AND a.datid <> (SELECT oid FROM pg_database
                                              WHERE datname = current_database())))
            )::text::bigint) << 20
      FROM pg_current_snapshot() AS snapshot
$$;

CREATE OR REPLACE FUNCTION spaces.events_number() RETURNS trigger
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

CREATE OR REPLACE TRIGGER events_number
    BEFORE INSERT ON spaces.events
    FOR EACH ROW EXECUTE FUNCTION spaces.events_number();

CREATE OR REPLACE FUNCTION spaces.events_notify() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('spaces_events', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER events_notify
    AFTER INSERT ON spaces.events
    FOR EACH ROW EXECUTE FUNCTION spaces.events_notify();

-- The log is append-only: no row changes, none is deleted.
CREATE OR REPLACE FUNCTION spaces.events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only' USING ERRCODE = 'SP003';
END
$$;

CREATE OR REPLACE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON spaces.events
    FOR EACH ROW EXECUTE FUNCTION spaces.events_append_only();

-- Events after p_since that no running transaction can still precede, oldest first.
CREATE OR REPLACE FUNCTION spaces.events_after(p_since bigint, p_limit integer DEFAULT 1000)
RETURNS SETOF spaces.events
LANGUAGE sql STABLE AS $$
    SELECT * FROM spaces.events
     WHERE id > p_since AND id < spaces.event_horizon()
     ORDER BY id LIMIT p_limit
$$;

-- The newest id a reader can start after without missing anything still to come.
CREATE OR REPLACE FUNCTION spaces.latest_event_id() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(max(id), 0) FROM spaces.events WHERE id < spaces.event_horizon()
$$;

-- The rules write events themselves; people with access only read them. The triggers that
-- write them run with their owner's rights, and emit is theirs alone.
CREATE OR REPLACE FUNCTION spaces.emit(p_topic text, p_resource_id bigint, p_reservation_id bigint,
                                       p_blackout_id bigint, p_payload jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO spaces.events (topic, resource_id, reservation_id, blackout_id, payload)
    VALUES (p_topic, p_resource_id, p_reservation_id, p_blackout_id, p_payload)
$$;
REVOKE EXECUTE ON FUNCTION spaces.emit(text, bigint, bigint, bigint, jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION spaces.period_json(period tstzrange) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('start', lower(period), 'end', upper(period))
$$;

CREATE OR REPLACE FUNCTION spaces.reservations_emit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    topic text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        topic := 'spaces.reservation.created';
    ELSIF NEW.status = OLD.status THEN
        RETURN NULL;
    ELSE
        topic := 'spaces.reservation.' || CASE NEW.status WHEN 'confirmed' THEN 'approved'
                                                          ELSE NEW.status END;
    END IF;
    PERFORM spaces.emit(topic, NEW.resource_id, NEW.id, NULL,
        spaces.period_json(NEW.during) || jsonb_build_object(
            'status', NEW.status, 'title', NEW.title, 'booked_by', NEW.booked_by,
            'note', CASE WHEN NEW.status = 'cancelled' THEN NEW.cancel_reason
                         ELSE NEW.decision_note END)
        || jsonb_strip_nulls(jsonb_build_object('group_id', NEW.group_id,
                                                'moved_from', NEW.moved_from)));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER reservations_emit
    AFTER INSERT OR UPDATE OF status ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_emit();

CREATE OR REPLACE FUNCTION spaces.blackouts_emit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status = OLD.status THEN
        RETURN NULL;
    END IF;
    PERFORM spaces.emit(
        CASE WHEN TG_OP = 'INSERT' THEN 'spaces.blackout.created' ELSE 'spaces.blackout.lifted' END,
        NEW.resource_id, NULL, NEW.id,
        spaces.period_json(NEW.during) || jsonb_build_object(
            'status', NEW.status, 'kind', NEW.kind, 'reason', NEW.reason));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER blackouts_emit
    AFTER INSERT OR UPDATE OF status ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_emit();

-- A resource added or changed (its approvers, say) is news for every screen that shows it.
CREATE OR REPLACE FUNCTION spaces.resources_emit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.emit(
        CASE WHEN TG_OP = 'INSERT' THEN 'spaces.resource.created' ELSE 'spaces.resource.changed' END,
        NEW.id, NULL, NULL,
        jsonb_build_object('name', NEW.name, 'kind', NEW.kind, 'requires_approval', NEW.requires_approval,
                           'approvers', to_jsonb(NEW.approvers), 'active', NEW.active));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER resources_emit
    AFTER INSERT OR UPDATE ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.resources_emit();
