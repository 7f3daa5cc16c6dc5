-- The rows of one table that differ between a stored cycle ($1) and its recomputation ($2), each
-- as text with the side it is on; at most 20, enough to show what went wrong.
-- {{table}}: the table; {{row}}: the columns compared, as a row cast to text.
(SELECT 'stored' AS side, {{row}} AS row FROM {{table}} WHERE cycle_id = $1
 EXCEPT SELECT 'stored', {{row}} FROM {{table}} WHERE cycle_id = $2)
UNION ALL
(SELECT 'recomputed', {{row}} FROM {{table}} WHERE cycle_id = $2
 EXCEPT SELECT 'recomputed', {{row}} FROM {{table}} WHERE cycle_id = $1)
LIMIT 20
