# newswatch on Airflow: the official Airflow image plus this package.
#
#   docker compose build          (see docs/deploy.md)
#
# Airflow itself comes from the official image, installed there with Airflow's constraint file. We install our
# package on top WITHOUT the constraint file (its pins are for installing Airflow, not for the packages added
# later) but WITH "apache-airflow==<the image's version>" in the same command, so that pip can never upgrade or
# downgrade Airflow while resolving newswatch's dependencies. That is the practice the Airflow docs describe
# for extending the image.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

# Re-declared: an ARG before FROM is not visible after it.
ARG AIRFLOW_VERSION=3.3.2

# The package source. pipeline/_data/{sql,seeds} are symlinks to ../../sql and ../../seeds, so all three are
# copied side by side; the wheel built from them carries sql/ and seeds/ as package data.
COPY --chown=airflow:root pyproject.toml README.md /opt/newswatch/
COPY --chown=airflow:root pipeline/ /opt/newswatch/pipeline/
COPY --chown=airflow:root sql/ /opt/newswatch/sql/
COPY --chown=airflow:root seeds/ /opt/newswatch/seeds/

RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /opt/newswatch \
    && python -c "import pipeline.cli, pipeline.ingest" \
    && newswatch --help > /dev/null

# The DAGs ship in the image; compose can mount ./dags over them while developing.
COPY --chown=airflow:root dags/ /opt/airflow/dags/

# The DuckDB file and the staged rows of each run live here (a volume in docker-compose.yml).
ENV NEWSWATCH_DB=/opt/airflow/data/newswatch.duckdb \
    NEWSWATCH_STAGING=/opt/airflow/data/staging
USER root
RUN mkdir -p /opt/airflow/data/staging && chown -R airflow:root /opt/airflow/data
USER airflow
