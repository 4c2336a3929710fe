-- Ranges every reader can show: a booking or blackout that holds time lies in the bookable
-- window (spaces.bookable_window(), sql/rules/table_helpers.sql), a series starts in it, and a
-- request stalls after ten years at the most. The other guards of this revision (ids, series,
-- what an UPDATE may change, granted roles) are rules: sql/rules/.

ALTER TABLE spaces.reservations ADD CONSTRAINT reservations_during_in_window
    CHECK (NOT spaces.is_active_status(status) OR during <@ spaces.bookable_window())
    NOT VALID;
ALTER TABLE spaces.blackouts ADD CONSTRAINT blackouts_during_in_window
    CHECK (status <> 'active' OR during <@ spaces.bookable_window()) NOT VALID;
ALTER TABLE spaces.series ADD CONSTRAINT series_first_start_in_window
    CHECK (tstzrange(first_start, first_start + duration, '[)') <@ spaces.bookable_window())
    NOT VALID;
-- A request that stalls after a million years would be a time no reader can add to a date:
-- ten years (3652 days, not '10 years', which PostgreSQL compares as 3600 days) at the most.
ALTER TABLE spaces.resources ADD CONSTRAINT resources_stall_after_sane
    CHECK (stall_after <= interval '3652 days') NOT VALID;

-- Rows from before the rule stay (the readers show them clamped) and the upgrade says so.
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN VALUES ('spaces.reservations', 'reservations_during_in_window'),
                         ('spaces.blackouts', 'blackouts_during_in_window'),
                         ('spaces.series', 'series_first_start_in_window'),
                         ('spaces.resources', 'resources_stall_after_sane') LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', target.column1, target.column2);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING '% holds rows its new rule % refuses; they are kept (cancel or lift them), and new ones are refused',
                target.column1, target.column2;
        END;
    END LOOP;
END
$$;
