-- Who is acting, who may decide and cancel, and who may use a shared server.
--
-- Where the actor comes from (spaces.policy.actor_source; spaces.current_actor() is in
-- sql/rules/table_helpers.sql, because column defaults call it):
--   app   the app says who, in spaces.actor (for its session, or SET LOCAL for a transaction),
--         falling back to the connected role.
--         Right for one person's embedded database, or a server whose users all share one role
--         and trust the app. Anyone who can run SQL can claim to be anyone.
--   role  each person connects as their own PostgreSQL role, and the actor is that role:
--         session_user, which neither SET spaces.actor nor SET ROLE can change. Nobody can pose
--         as somebody else, so "only approvers approve" holds against plain SQL too.
-- spaces.grant_access(name) gives a role the privileges it needs and no more: it may book,
-- decide and cancel through the rules, but not write the tables the rules keep (claims,
-- events) or change resources (their approvers) unless it is an admin.

CREATE OR REPLACE FUNCTION spaces.is_approver(p_resource_id bigint, p_actor text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(p_actor = ANY (approvers), false) FROM spaces.resources WHERE id = p_resource_id
$$;

-- The people (in role mode: the roles) given access, and which of them are admins. An admin
-- may cancel anyone's booking and, with a role, change resources.
CREATE OR REPLACE FUNCTION spaces.is_admin(p_actor text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM spaces.access WHERE name = p_actor AND admin)
$$;

-- Only the person who booked, an approver of the resource, or an admin may cancel a booking.
-- A blackout that cancels what is in its way (spaces.place_blackout) is held to the same rule,
-- and so is lifting a blackout (whoever put it in, an approver or an admin).
CREATE OR REPLACE FUNCTION spaces.may_cancel(p_booked_by text, p_resource_id bigint, p_actor text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_actor = p_booked_by
        OR spaces.is_approver(p_resource_id, p_actor)
        OR spaces.is_admin(p_actor)
$$;

-- Records name (an admin or not) and, where a PostgreSQL role of that name exists, grants it
-- what Spaces needs. In role mode the role must exist: it is how that person connects.
--
-- Granted roles book with INSERT and change statuses and lift blackouts only through the
-- functions that take the tree's turn first (spaces.set_status, spaces.lift_blackout,
-- spaces.place_blackout): without UPDATE on those tables nobody can SELECT ... FOR UPDATE rows
-- of every tree and hold them. A transaction of theirs left idle is ended after a few seconds,
-- so whatever it holds in its own tree is given back.
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
        -- Every table and view but the relays: a relay's endpoint may carry a token in its
        -- URL, the owner's business, not the members'.
        EXECUTE (SELECT format('GRANT SELECT ON %s TO %I',
                               string_agg(c.oid::regclass::text, ', '), p_name)
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname IN ('spaces', 'rehearse') AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
                    AND NOT (n.nspname = 'spaces' AND c.relname = 'relays'));
        EXECUTE format('GRANT INSERT ON spaces.reservations, spaces.blackouts, spaces.series TO %I', p_name);
        -- An iCalendar import remembers what it made (spaces.imported stamps who and when).
        EXECUTE format('GRANT INSERT, UPDATE ON spaces.imported TO %I', p_name);
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

REVOKE EXECUTE ON FUNCTION spaces.grant_access(text, boolean), spaces.revoke_access(text) FROM PUBLIC;

-- Who booked, who made a series and who put a blackout in is recorded by Spaces itself, like
-- who decided: in role mode nobody may book in somebody else's name (and so gain the right to
-- cancel it), nor slip a row into somebody else's series.
CREATE OR REPLACE FUNCTION spaces.stamp_actor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], spaces.current_actor()));
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER reservations_stamp_actor
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.stamp_actor('booked_by');

CREATE OR REPLACE TRIGGER blackouts_stamp_actor
    BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.stamp_actor('created_by');

CREATE OR REPLACE TRIGGER series_stamp_actor
    BEFORE INSERT ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.stamp_actor('created_by');

CREATE OR REPLACE FUNCTION spaces.reservations_guard_cancel() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := spaces.current_actor();
BEGIN
    -- A group with a rejected row holds nothing more: its rejecter releases the rest.
    IF NOT (spaces.may_cancel(OLD.booked_by, OLD.resource_id, actor)
            OR (OLD.group_id IS NOT NULL AND spaces.group_is_released(OLD.group_id))) THEN
        RAISE EXCEPTION '% may not cancel reservation % (booked by %): only its booker, an approver of % or an admin may',
            actor, OLD.id, OLD.booked_by, (SELECT name FROM spaces.resources WHERE id = OLD.resource_id)
            USING ERRCODE = 'SP002';
    END IF;
    RETURN NEW;
END
$$;

-- Named to fire after reservations_before_update, so an illegal transition is refused as such.
CREATE OR REPLACE TRIGGER reservations_guard_cancel
    BEFORE UPDATE OF status ON spaces.reservations
    FOR EACH ROW
    WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION spaces.reservations_guard_cancel();
