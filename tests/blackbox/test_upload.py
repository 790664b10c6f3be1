"""test_upload.py — POST /v1/portrait/upload (API.md §3) with the fs blob
store: type judged by bytes, the 10 MiB limit, dimensions, ownership,
the quota shared with CreateAsset, signed media URLs, nothing left on
disk by a rejected, failed or interrupted upload, and bytes removed with
their asset or group. Bodies are built here with the standard library.
"""
import hashlib
import json
import hmac
import os
import socket
import struct
import time
import urllib.parse

import portico
from portico import expect_error, ok, wait_active

UPLOAD = "/v1/portrait/upload"
MIB = 1024 * 1024
LIMIT = 10 * MIB


# ---------------------------------------------------------------- media bytes

def png(w=640, h=480, seed=0):
    return portico.png_bytes(w, h, seed)


def jpeg(w, h):
    """A JFIF header with a baseline SOF0 frame header: enough for anyone
    judging type and size by the bytes."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, h, w, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(w, h):
    """An extended-format (VP8X) WebP header of a w x h canvas."""
    vp8x = (b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
            + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little"))
    payload = b"WEBP" + vp8x
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


# ---------------------------------------------------------------- requests

def form(fields=(), file=None, boundary=None):
    """A multipart/form-data body: fields [(name, str|bytes)], file
    (filename, content_type, bytes) or None. Returns (body, content_type)."""
    b = (boundary or "----porticoTest" + os.urandom(8).hex()).encode()
    out = []
    for name, value in fields:
        if isinstance(value, str):
            value = value.encode()
        out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
                   + value + b"\r\n")
    if file is not None:
        filename, ctype, data = file
        out.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="'
                   + filename.encode() + b'"\r\nContent-Type: ' + ctype.encode() + b"\r\n\r\n")
        out.append(data)
        out.append(b"\r\n")
    out.append(b"--" + b + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + b.decode()


def post_upload(gw, key, body, content_type, headers=None, timeout=60):
    hdrs = {"Content-Type": content_type}
    if key is not None:
        hdrs["Authorization"] = "Bearer " + key
    if headers:
        hdrs.update(headers)
    t0 = time.monotonic()
    st, h, raw = portico.http_request(gw.port, "POST", UPLOAD, body, hdrs, timeout=timeout)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return portico.Resp(st, h, parsed, raw, time.monotonic() - t0,
                        {"action": "Upload", "path": UPLOAD, "body": "<%d bytes>" % len(body)})


def upload(gw, key, group_id, data, filename="photo.png", ctype="image/png", name=None, timeout=60):
    fields = []
    if group_id is not None:
        fields.append(("GroupId", group_id))
    if name is not None:
        fields.append(("Name", name))
    body, ct = form(fields, (filename, ctype, data))
    return post_upload(gw, key, body, ct, timeout=timeout)


def blob_files(gw):
    """(files under blobs/objects, files under blobs/staging)."""
    counts = []
    for sub in ("objects", "staging"):
        n = 0
        for _root, _dirs, files in os.walk(os.path.join(gw.data_dir, "blobs", sub)):
            n += len(files)
        counts.append(n)
    return tuple(counts)


def fetch(url, method="GET"):
    u = urllib.parse.urlsplit(url)
    return portico.http_request(u.port, method, u.path + ("?" + u.query if u.query else ""), timeout=30)


def with_query(url, **changes):
    u = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    return urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, urllib.parse.urlencode(q), ""))


def media_key(url):
    return urllib.parse.urlsplit(url).path[len("/v1/media/"):]


def setup(gw, customer="alice"):
    key = gw.create_key(customer)
    return key, gw.create_group(key, "uploads")


# ---------------------------------------------------------------- tests

def test_upload_png_becomes_active_and_url_serves_exact_bytes(gw):
    key, gid = setup(gw)
    data = png(640, 480, seed=3)
    r = upload(gw, key, gid, data, name="portrait one")
    a = ok(r, "Upload")
    assert portico.ASSET_ID_RE.match(a["Id"]), a
    assert a["GroupId"] == gid and a["Name"] == "portrait one" and a["AssetType"] == "Image", a
    assert a["UpstreamStatus"] == "Processing", a
    assert a["URL"].startswith("http://127.0.0.1:%d/v1/media/" % gw.port), a
    assert blob_files(gw) == (1, 0)

    st, h, body = fetch(a["URL"])
    assert st == 200 and body == data, "media URL answered %d with %d bytes" % (st, len(body))
    assert h.get("Content-Type") == "image/png", h.get("Content-Type")
    st, h, body = fetch(a["URL"], "HEAD")
    assert st == 200 and body == b"" and int(h.get("Content-Length")) == len(data)

    # The simulated upstream fetched the signed URL from the gateway and
    # judged the bytes: the gateway's default --public-url works for it.
    got = wait_active(gw, key, a["Id"], timeout=15)
    assert got["URL"].startswith("http://127.0.0.1:%d/v1/media/" % gw.port), got
    st, _, body = fetch(got["URL"])
    assert st == 200 and body == data
    # The URL a read shows is signed at the read, valid for an hour at least.
    exp = int(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(got["URL"]).query))["Expires"])
    assert exp >= time.time() + 3600 - 5, got["URL"]

    items = gw.call(key, "ListAssets", {"Filter": {"GroupIds": [gid]}})["Items"]
    assert [i["Id"] for i in items] == [a["Id"]]
    st, _, body = fetch(items[0]["URL"])
    assert st == 200 and body == data
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1


def test_upload_accepts_jpeg_and_webp_by_bytes_whatever_the_declared_type(gw):
    key, gid = setup(gw)
    for data, want in ((jpeg(800, 600), "image/jpeg"), (webp(1000, 1000), "image/webp")):
        a = ok(upload(gw, key, gid, data, filename="blob.bin", ctype="application/octet-stream"), "Upload")
        st, h, body = fetch(a["URL"])
        assert st == 200 and body == data and h.get("Content-Type") == want
        wait_active(gw, key, a["Id"], timeout=15)
    assert blob_files(gw) == (2, 0)


def test_upload_rejects_gif_renamed_png(gw):
    key, gid = setup(gw)
    err = expect_error(upload(gw, key, gid, portico.GIF_BYTES, filename="cat.png", ctype="image/png"),
                       "UnsupportedMediaType")
    assert "JPEG" in err["Message"], err
    assert blob_files(gw) == (0, 0)
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 0


def _box(t, body):
    return struct.pack(">I", 8 + len(body)) + t + body


# Formats the simulator's compliance check accepts from a URL (UPSTREAM.md,
# row "Media") but the upload endpoint does not (API.md §3): recognising
# them in util/media.c must not widen what an upload may be. 640x480 each,
# so only the format can be the reason.
_UPSTREAM_ONLY = {
    "bmp": b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 640, -480, 1, 24, 0, 0, 0, 0,
                                                                    0, 0),
    "tiff": b"II*\0" + struct.pack("<IH", 8, 2) + struct.pack("<HHIHH", 256, 3, 1, 640, 0) +
    struct.pack("<HHIHH", 257, 3, 1, 480, 0) + b"\0" * 4,
    "heic": _box(b"ftyp", b"heic\0\0\0\0mif1heic") +
    _box(b"meta", b"\0" * 4 + _box(b"iprp", _box(b"ipco", _box(b"ispe", struct.pack(">III", 0, 640, 480))))),
    "mov": _box(b"ftyp", b"qt  \0\0\2\0qt  ") + _box(b"wide", b"") + _box(b"mdat", b"\0" * 64),
    "mp4": _box(b"ftyp", b"isom\0\0\2\0isomiso2mp41") + _box(b"mdat", b"\0" * 64),
}


def test_upload_rejects_formats_only_the_upstream_takes(gw):
    key, gid = setup(gw)
    for kind, data in sorted(_UPSTREAM_ONLY.items()):
        err = expect_error(upload(gw, key, gid, data, filename="cat.png", ctype="image/png"), "UnsupportedMediaType")
        assert "JPEG" in err["Message"], (kind, err)
    assert blob_files(gw) == (0, 0)
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 0


def test_upload_rejects_text_declared_jpeg(gw):
    key, gid = setup(gw)
    text = b"this is not an image, whatever the header says\n" * 2000
    expect_error(upload(gw, key, gid, text, filename="photo.jpg", ctype="image/jpeg"), "UnsupportedMediaType")
    # an empty file is no image either
    expect_error(upload(gw, key, gid, b"", filename="photo.jpg", ctype="image/jpeg"), "UnsupportedMediaType")
    assert blob_files(gw) == (0, 0)


def test_upload_rejects_10_mib_plus_one_byte_and_leaves_nothing(gw):
    key, gid = setup(gw)
    head = png(640, 480)
    big = head + b"\0" * (LIMIT + 1 - len(head))
    assert len(big) == LIMIT + 1
    err = expect_error(upload(gw, key, gid, big), "PayloadTooLarge")
    assert "10 MiB" in err["Message"], err
    assert blob_files(gw) == (0, 0)
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 0

    # Declared too large in Content-Length: answered from the headers.
    body, ct = form([("GroupId", gid)], ("x.png", "image/png", head + b"\0" * (12 * MIB)))
    expect_error(post_upload(gw, key, body, ct), "PayloadTooLarge")
    assert blob_files(gw) == (0, 0)

    # Exactly 10 MiB is accepted.
    exact = head + b"\0" * (LIMIT - len(head))
    a = ok(upload(gw, key, gid, exact), "Upload")
    assert blob_files(gw) == (1, 0)
    st, _, body = fetch(a["URL"])
    assert st == 200 and hashlib.sha256(body).digest() == hashlib.sha256(exact).digest()


def test_upload_foreign_or_unknown_group_is_forbidden_identically(gw):
    alice, _ = setup(gw, "alice")
    bob, bob_gid = setup(gw, "bob")
    foreign = upload(gw, alice, bob_gid, png())
    unknown = upload(gw, alice, "group-20240101000000-zzzzz", png())
    expect_error(foreign, "Forbidden")
    expect_error(unknown, "Forbidden")
    assert portico.blank_request_id(foreign.raw) == portico.blank_request_id(unknown.raw), \
        (foreign.raw, unknown.raw)
    assert blob_files(gw) == (0, 0)
    assert gw.call(bob, "GetAssetGroup", {"Id": bob_gid})["AssetCount"] == 0


def test_upload_shares_the_50_asset_quota_with_create_asset(gw, media):
    key, gid = setup(gw)
    for i in range(25):
        gw.create_asset(key, gid, media.png_url(640, 640, tag="q%d" % i))
        ok(upload(gw, key, gid, png(320, 320, seed=i)), "Upload")
    assert blob_files(gw) == (25, 0)
    expect_error(upload(gw, key, gid, png(320, 320, seed=99)), "QuotaExceeded")
    expect_error(gw.action(key, "CreateAsset", {"GroupId": gid, "URL": media.png_url(640, 640, tag="x"),
                                                "AssetType": "Image"}), "QuotaExceeded")
    assert blob_files(gw) == (25, 0)
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 50


def test_upload_checks_dimensions_before_going_upstream(gw):
    key, gid = setup(gw)
    before = gw.sim_stats()
    err = expect_error(upload(gw, key, gid, png(200, 200)), "InvalidParameter")
    assert "200x200" in err["Message"], err
    err = expect_error(upload(gw, key, gid, jpeg(3000, 1000)), "InvalidParameter")
    assert "3000x1000" in err["Message"] and "aspect" in err["Message"], err
    err = expect_error(upload(gw, key, gid, webp(6001, 4000)), "InvalidParameter")
    assert "6001x4000" in err["Message"], err
    # a PNG whose header is cut short: its size cannot be read
    expect_error(upload(gw, key, gid, png(640, 480)[:20]), "InvalidParameter")
    assert blob_files(gw) == (0, 0)
    after = gw.sim_stats()
    assert after.get("assets") == before.get("assets"), (before, after)


def test_media_url_tampered_or_expired_is_forbidden(gw):
    key, gid = setup(gw)
    data = png(640, 480, seed=5)
    url = ok(upload(gw, key, gid, data), "Upload")["URL"]
    assert fetch(url)[0] == 200
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    sig = q["Signature"]

    bad = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
    st, h, body = fetch(with_query(url, Signature=bad))
    assert st == 403 and json.loads(body)["Error"]["Code"] == "Forbidden", (st, body)
    past = str(int(time.time()) - 60)
    assert fetch(with_query(url, Expires=past))[0] == 403
    assert fetch(with_query(url, Signature=None))[0] == 403
    assert fetch(with_query(url, Expires=None))[0] == 403
    assert fetch(with_query(url, Expires=str(int(q["Expires"]) + 1)))[0] == 403

    # A signature made with the real secret for an Expires in the past is
    # refused; the same computation for a future time is accepted, so the
    # refusal is the expiry's doing.
    k = media_key(url)
    with open(os.path.join(gw.data_dir, "media.key"), "rb") as f:
        secret = f.read().strip()

    def signed(expires):
        s = hmac.new(secret, ("%s\n%s" % (k, expires)).encode(), hashlib.sha256).hexdigest()
        return with_query(url, Expires=str(expires), Signature=s)

    assert fetch(signed(int(time.time()) + 600))[0] == 200
    assert fetch(signed(int(time.time()) - 2))[0] == 403

    # Other keys: another object's name under the same signature, traversal.
    other = url.replace(k, k[:-5] + ("0" if k[-5] != "0" else "1") + k[-4:])
    assert fetch(other)[0] == 403
    st, _, _ = portico.http_request(gw.port, "GET", "/v1/media/../portico.db?Expires=9999999999&Signature=" + sig)
    assert st in (403, 404), st
    st, _, _ = portico.http_request(gw.port, "POST", urllib.parse.urlsplit(url).path + "?" +
                                    urllib.parse.urlsplit(url).query, b"")
    assert st == 405, st


def test_delete_asset_and_group_remove_the_bytes(gw):
    key, gid = setup(gw)
    a = ok(upload(gw, key, gid, png(640, 480, seed=1)), "Upload")
    assert blob_files(gw) == (1, 0)
    gw.call(key, "DeleteAsset", {"Id": a["Id"]})
    assert blob_files(gw) == (0, 0)
    st, _, _ = fetch(a["URL"])
    assert st == 404, st  # signed, so saying "gone" reveals nothing

    g2 = gw.create_group(key, "second")
    for i in range(3):
        ok(upload(gw, key, g2, png(400, 400, seed=i)), "Upload")
    ok(upload(gw, key, gid, png(400, 400, seed=9)), "Upload")
    assert blob_files(gw) == (4, 0)
    gw.call(key, "DeleteAssetGroup", {"Id": g2})
    assert blob_files(gw) == (1, 0)  # the other group's upload stays


def test_upload_bad_requests(gw):
    key, gid = setup(gw)
    data = png()
    body, ct = form([("GroupId", gid)])
    err = expect_error(post_upload(gw, key, body, ct), "InvalidParameter")
    assert "file" in err["Message"], err
    body, ct = form([], ("a.png", "image/png", data))
    err = expect_error(post_upload(gw, key, body, ct), "InvalidParameter")
    assert "GroupId" in err["Message"], err
    body, ct = form([("GroupId", gid)], ("a.png", "image/png", data))
    expect_error(post_upload(gw, key, body, "application/json"), "InvalidParameter")
    expect_error(post_upload(gw, key, body, "multipart/form-data"), "InvalidParameter")  # no boundary
    expect_error(post_upload(gw, key, body[:-30], ct), "InvalidParameter")  # truncated
    expect_error(post_upload(gw, key, body.replace(b"Content-Disposition", b"Content-Dispositio"), ct),
                 "InvalidParameter")
    body2, ct2 = form([("GroupId", gid), ("GroupId", gid)], ("a.png", "image/png", data))
    expect_error(post_upload(gw, key, body2, ct2), "InvalidParameter")
    body3, ct3 = form([("GroupId", gid), ("Name", "n" * 51)], ("a.png", "image/png", data))
    expect_error(post_upload(gw, key, body3, ct3), "InvalidParameter")
    body4, ct4 = form([("GroupId", "g" * 2000)], ("a.png", "image/png", data))
    expect_error(post_upload(gw, key, body4, ct4), "InvalidParameter")
    # unknown fields are ignored
    body5, ct5 = form([("Extra", "x" * 5000), ("GroupId", gid)], ("a.png", "image/png", data))
    ok(post_upload(gw, key, body5, ct5), "Upload")

    expect_error(post_upload(gw, None, body, ct), "Unauthorized")
    expect_error(post_upload(gw, "pk_not_a_key", body, ct), "Unauthorized")
    st, _, _ = gw.get(UPLOAD)
    assert st == 405, st
    assert blob_files(gw) == (1, 0)


def staged_bytes(gw):
    d = os.path.join(gw.data_dir, "blobs", "staging")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def wait_staged(gw, timeout=10):
    """Waits until a staging file exists and has stopped growing: the
    gateway has read everything sent so far. (A client's FIN that arrives
    together with the last data can go unnoticed by libmicrohttpd's
    edge-triggered epoll until the idle timeout; see the report.)"""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        n = staged_bytes(gw) if blob_files(gw)[1] else -1
        if n > 0 and n == last:
            return
        last = n
        time.sleep(0.2)
    raise AssertionError("no staging file settled: %r" % (blob_files(gw),))


def test_upload_interrupted_by_a_crash_is_cleaned_at_start_up(gw):
    key, gid = setup(gw)
    body, ct = form([("GroupId", gid)], ("a.png", "image/png", png(640, 480) + b"\0" * (4 * MIB)))
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    try:
        s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n"
                   "Content-Length: %d\r\n\r\n" % (UPLOAD, key, ct, len(body))).encode())
        s.sendall(body[: 2 * MIB])
        wait_staged(gw)
        assert blob_files(gw) == (0, 1), blob_files(gw)
        gw.kill()  # SIGKILL: no chance to clean up
    finally:
        s.close()
    assert blob_files(gw) == (0, 1)
    gw.start()
    assert blob_files(gw) == (0, 0)
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 0
    # and the gateway takes uploads again (a new group: the embedded
    # simulator forgot the old one when the process died)
    ok(upload(gw, key, gw.create_group(key, "after"), png()), "Upload")


def test_upload_abandoned_connection_leaves_nothing(gw):
    key, gid = setup(gw)
    body, ct = form([("GroupId", gid)], ("a.png", "image/png", png(640, 480) + b"\0" * MIB))
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=10)
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\n"
               "Content-Length: %d\r\n\r\n" % (UPLOAD, key, ct, len(body))).encode())
    s.sendall(body[: len(body) // 2])
    wait_staged(gw)
    s.close()
    deadline = time.monotonic() + 10
    while blob_files(gw) != (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert blob_files(gw) == (0, 0), blob_files(gw)


def test_bytes_behind_an_unconfirmed_upload_are_removed_at_start_up(gw):
    """A crash between the commit of the bytes and the confirmation of the
    record leaves a pending reservation naming the key: start-up removes
    those bytes before it drops the reservation."""
    import sqlite3
    key, gid = setup(gw)
    kept = ok(upload(gw, key, gid, png()), "Upload")
    gw.stop()
    orphan = "media/2020/01/01/" + "ab" * 16 + ".png"
    if portico.store_is_pg():  # the same row, through psql (ids are [a-z0-9-], safe to inline)
        pg = portico._pgserver()
        base, db = gw.store_url.rsplit("/", 1)
        pg.psql(base, db, "INSERT INTO assets (group_id, customer_id, type, url, blob_key, state, reserved_ms,"
                " create_ms, update_ms) SELECT '%s', customer_id, 'Image', '', '%s', 0, 1, 1, 1 FROM assets"
                " WHERE id = '%s'" % (gid, orphan, kept["Id"]))
    else:
        db = sqlite3.connect(os.path.join(gw.data_dir, "portico.db"))
        try:
            cust, = db.execute("SELECT customer_id FROM assets WHERE id = ?", (kept["Id"],)).fetchone()
            db.execute("INSERT INTO assets (group_id, customer_id, type, url, blob_key, state, reserved_ms,"
                       " create_ms, update_ms) VALUES (?, ?, 'Image', '', ?, 0, 1, 1, 1)", (gid, cust, orphan))
            db.commit()
        finally:
            db.close()
    path = os.path.join(gw.data_dir, "blobs", "objects", orphan)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png())
    assert blob_files(gw) == (2, 0)
    gw.start()
    assert blob_files(gw) == (1, 0)
    assert not os.path.exists(path)
    st, _, body = fetch(gw.call(key, "GetAsset", {"Id": kept["Id"]})["URL"])
    assert st == 200 and body == png()
    assert gw.call(key, "GetAssetGroup", {"Id": gid})["AssetCount"] == 1


def test_upload_with_chunked_body(gw):
    """No Content-Length: the body is bounded as it streams."""
    import http.client
    key, gid = setup(gw)
    data = png(500, 500, seed=7)

    def send(body, ct):
        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=60)
        try:
            chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
            try:
                conn.request("POST", UPLOAD, body=chunks, encode_chunked=True,
                             headers={"Authorization": "Bearer " + key, "Content-Type": ct,
                                      "Transfer-Encoding": "chunked", "Connection": "close"})
            except (BrokenPipeError, ConnectionResetError):
                pass
            r = conn.getresponse()
            raw = r.read()
            return portico.Resp(r.status, r.headers, json.loads(raw), raw, 0, {"action": "Upload"})
        finally:
            conn.close()

    body, ct = form([("GroupId", gid)], ("a.png", "image/png", data))
    a = ok(send(body, ct), "Upload")
    assert fetch(a["URL"])[2] == data
    big = png(640, 480) + b"\0" * LIMIT
    body, ct = form([("GroupId", gid)], ("a.png", "image/png", big))
    expect_error(send(body, ct), "PayloadTooLarge")
    assert blob_files(gw) == (1, 0)


def test_upload_jpeg_with_dimensions_past_the_first_64_kib_is_left_to_the_upstream(gw):
    """Real photos can carry more metadata than the sniffed head holds: the
    gateway cannot read their size, so it does not reject them for it."""
    key, gid = setup(gw)
    app1 = b"\xff\xe1" + struct.pack(">H", 40002) + b"\0" * 40000
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 600, 800, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    data = b"\xff\xd8" + app1 + app1 + sof0 + b"\xff\xd9"
    a = ok(upload(gw, key, gid, data), "Upload")
    assert fetch(a["URL"])[2] == data
