-- Reservations and their life: pending -> confirmed | rejected, pending | confirmed -> cancelled.
-- Pending and confirmed both hold the slot. The life itself is in sql/rules/reservations.sql.

CREATE TABLE spaces.reservations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id   bigint NOT NULL REFERENCES spaces.resources (id),
    during        tstzrange NOT NULL CHECK (spaces.is_valid_period(during)),
    -- NULL on insert means "decide for me": pending where the resource requires approval.
    status        text NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
    title         text NOT NULL CHECK (btrim(title) <> ''),
    booked_by     text NOT NULL DEFAULT spaces.current_actor(),
    headcount     integer CHECK (headcount > 0),
    decided_by    text,
    decided_at    timestamptz,
    decision_note text,
    cancelled_by  text,
    cancelled_at  timestamptz,
    cancel_reason text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reservations_no_overlap
        EXCLUDE USING gist (resource_id WITH =, during WITH &&)
        WHERE (spaces.is_active_status(status))
);

CREATE INDEX reservations_during_idx ON spaces.reservations USING gist (during);
CREATE INDEX reservations_status_idx ON spaces.reservations (status) WHERE status = 'pending';
