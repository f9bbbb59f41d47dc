"""Exit 0 when the test PostgreSQL answers; 3 (skip the PostgreSQL run) otherwise, but 1 under CI=true."""

import os
import sys

import psycopg

url = os.environ.get("PG_TEST_URL", "postgresql://postgres@127.0.0.1:5432/test").replace("+psycopg", "")
try:
    psycopg.connect(url, connect_timeout=3).close()
except psycopg.OperationalError as exc:
    print(f"PostgreSQL not reachable ({exc}); skipping the PostgreSQL run", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 3)
sys.exit(0)
