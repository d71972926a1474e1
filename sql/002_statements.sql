-- 002: detected statements and their cross-outlet clusters.

CREATE TABLE IF NOT EXISTS statements (
    statement_id      VARCHAR PRIMARY KEY,        -- stable_id(article_id, normalised quote, speaker)
    article_id        VARCHAR NOT NULL,
    cluster_id        VARCHAR NOT NULL,           -- shared by the same statement reported by several outlets
    quote             VARCHAR NOT NULL,
    quote_start       INTEGER NOT NULL,           -- span of the quote in articles.text
    quote_end         INTEGER NOT NULL,
    kind              VARCHAR NOT NULL,           -- direct, indirect, mixed, according_to
    speaker           VARCHAR,                    -- resolved, fullest name in the article
    speaker_mention   VARCHAR,                    -- the words at the cue
    speaker_start     INTEGER,
    speaker_end       INTEGER,
    speaker_role      VARCHAR,
    cue               VARCHAR,
    topics            VARCHAR[] NOT NULL,
    score             DOUBLE NOT NULL,
    detector_version  VARCHAR NOT NULL,
    first_seen        TIMESTAMPTZ NOT NULL,       -- when newswatch first stored this statement
    run_id            VARCHAR
);

CREATE INDEX IF NOT EXISTS statements_article ON statements (article_id);

-- One row per cluster: the first statement that founded it, kept for matching later reports against.
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id    VARCHAR PRIMARY KEY,
    speaker_key   VARCHAR NOT NULL,               -- normalised speaker surname, '' when unknown
    quote_key     VARCHAR NOT NULL,               -- normalised quote used for fuzzy matching
    first_seen    TIMESTAMPTZ NOT NULL
);

-- A cluster with what users ask of it: first seen, how many outlets and articles carried it, its topics.
CREATE OR REPLACE VIEW statement_clusters AS
SELECT
    s.cluster_id,
    min(s.first_seen)                                            AS first_seen,
    min(a.published)                                             AS first_published,
    count(DISTINCT a.outlet)                                     AS outlet_count,
    count(DISTINCT s.article_id)                                 AS article_count,
    list(DISTINCT a.outlet ORDER BY a.outlet)                    AS outlets,
    arg_min(s.speaker, s.first_seen)                             AS speaker,
    arg_min(s.speaker_role, s.first_seen)                        AS speaker_role,
    arg_min(s.quote, s.first_seen)                               AS quote,
    list_distinct(flatten(list(s.topics)))                       AS topics,
    max(s.score)                                                 AS score
FROM statements s
JOIN articles a USING (article_id)
GROUP BY s.cluster_id;
