#!/usr/bin/env python3
"""Side-by-side benchmark of coe-kb against its peers, on one generated corpus.

For each size (default 1k, 10k and 100k CoEs from `coe gen-corpus`) it measures,
in one run and on the same files:

* index build: `coe index` vs tantivy-cli (title + body as JSONL, no extraction)
  vs SQLite FTS5 (Python's sqlite3), with `cat` of every file as the floor;
* query latency p50/p99 for a fixed query mix: coe in process (benches/inproc.rs)
  and through the running server's JSON API, vs `rg`, SQLite FTS5 and tantivy-cli;
* change-to-searchable latency through the API, native and poll watcher;
* peak RSS while indexing and while serving; restart-to-ready on an unchanged
  corpus vs one `stat` pass over the files;
* HTTP throughput and latency under load (wrk) on the search endpoint.

It writes BENCHMARKS.md (machine, date, commit, tables with ratios against each
peer and the targets of issue 7).

Needs: Python 3.9+, a Rust toolchain, GNU find/cat. Peers (skipped when missing):
`apt-get install ripgrep wrk` (Debian) and `cargo install tantivy-cli`
(pass --tantivy PATH when it is not on PATH).

    python3 benches/compare.py                          # 1k, 10k, 100k -> BENCHMARKS.md
    python3 benches/compare.py --sizes 1000,10000       # smaller run
    python3 benches/compare.py --smoke --profile dev    # CI: 1k, short, < 1 minute after the build

Exit status: non-zero only when coe itself fails (peers that fail are reported and skipped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The query mix. Each class: coe's query (and filters), and the closest query each
# peer can express over title + body (peers have no sections, facets or fuzzy terms).
# tantivy-cli's query language has no fuzzy term either, so a fuzzy class also names
# the word (`same`) that Tantivy's own fuzzy query runs on, in process, over
# tantivy-cli's index: one edit, transpositions counted as one (benches/inproc.rs --peer).
QUERIES = [
    {
        "class": "term",
        "what": "single term",
        "coe": {"q": "throttling"},
        "tantivy": "throttling",
        "fts": "throttling",
        "rg": ["-i", "-w", "throttling"],
    },
    {
        "class": "phrase",
        "what": "phrase",
        "coe": {"q": '"connection pool"'},
        "tantivy": '"connection pool"',
        "fts": '"connection pool"',
        "rg": ["-i", "-w", "-F", "connection pool"],
    },
    {
        "class": "section",
        "what": "section-scoped (root_cause:certificate; peers: whole text)",
        "coe": {"q": "root_cause:certificate"},
        "tantivy": "certificate",
        "fts": "certificate",
        "rg": ["-i", "-w", "certificate"],
    },
    {
        "class": "facet",
        "what": "facet-filtered (outage, technology=Kubernetes; peers: outage AND kubernetes; rg: outage only)",
        "coe": {"q": "outage", "filters": {"technology": ["Kubernetes"]}},
        "tantivy": "+outage +kubernetes",
        "fts": "outage AND kubernetes",
        "rg": ["-i", "-w", "outage"],
    },
    {
        "class": "fuzzy",
        "what": "fuzzy (kubernets~; FTS5: prefix kubern*; tantivy-cli/rg: exact kubernetes)",
        "coe": {"q": "kubernets~"},
        "tantivy": "kubernetes",
        "same": "kubernets",
        "fts": "kubern*",
        "rg": ["-i", "-w", "kubernetes"],
    },
    {
        # A real typo: the stem typed (`throtl`) is in no CoE but one edit from the right
        # one (`throttl`). Both find the same CoEs.
        "class": "typo",
        "what": "typo (throtling~: a letter missing; FTS5: prefix throt*; tantivy-cli/rg: exact throttling)",
        "coe": {"q": "throtling~"},
        "tantivy": "throttling",
        "same": "throtling",
        "fts": "throt*",
        "rg": ["-i", "-w", "throttling"],
    },
    {
        # The costly typo: stemming puts it two edits from the right stem (`certfic`,
        # `certif`), so coe analyzes the word's one-edit neighbours as typed.
        "class": "typo2",
        "what": "typo past stemming (certficate~; FTS5: prefix cert*; tantivy-cli/rg: exact certificate)",
        "coe": {"q": "certficate~"},
        "tantivy": "certificate",
        "same": "certficate",
        "fts": "cert*",
        "rg": ["-i", "-w", "certificate"],
    },
    {
        "class": "mlt",
        "what": "more-like-this (coe: similar(); peers: OR of the document's 25 most frequent words)",
        "coe": {"like": "throttling"},
        "tantivy": None,
        "fts": None,
        "rg": None,
    },
]

STOPWORDS = set(
    """a about above after again against all also am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers him his how i if in into
is it its itself just more most no nor not now of off on once only or other our out over own same she should so some such than
that the their them then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours team minutes after before because were their which about""".split()
)


# ---------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_timed(cmd, *, stdin=None, stdout=subprocess.DEVNULL, env=None, cwd=None, input_bytes=None):
    """Run a command; return (seconds, peak RSS in MB, exit code, captured stdout or None)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if input_bytes is not None else stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    out = None
    if input_bytes is not None:
        p.stdin.write(input_bytes)
        p.stdin.close()
    if stdout == subprocess.PIPE:
        out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    p.returncode = code
    if code != 0:
        log(f"command failed ({code}): {' '.join(map(str, cmd))}\n{err.decode(errors='replace')[-2000:]}")
    return secs, ru.ru_maxrss / 1024.0, code, out


def best_of(n, fn):
    return min(fn() for _ in range(n))


def median_runs(runs):
    """Per query class, the median over runs of p50 and of p99 (other fields from the first run)."""
    out = {}
    for c, first in runs[0].items():
        got = [r[c] for r in runs if c in r]
        out[c] = dict(first, p50_us=statistics.median(g["p50_us"] for g in got), p99_us=statistics.median(g["p99_us"] for g in got))
    return out


def median_build(runs):
    """The median time and peak RSS of a tool's build rounds (index size from the last); None if any failed."""
    if not runs or any(r is None for r in runs):
        return None
    return {"secs": statistics.median(r["secs"] for r in runs), "rss": statistics.median(r["rss"] for r in runs), "size": runs[-1]["size"]}


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, round((len(v) - 1) * p))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def du_mb(path: Path) -> float:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total / 1e6


def vm_hwm_mb(pid: int):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def corpus_files(root: Path):
    out = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".md"):
                out.append(Path(dirpath) / f)
    out.sort()
    return out


def title_of(text: str) -> str:
    m = re.search(r'^title\s*[:=]\s*"?(.*?)"?\s*$', text[:4096], re.M)
    if m:
        return m.group(1)
    m = re.search(r"^# (.+)$", text, re.M)
    if m:
        return m.group(1)
    return text.split("\n", 1)[0]


def top_words(text: str, n: int = 25):
    words = re.findall(r"[a-z][a-z]{3,}", text.lower())
    c = Counter(w for w in words if w not in STOPWORDS)
    return [w for w, _ in c.most_common(n)]


class Http:
    """A keep-alive HTTP client for one server."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str):
        for attempt in range(2):
            try:
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                body = r.read()
                return r.status, body
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        self.conn.close()


def wait_http(port: int, path: str, proc, timeout: float, want=200):
    """Poll until GET path returns `want`; return seconds waited, or None."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            return None
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == want:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.005)
    return None


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------
# building


def build(profile: str):
    """Build `coe` and the inproc bench; return their paths."""
    args = ["cargo", "build", "--bin", "coe", "--bench", "inproc", "--message-format=json-render-diagnostics"]
    if profile == "release":
        args.insert(2, "--release")
    log("building: " + " ".join(args))
    p = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, check=True)
    coe = inproc = None
    for line in p.stdout.decode().splitlines():
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("reason") == "compiler-artifact" and m.get("executable"):
            name = m["target"]["name"]
            if name == "coe":
                coe = m["executable"]
            elif name == "inproc":
                inproc = m["executable"]
    if not coe or not inproc:
        sys.exit("compare: cargo did not report the coe and inproc executables")
    return Path(coe), Path(inproc)


# ---------------------------------------------------------------------------
# the measurements of one size


class Run:
    def __init__(self, args, coe: Path, inproc: Path, tools: dict):
        self.a = args
        self.coe = coe
        self.inproc = inproc
        self.tools = tools
        self.work = Path(args.work).resolve()
        self.env = dict(os.environ, COE_LOG="warn")

    # -- corpus ------------------------------------------------------------

    def fingerprint(self) -> str:
        """Seed plus a hash of a few generated documents: a corpus on disk is
        reused only when this generator would write the same files."""
        if not hasattr(self, "_fp"):
            tmp = self.work / "fingerprint"
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run([self.coe, "gen-corpus", "20", tmp, "--seed", str(self.a.seed)], check=True, stdout=subprocess.DEVNULL, env=self.env)
            h = hashlib.sha256()
            for f in corpus_files(tmp):
                h.update(str(f.relative_to(tmp)).encode() + b"\0" + f.read_bytes())
            shutil.rmtree(tmp, ignore_errors=True)
            self._fp = f"{self.a.seed} {h.hexdigest()[:16]}"
        return self._fp

    def corpus(self, n: int) -> Path:
        d = self.work / f"corpus-{n}"
        marker = self.work / f"corpus-{n}.seed"
        if d.is_dir() and marker.is_file() and marker.read_text().strip() == self.fingerprint():
            self.gen_secs = None
            return d
        shutil.rmtree(d, ignore_errors=True)
        secs, _, code, _ = run_timed([self.coe, "gen-corpus", str(n), d, "--seed", str(self.a.seed)], env=self.env)
        if code != 0:
            raise SystemExit("coe gen-corpus failed")
        marker.write_text(self.fingerprint())
        self.gen_secs = secs
        return d

    def jsonl(self, n: int, files) -> Path:
        path = self.work / f"docs-{n}.jsonl"
        if path.is_file() and path.stat().st_mtime >= (self.work / f"corpus-{n}.seed").stat().st_mtime:
            return path
        with open(path, "w", encoding="utf-8") as out:
            for f in files:
                text = f.read_text(encoding="utf-8", errors="replace")
                out.write(json.dumps({"title": title_of(text), "body": text}, ensure_ascii=False))
                out.write("\n")
        return path

    # -- index build ---------------------------------------------------------

    def floors(self, corpus: Path):
        # Warm the page cache first; every measurement below reads hot files.
        subprocess.run(f"find '{corpus}' -type f -name '*.md' -print0 | xargs -0 cat | wc -c", shell=True, stdout=subprocess.DEVNULL)
        cat = best_of(3, lambda: run_timed(["sh", "-c", f"find '{corpus}' -type f -name '*.md' -print0 | xargs -0 cat | wc -c"])[0])
        stat = best_of(3, lambda: run_timed(["sh", "-c", f"find '{corpus}' -type f -printf '%s %T@\\n' | wc -l"])[0])
        return cat, stat

    def coe_index(self, corpus: Path, idx: Path):
        shutil.rmtree(idx, ignore_errors=True)
        secs, rss, code, _ = run_timed([self.coe, "index", corpus, "--index", idx], env=self.env)
        if code != 0:
            raise SystemExit("coe index failed")
        return {"secs": secs, "rss": rss, "size": du_mb(idx)}

    def tantivy_index(self, jsonl: Path, idx: Path):
        tv = self.tools.get("tantivy")
        if not tv:
            return None
        shutil.rmtree(idx, ignore_errors=True)
        answers = b"title\nText\nY\nN\nY\nY\nY\nY\nY\nbody\nText\nY\nN\nY\nY\nY\nY\nN\n"
        _, _, code, _ = run_timed([tv, "new", "-i", idx], input_bytes=answers)
        if code != 0:
            return None
        secs, rss, code, _ = run_timed([tv, "index", "-i", idx, "-f", jsonl, "-t", str(self.a.tantivy_threads)])
        if code != 0:
            return None
        return {"secs": secs, "rss": rss, "size": du_mb(idx)}

    def fts_index(self, jsonl: Path, db: Path):
        for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-journal")):
            p.unlink(missing_ok=True)
        secs, rss, code, _ = run_timed([sys.executable, __file__, "--fts5-build", str(db), str(jsonl)])
        if code != 0:
            return None
        return {"secs": secs, "rss": rss, "size": db.stat().st_size / 1e6}

    # -- queries -----------------------------------------------------------

    def run_inproc(self, args, queries=None, name="queries.json"):
        """Run benches/inproc.rs with `args` (and `queries`, written to WORK/name):
        its JSON report, or None if it failed."""
        if queries is not None:
            qfile = self.work / name
            qfile.write_text(json.dumps(queries))
            args = [*args, "--queries", qfile, "--max-ms", str(self.a.query_ms), "--iters", str(self.a.iters)]
        _, _, code, out = run_timed([self.inproc, *args], stdout=subprocess.PIPE, env=self.env)
        return json.loads(out.decode().strip().splitlines()[-1]) if code == 0 else None

    def coe_inproc(self, idx: Path):
        qs = [dict({"class": q["class"]}, **q["coe"]) for q in QUERIES]
        got = self.run_inproc(["--index", idx], qs)
        if got is None:
            raise SystemExit("coe in-process queries failed")
        return got

    def stalls(self):
        """How often this machine stalls a core, and for how long (inproc --stalls)."""
        return self.run_inproc(["--stalls"])

    def time_loop(self, fn):
        for _ in range(3):
            hits = fn()
        samples = []
        t0 = time.perf_counter()
        while len(samples) < self.a.iters and (len(samples) < 20 or time.perf_counter() - t0 < self.a.query_ms / 1000):
            s = time.perf_counter()
            hits = fn()
            samples.append((time.perf_counter() - s) * 1e6)
        return {"p50_us": pct(samples, 0.5), "p99_us": pct(samples, 0.99), "n": len(samples), "hits": hits}

    def coe_api(self, port: int, mlt_id: str):
        h = Http(port)
        out = {}
        try:
            for q in QUERIES:
                if q["class"] == "mlt":
                    path = f"/api/v1/coes/{urllib.parse.quote(mlt_id)}/similar?limit=10"

                    def f(path=path):
                        st, body = h.get(path)
                        assert st == 200, body[:300]
                        return len(json.loads(body))

                else:
                    params = [("q", q["coe"]["q"]), ("per_page", "10")]
                    for k, vs in q["coe"].get("filters", {}).items():
                        params += [(k, v) for v in vs]
                    path = "/api/v1/search?" + urllib.parse.urlencode(params)

                    def f(path=path):
                        st, body = h.get(path)
                        assert st == 200, body[:300]
                        return json.loads(body)["total"]

                out[q["class"]] = self.time_loop(f)
        finally:
            h.close()
        return out

    def fts_queries(self, db: Path, mlt_words):
        con = sqlite3.connect(db)
        out = {}
        for q in QUERIES:
            expr = q["fts"] if q["class"] != "mlt" else " OR ".join(mlt_words)
            if not expr:
                continue

            def f(expr=expr):
                total = con.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (expr,)).fetchone()[0]
                con.execute(
                    "SELECT rowid, title, snippet(docs, 1, '<b>', '</b>', '…', 24) FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10",
                    (expr,),
                ).fetchall()
                return total

            out[q["class"]] = self.time_loop(f)
        con.close()
        return out

    def rg_queries(self, corpus: Path):
        rg = self.tools.get("rg")
        if not rg:
            return None
        out = {}
        reps = self.a.rg_reps
        for q in QUERIES:
            if not q["rg"]:
                continue
            samples = []
            hits = 0
            for _ in range(reps + 1):
                t0 = time.perf_counter()
                p = subprocess.run([rg, "-l", *q["rg"], str(corpus)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                samples.append((time.perf_counter() - t0) * 1e6)
                hits = p.stdout.count(b"\n")
            samples = samples[1:]  # first run warms up
            out[q["class"]] = {"p50_us": pct(samples, 0.5), "p99_us": max(samples), "n": len(samples), "hits": hits}
        return out

    def tantivy_same(self, idx: Path):
        """The fuzzy classes as Tantivy's own fuzzy query, plus the single term as a
        check of this in-process timing against tantivy-cli's."""
        qs = [{"class": "term", "q": "throttling"}]
        qs += [{"class": q["class"], "q": q["same"], "fuzzy": True} for q in QUERIES if q.get("same")]
        got = self.run_inproc(["--peer", idx], qs, "tantivy-same.json")
        return got["queries"] if got else None

    def tantivy_queries(self, idx: Path, mlt_words):
        tv = self.tools.get("tantivy")
        if not tv:
            return None
        lines, classes = [], []
        for q in QUERIES:
            t = q["tantivy"] if q["class"] != "mlt" else " ".join(mlt_words)
            if t:
                lines.append(t)
                classes.append(q["class"])
        qfile = self.work / "tantivy-queries.txt"
        qfile.write_text("\n".join(lines) + "\n")
        _, _, code, out = run_timed([tv, "bench", "-i", idx, "-q", qfile, "-n", str(self.a.tantivy_reps)], stdout=subprocess.PIPE)
        if code != 0:
            return None
        text = out.decode(errors="replace")
        search_part, _, fetch_part = text.partition("FETCH STORE")
        search = [ln.rsplit("\t", 2) for ln in search_part.splitlines() if ln.count("\t") >= 2 and not ln.startswith("query")]
        fetch = [ln.rsplit("\t", 1) for ln in fetch_part.splitlines() if ln.count("\t") >= 1 and not ln.startswith("query")]
        res = {c: {"samples": [], "hits": 0} for c in classes}
        k = len(classes)
        for i, (s, f) in enumerate(zip(search, fetch)):
            c = classes[i % k]
            res[c]["samples"].append(float(s[2]) + float(f[1]))
            res[c]["hits"] = int(s[1])
        out = {}
        for c, r in res.items():
            s = r["samples"][1:] if len(r["samples"]) > 1 else r["samples"]  # the first repeat warms up
            out[c] = {"p50_us": pct(s, 0.5), "p99_us": pct(s, 0.99), "n": len(s), "hits": r["hits"]}
        return out

    # -- serving -----------------------------------------------------------

    def serve(self, corpus: Path, idx: Path, port: int, watch: str):
        cmd = [self.coe, "serve", corpus, "--index", idx, "--bind", f"127.0.0.1:{port}", "--watch", watch, "--rate-limit", "0"]
        if watch == "poll":
            cmd += ["--poll-interval", f"{self.a.poll_ms}ms"]
        return subprocess.Popen(cmd, cwd=self.work, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def restart_to_ready(self, corpus: Path, idx: Path, port: int, trials: int):
        times = []
        proc = None
        for i in range(trials):
            t0 = time.perf_counter()
            proc = self.serve(corpus, idx, port, "native")
            w = wait_http(port, "/readyz", proc, 600)
            if w is None:
                stop(proc)
                raise SystemExit("coe serve did not become ready")
            times.append(time.perf_counter() - t0)
            if i + 1 < trials:
                stop(proc)
        return times, proc

    def change_to_searchable(self, corpus: Path, port: int, trials: int, tag: str):
        target_dir = next(p for p in sorted(corpus.rglob("*")) if p.is_dir() and any(p.glob("*.md")))
        h = Http(port)
        results = []
        rnd = random.Random(f"{tag}-{time.time()}")
        try:
            for t in range(trials):
                word = "zq" + "".join(rnd.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))
                path = target_dir / f"2026-01-01-benchmark-probe-{tag}-{t}.md"
                self.probes.append(path)
                text = (
                    f"---\ntitle: Benchmark probe {word}\ndate: 2026-01-01\nseverity: SEV4\nteam: bench\n---\n\n"
                    f"# Benchmark probe {word}\n\n## Summary\n\nA probe document with the word {word} in it.\n"
                )
                t0 = time.perf_counter()
                path.write_text(text)
                q = "/api/v1/search?" + urllib.parse.urlencode({"q": word, "per_page": "1"})
                found = None
                while time.perf_counter() - t0 < 60:
                    st, body = h.get(q)
                    if st == 200 and json.loads(body)["total"] >= 1:
                        found = time.perf_counter() - t0
                        break
                    time.sleep(0.005)
                results.append(found)
                time.sleep(0.4)
        finally:
            h.close()
        return results

    def wrk(self, url: str):
        wrk = self.tools.get("wrk")
        if not wrk:
            return None
        _, _, code, out = run_timed(
            [wrk, "-t2", f"-c{self.a.connections}", f"-d{self.a.load_secs}s", "--latency", "--timeout", "10s", url], stdout=subprocess.PIPE
        )
        if code != 0:
            return None
        text = out.decode(errors="replace")

        def lat(label):
            m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
            if not m:
                return None
            v = float(m.group(1))
            return v / 1000 if m.group(2) == "us" else v if m.group(2) == "ms" else v * 1000

        rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
        errs = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
        sock = re.search(r"Socket errors:.*", text)
        return {
            "rps": float(rps.group(1)) if rps else None,
            "p50_ms": lat("50"),
            "p99_ms": lat("99"),
            "non2xx": int(errs.group(1)) if errs else 0,
            "socket_errors": sock.group(0) if sock else "",
        }

    def tantivy_serve(self, idx: Path, word: str):
        tv = self.tools.get("tantivy")
        if not tv:
            return None
        port = free_port()
        proc = subprocess.Popen([tv, "serve", "-i", idx, "--host", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ready = wait_http(port, f"/api/?q={word}&nhits=10", proc, 60)
            if ready is None:
                return None
            load = self.wrk(f"http://127.0.0.1:{port}/api/?q={word}&nhits=10")
            return {"rss": vm_hwm_mb(proc.pid), "load": load}
        finally:
            stop(proc)

    # -- one size ----------------------------------------------------------

    def size(self, n: int) -> dict:
        r = {"n": n, "load_before": os.getloadavg()[0]}
        r["stalls"] = self.stalls()
        self.probes = []
        log(f"== {n} documents")
        corpus = self.corpus(n)
        files = corpus_files(corpus)
        r["files"] = len(files)
        r["bytes"] = sum(f.stat().st_size for f in files)
        r["gen_secs"] = self.gen_secs
        log(f"corpus: {len(files)} files, {r['bytes'] / 1e6:.1f} MB")
        r["cat_secs"], r["stat_secs"] = self.floors(corpus)
        jsonl = self.jsonl(n, files)

        # The builds take turns too, `--build-rounds` times, each reported as the
        # median of its rounds (time and peak RSS): multi-threaded `coe index` varies
        # far more from one minute to the next on a small VM than one-threaded
        # tantivy-cli. Each build starts after a `sync`, with nothing left to write
        # back from the corpus and JSONL just written, or from the build before.
        coe_idx = self.work / f"coe-idx-{n}"
        tv_idx = self.work / f"tantivy-idx-{n}"
        db = self.work / f"fts5-{n}.db"
        def tantivy_build():
            try:
                return self.tantivy_index(jsonl, tv_idx)
            except Exception as e:  # noqa: BLE001 - a failing peer is skipped
                log(f"tantivy-cli failed: {e}")
                return None

        tools = [
            ("coe_index", "coe", lambda: self.coe_index(corpus, coe_idx)),
            ("tantivy_index", "tantivy-cli", tantivy_build),
            ("fts_index", "SQLite FTS5", lambda: self.fts_index(jsonl, db)),
        ]
        builds = {key: [] for key, _, _ in tools}
        for rnd in range(self.a.build_rounds):
            for key, label, build in tools:
                os.sync()
                log(f"index: {label} (round {rnd + 1} of {self.a.build_rounds})")
                builds[key].append(build())
        for key, runs in builds.items():
            r[key] = median_build(runs)
        r["build_rounds"] = self.a.build_rounds

        # coe and tantivy-cli take turns, several rounds, and each class keeps
        # the median of its rounds' p50 and p99: a slow spell of the machine
        # then lands on both, not on one engine's only run.
        coe_runs, tv_runs, same_runs = [], [], []
        for rnd in range(self.a.rounds):
            log(f"queries: coe in process (round {rnd + 1} of {self.a.rounds})")
            ip = self.coe_inproc(coe_idx)
            coe_runs.append(ip["queries"])
            if rnd == 0:
                r["open_ms"] = ip["open_ms"]
                mlt_doc = ip["mlt_doc"]
                mlt_text = (corpus / mlt_doc["path"]).read_text(encoding="utf-8", errors="replace")
                mlt_words = top_words(mlt_text)
                r["mlt_doc"] = mlt_doc
            if not r["tantivy_index"]:
                continue
            log(f"queries: tantivy-cli (round {rnd + 1} of {self.a.rounds})")
            try:
                tv = self.tantivy_queries(tv_idx, mlt_words)
            except Exception as e:  # noqa: BLE001
                log(f"tantivy-cli bench failed: {e}")
                tv = None
            if tv:
                tv_runs.append(tv)
            log(f"queries: Tantivy's fuzzy query (round {rnd + 1} of {self.a.rounds})")
            same = self.tantivy_same(tv_idx)
            if same:
                same_runs.append(same)
        r["coe_inproc"] = median_runs(coe_runs)
        r["tantivy_q"] = median_runs(tv_runs) if tv_runs else None
        r["tantivy_same"] = median_runs(same_runs) if same_runs else None
        r["rounds"] = self.a.rounds
        log("queries: SQLite FTS5")
        r["fts_q"] = self.fts_queries(db, mlt_words) if r["fts_index"] else None
        log("queries: rg")
        r["rg_q"] = self.rg_queries(corpus)

        port = free_port()
        log("serve: restart-to-ready")
        ready, proc = self.restart_to_ready(corpus, coe_idx, port, self.a.restarts)
        r["restart_secs"] = ready
        try:
            log("serve: API queries")
            r["coe_api"] = self.coe_api(port, mlt_doc["id"])
            log("serve: load (wrk)")
            r["coe_load"] = self.wrk(f"http://127.0.0.1:{port}/api/v1/search?q=throttling&per_page=10")
            r["coe_serve_rss"] = vm_hwm_mb(proc.pid)
            log("serve: change-to-searchable (native)")
            r["change_native"] = self.change_to_searchable(corpus, port, self.a.change_trials, "native")
        finally:
            stop(proc)
        if proc.returncode not in (0, -signal.SIGTERM):
            raise SystemExit(f"coe serve exited with {proc.returncode}")
        log("serve: change-to-searchable (poll)")
        port = free_port()
        proc = self.serve(corpus, coe_idx, port, "poll")
        try:
            if wait_http(port, "/readyz", proc, 600) is None:
                raise SystemExit("coe serve (poll) did not become ready")
            r["change_poll"] = self.change_to_searchable(corpus, port, max(1, self.a.change_trials - 1), "poll")
        finally:
            stop(proc)
        for p in self.probes:
            p.unlink(missing_ok=True)
        log("serve: tantivy-cli")
        try:
            r["tantivy_serve"] = self.tantivy_serve(tv_idx, "throttling") if r["tantivy_index"] else None
        except Exception as e:  # noqa: BLE001
            log(f"tantivy-cli serve failed: {e}")
            r["tantivy_serve"] = None
        r["load_after"] = os.getloadavg()[0]
        if not self.a.keep:
            for p in (coe_idx, tv_idx):
                shutil.rmtree(p, ignore_errors=True)
            db.unlink(missing_ok=True)
        return r


# ---------------------------------------------------------------------------
# report


def fmt_us(v):
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f} s"
    if v >= 1e3:
        return f"{v / 1e3:.2f} ms"
    return f"{v:.0f} µs"


def ratio(a, b, fmt="{:.2f}×"):
    if a is None or b is None or b == 0:
        return "—"
    return fmt.format(a / b)


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}"


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10).stdout.decode().strip().splitlines()
        return out[0] if out else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def commit():
    try:
        c = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout.decode().strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, stdout=subprocess.PIPE).stdout.strip()
        return c + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def targets(r, a):
    """[(target, value, met)] for one size."""
    out = []
    ci, ti = r["coe_index"], r.get("tantivy_index")
    if ti:
        v = (r["bytes"] / ci["secs"]) / (r["bytes"] / ti["secs"])
        out.append(("index build ≥ 0.8× tantivy-cli MB/s", f"{v:.2f}×", v >= 0.8))
    tq, cq = r.get("tantivy_q"), r["coe_inproc"]
    if tq:
        # The same query: tantivy-cli's, except for a fuzzy class, whose peer is
        # Tantivy's own fuzzy query (tantivy-cli can only run the exact word).
        # A class whose peer query finds nothing (a typo that stemming puts two
        # edits from the word) answers no question there: it is named, not timed.
        same = r.get("tantivy_same") or {}
        fuzzy = {q["class"] for q in QUERIES if q.get("same")}
        peer = {c: (same[c] if c in fuzzy else tq[c]) for c in tq if c in cq and (c not in fuzzy or c in same)}
        empty = sorted(c for c in peer if peer[c]["hits"] == 0 and cq[c]["hits"] > 0)
        note = f"; {', '.join(empty)} left out: Tantivy's query finds no CoE" if empty else ""
        for p in ("p50", "p99"):
            worst = max((cq[c][f"{p}_us"] / peer[c][f"{p}_us"], c) for c in peer if c not in empty)
            out.append((f"query {p} ≤ 1.5× Tantivy, the same query (worst class; fuzzy classes against Tantivy's fuzzy query)", f"{worst[0]:.2f}× ({worst[1]}{note})", worst[0] <= 1.5))
        for p in ("p50", "p99"):
            worst = max((cq[c][f"{p}_us"] / tq[c][f"{p}_us"], c) for c in tq if c in cq)
            out.append((f"query {p} ≤ 1.5× tantivy-cli, fuzzy classes against its exact word (worst class)", f"{worst[0]:.2f}× ({worst[1]})", worst[0] <= 1.5))
    rq = r.get("rg_q")
    if rq:
        least = min((rq[c]["p50_us"] / cq[c]["p50_us"], c) for c in rq if c in cq)
        out.append(("≥ 100× faster than rg (at 100k; least class)", f"{least[0]:.0f}× ({least[1]})", least[0] >= 100 if r["n"] >= 100000 else None))
    fq = r.get("fts_q")
    if fq:
        slow = [c for c in fq if c in cq and cq[c]["p50_us"] >= fq[c]["p50_us"]]
        least = min((fq[c]["p50_us"] / cq[c]["p50_us"], c) for c in fq if c in cq)
        out.append(("faster than SQLite FTS5 on every class (p50)", f"least {least[0]:.1f}× ({least[1]})", not slow))
    nat = [x for x in r["change_native"] if x is not None]
    lim = (a.debounce_ms + 250) / 1000
    if r["change_native"]:
        worst = max(nat) if len(nat) == len(r["change_native"]) else None
        out.append((f"change-to-searchable, native ≤ debounce + 250 ms ({lim * 1000:.0f} ms)", f"max {worst * 1000:.0f} ms" if worst else "timed out", bool(worst and worst <= lim)))
    pol = [x for x in r["change_poll"] if x is not None]
    plim = (a.poll_ms + 250) / 1000
    if r["change_poll"]:
        worst = max(pol) if len(pol) == len(r["change_poll"]) else None
        out.append((f"change-to-searchable, poll ≤ interval + 250 ms ({plim * 1000:.0f} ms)", f"max {worst * 1000:.0f} ms" if worst else "timed out", bool(worst and worst <= plim)))
    ts = r.get("tantivy_serve")
    if ts and ts.get("rss") and r.get("coe_serve_rss"):
        v = r["coe_serve_rss"] / ts["rss"]
        out.append(("RSS serving ≤ 3× tantivy-cli (at 100k)", f"{v:.2f}×", v <= 3 if r["n"] >= 100000 else None))
    med = statistics.median(r["restart_secs"])
    v = med / r["stat_secs"]
    out.append(("restart-to-ready ≤ 2× one stat pass (at 100k)", f"{v:.1f}× ({med * 1000:.0f} ms vs {r['stat_secs'] * 1000:.0f} ms)", v <= 2 if r["n"] >= 100000 else None))
    return out


def report(results, a, tools, coe_bin) -> str:
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("Generated by `benches/compare.py` (issue 7); every ratio in a table comes from the same run on the same generated corpus.")
    w("")
    w(f"- **Machine:** {machine()}")
    w(f"- **Date:** {a.date}")
    w(f"- **Commit:** {a.commit or commit()} (coe built with the `{a.profile}` profile)")
    w(f"- **Corpus:** `coe gen-corpus N DIR --seed {a.seed}` — synthetic CoEs of 1–30 KB in nested team folders")
    w(
        f"- **Peers:** {tool_version([tools['tantivy'], '--version']) if tools.get('tantivy') else 'tantivy-cli: not installed'}"
        f" (`index -t {a.tantivy_threads}`, default 1 GB heap, en_stem, title+body stored with positions); "
        f"SQLite {sqlite3.sqlite_version} FTS5 (`porter unicode61`, Python {platform.python_version()}); "
        f"{tool_version([tools['rg'], '--version']) if tools.get('rg') else 'rg: not installed'}; "
        f"{tool_version([tools['wrk'], '-v']) if tools.get('wrk') else 'wrk: not installed'}"
    )
    w(f"- **Command:** `python3 benches/compare.py {' '.join(a.argv)}`".rstrip())
    w("")
    w(f"All runs read from a warm page cache. Each index build starts after a `sync`, with no earlier writes left to flush; the tools build in turn, {a.build_rounds} round(s) per size, and the build table shows the median time and peak RSS of the rounds. Query latencies are per query, end to end: coe runs the full search "
      "(top 10, total count, six facet counts, snippets) and more-like-this; tantivy-cli's figure is its `bench` "
      "search (top 10 + count) plus the fetch of the 10 stored documents; FTS5 runs `count(*)` plus the top 10 by "
      "`rank` with `snippet()`; rg runs `rg -l` over the files (p99 column: the slowest of its runs). "
      "The coe API figures include HTTP and JSON over a keep-alive connection from a Python client. "
      f"coe in process and tantivy-cli run their queries in turn, {a.rounds} round(s) per size; their columns show "
      "the median of the rounds' p50 and p99.")
    w("")
    for r in results:
        n = r["n"]
        mb = r["bytes"] / 1e6
        w(f"## {n:,} documents ({r['files']:,} files, {mb:.1f} MB)")
        w("")
        gen = f"Corpus generated in {r['gen_secs']:.2f} s. " if r.get("gen_secs") else ""
        w(f"{gen}1-minute load average {r['load_before']:.1f} before and {r['load_after']:.1f} after this size ({os.cpu_count()} cores).")
        st = r.get("stalls")
        if st:
            w("")
            w(f"Stalls of this machine (`inproc --stalls`): a fixed {st['loop_us']:.0f} µs loop was slowed in {st['slowed_pct']:.1f}% of "
              f"{st['runs']:,} runs, by {st['stall_us']:.0f} µs on average, about every {st['every_ms']:.1f} ms. A query that runs "
              "for a few tens of µs is hit at least as often as this loop, so from about 1% on this lands in its p99; tantivy-cli "
              "times its search and its fetch apart, each half as long, so its p99 is hit less often.")
        w("")
        w("### Index build")
        w("")
        w("| tool | time | docs/s | MB/s | MB/s vs coe | peak RSS | index size |")
        w("|---|---:|---:|---:|---:|---:|---:|")
        coe_mbps = mb / r["coe_index"]["secs"]
        rows = [("coe index (extracts structure)", r["coe_index"]), ("tantivy-cli (title+body JSONL)", r.get("tantivy_index")),
                ("SQLite FTS5 (title+body)", r.get("fts_index"))]
        for name, x in rows:
            if not x:
                w(f"| {name} | — | — | — | — | — | — |")
                continue
            mbps = mb / x["secs"]
            w(f"| {name} | {x['secs']:.2f} s | {r['files'] / x['secs']:,.0f} | {mbps:.1f} | {ratio(mbps, coe_mbps)} | {x['rss']:.0f} MB | {x['size']:.0f} MB |")
        w(f"| `cat` of all files (floor) | {r['cat_secs']:.3f} s | {r['files'] / r['cat_secs']:,.0f} | {mb / r['cat_secs']:.0f} | {ratio(mb / r['cat_secs'], coe_mbps)} | — | — |")
        w("")
        w("### Query latency, p50 / p99")
        w("")
        w("| query | coe in process | coe API | tantivy-cli | SQLite FTS5 | rg | coe ÷ tantivy-cli (p50 / p99) | FTS5 ÷ coe (p50) | rg ÷ coe (p50) | hits coe / tantivy / FTS5 / rg |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for q in QUERIES:
            c = q["class"]
            ci = r["coe_inproc"].get(c)
            ca = (r.get("coe_api") or {}).get(c)
            tq = (r.get("tantivy_q") or {}).get(c)
            fq = (r.get("fts_q") or {}).get(c)
            rq = (r.get("rg_q") or {}).get(c)
            cell = lambda x: f"{fmt_us(x['p50_us'])} / {fmt_us(x['p99_us'])}" if x else "—"  # noqa: E731
            tr = f"{ratio(ci['p50_us'], tq['p50_us'])} / {ratio(ci['p99_us'], tq['p99_us'])}" if (ci and tq) else "—"
            fr = ratio(fq["p50_us"], ci["p50_us"]) if (ci and fq) else "—"
            rr = ratio(rq["p50_us"], ci["p50_us"], "{:,.0f}×") if (ci and rq) else "—"
            hits = " / ".join(str(x["hits"]) if x else "—" for x in (ci, tq, fq, rq))
            w(f"| {q['what']} | {cell(ci)} | {cell(ca)} | {cell(tq)} | {cell(fq)} | {cell(rq)} | {tr} | {fr} | {rr} | {hits} |")
        w("")
        w(f"More-like-this seed document: `{r['mlt_doc']['id']}`. Index open (in process): {r['open_ms']:.1f} ms.")
        w("")
        same = r.get("tantivy_same")
        if same:
            w("### Fuzzy queries, the same query in Tantivy")
            w("")
            w("tantivy-cli's query language has no fuzzy term, so above it runs the exact word. Here Tantivy's own `QueryParser` "
              "runs the fuzzy query coe runs (each term one edit away, a transposition counting as one), in process "
              "(Tantivy 0.27, the version coe is built on; tantivy-cli is 0.24), "
              "on tantivy-cli's index, timed like tantivy-cli's `bench` (top 10 + count, then the fetch of the 10 stored "
              "documents). The single term shows how this timing compares with tantivy-cli's own. Where Tantivy "
              "finds fewer CoEs, its query is cheaper: coe's `body` also holds each CoE's technologies by their canonical "
              "names (a CoE that names its pods or `k8s` is found by `kubernetes`), and a typo that stemming puts two edits from the "
              "word (`certficate` → `certfic`) is out of reach of Tantivy's one-edit fuzzy query.")
            w("")
            w("| query | coe in process | Tantivy, in process | coe ÷ Tantivy (p50 / p99) | hits coe / Tantivy |")
            w("|---|---:|---:|---:|---:|")
            for q in QUERIES:
                c = q["class"]
                ci, sq = r["coe_inproc"].get(c), same.get(c)
                if not (ci and sq):
                    continue
                what = f"{q['what'].split(' (')[0]} (`{q['coe']['q']}`; Tantivy: `{q['same']}` fuzzy)" if q.get("same") else f"{q['what']} (exact; tantivy-cli: {fmt_us(((r.get('tantivy_q') or {}).get(c) or {}).get('p50_us'))} p50)"
                tr = f"{ratio(ci['p50_us'], sq['p50_us'])} / {ratio(ci['p99_us'], sq['p99_us'])}"
                w(f"| {what} | {fmt_us(ci['p50_us'])} / {fmt_us(ci['p99_us'])} | {fmt_us(sq['p50_us'])} / {fmt_us(sq['p99_us'])} | {tr} | {ci['hits']} / {sq['hits']} |")
            w("")
        w("### Serving")
        w("")
        w("| measure | coe | peer / floor | ratio |")
        w("|---|---:|---:|---:|")
        nat = ", ".join(f"{x * 1000:.0f} ms" if x is not None else "timeout" for x in r["change_native"])
        pol = ", ".join(f"{x * 1000:.0f} ms" if x is not None else "timeout" for x in r["change_poll"])
        w(f"| change-to-searchable, native watcher (debounce {a.debounce_ms} ms) | {nat} | — | — |")
        w(f"| change-to-searchable, poll watcher (interval {a.poll_ms} ms) | {pol} | — | — |")
        med = statistics.median(r["restart_secs"])
        w(f"| restart-to-ready, unchanged corpus (median of {len(r['restart_secs'])}) vs one `stat` pass (`find -printf`) | {med * 1000:.0f} ms | {r['stat_secs'] * 1000:.0f} ms | {med / r['stat_secs']:.1f}× |")
        w(f"| peak RSS while indexing, vs tantivy-cli | {r['coe_index']['rss']:.0f} MB | {r['tantivy_index']['rss']:.0f} MB | {r['coe_index']['rss'] / r['tantivy_index']['rss']:.2f}× |" if r.get("tantivy_index") else f"| peak RSS while indexing | {r['coe_index']['rss']:.0f} MB | — | — |")
        ts = r.get("tantivy_serve") or {}
        srss = r.get("coe_serve_rss")
        w(f"| peak RSS while serving (VmHWM after queries and load), vs `tantivy serve` | {srss:.0f} MB | {ts['rss']:.0f} MB | {srss / ts['rss']:.2f}× |" if ts.get("rss") and srss else f"| peak RSS while serving | {srss or 0:.0f} MB | — | — |")
        cl, tl = r.get("coe_load"), ts.get("load")
        if cl:
            conn = f"wrk -t2 -c{a.connections} -d{a.load_secs}s, `q=throttling`"
            peer = f"{tl['rps']:,.0f} req/s, p50 {tl['p50_ms']:.2f} ms, p99 {tl['p99_ms']:.2f} ms" if tl and tl.get("rps") else "—"
            rr = ratio(cl["rps"], tl["rps"]) if tl and tl.get("rps") else "—"
            errs = f"; {cl['non2xx']} non-2xx" if cl.get("non2xx") else ""
            w(f"| HTTP search under load ({conn}), vs `tantivy serve` | {cl['rps']:,.0f} req/s, p50 {cl['p50_ms']:.2f} ms, p99 {cl['p99_ms']:.2f} ms{errs} | {peer} | {rr} |")
        w("")
        w("### Targets")
        w("")
        w("| target | this run | met |")
        w("|---|---:|:---:|")
        for name, val, met in targets(r, a):
            w(f"| {name} | {val} | {'n/a at this size' if met is None else ('yes' if met else '**no**')} |")
        w("")
    w("## How to run")
    w("")
    w("```sh")
    w("apt-get install -y ripgrep wrk            # Debian peers (skipped when missing)")
    w("cargo install tantivy-cli --root ~/tools   # ~2.5 min; not --locked on Rust 1.95")
    w("PATH=~/tools/bin:$PATH python3 benches/compare.py                 # 1k, 10k, 100k; writes BENCHMARKS.md")
    w("python3 benches/compare.py --sizes 1000,10000 --out /tmp/b.md      # a smaller run")
    w("python3 benches/compare.py --smoke --profile dev                   # CI smoke: 1k, under a minute after the build")
    w("cargo bench --bench core                                           # criterion: parse, index build, query mix at 1k/10k")
    w("```")
    w("")
    w("The script builds `coe` and `benches/inproc.rs` itself, generates each corpus once under `--work` "
      "(default `target/bench-work`), and exits non-zero only when coe fails; a peer that is missing or fails is shown as —.")
    w("")
    return "\n".join(L)


# ---------------------------------------------------------------------------


def fts5_build(db: str, jsonl: str) -> None:
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61')")
    with open(jsonl, encoding="utf-8") as f, con:
        con.executemany("INSERT INTO docs(title, body) VALUES (?, ?)", ((d["title"], d["body"]) for d in map(json.loads, f)))
    con.close()


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--fts5-build":
        fts5_build(sys.argv[2], sys.argv[3])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated corpus sizes")
    ap.add_argument("--smoke", action="store_true", help="CI: 1k only, short timings, output in the work folder")
    ap.add_argument("--profile", choices=["release", "dev"], default="release", help="cargo profile for coe")
    ap.add_argument("--coe", help="use this coe binary (with --inproc) instead of building")
    ap.add_argument("--inproc", help="use this inproc bench binary instead of building")
    ap.add_argument("--tantivy", default=shutil.which("tantivy"), help="tantivy-cli binary")
    ap.add_argument("--work", default=str(ROOT / "target" / "bench-work"), help="folder for corpora and indexes")
    ap.add_argument("--out", help="report path [default: BENCHMARKS.md at the top level; with --smoke: WORK/BENCHMARKS-smoke.md]")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--query-ms", type=int, default=2000, help="time budget per query class and engine")
    ap.add_argument("--iters", type=int, default=500, help="most samples per query class and engine")
    ap.add_argument("--tantivy-reps", type=int, default=200, help="tantivy-cli bench repeats")
    ap.add_argument("--tantivy-threads", type=int, default=1, help="tantivy-cli indexing threads (its default is 1)")
    ap.add_argument("--rounds", type=int, default=3, help="query rounds, coe and tantivy-cli in turn (medians are reported)")
    ap.add_argument("--build-rounds", type=int, default=3, help="index builds per tool and size, in turn (medians are reported)")
    ap.add_argument("--rg-reps", type=int, default=5)
    ap.add_argument("--load-secs", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--change-trials", type=int, default=3)
    ap.add_argument("--poll-ms", type=int, default=1000)
    ap.add_argument("--debounce-ms", type=int, default=300, help="coe's debounce window (its default)")
    ap.add_argument("--keep", action="store_true", help="keep the indexes after each size")
    ap.add_argument("--commit", help="label for the commit line (default: git HEAD of this checkout)")
    ap.add_argument("--from-results", metavar="JSON", help="measure nothing: write the report again from a run's WORK/results.json")
    a = ap.parse_args()
    if a.from_results:
        src = a.from_results
        saved = json.loads(Path(src).read_text())
        a = argparse.Namespace(**dict(saved["args"], out=a.out or saved["args"]["out"]))
        tools = saved["tools"]
        Path(a.out).write_text(report(saved["results"], a, tools, None))
        log(f"wrote {a.out} from {len(saved['results'])} size(s) of {src}")
        return 0
    # Before the report is first written: it would count as an uncommitted change.
    a.commit = a.commit or commit()
    a.date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    a.argv = sys.argv[1:]
    if a.smoke:
        a.sizes = "1000"
        a.query_ms, a.iters, a.tantivy_reps, a.rg_reps, a.rounds, a.build_rounds = 300, 100, 30, 2, 1, 1
        a.load_secs, a.restarts, a.change_trials = 2, 1, 1
    a.rounds, a.build_rounds = max(1, a.rounds), max(1, a.build_rounds)
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    out = Path(a.out) if a.out else (work / "BENCHMARKS-smoke.md" if a.smoke else ROOT / "BENCHMARKS.md")
    if a.coe and a.inproc:
        coe, inproc = Path(a.coe).resolve(), Path(a.inproc).resolve()
    else:
        coe, inproc = build(a.profile)
    tools = {"tantivy": a.tantivy, "rg": shutil.which("rg"), "wrk": shutil.which("wrk")}
    a.out = str(out)
    for k, v in tools.items():
        if not v:
            log(f"{k} is not installed; its columns are skipped")
    started = time.perf_counter()
    run = Run(a, coe, inproc, tools)
    results = []
    for n in sizes:
        results.append(run.size(n))
        out.write_text(report(results, a, tools, coe))
        # Everything the report is made from, to write it again (--from-results).
        (work / "results.json").write_text(json.dumps({"args": vars(a), "tools": tools, "results": results}, indent=1))
    log(f"done in {time.perf_counter() - started:.0f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
