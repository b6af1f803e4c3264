-- A waiting user's queue row carries copies of the profile columns that decide whom they may
-- meet (migrations/0004_search_pools.sql). Whoever changes a profile or a wish, in whatever
-- query, the copy follows in the same transaction: nobody has to remember it.
-- The copy moves the row between pools without the pairing lock: a user who edits a wish while
-- waiting is matched under the new wish by the next search that reaches them.
CREATE OR REPLACE FUNCTION copy_search_queue_keys() RETURNS TRIGGER
LANGUAGE plpgsql AS $function$
BEGIN
    UPDATE search_queue
    SET gender = NEW.gender, age = NEW.age, interests = NEW.interests, language = NEW.language,
        partner_gender = NEW.partner_gender, partner_age_min = NEW.partner_age_min,
        partner_age_max = NEW.partner_age_max, interests_mode = NEW.interests_mode,
        partner_language = NEW.partner_language
    WHERE user_id = NEW.id;
    RETURN NULL;
END
$function$;

-- Only updates of the copied columns fire it, and only when one of them really changed: the
-- searches' own updates of users (bot_blocked, reputation, bans) cost nothing extra.
CREATE OR REPLACE TRIGGER search_queue_keys
AFTER UPDATE OF gender, age, interests, language, partner_gender, partner_age_min, partner_age_max,
    interests_mode, partner_language ON users
FOR EACH ROW
WHEN ((OLD.gender, OLD.age, OLD.interests, OLD.language, OLD.partner_gender, OLD.partner_age_min,
       OLD.partner_age_max, OLD.interests_mode, OLD.partner_language)
      IS DISTINCT FROM
      (NEW.gender, NEW.age, NEW.interests, NEW.language, NEW.partner_gender, NEW.partner_age_min,
       NEW.partner_age_max, NEW.interests_mode, NEW.partner_language))
EXECUTE FUNCTION copy_search_queue_keys();
