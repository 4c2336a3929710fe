-- What insights need of each resource (sql/rules/hours.sql, spaces_tui/engine/insights.py).

-- Bookable hours for the whole week, in the resource's own zone, as minutes from Monday 00:00
-- (0 to 10080): one value holds every weekday's window, a window past midnight, a split day.
-- Utilization is measured against it and outside_hours is warned of; nothing is refused by it.
-- The one daily window before it (bookable_from, bookable_until) is carried over to every day.
ALTER TABLE spaces.resources
    ADD COLUMN bookable_week int4multirange NOT NULL DEFAULT '{[0,10080)}'
    CONSTRAINT resources_bookable_week_in_week
    CHECK (NOT isempty(bookable_week) AND bookable_week <@ '{[0,10080)}'::int4multirange);

-- A move of data, not a change anyone made: no trigger of the resources (their events) fires.
ALTER TABLE spaces.resources DISABLE TRIGGER USER;
UPDATE spaces.resources
   SET bookable_week = (
       SELECT range_agg(int4range(
                  day * 1440 + (extract(epoch FROM bookable_from) / 60)::int,
                  day * 1440 + (extract(epoch FROM bookable_until) / 60)::int))
         FROM generate_series(0, 6) AS day)
 WHERE bookable_from <> '00:00' OR bookable_until <> '24:00';
ALTER TABLE spaces.resources ENABLE TRIGGER USER;

ALTER TABLE spaces.resources DROP COLUMN bookable_from, DROP COLUMN bookable_until;

-- A blackout this close before a booking's start or after its end (on the resource, above it
-- or inside it) is worth a warning: a get-in that overruns, a cleaning crew that comes early.
ALTER TABLE spaces.resources
    ADD COLUMN blackout_margin interval NOT NULL DEFAULT interval '60 minutes'
    CONSTRAINT resources_blackout_margin_sane
    CHECK (blackout_margin BETWEEN interval '0' AND interval '7 days');
