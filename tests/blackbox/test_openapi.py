"""test_openapi.py — docs/openapi.yaml is a true description of the gateway.

1. Redocly's CLI (tests/openapi: pinned in package.json and package-lock.json,
   installed with `npm ci`) lints it with tests/openapi/redocly.yaml: no error,
   no warning.
2. It describes every Action of the code's tables (src/api/portrait.c's
   actions[], src/api/admin.c's admin_table[]) and every route of both
   listeners (src/api/router.c's public_routes[] and admin_routes[]), and
   nothing the gateway does not serve: adding an Action or a route without
   describing it fails here.
3. Every example request in it is sent to a running gateway, and each answer
   is checked against the description: the status of the paired response, its
   required headers, a Content-Type it lists, and a body valid (JSON Schema
   draft 2020-12, python3-jsonschema) against that media type's schema.
4. GET /openapi.yaml on both listeners answers the file, byte for byte.

The conventions the examples follow (pairing by name, x-portico-fixtures,
x-portico-key) are written at the top of docs/openapi.yaml. What this file
adds:
 - Validation is stricter than the description: every object schema that
   lists properties gets `unevaluatedProperties: false` (allOf/oneOf branches
   excepted, their parent gets it), so an answer carrying a field the
   description does not name fails. The description itself stays open to new
   fields, as clients must be.
 - A request example that, after fixtures are put in, would send a URL of any
   host but 127.0.0.1 is a failure of this test, never sent.
 - Action envelopes must echo the operation's Action, and RequestId must equal
   the X-Request-Id header.
"""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import portico
import test_liveness
import test_upload
from portico import GIF_BYTES, Gateway, http_request, png_bytes, wait_active

ROOT = portico.ROOT
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
LINT_DIR = os.path.join(ROOT, "tests", "openapi")
VIDEO_MS = 300
LISTENERS = ("public", "admin")


def _debian_modules():
    """python3-yaml and python3-jsonschema (tools/deps.sh) live in Debian's
    dist-packages; the `python3` running the tests may be another build of
    the same Python, so that folder is looked in last."""
    d = "/usr/lib/python3/dist-packages"
    if os.path.isdir(d) and d not in sys.path:
        sys.path.append(d)


try:
    import jsonschema
    import yaml
except ImportError:
    _debian_modules()
    import jsonschema
    import yaml


def load_spec():
    with open(SPEC_PATH, "rb") as f:
        raw = f.read()
    return raw, yaml.safe_load(raw)


# ---------------------------------------------------------------- 1. the linter

def test_openapi_lints_clean_with_redocly():
    redocly = os.path.join(LINT_DIR, "node_modules", ".bin", "redocly")
    portico.npm_ci(LINT_DIR, os.path.join(LINT_DIR, "node_modules", "@redocly", "cli", "package.json"))
    # No telemetry and no update check: the linter must not reach the network.
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true", NO_UPDATE_NOTIFIER="1")
    cp = subprocess.run([redocly, "lint", SPEC_PATH, "--config", os.path.join(LINT_DIR, "redocly.yaml"),
                         "--format=json"], cwd=LINT_DIR, env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    out = cp.stdout.decode("utf-8", "replace")
    try:
        report = json.loads(out)
    except ValueError:
        raise AssertionError("redocly lint printed no JSON report (exit %d):\n%s\n%s"
                             % (cp.returncode, out[-3000:], cp.stderr.decode("utf-8", "replace")[-3000:]))
    problems = ["%s %s: %s at %s" % (p.get("severity"), p.get("ruleId"), p.get("message"),
                                     [loc.get("pointer") for loc in p.get("location", [])])
                for p in report.get("problems", [])]
    totals = report.get("totals", {})
    assert cp.returncode == 0 and totals.get("errors") == 0 and totals.get("warnings") == 0 and not problems, \
        "redocly lint of docs/openapi.yaml (exit %d, %s):\n%s" % (cp.returncode, totals, "\n".join(problems))


# ---------------------------------------------------------------- 2. the code's tables

def _c_source(rel):
    with open(os.path.join(ROOT, rel), "r") as f:
        return f.read()


def _c_table(text, name):
    m = re.search(r"static const struct \w+ %s\[\] = \{(.*?)\n\};" % re.escape(name), text, re.S)
    assert m, "no table %s[] found" % name
    return m.group(1)


def _c_string_macros():
    macros = {}
    for d, _dirs, files in os.walk(os.path.join(ROOT, "src")):
        for fn in files:
            if fn.endswith((".h", ".c")):
                with open(os.path.join(d, fn), "r", errors="replace") as f:
                    for m in re.finditer(r'^#define\s+(\w+)\s+"([^"]*)"', f.read(), re.M):
                        macros[m.group(1)] = m.group(2)
    return macros


# Each Action endpoint: its path, the table of its Actions, its security scheme.
ACTION_ENDPOINTS = (("/v1/portrait/", "src/api/portrait.c", "actions", "CustomerKey"),
                    ("/admin/", "src/api/admin.c", "admin_table", "AdminKey"))


def code_actions(source, table):
    """The Action names of a table, in its order."""
    return re.findall(r'^\s*\{"(\w+)",', _c_table(_c_source(source), table), re.M)


def code_routes(listener):
    """[(method, path, match)] of router.c's table for the listener."""
    table = _c_table(_c_source("src/api/router.c"), "%s_routes" % listener)
    macros = _c_string_macros()
    rows = []
    for method, path, match in re.findall(r'\{\s*"([A-Z]+)",\s*("[^"]*"|[A-Z_]+),\s*(MATCH_\w+)', table):
        if path.startswith('"'):
            path = path[1:-1]
        else:
            assert path in macros, "router.c names %s, a macro this test cannot find" % path
            path = macros[path]
        rows.append((method, path, match))
    assert rows, "no rows parsed from %s_routes[]" % listener
    return rows


def path_matches(route_path, match, path):
    """router.c's path_matches, for one concrete path."""
    n = len(route_path)
    if match == "MATCH_EXACT":
        return path == route_path
    if match == "MATCH_DIR":
        return path in (route_path, route_path[:-1])
    if match == "MATCH_PREFIX":
        return path.startswith(route_path)
    if match == "MATCH_UNDER":
        return path.startswith(route_path) and len(path) > n
    raise AssertionError("unknown match %s" % match)


def concrete(path_key):
    """A request path the key stands for: no fragment, each {param} a word."""
    return re.sub(r"\{[^}]+\}", "x", path_key.split("#", 1)[0])


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(spec):
    """(path key, method, operation, path item) in the order of the file."""
    for key, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield key, method, op, item


def listeners_of(spec, item, op):
    servers = op.get("servers") or item.get("servers") or spec.get("servers")
    names = [s.get("x-portico-listener") for s in servers]
    assert names and all(n in LISTENERS for n in names), "servers without x-portico-listener: %r" % servers
    return names


def test_every_action_and_route_is_described():
    _, spec = load_spec()
    for endpoint, source, table, scheme in ACTION_ENDPOINTS:
        actions = code_actions(source, table)
        assert len(actions) >= 6, "only %d Actions parsed from %s: %r" % (len(actions), source, actions)
        described = {}
        for key, method, op, item in operations(spec):
            if key.startswith(endpoint + "#Action="):
                name = key.split("=", 1)[1]
                assert method == "post", "%s is described with %s" % (key, method)
                consts = [p.get("schema", {}).get("const") for p in op.get("parameters", [])
                          if p.get("name") == "Action"]
                assert consts == [name], "%s: its Action parameter must be const %s, not %r" % (key, name, consts)
                assert op.get("operationId") == name, "%s: operationId %r" % (key, op.get("operationId"))
                security = op.get("security", spec.get("security"))
                assert security == [{scheme: []}], "%s: security %r, not %s" % (key, security, scheme)
                described[name] = key
        missing = [a for a in actions if a not in described]
        extra = [a for a in described if a not in actions]
        assert not missing, "Actions in %s that docs/openapi.yaml does not describe: %s" % (source, missing)
        assert not extra, "docs/openapi.yaml describes %s Actions the gateway does not have: %s" % (endpoint, extra)

    for listener in LISTENERS:
        rows = code_routes(listener)
        ops = [(concrete(key), method.upper()) for key, method, op, item in operations(spec)
               if listener in listeners_of(spec, item, op)]
        # every route is described on its listener ...
        for method, rpath, match in rows:
            hits = [p for p, m in ops if m == method and path_matches(rpath, match, p)]
            assert hits, "route %s %s (%s, %s listener, src/api/router.c) is not in docs/openapi.yaml" % (
                method, rpath, match, listener)
        # ... and everything described is a route of that listener
        for p, m in ops:
            want = "GET" if m == "HEAD" else m
            assert any(path_matches(rpath, match, p) and method == want for method, rpath, match in rows), \
                "docs/openapi.yaml describes %s %s on the %s listener, which serves no such route" % (m, p, listener)


# ---------------------------------------------------------------- schemas

def _resolve(spec, ref):
    assert ref.startswith("#/"), "only local $refs are expected: %s" % ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(spec, node):
    """A Reference Object or $ref'd component, followed."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = _resolve(spec, node["$ref"])
        seen += 1
        assert seen < 20, "a $ref loop"
    return node


def strict_schema(spec, schema, branch=False, depth=0):
    """The schema with every $ref inlined and unevaluatedProperties: false
    on every object schema that names properties (see the module's doc).
    branch: the schema is an allOf/oneOf/anyOf branch; its parent checks
    what the branches leave unevaluated, so it gets no such keyword itself."""
    assert depth < 60, "schema too deep (a recursive $ref?)"
    if not isinstance(schema, dict):
        return schema
    if list(schema) == ["$ref"]:
        return strict_schema(spec, _resolve(spec, schema["$ref"]), branch, depth + 1)
    s = dict(schema)
    if "$ref" in s:  # a $ref with siblings: the same as allOf [target] and the siblings
        s["allOf"] = [{"$ref": s.pop("$ref")}] + list(s.get("allOf", []))
    out = {}
    for k, v in s.items():
        if k in ("properties", "patternProperties", "$defs"):
            out[k] = {n: strict_schema(spec, sub, False, depth + 1) for n, sub in v.items()}
        elif k in ("items", "additionalProperties", "not", "contains", "unevaluatedItems") and isinstance(v, dict):
            out[k] = strict_schema(spec, v, False, depth + 1)
        elif k in ("allOf", "oneOf", "anyOf"):
            out[k] = [strict_schema(spec, sub, True, depth + 1) for sub in v]
        elif k == "prefixItems":
            out[k] = [strict_schema(spec, sub, False, depth + 1) for sub in v]
        elif not k.startswith("x-"):
            out[k] = v
    composed = any(k in out for k in ("allOf", "oneOf", "anyOf"))
    if (not branch and ("properties" in out or composed) and "additionalProperties" not in out
            and "unevaluatedProperties" not in out):
        # objects only: on a string or an array the keyword checks nothing
        out["unevaluatedProperties"] = False
    return out


_RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_time(v):
    return not isinstance(v, str) or bool(_RFC3339_UTC.match(v))


@_FORMATS.checks("uri")
def _is_uri(v):
    return not isinstance(v, str) or bool(re.match(r"^[a-z][a-z0-9+.-]*:[^\s]+$", v))


def validate(spec, schema, value, what):
    strict = strict_schema(spec, schema)
    v = jsonschema.Draft202012Validator(strict, format_checker=_FORMATS)
    errors = sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        raise AssertionError("%s does not match its schema in docs/openapi.yaml:\n%s\nvalue: %s" % (
            what, "\n".join("  at %s: %s" % ("/".join(map(str, e.absolute_path)) or "(root)", e.message[:400])
                           for e in errors[:8]),
            json.dumps(value)[:1500]))


# ---------------------------------------------------------------- fixtures

class HookReceiver:
    """A webhook receiver on loopback: records every delivery, answers 204."""

    def __init__(self):
        self.deliveries = []
        lock = threading.Lock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with lock:
                    rec.deliveries.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        portico._register(self)

    def _cleanup(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        return []


def _split_url(url):
    u = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    return u, q


def _put_session(gw, key, group_id, data, name):
    """An image upload session for data; returns its Result."""
    return gw.call(key, "CreateUploadSession", {"GroupId": group_id, "AssetType": "Image",
                                                "ContentType": "image/png", "ContentLength": len(data),
                                                "Name": name})


def make_fixtures(gw, media, hooks):
    """What x-portico-fixtures names, made for real on gw: {name: value}.
    Values are strings, or (filename, content type, bytes) for files."""
    key = gw.create_key("acme")
    f = {"_key": key, "_noAigc": gw.create_key("plain", aigc=False), "_secrets": []}
    # the webhook first, so that the events below are deliveries too
    cfg = gw.call(key, "UpdateNotificationConfig", {"URL": hooks.url})
    f["_secrets"].append(cfg["Secret"])
    f["WebhookURL"] = hooks.url
    f["ImageURL"] = media.png_url(640, 640, "oapicreate")
    f["CallbackURL"] = media.url("/face-scan-done")

    gid = gw.create_group(key, "openapi")
    f["Group"] = gid
    f["GroupToDelete"] = gw.create_group(key, "openapi-delete")
    aid = gw.create_asset(key, gid, media.png_url(640, 640, "oapia"), "Image", "anna-front")
    del_aid = gw.create_asset(key, gid, media.png_url(640, 640, "oapid"), "Image")
    wait_active(gw, key, aid)
    wait_active(gw, key, del_aid)
    f["AssetId"], f["AssetRef"], f["AssetToDelete"] = aid, "asset://" + aid, del_aid

    # face scans: one passed, one pending
    passed = gw.call(key, "CreateVisualValidateSession", {})
    st, _, page = test_liveness.h5_submit(passed["H5Link"], "pass")
    assert st == 200, "the simulator's H5 page answered %d: %s" % (st, page[:300])
    deadline = time.monotonic() + 10
    while gw.action(key, "GetVisualValidateResult", {"BytedToken": passed["BytedToken"]}).status != 200:
        assert time.monotonic() < deadline, "the passed face scan gave no group within 10 s"
        time.sleep(0.1)
    f["PassedToken"] = passed["BytedToken"]
    f["PendingToken"] = gw.call(key, "CreateVisualValidateSession", {})["BytedToken"]

    # upload sessions: one with its bytes PUT, one to abort, one whose URL the PUT example uses
    done = png_bytes(640, 480, seed=11)
    s = _put_session(gw, key, gid, done, "anna-session")
    u, _ = _split_url(s["UploadURL"])
    st, _, raw = http_request(u.port, "PUT", u.path + "?" + u.query, done, dict(s["Headers"]))
    assert st == 200, "the fixture's PUT answered %d: %r" % (st, raw[:300])
    f["UploadId"] = s["UploadId"]
    f["UploadToAbort"] = _put_session(gw, key, gid, done, "anna-abort")["UploadId"]
    put = png_bytes(640, 480, seed=12)
    s = _put_session(gw, key, gid, put, "anna-put")
    u, q = _split_url(s["UploadURL"])
    assert u.path.startswith("/v1/media/") and u.port == gw.port, s["UploadURL"]
    f["PutKey"], f["PutExpires"] = u.path[len("/v1/media/"):], q["Expires"]
    f["PutLength"], f["PutSignature"] = q["Length"], q["Signature"]
    f["PutBody"] = ("anna-session.png", "image/png", put)

    # an uploaded asset: its signed media URL
    body, ctype = test_upload.form([("GroupId", gid)], ("anna-media.png", "image/png", png_bytes(640, 640, seed=13)))
    r = test_upload.post_upload(gw, key, body, ctype)
    assert r.status == 200, r.describe()
    f["UploadedAssetId"] = r.json["Result"]["Id"]
    u, q = _split_url(r.json["Result"]["URL"])
    assert u.path.startswith("/v1/media/") and u.port == gw.port, r.json
    f["MediaKey"], f["MediaExpires"], f["MediaSignature"] = u.path[len("/v1/media/"):], q["Expires"], q["Signature"]

    # a succeeded video task and its signed result URL
    hdrs = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    st, _, raw = http_request(gw.port, "POST", "/v1/videos/generations", json.dumps(
        {"model": "seedance-2.0", "prompt": "a walk", "content": [
            {"type": "image_url", "image_url": {"url": "asset://" + aid}, "role": "reference_image"}]}).encode(), hdrs)
    assert st == 200, raw[:300]
    vid = json.loads(raw)["id"]
    deadline = time.monotonic() + 20
    while True:
        st, _, raw = http_request(gw.port, "GET", "/v1/videos/generations/" + vid, None, hdrs)
        task = json.loads(raw)
        if task.get("status") == "succeeded":
            break
        assert task.get("status") in ("queued", "running") and time.monotonic() < deadline, task
        time.sleep(0.1)
    u, q = _split_url(task["video_url"])
    assert u.path == "/v1/videos/results/" + vid and u.port == gw.port, task
    f["VideoTaskId"], f["VideoResultC"], f["VideoResultExp"], f["VideoResultSig"] = vid, q["c"], q["exp"], q["sig"]

    # the earliest event, for resuming the stream after it
    items = gw.call(key, "ListNotifications", {"PageSize": 100})["Items"]
    assert len(items) >= 3, "expected the fixtures' events as notifications: %r" % items
    f["EventId"] = items[-1]["Id"]

    # the operators' side: a customer, and an API key of its to revoke
    f["_admin"] = gw.create_admin_key()
    cid = gw.admin_call(f["_admin"], "CreateCustomer", {"Name": "openapi-customer"})["Id"]
    f["CustomerId"] = cid
    f["KeyToRevoke"] = gw.admin_call(f["_admin"], "CreateApiKey", {"CustomerId": cid})["Prefix"]
    acme = gw.admin_call(f["_admin"], "ListCustomers", {"Filter": {"Name": "acme"}})["Items"]
    assert len(acme) == 1, acme
    f["UsageCustomerId"] = acme[0]["Id"]
    today = time.time()
    f["Today"] = time.strftime("%Y-%m-%d", time.gmtime(today))
    f["MonthAgo"] = time.strftime("%Y-%m-%d", time.gmtime(today - 30 * 86400))

    f["PngFile"] = ("anna-upload.png", "image/png", png_bytes(640, 640, seed=14))
    f["GifFile"] = ("logo.gif", "image/png", GIF_BYTES)  # declared PNG: judged by its bytes
    return f


# ---------------------------------------------------------------- requests from examples

def request_names(op, spec):
    """The names of the operation's request examples, in order."""
    names = []
    body = deref(spec, op.get("requestBody") or {})
    for mt in (body.get("content") or {}).values():
        for n in (mt.get("examples") or {}):
            if n not in names:
                names.append(n)
    for p in op.get("parameters", []):
        for n in (deref(spec, p).get("examples") or {}):
            if n not in names:
                names.append(n)
    return names or ["ok"]  # an operation without inputs: its one request


def example_objects(op, spec, name):
    out = []
    body = deref(spec, op.get("requestBody") or {})
    for mt in (body.get("content") or {}).values():
        ex = (mt.get("examples") or {}).get(name)
        if ex is not None:
            out.append(deref(spec, ex))
    for p in op.get("parameters", []):
        ex = (deref(spec, p).get("examples") or {}).get(name)
        if ex is not None:
            out.append(deref(spec, ex))
    return out


def expected_answer(op, spec, name):
    """(status, media types) of the response paired with the example: the
    media types whose examples hold that name (None: any the response lists)."""
    hits = []
    for status, resp in op["responses"].items():
        resp = deref(spec, resp)
        types = [t for t, mt in (resp.get("content") or {}).items() if name in (mt.get("examples") or {})]
        if types or name in (resp.get("x-portico-examples") or []):
            hits.append((int(status), types or None))
    assert len(hits) == 1, "request example %r pairs with %d responses %s, not exactly one" % (
        name, len(hits), [h[0] for h in hits])
    return hits[0]


class Fixtures:
    def __init__(self, spec, made):
        # literals keep their YAML type: 4711 (an integer) is not "4711"
        self.literals = {(type(k), k): v for k, v in (spec.get("x-portico-fixtures") or {}).items()}
        assert all(t in (str, int) for t, _ in self.literals), "fixture literals are strings or integers"
        self.made = made
        unknown = sorted(set(self.literals.values()) - set(made))
        assert not unknown, "x-portico-fixtures names %s, which this test does not make" % unknown
        self.used = set()

    def sub(self, value):
        """value with each string or integer equal to a fixture literal replaced."""
        k = (type(value), value)
        if k[0] in (str, int) and k in self.literals:
            self.used.add(k)
            return self.made[self.literals[k]]
        if isinstance(value, dict):
            return {k: self.sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.sub(v) for v in value]
        return value


def _param_value(p, name):
    exs = p.get("examples") or {}
    for n in (name, "ok"):
        if n in exs:
            return True, exs[n]["value"]
    if "example" in p:
        return True, p["example"]
    sch = p.get("schema") or {}
    if "const" in sch:
        return True, sch["const"]
    return False, None


_URL_RE = re.compile(r"https?://([^/:?#\s\"']+)", re.I)


def assert_loopback(text, what):
    for host in _URL_RE.findall(text):
        assert host == "127.0.0.1", "%s would send a URL of host %s; tests talk to loopback only " \
                                    "(add the literal to x-portico-fixtures)" % (what, host)


def build_request(spec, key, method, op, name, fx):
    """(method, path, headers, body bytes, description) of one example."""
    path = key.split("#", 1)[0]
    query, headers = [], {}
    for p in op.get("parameters", []):
        p = deref(spec, p)
        found, value = _param_value(p, name)
        if not found:
            assert not p.get("required"), "%s %s example %r: required parameter %s has no example" % (
                method.upper(), key, name, p["name"])
            continue
        value = str(fx.sub(value))
        if p["in"] == "path":
            path = path.replace("{%s}" % p["name"], urllib.parse.quote(value, safe="/"))
        elif p["in"] == "query":
            query.append((p["name"], value))
        elif p["in"] == "header":
            headers[p["name"]] = value
    assert "{" not in path, "%s example %r: a path parameter without a value: %s" % (key, name, path)
    if query:
        path += "?" + urllib.parse.urlencode(query)
    body = None
    rb = deref(spec, op.get("requestBody") or {})
    for ctype, mt in (rb.get("content") or {}).items():
        ex = (mt.get("examples") or {}).get(name)
        if ex is None:
            continue
        value = fx.sub(deref(spec, ex)["value"])
        if ctype == "application/json":
            body = json.dumps(value).encode()
            assert_loopback(body.decode(), "%s example %r" % (key, name))
        elif ctype == "multipart/form-data":
            fields, file = [], None
            for k, v in value.items():
                if isinstance(v, tuple):
                    assert file is None and k == "file", "%s example %r: one file, in field file" % (key, name)
                    file = v
                else:
                    assert isinstance(v, str), "%s example %r: field %s is not text" % (key, name, k)
                    assert_loopback(v, "%s example %r" % (key, name))
                    fields.append((k, v))
            body, ctype = test_upload.form(fields, file)
        else:
            assert isinstance(value, tuple), "%s example %r: a %s body must be a file fixture" % (key, name, ctype)
            body = value[2]
        headers["Content-Type"] = ctype
        break
    assert_loopback(path + " " + json.dumps(headers), "%s example %r" % (key, name))
    return path, headers, body


# ---------------------------------------------------------------- answers

def _media_type(ctype):
    return (ctype or "").split(";", 1)[0].strip().lower()


def check_headers(spec, resp_def, headers, what):
    for hname, h in (resp_def.get("headers") or {}).items():
        h = deref(spec, h)
        value = headers.get(hname)
        if value is None:
            assert not h.get("required"), "%s: no %s header" % (what, hname)
            continue
        sch = deref(spec, h.get("schema") or {})
        if sch.get("type") == "integer":
            assert re.match(r"^[0-9]+$", value), "%s: header %s is %r" % (what, hname, value)
            value = int(value)
        validate(spec, h.get("schema") or {}, value, "%s: header %s" % (what, hname))


def check_envelope_echo(op, body, headers, what):
    md = body.get("ResponseMetadata") if isinstance(body, dict) else None
    if md is None:
        return
    assert md.get("RequestId") == headers.get("X-Request-Id"), \
        "%s: RequestId %r is not the X-Request-Id %r" % (what, md.get("RequestId"), headers.get("X-Request-Id"))
    consts = [p.get("schema", {}).get("const") for p in op.get("parameters", []) if p.get("name") == "Action"]
    if consts and consts[0]:
        assert md.get("Action") == consts[0], "%s: the envelope echoes Action %r" % (what, md.get("Action"))


def read_event_stream(port, path, headers, timeout=15):
    """(status, headers, text) of a stream read until its first event record."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        hdrs = r.headers
        if r.status != 200:
            return r.status, hdrs, r.read()
        text, deadline = "", time.monotonic() + timeout
        while "\ndata: " not in text or not text.endswith("\n\n"):
            line = r.readline()
            assert line, "the event stream ended before its first event: %r" % text
            text += line.decode("utf-8")
            assert time.monotonic() < deadline, "no event on the stream within %ss: %r" % (timeout, text)
        return 200, hdrs, text.encode()
    finally:
        conn.close()


def check_answer(spec, op, status, want, want_types, headers, raw, method, what):
    responses = op["responses"]
    assert status == want, "%s: HTTP %d, the description pairs it with %d; body: %s" % (
        what, status, want, raw[:600].decode("utf-8", "replace"))
    resp_def = deref(spec, responses[str(status)])
    check_headers(spec, resp_def, headers, what)
    content = resp_def.get("content")
    if not content or method == "head":
        return
    ctype = _media_type(headers.get("Content-Type"))
    assert ctype in (want_types or content), "%s: Content-Type %r is not one of %s" % (
        what, ctype, want_types or list(content))
    mt = content[ctype]
    schema = mt.get("schema")
    if ctype.endswith("json"):
        try:
            body = json.loads(raw)
        except ValueError:
            raise AssertionError("%s: the body is not JSON: %r" % (what, raw[:300]))
        if schema is not None:
            validate(spec, schema, body, what)
        check_envelope_echo(op, body, headers, what)
        return body if isinstance(body, dict) else None
    elif ctype == "text/event-stream":
        text = raw.decode("utf-8")
        assert text.startswith(": stream open\n\n"), "%s: the stream does not open with its comment: %r" % (
            what, text[:200])
        datas = [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]
        assert datas, "%s: no event record: %r" % (what, text)
        for d in datas:
            validate(spec, mt["x-portico-data-schema"], json.loads(d), "%s: an event's data" % what)
    elif ctype.startswith("text/") or ctype == "application/yaml":
        validate(spec, schema or {}, raw.decode("utf-8"), what)
    else:
        assert raw, "%s: an empty %s body" % (what, ctype)


def check_deliveries(spec, hooks, secrets):
    """The webhook deliveries received match webhooks.event."""
    op = spec["webhooks"]["event"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    deadline = time.monotonic() + 10
    while not hooks.deliveries:
        assert time.monotonic() < deadline, "no webhook delivery arrived within 10 s"
        time.sleep(0.1)
    for hdrs, body in list(hooks.deliveries):
        what = "webhook delivery %r" % body[:80]
        validate(spec, schema, json.loads(body), what)
        for p in op["parameters"]:
            value = hdrs.get(p["name"])
            if value is None:
                assert not p.get("required"), "%s: no %s header" % (what, p["name"])
                continue
            validate(spec, p["schema"], value, "%s: header %s" % (what, p["name"]))
        assert hdrs["Portico-Event-Id"] == json.loads(body)["Id"], what
        msg = hdrs["Portico-Timestamp"].encode() + b"." + body
        sigs = ["v1=" + hmac.new(s.encode(), msg, hashlib.sha256).hexdigest() for s in secrets]
        assert hdrs["Portico-Signature"] in sigs, "%s: the signature is not HMAC-SHA256 of a secret" % what


# ---------------------------------------------------------------- 3. every example, for real

def test_every_example_request_gets_its_documented_answer(media):
    _, spec = load_spec()
    gw = Gateway(env={"PORTICO_SIM_VIDEO_MS": VIDEO_MS})
    hooks = HookReceiver()
    fx = Fixtures(spec, make_fixtures(gw, media, hooks))
    keys = {"none": None, "noAigc": fx.made["_noAigc"], "customer": fx.made["_key"]}
    scheme_keys = {"CustomerKey": fx.made["_key"], "AdminKey": fx.made["_admin"]}
    ports = {"public": gw.port, "admin": gw.admin_port}
    sent = 0
    for key, method, op, item in operations(spec):
        security = op.get("security", spec.get("security", []))
        for name in request_names(op, spec):
            want, want_types = expected_answer(op, spec, name)
            exs = example_objects(op, spec, name)
            who = {e["x-portico-key"] for e in exs if "x-portico-key" in e}
            assert len(who) <= 1 and who <= set(keys), "%s example %r: x-portico-key %r" % (key, name, who)
            path, headers, body = build_request(spec, key, method, op, name, fx)
            if security:
                schemes = [s for req in security for s in req]
                assert len(schemes) == 1 and schemes[0] in scheme_keys, "%s: security %r" % (key, security)
                k = keys[who.pop()] if who else scheme_keys[schemes[0]]
                if k is not None:
                    headers["Authorization"] = "Bearer " + k
            for listener in listeners_of(spec, item, op):
                what = "%s %s (example %r, %s listener)" % (method.upper(), path, name, listener)
                if key == "/v1/portrait/events":
                    st, hdrs, raw = read_event_stream(ports[listener], path, headers)
                else:
                    st, hdrs, raw = http_request(ports[listener], method.upper(), path, body, headers)
                body_json = check_answer(spec, op, st, want, want_types, hdrs, raw, method, what)
                sent += 1
                secret = ((body_json or {}).get("Result") or {}).get("Secret")
                if secret:  # a rotated webhook secret signs the deliveries after it
                    fx.made["_secrets"].append(secret)
    unused = sorted(str(v) for _, v in set(fx.literals) - fx.used)
    assert not unused, "x-portico-fixtures literals no request example uses: %s" % unused
    assert sent >= 70, "only %d example requests were sent" % sent
    check_deliveries(spec, hooks, fx.made["_secrets"])


# ---------------------------------------------------------------- 4. served as written

def test_served_openapi_yaml_is_the_file(gw):
    raw, _ = load_spec()
    for port in (gw.port, gw.admin_port):
        st, hdrs, body = http_request(port, "GET", "/openapi.yaml")
        assert st == 200 and _media_type(hdrs.get("Content-Type")) == "application/yaml", (port, st, hdrs)
        assert body == raw, "GET /openapi.yaml on port %d is not docs/openapi.yaml (rebuild: make)" % port
