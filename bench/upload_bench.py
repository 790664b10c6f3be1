#!/usr/bin/env python3
"""upload_bench.py — the upload benchmark (run it as bench/upload).

N concurrent uploads (default 16) of an S MiB image (default 8) to
porticod's POST /v1/portrait/upload, each a separate curl process sending
multipart/form-data from a file, against the same bytes PUT by the same
number of curl processes to nginx on loopback (dav_methods PUT, the body
written to disk like porticod writes it). Prints the throughput of each,
their ratio, and porticod's peak RSS (VmHWM from /proc/PID/status), which
is the target: under MAX_RSS_MIB (64) with 16 uploads in flight, because
an upload is streamed to disk and never held in memory.

Each porticod round uploads into a fresh group, then waits until the
simulated upstream has fetched every asset (Active), so no round pays for
the previous one's background work, and deletes the group (and the bytes).
Rounds alternate porticod / nginx; medians are reported.

Also prints the CPU time (user + system) per MiB uploaded of porticod and
of nginx (master and workers), taken over the upload phases only: less
sensitive to a loaded machine than the wall-clock throughput.

And the ceiling of the ratio for any server that must hash what it
stores, as porticod does (the content hash, API.md §4): measured here,
C = CPU per MiB of everything but nginx during the nginx rounds (the 16
curl clients, the kernel's loopback work; the machine is CPU-bound then),
N = nginx's CPU per MiB, S = SHA-256's CPU per MiB (hashlib, OpenSSL's
code, as porticod). A server doing exactly nginx's work plus the hash,
CPU-bound on the same cores, reaches (C + N) / (C + N + S) of nginx, before
paying for anything else; W, the machine's CPU per MiB for writing the
bytes back to disk and fsyncing them (measured on the bench's own disk),
lowers it to (C + N) / (C + N + S + W). On a 2-core machine whose SHA-256
runs at about nginx's own cost per MiB, those ceilings are near 0.75 and
0.7: the aim of 0.7 needs a server with no cost beyond nginx's, the hash
and the fsync.

Environment: BUILD (default build), CONCURRENCY (16), SIZE_MIB (8),
ROUNDS (7), MAX_RSS_MIB (64), MIN_RATIO (0.25: exit 1 below it, a guard
against regressions; the aim is 0.7), KEEP=1 (keep the temp dir),
PERF (default 1 when perf is installed; 0: no profile): after the
measured rounds, one more porticod round under `perf record` (cpu-clock,
DWARF stacks), not counted in the figures: its flame graph goes to
$BUILD/bench/upload-flame.svg, with the folded stacks and perf's report
by library and by symbol beside it (upload-profile.txt).
Needs: curl, nginx with the DAV module (nginx-light), python3.
Exit status 1 when peak RSS misses the target, the ratio is below
MIN_RATIO or an upload fails.
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        sys.exit("bench: %s must be an integer" % name)


CONCURRENCY = env_int("CONCURRENCY", 16)
SIZE = env_int("SIZE_MIB", 8) * 1024 * 1024
ROUNDS = env_int("ROUNDS", 7)
MAX_RSS_MIB = env_int("MAX_RSS_MIB", 64)
try:
    MIN_RATIO = float(os.environ.get("MIN_RATIO", "0.25"))
except ValueError:
    sys.exit("bench: MIN_RATIO must be a number")
AIM_RATIO = 0.7


def say(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def stop_all(procs, tmp):
    """Ends every started process (SIGTERM, then SIGKILL after 35 s) and
    removes tmp, unless KEEP=1 asks to keep it for a look."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=35)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if os.environ.get("KEEP") == "1":
        say("kept " + tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_http(url, proc, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            time.sleep(0.1)
    return False


def vm(pid, field):
    """A /proc/PID/status field in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy so far (/proc/stat: every
    column but idle and iowait, summed over all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def sha256_ms_per_mib():
    """CPU milliseconds SHA-256 takes per MiB here, in 16 KiB updates
    (porticod hashes each chunk as it arrives): hashlib is OpenSSL's code,
    the same porticod calls. Best of three, as the least disturbed."""
    chunk = os.urandom(16 * 1024)
    best = None
    for _ in range(3):
        h = hashlib.sha256()
        t0 = time.process_time()
        for _ in range(64 * 64):  # 64 MiB
            h.update(chunk)
        dt = (time.process_time() - t0) * 1000 / 64
        best = dt if best is None else min(best, dt)
    return best


def fsync_ms_per_mib(directory):
    """Machine CPU milliseconds per MiB that durability costs on this disk:
    64 MiB written in 64 KiB writes and fsync'd, less the same written and
    removed unsynced (nginx's files in this bench are removed before the
    kernel writes them back). Whole-machine busy time, so the kernel's
    writeback threads count. Best of three of each."""
    chunk = os.urandom(64 * 1024)
    path = os.path.join(directory, "fsync-probe")

    def once(sync):
        b0 = machine_busy_seconds()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for _ in range(1024):
                os.write(fd, chunk)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(path)
        return (machine_busy_seconds() - b0) * 1000 / 64

    synced = min(once(True) for _ in range(3))
    unsynced = min(once(False) for _ in range(3))
    return max(0.0, synced - unsynced)


def tree_cpu_seconds(pid):
    """CPU seconds of a process and its live children (nginx's workers)."""
    total = cpu_seconds(pid)
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        total += cpu_seconds(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return total


def png_file(path, size):
    """A real 640x480 PNG header and image data, padded with random bytes
    to size: what a client sends, CR bytes and all."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "blackbox"))
    import portico  # the test fixtures' PNG writer
    head = portico.png_bytes(640, 480)
    with open(path, "wb") as f:
        f.write(head)
        left = size - len(head)
        while left > 0:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n


class Api:
    def __init__(self, port, key):
        self.port, self.key = port, key

    def call(self, action, body):
        req = urllib.request.Request(
            "http://127.0.0.1:%d/v1/portrait/?Action=%s&Version=2024-01-01" % (self.port, action),
            data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": "Bearer " + self.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["Result"]


def run_parallel(argvs):
    """Starts every command at once; returns (seconds, [(rc, stdout)])."""
    t0 = time.monotonic()
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for a in argvs]
    outs = [p.communicate() for p in procs]
    dt = time.monotonic() - t0
    return dt, [(p.returncode, o[0].decode("utf-8", "replace")) for p, o in zip(procs, outs)]


def perf_event():
    """The event perf can sample here (kernel frames too if allowed), or
    None when perf is missing or refused."""
    if not shutil.which("perf"):
        say("no profile: perf is not installed (Debian linux-perf; tools/deps.sh)")
        return None
    for event in ("cpu-clock", "cpu-clock:u"):
        r = subprocess.run(["perf", "record", "-q", "-e", event, "-o", "/dev/null", "--", "true"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            if event.endswith(":u"):
                say("profile: user space only (kernel.perf_event_paranoid forbids kernel samples)")
            return event
    say("no profile: 'perf record' does not work here")
    return None


def profile_round(api, port, paths, pid, out_dir, tmp):
    """One porticod round under perf record, not counted; writes the flame
    graph and perf's reports into out_dir and returns the report's path."""
    event = perf_event()
    if not event:
        return None
    os.makedirs(out_dir, exist_ok=True)
    data = os.path.join(tmp, "perf.data")
    say("profile: one more porticod round under perf record (not counted)")
    perf = subprocess.Popen(["perf", "record", "-q", "-e", event, "-F", "499", "--call-graph", "dwarf,16384",
                             "-p", str(pid), "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    try:
        porticod_round(api, port, paths, ROUNDS, pid, [])
    finally:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    if not os.path.exists(data) or os.path.getsize(data) == 0:
        say("no profile: perf recorded nothing")
        return None

    def report(*sort):
        out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", ",".join(sort),
                              "-g", "none"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        return [line.rstrip(" -") for line in out.splitlines() if line.strip() and line.lstrip()[0].isdigit()]

    title = "porticod, %d concurrent %d MiB uploads (%s)" % (CONCURRENCY, SIZE >> 20, event)
    script = subprocess.Popen(["perf", "script", "-i", data], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    with open(os.path.join(out_dir, "upload-flame.svg"), "wb") as svg:
        drawn = subprocess.run([sys.executable, os.path.join(HERE, "flamegraph.py"), "--title", title, "--folded",
                                os.path.join(out_dir, "upload.folded")], stdin=script.stdout, stdout=svg)
    script.stdout.close()
    script.wait()
    if drawn.returncode != 0:
        say("the flame graph could not be drawn")
    path = os.path.join(out_dir, "upload-profile.txt")
    with open(path, "w") as f:
        f.write(title + "\n\nself time, by library:\n" + "\n".join(report("dso")) +
                "\n\nself time, by library and symbol:\n" + "\n".join(report("dso", "symbol")) + "\n")
    return path


def porticod_round(api, port, paths, rnd, pid, cpu):
    gid = api.call("CreateAssetGroup", {"Name": "bench-%d" % rnd, "GroupType": "AIGC"})["Id"]
    argvs = [["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "120",
              "-H", "Authorization: Bearer " + api.key,
              "-F", "GroupId=" + gid, "-F", "file=@%s;type=image/png" % path,
              "http://127.0.0.1:%d/v1/portrait/upload" % port] for path in paths]
    c0 = cpu_seconds(pid)
    dt, results = run_parallel(argvs)
    cpu.append(cpu_seconds(pid) - c0)
    bad = [r for r in results if r[0] != 0 or r[1].strip() != "200"]
    if bad:
        raise SystemExit("bench: %d upload(s) failed: %r" % (len(bad), bad[:3]))
    # Let the simulated upstream fetch everything before the next round.
    deadline = time.monotonic() + 120
    while True:
        res = api.call("ListAssets", {"Filter": {"GroupIds": [gid], "Statuses": ["Active"]}, "PageSize": 100})
        if res["TotalCount"] == CONCURRENCY:
            break
        if time.monotonic() > deadline:
            raise SystemExit("bench: uploads not Active after 120 s: %r" % res)
        time.sleep(0.2)
    api.call("DeleteAssetGroup", {"Id": gid})
    return dt


def nginx_round(port, paths, www, rnd, pid, cpu, busy):
    argvs = [["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "120", "-T", path,
              "http://127.0.0.1:%d/r%d_%d.png" % (port, rnd, i)] for i, path in enumerate(paths)]
    c0, b0 = tree_cpu_seconds(pid), machine_busy_seconds()
    dt, results = run_parallel(argvs)
    cpu.append(tree_cpu_seconds(pid) - c0)
    busy.append(machine_busy_seconds() - b0)
    bad = [r for r in results if r[0] != 0 or r[1].strip() not in ("201", "204")]
    if bad:
        raise SystemExit("bench: %d nginx PUT(s) failed: %r" % (len(bad), bad[:3]))
    for f in os.listdir(www):
        os.unlink(os.path.join(www, f))
    return dt


NGINX_CONF = """
daemon off;
master_process on;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 16m;
        location / {{
            root {d}/www;
            dav_methods PUT;
            create_full_put_path on;
        }}
    }}
}}
"""


def main():
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(os.getcwd(), build) if os.path.exists(os.path.join(build, "porticod")) \
            else os.path.join(ROOT, build)
    porticod = os.path.join(build, "porticod")
    if not os.access(porticod, os.X_OK):
        sys.exit("bench: %s not found; run 'make' first (or set BUILD)" % porticod)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    for tool in ("curl", nginx):
        if not shutil.which(tool):
            sys.exit("bench: missing %s (Debian curl, nginx-light; sh tools/deps.sh as root)" % tool)
    v = subprocess.run([nginx, "-V"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode()
    if "http_dav_module" not in v:
        sys.exit("bench: this nginx has no DAV module (PUT); install nginx-light")

    tmp = tempfile.mkdtemp(prefix="portico-bench-upload.")
    procs = []
    status = 0
    try:
        # One file per concurrent upload: the same bytes into one group are
        # one asset (content hash, API.md §4), and each upload must be one.
        paths = [os.path.join(tmp, "image-%d.png" % i) for i in range(CONCURRENCY)]
        for path in paths:
            png_file(path, SIZE)
        data = os.path.join(tmp, "data")
        cp = subprocess.run([porticod, "keys", "create", "--data-dir", data, "--customer", "bench"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if cp.returncode != 0:
            sys.exit("bench: keys create failed: " + cp.stderr.decode())
        key = cp.stdout.decode().strip()
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
        env["PORTICO_SIM_PROCESSING_MS"] = "300"
        env["PORTICO_URL_ALLOW"] = "127.0.0.0/8"  # loopback media (outbound URL policy)
        log = open(os.path.join(tmp, "porticod.log"), "wb")
        p = subprocess.Popen([porticod, "--listen", "127.0.0.1:%d" % port, "--data-dir", data, "--quiet",
                              "--admin-listen", "127.0.0.1:%d" % free_port()],
                             stdout=log, stderr=subprocess.STDOUT, env=env)
        procs.append(p)
        if not wait_http("http://127.0.0.1:%d/healthz" % port, p):
            sys.exit("bench: porticod did not start (see %s/porticod.log)" % tmp)

        nd = os.path.join(tmp, "nginx")
        www = os.path.join(nd, "www")
        os.makedirs(www)
        # Run as root, nginx's workers are an unprivileged user: let them
        # through the private temp dir to their own directories.
        os.chmod(tmp, 0o711)
        os.chmod(nd, 0o777)
        os.chmod(www, 0o777)
        nport = free_port()
        conf = os.path.join(nd, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=nd, port=nport))
        n = subprocess.Popen([nginx, "-p", nd, "-e", os.path.join(nd, "error.log"), "-c", conf],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        procs.append(n)
        if not wait_http("http://127.0.0.1:%d/" % nport, n):
            sys.exit("bench: nginx did not start (see %s/error.log)" % nd)

        api = Api(port, key)
        base_rss = vm(p.pid, "VmRSS")
        # VmHWM is the authoritative peak; sampling VmRSS during the
        # uploads only shows when it is reached.
        peak_sampled = [0]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                try:
                    peak_sampled[0] = max(peak_sampled[0], vm(p.pid, "VmRSS"))
                except OSError:
                    return
                time.sleep(0.01)

        threading.Thread(target=sample, daemon=True).start()
        say("%d concurrent uploads of %d MiB, %d round(s); porticod on :%d, nginx on :%d"
            % (CONCURRENCY, SIZE >> 20, ROUNDS, port, nport))
        pt, nt, cpu, ncpu, nbusy = [], [], [], [], []
        for r in range(ROUNDS):
            pt.append(porticod_round(api, port, paths, r, p.pid, cpu))
            nt.append(nginx_round(nport, paths, www, r, n.pid, ncpu, nbusy))
            say("round %d: porticod %.2f s, nginx %.2f s" % (r + 1, pt[-1], nt[-1]))
        sampling.set()
        hwm = vm(p.pid, "VmHWM")
        profile = None
        if os.environ.get("PERF", "1") == "1":
            profile = profile_round(api, port, paths, p.pid, os.path.join(build, "bench"), tmp)

        mib = CONCURRENCY * SIZE / (1 << 20)
        p_tp = mib / statistics.median(pt)
        n_tp = mib / statistics.median(nt)
        print("upload: %d x %d MiB concurrent, median of %d round(s)" % (CONCURRENCY, SIZE >> 20, ROUNDS))
        print("  porticod  %8.1f MiB/s  (multipart -> staging file -> fsync'd object -> upstream CreateAsset)"
              % p_tp)
        print("  nginx     %8.1f MiB/s  (PUT -> file, dav_methods PUT)" % n_tp)
        ratio = p_tp / n_tp
        print("  ratio     %8.2f  (porticod / nginx; per round: %s)"
              % (ratio, " ".join("%.2f" % (b / a) for a, b in zip(pt, nt))))
        n_ms = statistics.median(ncpu) * 1000 / mib
        print("  CPU per MiB (user + system during the uploads, median of the rounds): porticod %.2f ms,"
              " nginx %.2f ms" % (statistics.median(cpu) * 1000 / mib, n_ms))
        c_ms = max(0.0, statistics.median(b - c for b, c in zip(nbusy, ncpu)) * 1000 / mib)
        s_ms = sha256_ms_per_mib()
        w_ms = fsync_ms_per_mib(tmp)
        print("  ceiling for a server that does exactly nginx's work plus hashing every byte once"
              " (SHA-256: %.2f ms CPU/MiB here; clients and kernel beside nginx: %.2f ms/MiB):"
              " %.2f of nginx; with fsync'd objects (%.2f ms CPU/MiB more on this disk): %.2f"
              % (s_ms, c_ms, (c_ms + n_ms) / (c_ms + n_ms + s_ms), w_ms,
                 (c_ms + n_ms) / (c_ms + n_ms + s_ms + w_ms)))
        verdict = "below the minimum" if ratio < MIN_RATIO else "meets the aim" if ratio >= AIM_RATIO \
            else "meets the minimum, short of the aim"
        print("  target: >= %.2f (aim %.2f): %s" % (MIN_RATIO, AIM_RATIO, verdict))
        if ratio < MIN_RATIO:
            status = 1
        print("  porticod peak RSS %.1f MiB (VmHWM; idle %.1f MiB, sampled peak during uploads %.1f MiB);"
              " target < %d MiB: %s" % (hwm / 1024, base_rss / 1024, peak_sampled[0] / 1024, MAX_RSS_MIB,
                                        "met" if hwm < MAX_RSS_MIB * 1024 else "MISSED"))
        if profile:
            with open(profile) as f:
                lines = f.read().split("\n\n")[1].splitlines()
            print("  porticod profile (perf, self time by library; all of it: %s):" % profile)
            for line in lines[1:9]:
                print("    " + line.strip())
            print("  flame graph: %s" % os.path.join(os.path.dirname(profile), "upload-flame.svg"))
        if hwm >= MAX_RSS_MIB * 1024:
            status = 1
    finally:
        stop_all(procs, tmp)
    return status


if __name__ == "__main__":
    sys.exit(main())
