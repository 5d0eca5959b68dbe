"""The private cluster the outage tests use starts, stops, is killed and starts again."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.pg_cluster import private_cluster


def test_private_cluster_survives_stop_and_kill() -> None:
    with private_cluster() as pg:
        pg.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        pg.stop()
        with pytest.raises(subprocess.CalledProcessError):
            pg.psql("SELECT 1")
        pg.start()
        pg.kill()
        with pytest.raises(subprocess.CalledProcessError):
            pg.psql("SELECT 1")
        pg.start()
        assert pg.psql("SELECT x FROM t") == "1"
