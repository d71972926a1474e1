-- Feed health: one row per feed with its status, last success, items, new items and last error.
SELECT
    f.name,
    f.outlet,
    f.language,
    coalesce(f.last_status, 'never fetched')          AS status,
    f.consecutive_failures                           AS failures,
    f.last_success,
    f.last_attempt,
    f.next_due,
    f.last_items                                     AS items,
    f.last_new_items                                 AS new_items,
    (SELECT count(*) FROM articles a WHERE a.feed_id = f.feed_id) AS articles,
    f.last_error,
    f.url
FROM feeds f
ORDER BY f.consecutive_failures DESC, f.name;
