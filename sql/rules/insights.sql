-- Risks: what is worth a look before a period is booked, though no rule refuses it. They sit
-- beside the booking path, never in it: the form, `spaces check`, `spaces book` and the
-- approval queue all ask this one function, and spaces_tui/engine/insights.py words each row.
--
-- One row per risk of each asked period (n: its place in the arrays, from 1). The ref_*
-- columns name what the risk is about (a blackout, a booking), share and amount its measure,
-- span how long or how far, hours the bookable hours of the period's day.
--
-- over_capacity is not a risk: the reservations trigger refuses it (sql/rules/reservations.sql
-- words that refusal). It is reported here too, so a form can say so before anything is sent.
CREATE OR REPLACE FUNCTION spaces.booking_risks(
    p_resource_ids bigint[], p_starts timestamptz[], p_ends timestamptz[],
    p_headcounts integer[], p_excludes bigint[], p_now timestamptz
) RETURNS TABLE (
    n bigint, kind text, ref_kind text, ref_id bigint, ref_resource text,
    ref_start timestamptz, ref_end timestamptz, ref_title text, ref_who text, ref_detail text,
    share double precision, amount integer, span interval, hours tstzmultirange
)
LANGUAGE sql STABLE AS $$
    WITH asked AS (
        SELECT a.n, a.resource_id, tstzrange(a.starts, a.ends, '[)') AS during, a.headcount,
               a.exclude_id, r.name, r.capacity, r.buffer_minutes, r.timezone, r.bookable_week,
               r.blackout_margin, r.requires_approval, r.approvers, r.active,
               -- the local day the period starts on, as real times
               tstzrange(date_trunc('day', a.starts AT TIME ZONE r.timezone) AT TIME ZONE r.timezone,
                         (date_trunc('day', a.starts AT TIME ZONE r.timezone) + interval '1 day')
                             AT TIME ZONE r.timezone, '[)') AS day
          FROM unnest(p_resource_ids, p_starts, p_ends, p_headcounts, p_excludes)
               WITH ORDINALITY AS a (resource_id, starts, ends, headcount, exclude_id, n)
          JOIN spaces.resources r ON r.id = a.resource_id
    ),
    -- Each period with its day's bookable hours, worked out once for busy_day and outside_hours.
    opening AS (
        SELECT asked.n, spaces.week_hours(asked.bookable_week, asked.timezone, asked.day) AS hours
          FROM asked
    ),
    -- What blocks each asked resource: itself, what it sits in, what sits in it.
    tree AS (
        SELECT asked.n, t.resource_id
          FROM asked, LATERAL spaces.resource_blockers(asked.resource_id) AS t
    ),
    -- Bookings on the tree, around the period and its day, other than the one asked about
    -- again. A lateral probe per resource of the tree, so it is the exclusion constraint's GiST
    -- index (resource_id, during) that finds them, not a scan of every booking of the tree.
    nearby_bookings AS (
        SELECT asked.n, v.id, v.during, v.title, v.booked_by, v.status, vr.name AS resource,
               vr.buffer_minutes
          FROM asked
          JOIN tree ON tree.n = asked.n
          JOIN spaces.resources vr ON vr.id = tree.resource_id
         CROSS JOIN LATERAL (
               SELECT v.id, v.during, v.title, v.booked_by, v.status
                 FROM spaces.reservations v
                WHERE v.resource_id = tree.resource_id
                  AND spaces.is_active_status(v.status)
                  AND v.during && tstzrange(
                          least(lower(asked.during), lower(asked.day)) - interval '2 days',
                          greatest(upper(asked.during), upper(asked.day)) + interval '2 days')
               OFFSET 0  -- kept a probe: pulled up into a join, it became a hash of them all
               ) v
         WHERE v.id IS DISTINCT FROM asked.exclude_id
    ),
    -- What the tree already holds on each period's day.
    day_held AS (
        SELECT v.n, range_agg(v.during) AS held
          FROM nearby_bookings v JOIN asked ON asked.n = v.n
         WHERE v.during && asked.day
         GROUP BY v.n
    )
    SELECT a.n, CASE WHEN a.headcount > a.capacity THEN 'over_capacity' ELSE 'near_capacity' END,
           NULL::text, NULL::bigint, a.name, NULL::timestamptz, NULL::timestamptz, NULL::text,
           NULL::text, NULL::text, a.headcount::double precision / a.capacity, a.capacity,
           NULL::interval, NULL::tstzmultirange
      FROM asked a
     WHERE a.headcount >= 0.9 * a.capacity
    UNION ALL
    SELECT a.n, 'near_blackout', 'blackout', b.id, br.name, lower(b.during), upper(b.during),
           b.reason, b.created_by, b.kind, NULL, NULL,
           CASE WHEN upper(b.during) <= lower(a.during) THEN lower(a.during) - upper(b.during)
                ELSE lower(b.during) - upper(a.during) END,
           NULL
      FROM asked a
      JOIN tree ON tree.n = a.n
      JOIN spaces.blackouts b ON b.resource_id = tree.resource_id
      JOIN spaces.resources br ON br.id = b.resource_id
     WHERE b.status = 'active'
       AND b.during && tstzrange(lower(a.during) - a.blackout_margin,
                                 upper(a.during) + a.blackout_margin, '[]')
       AND NOT b.during && a.during  -- one in the period is in the way, not a risk
    UNION ALL
    SELECT a.n, 'back_to_back', 'reservation', v.id, v.resource, lower(v.during), upper(v.during),
           v.title, v.booked_by, v.status, NULL, greatest(a.buffer_minutes, v.buffer_minutes),
           CASE WHEN upper(v.during) <= lower(a.during) THEN lower(a.during) - upper(v.during)
                ELSE lower(v.during) - upper(a.during) END,
           NULL
      FROM asked a
      JOIN nearby_bookings v ON v.n = a.n
     WHERE NOT v.during && a.during
       AND (upper(v.during) BETWEEN lower(a.during)
                - make_interval(mins => greatest(a.buffer_minutes, v.buffer_minutes) + 15)
                AND lower(a.during)
            OR lower(v.during) BETWEEN upper(a.during)
                AND upper(a.during)
                + make_interval(mins => greatest(a.buffer_minutes, v.buffer_minutes) + 15))
    UNION ALL
    SELECT a.n, 'busy_day', NULL, NULL, a.name, lower(a.day), upper(a.day), NULL, NULL, NULL,
           extract(epoch FROM measured.span) / extract(epoch FROM measured.open_for),
           NULL, measured.span, opening.hours
      FROM asked a
      JOIN opening ON opening.n = a.n
      JOIN day_held ON day_held.n = a.n  -- a day nothing holds yet is not busy
     CROSS JOIN LATERAL (SELECT spaces.duration(day_held.held * opening.hours) AS span,
                                spaces.duration(opening.hours) AS open_for) measured
     WHERE measured.open_for > interval '0'
       AND extract(epoch FROM measured.span) >= 0.85 * extract(epoch FROM measured.open_for)
    UNION ALL
    SELECT a.n, 'outside_hours', NULL, NULL, a.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           spaces.duration(tstzmultirange(a.during) - within.hours), opening.hours
      FROM asked a
      JOIN opening ON opening.n = a.n
     CROSS JOIN LATERAL (
           SELECT CASE WHEN a.during <@ a.day THEN opening.hours  -- most periods: within a day
                       -- a period of over ten years is not measured past its first ten
                       ELSE spaces.week_hours(a.bookable_week, a.timezone,
                                              a.during * tstzrange(lower(a.during),
                                                                   lower(a.during) + interval '3650 days'))
                  END AS hours) within
     WHERE NOT tstzmultirange(a.during) <@ within.hours
    UNION ALL
    SELECT a.n, 'in_past', NULL, NULL, a.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL
      FROM asked a
     WHERE lower(a.during) < p_now
    UNION ALL
    SELECT a.n, 'no_approver', NULL, NULL, a.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL
      FROM asked a
     WHERE a.requires_approval AND cardinality(a.approvers) = 0
    UNION ALL
    SELECT a.n, 'approval_delay', NULL, NULL, a.name, NULL, NULL, NULL,
           array_to_string(a.approvers, ', '), NULL, NULL, count(*)::integer,
           p_now - min(v.created_at), NULL
      FROM asked a
      JOIN spaces.reservations v ON v.status = 'pending' AND v.id IS DISTINCT FROM a.exclude_id
      JOIN spaces.resources vr ON vr.id = v.resource_id
     WHERE a.requires_approval
       AND vr.approvers && a.approvers
       AND p_now - v.created_at > vr.stall_after
     GROUP BY a.n, a.name, a.approvers
    UNION ALL
    SELECT a.n, 'inactive', NULL, NULL, a.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL
      FROM asked a
     WHERE NOT a.active
     ORDER BY 1, 2, 6
$$;
