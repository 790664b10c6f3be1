"""test_sim_shapes.py — the simulator's replies have the shape of the public
record's (../shared/UPSTREAM.md), checked with the same files the client's
unit test parses (tests/vectors/upstream/*.json).

For each vector, this module makes portico-sim answer the same Action in the
same situation (a signed request, Volcengine V4 written out here in Python,
independent of src/upstream/sign.c) and compares:
  - success replies: the Result has the same keys, each of the same JSON type
    (recursively; the first item of a list stands for all), and the
    ResponseMetadata has the record's keys;
  - error replies: the same HTTP status and Error.Code, and an Error object
    with Code and Message strings (CodeN an integer when present).
Vectors of situations the simulator cannot produce (an upstream Status it
never reports, a wrong host, a service that answers {Id} to a delete, ...)
are listed in NOT_REPRODUCIBLE with the reason; every other vector must be
covered, so a new vector without a scenario fails this test.
"""
import datetime
import glob
import hashlib
import hmac
import json
import os
import time
import urllib.parse

import portico
from portico import MediaServer, Sim, http_request

VECTORS = os.path.join(portico.ROOT, "tests", "vectors", "upstream")
AK, SK, REGION, SERVICE, VERSION = "AKLTshapes", "shapes-secret", "cn-beijing", "ark", "2024-01-01"

# Vectors that show a variant the simulator, by design, does not produce.
NOT_REPRODUCIBLE = {
    "get_asset_inactive": "the simulator never reports a Status outside the record's three",
    "get_asset_extra_fields": "a future upstream's extra fields; the simulator sends the record's",
    "get_asset_failed_fps": "the simulator's check does not measure frame rates",
    "update_asset_empty": "the simulator answers updates with {Id}, the record's one source",
    "delete_asset_group_id": "the simulator answers deletes with {}, as the record says",
    "create_validate_session_byteplus": "BytePlus H5 links; the simulator serves its own loopback page",
    "create_asset_id_six_chars": "the simulator's ids carry 5 random characters",
    "get_validate_result_expired_404_nobody": "the body of that 404 is unknown; the simulator sends an Error",
    "error_wrong_host": "a wrong host is outside any service",
    "error_access_denied": "the simulator has one all-powerful key",
    "error_flow_limit_as_400": "a variant of how a throttle may be sent; the simulator sends 429",
    "error_flow_limit_coden_only": "a variant of how a throttle may be sent; the simulator sends 429",
    "error_invalid_parameter": "covered by the simulator's unit tests (its URL check has several details)",
}


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed(sim, action, body, secret=SK, x_date=None, headers_extra=None):
    """POST /?Action=..&Version=.. signed as Volcengine's SDKs sign it."""
    raw = json.dumps(body).encode()
    query = "Action=%s&Version=%s" % (urllib.parse.quote(action, safe=""), VERSION)
    x_date = x_date or datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    payload = hashlib.sha256(raw).hexdigest()
    signed_headers = "x-content-sha256;x-date"
    canonical = "\n".join(["POST", "/", query, "x-content-sha256:%s\nx-date:%s\n" % (payload, x_date),
                           signed_headers, payload])
    scope = "%s/%s/%s/request" % (x_date[:8], REGION, SERVICE)
    sts = "\n".join(["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = secret.encode()
    for part in (x_date[:8], REGION, SERVICE, "request"):
        k = _hmac(k, part)
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    hdrs = {"Content-Type": "application/json", "X-Date": x_date, "X-Content-Sha256": payload,
            "Authorization": "HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                             % (AK, scope, signed_headers, sig)}
    hdrs.update(headers_extra or {})
    st, _, data = http_request(sim.port, "POST", "/?" + query, body=raw, headers=hdrs, timeout=15)
    return st, json.loads(data) if data else None


def unsigned(sim, action, body):
    st, _, data = http_request(sim.port, "POST", "/?Action=%s&Version=%s" % (action, VERSION),
                               body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return st, json.loads(data) if data else None


def jtype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    for t, n in ((str, "string"), (float, "number"), (list, "list"), (dict, "object")):
        if isinstance(v, t):
            return n
    return "null"


def shape_diff(want, got, path="Result"):
    """Differences in keys and types between two JSON values."""
    if jtype(want) != jtype(got) and not {jtype(want), jtype(got)} <= {"int", "number"}:
        return ["%s: %s in the record, %s from the simulator" % (path, jtype(want), jtype(got))]
    out = []
    if isinstance(want, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append("%s.%s: missing from the simulator's reply" % (path, k))
            elif k not in want:
                out.append("%s.%s: not in the record's reply" % (path, k))
            else:
                out += shape_diff(want[k], got[k], path + "." + k)
    elif isinstance(want, list) and want and got:
        out += shape_diff(want[0], got[0], path + "[0]")
    return out


def load_vectors():
    out = {}
    for p in sorted(glob.glob(os.path.join(VECTORS, "*.json"))):
        with open(p) as f:
            out[os.path.basename(p)[:-5]] = json.load(f)
    return out


class World:
    """One simulator with a group, assets in each state and liveness tokens."""

    def __init__(self, sim, media):
        self.sim, self.media = sim, media
        st, r = signed(sim, "CreateAssetGroup", {"Name": "shapes", "GroupType": "AIGC"})
        assert st == 200, r
        self.group = r["Result"]["Id"]
        self.replies = {"create_asset_group": (st, r)}
        self.replies["create_asset"] = self.create_asset("/img/640x480.png")
        self.active = self.replies["create_asset"][1]["Result"]["Id"]
        self.replies["get_asset_processing"] = signed(sim, "GetAsset", {"Id": self.active})
        failed = self.create_asset("/img/200x200.png")[1]["Result"]["Id"]
        broken = self.create_asset("/missing.png")[1]["Result"]["Id"]
        deadline = time.time() + 20
        while time.time() < deadline:
            got = [signed(sim, "GetAsset", {"Id": i}) for i in (self.active, failed, broken)]
            if all(r[1]["Result"]["Status"] != "Processing" for r in got):
                break
            time.sleep(0.2)
        self.replies["get_asset_active"] = got[0]
        self.replies["get_asset_failed_format"] = got[1]
        self.replies["get_asset_failed_download"] = got[2]

    def create_asset(self, path):
        st, r = signed(self.sim, "CreateAsset", {"GroupId": self.group, "URL": self.media.url(path),
                                                 "AssetType": "Image", "Name": "portrait"})
        assert st == 200, r
        return st, r


def scenarios(world):
    """Name of a vector -> (status, reply) of the simulator in that situation."""
    sim, g, a = world.sim, world.group, world.active
    out = dict(world.replies)
    out["list_asset_groups"] = signed(sim, "ListAssetGroups", {"Filter": {"GroupType": "AIGC"}})
    out["list_assets"] = signed(sim, "ListAssets", {"Filter": {"GroupIds": [g], "Statuses": ["Active"]}})
    out["update_asset_group_id"] = signed(sim, "UpdateAssetGroup", {"Id": g, "Name": "renamed"})
    out["update_asset_id"] = signed(sim, "UpdateAsset", {"Id": a, "Name": "renamed"})
    sess = signed(sim, "CreateVisualValidateSession", {"CallbackURL": "http://127.0.0.1:9/done"})
    out["create_validate_session_volcengine"] = sess
    link = sess[1]["Result"]["H5Link"]
    u = urllib.parse.urlsplit(link)
    http_request(u.port, "POST", u.path + "?" + u.query, body=b"result=pass",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    out["get_validate_result_passed"] = signed(sim, "GetVisualValidateResult",
                                               {"BytedToken": sess[1]["Result"]["BytedToken"]})
    out["get_validate_result_expired_404"] = signed(sim, "GetVisualValidateResult",
                                                    {"BytedToken": "20260521162915BF9DC22A7A65ADF905D8"})
    out["error_missing_filter"] = signed(sim, "ListAssetGroups", {})
    out["error_missing_group_id"] = signed(sim, "CreateAsset", {"URL": world.media.url("/img/640x480.png"),
                                                                "AssetType": "Image"})
    out["error_not_found_asset"] = signed(sim, "GetAsset", {"Id": "asset-20260521162915-k2m4q"})
    out["error_not_found_group"] = signed(sim, "DeleteAssetGroup", {"Id": "group-20260521162915-a1b2c"})
    out["error_invalid_action_or_version"] = signed(sim, "GetAssetTypo", {})
    out["error_invalid_timestamp"] = signed(sim, "GetAsset", {"Id": a}, x_date="20200101T000000Z")
    out["error_signature"] = signed(sim, "GetAsset", {"Id": a}, secret="not-the-secret")
    out["error_missing_auth"] = unsigned(sim, "GetAsset", {"Id": a})
    out["delete_asset"] = signed(sim, "DeleteAsset", {"Id": a})
    out["delete_asset_group"] = signed(sim, "DeleteAssetGroup", {"Id": g})
    return out


def invalid_access_key(sim):
    """A key the simulator does not know: re-sign with another AK."""
    global AK
    saved, AK = AK, "AKLTunknown"
    try:
        return signed(sim, "GetAsset", {"Id": "asset-20260521162915-k2m4q"})
    finally:
        AK = saved


def throttled(sim):
    """Spend the create budget of a simulator limited to 1 create/s."""
    last = None
    for _ in range(5):
        last = signed(sim, "CreateAssetGroup", {"Name": "burst", "GroupType": "AIGC"})
        if last[0] == 429:
            return last
    return last


def check(name, vec, got):
    st, reply = got
    problems = []
    if st != vec["status"]:
        problems.append("HTTP %s from the simulator, %s in the record" % (st, vec["status"]))
    want = vec.get("reply")
    if vec["status"] == 200:
        if reply is None or "Result" not in reply:
            return problems + ["no Result in the simulator's reply: %r" % reply]
        problems += shape_diff(want["Result"], reply["Result"])
        for k in want["ResponseMetadata"]:
            if k not in reply.get("ResponseMetadata", {}):
                problems.append("ResponseMetadata.%s missing" % k)
    else:
        err = (reply or {}).get("ResponseMetadata", {}).get("Error")
        if not isinstance(err, dict):
            return problems + ["no ResponseMetadata.Error in the simulator's reply: %r" % reply]
        # "compare": "status": the record knows the status, not the code
        if vec.get("compare") != "status" and err.get("Code") != want["ResponseMetadata"]["Error"]["Code"]:
            problems.append("Error.Code %r, the record's %r" % (err.get("Code"), want["ResponseMetadata"]["Error"]["Code"]))
        if not isinstance(err.get("Message"), str) or ("CodeN" in err and jtype(err["CodeN"]) != "int"):
            problems.append("Error is not {Code, CodeN:int, Message:string}: %r" % err)
        want_n = want["ResponseMetadata"]["Error"].get("CodeN")
        if want_n is not None and err.get("CodeN") != want_n:
            problems.append("Error.CodeN %r, the record's %r" % (err.get("CodeN"), want_n))
    return ["%s: %s" % (name, p) for p in problems]


def test_simulator_replies_have_the_shape_of_the_record():
    vectors = load_vectors()
    assert len(vectors) >= 30
    with MediaServer() as media:
        sim = Sim(access_key=AK, secret_key=SK, processing_ms=200)
        slow = Sim(access_key=AK, secret_key=SK, processing_ms=200,
                   env={"PORTICO_SIM_CREATE_RATE": "1"})
        try:
            got = scenarios(World(sim, media))
            got["error_invalid_access_key"] = invalid_access_key(sim)
            got["error_flow_limit"] = throttled(slow)
        finally:
            sim.stop()
            slow.stop()
    problems, missing = [], []
    for name, vec in vectors.items():
        if name in NOT_REPRODUCIBLE:
            continue
        if name not in got:
            missing.append(name)
            continue
        problems += check(name, vec, got[name])
    assert not missing, "vectors without a simulator scenario (add one, or say why in NOT_REPRODUCIBLE): %s" % missing
    assert not problems, "the simulator's replies differ from the record:\n  " + "\n  ".join(problems)
