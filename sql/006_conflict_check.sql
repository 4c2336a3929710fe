-- What is in the way, before insert, so the app can say it kindly: the functions that find it
-- are in sql/rules/conflicts.sql, and this is what they return.

-- One thing in the way. turnover_only marks an obstacle that only a turnover buffer puts there.
CREATE TYPE spaces.obstacle AS (
    kind          text,         -- reservation | blackout
    id            bigint,
    resource_id   bigint,       -- the obstacle's own resource: the one asked for, above or inside it
    resource_name text,
    during        tstzrange,
    status        text,
    title         text,         -- a reservation's title or a blackout's reason
    who           text,         -- who booked it, or who put the blackout in
    turnover_only boolean
);
