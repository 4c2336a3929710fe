-- Claims: what makes the resource tree, blackouts and turnover buffers as safe under concurrent
-- writes as the plain overlap rule. Every active reservation and blackout owns rows here,
-- maintained by triggers, and one exclusion constraint refuses any two rows that collide:
--
--   same resource  AND  overlapping time  AND  overlapping lanes  AND  overlapping holders
--
-- Lanes make the tree work. A booking of R claims R with every lane, and each resource above R
-- with the single lane [R, R+1). Two areas of one stage claim the stage in different lanes and
-- pass; a booking of the stage claims it with every lane and collides with both.
--
-- Holders say who may collide with whom:
--   reservation time      (,)              collides with everything
--   reservation turnover  [-1, 0)          collides with reservations only, not with blackouts
--   blackout B            [B, B+1)         collides with reservations, never with other blackouts
--   a blackout not yet inserted (probe)    [0, 1)
-- so overlapping blackouts may stack (a union break inside a maintenance hold), and a room's
-- cleaning time after a booking keeps the next booking off without refusing a blackout.
--
-- The turnover buffer follows each booking on the booked resource itself only: after a stage
-- booking the stage (and so its areas) waits; after an area booking only that area waits.

CREATE TABLE spaces.claims (
    resource_id    bigint NOT NULL REFERENCES spaces.resources (id),
    during         tstzrange NOT NULL,
    lanes          int8range NOT NULL,
    holders        int8range NOT NULL,
    reservation_id bigint REFERENCES spaces.reservations (id),
    blackout_id    bigint REFERENCES spaces.blackouts (id),
    CHECK (num_nonnulls(reservation_id, blackout_id) = 1),
    CONSTRAINT claims_no_collision
        EXCLUDE USING gist (resource_id WITH =, during WITH &&, lanes WITH &&, holders WITH &&)
);

CREATE INDEX claims_reservation_idx ON spaces.claims (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX claims_blackout_idx ON spaces.claims (blackout_id) WHERE blackout_id IS NOT NULL;

-- The rows a reservation (p_blackout_id NULL) or a blackout (its id, or 0 for a probe) would
-- claim. The only place the shape of a claim is decided: the triggers insert these rows and the
-- conflict check probes with them, so the check and the constraint can never disagree.
CREATE FUNCTION spaces.claim_rows(p_resource_id bigint, p_during tstzrange, p_blackout_id bigint DEFAULT NULL)
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

CREATE FUNCTION spaces.claim_for_reservation(r spaces.reservations) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO spaces.claims (resource_id, during, lanes, holders, reservation_id)
    SELECT c.resource_id, c.during, c.lanes, c.holders, r.id
      FROM spaces.claim_rows(r.resource_id, r.during) AS c
$$;

CREATE FUNCTION spaces.claim_for_blackout(b spaces.blackouts) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO spaces.claims (resource_id, during, lanes, holders, blackout_id)
    SELECT c.resource_id, c.during, c.lanes, c.holders, b.id
      FROM spaces.claim_rows(b.resource_id, b.during, b.id) AS c
$$;

CREATE FUNCTION spaces.reservations_sync_claims() RETURNS trigger
LANGUAGE plpgsql AS $$
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

CREATE TRIGGER reservations_sync_claims
    AFTER INSERT OR UPDATE OF status ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.reservations_sync_claims();

CREATE FUNCTION spaces.blackouts_sync_claims() RETURNS trigger
LANGUAGE plpgsql AS $$
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

CREATE TRIGGER blackouts_sync_claims
    AFTER INSERT OR UPDATE OF status ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_sync_claims();

-- Moving a resource in the tree or changing its turnover changes what its holders claim: claim
-- everything in the moved subtree again, and let the constraint refuse a move that collides.
CREATE FUNCTION spaces.resources_reclaim() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM spaces.claims c
     USING spaces.reservations r
     WHERE c.reservation_id = r.id
       AND r.resource_id IN (SELECT resource_id FROM spaces.resource_subtree(NEW.id));
    DELETE FROM spaces.claims c
     USING spaces.blackouts b
     WHERE c.blackout_id = b.id
       AND b.resource_id IN (SELECT resource_id FROM spaces.resource_subtree(NEW.id));

    PERFORM spaces.claim_for_reservation(r)
       FROM spaces.reservations r
      WHERE r.resource_id IN (SELECT resource_id FROM spaces.resource_subtree(NEW.id))
        AND spaces.is_active_status(r.status);
    PERFORM spaces.claim_for_blackout(b)
       FROM spaces.blackouts b
      WHERE b.resource_id IN (SELECT resource_id FROM spaces.resource_subtree(NEW.id))
        AND b.status = 'active';
    RETURN NULL;
END
$$;

CREATE TRIGGER resources_reclaim
    AFTER UPDATE OF parent_id, buffer_minutes ON spaces.resources
    FOR EACH ROW
    WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.buffer_minutes <> NEW.buffer_minutes)
    EXECUTE FUNCTION spaces.resources_reclaim();
