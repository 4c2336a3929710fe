-- Claims: what makes the resource tree, blackouts and turnover buffers as safe under concurrent
-- writes as the plain overlap rule. Every active reservation and blackout owns rows in
-- spaces.claims, kept by the triggers below, and one exclusion constraint refuses any two rows
-- that collide. What lanes and holders mean is told at the table (sql/005_claims.sql).

-- The rows a reservation (p_blackout_id NULL) or a blackout (its id, or 0 for a probe) would
-- claim. The only place the shape of a claim is decided: the triggers insert these rows and the
-- conflict check probes with them, so the check and the constraint can never disagree.
CREATE OR REPLACE FUNCTION spaces.claim_rows(p_resource_id bigint, p_during tstzrange, p_blackout_id bigint DEFAULT NULL)
RETURNS TABLE (resource_id bigint, during tstzrange, lanes int8range, holders int8range)
LANGUAGE sql STABLE AS $$
    SELECT line.resource_id,
           p_during,
           CASE WHEN line.depth = 0 THEN '(,)'::int8range
                ELSE int8range(p_resource_id, p_resource_id + 1) END,
           CASE WHEN p_blackout_id IS NULL THEN '(,)'::int8range
                ELSE int8range(p_blackout_id, p_blackout_id + 1) END
      FROM spaces.resource_line(p_resource_id) AS line
    UNION ALL
    SELECT line.resource_id,
           tstzrange(upper(p_during), upper(p_during) + make_interval(mins => line.buffer_minutes), '[)'),
           '(,)'::int8range,
           '[-1,0)'::int8range
      FROM spaces.resource_line(p_resource_id) AS line
     WHERE p_blackout_id IS NULL AND line.depth = 0 AND line.buffer_minutes > 0
$$;

-- The rules keep claims themselves; people with access only read them. The triggers that write
-- them run with their owner's rights, and the helpers they call are theirs alone.
CREATE OR REPLACE FUNCTION spaces.claim_for_reservation(r spaces.reservations) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO spaces.claims (resource_id, during, lanes, holders, reservation_id)
    SELECT c.resource_id, c.during, c.lanes, c.holders, r.id
      FROM spaces.claim_rows(r.resource_id, r.during) AS c
$$;

CREATE OR REPLACE FUNCTION spaces.claim_for_blackout(b spaces.blackouts) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO spaces.claims (resource_id, during, lanes, holders, blackout_id)
    SELECT c.resource_id, c.during, c.lanes, c.holders, b.id
      FROM spaces.claim_rows(b.resource_id, b.during, b.id) AS c
$$;

REVOKE EXECUTE ON FUNCTION
    spaces.claim_for_reservation(spaces.reservations),
    spaces.claim_for_blackout(spaces.blackouts)
    FROM PUBLIC;

CREATE OR REPLACE FUNCTION spaces.reservations_sync_claims() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF spaces.is_active_status(NEW.status) THEN
            PERFORM spaces.claim_for_reservation(NEW);
        END IF;
    ELSIF spaces.is_active_status(OLD.status) AND NOT spaces.is_active_status(NEW.status) THEN
        DELETE FROM spaces.claims WHERE reservation_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER reservations_sync_claims
    AFTER INSERT OR UPDATE OF status ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_sync_claims();

CREATE OR REPLACE FUNCTION spaces.blackouts_sync_claims() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'active' THEN
            PERFORM spaces.claim_for_blackout(NEW);
        END IF;
    ELSIF OLD.status = 'active' AND NEW.status <> 'active' THEN
        DELETE FROM spaces.claims WHERE blackout_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER blackouts_sync_claims
    AFTER INSERT OR UPDATE OF status ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_sync_claims();

-- One holder of claims, for people: "'Load-in' (reservation 12) on Truck, 2026-12-01 10:00-12:00".
CREATE OR REPLACE FUNCTION spaces.holder_text(p_reservation_id bigint, p_blackout_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s (%s %s) on %s, %s-%s', quote_literal(holder.what), holder.kind, holder.id,
                  res.name,
                  to_char(lower(holder.during) AT TIME ZONE res.timezone, 'YYYY-MM-DD HH24:MI'),
                  to_char(upper(holder.during) AT TIME ZONE res.timezone, 'YYYY-MM-DD HH24:MI'))
      FROM (SELECT 'reservation' AS kind, r.id, r.title AS what, r.resource_id, r.during
              FROM spaces.reservations r WHERE r.id = p_reservation_id
            UNION ALL
            SELECT 'blackout', b.id, b.reason, b.resource_id, b.during
              FROM spaces.blackouts b WHERE b.id = p_blackout_id) AS holder
      JOIN spaces.resources res ON res.id = holder.resource_id
$$;

-- What the claims of a subtree's holders would collide with if they were made again now: up to
-- five pairs, for the message that refuses the change.
CREATE OR REPLACE FUNCTION spaces.subtree_collisions(p_subtree bigint[]) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH wanted AS (
        SELECT r.id AS reservation_id, NULL::bigint AS blackout_id, c.*
          FROM spaces.reservations r, spaces.claim_rows(r.resource_id, r.during) AS c
         WHERE r.resource_id = ANY (p_subtree) AND spaces.is_active_status(r.status)
        UNION ALL
        SELECT NULL, b.id, c.*
          FROM spaces.blackouts b, spaces.claim_rows(b.resource_id, b.during, b.id) AS c
         WHERE b.resource_id = ANY (p_subtree) AND b.status = 'active'
    ), everything AS (
        SELECT reservation_id, blackout_id, resource_id, during, lanes, holders FROM wanted
        UNION ALL
        SELECT reservation_id, blackout_id, resource_id, during, lanes, holders FROM spaces.claims
    ), pairs AS (
        -- Each pair once, whichever side it was found from.
        SELECT DISTINCT least(w.key, e.key) AS one, greatest(w.key, e.key) AS other
          FROM (SELECT *, ARRAY[reservation_id, blackout_id] AS key FROM wanted) AS w
          JOIN (SELECT *, ARRAY[reservation_id, blackout_id] AS key FROM everything) AS e
            ON e.resource_id = w.resource_id AND e.during && w.during
           AND e.lanes && w.lanes AND e.holders && w.holders
           AND e.key IS DISTINCT FROM w.key
    )
    SELECT string_agg(spaces.holder_text(one[1], one[2]) || ' with '
                      || spaces.holder_text(other[1], other[2]), '; ')
      FROM (SELECT * FROM pairs ORDER BY one, other LIMIT 5) AS shown
$$;

-- Moving a resource in the tree or changing its turnover changes what its holders claim: claim
-- everything in the moved subtree again. A change that would make two of them collide is refused
-- with SP003, naming them. The trees' turns are held (a_lock_trees), so no booking can go in
-- against the old tree meanwhile, and none of the claims made here is stale.
CREATE OR REPLACE FUNCTION spaces.resources_reclaim() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    subtree bigint[] := ARRAY(SELECT resource_id FROM spaces.resource_subtree(NEW.id));
BEGIN
    DELETE FROM spaces.claims c
     USING spaces.reservations r
     WHERE c.reservation_id = r.id AND r.resource_id = ANY (subtree);
    DELETE FROM spaces.claims c
     USING spaces.blackouts b
     WHERE c.blackout_id = b.id AND b.resource_id = ANY (subtree);
    BEGIN
        PERFORM spaces.claim_for_reservation(r)
           FROM spaces.reservations r
          WHERE r.resource_id = ANY (subtree) AND spaces.is_active_status(r.status);
        PERFORM spaces.claim_for_blackout(b)
           FROM spaces.blackouts b
          WHERE b.resource_id = ANY (subtree) AND b.status = 'active';
    EXCEPTION WHEN exclusion_violation THEN
        RAISE EXCEPTION '% cannot %: it would make these collide: %', NEW.name,
            CASE WHEN OLD.parent_id IS DISTINCT FROM NEW.parent_id
                 THEN CASE WHEN NEW.parent_id IS NULL THEN 'leave its parent'
                           ELSE 'move inside ' || (SELECT name FROM spaces.resources
                                                     WHERE id = NEW.parent_id) END
                 ELSE 'take a turnover of ' || NEW.buffer_minutes || ' minutes' END,
            coalesce(spaces.subtree_collisions(subtree), 'its own bookings')
            USING ERRCODE = 'SP003';
    END;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER resources_reclaim
    AFTER UPDATE OF parent_id, buffer_minutes ON spaces.resources
    FOR EACH ROW
    WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.buffer_minutes <> NEW.buffer_minutes)
    EXECUTE FUNCTION spaces.resources_reclaim();
