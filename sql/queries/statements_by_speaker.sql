-- Who is talking: statements and clusters per speaker, with first and last time seen.
SELECT
    coalesce(s.speaker, '(unknown)')   AS speaker,
    any_value(s.speaker_role)          AS role,
    count(*)                           AS statements,
    count(DISTINCT s.cluster_id)       AS clusters,
    min(s.first_seen)                  AS first_seen,
    max(s.first_seen)                  AS last_seen
FROM statements s
GROUP BY 1
ORDER BY statements DESC;
