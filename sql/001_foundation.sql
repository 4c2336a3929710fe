-- The schema and the extension the exclusion constraints need. The small helpers every table
-- leans on (who is acting, what a valid time range or time zone is) are rules:
-- sql/rules/table_helpers.sql, which goes in before the tables.
--
-- Errors raised by Spaces' own rules carry their own SQLSTATEs (class "SP") so that any client,
-- not only the Python app, can tell them apart from generic failures:
--   SP001  invalid status transition
--   SP002  not allowed: the actor is not an approver of the resource
--   SP003  invalid input (inactive resource, tree cycle, immutable column, missing reason...)
--   SP004  not found (unknown resource)
-- Overlaps are refused by exclusion constraints with PostgreSQL's own 23P01.

CREATE SCHEMA IF NOT EXISTS spaces;
CREATE EXTENSION IF NOT EXISTS btree_gist;
