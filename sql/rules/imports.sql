-- What an iCalendar import made (spaces.imported, sql/020_feeds_imports.sql) says who imported
-- it and when, as the database knows them: members in role mode write these rows themselves
-- (the import runs as them), so neither column is theirs to set.
CREATE OR REPLACE FUNCTION spaces.imported_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.imported_by := spaces.current_actor();
    NEW.imported_at := now();
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER imported_stamp
    BEFORE INSERT OR UPDATE ON spaces.imported
    FOR EACH ROW EXECUTE FUNCTION spaces.imported_stamp();
