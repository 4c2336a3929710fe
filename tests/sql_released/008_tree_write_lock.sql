-- Superseded by sql/012_tree_turns.sql (revision 0004): the advisory lock below is gone, and a
-- tree's turn is a row lock only Spaces can take; today's rule is there.
-- Writes into one resource tree take turns.
--
-- Two overlapping inserts at the same instant each put their row in the index, each then finds
-- the other's uncommitted row in the exclusion check and waits for it: a deadlock, which
-- PostgreSQL breaks only after deadlock_timeout (a second) by cancelling one of them. Taking a
-- transaction lock on the tree's top resource before the row goes in makes the later writer
-- wait for the earlier one to finish, and then get a plain exclusion violation (23P01) at once.
--
-- Correctness never depends on this lock: the exclusion constraints refuse every overlap
-- whether it is taken or not. It only turns a slow deadlock into a quick, clear refusal.

CREATE FUNCTION spaces.lock_tree(p_resource_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    top bigint;
BEGIN
    SELECT line.resource_id INTO top
      FROM spaces.resource_line(p_resource_id) AS line
     ORDER BY line.depth DESC LIMIT 1;
    IF top IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('spaces.tree_write'), (top % 2147483647)::int);
    END IF;
END
$$;

CREATE FUNCTION spaces.lock_tree_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM spaces.lock_tree(NEW.resource_id);
    RETURN NEW;
END
$$;

-- Named to sort first: BEFORE triggers run in name order, and the lock should come first.
CREATE TRIGGER a_lock_tree
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.lock_tree_before_insert();

CREATE TRIGGER a_lock_tree
    BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.lock_tree_before_insert();
