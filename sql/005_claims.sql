-- Claims: what makes the resource tree, blackouts and turnover buffers as safe under concurrent
-- writes as the plain overlap rule. Every active reservation and blackout owns rows here,
-- maintained by triggers (sql/rules/claims.sql), and one exclusion constraint refuses any two
-- rows that collide:
--
--   same resource  AND  overlapping time  AND  overlapping lanes  AND  overlapping holders
--
-- Lanes make the tree work. A booking of R claims R with every lane, and each resource above R
-- with the single lane [R, R+1). Two areas of one stage claim the stage in different lanes and
-- pass; a booking of the stage claims it with every lane and collides with both.
--
-- Holders say who may collide with whom:
--   reservation time      (,)              collides with everything
--   reservation turnover  [-1, 0)          collides with reservations only, not with blackouts
--   blackout B            [B, B+1)         collides with reservations, never with other blackouts
--   a blackout not yet inserted (probe)    [0, 1)
-- so overlapping blackouts may stack (a union break inside a maintenance hold), and a room's
-- cleaning time after a booking keeps the next booking off without refusing a blackout.
--
-- The turnover buffer follows each booking on the booked resource itself only: after a stage
-- booking the stage (and so its areas) waits; after an area booking only that area waits.

CREATE TABLE spaces.claims (
    resource_id    bigint NOT NULL REFERENCES spaces.resources (id),
    during         tstzrange NOT NULL,
    lanes          int8range NOT NULL,
    holders        int8range NOT NULL,
    reservation_id bigint REFERENCES spaces.reservations (id),
    blackout_id    bigint REFERENCES spaces.blackouts (id),
    CHECK (num_nonnulls(reservation_id, blackout_id) = 1),
    CONSTRAINT claims_no_collision
        EXCLUDE USING gist (resource_id WITH =, during WITH &&, lanes WITH &&, holders WITH &&)
);

CREATE INDEX claims_reservation_idx ON spaces.claims (reservation_id) WHERE reservation_id IS NOT NULL;
CREATE INDEX claims_blackout_idx ON spaces.claims (blackout_id) WHERE blackout_id IS NOT NULL;
