-- 003: alert deliveries, and the views alert selection reads.

-- One row per delivery attempt of one message to one channel. A message is identified by its idempotency key
-- (stable for a rule, a subject and a channel); attempts count up from 1. A key with a 'sent' row is never
-- sent again; a key whose attempts all failed is retried until the rules file's max_attempts.
CREATE TABLE IF NOT EXISTS alerts (
    idempotency_key  VARCHAR NOT NULL,            -- 'nw-' || stable_id(rule, kind, subject, channel)
    attempt          INTEGER NOT NULL,            -- 1, 2, ... for this key
    rule             VARCHAR NOT NULL,            -- the rule's name, or 'health'
    kind             VARCHAR NOT NULL,            -- immediate, digest, health
    subject          VARCHAR NOT NULL,            -- cluster id, digest day (YYYY-MM-DD) or health episode
    channel          VARCHAR NOT NULL,            -- the channel as written (${VAR} kept, passwords hidden)
    status           VARCHAR NOT NULL,            -- sent, failed
    error            VARCHAR,                     -- why a failed attempt failed
    attempted_at     TIMESTAMPTZ NOT NULL,
    title            VARCHAR,                     -- the message's title
    cluster_ids      VARCHAR[] NOT NULL,          -- the clusters the message covered (empty for health)
    PRIMARY KEY (idempotency_key, attempt)
);

CREATE INDEX IF NOT EXISTS alerts_rule_subject ON alerts (rule, subject);

-- Where each message stands: sent or not, after how many attempts.
CREATE OR REPLACE VIEW alert_deliveries AS
SELECT
    idempotency_key,
    any_value(rule)                                   AS rule,
    any_value(kind)                                   AS kind,
    any_value(subject)                                AS subject,
    any_value(channel)                                AS channel,
    count(*)                                          AS attempts,
    bool_or(status = 'sent')                          AS sent,
    max(attempted_at)                                 AS last_attempt,
    arg_max(error, attempt)                           AS last_error
FROM alerts
GROUP BY idempotency_key;

-- Topical statements with what alert rules filter on and messages show: outlet, link, language and the
-- country of the feed that carried the article.
CREATE OR REPLACE VIEW alert_statements AS
SELECT
    s.statement_id, s.cluster_id, s.quote, s.speaker, s.speaker_role, s.topics, s.score, s.first_seen,
    a.article_id, a.url, a.outlet, a.title, a.published, a.language, f.country
FROM statements s
JOIN articles a USING (article_id)
LEFT JOIN feeds f ON f.feed_id = a.feed_id
WHERE len(s.topics) > 0;
