-- A tree's turn is a row lock on the row of its top resource here, which nobody but Spaces' own
-- functions can take (sql/rules/tree_turns.sql says who takes turns, and when). It replaces an
-- advisory lock, which any role that could connect could take and hold.

CREATE TABLE spaces.tree_turns (
    resource_id bigint PRIMARY KEY REFERENCES spaces.resources (id),
    turns       bigint NOT NULL DEFAULT 0
);
INSERT INTO spaces.tree_turns (resource_id) SELECT id FROM spaces.resources;
REVOKE ALL ON spaces.tree_turns FROM PUBLIC;

-- The advisory-lock version, replaced by lock_trees (in databases made before the rules moved to
-- sql/rules/; a fresh one never had it).
DROP FUNCTION IF EXISTS spaces.lock_tree(bigint);

-- Roles granted before this revision get what a grant gives them now: no UPDATE on the tables
-- whose rows take turns (statuses change through spaces.set_status and spaces.lift_blackout),
-- SELECT on the new table like on every other, and at most a few seconds idle in a transaction.
DO $$
DECLARE
    person record;
BEGIN
    FOR person IN SELECT a.name FROM spaces.access a
                   WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name) LOOP
        EXECUTE format('REVOKE UPDATE ON spaces.reservations, spaces.blackouts FROM %I', person.name);
        EXECUTE format('GRANT SELECT ON spaces.tree_turns TO %I', person.name);
        BEGIN
            EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L',
                           person.name, '5s');
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'could not bound how long % may sit idle in a transaction (ALTER ROLE needs CREATEROLE): set idle_in_transaction_session_timeout for it by hand',
                person.name;
        END;
    END LOOP;
END
$$;
