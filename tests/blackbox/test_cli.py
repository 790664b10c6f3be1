"""The portico client CLI (build/portico) driven as a user would, against a
real porticod: every command, --json output parsed and checked against the
API, exit statuses (0 success, 1 API/network error, 2 usage error), the
whole AIGC flow, the liveness flow with the H5 page completed by the test,
and a terminal (tmux) run showing progress bars and the QR code — and
their absence when the output is piped.

PORTICO_POLL_MS (undocumented to users) shortens the 3 s poll pace;
PORTICO_PAGE_SIZE makes paging visible without 100 records.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import portico
from portico import (ASSET_ID_RE, GIF_BYTES, GROUP_ID_RE, BUILD, Gateway, MediaServer, _problem, expect_error, http_request,
                     ok, png_bytes, sanitizer_report, wait_active)

CLI = os.path.join(BUILD, "portico")
BAR_CHARS = ("\u2588", "\u2591")            # █ ░ of a progress bar
QR_CHARS = ("\u2580", "\u2584")             # ▀ ▄ of a half-block QR code


# ------------------------------------------------------------------ helpers

class Run:
    def __init__(self, argv, cp):
        self.argv = argv
        self.rc = cp.returncode
        self.out = cp.stdout.decode("utf-8", "replace")
        self.err = cp.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "portico %s -> %d\nstdout: %s\nstderr: %s" % (" ".join(self.argv), self.rc, self.out[:2000],
                                                             self.err[:2000])

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            raise AssertionError("stdout is not one JSON document: %r" % self)

    def json_lines(self):
        return [json.loads(x) for x in self.out.splitlines() if x.strip()]


def cli_env(gw=None, key=None, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    if gw is not None:
        env["PORTICO_URL"] = "http://127.0.0.1:%d" % gw.port
    if key is not None:
        env["PORTICO_API_KEY"] = key
    env["PORTICO_POLL_MS"] = "100"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def portico_cli(gw, key, *args, env=None, timeout=60, expect=None):
    """Runs build/portico with PORTICO_URL/PORTICO_API_KEY for gw/key;
    stdout and stderr are pipes (not a terminal)."""
    argv = [CLI] + [str(a) for a in args]
    e = cli_env(gw, key)
    e.update(env or {})
    cp = subprocess.run(argv, cwd=portico.ROOT, env=e, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=timeout)
    r = Run([str(a) for a in args], cp)
    rep = sanitizer_report(r.err)
    if rep:
        _problem("sanitizer report in portico %s:\n%s" % (" ".join(r.argv), rep))
    if expect is not None:
        assert r.rc == expect, "expected exit %d: %r" % (expect, r)
    return r


def one_line_error(r, code):
    """An API error on stderr: the Code, a Message, the RequestId, one line."""
    lines = [x for x in r.err.splitlines() if x.strip()]
    hit = [x for x in lines if code in x]
    assert hit, "stderr lacks %s: %r" % (code, r)
    assert re.search(r"RequestId: [0-9a-zA-Z-]+", hit[0]), "no RequestId on the error line: %r" % r
    return hit[0]


def write_files(tmp, **files):
    paths = {}
    for name, data in files.items():
        p = os.path.join(tmp, name.replace("_", "."))
        with open(p, "wb") as f:
            f.write(data)
        paths[name] = p
    return paths


def h5_submit(link, result="pass"):
    u = urllib.parse.urlsplit(link)
    st, _, raw = http_request(u.port, "POST", u.path + ("?" + u.query if u.query else ""),
                              body=("result=" + result).encode(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    return st, raw


class Tmux:
    """A detached tmux server on its own socket; run() types a shell line
    into a fresh window and returns what the terminal shows once it ends."""

    def __init__(self):
        assert shutil.which("tmux"), "tmux missing: run `make deps` (Debian package tmux)"
        self.sock = "portico-test-%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000)
        portico._register(self)

    def run(self, line, timeout=60, width=160, height=70):
        marker = "__PORTICO_DONE__"
        cmd = "%s; echo %s$?; sleep 600" % (line, marker)
        subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y",
                        str(height), "sh", "-c", cmd], check=True, timeout=10)
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "-L", self.sock, "capture-pane", "-p", "-J", "-S", "-200"],
                                    stdout=subprocess.PIPE, timeout=10).stdout.decode("utf-8", "replace")
            m = re.search(marker + r"(\d+)", screen)
            if m:
                subprocess.run(["tmux", "-L", self.sock, "kill-server"], timeout=10)
                return int(m.group(1)), screen
            time.sleep(0.2)
        self._cleanup()
        raise AssertionError("the terminal run did not end in %ss; screen:\n%s" % (timeout, screen))

    def _cleanup(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
        return []


# ------------------------------------------------------------------ help, usage, configuration

def test_cli_help_lists_every_command_with_examples():
    r = portico_cli(None, None, "help", expect=0)
    for cmd in ("groups create", "groups list", "groups get", "groups rename", "groups delete", "assets add",
                "assets list", "assets get", "assets rename", "assets delete", "upload", "wait", "liveness start",
                "video create", "video get"):
        assert cmd in r.out, "portico help lacks %s: %r" % (cmd, r)
        words = cmd.split()
        h = portico_cli(None, None, *(words + ["--help"]), expect=0)
        assert h.out.startswith("usage: portico " + cmd), h
        assert "Examples:" in h.out and "\n  portico " + words[0] in h.out, h
        h2 = portico_cli(None, None, "help", *words, expect=0)
        assert h2.out == h.out, (h, h2)
    assert portico_cli(None, None, "--help", expect=0).out == r.out
    g = portico_cli(None, None, "groups", "--help", expect=0)
    assert "rename ID NAME" in g.out, g


def test_cli_usage_errors_exit_2():
    for args in (["frobnicate"], ["groups"], ["groups", "explode"], ["groups", "create"],
                 ["groups", "create", "a", "b"], ["groups", "list", "--bogus"], ["groups", "list", "--type", "X"],
                 ["groups", "list", "--limit", "0"], ["assets", "add", "g"], ["assets", "add", "g", "u", "--type",
                                                                               "Gif"],
                 ["assets", "list", "--status", "Done"], ["wait"], ["wait", "a", "--timeout", "soon"],
                 ["upload", "g"], ["upload", "g", "/nonexistent/face.png"], ["video", "create", "--prompt", "p"],
                 ["video", "create", "--model", "seedance-2.0"],
                 ["video", "create", "--model", "m", "--prompt", "p", "--role", "first_frame"],
                 ["video", "create", "--model", "m", "--prompt", "p", "--image", "face.png"],
                 ["video", "create", "--model", "m", "--prompt", "p", "--duration", "five"],
                 ["video", "get", "a/../b"], []):
        r = portico_cli(None, "k-unused", *args)
        assert r.rc == 2, "expected a usage error: %r" % r
        assert r.err.startswith("portico") or r.err.startswith("usage"), r
        assert not r.out, "a usage error printed on stdout: %r" % r


def test_cli_missing_key_is_one_line_saying_how_to_get_one(gw):
    r = portico_cli(gw, None, "groups", "list")
    assert r.rc == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "PORTICO_API_KEY" in lines[0] and "porticod keys create" in lines[0], r


def test_cli_flags_override_environment(gw):
    k = gw.create_key("acme")
    # Environment pointing nowhere, flags to the real gateway and key.
    env = {"PORTICO_URL": "http://127.0.0.1:1", "PORTICO_API_KEY": "wrong"}
    portico_cli(gw, "wrong", "groups", "list", env=env, expect=1)
    r = portico_cli(gw, None, "--url", "http://127.0.0.1:%d/" % gw.port, "--key", k, "groups", "list", "--json",
                    env=env, expect=0)
    assert r.json()["Result"]["TotalCount"] == 0
    r = portico_cli(gw, None, "groups", "list", "--key=" + k, "--url=http://127.0.0.1:%d" % gw.port, env=env,
                    expect=0)


def test_cli_network_and_auth_errors_exit_1(gw):
    r = portico_cli(None, "k", "--url", "http://127.0.0.1:%d" % portico.free_port(), "groups", "list")
    assert r.rc == 1 and "cannot talk to" in r.err, r
    r = portico_cli(gw, "not-a-key", "groups", "list")
    assert r.rc == 1, r
    one_line_error(r, "Unauthorized")


# ------------------------------------------------------------------ groups

def test_cli_groups_every_command(gw):
    k = gw.create_key("acme")
    gid = portico_cli(gw, k, "groups", "create", "portraits", "--description", "spring shoot", expect=0).out.strip()
    assert GROUP_ID_RE.match(gid), gid
    r = portico_cli(gw, k, "--json", "groups", "create", "second", expect=0)
    gid2 = r.json()["Result"]["Id"]
    assert r.json()["ResponseMetadata"]["Action"] == "CreateAssetGroup"

    # get: --json is the API's answer; the table shows the fields.
    r = portico_cli(gw, k, "groups", "get", gid, "--json", expect=0)
    g = r.json()["Result"]
    api = gw.call(k, "GetAssetGroup", {"Id": gid})
    assert g == api, (g, api)
    r = portico_cli(gw, k, "groups", "get", gid, expect=0)
    assert re.search(r"^Name:\s+portraits$", r.out, re.M) and re.search(r"^Description:\s+spring shoot$", r.out, re.M), r

    # list: table with both, newest first; --json parsed; filters.
    r = portico_cli(gw, k, "groups", "list", expect=0)
    lines = r.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "ASSETS", "CREATED"], r
    assert [l.split()[0] for l in lines[1:]] == [gid2, gid], r
    r = portico_cli(gw, k, "groups", "list", "--json", expect=0)
    assert [x["Id"] for x in r.json()["Result"]["Items"]] == [gid2, gid]
    r = portico_cli(gw, k, "groups", "list", "--name", "portr", "--json", expect=0)
    assert [x["Id"] for x in r.json()["Result"]["Items"]] == [gid]
    r = portico_cli(gw, k, "groups", "list", "--type", "LivenessFace", "--json", expect=0)
    assert r.json()["Result"]["Items"] == []

    # rename, then delete; each prints the Id.
    assert portico_cli(gw, k, "groups", "rename", gid, "renamed", expect=0).out.strip() == gid
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["Name"] == "renamed"
    r = portico_cli(gw, k, "groups", "rename", gid, "x" * 51)
    assert r.rc == 1, r
    one_line_error(r, "InvalidParameter")
    assert portico_cli(gw, k, "groups", "delete", gid2, expect=0).out.strip() == gid2
    expect_error(gw.action(k, "GetAssetGroup", {"Id": gid2}), "Forbidden")

    # An API error: Code, Message and RequestId on stderr, exit 1; with
    # --json the API's error body on stdout as well.
    r = portico_cli(gw, k, "groups", "get", gid2)
    assert r.rc == 1 and not r.out, r
    line = one_line_error(r, "Forbidden")
    assert "does not exist" in line or "access" in line, line
    r = portico_cli(gw, k, "groups", "get", gid2, "--json")
    assert r.rc == 1, r
    body = r.json()
    assert body["ResponseMetadata"]["Error"]["Code"] == "Forbidden"
    assert body["ResponseMetadata"]["RequestId"] in r.err


def test_cli_names_with_control_characters_are_shown_safely(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "evil\x1b[2Jname")
    r = portico_cli(gw, k, "groups", "list", expect=0)
    assert "\x1b" not in r.out and "evil?[2Jname" in r.out, r
    r = portico_cli(gw, k, "groups", "get", gid, "--json", expect=0)
    assert r.json()["Result"]["Name"] == "evil\x1b[2Jname"


def test_cli_lists_page_through_all_results_unless_limit(gw):
    k = gw.create_key("acme")
    ids = [gw.create_group(k, "g%02d" % i) for i in range(12)]
    env = {"PORTICO_PAGE_SIZE": "5"}
    r = portico_cli(gw, k, "groups", "list", env=env, expect=0)
    assert [l.split()[0] for l in r.out.splitlines()[1:]] == ids[::-1], r
    r = portico_cli(gw, k, "groups", "list", "--json", env=env, expect=0)
    res = r.json()["Result"]
    assert [x["Id"] for x in res["Items"]] == ids[::-1] and res["TotalCount"] == 12, res
    r = portico_cli(gw, k, "groups", "list", "--limit", "7", env=env, expect=0)
    assert [l.split()[0] for l in r.out.splitlines()[1:]] == ids[::-1][:7], r
    # One page answers --limit 3: the API's body exactly.
    r = portico_cli(gw, k, "groups", "list", "--limit", "3", "--json", env=env, expect=0)
    res = r.json()["Result"]
    assert len(res["Items"]) == 3 and res["PageSize"] == 3 and res["TotalCount"] == 12, res


# ------------------------------------------------------------------ assets, upload, wait

def test_cli_assets_every_command(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    r = portico_cli(gw, k, "assets", "add", gid, media.png_url(640, 640, "a"), "--name", "face", "--wait", expect=0)
    aid = r.out.strip()
    assert ASSET_ID_RE.match(aid), r
    assert aid + " Active" in r.err, r   # plain progress lines when stderr is not a terminal
    r = portico_cli(gw, k, "assets", "add", gid, media.png_url(700, 700, "b"), "--json", expect=0)
    aid2 = r.json()["Result"]["Id"]
    wait_active(gw, k, aid2)

    r = portico_cli(gw, k, "assets", "get", aid, "--json", expect=0)
    a = r.json()["Result"]
    assert a["Id"] == aid and a["Name"] == "face" and a["UpstreamStatus"] == "Active" and a["GroupId"] == gid, a
    r = portico_cli(gw, k, "assets", "get", aid, expect=0)
    assert re.search(r"^UpstreamStatus:\s+Active$", r.out, re.M), r

    r = portico_cli(gw, k, "assets", "list", "--group", gid, expect=0)
    lines = r.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "STATUS", "GROUP", "CREATED"], r
    assert {l.split()[0] for l in lines[1:]} == {aid, aid2}, r
    r = portico_cli(gw, k, "assets", "list", "--group", gid, "--status", "Active", "--json", expect=0)
    assert {x["Id"] for x in r.json()["Result"]["Items"]} == {aid, aid2}
    r = portico_cli(gw, k, "assets", "list", "--status", "Failed", "--json", expect=0)
    assert r.json()["Result"]["Items"] == []

    assert portico_cli(gw, k, "assets", "rename", aid, "smile", expect=0).out.strip() == aid
    assert gw.call(k, "GetAsset", {"Id": aid})["Name"] == "smile"
    assert portico_cli(gw, k, "assets", "delete", aid2, expect=0).out.strip() == aid2
    r = portico_cli(gw, k, "assets", "get", aid2)
    assert r.rc == 1, r
    one_line_error(r, "Forbidden")
    r = portico_cli(gw, k, "assets", "add", "group-20200101000000-aaaaa", media.png_url(), "--json")
    assert r.rc == 1 and r.json()["ResponseMetadata"]["Error"]["Code"] == "Forbidden", r


def test_cli_wait_exit_status_for_failed_asset(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    good = gw.create_asset(k, gid, media.png_url(640, 640, "ok"))
    bad = gw.create_asset(k, gid, media.url("/img/a.gif"))
    r = portico_cli(gw, k, "wait", good, bad)
    assert r.rc == 1, r
    rows = {l.split()[0]: l.split()[1] for l in r.out.splitlines()[1:]}
    assert rows == {good: "Active", bad: "Failed"}, r
    r = portico_cli(gw, k, "wait", good, bad, "--json")
    assert r.rc == 1, r
    got = {x["Result"]["Id"]: x["Result"]["UpstreamStatus"] for x in r.json_lines()}
    assert got == {good: "Active", bad: "Failed"}, r
    assert portico_cli(gw, k, "wait", good, expect=0)
    r = portico_cli(gw, k, "assets", "add", gid, media.url("/img/b.gif"), "--wait")
    assert r.rc == 1 and "Failed" in r.err, r


def test_cli_wait_times_out():
    gw = Gateway(processing_ms=30000)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    tmp = tempfile.mkdtemp(prefix="portico-cli-")
    try:
        p = write_files(tmp, a_png=png_bytes(640, 640))
        r = portico_cli(gw, k, "upload", gid, p["a_png"], expect=0)
        aid = r.out.splitlines()[1].split()[1]
        assert r.out.splitlines()[1].split()[3] == "Processing", r
        t0 = time.monotonic()
        r = portico_cli(gw, k, "wait", aid, "--timeout", "1")
        assert r.rc == 1 and "still waiting" in r.err and aid in r.err, r
        assert time.monotonic() - t0 < 10, "the timeout was not honoured"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_cli_wait_uses_wait_asset():
    """portico wait parks on WaitAsset instead of polling GetAsset: the
    asset settles after 1.5 s and the CLI asks once or twice, not every
    100 ms (PORTICO_POLL_MS)."""
    gw = Gateway(processing_ms=1500)
    media = MediaServer()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url())
    t0 = time.monotonic()
    r = portico_cli(gw, k, "wait", aid, "--timeout", "20", expect=0)
    assert time.monotonic() - t0 < 6, r
    assert r.out.splitlines()[1].split()[:2] == [aid, "Active"], r
    deadline = time.monotonic() + 3
    while True:
        lines = [l.get("action") for l in gw.log_lines()]
        if "WaitAsset" in lines or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert 1 <= lines.count("WaitAsset") <= 2 and lines.count("GetAsset") == 0, lines


def _events_cli(gw, key, *args):
    argv = [CLI, "events"] + list(args)
    return subprocess.Popen(argv, cwd=portico.ROOT, env=cli_env(gw, key), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_cli_events_tails_and_resumes(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    p = _events_cli(gw, k, "--count", "2")
    time.sleep(0.5)  # connected: the stream starts at "now"
    ids = [gw.create_asset(k, gid, media.png_url(640, 640, "e%d" % i)) for i in range(2)]
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    evs = [json.loads(l) for l in out.decode().splitlines()]
    assert sorted(e["Data"]["Id"] for e in evs) == sorted(ids), out
    assert all(e["Type"] == "AssetActive" and e["Id"].startswith("evt-") for e in evs), out
    # --from replays what came after an event
    p = _events_cli(gw, k, "--from", evs[0]["Id"], "--count", "1")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and json.loads(out)["Id"] == evs[1]["Id"], (out, err)
    # an id that is not the customer's: an API error, status 1
    other = gw.create_key("other")
    p = _events_cli(gw, other, "--from", evs[0]["Id"])
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1 and b"InvalidParameter" in err, (out, err)
    p = _events_cli(gw, "nope")
    out, err = p.communicate(timeout=30)
    assert p.returncode == 1 and b"Unauthorized" in err, (out, err)


def test_cli_upload_several_files_and_wait(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    tmp = tempfile.mkdtemp(prefix="portico-cli-")
    try:
        p = write_files(tmp, a_png=png_bytes(640, 640, 1), b_png=png_bytes(650, 650, 2), c_gif=GIF_BYTES,
                        d_png=png_bytes(660, 660, 3))
        r = portico_cli(gw, k, "upload", gid, p["a_png"], p["c_gif"], p["b_png"], "--wait")
        assert r.rc == 1, r   # the GIF is refused; the others go through
        one_line_error(r, "UnsupportedMediaType")
        assert p["c_gif"] in r.err, r
        rows = [l.split() for l in r.out.splitlines()[1:]]
        assert [(x[0], x[2], x[3]) for x in rows] == [(p["a_png"], "a.png", "Active"), (p["b_png"], "b.png", "Active")], r
        for x in rows:
            assert gw.call(k, "GetAsset", {"Id": x[1]})["UpstreamStatus"] == "Active"
        # Plain lines (no bars) when stderr is not a terminal.
        assert "uploaded %s" % p["a_png"] in r.err and not any(c in r.err for c in BAR_CHARS), r

        # (other bytes: the same bytes into the same group would be the same asset, API.md §3)
        r = portico_cli(gw, k, "upload", gid, p["d_png"], "--name", "named", "--json", expect=0)
        docs = r.json_lines()
        assert len(docs) == 1 and docs[0]["ResponseMetadata"]["Action"] == "Upload", r
        assert docs[0]["Result"]["Name"] == "named" and docs[0]["Result"]["UpstreamStatus"] == "Processing", r
        r = portico_cli(gw, k, "upload", gid, p["a_png"], p["b_png"], "--wait", "--json", expect=0)
        docs = r.json_lines()
        assert [d["Result"]["UpstreamStatus"] for d in docs] == ["Active", "Active"], r
        assert all(d["ResponseMetadata"]["Action"] == "WaitAsset" for d in docs), r  # the wait's last answer
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ AIGC flow and videos

def test_cli_aigc_flow_group_upload_video_download():
    gw = Gateway(env={"PORTICO_SIM_VIDEO_MS": 1500})
    k = gw.create_key("acme")
    tmp = tempfile.mkdtemp(prefix="portico-cli-")
    try:
        p = write_files(tmp, face_png=png_bytes(640, 640, 5))
        gid = portico_cli(gw, k, "groups", "create", "campaign", expect=0).out.strip()
        r = portico_cli(gw, k, "upload", gid, p["face_png"], "--wait", "--json", expect=0)
        aid = r.json_lines()[0]["Result"]["Id"]
        out = os.path.join(tmp, "beach.mp4")
        r = portico_cli(gw, k, "video", "create", "--model", "seedance-2.0", "--prompt", "a walk on the beach",
                        "--image", aid, "--role", "reference_image", "--ratio", "16:9", "--duration", "5",
                        "--resolution", "720p", "--wait", "-o", out, "--json", expect=0)
        docs = r.json_lines()
        assert len(docs) == 1 and docs[0]["status"] == "succeeded", r   # the final state
        task = docs[0]
        assert task["object"] == "video.generation" and task["model"] == "seedance-2.0", r
        assert "queued" in r.err and "running" in r.err and "saved " + out in r.err, r   # plain progress lines
        with open(out, "rb") as f:
            data = f.read()
        assert data[4:8] == b"ftyp", data[:16]
        u = urllib.parse.urlsplit(task["video_url"])
        st, _, direct = http_request(u.port, "GET", u.path + ("?" + u.query if u.query else ""))
        assert st == 200 and direct == data, "the download differs from video_url"
        assert not os.path.exists(out + ".part")

        # video get: the task again, human and JSON.
        r = portico_cli(gw, k, "video", "get", task["id"], expect=0)
        assert re.search(r"^status:\s+succeeded$", r.out, re.M) and task["video_url"] in r.out, r
        r = portico_cli(gw, k, "video", "get", task["id"], "--json", expect=0)
        assert r.json()["id"] == task["id"] and r.json()["status"] == "succeeded"
        # Human create without --wait: the id and status.
        r = portico_cli(gw, k, "video", "create", "--model", "seedance-2.0-fast", "--prompt", "p", "--image",
                        "asset://" + aid, expect=0)
        assert re.search(r"^status:\s+queued$", r.out, re.M), r
        vid = re.search(r"^id:\s+(\S+)$", r.out, re.M).group(1)
        out2 = os.path.join(tmp, "later.mp4")
        portico_cli(gw, k, "video", "get", vid, "-o", out2, expect=0)
        assert open(out2, "rb").read()[4:8] == b"ftyp"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_cli_video_errors(gw, media):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "v"))
    wait_active(gw, k, aid)
    r = portico_cli(gw, k, "video", "create", "--model", "seedance-1.5-pro", "--prompt", "p", "--image", aid)
    assert r.rc == 1, r
    one_line_error(r, "model_not_supported_asset")
    r = portico_cli(gw, k, "video", "create", "--model", "nope", "--prompt", "p", "--json")
    assert r.rc == 1 and r.json()["error"]["code"] == "invalid_request", r
    r = portico_cli(gw, k, "video", "get", "cgt-20200101000000-zzzzz")
    assert r.rc == 1, r
    one_line_error(r, "not_found")


def test_cli_failed_video_exits_1_and_writes_no_file():
    gw = Gateway(env={"PORTICO_SIM_VIDEO_MS": 500})
    k = gw.create_key("acme")
    tmp = tempfile.mkdtemp(prefix="portico-cli-")
    try:
        out = os.path.join(tmp, "never.mp4")
        r = portico_cli(gw, k, "video", "create", "--model", "seedance-2.0", "--prompt", "a walk [sim:fail]",
                        "-o", out)
        assert r.rc == 1 and "the video failed" in r.err, r
        assert re.search(r"^status:\s+failed$", r.out, re.M), r
        assert not os.path.exists(out) and not os.path.exists(out + ".part"), os.listdir(tmp)
        vid = re.search(r"^id:\s+(\S+)$", r.out, re.M).group(1)
        # Without --wait, showing a failed task is not an error of the command.
        r = portico_cli(gw, k, "video", "get", vid, "--json", expect=0)
        assert r.json()["status"] == "failed" and r.json()["error"]["code"], r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ liveness

def test_cli_liveness_flow_with_h5_page_completed(gw):
    k = gw.create_key("acme")
    argv = [CLI, "liveness", "start", "--wait", "--json"]
    p = subprocess.Popen(argv, cwd=portico.ROOT, env=cli_env(gw, k), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = json.loads(p.stdout.readline())
        s = first["Result"]
        assert first["ResponseMetadata"]["Action"] == "CreateVisualValidateSession"
        time.sleep(0.5)
        assert p.poll() is None, "liveness start --wait ended before the scan"
        st, raw = h5_submit(s["H5Link"], "pass")
        assert st in (200, 303), (st, raw[:300])
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err = err.decode("utf-8", "replace")
    if sanitizer_report(err):
        _problem("sanitizer report in portico liveness start:\n" + sanitizer_report(err))
    assert p.returncode == 0, (p.returncode, out, err)
    last = json.loads(out.decode().strip().splitlines()[-1])
    gid = last["Result"]["GroupId"]
    assert GROUP_ID_RE.match(gid) and last["Result"]["GroupType"] == "LivenessFace", last
    assert gw.call(k, "GetAssetGroup", {"Id": gid})["GroupType"] == "LivenessFace"

    # The human form: the link and token on stdout (no QR code: not a
    # terminal); result TOKEN answers pending, then the group once scanned.
    r = portico_cli(gw, k, "liveness", "start", "--callback", "http://127.0.0.1:9/cb", expect=0)
    link = re.search(r"^H5Link:\s+(\S+)$", r.out, re.M).group(1)
    token = re.search(r"^BytedToken:\s+(\S+)$", r.out, re.M).group(1)
    assert not any(c in r.out for c in QR_CHARS + BAR_CHARS) and "\x1b" not in r.out, r
    r = portico_cli(gw, k, "liveness", "result", token)
    assert r.rc == 1, r
    one_line_error(r, "ValidatePending")
    h5_submit(link, "pass")
    r = portico_cli(gw, k, "liveness", "result", token, expect=0)
    assert re.search(r"^GroupId:\s+group-", r.out, re.M) and "LivenessFace" in r.out, r
    r = portico_cli(gw, k, "liveness", "result", "no-such-token")
    assert r.rc == 1 and "liveness start" in r.err, r
    one_line_error(r, "InvalidToken")


def test_cli_liveness_lapsed_token_says_so():
    gw = Gateway(env={"PORTICO_SIM_TOKEN_TTL_S": 2})
    k = gw.create_key("acme")
    t0 = time.monotonic()
    r = portico_cli(gw, k, "liveness", "start", "--wait", timeout=60)
    assert r.rc == 1, r
    one_line_error(r, "TokenExpired")
    assert "expired" in r.err and "portico liveness start" in r.err, r
    assert time.monotonic() - t0 < 30, r


# ------------------------------------------------------------------ terminal

def test_cli_terminal_shows_bars_and_qr_only_on_a_tty(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    tmp = tempfile.mkdtemp(prefix="portico-cli-")
    try:
        p = write_files(tmp, one_png=png_bytes(640, 640, 7), two_png=png_bytes(660, 660, 8))
        env = " ".join("%s=%s" % (n, shlex.quote(v)) for n, v in cli_env(gw, k).items()
                       if n.startswith("PORTICO_") or n in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"))
        base = "env TERM=xterm-256color %s %s" % (env, shlex.quote(CLI))
        tmux = Tmux()
        rc, screen = tmux.run("%s upload %s %s %s --wait && %s liveness start" % (
            base, gid, shlex.quote(p["one_png"]), shlex.quote(p["two_png"]), base))
        assert sanitizer_report(screen) is None, screen
        assert rc == 0, screen
        bars = [l for l in screen.splitlines() if "\u2588" * 24 in l and "100%" in l]
        assert any("one.png" in l for l in bars) and any("two.png" in l for l in bars), \
            "no full progress bar per file on the terminal:\n" + screen
        assert "\u2714" in screen, "the wait board did not show on the terminal:\n" + screen
        qr_rows = [l for l in screen.splitlines() if sum(l.count(c) for c in QR_CHARS) >= 5]
        assert len(qr_rows) >= 10, "no QR code on the terminal:\n" + screen
        assert re.search(r"H5Link:\s+http://", screen), screen

        # Piped: no bars, no QR, no escape sequences.
        r = portico_cli(gw, k, "upload", gid, p["one_png"], "--wait", expect=0)
        r2 = portico_cli(gw, k, "liveness", "start", expect=0)
        for x in (r, r2):
            text = x.out + x.err
            assert not any(c in text for c in BAR_CHARS + QR_CHARS) and "\x1b" not in text, x
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
