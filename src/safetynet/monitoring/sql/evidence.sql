-- The hits behind each warning (households whose score reaches blue): the evidence rows.
SELECT m.household_id, m.indicator, m.record_id, m.resident_id, m.mkey, m.amount,
       m.weight, m.modifier, m.points_micro
FROM matched m
JOIN scores s ON s.household_id = m.household_id
WHERE m.reused = 0 AND s.level IS NOT NULL
