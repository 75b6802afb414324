-- One row per feed record of the month: indicator, record, resident and its severity key/amount,
-- plus the integer join key of the resident ID (the same rule as snapshot.resident_keys: an
-- 18-character ID of 17 digits and a check digit or X is int(17 digits) * 11 + check value, X = 10,
-- with an empty resident_alt; any other ID has key -1 and itself as resident_alt).
-- Inputs src_<source> hold exactly the columns the engine reads from each lake partition.
WITH f AS (
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
), c AS (
  SELECT f.*, TRY_CAST(SUBSTRING(resident_id, 1, 17) AS BIGINT) AS digits,
         SUBSTRING(resident_id, 18, 1) AS check_char
  FROM f
), k AS (
  -- encodable: 18 characters, the first 17 digits (they equal their own zero-padded value)
  SELECT c.*,
         CASE WHEN LENGTH(resident_id) = 18
                   AND check_char IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X')
                   AND LPAD(CAST(digits AS STRING), 17, '0') = SUBSTRING(resident_id, 1, 17)
              THEN 1 ELSE 0 END AS encodable
  FROM c
)
SELECT indicator, record_id, resident_id, mkey, amount,
       CASE WHEN encodable = 1
            THEN digits * 11 + CASE WHEN check_char = 'X' THEN 10
                                    ELSE CAST(check_char AS BIGINT) END
            ELSE -1 END AS resident_key,
       CASE WHEN encodable = 1 THEN '' ELSE resident_id END AS resident_alt
FROM k
