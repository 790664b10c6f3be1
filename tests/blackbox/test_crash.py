"""test_crash.py — issue 8, point 4: crash safety.

A standalone portico-sim is the upstream (it outlives the gateway, as the
real one would). Several clients create groups, assets by URL and uploads
of about a MiB at once while the gateway is SIGKILLed at a random moment,
then restarted on the same data dir; several rounds. The simulator adds
latency (and some dropped connections) to widen the window between
reservation and confirmation. After
every restart (start-up reconciliation runs before the gateway answers):

- every acknowledged group and asset is there and readable;
- the upstream holds exactly the recorded objects (no upstream object
  without a record: what a killed request made was adopted or removed);
- the blob store holds exactly the bytes the upload records name (no
  orphan bytes), no staging files, and every upload's media URL serves
  its bytes (no record pointing at missing bytes).
"""
import json
import os
import random
import threading
import time
import urllib.parse

import portico
from portico import Gateway, Sim, http_request

ROUNDS = 5
WORKERS = 8
PAD = 1024 * 1024  # upload size: long enough to be killed mid-body


def say(msg):
    print("  crash: " + msg, flush=True)


def form(fields, file):
    b = ("----portico" + os.urandom(8).hex()).encode()
    out = []
    for name, value in fields:
        out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
                   + value.encode() + b"\r\n")
    out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
               b"Content-Type: image/png\r\n\r\n" + file + b"\r\n")
    out.append(b"--" + b + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + b.decode()


def action(gw, key, name, body, timeout=60):
    st, _, raw = http_request(gw.port, "POST", "/v1/portrait/?Action=%s&Version=2024-01-01" % name,
                              json.dumps(body).encode(), {"Authorization": "Bearer " + key,
                                                          "Content-Type": "application/json"}, timeout=timeout)
    try:
        return st, json.loads(raw)
    except ValueError:
        return st, None


class World:
    def __init__(self, gw, media, keys):
        self.gw, self.media, self.keys = gw, media, keys
        self.lock = threading.Lock()
        self.groups = {k: [] for k in keys}  # acknowledged group ids per customer
        self.assets = {}                     # acknowledged asset id -> (key, group, kind)
        self.answers = {}
        self.unexpected = []

    def note(self, what, st, js):
        code = ""
        if js and st != 200:
            code = js.get("ResponseMetadata", {}).get("Error", {}).get("Code", "")
        with self.lock:
            k = "%s %s%s" % (what, st, " " + code if code else "")
            self.answers[k] = self.answers.get(k, 0) + 1
            if st not in (200, 429, 502, 503) and code != "QuotaExceeded":
                self.unexpected.append((k, js))

    def one(self, rnd):
        key = rnd.choice(self.keys)
        with self.lock:
            groups = list(self.groups[key])
        r = rnd.random()
        if not groups or (r < 0.08 and len(groups) < 40):
            st, js = action(self.gw, key, "CreateAssetGroup", {"Name": "crash-%d" % rnd.randrange(10 ** 6),
                                                                "GroupType": "AIGC"})
            self.note("CreateAssetGroup", st, js)
            if st == 200:
                with self.lock:
                    self.groups[key].append(js["Result"]["Id"])
            return
        gid = rnd.choice(groups)
        if r < 0.55:
            url = self.media.png_url(640, 640, tag="c%d" % rnd.randrange(10 ** 6))
            st, js = action(self.gw, key, "CreateAsset", {"GroupId": gid, "URL": url, "AssetType": "Image"})
            what = "CreateAsset"
        else:
            data = portico.png_bytes(320, 320, seed=rnd.randrange(256)) + os.urandom(rnd.randrange(PAD))
            body, ct = form([("GroupId", gid)], data)
            st, h, raw = http_request(self.gw.port, "POST", "/v1/portrait/upload", body,
                                      {"Authorization": "Bearer " + key, "Content-Type": ct}, timeout=60)
            try:
                js = json.loads(raw)
            except ValueError:
                js = None
            what = "Upload"
        self.note(what, st, js)
        if st == 200:
            with self.lock:
                self.assets[js["Result"]["Id"]] = (key, gid, what)


def worker(world, stop, seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        try:
            world.one(rnd)
        except Exception:  # the gateway died under us: connection errors of every kind
            time.sleep(0.05)


def list_all(gw, key, action_name, body):
    out, page = [], 1
    while True:
        r = gw.call(key, action_name, dict(body, PageNumber=page, PageSize=100))
        out += r["Items"]
        if page * 100 >= r["TotalCount"]:
            return out
        page += 1


def blob_files(gw):
    found = {}
    for sub in ("objects", "staging"):
        base = os.path.join(gw.data_dir, "blobs", sub)
        found[sub] = set()
        for root, _dirs, files in os.walk(base):
            for f in files:
                found[sub].add(os.path.relpath(os.path.join(root, f), base))
    return found


def check_consistent(gw, sim, world):
    """The invariants of point 4; returns counts for the report."""
    # Every acknowledged record is there and readable.
    for key, gids in world.groups.items():
        for gid in gids:
            gw.call(key, "GetAssetGroup", {"Id": gid})
    for aid, (key, _gid, _kind) in world.assets.items():
        gw.call(key, "GetAsset", {"Id": aid})
    # Records vs upstream, object for object.
    mine, uploads = {}, {}
    for key in world.keys:
        for g in list_all(gw, key, "ListAssetGroups", {}):
            mine[g["Id"]] = set()
            for a in list_all(gw, key, "ListAssets", {"Filter": {"GroupIds": [g["Id"]]}}):
                mine[g["Id"]].add(a["Id"])
                path = urllib.parse.urlsplit(a["URL"]).path
                if path.startswith("/v1/media/"):
                    uploads[a["Id"]] = (a["URL"], path[len("/v1/media/"):])
            assert g["AssetCount"] == len(mine[g["Id"]]), (g, len(mine[g["Id"]]))
    st, _, raw = http_request(sim.port, "GET", "/_sim/objects", timeout=10)
    assert st == 200
    o = json.loads(raw)
    theirs = {g: set() for g in o["groups"]}
    for a, g in o["assets"].items():
        theirs.setdefault(g, set()).add(a)
    assert mine == theirs, "upstream and records differ: upstream only %r; records only %r" % (
        {g: sorted(theirs[g] - mine.get(g, set())) for g in theirs if g not in mine or theirs[g] - mine[g]},
        {g: sorted(mine[g] - theirs.get(g, set())) for g in mine if g not in theirs or mine[g] - theirs[g]})
    # Blob store vs records.
    files = blob_files(gw)
    keys = {k for _u, k in uploads.values()}
    assert not files["staging"], "staging files left: %r" % files["staging"]
    assert files["objects"] == keys, "orphan bytes %r; records without bytes %r" % (
        sorted(files["objects"] - keys), sorted(keys - files["objects"]))
    for aid, (url, _k) in uploads.items():
        u = urllib.parse.urlsplit(url)
        st, _, body = http_request(u.port, "GET", u.path + "?" + u.query, timeout=30)
        assert st == 200 and body[:8] == b"\x89PNG\r\n\x1a\n", "upload %s: media URL answered %d" % (aid, st)
    return len(mine), sum(len(v) for v in mine.values()), len(uploads)


def settled_lines(gw):
    out = []
    for p in gw._all_err_paths:
        try:
            with open(p, errors="replace") as f:
                for line in f:
                    if "settled unfinished creates" in line:
                        out.append(json.loads(line)["msg"])
        except (OSError, ValueError):
            pass
    return out


def test_sigkill_at_random_moments_loses_nothing_and_leaves_nothing(media):
    # Latency widens the window between reservation and confirmation;
    # dropped connections add reconciliation lookups that a kill can cut.
    sim = Sim(processing_ms=300, env={"PORTICO_SIM_FAULT_LATENCY": 0.5, "PORTICO_SIM_FAULT_LATENCY_MS": 400,
                                      "PORTICO_SIM_FAULT_DROP": 0.15})
    env = {"PORTICO_VOLC_AK": sim.access_key, "PORTICO_VOLC_SK": sim.secret_key,
           # one node: every reservation left by the killed process is settled at start-up
           "PORTICO_RECONCILE_AFTER_S": 0,
           # the killed process's last creates may still be in the simulator
           # (it acts after its injected latency, at most 0.4 s): start-up
           # waits this long before looking (default 12 s, past the
           # upstream timeout)
           "PORTICO_RECONCILE_GRACE_MS": 2000}
    gw = Gateway(upstream=sim.url, env=env)
    keys = [gw.create_key("crash-%d" % i) for i in range(3)]
    world = World(gw, media, keys)
    rnd = random.Random(int(os.environ.get("PORTICO_CRASH_SEED", "0")) or None)
    t_start = time.monotonic()
    for rnd_no in range(1, ROUNDS + 1):
        stop = threading.Event()
        threads = [threading.Thread(target=worker, args=(world, stop, rnd.random()), daemon=True)
                   for _ in range(WORKERS)]
        for t in threads:
            t.start()
        kill_after = rnd.uniform(1.0, 3.0)
        time.sleep(kill_after)
        gw.kill()  # SIGKILL: whatever was in flight is cut wherever it was
        stop.set()
        for t in threads:
            t.join(timeout=90)
        t0 = time.monotonic()
        gw.start()
        restart = time.monotonic() - t0
        groups, assets, uploads = check_consistent(gw, sim, world)
        say("round %d: killed after %.2fs; restarted and reconciled in %.2fs; %d groups, %d assets (%d uploads) "
            "acknowledged so far, all present; upstream == records; blob store == upload records"
            % (rnd_no, kill_after, restart, groups, assets, uploads))
    lines = settled_lines(gw)
    say("start-up reconciliation, per restart: %s" % (lines or ["nothing to settle"]))
    say("answers: %s" % json.dumps(world.answers, sort_keys=True))
    say("%d rounds in %.1fs" % (ROUNDS, time.monotonic() - t_start))
    assert not world.unexpected, world.unexpected[:5]
    assert world.assets, "no create was acknowledged at all"
    gw.stop()
    sim.stop()
