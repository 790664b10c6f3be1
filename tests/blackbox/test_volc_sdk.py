"""test_volc_sdk.py — Volcengine's official Node SDK against portico-sim.

The SDK is @volcengine/openapi, pinned exactly in tests/sdk/package.json and
installed with `npm ci` when tests/sdk/node_modules is missing (npm comes
from tools/deps.sh). tests/sdk/lifecycle.js signs every request with the
SDK's own signer (lib/base/sign.js, which signs only
"x-content-sha256;x-date": shared/UPSTREAM.md, "Asset API") and walks an
asset through its life: CreateAssetGroup, ListAssetGroups with a Filter,
CreateAsset from a loopback media server's PNG, GetAsset until Active,
ListAssets with a Filter, UpdateAsset, DeleteAsset, DeleteAssetGroup, then
one call signed with a wrong secret. It prints one JSON line per step; this
module asserts on those lines and on the simulator's own counters.
"""
import json
import os
import re
import shutil
import subprocess

import portico

SDK_DIR = os.path.join(portico.ROOT, "tests", "sdk")
SDK_VERSION = "1.36.2"
AK = "AKLTsdk-test"
SK = "sdk-test-secret"
REQUEST_ID = re.compile(r"^\d{14}[0-9A-F]{20}$")


def _node_and_sdk():
    node = shutil.which("node")
    assert node, "node is not installed (tools/deps.sh installs nodejs and npm)"
    marker = os.path.join(SDK_DIR, "node_modules", "@volcengine", "openapi", "package.json")
    portico.npm_ci(SDK_DIR, marker)
    with open(marker) as f:
        version = json.load(f)["version"]
    assert version == SDK_VERSION, "tests/sdk has @volcengine/openapi %s, want %s" % (version, SDK_VERSION)
    return node


def _run_lifecycle(node, sim, media_url):
    # Only loopback traffic: no proxy may catch the SDK's requests (axios
    # honours the *_proxy variables, the SDK its own VOLC_PROXY_*).
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
           and not k.startswith("VOLC_")}
    env.update({"SIM_HOST": "127.0.0.1:%d" % sim.port, "SIM_AK": AK, "SIM_SK": SK,
                "MEDIA_URL": media_url, "NO_PROXY": "*", "HOME": sim.tmp})
    cp = subprocess.run([node, os.path.join(SDK_DIR, "lifecycle.js")], cwd=SDK_DIR, env=env,
                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = cp.stdout.decode("utf-8", "replace")
    assert cp.returncode == 0, "lifecycle.js exited %d\nstdout:\n%s\nstderr:\n%s" % (
        cp.returncode, out[-3000:], cp.stderr.decode("utf-8", "replace")[-3000:])
    steps = {}
    for line in out.splitlines():
        if line.strip():
            o = json.loads(line)
            steps[o["step"]] = o
    return steps


def _result(step):
    return step["response"].get("Result")


def _error(step):
    return step["response"]["ResponseMetadata"].get("Error")


def test_volc_sdk_drives_asset_lifecycle(media):
    node = _node_and_sdk()
    sim = portico.Sim(access_key=AK, secret_key=SK, processing_ms=300)
    media_url = media.png_url(640, 640, tag="sdk")
    steps = _run_lifecycle(node, sim, media_url)
    want = ["CreateAssetGroup", "ListAssetGroups", "CreateAsset", "GetAsset", "ListAssets", "UpdateAsset",
            "GetAssetAfterUpdate", "DeleteAsset", "DeleteAssetGroup", "GetAssetGroupAfterDelete", "WrongSecret"]
    assert list(steps) == want, "steps printed: %r" % list(steps)

    # Every request went out as the SDK signs it: no host in SignedHeaders.
    for name, st in steps.items():
        assert st["signedHeaders"] == "x-content-sha256;x-date", (name, st["signedHeaders"])
        meta = st["response"]["ResponseMetadata"]
        assert REQUEST_ID.match(meta["RequestId"]), (name, meta["RequestId"])
        assert meta["Service"] == "ark" and meta["Region"] == "cn-beijing" and meta["Version"] == "2024-01-01"

    for name in want[:-2]:
        assert steps[name]["status"] == 200, (name, steps[name])

    group_id = _result(steps["CreateAssetGroup"])["Id"]
    assert re.match(r"^group-\d{14}-[a-z0-9]{5}$", group_id), group_id

    lg = _result(steps["ListAssetGroups"])
    assert lg["TotalCount"] == 1 and lg["PageNumber"] == 1 and lg["PageSize"] == 10, lg
    g = lg["Items"][0]
    assert g["Id"] == group_id and g["Name"] == "sdk-group" and g["GroupType"] == "AIGC", g
    assert g["Description"] == "made by @volcengine/openapi" and g["ProjectName"] == "default", g

    asset_id = _result(steps["CreateAsset"])["Id"]
    assert re.match(r"^asset-\d{14}-[a-z0-9]{5}$", asset_id), asset_id

    a = _result(steps["GetAsset"])
    assert a["Status"] == "Active", steps["GetAsset"]
    assert a["Id"] == asset_id and a["GroupId"] == group_id and a["AssetType"] == "Image", a
    assert a["Name"] == "sdk-asset" and a["ProjectName"] == "default" and "Error" not in a, a
    assert media.hits.get("/img/640x640-sdk.png", 0) >= 1, media.hits  # the sim fetched the PNG

    la = _result(steps["ListAssets"])
    assert la["TotalCount"] == 1 and [x["Id"] for x in la["Items"]] == [asset_id], la

    assert _result(steps["UpdateAsset"]) == {"Id": asset_id}
    assert _result(steps["GetAssetAfterUpdate"])["Name"] == "sdk-asset-renamed"

    # UPSTREAM.md: deletes answer an empty Result.
    assert _result(steps["DeleteAsset"]) == {}
    assert _result(steps["DeleteAssetGroup"]) == {}
    gone = steps["GetAssetGroupAfterDelete"]
    assert gone["status"] == 404 and _error(gone)["Code"] == "NotFound.group_id", gone
    assert group_id in _error(gone)["Message"]

    # A request signed with a wrong secret is refused.
    bad = steps["WrongSecret"]
    assert bad["status"] == 401, bad
    err = _error(bad)
    assert err["Code"] == "SignatureDoesNotMatch" and err["CodeN"] == 100010, err
    assert "Result" not in bad["response"]

    st = sim.stats()
    assert st["signature_failures"] == 1, st
    assert st["groups"] == 0 and st["assets"] == 0, st
    assert st["requests"]["CreateAssetGroup"] == 1 and st["requests"]["DeleteAsset"] == 1, st
    sim.stop()
