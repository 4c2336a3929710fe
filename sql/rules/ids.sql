-- Ids are Spaces' to give. OVERRIDING SYSTEM VALUE lets an INSERT choose an identity value, and
-- so take the ids the next bookings would get. An id above what the sequence has handed out is
-- refused; one at or below it is either the one just given, or taken already (the primary key
-- refuses it), or a gap left by a rollback that no later row will want.

CREATE OR REPLACE FUNCTION spaces.refuse_chosen_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.id > coalesce(pg_sequence_last_value(TG_ARGV[0]::regclass), 0) THEN
        RAISE EXCEPTION 'the id of a new row in % is given by Spaces, not chosen (OVERRIDING SYSTEM VALUE)',
            TG_TABLE_NAME USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.reservations
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.reservations_id_seq');
CREATE OR REPLACE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.blackouts_id_seq');
CREATE OR REPLACE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.series_id_seq');
CREATE OR REPLACE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.resources
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.resources_id_seq');
CREATE OR REPLACE TRIGGER a0_refuse_chosen_id BEFORE INSERT ON spaces.booking_groups
    FOR EACH ROW EXECUTE FUNCTION spaces.refuse_chosen_id('spaces.booking_groups_id_seq');
