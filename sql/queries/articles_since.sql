-- Articles fetched since $since (newest first), at most $limit.
SELECT
    a.fetched_at,
    a.published,
    a.outlet,
    a.language,
    a.status,
    a.title,
    a.url,
    length(a.text)                                                  AS chars,
    (SELECT count(*) FROM statements s WHERE s.article_id = a.article_id) AS statements
FROM articles a
WHERE a.fetched_at >= $since
ORDER BY a.fetched_at DESC, a.published DESC NULLS LAST
LIMIT $limit;
