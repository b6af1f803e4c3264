-- The age wall. A user's age class ('adult': 18 and over; 'minor': under 18) is fixed by the
-- first age they declare: an edit may change the age within the class, never across 18. Only an
-- admin correcting a wrong age may move someone to the other class, and that statement has to
-- set the class itself (sql/set_age_by_admin.sql). Whatever query writes an age, the database
-- refuses one outside the class, so no code path can put an adult among minors or the other way.
-- depends: 0007_outbox

ALTER TABLE users ADD COLUMN age_class TEXT CHECK (age_class IN ('adult', 'minor'));
UPDATE users SET age_class = CASE WHEN age >= 18 THEN 'adult' ELSE 'minor' END WHERE age IS NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_age_in_class
    CHECK (age_class = CASE WHEN age >= 18 THEN 'adult' ELSE 'minor' END);

-- The first age declared sets the class; afterwards it stays as it is unless a statement sets it.
CREATE FUNCTION fix_age_class() RETURNS TRIGGER
LANGUAGE plpgsql AS $function$
BEGIN
    IF NEW.age_class IS NULL AND NEW.age IS NOT NULL THEN
        NEW.age_class := CASE WHEN NEW.age >= 18 THEN 'adult' ELSE 'minor' END;
    END IF;
    RETURN NEW;
END
$function$;
CREATE TRIGGER fix_age_class
BEFORE INSERT OR UPDATE OF age ON users
FOR EACH ROW EXECUTE FUNCTION fix_age_class();

-- Wished partner ages outside one's own class can never be met: cut them to the class, and give
-- the whole class to those whose wish lay entirely outside it (they searched forever).
UPDATE users
SET partner_age_min = 18, partner_age_max = CASE WHEN partner_age_max < 18 THEN 99 ELSE partner_age_max END
WHERE age_class = 'adult' AND partner_age_min < 18;
UPDATE users
SET partner_age_min = CASE WHEN partner_age_min > 17 THEN 13 ELSE partner_age_min END, partner_age_max = 17
WHERE age_class = 'minor' AND partner_age_max > 17;

-- A chat ended because a change of profile or wishes made the pair one the rules keep apart.
ALTER TABLE chats DROP CONSTRAINT chats_end_reason_check;
ALTER TABLE chats ADD CONSTRAINT chats_end_reason_check
    CHECK (end_reason IN ('stop', 'next', 'deleted', 'bot_blocked', 'banned', 'no_longer_compatible'));

-- An admin correcting an age is an admin action like the others.
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_action_check;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_action_check
    CHECK (action IN ('stats', 'list_reports', 'open_report', 'reveal', 'ban', 'unban', 'close_report', 'set_age'));
