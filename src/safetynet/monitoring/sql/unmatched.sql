-- Feed records outside the scored households, and records already used as evidence, by indicator.
SELECT indicator,
       SUM(CASE WHEN household_id IS NULL THEN 1 ELSE 0 END) AS unmatched,
       SUM(reused) AS reused,
       COUNT(*) AS records
FROM matched
GROUP BY indicator
