-- Reservations and their life: pending -> confirmed | rejected, pending | confirmed -> cancelled.
-- Pending and confirmed both hold the slot.

CREATE TABLE spaces.reservations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id   bigint NOT NULL REFERENCES spaces.resources (id),
    during        tstzrange NOT NULL CHECK (spaces.is_valid_period(during)),
    -- NULL on insert means "decide for me": pending where the resource requires approval.
    status        text NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
    title         text NOT NULL CHECK (btrim(title) <> ''),
    booked_by     text NOT NULL DEFAULT spaces.current_actor(),
    headcount     integer CHECK (headcount > 0),
    decided_by    text,
    decided_at    timestamptz,
    decision_note text,
    cancelled_by  text,
    cancelled_at  timestamptz,
    cancel_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reservations_no_overlap
        EXCLUDE USING gist (resource_id WITH =, during WITH &&)
        WHERE (status IN ('pending', 'confirmed'))
);

CREATE INDEX reservations_during_idx ON spaces.reservations USING gist (during);
CREATE INDEX reservations_status_idx ON spaces.reservations (status) WHERE status = 'pending';

CREATE FUNCTION spaces.is_active_status(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT status IN ('pending', 'confirmed') $$;

CREATE FUNCTION spaces.is_approver(p_resource_id bigint, p_actor text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(p_actor = ANY (approvers), false) FROM spaces.resources WHERE id = p_resource_id
$$;

-- A column default cannot look at the resource, so the initial status is settled here.
CREATE FUNCTION spaces.reservations_before_insert() RETURNS trigger
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
    ELSIF NEW.status NOT IN ('pending', 'confirmed') THEN
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

CREATE TRIGGER reservations_before_insert
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_before_insert();

-- The state machine and the audit columns. What and when a reservation is never changes: to move
-- a booking, cancel it and book again, so an approval can never be carried to another slot.
CREATE FUNCTION spaces.reservations_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := spaces.current_actor();
BEGIN
    IF NEW.id <> OLD.id OR NEW.resource_id <> OLD.resource_id OR NEW.during <> OLD.during
       OR NEW.booked_by <> OLD.booked_by OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'reservation %: resource, time, booker and creation time cannot change; cancel it and book again', OLD.id
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
                OR (OLD.status IN ('pending', 'confirmed') AND NEW.status = 'cancelled')) THEN
            RAISE EXCEPTION 'reservation % is %; it cannot become %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'SP001';
        END IF;
        IF NEW.status IN ('confirmed', 'rejected') THEN
            IF NOT spaces.is_approver(NEW.resource_id, actor) THEN
                RAISE EXCEPTION '% is not an approver of %', actor,
                    (SELECT name FROM spaces.resources WHERE id = NEW.resource_id)
                    USING ERRCODE = 'SP002';
            END IF;
            IF NEW.status = 'rejected' AND coalesce(btrim(NEW.decision_note), '') = '' THEN
                RAISE EXCEPTION 'rejecting reservation % needs a reason', OLD.id USING ERRCODE = 'SP003';
            END IF;
            NEW.decided_by := actor;
            NEW.decided_at := now();
        ELSE
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

CREATE TRIGGER reservations_before_update
    BEFORE UPDATE ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_before_update();
