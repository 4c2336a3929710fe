-- Superseded in part by sql/013_event_order.sql (revision 0004): ids are no longer sealed at
-- commit under a lock; today's rule is there.
-- The event bus: an outbox written in the same transaction as the change, announced with
-- pg_notify('spaces_events', id) when it commits.
--
-- Listeners catch up with "everything after the last id I saw", which is only safe if ids become
-- visible in increasing order. An identity column does not give that: a transaction can take
-- id 5, commit after another took id 6, and a listener that already read 6 never sees 5. So the
-- public id is handed out by a deferred trigger at commit time, under a lock held only from that
-- moment to the end of the commit: ids are in commit order, and a long transaction never holds
-- the lock while it works.

CREATE SEQUENCE spaces.event_id_seq AS bigint;

CREATE TABLE spaces.events (
    key            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             bigint UNIQUE,  -- commit-ordered; NULL only inside the writing transaction
    topic          text NOT NULL CHECK (topic ~ '^[a-z]+(\.[a-z_]+)+$'),
    resource_id    bigint REFERENCES spaces.resources (id),
    reservation_id bigint REFERENCES spaces.reservations (id),
    blackout_id    bigint REFERENCES spaces.blackouts (id),
    actor          text NOT NULL DEFAULT spaces.current_actor(),
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_reservation_idx ON spaces.events (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX events_blackout_idx ON spaces.events (blackout_id) WHERE blackout_id IS NOT NULL;

CREATE FUNCTION spaces.events_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sealed bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('spaces.events_seal'));
    UPDATE spaces.events SET id = nextval('spaces.event_id_seq')
     WHERE key = NEW.key
    RETURNING id INTO sealed;
    PERFORM pg_notify('spaces_events', sealed::text);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER events_seal
    AFTER INSERT ON spaces.events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION spaces.events_seal();

-- The log is append-only: nothing but the sealing may change a row, and nothing may delete one.
CREATE FUNCTION spaces.events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.id IS NULL AND NEW.id IS NOT NULL
       AND (to_jsonb(OLD) - 'id') = (to_jsonb(NEW) - 'id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event log is append-only' USING ERRCODE = 'SP003';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON spaces.events
    FOR EACH ROW EXECUTE FUNCTION spaces.events_append_only();

CREATE FUNCTION spaces.emit(p_topic text, p_resource_id bigint, p_reservation_id bigint,
                            p_blackout_id bigint, p_payload jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO spaces.events (topic, resource_id, reservation_id, blackout_id, payload)
    VALUES (p_topic, p_resource_id, p_reservation_id, p_blackout_id, p_payload)
$$;

CREATE FUNCTION spaces.period_json(period tstzrange) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('start', lower(period), 'end', upper(period))
$$;

CREATE FUNCTION spaces.reservations_emit() RETURNS trigger
LANGUAGE plpgsql AS $$
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
                         ELSE NEW.decision_note END));
    RETURN NULL;
END
$$;

CREATE TRIGGER reservations_emit
    AFTER INSERT OR UPDATE OF status ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_emit();

CREATE FUNCTION spaces.blackouts_emit() RETURNS trigger
LANGUAGE plpgsql AS $$
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

CREATE TRIGGER blackouts_emit
    AFTER INSERT OR UPDATE OF status ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_emit();
