"""`python -m bench.run --cluster 1,2,4` (make bench-cluster): the app scaled out behind nginx, by process count.

For each process count N: a fresh PostgreSQL database and Redis namespace, `scripts/cluster.sh start`
(migrations, N gunicorn gevent processes, nginx with STICKY=header), bench/seed.py, then the same swarm
phases as bench/run.py through nginx - every phone sends its own X-Sticky header, so the phones spread
over the processes as phones with their own addresses would. Integrity is checked against PostgreSQL;
CPU and memory are summed over every app worker, with nginx, PostgreSQL and Redis beside them. The
cluster is stopped (`scripts/cluster.sh stop`), its database dropped and its Redis keys deleted even on
failure or Ctrl-C.
"""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from . import rawsio
from .run import (
    EMAIL,
    PASSWORD,
    ROOT,
    bench_one,
    bench_server,
    free_port,
    machine,
    make_plan,
    raise_fd_limit,
    report,
    swarm_cpu,
    worker_pid,
)

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SCRIPT = ROOT / "scripts" / "cluster.sh"
# One room of 2,000 phones per process count. To keep 1, 2 and 4 processes within make bench's 10 minutes:
# no question wall, a ladder stops at the first rate with p99 > 1 s (the next rate cannot pass either,
# and an overloaded rung costs up to 30 s of waiting for acks and the projector), and no new process
# count starts after 7 minutes (one count takes 2-3 minutes). --sizes/--rates override as in run.py.
FULL = {"sizes": [2000], "main": 2000, "rates": [500, 1000, 1500, 2000, 2500, 3000], "seconds": 4.0,
        "askers": 0, "budget_seconds": 420, "overload_ms": 1000}
SMOKE = {"sizes": [50], "main": 50, "rates": [50, 100], "seconds": 2.0, "askers": 10, "budget_seconds": 80,
         "overload_ms": 1000}


# --- processes, from /proc ---------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    """Direct children of a process (empty when it is gone)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def named(name: str) -> list[int]:
    """Every process whose command name is ``name``."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                pids.append(int(entry.name))
        except OSError:  # exited meanwhile
            continue
    return pids


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM of a process in KiB (0, 0 when it is gone)."""
    try:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except OSError:
        return 0, 0
    return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])


def connections(ports: list[int]) -> dict[int, int]:
    """Established TCP connections accepted on each port (nginx -> app process: how the phones spread)."""
    counts = dict.fromkeys(ports, 0)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and port in counts:
                counts[port] += 1
    return counts


class ClusterProc:
    """CPU and memory summed over every app worker of one cluster; nginx, PostgreSQL and Redis beside them.

    Same interface as bench.run.Proc (mark, phase, memory, pid), so the single-process phases run unchanged.
    """

    def __init__(self, masters: list[int], nginx: int, ports: list[int]):
        self.masters, self.nginx, self.ports = masters, nginx, ports
        self.pid = worker_pid(masters[0])
        for master in masters:
            worker_pid(master)  # wait until every process has its worker
        self.mark()

    def workers(self) -> list[int]:
        """The gunicorn worker of each process (a restarted worker is picked up by its new pid)."""
        return [pid for master in self.masters for pid in children(master)]

    def _cpu(self) -> dict[str, dict[int, float | None]]:
        groups = {"app": self.workers(), "nginx": [self.nginx, *children(self.nginx)],
                  "postgres": named("postgres"), "redis": named("redis-server")}
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}

    def mark(self) -> None:
        """Start a phase."""
        self.cpu0, self.wall0, self.swarm0 = self._cpu(), time.perf_counter(), swarm_cpu()

    def phase(self) -> dict:
        """CPU since the mark as % of one core: app workers summed (and each), nginx, PostgreSQL, Redis, swarm."""
        now, wall, swarm = self._cpu(), time.perf_counter() - self.wall0, swarm_cpu() - self.swarm0
        wall = wall or 1e-9

        def used(group: str) -> dict[int, float]:
            # A process that started after the mark counts from zero; one that exited is lost (PostgreSQL
            # backends live as long as the app's pooled connections, so little is).
            return {pid: c - (self.cpu0[group].get(pid) or 0.0) for pid, c in now[group].items() if c is not None}

        app = used("app")
        return {"seconds": round(wall, 2), "cpu_seconds": round(sum(app.values()), 2),
                "cpu_percent": round(100 * sum(app.values()) / wall, 1),
                "worker_cpu_percent": [round(100 * c / wall, 1) for c in app.values()],
                "swarm_cpu_percent": round(100 * swarm / wall, 1),
                **{f"{g}_cpu_percent": round(100 * sum(used(g).values()) / wall, 1) for g in ("nginx", "postgres", "redis")},
                "connections": list(connections(self.ports).values()), **self.memory()}

    def memory(self) -> dict:
        """Resident and peak resident set in MiB, summed over the app workers."""
        kib = [memory_kib(pid) for pid in self.workers()]
        return {"rss_mib": round(sum(r for r, _ in kib) / 1024, 1), "peak_rss_mib": round(sum(h for _, h in kib) / 1024, 1)}


# --- the store, the database and Redis ----------------------------------------------------------------


class PgStore:
    """What PostgreSQL holds (integrity: acks = stored = projector)."""

    def __init__(self, url: str):
        self.conninfo = url.replace("postgresql+psycopg://", "postgresql://")

    def _one(self, query: str, params: tuple = ()) -> tuple:
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as con:
            return con.execute(query, params).fetchone()

    def votes(self, poll_id: int, round_: int) -> dict:
        """Rows and Q = sum of answers for one run of the poll."""
        rows, q = self._one("SELECT count(*), coalesce(sum(choice::integer), 0) FROM vote "
                            "WHERE poll_id = %s AND round = %s", (poll_id, round_))
        return {"rows": rows, "q": q}

    def questions(self) -> dict:
        """Questions and upvotes stored."""
        questions, upvotes = self._one("SELECT (SELECT count(*) FROM question), (SELECT count(*) FROM upvote)")
        return {"questions": questions, "upvotes": upvotes}


def admin(statement: sql.Composable) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE need autocommit)."""
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=10) as con:
        con.execute(statement)


def forget_redis(namespace: str) -> int:
    """Delete this run's Redis keys (dirty marks, lease, rate-limit windows); how many."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        return client.delete(*keys) if keys else 0
    finally:
        client.close()


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(workers: int) -> tuple[int, int]:
    """A free port for nginx and the first of ``workers`` consecutive free ports for the processes."""
    for _ in range(200):
        base = random.randint(20000, 40000)
        if all(port_free(base + i) for i in range(workers)):
            nginx = free_port()
            if not base <= nginx < base + workers:
                return nginx, base
    raise RuntimeError("no free ports")


# --- one cluster ----------------------------------------------------------------------------------------


def cluster_env(workers: int, port: int, app_port: int, run_dir: Path, database_url: str, namespace: str) -> dict:
    """Environment for scripts/cluster.sh and the seed: this run's ports, database, namespace; quiet logs."""
    drop = ("BIND", "HOST", "SOCKETIO_ASYNC_MODE", "ACCESS_LOG", "ERROR_LOG", "CLUSTER_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"WORKERS": str(workers), "PORT": str(port), "APP_PORT": str(app_port), "STICKY": "header",
                "RUN_DIR": str(run_dir), "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
                "REDIS_NAMESPACE": namespace, "SECRET_KEY": "bench-" + os.urandom(8).hex(), "LOG_LEVEL": "warning",
                "WORKSHOP_ADMIN_EMAIL": EMAIL, "WORKSHOP_ADMIN_PASSWORD": PASSWORD, "BENCH_EMAIL": EMAIL,
                "BENCH_PASSWORD": PASSWORD, "FLASK_APP": "workshop", "PYTHONWARNINGS": "ignore"})
    return env


def script(action: str, env: dict, timeout: float) -> subprocess.CompletedProcess:
    """Run scripts/cluster.sh start|stop; its output is kept for the error message."""
    return subprocess.run([str(SCRIPT), action], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@contextmanager
def cluster(workers: int, stamp: str, log):
    """N processes behind nginx on a fresh database; yields the server dict bench.run.bench_server takes."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-cluster-{workers}-"))
    name = f"bench_{stamp.lower()}_{workers}_{os.urandom(3).hex()}"
    namespace = f"bench-{name}"
    port, app_port = free_ports(workers)
    database_url = f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    env = cluster_env(workers, port, app_port, tmp / "run", database_url, namespace)
    failed = True
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        started = time.perf_counter()
        done = script("start", env, 240)
        if done.returncode:
            raise RuntimeError(f"cluster.sh start failed: {(done.stderr or done.stdout).strip()[-400:]}")
        seed = subprocess.run([sys.executable, "-m", "bench.seed"], env=env, cwd=ROOT, capture_output=True, text=True,
                              check=True, timeout=120)
        masters = [int(p.read_text()) for p in sorted((tmp / "run").glob("app-*.pid"))]
        proc = ClusterProc(masters, int((tmp / "run" / "nginx.pid").read_text()), [app_port + i for i in range(workers)])
        log(f"  up in {time.perf_counter() - started:.1f} s: nginx :{port}, processes :{app_port}.."
            f"{app_port + workers - 1}, database {name}")
        yield {"url": f"http://127.0.0.1:{port}", "pid": masters[0], "db": database_url, "spread": True,
               "proc": proc, "store": PgStore(database_url), **json.loads(seed.stdout.strip().splitlines()[-1])}
        failed = False
    finally:
        stopped = script("stop", env, 60)
        if stopped.returncode:
            log(f"  cluster.sh stop failed: {stopped.stderr.strip()[-300:]}")
        try:
            admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            forget_redis(namespace)
        except (psycopg.Error, redis.RedisError) as exc:
            log(f"  cleanup: {exc!r}"[:200])
        if failed:
            log(f"  logs kept in {tmp / 'run'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# --- the ladder of process counts ---------------------------------------------------------------------


def code_version() -> dict:
    """The commit measured, and whether the app's files had uncommitted changes (a shared working tree)."""
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": git("status", "--porcelain", "workshop", "deploy")
            .splitlines()}


async def main_async(args) -> dict:
    """Each process count in turn, within the budget; return the whole result."""
    plan = make_plan(SMOKE if args.smoke else FULL, args)
    counts = [int(n) for n in args.cluster.split(",")]
    log = lambda text: print(text, flush=True)  # noqa: E731
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"mode": "cluster", "started": stamp, "machine": machine(), "code": code_version(), "plan": plan,
              "processes": counts, "fd_limit": raise_fd_limit(), "clusters": {}}
    started = time.perf_counter()
    if not args.no_sqlite:  # the embedded path in the same run: one process on SQLite, no nginx, no Redis
        log("1 process on SQLite (make run's path, for comparison):")
        result["sqlite"] = await bench_one("app", plan, log, None)
    for workers in counts:
        if time.perf_counter() - started > plan["budget_seconds"]:
            result["clusters"][str(workers)] = {"sizes": {}, "error": f"skipped: the {plan['budget_seconds']} s budget was spent"}
            log(f"{workers} processes: skipped, budget spent")
            continue
        log(f"{workers} process{'es' if workers > 1 else ''}:")
        begun = time.perf_counter()
        try:
            with cluster(workers, stamp, log) as server:
                out = await bench_server(str(workers), server, plan, log, None)
        except (RuntimeError, OSError, subprocess.SubprocessError, psycopg.Error) as exc:
            out = {"sizes": {}, "error": f"{type(exc).__name__}: {exc}"[:400]}
            log(f"  failed: {out['error']}")
        out["seconds"] = round(time.perf_counter() - begun, 1)
        result["clusters"][str(workers)] = out
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main(args) -> int:
    """Run, save bench/results/<stamp>-cluster.json, print the table; non-zero when integrity failed."""
    from .report import cluster_analyse, cluster_table, write_cluster_docs

    try:
        result = rawsio.run(main_async(args))
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the cluster contexts have stopped and dropped everything
        print("interrupted: clusters stopped, databases dropped; nothing saved", file=sys.stderr)
        return 130
    return report(result, args, "-cluster", cluster_analyse, cluster_table, write_cluster_docs)

