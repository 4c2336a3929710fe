-- The event bus: an outbox written in the same transaction as the change, and announced with
-- pg_notify('spaces_events', id). How ids are given and read in order is told in
-- sql/rules/events.sql; this revision handed them out at commit from event_id_seq, which
-- sql/013_event_order.sql replaced.

CREATE SEQUENCE spaces.event_id_seq AS bigint;

CREATE TABLE spaces.events (
    key            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             bigint UNIQUE,  -- NOT NULL since sql/013_event_order.sql
    topic          text NOT NULL CHECK (topic ~ '^[a-z]+(\.[a-z_]+)+$'),
    resource_id    bigint REFERENCES spaces.resources (id),
    reservation_id bigint REFERENCES spaces.reservations (id),
    blackout_id    bigint REFERENCES spaces.blackouts (id),
    actor          text NOT NULL DEFAULT spaces.current_actor(),
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_reservation_idx ON spaces.events (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX events_blackout_idx ON spaces.events (blackout_id) WHERE blackout_id IS NOT NULL;
