"""test_console_api.py — the two endpoints behind the customers' console's
pictures (API.md §7; src/api/console_media.c):

  GET /v1/portrait/thumbnails/{AssetId}   image/jpeg within 320 x 320 px of
      an uploaded image, made once and kept in the blob store (served from
      there afterwards: the stored file is tampered with and the answer
      follows it), removed with the asset and with its group; a neutral
      image/svg+xml placeholder for an asset Portico stores no image of, or
      whose stored bytes no thumbnail can be made of; Forbidden, alike, for
      another customer's id and a missing one.
  GET /v1/portrait/qrcodes/{BytedToken}   image/svg+xml QR code of the open
      session's H5Link; InvalidToken, alike, for another customer's token
      and an unknown one; TokenExpired once the scan is done.

JPEG, PNG and WebP sources are made at test time with ImageMagick and cwebp.
"""
import json
import os
import re
import zlib
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import portico
from portico import blank_request_id, expect_error, ok, wait_active
from test_liveness import start_session
from test_upload import media_key, setup, upload

THUMBS = "/v1/portrait/thumbnails/"
QRCODES = "/v1/portrait/qrcodes/"
BOX = 320


# ---------------------------------------------------------------- helpers

def get(gw, path, key, method="GET"):
    hdrs = {"Authorization": "Bearer " + key} if key else {}
    t0 = time.monotonic()
    st, h, raw = portico.http_request(gw.port, method, path, None, hdrs, timeout=60)
    try:
        parsed = json.loads(raw) if raw and h.get("Content-Type", "").startswith("application/json") else None
    except ValueError:
        parsed = None
    action = "GetAssetThumbnail" if path.startswith(THUMBS) else "GetValidateQRCode"
    return portico.Resp(st, h, parsed, raw, time.monotonic() - t0, {"action": action, "path": path, "body": None})


def thumb(gw, key, asset_id):
    return get(gw, THUMBS + asset_id, key)


def jpeg_size(data):
    """(width, height) from a JPEG's frame header."""
    assert data[:2] == b"\xff\xd8", "not a JPEG: %r" % data[:16]
    i = 2
    while i + 9 < len(data):
        assert data[i] == 0xFF, "bad marker at %d" % i
        m = data[i + 1]
        n = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + n
    raise AssertionError("no frame header")


def expect_jpeg(r, w, h):
    assert r.status == 200, r.describe()
    assert r.headers.get("Content-Type") == "image/jpeg", r.headers
    assert r.headers.get("Cache-Control") == "private, max-age=86400", r.headers
    assert r.headers.get("X-Content-Type-Options") == "nosniff", r.headers
    assert "default-src 'none'" in r.headers.get("Content-Security-Policy", ""), r.headers
    assert jpeg_size(r.raw) == (w, h), (jpeg_size(r.raw), w, h)
    assert len(r.raw) < 200 * 1024, len(r.raw)
    return r.raw


def expect_placeholder(r):
    assert r.status == 200, r.describe()
    assert r.headers.get("Content-Type") == "image/svg+xml", r.headers
    assert r.raw.startswith(b"<svg ") and r.raw.rstrip().endswith(b"</svg>"), r.raw[:200]
    assert b"<script" not in r.raw, r.raw


def stored(gw, blob_key):
    return os.path.join(gw.data_dir, "blobs", "objects", blob_key)


def thumb_file(gw, blob_key):
    return stored(gw, "thumbs/" + blob_key + ".jpg")


def blob_key_of(gw, key, asset_id):
    return media_key(gw.call(key, "GetAsset", {"Id": asset_id})["URL"])


_tool_dir = None


def made(name, cmd):
    """Bytes of a file ImageMagick / cwebp make at test time; cmd has {out}."""
    global _tool_dir
    assert shutil.which("convert") and shutil.which("cwebp"), "ImageMagick and cwebp are needed (tools/deps.sh)"
    if _tool_dir is None:
        _tool_dir = tempfile.mkdtemp(prefix="portico-console-")
    out = os.path.join(_tool_dir, name)
    subprocess.run(cmd.format(out=out), shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)
    with open(out, "rb") as f:
        return f.read()


def uploaded(gw, key, group, data, filename="photo.png", ctype="image/png"):
    return ok(upload(gw, key, group, data, filename, ctype), "Upload")["Id"]


# ---------------------------------------------------------------- thumbnails

def test_thumbnail_of_an_upload_is_made_once_then_served_from_the_blob_store(gw):
    key, group = setup(gw)
    asset = uploaded(gw, key, group, portico.png_bytes(800, 600, seed=3))
    bkey = blob_key_of(gw, key, asset)
    assert not os.path.exists(thumb_file(gw, bkey))

    first = expect_jpeg(thumb(gw, key, asset), 320, 240)   # while still Processing: the bytes are there
    path = thumb_file(gw, bkey)
    with open(path, "rb") as f:
        assert f.read() == first, "the stored thumbnail is not what was answered"
    made_at = os.stat(path).st_mtime_ns

    time.sleep(0.05)
    assert expect_jpeg(thumb(gw, key, asset), 320, 240) == first
    assert os.stat(path).st_mtime_ns == made_at, "the thumbnail was made again"

    # Served from the blob store: the stored file changed, the answer follows.
    tampered = first[:2] + b"\xff\xfe\x00\x0eserved-kept" + b"\x00" + first[2:]
    with open(path, "wb") as f:
        f.write(tampered)
    assert expect_jpeg(thumb(gw, key, asset), 320, 240) == tampered

    # HEAD answers like GET, without the body
    r = get(gw, THUMBS + asset, key, method="HEAD")
    assert r.status == 200 and r.headers.get("Content-Type") == "image/jpeg" and r.raw == b"", r.describe()


def test_thumbnails_of_jpeg_png_and_webp_fit_the_box(gw):
    key, group = setup(gw)
    cases = [
        ("wide.jpg", "image/jpeg", made("wide.jpg", "convert -size 1200x800 gradient:red-blue -quality 90 {out}"),
         (320, 213)),
        ("tall.webp", "image/webp", made("tall.webp", "convert -size 400x1000 plasma:fractal -seed 4 png:- | "
                                                      "cwebp -quiet -o {out} -- -"), (128, 320)),
        ("alpha.png", "image/png", made("alpha.png", "convert -size 600x600 xc:none -fill green "
                                                     "-draw 'circle 300,300 300,100' {out}"), (320, 320)),
        ("small.png", "image/png", portico.png_bytes(300, 310, seed=8), (300, 310)),   # never enlarged
        ("big.jpg", "image/jpeg", made("big.jpg", "convert -size 6000x2400 xc:gray -quality 50 {out}"), (320, 128)),
    ]
    for name, ctype, data, (w, h) in cases:
        asset = uploaded(gw, key, group, data, name, ctype)
        expect_jpeg(thumb(gw, key, asset), w, h)
        assert os.path.exists(thumb_file(gw, blob_key_of(gw, key, asset))), name


def test_thumbnail_placeholder_for_assets_without_stored_image(gw, media):
    key, group = setup(gw)
    by_url = gw.create_asset(key, group, media.png_url(640, 640, "url"), "Image", "by-url")
    expect_placeholder(thumb(gw, key, by_url))
    wait_active(gw, key, by_url)
    r = thumb(gw, key, by_url)
    expect_placeholder(r)
    assert r.headers.get("Cache-Control") == "private, no-cache", r.headers
    assert not os.path.exists(os.path.join(gw.data_dir, "blobs", "objects", "thumbs")), "a placeholder was stored"


def test_thumbnail_of_damaged_stored_bytes_is_a_placeholder(gw):
    """Hostile stored bytes (changed on disk after the upload judged them):
    truncated, garbage behind the magic, a header claiming 60000 x 60000
    px. No thumbnail, nothing kept, no crash."""
    key, group = setup(gw)
    good = made("dmg.jpg", "convert -size 900x900 plasma:fractal -seed 11 -quality 95 {out}")
    huge = bytearray(portico.png_bytes(320, 320, seed=5))
    huge[16:24] = (60000).to_bytes(4, "big") * 2
    huge[29:33] = (zlib.crc32(bytes(huge[12:29])) & 0xFFFFFFFF).to_bytes(4, "big")
    damages = {"truncated": good[:len(good) // 2], "garbage": good[:200] + os.urandom(4000), "huge": bytes(huge)}
    for i, (what, data) in enumerate(damages.items()):
        asset = uploaded(gw, key, group, portico.png_bytes(400 + i, 400, seed=20 + i))
        bkey = blob_key_of(gw, key, asset)
        with open(stored(gw, bkey), "wb") as f:
            f.write(data)
        r = thumb(gw, key, asset)
        assert r.headers.get("Content-Type") == "image/svg+xml", "%s: %s" % (what, r.describe())
        expect_placeholder(r)
        assert not os.path.exists(thumb_file(gw, bkey)), what
    assert gw.running(), "porticod died on damaged stored bytes"


def test_thumbnail_goes_with_its_asset_and_group(gw):
    key, group = setup(gw)
    a = uploaded(gw, key, group, portico.png_bytes(500, 500, seed=1))
    missing = "asset-20250101000000-zzzzz"
    before = thumb(gw, key, missing)
    expect_error(before, "Forbidden")
    expect_jpeg(thumb(gw, key, a), 320, 320)
    bkey = blob_key_of(gw, key, a)
    assert os.path.exists(thumb_file(gw, bkey))
    wait_active(gw, key, a)
    gw.call(key, "DeleteAsset", {"Id": a})
    assert not os.path.exists(thumb_file(gw, bkey)), "the thumbnail outlived its asset"
    assert not os.path.exists(stored(gw, bkey))
    gone = thumb(gw, key, a)
    expect_error(gone, "Forbidden")
    assert blank_request_id(gone.raw) == blank_request_id(before.raw), (gone.raw, before.raw)

    g2 = gw.create_group(key, "doomed")
    kept = []
    for i in range(2):
        x = uploaded(gw, key, g2, portico.png_bytes(450 + i, 450, seed=40 + i))
        w = 450 + i
        expect_jpeg(thumb(gw, key, x), 320, (450 * 320 + w // 2) // w)
        kept.append((x, blob_key_of(gw, key, x)))
    for x, _ in kept:
        wait_active(gw, key, x)
    gw.call(key, "DeleteAssetGroup", {"Id": g2})
    for x, bk in kept:
        assert not os.path.exists(thumb_file(gw, bk)), "a thumbnail outlived its group"
        expect_error(thumb(gw, key, x), "Forbidden")
    left = []
    for root, _dirs, files in os.walk(os.path.join(gw.data_dir, "blobs", "objects", "thumbs")):
        left += [os.path.join(root, f) for f in files]
    assert left == [], left


def test_thumbnail_refusals(gw):
    key, group = setup(gw)
    other, other_group = setup(gw, "bob")
    mine = uploaded(gw, key, group, portico.png_bytes(400, 400, seed=2))
    theirs = uploaded(gw, other, other_group, portico.png_bytes(400, 400, seed=3))
    expect_jpeg(thumb(gw, other, theirs), 320, 320)    # cached: must still not show through
    missing = "asset-20250101000000-abcde"

    foreign, absent = thumb(gw, key, theirs), thumb(gw, key, missing)
    expect_error(foreign, "Forbidden")
    expect_error(absent, "Forbidden")
    assert blank_request_id(foreign.raw) == blank_request_id(absent.raw), (foreign.raw, absent.raw)
    drop = ("date", "x-request-id")
    assert sorted((k.lower(), v) for k, v in foreign.headers.items() if k.lower() not in drop) == \
        sorted((k.lower(), v) for k, v in absent.headers.items() if k.lower() not in drop)
    assert theirs.encode() not in foreign.raw

    expect_error(thumb(gw, None, mine), "Unauthorized")
    expect_error(thumb(gw, "pk-not-a-key", mine), "Unauthorized")
    # any other id reads as GetAsset reads it: not the caller's
    for odd in ("not-an-id", urllib.parse.quote("../../media/x", safe=""), "x" * 300):
        r = thumb(gw, key, odd)
        expect_error(r, "Forbidden")
        assert blank_request_id(r.raw) == blank_request_id(absent.raw), r.raw
    r = get(gw, THUMBS + mine, key, method="POST")
    expect_error(r, "MethodNotAllowed", 405)
    st, _, _ = portico.http_request(gw.port, "GET", THUMBS, None, {"Authorization": "Bearer " + key})
    assert st == 404, st


# ---------------------------------------------------------------- QR codes

def qr_width(svg):
    m = re.match(rb'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 (\d+) \1"', svg)
    assert m, svg[:200]
    return int(m.group(1)) - 8   # the quiet zone: 4 modules a side


def test_qrcode_of_an_open_session(gw):
    key = gw.create_key("alice")
    s = start_session(gw, key)
    r = get(gw, QRCODES + s["BytedToken"], key)
    assert r.status == 200, r.describe()
    assert r.headers.get("Content-Type") == "image/svg+xml", r.headers
    assert r.headers.get("Cache-Control") == "private, no-store", r.headers
    assert "default-src 'none'" in r.headers.get("Content-Security-Policy", ""), r.headers
    svg = r.raw
    assert svg.rstrip().endswith(b"</svg>") and b'shape-rendering="crispEdges"' in svg, svg[:300]
    # Numbers only: the link (and the token in it) is never in the markup.
    assert s["BytedToken"].encode() not in svg and b"http" not in svg.replace(b"http://www.w3.org", b"")
    d = re.search(rb' d="([^"]*)"', svg).group(1)
    assert re.fullmatch(rb"(M\d+ \d+h\d+v1h-\d+z)+", d), d[:200]
    # A QR version fits the link's length: 17 + 4v modules, v >= 1.
    w = qr_width(svg)
    assert w >= 21 and (w - 17) % 4 == 0, w
    assert len(svg) < 200 * 1024

    # Done: the link is closed.
    from test_cross_tenant import h5_submit
    h5_submit(s["H5Link"], "pass")
    ok(gw.action(key, "GetVisualValidateResult", {"BytedToken": s["BytedToken"]}))
    expect_error(get(gw, QRCODES + s["BytedToken"], key), "TokenExpired")


def test_qrcode_refusals(gw):
    alice, bob = gw.create_key("alice"), gw.create_key("bob")
    s = start_session(gw, alice)
    foreign = get(gw, QRCODES + s["BytedToken"], bob)
    absent = get(gw, QRCODES + "20250101000000" + "0" * 20, bob)
    expect_error(foreign, "InvalidToken")
    expect_error(absent, "InvalidToken")
    assert blank_request_id(foreign.raw) == blank_request_id(absent.raw), (foreign.raw, absent.raw)
    assert s["BytedToken"].encode() not in foreign.raw
    expect_error(get(gw, QRCODES + s["BytedToken"], None), "Unauthorized")
    expect_error(get(gw, QRCODES + s["BytedToken"], alice, method="PUT"), "MethodNotAllowed", 405)
    # the owner still gets it
    r = get(gw, QRCODES + s["BytedToken"], alice)
    assert r.status == 200 and r.raw.startswith(b"<svg"), r.describe()


def test_qrcode_of_an_expired_session_is_token_expired():
    gw = portico.Gateway(env={"PORTICO_SIM_TOKEN_TTL_S": 2})
    try:
        key = gw.create_key("alice")
        s = start_session(gw, key)
        assert get(gw, QRCODES + s["BytedToken"], key).status == 200
        time.sleep(2.5)
        expect_error(get(gw, QRCODES + s["BytedToken"], key), "TokenExpired")
    finally:
        gw.stop()
