-- An admin corrects a user's age: the one statement that may move a user to the other age class
-- (migrations/0008_age_class.sql), so it sets the class with the age, and the wished partner ages
-- the use case fitted to that class. $1 user, $2 age, $3 and $4 the partner age range.
UPDATE users
SET age = $2::smallint, age_class = CASE WHEN $2::smallint >= 18 THEN 'adult' ELSE 'minor' END, partner_age_min = $3,
    partner_age_max = $4, updated_at = now()
WHERE id = $1
RETURNING *
