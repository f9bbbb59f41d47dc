"""`make bench`: start the bare baseline and the real app (gunicorn, gevent, one process), run the swarm
against each, check integrity, write bench/results/<timestamp>.json and print the table.

    python -m bench.run                 # the whole ladder (make bench)
    python -m bench.run --smoke         # tiny, asserts integrity (make bench-smoke, CI)
    python -m bench.run --profile       # also py-spy the app during the sustained ladder
    python -m bench.run --cluster 1,2,4 # the app scaled out behind nginx (bench/cluster.py, make bench-cluster)
    python -m bench.run --flood         # only the phase with a phone that floods (bench/flood.py; part of the ladder)
    python -m bench.run --soak 600      # 10 minutes of joining, voting, asking, reconnecting (bench/soak.py, make bench-soak)
"""

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from . import rawsio
from .swarm import Swarm, login_cookie

if __name__ == "__main__":  # bench/flood.py and bench/soak.py import this module: one copy of it (and of APP)
    sys.modules.setdefault("bench.run", sys.modules[__name__])

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
EMAIL, PASSWORD = "bench@example.org", "bench-password-123"
# rates: the multiple-choice ladder (votes counted exactly by Q); live_rates: the live-results scenario, the demo's
# verdict poll with the split by stance on every phone each second, every vote a change (issue #18).
FULL = {"sizes": [100, 500, 1000, 2000, 5000], "main": 2000, "rates": [1000, 1500, 2000, 2500, 3000, 3500],
        "live_rates": [500, 1000, 1500, 2000, 2500, 3000], "seconds": 4.0, "askers": 200, "budget_seconds": 300,
        "passes": 2}
SMOKE = {"sizes": [20, 50], "main": 50, "rates": [50, 100], "live_rates": [50, 100], "seconds": 2.0, "askers": 10,
         "budget_seconds": 60, "passes": 1}
STANCES = ["Corporate / public sector", "Activist / campaigner", "Both", "Neither"]  # the app's DEFAULT_STANCES


# Where the servers are started from: the working tree, or (--code REF) a clean export of one commit, so that
# other people's uncommitted edits in this shared working tree are not measured.
APP = {"root": ROOT, "code": None}


def use_commit(ref: str) -> dict:
    """Export ``ref``'s app (git archive) plus this harness into a temp dir and start servers from there."""
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, check=True).stdout  # noqa: E731
    commit = git("rev-parse", "--short", ref).decode().strip()
    tree = Path(tempfile.mkdtemp(prefix=f"bench-code-{commit}-"))
    archive = git("archive", ref, "workshop", "migrations", "deploy", "wsgi.py", "instance")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    shutil.copytree(ROOT / "bench", tree / "bench", ignore=shutil.ignore_patterns("results", "__pycache__"))
    APP.update(root=tree, code={"commit": commit, "dirty": [], "exported": ref})
    return APP["code"]


def code_version() -> dict:
    """The code the servers run: the exported commit, or HEAD and the working tree's uncommitted app files."""
    if APP["code"]:
        return APP["code"]
    from .cluster import code_version as working_tree

    return working_tree()


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one (5,000 phones need 5,000+ sockets on each side)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """CPU and memory of one server process, from /proc."""

    def __init__(self, pid: int):
        self.pid, self.tick = pid, os.sysconf("SC_CLK_TCK")
        self.mark()

    def cpu(self) -> float:
        """User + system CPU seconds so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    def mark(self) -> None:
        """Start a phase."""
        self.cpu0, self.wall0, self.swarm0 = self.cpu(), time.perf_counter(), swarm_cpu()

    def phase(self) -> dict:
        """CPU used since the mark (percent of one core) and memory now; the swarm's own CPU too."""
        cpu, wall, swarm = self.cpu() - self.cpu0, time.perf_counter() - self.wall0, swarm_cpu() - self.swarm0
        return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                "cpu_percent": round(100 * cpu / wall, 1) if wall else None,
                "swarm_cpu_percent": round(100 * swarm / wall, 1) if wall else None, **self.memory()}

    def memory(self) -> dict:
        """Resident and peak resident set in MiB."""
        status = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines())
        mib = lambda key: round(int(status[key].split()[0]) / 1024, 1)  # noqa: E731
        return {"rss_mib": mib("VmRSS"), "peak_rss_mib": mib("VmHWM")}


def swarm_cpu() -> float:
    """CPU seconds used by this harness process: the swarm (its children are servers, py-spy, setup: not it)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def worker_pid(master: int, timeout: float = 30) -> int:
    """The gunicorn worker (the one process that serves everything)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn worker did not start")


def wait_http(url: str, timeout: float = 60) -> None:
    """Wait until the server answers."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def server_env(tmp: Path, port: int) -> dict:
    """Environment for a server: its own port, database and secret; no Redis; quiet logs."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "BIND", "SOCKETIO_ASYNC_MODE")}
    env.update({"HOST": "127.0.0.1", "PORT": str(port), "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "warning",
                "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite'}", "SECRET_KEY": "bench-" + os.urandom(8).hex(),
                "WORKSHOP_ADMIN_EMAIL": EMAIL, "WORKSHOP_ADMIN_PASSWORD": PASSWORD, "FLASK_APP": "workshop",
                "BENCH_EMAIL": EMAIL, "BENCH_PASSWORD": PASSWORD, "ERROR_LOG": str(tmp / "server.log"),
                "PYTHONWARNINGS": "ignore"})
    return env


@contextmanager
def app_server(tmp: Path):
    """The real app: fresh SQLite, `flask setup` (migrations), the bench workshop, gunicorn -k gevent -w 1."""
    port = free_port()
    env = server_env(tmp, port)
    quiet = {"env": env, "cwd": APP["root"], "check": True, "capture_output": True, "text": True}
    subprocess.run([BIN / "flask", "setup"], **quiet)
    seed = json.loads(subprocess.run([sys.executable, "-m", "bench.seed"], **quiet).stdout.strip().splitlines()[-1])
    command = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    with running(command, env, f"http://127.0.0.1:{port}/login") as master:
        yield {"url": f"http://127.0.0.1:{port}", "pid": master, "db": tmp / "bench.sqlite", **seed}


@asynccontextmanager
async def joined_room(prefix: str, phones: int):
    """The app on a fresh SQLite file with ``phones`` phones joined, as the flood and soak phases start.

    Yields a namespace with ``server``, ``proc`` (the worker), ``swarm`` and ``connect`` (the join figures);
    after the block it also holds ``peak_rss_mib``, ``server_tracebacks`` and ``server_log``.
    """
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    room = SimpleNamespace()
    try:
        with app_server(tmp) as server:
            room.server, room.proc = server, Proc(worker_pid(server["pid"]))
            room.swarm = Swarm(server["url"], server["code"], server["poll_id"],
                               await login_cookie(server["url"], EMAIL, PASSWORD))
            await room.swarm.start()
            try:
                room.connect = await room.swarm.join(phones)
                yield room
            finally:
                await room.swarm.stop()
            room.peak_rss_mib = room.proc.memory()["peak_rss_mib"]
        room.server_tracebacks, room.server_log = server_errors(tmp), server_log_excerpt(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def server_errors(tmp: Path) -> int:
    """Tracebacks the server logged (its error log and stderr)."""
    return sum(path.read_text(errors="replace").count("Traceback") for path in tmp.glob("*.log"))


def server_log_excerpt(tmp: Path, limit: int = 4000) -> str:
    """The first tracebacks and warnings the server logged, for the result file (the temp dir is removed)."""
    text = "".join(path.read_text(errors="replace") for path in sorted(tmp.glob("*.log")))
    start = text.find("Traceback")
    warnings = "\n".join(line for line in text.splitlines() if "WARNING" in line or "ERROR" in line)[:limit // 2]
    return (warnings + ("\n---\n" + text[max(0, start - 300):][:limit // 2] if start >= 0 else "")).strip()


@contextmanager
def baseline_server(tmp: Path):
    """The bare baseline under the same gunicorn settings."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "bench.baseline_server:app"]
    with running(command, server_env(tmp, port), f"http://127.0.0.1:{port}/bench/state") as master:
        yield {"url": f"http://127.0.0.1:{port}", "pid": master, "code": "BENCH", "poll_id": 1, "verdict_poll_id": 2,
               "stances": STANCES, "db": None}


@contextmanager
def running(command: list, env: dict, ready_url: str):
    """Start a server process, wait for it, stop it afterwards."""
    log = open(Path(env["ERROR_LOG"]).with_name("stderr.log"), "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, env=env, cwd=APP["root"], stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_http(ready_url)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def database_votes(server: dict, round_: int) -> dict:
    """What the store holds for the current run: rows and Q = sum of answers."""
    if "store" in server:  # PostgreSQL behind a cluster (bench/cluster.py)
        return server["store"].votes(server["poll_id"], round_)
    if server["db"] is None:
        with urllib.request.urlopen(server["url"] + "/bench/state") as response:
            state = json.load(response)
        return {"rows": state["votes"], "q": state["sum"]}
    with sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True) as con:
        rows, q = con.execute("SELECT count(*), coalesce(sum(CAST(choice AS INTEGER)), 0) FROM vote "
                              "WHERE poll_id = ? AND round = ?", (server["poll_id"], round_)).fetchone()
    return {"rows": rows, "q": q}


def database_counts(server: dict, poll_id: int, round_: int) -> dict:
    """Votes per answer the store holds for one run of a poll (the verdict poll of the live-results scenario)."""
    if "store" in server:
        return server["store"].counts(poll_id, round_)
    if server["db"] is None:
        with urllib.request.urlopen(f"{server['url']}/bench/state?poll_id={poll_id}") as response:
            return json.load(response)["counts"]
    with sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT choice, count(*) FROM vote WHERE poll_id = ? AND round = ? GROUP BY choice",
                           (poll_id, round_)).fetchall()
    return {**dict.fromkeys(("snog", "marry", "avoid"), 0), **dict(rows)}


def database_questions(server: dict) -> dict:
    """Questions and upvotes stored."""
    if "store" in server:
        return server["store"].questions()
    if server["db"] is None:
        with urllib.request.urlopen(server["url"] + "/bench/state") as response:
            state = json.load(response)
        return {"questions": state["questions"], "upvotes": state["upvotes"]}
    with sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True) as con:
        return {"questions": con.execute("SELECT count(*) FROM question").fetchone()[0],
                "upvotes": con.execute("SELECT count(*) FROM upvote").fetchone()[0]}


def integrity(result: dict, stored: dict) -> dict:
    """acked = in the store = final projector tally, nothing lost or double counted."""
    if "expected_counts" in result:  # a verdict poll: answers per choice, compared one by one
        result["stored_counts"] = stored
        intact = result["expected_counts"] == stored == result["projector_counts"] and not result["unseen_on_projector"]
        result["intact"] = intact or ("unknown (ack timeouts)" if result["timeouts"] else False)
        return result
    result["stored_q"] = stored["q"]
    result["intact"] = result["acked_q"] == stored["q"] == result["projector_q"] and result["unseen_on_projector"] == 0
    if not result["intact"] and result["timeouts"] and stored["q"] >= result["acked_q"] and result["projector_q"] == stored["q"]:
        result["intact"] = "unknown (ack timeouts)"  # the swarm gave up waiting; the store has more, not less
    return result


async def voting_phase(swarm: Swarm, server: dict, proc: Proc, run) -> dict:
    """Open a new run, execute ``run`` (burst or sustained), check integrity, attach CPU."""
    await swarm.open_poll()
    await asyncio.sleep(0.3)
    proc.mark()
    result = await run()
    result["server"] = proc.phase()
    result["phones_online"] = swarm.online()
    result["server"]["cpu_ms_per_vote"] = round(1000 * result["server"]["cpu_seconds"] / max(1, result["acked"]), 3)
    if swarm.kind == "verdict":
        return integrity(result, database_counts(server, swarm.poll_id, swarm.round))
    return integrity(result, database_votes(server, swarm.round))


async def bench_server(name: str, server: dict, plan: dict, log, profile: Path | None) -> dict:
    """Every phase against one server."""
    proc = server.get("proc") or Proc(worker_pid(server["pid"]))  # a cluster brings its own (all its workers)
    cookie = await login_cookie(server["url"], EMAIL, PASSWORD) if server["db"] else None
    swarm = Swarm(server["url"], server["code"], server["poll_id"], cookie, spread=server.get("spread", False),
                  stances=[*server.get("stances", []), None])
    await swarm.start()
    out = {"sizes": {}, "idle": proc.memory()}
    try:
        started = time.perf_counter()
        for size in plan["sizes"]:
            out["sizes"][size] = row = {}
            if time.perf_counter() - started > plan["budget_seconds"]:
                row["error"] = f"skipped: this server's {plan['budget_seconds']} s budget was spent (make bench < 10 min)"
                log(f"  {size} phones: {row['error']}")
                break
            try:
                await bench_size(swarm, server, proc, plan, size, log, profile, row)
            except Exception as exc:  # e.g. the control socket's poll_open not acked in 30 s: larger rooms won't do better
                row["error"] = f"{type(exc).__name__}: {exc}"[:200]
                log(f"  {size} phones: stopped, {row['error']}")
                break
    finally:
        await swarm.stop()
    out["peak_rss_mib"] = proc.memory()["peak_rss_mib"]
    return out


async def bench_size(swarm: Swarm, server: dict, proc: Proc, plan: dict, size: int, log, profile, row: dict) -> None:
    """Connect up to ``size`` phones, open a poll, burst; at the main size also the ladder, wall and storm."""
    proc.mark()
    row["connect"] = await swarm.join(size)
    row["connect"]["server"] = proc.phase()
    log(f"  {size} phones: connected in {row['connect']['seconds']} s, {row['connect']['failures']} failures")
    row["poll_open"] = await swarm.open_poll()
    row["burst"] = await voting_phase(swarm, server, proc, swarm.burst)
    log(f"  burst: p99 to projector {row['burst']['to_projector']['p99']} ms, intact={row['burst']['intact']}")
    if size == plan["main"]:
        spy = start_profile(proc.pid, profile) if profile else None
        row["sustained"] = {}
        for rate in plan["rates"]:
            rung = await voting_phase(swarm, server, proc, lambda r=rate: swarm.votes(r, plan["seconds"]))
            row["sustained"][rate] = rung
            overloaded = ((rung["to_projector"]["p99"] or 1e9) > plan.get("overload_ms", 3000)
                          or (rung["achieved_rate"] or 0) < 0.5 * rate)
            log(f"  {rate}/s: achieved {rung['achieved_rate']}/s, p99 to projector {rung['to_projector']['p99']} ms, "
                f"ack p99 {rung['ack']['p99']} ms, intact={rung['intact']}, cpu {rung['server']['cpu_percent']}% "
                f"(swarm {rung['server']['swarm_cpu_percent']}%)")
            if overloaded:
                log("  overloaded: higher rates skipped")
                break
        if server.get("verdict_poll_id") and plan.get("live_rates"):
            row["live"] = await live_results_ladder(swarm, server, proc, plan, log)
        if spy:
            spy.wait()
        proc.mark()
        row["storm"] = await swarm.storm()
        row["storm"]["server"] = proc.phase()
        log(f"  reconnect storm: {row['storm']}")
        if not plan["askers"]:
            return
        proc.mark()
        row["questions"] = await swarm.questions(min(plan["askers"], size))
        row["questions"]["server"] = proc.phase()
        row["questions"]["stored"] = database_questions(server)
        log(f"  question wall: {row['questions']['asked']} asked, {row['questions']['upvoted']} upvotes")


async def live_results_ladder(swarm: Swarm, server: dict, proc: Proc, plan: dict, log) -> dict:
    """The live-results scenario: the verdict poll revealed while the room votes, the split on every phone."""
    swarm.use_poll(server["verdict_poll_id"], "verdict")
    rungs = {}
    try:
        for rate in plan["live_rates"]:
            rungs[rate] = rung = await voting_phase(swarm, server, proc, lambda r=rate: swarm.votes(r, plan["seconds"]))
            log(f"  live results {rate}/s: achieved {rung['achieved_rate']}/s, p99 to projector "
                f"{rung['to_projector']['p99']} ms, ack p99 {rung['ack']['p99']} ms, intact={rung['intact']}, "
                f"cpu {rung['server']['cpu_percent']}% (swarm {rung['server']['swarm_cpu_percent']}%)")
            if (rung["to_projector"]["p99"] or 1e9) > plan.get("overload_ms", 3000) or (rung["achieved_rate"] or 0) < 0.5 * rate:
                log("  overloaded: higher rates skipped")
                break
    finally:
        swarm.use_poll(server["poll_id"], "choice")
    return rungs


def start_profile(pid: int, path: Path):
    """py-spy the app worker for the sustained ladder (flamegraph SVG and a raw folded-stack file)."""
    py_spy = BIN / "py-spy"
    return subprocess.Popen([py_spy, "record", "-p", str(pid), "-d", "25", "-r", "200", "--nonblocking",
                             "-f", "raw", "-o", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_pressure() -> str | None:
    """Linux PSI: share of time runnable tasks waited for a CPU (other work on the machine)."""
    path = Path("/proc/pressure/cpu")
    return path.read_text().splitlines()[0] if path.exists() else None


def machine() -> dict:
    """What this ran on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = os.getloadavg()
    return {"cpu_pressure": cpu_pressure(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "load_average_at_start": [round(x, 2) for x in load]}


def make_plan(base: dict, args) -> dict:
    """The sizes and rates to run: ``base`` with --sizes / --rates applied."""
    plan = dict(base)
    if args.sizes:
        plan["sizes"] = [int(n) for n in args.sizes.split(",")]
        plan["main"] = max([n for n in plan["sizes"] if n <= plan["main"]] or plan["sizes"][:1])
    if args.rates:
        plan["rates"] = [int(n) for n in args.rates.split(",")]
    if args.live_rates is not None:
        plan["live_rates"] = [int(n) for n in args.live_rates.split(",") if n]
    if args.passes:
        plan["passes"] = args.passes
    return plan


async def main_async(args) -> dict:
    """Run baseline then app; return the whole result."""
    plan = make_plan(SMOKE if args.smoke else FULL, args)
    log = lambda text: print(text, flush=True)  # noqa: E731
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"started": stamp, "machine": machine(), "plan": plan, "fd_limit": raise_fd_limit(), "passes": []}
    profile = RESULTS / f"profile-{stamp}.txt" if args.profile else None
    # Interleaved (baseline, app, baseline, app): a machine that gets busier or quieter meanwhile shows up as
    # spread between the passes instead of as a difference between the servers.
    for number in range(1, plan["passes"] + 1):
        servers, load = {}, [round(x, 2) for x in os.getloadavg()]
        for name in [args.only] if args.only else ("baseline", "app"):
            log(f"{name} (pass {number} of {plan['passes']}):")
            servers[name] = await bench_one(name, plan, log, profile if name == "app" and number == 1 else None)
        result["passes"].append({"servers": servers, "load_average_at_start": load, "cpu_pressure": cpu_pressure()})
    result["servers"] = result["passes"][0]["servers"]  # the first pass, for the readers of older results
    if not (args.no_flood or args.smoke) and args.only != "baseline":  # CI's smoke stays small: `--flood --smoke`
        result["flood"] = await run_flood(args, log)
    if not (args.smoke or args.no_text) and args.only != "baseline":
        result["text"] = await run_text(args, log)
    if not (args.smoke or args.no_reactions) and args.only != "baseline":
        result["reactions"] = await run_reactions(log)
    return result


async def run_reactions(log) -> dict:
    """The reaction phase: 500 phones voting, then the same with 2,000 phones reacting (bench/reacting.py)."""
    from .reacting import REACT, reaction_phase

    log("app, a room reacting while it votes:")
    raise_fd_limit()
    return await reaction_phase(dict(REACT), log)


async def bench_one(name: str, plan: dict, log, profile: Path | None) -> dict:
    """One server from a fresh start: the whole ladder."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    started = time.perf_counter()
    try:
        with app_server(tmp) if name == "app" else baseline_server(tmp) as server:
            out = await bench_server(name, server, plan, log, profile)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


async def run_text(args, log) -> dict:
    """The open-text phase: every phone sends one answer within a second (bench/text.py)."""
    from .text import TEXT, TEXT_SMOKE, text_phase

    log("app, open-text poll:")
    raise_fd_limit()
    return await text_phase(dict(TEXT_SMOKE if args.smoke else TEXT), log)


async def text_only(args) -> dict:
    """`--text`: only the open-text phase, in a result file of its own."""
    log = lambda text: print(text, flush=True)  # noqa: E731
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {"started": stamp, "machine": machine(), "fd_limit": raise_fd_limit(), "text": await run_text(args, log)}


async def reactions_only() -> dict:
    """`--reactions`: only the reaction phase, in a result file of its own."""
    log = lambda text: print(text, flush=True)  # noqa: E731
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {"started": stamp, "machine": machine(), "fd_limit": raise_fd_limit(), "reactions": await run_reactions(log)}


async def run_flood(args, log) -> dict:
    """The phase with one phone flooding every event it can while the room votes (bench/flood.py)."""
    from .flood import FLOOD, FLOOD_SMOKE, flood_phase

    log("app with a phone that floods:")
    raise_fd_limit()
    return await flood_phase(dict(FLOOD_SMOKE if args.smoke else FLOOD), log, reconnect=args.flood_reconnect)


async def flood_only(args) -> dict:
    """`--flood`: only the flood phase, in a result file of its own."""
    log = lambda text: print(text, flush=True)  # noqa: E731
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result = {"started": stamp, "machine": machine(), "fd_limit": raise_fd_limit()}
    result["flood"] = await run_flood(args, log)
    return result


def _terminate(*_args) -> None:
    raise KeyboardInterrupt  # unwinds the server context managers, which stop the servers


def main() -> int:
    """Entry point: run, save JSON, print the table; non-zero exit when integrity failed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; asserts integrity (CI)")
    parser.add_argument("--profile", action="store_true", help="py-spy the app during the sustained ladder")
    parser.add_argument("--sizes", help="comma-separated room sizes, e.g. 100,500 (the largest <= main runs the ladder)")
    parser.add_argument("--rates", help="comma-separated sustained rates, e.g. 500,1000")
    parser.add_argument("--live-rates", help="rates of the live-results scenario (verdict poll, split on every "
                        "phone); empty to skip it")
    parser.add_argument("--passes", type=int, help="how many interleaved passes of baseline and app (make bench: 2)")
    parser.add_argument("--only", choices=("app", "baseline"), help="bench one server only")
    parser.add_argument("--docs", action="store_true", help="rewrite docs/performance.md figures and plot")
    parser.add_argument("--cluster", help="process counts, e.g. 1,2,4: the app behind nginx with PostgreSQL and Redis")
    parser.add_argument("--code", metavar="REF", help="run the app as committed at REF (git archive), not the "
                        "working tree with whatever others have not committed yet")
    parser.add_argument("--flood", action="store_true", help="only the phase with a phone that floods")
    parser.add_argument("--no-flood", action="store_true", help="the ladder without the flood phase")
    parser.add_argument("--no-reactions", action="store_true", help="the ladder without the reaction phase")
    parser.add_argument("--no-text", action="store_true", help="the ladder without the open-text phase")
    parser.add_argument("--text", action="store_true", help="only the open-text phase (every phone answers once)")
    parser.add_argument("--reactions", action="store_true", help="only the reaction phase (a room reacting while "
                        "it votes)")
    parser.add_argument("--flood-reconnect", action="store_true", help="the flooder comes back after each disconnect")
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="only the soak: joining, voting, asking, "
                        "reconnecting for SECONDS (make bench-soak: 600)")
    parser.add_argument("--no-sqlite", action="store_true", help="--cluster without the one-process SQLite run "
                        "it compares PostgreSQL with")
    parser.add_argument("--tree", help="start the servers from this directory (a prepared copy of the app)")
    args = parser.parse_args()
    if args.code:
        print(f"measuring {use_commit(args.code)}")
    if args.tree:
        APP.update(root=Path(args.tree).resolve(), code={"commit": f"tree {args.tree}", "dirty": [], "tree": args.tree})
    if args.soak:
        from .soak import main as soak_main

        signal.signal(signal.SIGTERM, _terminate)
        return soak_main(args)
    if args.flood:
        from .flood import flood_table

        signal.signal(signal.SIGTERM, _terminate)
        result = rawsio.run(flood_only(args))
        return report(result, args, "-flood", flood_result_analysis, lambda r: flood_table(r["flood"]),
                      lambda *_a: print("--docs: the flood figures in docs/performance.md are written by hand"))
    if args.text:
        from .text import text_table

        signal.signal(signal.SIGTERM, _terminate)
        result = rawsio.run(text_only(args))
        return report(result, args, "-text", lambda r: r["text"]["analysis"], lambda r: text_table(r["text"]),
                      lambda *_a: print("--docs: the open-text figures in docs/performance.md are written by hand"))
    if args.reactions:
        from .reacting import reaction_table

        signal.signal(signal.SIGTERM, _terminate)
        result = rawsio.run(reactions_only())
        return report(result, args, "-reactions", lambda r: r["reactions"]["analysis"],
                      lambda r: reaction_table(r["reactions"]),
                      lambda *_a: print("--docs: the reaction figures in docs/performance.md are written by hand"))
    if args.cluster:
        from .cluster import main as cluster_main

        signal.signal(signal.SIGTERM, _terminate)
        return cluster_main(args)
    from .report import analyse, table, write_docs

    signal.signal(signal.SIGTERM, _terminate)
    result = rawsio.run(main_async(args))
    return report(result, args, "", *with_flood(analyse, table), write_docs)


def flood_result_analysis(result: dict) -> dict:
    """A flood-only run is judged by the flood phase alone."""
    return result["flood"]["analysis"]


def with_flood(analyse, table):
    """The ladder's analysis and table, with the flood phase's integrity, targets and table appended."""
    from .flood import flood_table

    def analysis(result: dict) -> dict:
        out = analyse(result)
        if "flood" in result:
            flood = result["flood"]["analysis"]
            out["integrity_failures"] = out["integrity_failures"] + flood["integrity_failures"]
            out["flood_targets"] = flood["targets"]
        if "text" in result:
            text = result["text"]["analysis"]
            out["integrity_failures"] = out["integrity_failures"] + text["integrity_failures"]
            out["text_targets"] = text["targets"]
        if "reactions" in result:
            reactions = result["reactions"]["analysis"]
            out["integrity_failures"] = out["integrity_failures"] + reactions["integrity_failures"]
            out["reaction_targets"] = reactions["targets"]
        return out

    def text(result: dict) -> str:
        from .text import text_table

        flood = f"\n\nA phone that floods:\n\n{flood_table(result['flood'])}" if "flood" in result else ""
        from .reacting import reaction_table

        text = f"\n\nOpen text:\n\n{text_table(result['text'])}" if "text" in result else ""
        react = f"\n\nReactions while voting:\n\n{reaction_table(result['reactions'])}" if "reactions" in result else ""
        return table(result) + flood + text + react

    return analysis, text


def report(result: dict, args, kind: str, analyse, table, write_docs) -> int:
    """Save bench/results/<stamp><kind>.json, print the table, rewrite the docs if asked; 1 when integrity failed."""
    result["cpu_pressure_at_end"] = cpu_pressure()
    result["analysis"] = analyse(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{result['started']}{kind}{'-smoke' if args.smoke else ''}.json"
    path.write_text(json.dumps(result, indent=1))
    print(table(result))
    print(f"\nSaved {path.relative_to(ROOT)}" + (f" ({result['seconds']} s)" if "seconds" in result else ""))
    if args.docs:
        write_docs(result, path)
    broken = result["analysis"]["integrity_failures"]
    if broken:
        print("INTEGRITY FAILED: " + ", ".join(broken))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
