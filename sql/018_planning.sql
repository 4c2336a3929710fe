-- Planning: several resources booked as one (a booking group), a booking moved (cancelled and
-- booked again in one transaction, linked), and bookings found by their words. The rules that
-- keep groups and moves honest: sql/rules/groups.sql and sql/rules/moves.sql.

-- A booking group: the rows of one booking over several resources, all of them or none. Its
-- rows go in with it, in the transaction that made it (made_in), so nothing joins it later.
-- Made only by spaces.new_booking_group(), which takes every tree's turn first.
CREATE TABLE spaces.booking_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_by text NOT NULL DEFAULT spaces.current_actor(),
    created_at timestamptz NOT NULL DEFAULT now(),
    made_in    xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- Roles given access before this revision may read it, as a grant made now lets them.
DO $$
DECLARE
    people text := (SELECT string_agg(quote_ident(a.name), ', ') FROM spaces.access a
                     WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = a.name));
BEGIN
    IF people IS NOT NULL THEN
        EXECUTE 'GRANT SELECT ON spaces.booking_groups TO ' || people;
    END IF;
END
$$;

ALTER TABLE spaces.reservations
    ADD COLUMN group_id bigint REFERENCES spaces.booking_groups (id),
    -- The booking this one replaced in a move; at most one replacement each, so the unique
    -- index also answers "moved to".
    ADD COLUMN moved_from bigint UNIQUE REFERENCES spaces.reservations (id);
CREATE INDEX reservations_group_idx ON spaces.reservations (group_id) WHERE group_id IS NOT NULL;

-- Finding a booking by a word of its title or its booker's name (spaces list --search): a
-- trigram index answers a case-insensitive substring match without reading every row.
-- pg_trgm is a trusted extension: a role with CREATE on the database may install it. Where it
-- is installed already (another schema, say), its operator class is found there.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$
BEGIN
    EXECUTE format(
        'CREATE INDEX reservations_search_idx ON spaces.reservations'
        ' USING gin (lower(title || %L || booked_by) %I.gin_trgm_ops)',
        ' ', (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
               WHERE e.extname = 'pg_trgm'));
END
$$;
CREATE INDEX resources_name_search_idx ON spaces.resources (lower(name));
