-- Blackouts: maintenance, holds and breaks as real records. An active blackout blocks its
-- resource, everything inside it, and the resources it sits in (a stage cannot be booked whole
-- while one of its areas is under maintenance). Lifting one is the only change allowed.

CREATE OR REPLACE FUNCTION spaces.blackouts_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.resources WHERE id = NEW.resource_id) THEN
        RAISE EXCEPTION 'no resource with id %', NEW.resource_id USING ERRCODE = 'SP004';
    END IF;
    IF NEW.status <> 'active' THEN
        RAISE EXCEPTION 'a new blackout is active, not %', NEW.status USING ERRCODE = 'SP001';
    END IF;
    NEW.created_at := now();
    NEW.lifted_by := NULL;
    NEW.lifted_at := NULL;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER blackouts_before_insert
    BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_before_insert();

-- A blackout is lifted, by whoever put it in, an approver of its resource or an admin, and is
-- otherwise never edited.
CREATE OR REPLACE FUNCTION spaces.blackouts_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := spaces.current_actor();
    changeable text[] := ARRAY['status', 'lifted_by', 'lifted_at'];
BEGIN
    IF (to_jsonb(NEW) - changeable) <> (to_jsonb(OLD) - changeable) THEN
        RAISE EXCEPTION 'blackout % cannot be edited; lift it and add another', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    IF NEW.status <> OLD.status THEN
        IF OLD.status <> 'active' THEN
            RAISE EXCEPTION 'blackout % is already lifted', OLD.id USING ERRCODE = 'SP001';
        END IF;
        IF NOT spaces.may_cancel(OLD.created_by, OLD.resource_id, actor) THEN
            RAISE EXCEPTION '% may not lift blackout % (put in by %): only whoever put it in, an approver of % or an admin may',
                actor, OLD.id, OLD.created_by,
                (SELECT name FROM spaces.resources WHERE id = OLD.resource_id)
                USING ERRCODE = 'SP002';
        END IF;
        NEW.lifted_by := actor;
        NEW.lifted_at := now();
    ELSIF NEW.lifted_by IS DISTINCT FROM OLD.lifted_by OR NEW.lifted_at IS DISTINCT FROM OLD.lifted_at THEN
        RAISE EXCEPTION 'blackout %: who lifted it, and when, is recorded by Spaces itself', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER blackouts_before_update
    BEFORE UPDATE ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_before_update();

-- Lifts a blackout under its tree's turn.
CREATE OR REPLACE FUNCTION spaces.lift_blackout(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY(SELECT resource_id FROM spaces.blackouts WHERE id = p_id));
    IF NOT EXISTS (SELECT 1 FROM spaces.blackouts WHERE id = p_id) THEN
        RAISE EXCEPTION 'no blackout with id %', p_id USING ERRCODE = 'SP004';
    END IF;
    IF (SELECT status FROM spaces.blackouts WHERE id = p_id) <> 'active' THEN
        RAISE EXCEPTION 'blackout % is already lifted', p_id USING ERRCODE = 'SP001';
    END IF;
    UPDATE spaces.blackouts SET status = 'lifted' WHERE id = p_id;
END
$$;

-- Adds a blackout, and (cancel_conflicting) cancels the active bookings in its way, all under
-- the tree's turn: what it cancels is exactly what is in the way when it goes in, and a cancel
-- racing it either comes first (and is not cancelled again) or finds the booking cancelled.
-- Returns the blackout's id and the reservations it cancelled.
CREATE OR REPLACE FUNCTION spaces.place_blackout(p_resource_id bigint, p_during tstzrange,
                                                 p_reason text,
                                                 p_kind text DEFAULT 'maintenance',
                                                 p_cancel_conflicting boolean DEFAULT false,
                                                 OUT blackout_id bigint, OUT cancelled bigint[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY[p_resource_id]);
    cancelled := '{}';
    IF p_cancel_conflicting THEN
        cancelled := ARRAY(
            SELECT o.id FROM spaces.check_blackout_conflict(p_resource_id, p_during) AS o
             WHERE o.kind = 'reservation' ORDER BY o.id);
        IF cardinality(cancelled) > 0 THEN
            PERFORM spaces.set_status(cancelled, 'cancelled', 'blackout: ' || p_reason);
        END IF;
    END IF;
    INSERT INTO spaces.blackouts (resource_id, during, reason, kind)
    VALUES (p_resource_id, p_during, p_reason, p_kind)
    RETURNING id INTO blackout_id;
END
$$;

-- The same, returning the blackout (the form from before place_blackout).
CREATE OR REPLACE FUNCTION spaces.add_blackout(p_resource_id bigint, p_during tstzrange,
                                               p_reason text,
                                               p_kind text DEFAULT 'maintenance',
                                               p_cancel_conflicting boolean DEFAULT false)
RETURNS spaces.blackouts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    placed bigint := (spaces.place_blackout(p_resource_id, p_during, p_reason, p_kind,
                                            p_cancel_conflicting)).blackout_id;
    created spaces.blackouts;
BEGIN
    SELECT * INTO created FROM spaces.blackouts WHERE id = placed;
    RETURN created;
END
$$;
