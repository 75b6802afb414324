-- One row per feed record of the month: indicator, record, resident and its severity key/amount.
-- Inputs src_<source> hold exactly the columns the engine reads from each lake partition.
SELECT 'hospital' AS indicator, CAST(record_id AS STRING) AS record_id,
       UPPER(TRIM(resident_id)) AS resident_id,
       CAST(NULL AS STRING) AS mkey, CAST(oop AS DECIMAL(14, 2)) AS amount
FROM src_hospital
UNION ALL
SELECT 'disease', CAST(record_id AS STRING), UPPER(TRIM(resident_id)),
       CASE WHEN major_disease THEN 'major' ELSE 'chronic' END, CAST(NULL AS DECIMAL(14, 2))
FROM src_disease
UNION ALL
SELECT 'university', CAST(record_id AS STRING), UPPER(TRIM(resident_id)),
       CAST(level AS STRING), CAST(NULL AS DECIMAL(14, 2))
FROM src_university
UNION ALL
SELECT 'disability', CAST(record_id AS STRING), UPPER(TRIM(resident_id)),
       CONCAT('grade_', CAST(CAST(grade AS INT) AS STRING)), CAST(NULL AS DECIMAL(14, 2))
FROM src_disability
UNION ALL
SELECT 'unemployment', CAST(record_id AS STRING), UPPER(TRIM(resident_id)),
       CAST(NULL AS STRING), CAST(NULL AS DECIMAL(14, 2))
FROM src_unemployment
UNION ALL
SELECT 'relapse', CAST(record_id AS STRING), UPPER(TRIM(resident_id)),
       CAST(subtype AS STRING), CAST(NULL AS DECIMAL(14, 2))
FROM src_relapse
UNION ALL
SELECT 'death', CAST(record_id AS STRING), UPPER(TRIM(resident_id)),
       CAST(NULL AS STRING), CAST(NULL AS DECIMAL(14, 2))
FROM src_death
