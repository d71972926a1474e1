-- 001: the ingestion tables: feeds and their fetch state, the fetch log, articles, raw pages, runs.

CREATE TABLE IF NOT EXISTS feeds (
    feed_id              VARCHAR PRIMARY KEY,     -- stable_id(url)
    name                 VARCHAR NOT NULL,
    url                  VARCHAR NOT NULL UNIQUE,
    outlet               VARCHAR NOT NULL,
    language             VARCHAR NOT NULL,
    country              VARCHAR NOT NULL,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due             TIMESTAMPTZ,             -- not fetched again before this time
    last_attempt         TIMESTAMPTZ,
    last_success         TIMESTAMPTZ,
    last_status          VARCHAR,                 -- ok, not_modified, error
    last_error           VARCHAR,
    last_items           INTEGER,
    last_new_items       INTEGER
);

CREATE TABLE IF NOT EXISTS runs (
    run_id          VARCHAR PRIMARY KEY,
    trigger         VARCHAR NOT NULL,             -- cli, airflow, demo
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    status          VARCHAR NOT NULL,             -- running, ok, partial, failed
    feeds_total     INTEGER,
    feeds_ok        INTEGER,
    feeds_failed    INTEGER,
    articles_new    INTEGER,
    statements_new  INTEGER,
    error           VARCHAR
);

CREATE TABLE IF NOT EXISTS fetch_log (
    run_id       VARCHAR NOT NULL,
    feed_id      VARCHAR NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    status       VARCHAR NOT NULL,                -- ok, not_modified, error, skipped
    http_status  INTEGER,
    items        INTEGER NOT NULL DEFAULT 0,
    new_items    INTEGER NOT NULL DEFAULT 0,
    error        VARCHAR,
    elapsed_ms   INTEGER,
    PRIMARY KEY (run_id, feed_id)
);

CREATE TABLE IF NOT EXISTS articles (
    article_id   VARCHAR PRIMARY KEY,             -- stable_id(canonical url)
    url          VARCHAR NOT NULL UNIQUE,         -- canonical URL
    feed_id      VARCHAR NOT NULL,
    outlet       VARCHAR NOT NULL,
    guid         VARCHAR,
    link         VARCHAR,                         -- the link as the feed gave it
    title        VARCHAR,
    author       VARCHAR,
    site         VARCHAR,
    published    TIMESTAMPTZ,
    fetched_at   TIMESTAMPTZ NOT NULL,
    language     VARCHAR,
    text         VARCHAR NOT NULL DEFAULT '',
    status       VARCHAR NOT NULL,                -- ok, short, empty, error, fetch_error
    error        VARCHAR,
    run_id       VARCHAR
);

-- Every URL under which we have seen an article (feed link, final URL, canonical URL), so that an item is
-- recognised before it is downloaded again.
CREATE TABLE IF NOT EXISTS article_urls (
    url         VARCHAR PRIMARY KEY,
    article_id  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS pages (
    article_id    VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,               -- the final URL the page came from
    fetched_at    TIMESTAMPTZ NOT NULL,
    content_type  VARCHAR,
    encoding      VARCHAR,
    raw_bytes     INTEGER NOT NULL,
    html_zlib     BLOB NOT NULL                   -- zlib-compressed raw HTML bytes
);
