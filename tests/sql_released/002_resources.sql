-- One polymorphic table for everything bookable. A resource may sit inside another (a stage
-- contains its floor areas); the tree is what makes a stage booking block its areas.

CREATE TABLE spaces.resources (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL UNIQUE CHECK (btrim(name) <> '' AND name = btrim(name)),
    kind              text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    module            text NOT NULL DEFAULT 'spaces' CHECK (module ~ '^[a-z][a-z0-9_]*$'),
    external_ref      text,
    parent_id         bigint REFERENCES spaces.resources (id),
    capacity          integer CHECK (capacity > 0),
    requires_approval boolean NOT NULL DEFAULT false,
    approvers         text[] NOT NULL DEFAULT '{}' CHECK (array_position(approvers, NULL) IS NULL),
    buffer_minutes    integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 1440),
    timezone          text NOT NULL DEFAULT spaces.default_timezone()
                      CHECK (spaces.is_valid_timezone(timezone)),
    -- The daily window the resource is meant to be used in; utilization is measured against it.
    bookable_from     time NOT NULL DEFAULT '00:00',
    bookable_until    time NOT NULL DEFAULT '24:00',
    attributes        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id <> id),
    CHECK (bookable_from < bookable_until),
    UNIQUE (module, external_ref)
);

CREATE INDEX resources_parent_idx ON spaces.resources (parent_id);

-- The resource itself and every resource above it, nearest first (depth 0 is the resource).
CREATE FUNCTION spaces.resource_line(p_resource_id bigint)
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
CREATE FUNCTION spaces.resource_subtree(p_resource_id bigint)
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

-- Refuses a parent that would close a cycle. Tree changes take one lock so that two concurrent
-- re-parentings (A under B, B under A) cannot each pass the check alone.
CREATE FUNCTION spaces.resources_guard_tree() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('spaces.resource_tree'));
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

CREATE TRIGGER resources_guard_tree
    BEFORE INSERT OR UPDATE OF parent_id ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.resources_guard_tree();
