-- How many wait in each class (adults, minors), by gender, age and language, and by interest:
-- aggregate counts that say how much each wish narrows a pool, and nothing about anyone. Only
-- pairable rows (search_queue.pairable): nobody can meet the others. One pass over the queue,
-- run by the hint sweep only when someone is due, so its cost is per sweep, not per search.
SELECT 'profile' AS figure, adult, gender, age, language, NULL::text AS interest, count(*)::int AS waiting
FROM search_queue
WHERE pairable
GROUP BY adult, gender, age, language
UNION ALL
SELECT 'interest', adult, NULL, NULL, NULL, interest, count(*)::int
FROM search_queue, unnest(interests) AS interest
WHERE pairable
GROUP BY adult, interest
