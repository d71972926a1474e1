"""newswatch: watch news feeds for attributed statements about NATO expansion and security guarantees.

The package is the whole product; the CLI (`pipeline.cli`) and the Airflow DAGs (`dags/`) only call it.
Nothing here imports Airflow.
"""

__version__ = "0.1.0"
