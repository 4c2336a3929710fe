-- Blackouts: maintenance, holds and breaks as real records. An active blackout blocks its
-- resource, everything inside it, and the resources it sits in (a stage cannot be booked whole
-- while one of its areas is under maintenance). Lifting one is the only change allowed.

CREATE TABLE spaces.blackouts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id bigint NOT NULL REFERENCES spaces.resources (id),
    during      tstzrange NOT NULL CHECK (spaces.is_valid_period(during)),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    kind        text NOT NULL DEFAULT 'maintenance'
                CHECK (kind IN ('maintenance', 'hold', 'break', 'other')),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lifted')),
    created_by  text NOT NULL DEFAULT spaces.current_actor(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    lifted_by   text,
    lifted_at   timestamptz,
    CHECK ((status = 'lifted') = (lifted_at IS NOT NULL))
);

CREATE INDEX blackouts_during_idx ON spaces.blackouts USING gist (resource_id, during);

CREATE FUNCTION spaces.blackouts_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM spaces.resources WHERE id = NEW.resource_id) THEN
        RAISE EXCEPTION 'no resource with id %', NEW.resource_id USING ERRCODE = 'SP004';
    END IF;
    IF NEW.status <> 'active' THEN
        RAISE EXCEPTION 'a new blackout is active, not %', NEW.status USING ERRCODE = 'SP001';
    END IF;
    NEW.created_at := now();
    NEW.lifted_by := NULL;
    NEW.lifted_at := NULL;
    RETURN NEW;
END
$$;

CREATE TRIGGER blackouts_before_insert
    BEFORE INSERT ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_before_insert();

CREATE FUNCTION spaces.blackouts_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.resource_id <> OLD.resource_id OR NEW.during <> OLD.during
       OR NEW.reason <> OLD.reason OR NEW.kind <> OLD.kind OR NEW.created_by <> OLD.created_by
       OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'blackout % cannot be edited; lift it and add another', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    IF NEW.status <> OLD.status THEN
        IF OLD.status <> 'active' THEN
            RAISE EXCEPTION 'blackout % is already lifted', OLD.id USING ERRCODE = 'SP001';
        END IF;
        NEW.lifted_by := spaces.current_actor();
        NEW.lifted_at := now();
    ELSIF NEW.lifted_by IS DISTINCT FROM OLD.lifted_by OR NEW.lifted_at IS DISTINCT FROM OLD.lifted_at THEN
        RAISE EXCEPTION 'blackout %: who lifted it, and when, is recorded by Spaces itself', OLD.id
            USING ERRCODE = 'SP003';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER blackouts_before_update
    BEFORE UPDATE ON spaces.blackouts
    FOR EACH ROW EXECUTE FUNCTION spaces.blackouts_before_update();
