#!/usr/bin/env python3
"""Runs every side-by-side case several times and writes bench/RESULTS.md.

Called by bench/run.sh once the peers are installed and the binaries built:

    python3 bench/driver.py [--quick] [--runs N] [--out bench/RESULTS.md]

Each measured run is its own process (Rust binary, node script or Python script) that prints
one JSON line: {"case", "client", "n", "seconds", "per_sec", "peak_rss_kib"}. The figures in
RESULTS.md are the medians over the runs; the runs of one case are interleaved (A B C A B C …)
so that a burst of load on the machine hits every client alike. Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release")
VENV_PY = os.path.join(HERE, ".venv", "bin", "python")
SCRIPTS = os.path.join(HERE, "scripts")
ODATA_DIR = os.path.join(HERE, "odata")

# The SOQL every client sends (the page server answers any query with the same pages).
SOQL = ("SELECT Id, Name, AccountNumber, Type, Industry, Phone, Website, BillingStreet, "
        "BillingCity, BillingState, BillingPostalCode, BillingCountry, AnnualRevenue, "
        "NumberOfEmployees, Description, CreatedDate, LastModifiedDate FROM Account")

# Sections of an existing RESULTS.md that this driver does not write and keeps as they are.
GENERATED_PREFIX = "## Side by side"


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def run_json(cmd, timeout=1800, env=None, cwd=None):
    """Runs one measured process; returns its JSON result line."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    for line in reversed(proc.stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{cmd} printed no result line:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


class Server:
    """A child process serving until its stdin closes."""

    def __init__(self, cmd, ready, cwd=None, env=None, timeout=180):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, cwd=cwd, env=env)
        self.lines = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{cmd[0]} exited before it was ready")
            self.lines.append(line.strip())
            if ready(line.strip()):
                return
        raise RuntimeError(f"{cmd[0]} was not ready within {timeout} s")

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def page_server(soql_records, odata_dir=None):
    cmd = [os.path.join(BIN, "page-server"), "--soql-records", str(soql_records)]
    if odata_dir:
        cmd += ["--odata-pages", odata_dir]
    server = Server(cmd, lambda line: line.startswith("{"))
    info = json.loads(server.lines[-1])
    return server, info


def median(values):
    return statistics.median(values) if values else float("nan")


def summarize(results):
    """Median seconds, rows/s (n / median seconds) and median peak RSS per client."""
    out = {}
    for client, runs in results.items():
        if runs and "error" in runs[0]:
            out[client] = {"error": runs[0]["error"]}
            continue
        n = runs[0]["n"]
        secs = median([r["seconds"] for r in runs])
        out[client] = {
            "n": n,
            "runs": len(runs),
            "seconds": secs,
            "per_sec": n / secs if secs > 0 else 0.0,
            "rss_mib": median([r["peak_rss_kib"] for r in runs]) / 1024.0,
            "all_per_sec": [r["per_sec"] for r in runs],
        }
    return out


def interleave(runs, clients):
    """Runs each (name, thunk) `runs` times, interleaved; returns {name: [results]}."""
    results = {name: [] for name, _ in clients}
    failed = {}
    for i in range(runs):
        for name, thunk in clients:
            if name in failed:
                continue
            try:
                r = thunk()
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                # A peer that cannot finish (out of memory, …) is reported, not fatal.
                failed[name] = str(e).strip().splitlines()[-1][:300] if str(e).strip() else repr(e)
                log(f"  run {i + 1}/{runs} {name}: FAILED: {failed[name]}")
                results[name] = [{"error": failed[name]}]
                continue
            results[name].append(r)
            log(f"  run {i + 1}/{runs} {name}: {r['n']} in {r['seconds']:.2f} s, "
                f"{r['per_sec']:,.0f}/s, peak RSS {r['peak_rss_kib'] / 1024:.1f} MiB")
    return results


# ---------------------------------------------------------------------------------------------
# Cases


def case_soql(n, runs):
    log(f"SOQL: {n} records through nextRecordsUrl, pre-built pages")
    server, info = page_server(n)
    url, token, version = info["base_url"], info["access_token"], info["api_version"]
    soql_read = os.path.join(BIN, "soql-read")
    try:
        clients = [
            ("tributary", lambda: run_json([soql_read, "--url", url, "--token", token,
                                            "--api-version", version, "--mode", "typed"])),
            ("tributary-sobject", lambda: run_json([soql_read, "--url", url, "--token", token,
                                                    "--api-version", version, "--mode", "sobject"])),
            ("raw", lambda: run_json([soql_read, "--url", url, "--token", token,
                                      "--api-version", version, "--mode", "raw"])),
            ("jsforce", lambda: run_json(["node", os.path.join(SCRIPTS, "soql_jsforce.cjs"),
                                          url, token, version, SOQL])),
            ("simple-salesforce", lambda: run_json([VENV_PY, "-B", os.path.join(SCRIPTS, "soql_simple_salesforce.py"),
                                                    url, token, version, SOQL])),
        ]
        results = interleave(runs, clients)
    finally:
        server.stop()
    for name, rs in results.items():
        for r in rs:
            if "error" not in r and r["n"] != n:
                raise RuntimeError(f"{name} read {r['n']} records, expected {n}")
    return summarize(results)


def bulk_clients(url, token, version, rows, csv_file, poll_ms, tmp):
    bulk_ingest = os.path.join(BIN, "bulk-ingest")
    return [
        ("tributary", lambda: run_json([bulk_ingest, "--url", url, "--token", token,
                                        "--api-version", version, "--rows", str(rows),
                                        "--poll-ms", str(max(1, poll_ms))])),
        ("jsforce", lambda: run_json(["node", os.path.join(SCRIPTS, "bulk_jsforce.cjs"), url, token,
                                      version, "Account", csv_file, str(rows), str(max(1, poll_ms))])),
        ("simple-salesforce", lambda: run_json([VENV_PY, "-B", os.path.join(SCRIPTS, "bulk_simple_salesforce.py"),
                                                url, token, version, "Account", csv_file, str(rows),
                                                str(poll_ms / 1000.0), os.path.join(tmp, "results.csv")])),
    ]


def write_csv(rows, tmp):
    path = os.path.join(tmp, f"accounts-{rows}.csv")
    subprocess.run([os.path.join(BIN, "bulk-ingest"), "--write-csv", path, "--rows", str(rows)],
                   check=True)
    return path


def case_bulk_standin(sizes, runs, tmp):
    out = {}
    server, info = page_server(0)
    url, token, version = info["base_url"], info["access_token"], info["api_version"]
    try:
        for rows in sizes:
            log(f"Bulk API 2.0 ingest, stand-in server: {rows} rows")
            csv_file = write_csv(rows, tmp)
            out[rows] = summarize(interleave(runs, bulk_clients(url, token, version, rows, csv_file, 0, tmp)))
            os.remove(csv_file)
    finally:
        server.stop()
    return out


def case_bulk_emulator(sizes, runs, tmp):
    out = {}
    sandbox = os.path.join(BIN, "tributary-sandbox")
    if not os.path.exists(sandbox):
        log("tributary-sandbox is not built; skipping the emulator end-to-end figures")
        return out
    for rows in sizes:
        log(f"Bulk API 2.0 ingest, emulator end to end: {rows} rows")
        server = Server([sandbox, "--salesforce"], lambda line: line == "READY")
        try:
            info = next(json.loads(l) for l in server.lines if l.startswith("{")
                        and json.loads(l).get("system") == "salesforce")
            csv_file = write_csv(rows, tmp)
            out[rows] = summarize(interleave(runs, bulk_clients(
                info["base_url"], info["access_token"], info["api_version"], rows, csv_file, 100, tmp)))
            os.remove(csv_file)
        finally:
            server.stop()
    return out


def case_odata(rows, runs, tmp):
    log(f"OData: {rows} rows through @odata.nextLink, CAP live")
    odata_read = os.path.join(BIN, "odata-read")
    env = dict(os.environ, ROWS=str(rows), PORT="0")
    started = time.time()
    cap = Server(["node", "server.js"], lambda line: line.startswith("ready "), cwd=ODATA_DIR, env=env)
    log(f"  CAP up and seeded in {time.time() - started:.1f} s")
    cap_url = cap.lines[-1].split()[1]
    service = f"{cap_url}/odata/v4/bench"
    pages_dir = os.path.join(tmp, "odata-pages")
    try:
        live = summarize(interleave(runs, [
            ("tributary", lambda: run_json([odata_read, "--service", service, "--mode", "typed"])),
            ("raw", lambda: run_json([odata_read, "--service", service, "--mode", "raw"])),
        ]))
        subprocess.run([odata_read, "--service", service, "--capture", pages_dir], check=True,
                       stderr=subprocess.DEVNULL)
    finally:
        cap.stop()
    log(f"OData: {rows} rows, the captured pages served by page-server")
    server, info = page_server(0, pages_dir)
    service = f"{info['base_url']}/odata/v4/bench"
    try:
        captured = summarize(interleave(runs, [
            ("tributary", lambda: run_json([odata_read, "--service", service, "--mode", "typed"])),
            ("raw", lambda: run_json([odata_read, "--service", service, "--mode", "raw"])),
        ]))
    finally:
        server.stop()
    pages = info.get("odata_pages", 0)
    shutil.rmtree(pages_dir, ignore_errors=True)
    for table in (live, captured):
        for name, s in table.items():
            if "error" not in s and s["n"] != rows:
                raise RuntimeError(f"OData {name} read {s['n']} rows, expected {rows}")
    return {"live": live, "captured": captured, "pages": pages}


MAPPING_BENCHES = ("baseline_serde_json", "flows_path", "paytrace_spec_direct")


def case_mapping(records, quick):
    log(f"Mapping path (criterion): {records} PayTrace export records")
    args = ["cargo", "bench", "-p", "tributary-bench", "--bench", "mapping_path", "--"]
    if quick:
        args += ["--sample-size", "10", "--warm-up-time", "1", "--measurement-time", "2"]
    else:
        args += ["--sample-size", "10", "--warm-up-time", "3", "--measurement-time", "20"]
    env = dict(os.environ, TRIBUTARY_BENCH_MAPPING_RECORDS=str(records), CARGO_TARGET_DIR=TARGET)
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"cargo bench failed:\n{proc.stderr[-3000:]}")
    out = {}
    for name in MAPPING_BENCHES:
        path = os.path.join(TARGET, "criterion", "mapping_path", name, "new", "estimates.json")
        with open(path) as f:
            est = json.load(f)
        out[name] = est["median"]["point_estimate"] / 1e9  # seconds per iteration
    return out


def idle_rss():
    """Peak RSS of each runtime with its client loaded and nothing done, in MiB."""
    rust = run_json([os.path.join(BIN, "soql-read"), "--url", "http://127.0.0.1:9", "--token", "x",
                     "--mode", "idle"])["peak_rss_kib"]
    node = sh(["node", "-e", "require(process.argv[1]); console.log(process.resourceUsage().maxRSS)",
               os.path.join(HERE, "peers", "node_modules", "jsforce")])
    py = sh([VENV_PY, "-c", "import resource, simple_salesforce; "
             "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"])
    as_mib = lambda kib: float(kib) / 1024 if str(kib).strip().isdigit() else float("nan")
    return {"tributary": as_mib(rust), "jsforce": as_mib(node), "simple-salesforce": as_mib(py)}


# ---------------------------------------------------------------------------------------------
# Machine and versions


def sh(cmd, cwd=None):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def package_version(path):
    try:
        with open(path) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def machine():
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_kib = int(line.split()[1])
    except OSError:
        pass
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "mem_gib": mem_kib / 1024 / 1024,
        "cpu": cpu,
        "kernel": platform.release(),
        "load": os.getloadavg(),
    }


def versions():
    return {
        "rustc": sh(["rustc", "-V"]),
        "node": sh(["node", "-v"]),
        "python": sh([VENV_PY, "-c", "import platform; print(platform.python_version())"]),
        "jsforce": package_version(os.path.join(HERE, "peers", "node_modules", "jsforce", "package.json")),
        "simple-salesforce": sh([VENV_PY, "-c", "import importlib.metadata as m; print(m.version('simple-salesforce'))"]),
        "requests": sh([VENV_PY, "-c", "import importlib.metadata as m; print(m.version('requests'))"]),
        "cds": package_version(os.path.join(ODATA_DIR, "node_modules", "@sap", "cds", "package.json")),
        "cap-js/sqlite": package_version(os.path.join(ODATA_DIR, "node_modules", "@cap-js", "sqlite", "package.json")),
    }


# ---------------------------------------------------------------------------------------------
# RESULTS.md


def fmt_int(x):
    return f"{x:,.0f}".replace(",", " ")


def fmt_ratio(x):
    return f"{x:.3f}×" if x < 0.095 else f"{x:.2f}×"


def table(summary, order, base="tributary", n_label="records"):
    """Rows: client, median s, per s, peak RSS, Tributary ÷ client (throughput and RSS)."""
    lines = [
        f"| client | {n_label} | runs | median s | {n_label}/s | peak RSS | Tributary {n_label}/s ÷ this | Tributary RSS ÷ this |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    t = summary[base]
    for name in order:
        if name not in summary:
            continue
        s = summary[name]
        if "error" in s:
            lines.append(f"| {LABELS.get(name, name)} | — | — | — | failed: {s['error']} | — | — | — |")
            continue
        speed = "—" if name == base else fmt_ratio(t["per_sec"] / s["per_sec"])
        rss = "—" if name == base else fmt_ratio(t["rss_mib"] / s["rss_mib"])
        lines.append(f"| {LABELS.get(name, name)} | {fmt_int(s['n'])} | {s['runs']} | {s['seconds']:.3f} | "
                     f"{fmt_int(s['per_sec'])} | {s['rss_mib']:.1f} MiB | {speed} | {rss} |")
    return "\n".join(lines)


LABELS = {
    "tributary": "**Tributary** (typed struct)",
    "tributary-sobject": "Tributary (`SObject` map)",
    "raw": "baseline: reqwest + `serde_json::Value`",
    "jsforce": "jsforce `autoFetch`",
    "simple-salesforce": "simple-salesforce `query_all_iter`",
}

BULK_LABELS = {
    "tributary": "**Tributary** `bulk().ingest()`",
    "jsforce": "jsforce `bulk2.loadAndWaitForResults`",
    "simple-salesforce": "simple-salesforce `bulk2.<obj>.insert` + `get_successful_records`",
}


def bulk_table(by_size):
    sizes = sorted(by_size)
    lines = [
        "| client | rows | runs | median s | rows/s | peak RSS | Tributary rows/s ÷ this | Tributary RSS ÷ this |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in sizes:
        summary = by_size[rows]
        t = summary["tributary"]
        for name in ("tributary", "jsforce", "simple-salesforce"):
            if name not in summary:
                continue
            s = summary[name]
            if "error" in s:
                lines.append(f"| {BULK_LABELS[name]} | {fmt_int(rows)} | — | — | failed: {s['error']} | — | — | — |")
                continue
            speed = "—" if name == "tributary" else fmt_ratio(t["per_sec"] / s["per_sec"])
            rss = "—" if name == "tributary" else fmt_ratio(t["rss_mib"] / s["rss_mib"])
            lines.append(f"| {BULK_LABELS[name]} | {fmt_int(rows)} | {s['runs']} | {s['seconds']:.2f} | "
                         f"{fmt_int(s['per_sec'])} | {s['rss_mib']:.1f} MiB | {speed} | {rss} |")
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        lines.append("")
        lines.append(f"Peak RSS at {fmt_int(big)} rows ÷ at {fmt_int(small)} rows "
                     f"(1.00× = memory does not grow with N):")
        lines.append("")
        lines.append("| client | growth | grows with N? |")
        lines.append("|---|---:|---|")
        for name in ("tributary", "jsforce", "simple-salesforce"):
            if name in by_size[small] and name in by_size[big]:
                if "error" in by_size[small][name] or "error" in by_size[big][name]:
                    lines.append(f"| {BULK_LABELS[name]} | — | failed at one size (see above) |")
                    continue
                g = by_size[big][name]["rss_mib"] / by_size[small][name]["rss_mib"]
                lines.append(f"| {BULK_LABELS[name]} | {fmt_ratio(g)} | {'yes' if g > 1.5 else 'no'} |")
    return "\n".join(lines)


def kept_sections(path):
    """The `## ` sections of the current RESULTS.md that this driver did not write."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return []
    parts = text.split("\n## ")
    return ["## " + p.rstrip() for p in parts[1:] if not ("## " + p).startswith(GENERATED_PREFIX)]


def write_results(path, ctx):
    m, v, r = ctx["machine"], ctx["versions"], ctx["results"]
    out = []
    out.append("# Benchmark results\n")
    out.append(
        f"The first sections are written by `bench/run.sh{' --quick' if ctx['quick'] else ''}` "
        f"(source: `bench/`, how to run and what each figure means: `bench/README.md`); the "
        "sections after them (`paytrace-client` export decode, `salesforce-client` Bulk API 2.0 ingest) "
        "were measured earlier with each crate's own `cargo bench`, on the same kind of machine (2 cores, "
        "24 GiB, shared, load average ≈ 5.5 while measured unless the section says otherwise; rustc "
        "1.95.0; Criterion 0.8 with 20 samples per benchmark, median of the samples), and say their "
        "own date and command.\n")
    out.append(f"## Side by side: Tributary, its peers and raw baselines\n")
    out.append(f"Date: {ctx['date']}. Mode: {'`--quick` (smaller sizes, fewer runs)' if ctx['quick'] else 'full'}. "
               f"Wall time of the run: {ctx['wall']:.0f} s.\n")
    out.append(f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']:.0f} GiB, Linux {m['kernel']}; "
               f"load average at start {m['load'][0]:.2f} / {m['load'][1]:.2f} / {m['load'][2]:.2f} "
               f"(1 / 5 / 15 min), at end {ctx['load_end'][0]:.2f}. Clients and servers share these cores "
               "with whatever else runs, so compare rows of one run (the ratios), not absolute figures "
               "across runs.\n")
    out.append(f"Versions: {v['rustc']}; Node {v['node']}, jsforce {v['jsforce']}; Python {v['python']}, "
               f"simple-salesforce {v['simple-salesforce']} (requests {v['requests']}); "
               f"@sap/cds {v['cds']} with @cap-js/sqlite {v['cap-js/sqlite']}.\n")
    out.append("Method: every measured run is a separate process on 127.0.0.1 that does the work once and "
               "prints its wall time and its own peak resident set (Rust: `VmHWM` of /proc/self/status; "
               "Python: `getrusage(RUSAGE_SELF).ru_maxrss`; Node: `process.resourceUsage().maxRSS`). "
               "Times start after the process and its client object are set up and end when the last "
               "record has been handed to the caller. Each figure is the **median of the runs** (the "
               "runs of a case alternate between the clients); rows/s is N ÷ median seconds. Ratios are "
               "Tributary ÷ the other: above 1.00× Tributary is faster (rows/s) or uses more memory (RSS).\n")
    idle = ctx.get("idle")
    if idle:
        out.append(f"Peak RSS at rest (runtime and client library loaded, nothing done), the floor under "
                   f"each memory figure: Tributary binary {idle['tributary']:.1f} MiB, Node + jsforce "
                   f"{idle['jsforce']:.1f} MiB, Python + simple-salesforce {idle['simple-salesforce']:.1f} MiB.\n")

    soql = r.get("soql")
    if soql:
        n = soql["tributary"]["n"]
        out.append(f"### SOQL query, {fmt_int(n)} records through `nextRecordsUrl`\n")
        out.append(
            f"Server: `page-server` serving pre-built pages — {fmt_int(n)} Account records (17 fields: "
            "text, picklists, phone, URL, a two-line address, currency, number, a long text on every "
            "third record and null on the others, two datetimes; ≈ 0.8 kB of JSON each) in pages of "
            "2,000 with `nextRecordsUrl` `/services/data/v67.0/query/01g…-2000`, serialised once at "
            "start-up. Every client gets the same bytes and a page costs the server a memory copy, "
            "because the emulator's SOQL engine would dominate the figure. simple-salesforce builds "
            "`https://` URLs only: a requests transport adapter mounted for `https://127.0.0.1` sends "
            "them as plain HTTP (no TLS for any client).\n")
        out.append(table(soql, ["tributary", "tributary-sobject", "raw", "jsforce", "simple-salesforce"]))
        out.append("")
        out.append("What each does: Tributary `client.query(soql).stream::<Account>()` decodes each record "
                   "into a struct (`Decimal` money, `chrono` datetimes), or `stream::<SObject>()` into a map "
                   "of JSON values; the baseline is reqwest GET + `serde_json::from_slice::<Value>` per page "
                   "and the next link, with no client logic; jsforce `conn.query(soql).run({autoFetch: true, "
                   "maxFetch})` counted from the `record` event (jsforce also keeps every record it fetched "
                   "in `query.records`, hence its memory); simple-salesforce `sf.query_all_iter(soql)` "
                   "(lazy, one page of dicts at a time). Nobody keeps the records.\n")

    bulk = r.get("bulk_standin")
    if bulk:
        out.append("### Bulk API 2.0 ingest: client cost (stand-in server)\n")
        out.append(
            "Server: the Bulk API 2.0 stand-in of `page-server`: create job (`Open`), `PUT …/batches` "
            "(rows counted, the CSV kept to echo), `PATCH` `UploadComplete`, job info `JobComplete` at "
            "the first poll, `successfulResults/` streamed back (every row with `sf__Id`, "
            "`sf__Created`), empty `failedResults/` and `unprocessedrecords/`. No validation and no "
            "processing time, so the figure is what each client costs; the emulator (next table) "
            "would dominate it. Every client inserts N Account rows (9 columns, ≈ 92 bytes of CSV, "
            "every 7th name quoted with a comma and quotes) and reads the successful results back. "
            "Tributary generates the rows as structs inside the measured time and writes the CSV "
            "itself while uploading; the peers are given a CSV file written before their measured "
            "time (simple-salesforce's `bulk2` reads files; jsforce gets it as a Readable stream). "
            "Polling: simple-salesforce `wait=0` (its default sleeps 5 s before the first poll), jsforce "
            "and Tributary 1 ms (unused: the job is complete at the first poll).\n")
        out.append(bulk_table(bulk))
        out.append("")
        out.append("What each holds: Tributary streams the CSV up (one record and one 64 KiB chunk at a "
                   "time) and the results down; simple-salesforce reads the whole file into memory as one "
                   "job's CSV text (up to 100 MB per job) before uploading, and streams the results to a "
                   "file that is then read with `csv.reader`; jsforce streams the upload, but "
                   "`loadAndWaitForResults` returns every result row as an object in an array.\n")

    emu = r.get("bulk_emulator")
    if emu:
        out.append("### Bulk API 2.0 ingest: end to end against the emulator\n")
        out.append(
            "Server: `tributary-sandbox --salesforce` (the Salesforce emulator in its own process: it "
            "validates every row against the Account schema, stores it, processes the job in steps "
            "and builds the result files). The same work as above; every client polls every 100 ms "
            "(simple-salesforce: `wait=0.1`). The emulator's processing and the poll interval take "
            "much of the time, so the clients' differences shrink here; the memory column is still "
            "each client's own.\n")
        out.append(bulk_table(emu))
        out.append("")

    od = r.get("odata")
    if od:
        n = od["live"]["tributary"]["n"]
        out.append(f"### OData v4 read, {fmt_int(n)} rows through `@odata.nextLink`\n")
        out.append(
            f"Server: a SAP CAP service (`bench/odata/`, @sap/cds {v['cds']}, in-memory SQLite) with "
            f"{fmt_int(n)} generated `Payments` (12 columns: integer key, text, e-mail, `Decimal(12,2)`, "
            "currency, status, method, last four, invoice, timestamp, nullable date) and pages of "
            f"1,000 (`cds.query.limit`), so a full read follows {od['pages'] - 1} `$skiptoken` next links. "
            "First table: CAP live — CAP's own query and serialisation take most of the time, so "
            "the clients are measured against it as a real server would make them wait. Second table: "
            f"the same {od['pages']} pages captured from CAP once and served by `page-server` at the "
            "same paths, which leaves the client cost.\n")
        out.append("CAP live:\n")
        out.append(table(od["live"], ["tributary", "raw"], n_label="rows"))
        out.append("")
        out.append("Pre-captured pages:\n")
        out.append(table(od["captured"], ["tributary", "raw"], n_label="rows"))
        out.append("")
        out.append("What each does: Tributary `client.odata().entity_set::<Payment>(\"Payments\").query()."
                   "stream()` (generic OData core of `dynamics365-client`: next link resolved against "
                   "`@odata.context`, origin and repeat checks, each entity decoded into a struct with "
                   "`Edm.Decimal` as `Decimal`); the baseline: reqwest GET, `serde_json::from_slice::<Value>` "
                   "per page, the next link joined to the page URL. No other OData client is installed: "
                   "the peers here are Salesforce clients.\n")

    mp = r.get("mapping")
    if mp:
        n = ctx["mapping_records"]
        base = mp["baseline_serde_json"]
        out.append(f"### Mapping path: PayTrace export record → canonical payment → `Payment__c` JSON\n")
        out.append(
            f"Criterion (`bench/benches/mapping_path.rs`), one iteration = one PayTrace export answer of "
            f"{fmt_int(n)} records (sales, refunds, authorizations, declines; four card brands; "
            "addresses, custom fields) turned into {n} JSON documents; median of 10 samples. No "
            "server: this is CPU only.\n".replace("{n}", fmt_int(n)))
        out.append("| benchmark | what it does | median per answer | records/s | ÷ baseline time |")
        out.append("|---|---|---:|---:|---:|")
        what = {
            "baseline_serde_json": "`serde_json::from_slice::<Value>` of the body, `to_vec` of each record's `Value`",
            "flows_path": "what `flows` does: `exports::parse_export`, `paytrace_client::canonical::payment`, "
                          "`salesforce_client::canonical::payment_to_salesforce` (its spec parsed once per process), `to_vec`",
            "paytrace_spec_direct": "`parse_export`, then the `paytrace_to_salesforce` spec on each record's JSON "
                                    "(settlement reconciliation's path, no canonical payment)",
        }
        for name in MAPPING_BENCHES:
            secs = mp[name]
            out.append(f"| {name} | {what[name]} | {secs * 1000:.1f} ms | {fmt_int(n / secs)} | {fmt_ratio(secs / base)} |")
        out.append("")
        extra = (mp["flows_path"] - base) / n * 1e6
        out.append(f"Reading: the flows' typed path (typed PayTrace record, canonical payment, spec) costs "
                   f"≈ {extra:.1f} µs per record more than decoding and encoding untyped JSON.\n")

    body = "\n".join(out).rstrip() + "\n"
    kept = kept_sections(path)
    if kept:
        body += "\n" + "\n\n".join(kept) + "\n"
    with open(path, "w") as f:
        f.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs (under two minutes)")
    ap.add_argument("--runs", type=int, help="runs per client and case (default 5, --quick 3)")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--only", help="comma-separated cases: soql,bulk,emulator,odata,mapping")
    args = ap.parse_args()

    quick = args.quick
    runs = args.runs or (3 if quick else 5)
    soql_n = 20_000 if quick else 100_000
    bulk_sizes = [20_000, 100_000] if quick else [100_000, 1_000_000]
    emu_sizes = [20_000] if quick else [100_000]
    emu_runs = 1 if quick else 3
    odata_rows = 20_000 if quick else 100_000
    mapping_records = 1_000 if quick else 10_000
    only = set(args.only.split(",")) if args.only else {"soql", "bulk", "emulator", "odata", "mapping"}

    started = time.time()
    ctx = {
        "quick": quick,
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "versions": versions(),
        "results": {},
        "mapping_records": mapping_records,
    }
    log(f"load average at start: {ctx['machine']['load']}")
    ctx["idle"] = idle_rss()
    log(f"peak RSS at rest (MiB): {ctx['idle']}")
    tmp = tempfile.mkdtemp(prefix="tributary-bench-")
    try:
        cases = [
            ("soql", "soql", lambda: case_soql(soql_n, runs)),
            ("bulk", "bulk_standin", lambda: case_bulk_standin(bulk_sizes, runs, tmp)),
            ("emulator", "bulk_emulator", lambda: case_bulk_emulator(emu_sizes, emu_runs, tmp)),
            ("odata", "odata", lambda: case_odata(odata_rows, runs, tmp)),
            ("mapping", "mapping", lambda: case_mapping(mapping_records, quick)),
        ]
        for name, key, thunk in cases:
            if name in only:
                case_started = time.time()
                ctx["results"][key] = thunk()
                log(f"{name}: {time.time() - case_started:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ctx["wall"] = time.time() - started
    ctx["load_end"] = os.getloadavg()
    raw_path = os.path.join(TARGET, "tributary-bench-last-run.json")
    with open(raw_path, "w") as f:
        json.dump(ctx, f, indent=1, default=str)
    write_results(args.out, ctx)
    log(f"wrote {args.out} (raw figures: {raw_path}) in {ctx['wall']:.0f} s")


if __name__ == "__main__":
    main()
