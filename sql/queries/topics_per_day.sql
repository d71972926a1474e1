-- Statements per topic per day (by the article's publication date, else the day it was stored).
SELECT
    CAST(coalesce(a.published, s.first_seen) AS DATE)  AS day,
    topic,
    count(*)                                           AS statements,
    count(DISTINCT s.cluster_id)                       AS clusters
FROM statements s
JOIN articles a USING (article_id), unnest(s.topics) AS t(topic)
GROUP BY ALL
ORDER BY day DESC, topic;
