-- The resource tree: a resource may sit inside another (a stage contains its floor areas), and
-- the tree is what makes a stage booking block its areas (sql/rules/claims.sql).

-- The resource itself and every resource above it, nearest first (depth 0 is the resource).
CREATE OR REPLACE FUNCTION spaces.resource_line(p_resource_id bigint)
RETURNS TABLE (resource_id bigint, depth integer, buffer_minutes integer)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE line AS (
        SELECT r.id, r.parent_id, 0 AS depth, r.buffer_minutes
          FROM spaces.resources r WHERE r.id = p_resource_id
        UNION ALL
        SELECT p.id, p.parent_id, line.depth + 1, p.buffer_minutes
          FROM spaces.resources p JOIN line ON p.id = line.parent_id
         WHERE line.depth < 100
    )
    SELECT id, depth, buffer_minutes FROM line
$$;

-- The resource and everything below it.
CREATE OR REPLACE FUNCTION spaces.resource_subtree(p_resource_id bigint)
RETURNS TABLE (resource_id bigint)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE below AS (
        SELECT r.id, 0 AS depth FROM spaces.resources r WHERE r.id = p_resource_id
        UNION ALL
        SELECT c.id, below.depth + 1
          FROM spaces.resources c JOIN below ON c.parent_id = below.id
         WHERE below.depth < 100
    )
    SELECT id FROM below
$$;

-- The resources whose bookings and blackouts stand in a resource's way: itself, everything it
-- sits in and everything inside it (the tree rule the claims enforce, sql/rules/claims.sql).
-- Risks and utilization read it; siblings do not block each other.
CREATE OR REPLACE FUNCTION spaces.resource_blockers(p_resource_id bigint)
RETURNS TABLE (resource_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT line.resource_id FROM spaces.resource_line(p_resource_id) AS line
    UNION
    SELECT below.resource_id FROM spaces.resource_subtree(p_resource_id) AS below
$$;

-- The top of the tree a resource is in (itself when it has no parent).
CREATE OR REPLACE FUNCTION spaces.tree_top(p_resource_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT line.resource_id FROM spaces.resource_line(p_resource_id) AS line
     ORDER BY line.depth DESC LIMIT 1
$$;

-- Refuses a parent that would close a cycle. It needs no lock of its own: two moves that could
-- close a cycle (A under B, B under A) both hold the turns of both trees (sql/rules/tree_turns.sql),
-- so the second sees the first.
CREATE OR REPLACE FUNCTION spaces.resources_guard_tree() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM spaces.resources WHERE id = NEW.parent_id) THEN
        RAISE EXCEPTION 'no resource with id %', NEW.parent_id USING ERRCODE = 'SP004';
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (
        SELECT 1 FROM spaces.resource_line(NEW.parent_id) WHERE resource_id = NEW.id
    ) THEN
        RAISE EXCEPTION '% cannot be placed inside %: that resource is inside it',
            NEW.name, (SELECT name FROM spaces.resources WHERE id = NEW.parent_id)
            USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER resources_guard_tree
    BEFORE INSERT OR UPDATE OF parent_id ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.resources_guard_tree();
