-- Topical statements first stored since $since, newest first, with their outlet and cluster size.
SELECT
    s.first_seen,
    a.published,
    s.speaker,
    s.speaker_role,
    s.kind,
    s.topics,
    round(s.score, 2)  AS score,
    s.quote,
    a.outlet,
    a.url,
    c.outlet_count,
    s.cluster_id,
    s.statement_id
FROM statements s
JOIN articles a USING (article_id)
JOIN statement_clusters c USING (cluster_id)
WHERE s.first_seen >= $since
ORDER BY s.first_seen DESC, a.published DESC NULLS LAST
LIMIT $limit;
