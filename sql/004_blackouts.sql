-- Blackouts: maintenance, holds and breaks as real records. An active blackout blocks its
-- resource, everything inside it, and the resources it sits in (a stage cannot be booked whole
-- while one of its areas is under maintenance). Lifting one is the only change allowed
-- (sql/rules/blackouts.sql).

CREATE TABLE spaces.blackouts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id bigint NOT NULL REFERENCES spaces.resources (id),
    during      tstzrange NOT NULL CHECK (spaces.is_valid_period(during)),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    kind        text NOT NULL DEFAULT 'maintenance'
                CHECK (kind IN ('maintenance', 'hold', 'break', 'other')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lifted')),
    created_by  text NOT NULL DEFAULT spaces.current_actor(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    lifted_by   text,
    lifted_at   timestamptz,
    CHECK ((status = 'lifted') = (lifted_at IS NOT NULL))
);

CREATE INDEX blackouts_during_idx ON spaces.blackouts USING gist (resource_id, during);
