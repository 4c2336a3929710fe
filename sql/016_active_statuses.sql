-- The statuses that hold a slot are spelled once, in spaces.is_active_status
-- (sql/rules/table_helpers.sql). Databases made before this revision named them in two
-- constraints; these are made again to call it, as a fresh install's do (on one the rebuild
-- changes nothing). A window check that old rows break stays NOT VALID, as it was.
ALTER TABLE spaces.reservations DROP CONSTRAINT reservations_no_overlap;
ALTER TABLE spaces.reservations ADD CONSTRAINT reservations_no_overlap
    EXCLUDE USING gist (resource_id WITH =, during WITH &&)
    WHERE (spaces.is_active_status(status));

DO $$
DECLARE
    was_valid boolean := (SELECT convalidated FROM pg_constraint
                           WHERE conrelid = 'spaces.reservations'::regclass
                             AND conname = 'reservations_during_in_window');
BEGIN
    ALTER TABLE spaces.reservations DROP CONSTRAINT reservations_during_in_window;
    ALTER TABLE spaces.reservations ADD CONSTRAINT reservations_during_in_window
        CHECK (NOT spaces.is_active_status(status) OR during <@ spaces.bookable_window())
        NOT VALID;
    IF was_valid THEN
        ALTER TABLE spaces.reservations VALIDATE CONSTRAINT reservations_during_in_window;
    END IF;
END
$$;
