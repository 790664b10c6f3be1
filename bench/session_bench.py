#!/usr/bin/env python3
"""session_bench.py — upload sessions (API.md §4b), run as bench/session.

A VIDEO_MB (default 200) MB MP4 through an upload session — CreateUploadSession,
curl PUT of the file to UploadURL with exactly its Headers, CompleteUpload
(judged by ranged reads) — on the fs backend (porticod streams the PUT to
disk, hashing it) and on S3 (the PUT goes to s3rver on loopback; porticod
only judges), against nginx PUT (dav_methods, client_body_temp in a temp
dir) of the same bytes. Prints throughput, the ratio to nginx, and
porticod's peak RSS (VmHWM, reset between files through
/proc/PID/clear_refs) for a SMALL_MB file and the VIDEO_MB one: it must
stay flat, because no byte of a session is held in memory.

The video is a short real MP4 (ffmpeg, moov first) followed by a top-level
`free` box of random bytes up to the size: valid ISO BMFF that the judge
accepts while reading only its head.

Environment: BUILD (build), VIDEO_MB (200), SMALL_MB (20), ROUNDS (2),
SHA256=1 (send Sha256: fs checks the hash it computed while streaming,
S3 re-reads the object), KEEP=1. Needs curl, ffmpeg, nginx-light, npm.
Exit status 1 when the RSS grows by more than FLAT_MIB (16) from the
small file to the large one, or a step fails.
"""
import hashlib
import json
import os
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import upload_bench as ub  # noqa: E402  (helpers: free_port, wait_http, vm, Api, NGINX_CONF)

VIDEO = ub.env_int("VIDEO_MB", 200) * 1000 * 1000
SMALL = ub.env_int("SMALL_MB", 20) * 1000 * 1000
ROUNDS = ub.env_int("ROUNDS", 2)
FLAT_MIB = ub.env_int("FLAT_MIB", 16)
SHA = os.environ.get("SHA256") == "1"


def say(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def make_video(path, size, tmp):
    small = os.path.join(tmp, "small.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=duration=10:size=1280x720:rate=30", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-movflags", "+faststart", small], check=True)
    with open(small, "rb") as f:
        head = f.read()
    pad = size - len(head) - 8
    with open(path, "wb") as f:
        f.write(head)
        f.write(struct.pack(">I", pad + 8) + b"free")
        while pad > 0:
            n = min(pad, 1 << 20)
            f.write(os.urandom(n))
            pad -= n


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def session_round(api, gid, path, size, digest):
    t0 = time.monotonic()
    body = {"GroupId": gid, "AssetType": "Video", "ContentType": "video/mp4", "ContentLength": size}
    if digest:
        body["Sha256"] = digest
    s = api.call("CreateUploadSession", body)
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "300", "-T", path, "-X", "PUT",
            "-H", "Expect:"]
    for k, v in s["Headers"].items():
        argv += ["-H", "%s: %s" % (k, v)]
    cp = subprocess.run(argv + [s["UploadURL"]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if cp.returncode != 0 or cp.stdout.decode().strip() != "200":
        raise SystemExit("bench: PUT failed: %r" % cp.stdout[-300:])
    a = api.call("CompleteUpload", {"UploadId": s["UploadId"]})
    dt = time.monotonic() - t0
    api.call("DeleteAsset", {"Id": a["Id"]})
    return dt


def nginx_round(port, path, www, rnd):
    t0 = time.monotonic()
    cp = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "300", "-T", path,
                         "-H", "Expect:", "http://127.0.0.1:%d/r%d.mp4" % (port, rnd)],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    dt = time.monotonic() - t0
    if cp.stdout.decode().strip() not in ("201", "204"):
        raise SystemExit("bench: nginx PUT failed: %r" % cp.stdout)
    for f in os.listdir(www):
        os.unlink(os.path.join(www, f))
    return dt


def reset_peak(pid):
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def start_porticod(porticod, tmp, tag, args, env_extra):
    data = os.path.join(tmp, "data-" + tag)
    cp = subprocess.run([porticod, "keys", "create", "--data-dir", data, "--customer", "bench"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if cp.returncode != 0:
        sys.exit("bench: keys create failed: " + cp.stderr.decode())
    key = cp.stdout.decode().strip()
    port = ub.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    env["PORTICO_SIM_PROCESSING_MS"] = "300"
    env.update(env_extra)
    log = open(os.path.join(tmp, "porticod-%s.log" % tag), "wb")
    p = subprocess.Popen([porticod, "--listen", "127.0.0.1:%d" % port, "--data-dir", data, "--quiet",
                          "--admin-listen", "127.0.0.1:%d" % ub.free_port(),
                          "--body-timeout", "600"] + args, stdout=log, stderr=subprocess.STDOUT, env=env)
    if not ub.wait_http("http://127.0.0.1:%d/healthz" % port, p):
        sys.exit("bench: porticod did not start (see %s)" % log.name)
    return p, ub.Api(port, key)


def main():
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    porticod = os.path.join(build, "porticod")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    for tool in ("curl", "ffmpeg", nginx):
        if not shutil.which(tool):
            sys.exit("bench: missing %s (sh tools/deps.sh as root)" % tool)
    tmp = tempfile.mkdtemp(prefix="portico-bench-session.")
    procs, status = [], 0
    try:
        big, small = os.path.join(tmp, "big.mp4"), os.path.join(tmp, "small.mp4.pad")
        make_video(big, VIDEO, tmp)
        make_video(small, SMALL, tmp)
        digests = {big: sha256_file(big) if SHA else None, small: sha256_file(small) if SHA else None}

        nd = os.path.join(tmp, "nginx")
        www = os.path.join(nd, "www")
        os.makedirs(www)
        os.chmod(tmp, 0o711)
        os.chmod(nd, 0o777)
        os.chmod(www, 0o777)
        nport = ub.free_port()
        conf = os.path.join(nd, "nginx.conf")
        with open(conf, "w") as f:
            f.write(ub.NGINX_CONF.format(d=nd, port=nport).replace("client_max_body_size 16m",
                                                                    "client_max_body_size 512m"))
        n = subprocess.Popen([nginx, "-p", nd, "-e", os.path.join(nd, "error.log"), "-c", conf],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        procs.append(n)
        if not ub.wait_http("http://127.0.0.1:%d/" % nport, n):
            sys.exit("bench: nginx did not start")

        sys.path.insert(0, os.path.join(ROOT, "tests", "blackbox"))
        import test_blob_s3 as s3h  # s3rver from tests/s3 (npm ci on first use)
        s3bin = s3h._s3rver_bin()
        s3port = ub.free_port()
        s3data = os.path.join(tmp, "s3")
        os.makedirs(s3data)
        s3 = subprocess.Popen([s3bin, "-d", s3data, "-a", "127.0.0.1", "-p", str(s3port), "--configure-bucket",
                               s3h.BUCKET, "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(s3)
        if not ub.wait_http("http://127.0.0.1:%d/" % s3port, s3, 30):
            sys.exit("bench: s3rver did not start")

        backends = [
            ("fs", [], {}),
            ("s3", ["--blob", "s3://%s?endpoint=http://127.0.0.1:%d&region=%s" % (s3h.BUCKET, s3port, s3h.REGION)],
             {"PORTICO_S3_ACCESS_KEY_ID": s3h.AK, "PORTICO_S3_SECRET_ACCESS_KEY": s3h.SK}),
        ]
        nt = [nginx_round(nport, big, www, r) for r in range(ROUNDS)]
        n_tp = VIDEO / 1e6 / statistics.median(nt)
        print("upload session: one %d MB MP4, median of %d round(s); nginx PUT %.1f MB/s"
              % (VIDEO // 1000000, ROUNDS, n_tp))
        for tag, args, env in backends:
            p, api = start_porticod(porticod, tmp, tag, args, env)
            procs.append(p)
            gid = api.call("CreateAssetGroup", {"Name": "bench", "GroupType": "AIGC"})["Id"]
            session_round(api, gid, small, SMALL, digests[small])  # warm up
            reset_peak(p.pid)
            session_round(api, gid, small, SMALL, digests[small])
            rss_small = ub.vm(p.pid, "VmHWM")
            reset_peak(p.pid)
            pt = [session_round(api, gid, big, VIDEO, digests[big]) for _ in range(ROUNDS)]
            rss_big = ub.vm(p.pid, "VmHWM")
            p_tp = VIDEO / 1e6 / statistics.median(pt)
            flat = rss_big - rss_small <= FLAT_MIB * 1024
            print("  %-3s porticod session %7.1f MB/s  ratio to nginx %.2f  (create + PUT%s + CompleteUpload)"
                  % (tag, p_tp, p_tp / n_tp, " via porticod" if tag == "fs" else " to s3rver"))
            print("      peak RSS %.1f MiB with %d MB, %.1f MiB with %d MB: %s"
                  % (rss_small / 1024, SMALL // 1000000, rss_big / 1024, VIDEO // 1000000,
                     "flat" if flat else "GROWS"))
            if not flat:
                status = 1
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=35)
    finally:
        ub.stop_all(procs, tmp)
    return status


if __name__ == "__main__":
    sys.exit(main())
