"""Re-detection on stored articles keeps what is unchanged and mends what is not."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb

from tests.conftest import NEWSWATCH, Outlet


def _statements(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT statement_id, cluster_id, first_seen, quote FROM statements ORDER BY 1"
        ).fetchall()


def test_redetect_keeps_ids_removes_stale_and_restores_missing(
    outlet: Outlet, tmp_path: Path, cli_env: dict
) -> None:
    db = tmp_path / "nw.duckdb"
    run = subprocess.run(
        [*NEWSWATCH, "run", "--feeds", str(outlet.feeds_file), "--db", str(db), "--no-alerts"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    original = _statements(db)
    assert len(original) >= 3
    # What a rule change looks like from the store: one statement the rules no longer find, one they now find.
    with duckdb.connect(str(db)) as con:
        article_id = con.execute("SELECT article_id FROM statements LIMIT 1").fetchone()[0]
        con.execute(
            "INSERT INTO statements SELECT 'stale-id', article_id, cluster_id, 'words nobody said', 0, 5, "
            "kind, speaker, speaker_mention, speaker_start, speaker_end, speaker_role, cue, topics, score, "
            "'old-rules', first_seen, run_id FROM statements WHERE article_id = ? LIMIT 1",
            [article_id],
        )
        con.execute("DELETE FROM statements WHERE statement_id = ?", [original[0][0]])

    result = subprocess.run(
        [*NEWSWATCH, "redetect", "--db", str(db)], env=cli_env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert f"1 statement(s) added, 1 removed, {len(original) - 1} kept" in result.stdout
    after = _statements(db)
    assert [r[0] for r in after] == [r[0] for r in original], "the same ids, the stale one gone"
    kept = {r[0]: r for r in after}
    for row in original[1:]:
        assert kept[row[0]][1:3] == row[1:3], "a kept statement keeps its cluster and first-seen time"
