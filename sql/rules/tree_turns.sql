-- Every writer keeps the rules: writes into one resource tree take turns, and so does anything
-- that changes what a claim means (a resource's parent, its turnover buffer, whether it may be
-- booked at all, who approves it).
--
-- A tree's turn is a row lock on spaces.tree_turns (sql/012_tree_turns.sql), the row of the
-- tree's top resource. Nobody but Spaces' own functions can take it (no role is granted UPDATE
-- on the table), unlike advisory locks, which any role that can connect can take and hold. The
-- row is updated, not just locked, so that a REPEATABLE READ or SERIALIZABLE writer whose
-- snapshot is older than the last turn in its tree fails with 40001 instead of working from a
-- stale tree.
--
-- Who takes turns, always before touching a reservation, blackout or claim row:
--   a booking or blackout going in       its resource's tree           (trigger a_lock_tree)
--   spaces.set_status, lift_blackout,    the trees of what they change (before the row lock)
--   place_blackout, rehearse.cancel_session
--   a plain UPDATE of a status           its tree, from a trigger: after the row lock, so it can
--                                        meet one of the functions above in a deadlock (40P01);
--                                        granted roles cannot UPDATE those tables at all
--   a resource moved, re-buffered,       its old tree and its new one, in id order (trigger
--   (de)activated, its capacity or       a_lock_trees), and then every claim in its subtree is
--   approval changed                     made again against the tree as it now is
-- Turns are taken in increasing id of the top resource. A writer that finds the tree changed
-- under it while it waited (a move committed) takes the new tree's turn as well.
--
-- Correctness never depends on the turns: the exclusion constraints refuse every overlap
-- whether they are taken or not. Turns make racing writers wait for each other and get a plain
-- refusal (23P01) instead of a deadlock, and keep the claims in step with the committed tree.

CREATE OR REPLACE FUNCTION spaces.lock_trees(p_resource_ids bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    held bigint[] := '{}';
    wanted bigint[];
    top bigint;
BEGIN
    LOOP
        -- Each pass is a new statement, so after a wait it sees the tree as committed now.
        SELECT coalesce(array_agg(DISTINCT t.top ORDER BY t.top), '{}') INTO wanted
          FROM (SELECT spaces.tree_top(id) AS top FROM unnest(p_resource_ids) AS id) AS t
         WHERE t.top IS NOT NULL AND NOT t.top = ANY (held);
        EXIT WHEN cardinality(wanted) = 0;
        FOREACH top IN ARRAY wanted LOOP
            UPDATE spaces.tree_turns SET turns = turns + 1 WHERE resource_id = top;
        END LOOP;
        held := held || wanted;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION spaces.lock_trees(bigint[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION spaces.lock_tree_before_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY[NEW.resource_id]);
    RETURN NEW;
END
$$;

-- Named to sort first: BEFORE triggers run in name order, and the turn comes before any check.
CREATE OR REPLACE TRIGGER a_lock_tree
    BEFORE INSERT OR UPDATE OF status ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.lock_tree_before_insert();

CREATE OR REPLACE TRIGGER a_lock_tree
    BEFORE INSERT OR UPDATE OF status ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.lock_tree_before_insert();

-- Every resource has its row, made with it.
CREATE OR REPLACE FUNCTION spaces.resources_add_turn() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO spaces.tree_turns (resource_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER resources_add_turn
    AFTER INSERT ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.resources_add_turn();

CREATE OR REPLACE FUNCTION spaces.resources_lock_trees() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM spaces.lock_trees(ARRAY[OLD.id, NEW.parent_id]);
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER a_lock_trees
    BEFORE UPDATE ON spaces.resources
    FOR EACH ROW
    WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id
          OR OLD.buffer_minutes IS DISTINCT FROM NEW.buffer_minutes
          OR OLD.active IS DISTINCT FROM NEW.active
          OR OLD.capacity IS DISTINCT FROM NEW.capacity
          OR OLD.requires_approval IS DISTINCT FROM NEW.requires_approval
          OR OLD.approvers IS DISTINCT FROM NEW.approvers)
    EXECUTE FUNCTION spaces.resources_lock_trees();
