"""The promise, checked with SQL that trusts neither the app nor the claims table: after any race,
every test that raced asserts these hold."""

from __future__ import annotations

import psycopg

ACTIVE = "status IN ('pending', 'confirmed')"

# A resource and everything above it (itself included), written out here, not taken from sql/.
ANCESTRY = """WITH RECURSIVE line (id, ancestor) AS (
                  SELECT id, id FROM spaces.resources
                  UNION ALL
                  SELECT line.id, r.parent_id FROM line JOIN spaces.resources r
                    ON r.id = line.ancestor WHERE r.parent_id IS NOT NULL)"""

BROKEN = {
    "two active reservations of one resource overlap": f"""
        SELECT a.id, b.id FROM spaces.reservations a JOIN spaces.reservations b
          ON a.resource_id = b.resource_id AND a.id < b.id AND a.during && b.during
         WHERE a.{ACTIVE} AND b.{ACTIVE}""",
    "a booking overlaps an active booking of something inside it": f"""{ANCESTRY}
        SELECT inner_.id, outer_.id FROM line
          JOIN spaces.reservations inner_ ON inner_.resource_id = line.id
          JOIN spaces.reservations outer_ ON outer_.resource_id = line.ancestor
         WHERE line.id <> line.ancestor AND inner_.during && outer_.during
           AND inner_.{ACTIVE} AND outer_.{ACTIVE}""",
    "a booking lies in an active blackout on it, above it or inside it": f"""{ANCESTRY}
        SELECT v.id, b.id FROM spaces.reservations v
          JOIN line ON v.resource_id IN (line.id, line.ancestor)
          JOIN spaces.blackouts b ON b.status = 'active' AND b.during && v.during
           AND b.resource_id = CASE WHEN v.resource_id = line.id THEN line.ancestor ELSE line.id END
         WHERE v.{ACTIVE}""",
    "a booking starts inside the turnover after a booking of its resource or above it": f"""
        {ANCESTRY}
        SELECT a.id, b.id FROM spaces.reservations a
          JOIN spaces.resources r ON r.id = a.resource_id AND r.buffer_minutes > 0
          JOIN line ON line.ancestor = a.resource_id
          JOIN spaces.reservations b ON b.resource_id = line.id AND b.id <> a.id
           AND b.during && tstzrange(upper(a.during),
                                     upper(a.during) + make_interval(mins => r.buffer_minutes))
         WHERE a.{ACTIVE} AND b.{ACTIVE}""",
}

# The claims the committed tree implies, rebuilt from the rows that hold them.
IMPLIED_CLAIMS = f"""
    SELECT c.resource_id, c.during, c.lanes, c.holders, r.id AS reservation_id,
           NULL::bigint AS blackout_id
      FROM spaces.reservations r, spaces.claim_rows(r.resource_id, r.during) AS c
     WHERE r.{ACTIVE}
    UNION ALL
    SELECT c.resource_id, c.during, c.lanes, c.holders, NULL, b.id
      FROM spaces.blackouts b, spaces.claim_rows(b.resource_id, b.during, b.id) AS c
     WHERE b.status = 'active'"""
STORED_CLAIMS = (
    "SELECT resource_id, during, lanes, holders, reservation_id, blackout_id FROM spaces.claims"
)


def broken_rules(sql: psycopg.Connection) -> dict[str, list[tuple]]:
    """Each rule that does not hold, with up to five offending pairs of ids."""
    found = {}
    for rule, query in BROKEN.items():
        rows = sql.execute(query + " LIMIT 5").fetchall()
        if rows:
            found[rule] = rows
    stale = sql.execute(f"({STORED_CLAIMS}) EXCEPT ALL ({IMPLIED_CLAIMS}) LIMIT 5").fetchall()
    missing = sql.execute(f"({IMPLIED_CLAIMS}) EXCEPT ALL ({STORED_CLAIMS}) LIMIT 5").fetchall()
    if stale:
        found["claims the committed tree does not imply (stale)"] = stale
    if missing:
        found["claims the committed tree implies but nobody holds (missing)"] = missing
    return found


def assert_the_promise_holds(sql: psycopg.Connection) -> None:
    broken = broken_rules(sql)
    assert not broken, broken
