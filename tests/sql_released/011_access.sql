-- Who is acting, who may cancel, and who may use a shared server.
--
-- Where the actor comes from (spaces.policy.actor_source):
--   app   the app says who, with SET LOCAL spaces.actor, falling back to the connected role.
--         Right for one person's embedded database, or a server whose users all share one role
--         and trust the app. Anyone who can run SQL can claim to be anyone.
--   role  each person connects as their own PostgreSQL role, and the actor is that role:
--         session_user, which neither SET spaces.actor nor SET ROLE can change. Nobody can pose
--         as somebody else, so "only approvers approve" holds against plain SQL too.
-- spaces.grant_access(name) gives a role the privileges it needs and no more: it may book,
-- decide and cancel through the rules below, but not write the tables the rules keep (claims,
-- events) or change resources (their approvers) unless it is an admin.

CREATE TABLE spaces.policy (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    actor_source text NOT NULL DEFAULT 'app' CHECK (actor_source IN ('app', 'role'))
);
INSERT INTO spaces.policy DEFAULT VALUES;

CREATE OR REPLACE FUNCTION spaces.current_actor() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN (SELECT actor_source FROM spaces.policy) = 'role' THEN session_user::text
        ELSE coalesce(nullif(current_setting('spaces.actor', true), ''), session_user::text)
    END
$$;

-- The people (in role mode: the roles) given access, and which of them are admins. An admin
-- may cancel anyone's booking and, with a role, change resources.
CREATE TABLE spaces.access (
    name       text PRIMARY KEY CHECK (btrim(name) <> '' AND name = btrim(name)),
    admin      boolean NOT NULL DEFAULT false,
    granted_by text NOT NULL DEFAULT spaces.current_actor(),
    granted_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION spaces.is_admin(p_actor text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM spaces.access WHERE name = p_actor AND admin)
$$;

-- Records name (an admin or not) and, where a PostgreSQL role of that name exists, grants it
-- what Spaces needs. In role mode the role must exist: it is how that person connects.
CREATE FUNCTION spaces.grant_access(p_name text, p_admin boolean DEFAULT false) RETURNS void
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
        EXECUTE format('GRANT UPDATE (status, decision_note, cancel_reason) ON spaces.reservations TO %I', p_name);
        EXECUTE format('GRANT UPDATE (status) ON spaces.blackouts TO %I', p_name);
        EXECUTE format('%s INSERT, UPDATE ON spaces.resources %s %I',
                       CASE WHEN p_admin THEN 'GRANT' ELSE 'REVOKE' END,
                       CASE WHEN p_admin THEN 'TO' ELSE 'FROM' END, p_name);
    END IF;
    INSERT INTO spaces.access (name, admin) VALUES (p_name, p_admin)
    ON CONFLICT (name) DO UPDATE SET admin = EXCLUDED.admin;
END
$$;

CREATE FUNCTION spaces.revoke_access(p_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.access WHERE name = p_name) THEN
        RAISE EXCEPTION '% has not been given access', p_name USING ERRCODE = 'SP004';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA spaces, rehearse FROM %I', p_name);
        EXECUTE format('REVOKE USAGE ON SCHEMA spaces, rehearse FROM %I', p_name);
    END IF;
    DELETE FROM spaces.access WHERE name = p_name;
END
$$;

REVOKE EXECUTE ON FUNCTION spaces.grant_access(text, boolean), spaces.revoke_access(text) FROM PUBLIC;

-- The rules keep claims and events themselves; people with access only read them. The triggers
-- that write them run with their owner's rights, and the helpers they call are theirs alone.
ALTER FUNCTION spaces.reservations_sync_claims() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION spaces.blackouts_sync_claims() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION spaces.resources_reclaim() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION spaces.reservations_emit() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION spaces.blackouts_emit() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION spaces.events_seal() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION
    spaces.emit(text, bigint, bigint, bigint, jsonb),
    spaces.claim_for_reservation(spaces.reservations),
    spaces.claim_for_blackout(spaces.blackouts)
    FROM PUBLIC;

-- Who booked and who put a blackout in is recorded by Spaces itself, like who decided: in role
-- mode nobody may book in somebody else's name (and so gain the right to cancel it).
CREATE FUNCTION spaces.stamp_actor() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], spaces.current_actor()));
    RETURN NEW;
END
$$;

CREATE TRIGGER reservations_stamp_actor
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.stamp_actor('booked_by');

CREATE TRIGGER blackouts_stamp_actor
    BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.stamp_actor('created_by');

-- Only the person who booked, an approver of the resource, or an admin may cancel a booking.
-- A blackout that cancels what is in its way (spaces.add_blackout) is held to the same rule.
CREATE FUNCTION spaces.may_cancel(p_booked_by text, p_resource_id bigint, p_actor text)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_actor = p_booked_by
        OR spaces.is_approver(p_resource_id, p_actor)
        OR spaces.is_admin(p_actor)
$$;

CREATE FUNCTION spaces.reservations_guard_cancel() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    actor text := spaces.current_actor();
BEGIN
    IF NOT spaces.may_cancel(OLD.booked_by, OLD.resource_id, actor) THEN
        RAISE EXCEPTION '% may not cancel reservation % (booked by %): only its booker, an approver of % or an admin may',
            actor, OLD.id, OLD.booked_by, (SELECT name FROM spaces.resources WHERE id = OLD.resource_id)
            USING ERRCODE = 'SP002';
    END IF;
    RETURN NEW;
END
$$;

-- Named to fire after reservations_before_update, so an illegal transition is refused as such.
CREATE TRIGGER reservations_guard_cancel
    BEFORE UPDATE OF status ON spaces.reservations
    FOR EACH ROW
    WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION spaces.reservations_guard_cancel();

-- A request waiting longer than this for a decision is stalled (per resource; the default is a
-- day). Stalling is a hint for people, not a rule: nothing is refused because of it.
ALTER TABLE spaces.resources
    ADD COLUMN stall_after interval NOT NULL DEFAULT interval '24 hours'
    CHECK (stall_after > interval '0');

-- A resource added or changed (its approvers, say) is news for every screen that shows it.
CREATE FUNCTION spaces.resources_emit() RETURNS trigger
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

CREATE TRIGGER resources_emit
    AFTER INSERT OR UPDATE ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.resources_emit();
