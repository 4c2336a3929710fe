-- Recurring reservations: a series records the rule (RFC 5545 RRULE, expanded by the app on the
-- resource's wall clock), and every occurrence is its own reservation row linked to it, under the
-- very same constraints as a one-off booking. The series is the record of intent; the rows are
-- what holds the room. Its rules: sql/rules/series.sql.

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
