-- Every feed record matched to the scored population (household_id NULL when the resident is
-- outside it), with its base points in micro-points (weight milli × modifier milli) and a flag
-- for records already used as evidence on a warning of the same household in an earlier month.
SELECT f.indicator, f.record_id, f.resident_id, f.mkey, f.amount,
       p.household_id, p.township_code, p.identity,
       w.weight, COALESCE(m.factor, 1000) AS modifier,
       w.weight * COALESCE(m.factor, 1000) AS points_micro,
       CASE WHEN u.record_id IS NULL THEN 0 ELSE 1 END AS reused
FROM feed f
LEFT JOIN people p ON p.resident_id = f.resident_id
JOIN p_weight w ON w.indicator = f.indicator
LEFT JOIN p_modifier m
  ON m.indicator = f.indicator
 AND (m.mkey IS NULL OR m.mkey = f.mkey)
 AND (m.lo IS NULL OR COALESCE(f.amount, 0) >= m.lo)
 AND (m.hi IS NULL OR COALESCE(f.amount, 0) < m.hi)
LEFT JOIN used u
  ON u.household_id = p.household_id AND u.source = f.indicator AND u.record_id = f.record_id
