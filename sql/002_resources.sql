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
