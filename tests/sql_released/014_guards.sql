-- Rows nobody can forge or rewrite, ranges every reader can show, and granted roles that cannot
-- hold up anyone else's writes.

-- === Time: finite and in a sane window ======================================================
-- 'infinity', BC dates and the year 20000 are valid timestamps to PostgreSQL but nothing a
-- venue books, and no client's calendar can show them. A booking or blackout that holds time
-- lies in [1900-01-01, 9999-01-01) UTC, so every bound still has a date in every zone. The rule
-- is on what holds time (pending, confirmed, active): a row from before it can still be cancelled
-- or lifted, which is how it goes away.
CREATE FUNCTION spaces.bookable_window() RETURNS tstzrange
LANGUAGE sql IMMUTABLE AS $$
    SELECT tstzrange('1900-01-01 00:00+00', '9999-01-01 00:00+00', '[)')
$$;

ALTER TABLE spaces.reservations ADD CONSTRAINT reservations_during_in_window
    CHECK (status NOT IN ('pending', 'confirmed') OR during <@ spaces.bookable_window())
    NOT VALID;
ALTER TABLE spaces.blackouts ADD CONSTRAINT blackouts_during_in_window
    CHECK (status <> 'active' OR during <@ spaces.bookable_window()) NOT VALID;
ALTER TABLE spaces.series ADD CONSTRAINT series_first_start_in_window
    CHECK (tstzrange(first_start, first_start + duration, '[)') <@ spaces.bookable_window())
    NOT VALID;
-- A request that stalls after a million years would be a time no reader can add to a date:
-- ten years (3652 days, not '10 years', which PostgreSQL compares as 3600 days) at the most.
ALTER TABLE spaces.resources ADD CONSTRAINT resources_stall_after_sane
    CHECK (stall_after <= interval '3652 days') NOT VALID;

-- Rows from before the rule stay (the readers show them clamped) and the upgrade says so.
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN VALUES ('spaces.reservations', 'reservations_during_in_window'),
                         ('spaces.blackouts', 'blackouts_during_in_window'),
                         ('spaces.series', 'series_first_start_in_window'),
                         ('spaces.resources', 'resources_stall_after_sane') LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', target.column1, target.column2);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING '% holds rows its new rule % refuses; they are kept (cancel or lift them), and new ones are refused',
                target.column1, target.column2;
        END;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION spaces.obstacles(p_probe_blackout bigint, p_resource_id bigint,
                                            p_during tstzrange, p_exclude_reservation bigint)
RETURNS SETOF spaces.obstacle
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.resources r WHERE r.id = p_resource_id) THEN
        RAISE EXCEPTION 'no resource with id %', p_resource_id USING ERRCODE = 'SP004';
    END IF;
    IF NOT spaces.is_valid_period(p_during) OR NOT p_during <@ spaces.bookable_window() THEN
        RAISE EXCEPTION 'the period % is not a finite, non-empty [start, end) range between 1900 and 9998',
            p_during USING ERRCODE = 'SP003';
    END IF;
    RETURN QUERY
    WITH hits AS (
        SELECT c.reservation_id, c.blackout_id,
               bool_and(c.holders = '[-1,0)' OR probe.holders = '[-1,0)') AS turnover_only
          FROM spaces.claim_rows(p_resource_id, p_during, p_probe_blackout) AS probe
          JOIN spaces.claims c
            ON c.resource_id = probe.resource_id
           AND c.during && probe.during
           AND c.lanes && probe.lanes
           AND c.holders && probe.holders
         WHERE (p_exclude_reservation IS NULL OR c.reservation_id IS DISTINCT FROM p_exclude_reservation)
         GROUP BY c.reservation_id, c.blackout_id
    )
    SELECT 'reservation'::text, r.id, r.resource_id, res.name, r.during, r.status, r.title,
           r.booked_by, hits.turnover_only
      FROM hits
      JOIN spaces.reservations r ON r.id = hits.reservation_id
      JOIN spaces.resources res ON res.id = r.resource_id
    UNION ALL
    SELECT 'blackout'::text, b.id, b.resource_id, res.name, b.during, b.status, b.reason,
           b.created_by, hits.turnover_only
      FROM hits
      JOIN spaces.blackouts b ON b.id = hits.blackout_id
      JOIN spaces.resources res ON res.id = b.resource_id
     ORDER BY 5, 1, 2;
END
$$;

-- === Zones: IANA names only ==================================================================
-- AT TIME ZONE also takes abbreviations ('NZDT') and POSIX rules ('XYZ5'), which no client's
-- zone library reads back. The zone database's own list (pg_timezone_names) is the test, but it
-- reads every zone file (about 20 ms), so it is asked only about the names that could be one of
-- those: with a digit, or spelled like an abbreviation. Any other name that AT TIME ZONE knows is
-- a zone file. UTC and GMT are both, and common enough to answer at once.
CREATE OR REPLACE FUNCTION spaces.is_valid_timezone(zone text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF zone IS NULL OR length(zone) > 64
       OR zone !~ '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$'
       OR zone IN ('localtime', 'posixrules', 'Factory') OR zone ~ '^(posix|right)/' THEN
        RETURN false;
    END IF;
    IF zone IN ('UTC', 'GMT') THEN
        RETURN true;
    END IF;
    IF zone ~ '[0-9]' OR EXISTS (SELECT 1 FROM pg_timezone_abbrevs WHERE abbrev = upper(zone)) THEN
        RETURN EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = zone);
    END IF;
    PERFORM now() AT TIME ZONE zone;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;

-- === Ids are Spaces' to give =================================================================
-- OVERRIDING SYSTEM VALUE lets an INSERT choose an identity value, and so take the ids the next
-- bookings would get. An id above what the sequence has handed out is refused; one at or below
-- it is either the one just given, or taken already (the primary key refuses it), or a gap left
-- by a rollback that no later row will want.
CREATE FUNCTION spaces.refuse_chosen_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.id > coalesce(pg_sequence_last_value(TG_ARGV[0]::regclass), 0) THEN
        RAISE EXCEPTION 'the id of a new row in % is given by Spaces, not chosen (OVERRIDING SYSTEM VALUE)',
            TG_TABLE_NAME USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.reservations_id_seq');
CREATE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.blackouts_id_seq');
CREATE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.series_id_seq');
CREATE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.resources_id_seq');

-- === A series is its creator's ===============================================================
CREATE TRIGGER series_stamp_actor
    BEFORE INSERT ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.stamp_actor('created_by');

-- An occurrence joins a series of its own resource that the same person made: nobody can slip a
-- row into somebody else's series (and so into their "approve the whole series").
CREATE OR REPLACE FUNCTION spaces.reservations_match_series() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.series
                    WHERE id = NEW.series_id AND resource_id = NEW.resource_id
                      AND created_by = spaces.current_actor()) THEN
        RAISE EXCEPTION 'series % is not a series of resource % made by %', NEW.series_id,
            NEW.resource_id, spaces.current_actor() USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

-- === What an UPDATE may change ===============================================================
-- A reservation's status changes, with what that change records (a decision its note, a cancel
-- its reason), and nothing else: not its resource or time, not its title or headcount (cancel
-- and book again), not who decided, not a note written by somebody else's decision.
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

-- === Granted roles ===========================================================================
-- They book with INSERT and change statuses and lift blackouts only through the functions that
-- take the tree's turn first (spaces.set_status, spaces.lift_blackout, spaces.place_blackout):
-- without UPDATE on those tables nobody can SELECT ... FOR UPDATE rows of every tree and hold
-- them. A transaction of theirs left idle is ended after a few seconds, so whatever it holds in
-- its own tree is given back.
CREATE OR REPLACE FUNCTION spaces.grant_access(p_name text, p_admin boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
        IF (SELECT actor_source FROM spaces.policy) = 'role' THEN
            RAISE EXCEPTION 'there is no PostgreSQL role named %: create it first (CREATE ROLE % LOGIN)',
                p_name, quote_ident(p_name) USING ERRCODE = 'SP004';
        END IF;
    ELSE
        EXECUTE format('GRANT USAGE ON SCHEMA spaces, rehearse TO %I', p_name);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA spaces, rehearse TO %I', p_name);
        EXECUTE format('GRANT INSERT ON spaces.reservations, spaces.blackouts, spaces.series TO %I', p_name);
        EXECUTE format('REVOKE UPDATE ON spaces.reservations, spaces.blackouts FROM %I', p_name);
        EXECUTE format('%s INSERT, UPDATE ON spaces.resources %s %I',
                       CASE WHEN p_admin THEN 'GRANT' ELSE 'REVOKE' END,
                       CASE WHEN p_admin THEN 'TO' ELSE 'FROM' END, p_name);
        BEGIN
            EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L',
                           p_name, '5s');
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'could not bound how long % may sit idle in a transaction (ALTER ROLE needs CREATEROLE): set idle_in_transaction_session_timeout for it by hand',
                p_name;
        END;
    END IF;
    INSERT INTO spaces.access (name, admin) VALUES (p_name, p_admin)
    ON CONFLICT (name) DO UPDATE SET admin = EXCLUDED.admin;
END
$$;

CREATE OR REPLACE FUNCTION spaces.revoke_access(p_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.access WHERE name = p_name) THEN
        RAISE EXCEPTION '% has not been given access', p_name USING ERRCODE = 'SP004';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA spaces, rehearse FROM %I', p_name);
        EXECUTE format('REVOKE USAGE ON SCHEMA spaces, rehearse FROM %I', p_name);
        BEGIN
            EXECUTE format('ALTER ROLE %I RESET idle_in_transaction_session_timeout', p_name);
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;  -- granting could not set it either
        END;
    END IF;
    DELETE FROM spaces.access WHERE name = p_name;
END
$$;

-- Roles granted before this revision: the same privileges as a grant made now.
DO $$
DECLARE
    person record;
BEGIN
    FOR person IN SELECT a.name, a.admin FROM spaces.access a
                   WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name) LOOP
        PERFORM spaces.grant_access(person.name, person.admin);
    END LOOP;
END
$$;
