"""Generation that waits for its assets (API.md §4, "wait_for_assets"), inline
registration ("register_asset"), content hashes (the same bytes into the same
group are the same asset, for uploads too) and AvailableModels (API.md §2).

The client never polls an asset here: the task goes waiting_for_assets and
Portico submits it when the asset turns Active, fails it asset_failed when the
asset fails, asset_timeout after the configured wait."""
import base64
import time

import test_upload as up
from portico import Gateway, Sim, wait_active, wait_sim_count, wait_status
from test_videos import body_with, expect_verror, vget, vpost

STATUSES = ("waiting_for_assets", "queued", "running", "succeeded", "failed")
MODELS = ["seedance-2.0", "seedance-2.0-fast"]


def video_gw(**kw):
    env = {"PORTICO_SIM_VIDEO_MS": 600}
    env.update(kw.pop("env", {}))
    return Gateway(env=env, **kw)


def task_of(r):
    assert r.status == 200 and isinstance(r.json, dict), "expected 200: " + r.describe()
    t = r.json
    assert t.get("object") == "video.generation" and t.get("status") in STATUSES, t
    return t


def follow(gw, key, task_id, timeout=20):
    """Polls the task (never the asset) until it ends; (task, statuses seen)."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        t = task_of(vget(gw, key, task_id))
        if not seen or seen[-1] != t["status"]:
            seen.append(t["status"])
        if t["status"] in ("succeeded", "failed"):
            return t, seen
        assert time.monotonic() < deadline, "task %s still %s after %ss (%r)" % (task_id, t["status"], timeout, seen)
        time.sleep(0.05)


def data_url(data, mime="image/png"):
    return "data:%s;base64,%s" % (mime, base64.b64encode(data).decode())


def inline_body(url, **reg):
    b = body_with(url)
    b["content"][0]["register_asset"] = reg
    return b


# ---------------------------------------------------------------- waiting

def test_wait_for_processing_asset_succeeds_without_client_polling(media):
    gw = video_gw(processing_ms=1500)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "w"))
    # Without the flag, a Processing asset is still not ready.
    expect_verror(vpost(gw, k, body_with("asset://" + aid)), "asset_not_ready")
    t0 = time.monotonic()
    t = task_of(vpost(gw, k, body_with("asset://" + aid, wait_for_assets=True)))
    assert t["status"] == "waiting_for_assets", t
    assert "error" not in t and "video_url" not in t, t
    task, seen = follow(gw, k, t["id"])
    assert task["status"] == "succeeded" and task.get("video_url"), (task, seen)
    assert seen[0] == "waiting_for_assets" and "queued" in seen or "running" in seen, seen
    assert time.monotonic() - t0 < 15, seen
    # No GetAsset was asked of the gateway by the client: only the refresher polled.
    assert not [l for l in gw.log_lines() if l.get("action") == "GetAsset"], "the client polled the asset"


def test_submission_follows_the_asset_turning_active_within_a_second(media):
    gw = video_gw(processing_ms=1200, env={"PORTICO_SIM_VIDEO_MS": 5000})
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "s"))
    t = task_of(vpost(gw, k, body_with("asset://" + aid, wait_for_assets=True)))
    active_at = left_at = None
    deadline = time.monotonic() + 15
    while (active_at is None or left_at is None) and time.monotonic() < deadline:
        now = time.monotonic()
        if active_at is None and gw.call(k, "GetAsset", {"Id": aid})["UpstreamStatus"] == "Active":
            active_at = now
        if left_at is None and task_of(vget(gw, k, t["id"]))["status"] != "waiting_for_assets":
            left_at = now
        time.sleep(0.03)
    assert active_at is not None and left_at is not None, (active_at, left_at)
    assert left_at - active_at < 1.0, "submitted %.2fs after the asset turned Active" % (left_at - active_at)


def test_wait_with_active_assets_starts_at_once(media):
    gw = video_gw()
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "a"))
    wait_active(gw, k, aid)
    t = task_of(vpost(gw, k, body_with("asset://" + aid, wait_for_assets=True)))
    assert t["status"] == "queued", t
    expect_verror(vpost(gw, k, body_with("asset://" + aid, wait_for_assets="yes")), "invalid_request")


def test_failed_asset_fails_the_waiting_task_with_asset_failed(media):
    gw = video_gw(processing_ms=1500)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    bad = gw.create_asset(k, gid, media.url("/missing.png"))
    t = task_of(vpost(gw, k, body_with("asset://" + bad, wait_for_assets=True)))
    assert t["status"] == "waiting_for_assets", t
    task, seen = follow(gw, k, t["id"])
    assert task["status"] == "failed", (task, seen)
    assert task["error"]["code"] == "asset_failed" and bad in task["error"]["message"], task
    assert seen == ["waiting_for_assets", "failed"], seen
    # An asset already Failed is refused at once, as without the flag.
    assert wait_status(gw, k, bad)["UpstreamStatus"] == "Failed"
    expect_verror(vpost(gw, k, body_with("asset://" + bad, wait_for_assets=True)), "asset_not_ready")


def test_deleted_asset_fails_the_waiting_task(media):
    gw = video_gw(processing_ms=60000)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "d"))
    t = task_of(vpost(gw, k, body_with("asset://" + aid, wait_for_assets=True)))
    gw.call(k, "DeleteAsset", {"Id": aid})
    task, _ = follow(gw, k, t["id"])
    assert task["status"] == "failed" and task["error"]["code"] == "asset_failed", task
    assert aid in task["error"]["message"], task


def test_short_configured_wait_ends_with_asset_timeout(media):
    gw = video_gw(processing_ms=60000, env={"PORTICO_VIDEO_WAIT_S": 2})
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "t"))
    t0 = time.monotonic()
    t = task_of(vpost(gw, k, body_with("asset://" + aid, wait_for_assets=True)))
    task, seen = follow(gw, k, t["id"])
    took = time.monotonic() - t0
    assert task["status"] == "failed" and task["error"]["code"] == "asset_timeout", task
    assert aid in task["error"]["message"], task
    assert 1.5 < took < 6, took


def test_waiting_task_survives_a_restart(media):
    ark = "ark-wait-key"
    sim = Sim(processing_ms=3000, env={"PORTICO_ARK_API_KEY": ark, "PORTICO_SIM_VIDEO_MS": 600})
    gw = Gateway(upstream=sim.url, args=["--ark-endpoint", sim.url],
                 env={"PORTICO_VOLC_AK": "AKTEST", "PORTICO_VOLC_SK": "SKTEST", "PORTICO_ARK_API_KEY": ark})
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "r"))
    t = task_of(vpost(gw, k, body_with("asset://" + aid, wait_for_assets=True)))
    assert t["status"] == "waiting_for_assets", t
    gw.restart()
    assert task_of(vget(gw, k, t["id"]))["status"] in ("waiting_for_assets", "queued", "running", "succeeded")
    task, seen = follow(gw, k, t["id"], timeout=30)
    assert task["status"] == "succeeded", (task, seen)


# ---------------------------------------------------------------- inline registration

def test_inline_data_image_twice_makes_one_upstream_asset(media):
    gw = video_gw(processing_ms=800)
    k = gw.create_key("acme")
    img = up.png(400, 400, seed=7)
    ids = []
    for _ in range(2):
        t = task_of(vpost(gw, k, inline_body(data_url(img))))
        ids.append(t["id"])
    for tid in ids:
        task, seen = follow(gw, k, tid)
        assert task["status"] == "succeeded", (task, seen)
    st = wait_sim_count(gw.sim_stats, "assets", 1)
    assert st["requests"].get("CreateAsset") == 1, st
    groups = gw.call(k, "ListAssetGroups", {"PageSize": 100})["Items"]
    inline = [g for g in groups if g["Name"] == "inline"]
    assert len(inline) == 1 and inline[0]["GroupType"] == "AIGC" and inline[0]["AssetCount"] == 1, groups
    assets = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [inline[0]["Id"]]}})["Items"]
    assert len(assets) == 1 and assets[0]["UpstreamStatus"] == "Active", assets
    assert assets[0]["AvailableModels"] == MODELS, assets


def test_inline_http_image_into_own_group_and_the_refusals(media):
    gw = video_gw(processing_ms=300)
    k = gw.create_key("acme")
    other = gw.create_key("globex")
    gid = gw.create_group(k, "mine")
    foreign = gw.create_group(other, "theirs")
    t = task_of(vpost(gw, k, inline_body(media.png_url(640, 640, "h"), group_id=gid, name="face")))
    task, _ = follow(gw, k, t["id"])
    assert task["status"] == "succeeded", task
    items = gw.call(k, "ListAssets", {"Filter": {"GroupIds": [gid]}})["Items"]
    assert len(items) == 1 and items[0]["Name"] == "face", items
    # Another customer's group, like a group that does not exist: forbidden.
    expect_verror(vpost(gw, k, inline_body(media.png_url(640, 640, "f"), group_id=foreign)), "forbidden")
    expect_verror(vpost(gw, k, inline_body(media.png_url(640, 640, "f"),
                                           group_id="group-20240101000000-zzzzz")), "forbidden")
    # Judged by the bytes, as uploads are.
    expect_verror(vpost(gw, k, inline_body(data_url(b"GIF89a" + b"\0" * 40, "image/png"))), "invalid_request")
    expect_verror(vpost(gw, k, inline_body(data_url(up.png(100, 100)))), "invalid_request")
    expect_verror(vpost(gw, k, inline_body("data:image/png,notbase64")), "invalid_request")
    expect_verror(vpost(gw, k, inline_body("data:image/png;base64,@@@@")), "invalid_request")
    # Only models that take assets, only images.
    b = inline_body(data_url(up.png(400, 400)))
    b["model"] = "seedance-1.5-pro"
    b["content"][0]["role"] = "first_frame"
    expect_verror(vpost(gw, k, b), "model_not_supported_asset")
    # A customer without AIGC may not declare a virtual portrait.
    no_aigc = gw.create_key("initech", aigc=False)
    expect_verror(vpost(gw, no_aigc, inline_body(data_url(up.png(400, 400)))), "forbidden")
    assert gw.sim_stats()["assets"] == 1


# ---------------------------------------------------------------- content hash, AvailableModels

def test_same_bytes_uploaded_twice_into_one_group_are_one_asset(gw):
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    other = gw.create_group(k, "other")
    img = up.png(500, 400, seed=3)
    first = up.upload(gw, k, gid, img)
    second = up.upload(gw, k, gid, img)
    a1, a2 = first.json["Result"], second.json["Result"]
    assert first.status == 200 and second.status == 200, (first.describe(), second.describe())
    assert a1["Id"] == a2["Id"], (a1, a2)
    # Other bytes, or another group: another asset.
    a3 = up.upload(gw, k, gid, up.png(500, 400, seed=4)).json["Result"]
    a4 = up.upload(gw, k, other, img).json["Result"]
    assert len({a1["Id"], a3["Id"], a4["Id"]}) == 3
    wait_sim_count(gw.sim_stats, "assets", 3)
    # Concurrent identical uploads still make one.
    img2 = up.png(520, 400, seed=5)
    from portico import parallel
    res = parallel(lambda _: up.upload(gw, k, other, img2), range(4))
    assert all(r.status == 200 for r in res), [r.describe() for r in res]
    got = {r.json["Result"]["Id"] for r in res}
    assert len(got) == 1, [r.describe() for r in res]
    wait_sim_count(gw.sim_stats, "assets", 4)


def test_available_models_empty_until_active(media):
    gw = video_gw(processing_ms=1000)
    k = gw.create_key("acme")
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "m"))
    a = gw.call(k, "GetAsset", {"Id": aid})
    assert a["UpstreamStatus"] == "Processing" and a["AvailableModels"] == [], a
    a = wait_active(gw, k, aid)
    assert a["AvailableModels"] == MODELS, a
    listed = gw.call(k, "ListAssets", {})["Items"]
    assert listed[0]["AvailableModels"] == MODELS, listed
    bad = gw.create_asset(k, gid, media.url("/missing.png"))
    assert wait_status(gw, k, bad)["UpstreamStatus"] == "Failed"
    assert gw.call(k, "GetAsset", {"Id": bad})["AvailableModels"] == []


# ---------------------------------------------------------------- the CLI

def test_cli_register_and_wait_for_assets(media):
    import os
    import tempfile
    from test_cli import portico_cli
    gw = video_gw(processing_ms=1000)
    k = gw.create_key("acme")
    tmp = tempfile.mkdtemp(prefix="portico-cli-wait-")
    face = os.path.join(tmp, "face.png")
    with open(face, "wb") as f:
        f.write(up.png(400, 400, seed=11))
    # --register FILE: registered inline (data: URL), awaited, used; twice is one asset.
    for _ in range(2):
        r = portico_cli(gw, k, "video", "create", "--model", "seedance-2.0", "--prompt", "a walk",
                        "--register", face, "--role", "reference_image", "--wait", "--json", expect=0)
        docs = r.json_lines()
        assert docs and docs[-1]["status"] == "succeeded", r
    assert gw.sim_stats()["assets"] == 1
    # --wait-for-assets: a Processing asset is accepted.
    gid = gw.create_group(k, "g")
    aid = gw.create_asset(k, gid, media.png_url(640, 640, "cli"))
    r = portico_cli(gw, k, "video", "create", "--model", "seedance-2.0", "--prompt", "p", "--image", aid,
                    "--wait-for-assets", "--json", expect=0)
    assert r.json()["status"] == "waiting_for_assets", r
    r = portico_cli(gw, k, "video", "create", "--model", "seedance-2.0", "--prompt", "p",
                    "--register", os.path.join(tmp, "missing.png"))
    assert r.rc != 0, r
