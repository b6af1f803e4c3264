-- The flood guard's count: a sender's messages, edits and reactions in the last window_seconds
-- (edits and reactions leave a mark in message_edits), counted only up to flood_limit, so that a
-- flooding sender costs no more than anyone else. The sender is over the limit when it returns
-- flood_limit. sql/store_messages.sql counts the same way inline: the relay's hot path keeps its
-- one statement free of function calls.
CREATE OR REPLACE FUNCTION flood_count(sender BIGINT, flood_limit INT, window_seconds FLOAT8) RETURNS BIGINT
LANGUAGE sql STABLE AS $function$
    SELECT count(*) FROM (
        (SELECT 1 FROM messages
         WHERE sender_id = sender AND created_at > now() - make_interval(secs => window_seconds)
         LIMIT flood_limit)
        UNION ALL
        (SELECT 1 FROM message_edits
         WHERE sender_id = sender AND edited_at > now() - make_interval(secs => window_seconds)
         LIMIT flood_limit)
        LIMIT flood_limit
    ) AS in_window
$function$;
