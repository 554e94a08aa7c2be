-- What a PostGraphile deployment adds to the Communs database to express Communs' filtered
-- list (a theme with its sub-themes, on a territory with everything it contains): a SQL
-- function, exposed by PostGraphile as a connection (with totalCount) on Query.
-- Idempotent; apply before starting PostGraphile (it introspects the schema at start-up):
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f extras.sql

SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS postgraphile_bench;

-- The published initiatives having the theme `theme` or one of its descendants, and on the
-- territory `territory` or on a territory it contains at any depth, most recently published
-- first (Communs' public order). The same conditions as Communs' `themeIds`/`territoryIds`
-- filter. A single SELECT in a STABLE SQL function without SET clauses or SECURITY DEFINER,
-- so that PostgreSQL inlines it into PostGraphile's queries (LIMIT, count(*)).
CREATE OR REPLACE FUNCTION postgraphile_bench.initiatives_on_theme_and_territory(
  theme uuid,
  territory uuid
) RETURNS SETOF public.initiative
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT i.*
  FROM public.initiative i
  WHERE i.status = 'PUBLISHED'
    AND i.id IN (
      SELECT it.initiative_id
      FROM public.initiative_theme it
      WHERE it.theme_id IN (
        WITH RECURSIVE reached(id) AS (
          SELECT t.id FROM public.theme t WHERE t.id = $1
          UNION
          SELECT t.id FROM public.theme t JOIN reached r ON t.parent_id = r.id
        )
        SELECT id FROM reached
      )
    )
    AND i.id IN (
      SELECT it.initiative_id
      FROM public.initiative_territory it
      WHERE it.territory_id IN (
        WITH RECURSIVE reached(id) AS (
          SELECT t.id FROM public.territory t WHERE t.id = $2
          UNION
          SELECT tp.child_id FROM public.territory_parent tp JOIN reached r ON tp.parent_id = r.id
        )
        SELECT id FROM reached
      )
    )
  ORDER BY i.published_at DESC, i.id DESC
$$;

-- The smart tag @name drops the schema prefix PostGraphile gives to the functions of a
-- schema other than the first one (postgraphileBenchInitiativesOn...).
COMMENT ON FUNCTION postgraphile_bench.initiatives_on_theme_and_territory(uuid, uuid) IS
  E'@name initiatives_on_theme_and_territory\nPublished initiatives on a theme (sub-themes included) and a territory (contained territories included), most recently published first.';
