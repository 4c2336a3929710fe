-- Reservations and their life: pending -> confirmed | rejected, pending | confirmed -> cancelled.
-- Pending and confirmed both hold the slot (spaces.is_active_status).

-- A column default cannot look at the resource, so the initial status is settled here.
CREATE OR REPLACE FUNCTION spaces.reservations_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    res spaces.resources;
BEGIN
    SELECT * INTO res FROM spaces.resources WHERE id = NEW.resource_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no resource with id %', NEW.resource_id USING ERRCODE = 'SP004';
    END IF;
    IF NOT res.active THEN
        RAISE EXCEPTION '% is not active and cannot be booked', res.name USING ERRCODE = 'SP003';
    END IF;
    IF NEW.headcount > res.capacity THEN
        RAISE EXCEPTION 'a headcount of % is more than % holds (capacity %)',
            NEW.headcount, res.name, res.capacity USING ERRCODE = 'SP003';
    END IF;

    IF NEW.status IS NULL THEN
        NEW.status := CASE WHEN res.requires_approval THEN 'pending' ELSE 'confirmed' END;
    ELSIF NOT spaces.is_active_status(NEW.status) THEN
        RAISE EXCEPTION 'a new reservation is pending or confirmed, not %', NEW.status
            USING ERRCODE = 'SP001';
    ELSIF NEW.status = 'confirmed' AND res.requires_approval
          AND NOT spaces.is_approver(res.id, spaces.current_actor()) THEN
        RAISE EXCEPTION '% requires approval and % is not one of its approvers',
            res.name, spaces.current_actor() USING ERRCODE = 'SP002';
    END IF;

    IF NEW.status = 'confirmed' AND res.requires_approval THEN
        NEW.decided_by := spaces.current_actor();
        NEW.decided_at := now();
    ELSE
        NEW.decided_by := NULL;
        NEW.decided_at := NULL;
    END IF;
    NEW.cancelled_by := NULL;
    NEW.cancelled_at := NULL;
    NEW.cancel_reason := NULL;
    NEW.created_at := now();
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER reservations_before_insert
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_before_insert();

-- The state machine and the audit columns. A reservation's status changes, with what that change
-- records (a decision its note, a cancel its reason), and nothing else: not its resource or time,
-- not its title or headcount (cancel and book again, so an approval can never be carried to
-- another slot), not who decided, not a note written by somebody else's decision.
CREATE OR REPLACE FUNCTION spaces.reservations_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := spaces.current_actor();
    changeable text[] := ARRAY['status', 'decision_note', 'cancel_reason', 'decided_by',
                               'decided_at', 'cancelled_by', 'cancelled_at', 'updated_at'];
BEGIN
    IF NEW.id <> OLD.id OR NEW.resource_id <> OLD.resource_id OR NEW.during <> OLD.during
       OR NEW.booked_by <> OLD.booked_by OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'reservation %: resource, time, booker and creation time cannot change; cancel it and book again', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    IF (to_jsonb(NEW) - changeable) <> (to_jsonb(OLD) - changeable) THEN
        RAISE EXCEPTION 'reservation %: only its status changes (approve, reject or cancel); to change its title or headcount, cancel it and book again', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    IF NEW.decided_by IS DISTINCT FROM OLD.decided_by OR NEW.decided_at IS DISTINCT FROM OLD.decided_at
       OR NEW.cancelled_by IS DISTINCT FROM OLD.cancelled_by
       OR NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at THEN
        RAISE EXCEPTION 'reservation %: who decided or cancelled, and when, is recorded by Spaces itself', OLD.id
            USING ERRCODE = 'SP003';
    END IF;

    IF NEW.status <> OLD.status THEN
        IF NOT ((OLD.status = 'pending' AND NEW.status IN ('confirmed', 'rejected'))
                OR (spaces.is_active_status(OLD.status) AND NEW.status = 'cancelled')) THEN
            RAISE EXCEPTION 'reservation % is %; it cannot become %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'SP001';
        END IF;
        IF NEW.status IN ('confirmed', 'rejected') THEN
            IF NOT spaces.is_approver(NEW.resource_id, actor) THEN
                RAISE EXCEPTION '% is not an approver of %', actor,
                    (SELECT name FROM spaces.resources WHERE id = NEW.resource_id)
                    USING ERRCODE = 'SP002';
            END IF;
            IF NEW.cancel_reason IS DISTINCT FROM OLD.cancel_reason THEN
                RAISE EXCEPTION 'reservation %: a decision records a note, not a cancel reason', OLD.id
                    USING ERRCODE = 'SP003';
            END IF;
            IF NEW.status = 'rejected' AND coalesce(btrim(NEW.decision_note), '') = '' THEN
                RAISE EXCEPTION 'rejecting reservation % needs a reason', OLD.id USING ERRCODE = 'SP003';
            END IF;
            NEW.decided_by := actor;
            NEW.decided_at := now();
        ELSE
            IF NEW.decision_note IS DISTINCT FROM OLD.decision_note THEN
                RAISE EXCEPTION 'reservation %: a cancel records its reason, and leaves the decision''s note as it was', OLD.id
                    USING ERRCODE = 'SP003';
            END IF;
            IF coalesce(btrim(NEW.cancel_reason), '') = '' THEN
                RAISE EXCEPTION 'cancelling reservation % needs a reason', OLD.id USING ERRCODE = 'SP003';
            END IF;
            NEW.cancelled_by := actor;
            NEW.cancelled_at := now();
        END IF;
    ELSIF NEW.decision_note IS DISTINCT FROM OLD.decision_note
          OR NEW.cancel_reason IS DISTINCT FROM OLD.cancel_reason THEN
        RAISE EXCEPTION 'reservation %: a decision note or cancel reason is written with the decision, never after', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER reservations_before_update
    BEFORE UPDATE ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_before_update();

-- Status changes as a function that takes the trees' turns before it locks any row, so it can
-- never wait for a row while holding a turn that the row's other writer waits for. Only what the
-- change records is written: a cancel records a cancel reason, a decision its note.
CREATE OR REPLACE FUNCTION spaces.set_status(p_ids bigint[], p_status text, p_note text DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing bigint;
    stuck spaces.reservations;
BEGIN
    SELECT wanted.rid INTO missing FROM unnest(p_ids) AS wanted (rid)
     WHERE NOT EXISTS (SELECT 1 FROM spaces.reservations r WHERE r.id = wanted.rid) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'no reservation with id %', missing USING ERRCODE = 'SP004';
    END IF;
    IF p_status NOT IN ('confirmed', 'rejected', 'cancelled') THEN
        RAISE EXCEPTION 'a reservation is approved, rejected or cancelled, not set to %', p_status
            USING ERRCODE = 'SP001';
    END IF;
    -- A rejection releases the rest of its booking group (spaces.release_group): their trees too.
    PERFORM spaces.lock_trees(ARRAY(
        SELECT DISTINCT r.resource_id FROM spaces.reservations r
         WHERE r.id = ANY (p_ids)
            OR (p_status = 'rejected'
                AND r.group_id IN (SELECT g.group_id FROM spaces.reservations g
                                    WHERE g.id = ANY (p_ids)))));
    SELECT * INTO stuck FROM spaces.reservations r
     WHERE r.id = ANY (p_ids)
       AND NOT (r.status = 'pending'
                OR (p_status = 'cancelled' AND spaces.is_active_status(r.status)))
     ORDER BY r.id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'reservation % is %; it cannot become %', stuck.id, stuck.status, p_status
            USING ERRCODE = 'SP001';
    END IF;
    IF p_status = 'cancelled' THEN
        RETURN QUERY UPDATE spaces.reservations SET status = p_status, cancel_reason = p_note
                      WHERE id = ANY (p_ids) RETURNING id;
    ELSE
        RETURN QUERY UPDATE spaces.reservations SET status = p_status, decision_note = p_note
                      WHERE id = ANY (p_ids) RETURNING id;
    END IF;
END
$$;
