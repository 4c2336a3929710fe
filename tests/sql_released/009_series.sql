-- Recurring reservations: a series records the rule (RFC 5545 RRULE, expanded by the app on the
-- resource's wall clock), and every occurrence is its own reservation row linked to it, under the
-- very same constraints as a one-off booking. The series is the record of intent; the rows are
-- what holds the room.

CREATE TABLE spaces.series (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id bigint NOT NULL REFERENCES spaces.resources (id),
    rrule       text NOT NULL CHECK (btrim(rrule) <> ''),
    timezone    text NOT NULL CHECK (spaces.is_valid_timezone(timezone)),
    first_start timestamptz NOT NULL,
    duration    interval NOT NULL CHECK (duration > interval '0'),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    created_by  text NOT NULL DEFAULT spaces.current_actor(),
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE spaces.reservations ADD COLUMN series_id bigint REFERENCES spaces.series (id);
CREATE INDEX reservations_series_idx ON spaces.reservations (series_id, lower(during))
    WHERE series_id IS NOT NULL;

-- An occurrence belongs to its series for good, like its resource and time.
CREATE FUNCTION spaces.reservations_keep_series() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reservation %: the series it belongs to cannot change', OLD.id
        USING ERRCODE = 'SP003';
END
$$;

CREATE TRIGGER reservations_keep_series
    BEFORE UPDATE OF series_id ON spaces.reservations
    FOR EACH ROW WHEN (NEW.series_id IS DISTINCT FROM OLD.series_id)
    EXECUTE FUNCTION spaces.reservations_keep_series();

-- A series is a record of what was asked for: never edited afterwards.
CREATE FUNCTION spaces.series_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a series is never edited: cancel its occurrences and book again'
        USING ERRCODE = 'SP003';
END
$$;

CREATE TRIGGER series_append_only
    BEFORE UPDATE OR DELETE ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.series_append_only();

CREATE FUNCTION spaces.reservations_match_series() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.series
                    WHERE id = NEW.series_id AND resource_id = NEW.resource_id) THEN
        RAISE EXCEPTION 'series % is not a series of resource %', NEW.series_id, NEW.resource_id
            USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reservations_match_series
    BEFORE INSERT ON spaces.reservations
    FOR EACH ROW WHEN (NEW.series_id IS NOT NULL)
    EXECUTE FUNCTION spaces.reservations_match_series();
