-- Household scores: round(identity factor × Σ base points + bonus × (distinct indicators − 1)),
-- in integer arithmetic on milli/micro units (nano-points before rounding half up), and level.
WITH hh AS (
  SELECT household_id, township_code, identity,
         CAST(SUM(points_micro) AS BIGINT) AS base_micro,
         COUNT(DISTINCT indicator) AS n_indicators,
         COUNT(*) AS n_hits
  FROM matched
  WHERE household_id IS NOT NULL AND reused = 0
  GROUP BY household_id, township_code, identity
), scored AS (
  SELECT hh.household_id, hh.township_code, hh.identity, hh.base_micro, hh.n_indicators,
         hh.n_hits, COALESCE(i.factor, 1000) AS factor,
         CAST(FLOOR((COALESCE(i.factor, 1000) * hh.base_micro
                     + s.bonus * 1000000 * (hh.n_indicators - 1) + 500000000)
                    / CAST(1000000000 AS DOUBLE)) AS BIGINT) AS score,
         s.blue, s.yellow, s.orange, s.red
  FROM hh
  LEFT JOIN p_identity i ON i.category = hh.identity
  CROSS JOIN p_scalar s
)
SELECT household_id, township_code, identity, base_micro, n_indicators, n_hits, factor, score,
       CASE WHEN score >= red THEN 'red'
            WHEN score >= orange THEN 'orange'
            WHEN score >= yellow THEN 'yellow'
            WHEN score >= blue THEN 'blue'
       END AS level
FROM scored
