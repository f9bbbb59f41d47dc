"""The one Alembic history on PostgreSQL: upgrade from empty, models match, downgrade and upgrade again."""

import os
import subprocess

from tests.cluster.conftest import PG_URL, ROOT, pg_available, recreate_database
from tests.conftest import need


def flask_db(*args: str) -> subprocess.CompletedProcess:
    """Run `flask db ...` against the cluster test database."""
    env = {**os.environ, "DATABASE_URL": PG_URL, "FLASK_APP": "workshop"}
    env.pop("REDIS_URL", None)
    return subprocess.run([str(ROOT / ".venv/bin/flask"), "db", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_migrations_run_cleanly_on_postgresql():
    """upgrade -> check (no drift from the models) -> downgrade base -> upgrade again."""
    need(pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    recreate_database()
    for step in (("upgrade",), ("check",), ("downgrade", "base"), ("upgrade",)):
        result = flask_db(*step)
        assert result.returncode == 0, f"flask db {' '.join(step)}:\n{result.stdout}\n{result.stderr[-3000:]}"
    heads = flask_db("heads").stdout.strip().splitlines()
    assert len(heads) == 1 and "(head)" in heads[0]
