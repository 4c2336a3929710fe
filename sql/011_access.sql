-- Where the actor comes from, who has been given access, and how long a request may wait.
-- What they mean is told with the rules that use them: sql/rules/access.sql.

-- Where the actor comes from: 'app' (SET LOCAL spaces.actor, falling back to the connected role)
-- or 'role' (always the connected role). One row.
CREATE TABLE spaces.policy (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    actor_source text NOT NULL DEFAULT 'app' CHECK (actor_source IN ('app', 'role'))
);
INSERT INTO spaces.policy DEFAULT VALUES;

-- The people (in role mode: the roles) given access, and which of them are admins.
CREATE TABLE spaces.access (
    name       text PRIMARY KEY CHECK (btrim(name) <> '' AND name = btrim(name)),
    admin      boolean NOT NULL DEFAULT false,
    granted_by text NOT NULL DEFAULT spaces.current_actor(),
    granted_at timestamptz NOT NULL DEFAULT now()
);

-- A request waiting longer than this for a decision is stalled (per resource; the default is a
-- day). Stalling is a hint for people, not a rule: nothing is refused because of it.
ALTER TABLE spaces.resources
    ADD COLUMN stall_after interval NOT NULL DEFAULT interval '24 hours'
    CHECK (stall_after > interval '0');
