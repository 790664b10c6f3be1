#!/usr/bin/env python3
"""make_corpus.py — writes the seed corpora in tests/fuzz/corpus/<target>/.

Run from anywhere: python3 tests/fuzz/make_corpus.py. Each seed is a small
valid or edge input in the target's input format (see the comment at the
top of each fuzz_<target>.c). Files are named by content, so running it
again changes nothing; reproducers of fixed findings are added by hand as
corpus/<target>/regress-<what> and are kept."""
import hashlib
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "unit", "vectors"))
from volc_sign_independent import sign  # noqa: E402

GROUP = b"group-20240101000000-fuzz1"
ASSET = b"asset-20240101000000-fuzz1"
PROC = b"asset-20240101000000-fuzz2"


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- media

def png(w, h):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\0" + b"\xff\0\0" * w for _ in range(min(h, 2)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(w, h, progressive=False, exif=0):
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    app1 = b"\xff\xe1" + struct.pack(">H", exif + 2) + b"E" * exif if exif else b""
    sof = (b"\xff\xc2" if progressive else b"\xff\xc0") + struct.pack(">HBHHB", 17, 8, h, w, 3) + \
        b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + app1 + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 8 + b"\xff\xd9"


def webp_vp8x(w, h):
    body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def webp_vp8l(w, h):
    bits = (w - 1) | ((h - 1) << 14)
    body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits) + b"\0"
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def webp_vp8(w, h):
    frame = b"\x10\x02\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", w, h) + b"\0" * 8
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def gif(w, h):
    return b"GIF89a" + struct.pack("<HH", w, h) + b"\x00\x00\x00" + b"\x2c" + struct.pack("<HHHH", 0, 0, w, h) + \
        b"\x00\x02\x02\x44\x01\x00\x3b"


def bmp(w, h):
    return b"BM" + struct.pack("<IHHI", 62, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, 8, 0, 0, 0,
                                                                     0) + b"\0" * 8


def tiff(w, h, be=False, long_=False, ifd=8):
    o = ">" if be else "<"
    typ, fmt = (4, "I") if long_ else (3, "H")
    def entry(tag, v):
        val = struct.pack(o + fmt, v) + (b"" if long_ else b"\0\0")
        return struct.pack(o + "HHI", tag, typ, 1) + val
    head = (b"MM\0*" if be else b"II*\0") + struct.pack(o + "I", ifd) + b"\0" * (ifd - 8)
    return head + struct.pack(o + "H", 3) + entry(256, w) + entry(257, h) + \
        struct.pack(o + "HHII", 258, 3, 1, 8) + struct.pack(o + "I", 0)


def box(t, body):
    return struct.pack(">I", 8 + len(body)) + t + body


def heic(w, h, major=b"heic", compat=b"mif1heic", rot=None, wide=False):
    props = box(b"ispe", struct.pack(">III", 0, w // 4 or 1, h // 4 or 1)) + \
        box(b"ispe", struct.pack(">III", 0, w, h)) + (box(b"irot", bytes([rot])) if rot is not None else b"")
    idx = [2] + ([3] if rot is not None else [])
    if wide:
        assoc = struct.pack(">HB", 2, 1) + struct.pack(">H", 1) + struct.pack(">HB", 1, len(idx)) + \
            b"".join(struct.pack(">H", 0x8000 | i) for i in idx)
    else:
        assoc = struct.pack(">HB", 2, 1) + b"\x01" + struct.pack(">HB", 1, len(idx)) + bytes(0x80 | i for i in idx)
    ipma = box(b"ipma", struct.pack(">II", 1 if wide else 0, 2) + assoc)
    meta = box(b"meta", b"\0\0\0\0" + box(b"hdlr", b"\0" * 8 + b"pict" + b"\0" * 13) +
               box(b"pitm", struct.pack(">IH", 0, 1)) + box(b"iprp", box(b"ipco", props) + ipma))
    return box(b"ftyp", major + b"\0\0\0\0" + compat) + meta + box(b"mdat", b"\0" * 8)


def media():
    for w, h in ((400, 400), (300, 6000), (6001, 300), (200, 200), (1, 1), (0, 0), (65535, 65535)):
        put("media", png(w, h))
        put("media", jpeg(w, h))
        put("media", gif(w, h))
        put("media", bmp(w, h))
        if 0 < w <= 16384 and 0 < h <= 16384:
            put("media", webp_vp8x(w, h))
            put("media", webp_vp8l(w, h))
        put("media", webp_vp8(w & 0x3fff, h & 0x3fff))
    put("media", jpeg(800, 600, progressive=True, exif=300))
    put("media", bmp(400, -400))
    put("media", b"II*\0\x08\0\0\0" + b"\0" * 8)
    put("media", b"MM\0*\0\0\0\x08" + b"\0" * 8)
    put("media", b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0\0\0\x08free")
    put("media", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm")
    put("media", b"ID3\x04\0\0\0\0\0\0" + b"\xff\xfb\x90\x00" + b"\0" * 8)
    put("media", b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x44\xac\0\0\x88\x58\x01\0\x02\0\x10\0data\0\0\0\0")
    put("media", b"OggS\0\x02" + b"\0" * 22)
    put("media", b"fLaC\0\0\0\x22" + b"\0" * 34)
    put("media", b"\xff\xd8\xff")
    put("media", b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR")
    put("media", b"RIFF\0\0\0\0WEBPVP8X")
    for w, h in ((640, 480), (300, 700), (299, 400), (70000, 300)):
        put("media", tiff(w & 0xffff, h))
        put("media", tiff(w, h, be=True, long_=True, ifd=64))
        put("media", heic(w, h))
        put("media", heic(w, h, major=b"mif1", compat=b"miaf", rot=1, wide=True))
    put("media", bmp(300, -700))
    put("media", heic(640, 480, major=b"avif", compat=b"mif1miaf"))
    put("media", box(b"ftyp", b"qt  \0\0\2\0qt  ") + box(b"wide", b"") + box(b"mdat", b"\0" * 16))
    put("media", box(b"moov", box(b"mvhd", b"\0" * 100)))
    put("media", b"\0\0\0\0mdat" + b"\0" * 8)
    put("media", b"\0\0\0\x01mdat" + struct.pack(">Q", 24) + b"\0" * 8)


# ---------------------------------------------------------------- multipart

def mp(boundary, parts, chunking=7, ctype=None, close=True, epilogue=b""):
    b = boundary.encode()
    body = b""
    for headers, data in parts:
        body += b"--" + b + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data + b"\r\n"
    if close:
        body += b"--" + b + b"--\r\n" + epilogue
    ct = ctype if ctype is not None else b"multipart/form-data; boundary=" + b
    return ct + b"\n" + bytes([chunking]) + body


def multipart():
    file_part = ([b'Content-Disposition: form-data; name="file"; filename="face.png"', b"Content-Type: image/png"],
                 png(400, 400))
    gid = ([b'Content-Disposition: form-data; name="GroupId"'], GROUP)
    name = ([b'Content-Disposition: form-data; name="Name"'], "名前".encode())
    put("multipart", mp("----WebKitFormBoundary7MA4YWxkTrZu0gW", [gid, name, file_part]))
    put("multipart", mp("xYzZY", [gid, file_part], chunking=1))
    put("multipart", mp("b", [gid], chunking=0xff))
    put("multipart", mp("simple", [gid], ctype=b'multipart/form-data; charset=utf-8; boundary="simple"'))
    put("multipart", mp("a" * 70, [gid, gid, gid, gid, gid, gid, gid, gid, gid]))
    put("multipart", mp("trunc", [gid], close=False))
    put("multipart", mp("epi", [gid], epilogue=b"ignored\r\n--epi--\r\n"))
    put("multipart", mp("hdr", [([b"Content-Disposition: form-data; name=\"x\"", b"X-Long: " + b"h" * 9000], b"1")]))
    put("multipart", mp("q", [([b'Content-Disposition: form-data; name="a\\"b"; filename="c\\\\d.jpg"'], b"\r\n--q")]))
    put("multipart", mp("nodisp", [([b"Content-Type: text/plain"], b"x")]))
    put("multipart", b"text/plain\n\x05--fuzzboundary\r\n\r\n\r\n--fuzzboundary--")


# ---------------------------------------------------------------- sign

def signed(method, host, path, query, body, content_type=None, sign_sha=False, x_date="20240619T071306Z",
           ak="AKLTfuzzaccesskey", tweak=None):
    r = sign(method, host, path, query, x_date, body, "cn-beijing", "ark", ak, "fuzz-secret-key",
             content_type=content_type, sign_sha=sign_sha)
    auth = r["authorization"]
    if tweak:
        auth = tweak(auth)
    fields = [method, path, query, auth, x_date, host, content_type or "", r["payload_hash"] if sign_sha else ""]
    return "\n".join(fields).encode() + b"\n" + body


def sign_seeds():
    body = b'{"Name":"g","GroupType":"AIGC"}'
    q = "Action=CreateAssetGroup&Version=2024-01-01"
    put("sign_verify", signed("POST", "localhost", "/", q, body, "application/json", True))
    put("sign_verify", signed("POST", "127.0.0.1:9000", "/", q, body))
    put("sign_verify", signed("GET", "[::1]:9", "/", "Action=ListAssets&Version=2024-01-01&b=%20x+y&a=",
                              b""))
    put("sign_verify", signed("POST", "localhost:9", "/a%2Fb/c", "x=1&x=0&%41=%7e&=&&", b"{}", "application/json; charset=utf-8"))
    put("sign_verify", signed("POST", "localhost:9", "/", q, body, x_date="20240619T080000Z"))
    put("sign_verify", signed("POST", "localhost:9", "/", q, body, ak="AKLTother"))
    put("sign_verify", signed("POST", "localhost:9", "/", q, body, tweak=lambda a: a.replace("Signature=", "Signature=0")))
    put("sign_verify", signed("POST", "localhost:9", "/", q, body, tweak=lambda a: a.replace(", ", ",")))
    put("sign_verify", b"POST\n/\n\nHMAC-SHA256 Credential=/\n20240619T071306Z\nh\n\n\n")


# ---------------------------------------------------------------- Action bodies

ACTIONS = ["CreateAssetGroup", "GetAssetGroup", "ListAssetGroups", "UpdateAssetGroup", "DeleteAssetGroup",
           "CreateAsset", "GetAsset", "ListAssets", "UpdateAsset", "DeleteAsset", "CreateVisualValidateSession",
           "GetVisualValidateResult", "NoSuchAction"]


def action(name, body, shape=0x20):
    put("action_body", bytes([ACTIONS.index(name), shape]) + body)


ADMIN_ACTIONS = ["CreateCustomer", "ListCustomers", "UpdateCustomer", "CreateApiKey", "ListApiKeys", "RevokeApiKey",
                 "NoSuchAction"]


def admin_action(name, body, shape=0x20):
    """The operators' Action endpoint (byte 0's top bit), API.md §7."""
    put("action_body", bytes([0x80 | ADMIN_ACTIONS.index(name), shape]) + body)


def admin_action_seeds():
    admin_action("CreateCustomer", b'{"Name":"acme","AIGCEnabled":false,"KeyRate":5,"Disabled":false}')
    admin_action("CreateCustomer", '{"Name":"名前\\u0001"}'.encode())
    admin_action("CreateCustomer", b'{"Name":"' + b"x" * 65 + b'","KeyRate":-1}')
    admin_action("ListCustomers", b'{"PageNumber":1,"PageSize":100,"Filter":{"Name":"ac"}}')
    admin_action("ListCustomers", b'{"PageNumber":0,"Filter":"x"}')
    admin_action("UpdateCustomer", b'{"Id":1,"Name":"renamed","KeyRate":1000000,"Disabled":true,"AIGCEnabled":true}')
    admin_action("UpdateCustomer", b'{"Id":9223372036854775807}')
    admin_action("CreateApiKey", b'{"CustomerId":1}')
    admin_action("CreateApiKey", b'{"CustomerId":-9223372036854775808}')
    admin_action("ListApiKeys", b'{"CustomerId":1,"PageSize":2,"PageNumber":2}')
    admin_action("RevokeApiKey", b'{"Prefix":"ptc_AAAAAAAA"}')
    admin_action("RevokeApiKey", b'{"Prefix":"' + b"p" * 300 + b'"}')
    admin_action("NoSuchAction", b"{}")
    admin_action("ListCustomers", b"{}", shape=0x04)
    admin_action("ListCustomers", b"{}", shape=0x10)


def action_seeds():
    g, a = GROUP.decode(), ASSET.decode()
    action("CreateAssetGroup", b'{"Name":"team","GroupType":"AIGC","Description":"d"}')
    action("CreateAssetGroup", '{"Name":"名前名前","GroupType":"LivenessFace"}'.encode())
    action("CreateAssetGroup", b'{"Name":' + b'"' + b"x" * 51 + b'"}')
    action("GetAssetGroup", ('{"Id":"%s"}' % g).encode())
    action("GetAssetGroup", b'{"Id":"group-x"}')
    action("ListAssetGroups", b'{"PageNumber":1,"PageSize":100,"Filter":{"GroupType":"AIGC","Name":"fuzz"}}')
    action("ListAssetGroups", b'{"PageNumber":0,"PageSize":101}')
    action("ListAssetGroups", b'{"PageNumber":2147483647,"PageSize":-2147483648}')
    action("UpdateAssetGroup", ('{"Id":"%s","Name":"n","Description":""}' % g).encode())
    action("DeleteAssetGroup", ('{"Id":"%s"}' % g).encode())
    action("CreateAsset", ('{"GroupId":"%s","URL":"http://127.0.0.1:9/a.png","AssetType":"Image","Name":"a"}'
                           % g).encode())
    action("CreateAsset", ('{"GroupId":"%s","URL":"ftp://127.0.0.1:9/","AssetType":"Sticker"}' % g).encode())
    action("GetAsset", ('{"Id":"%s"}' % a).encode())
    action("GetAsset", ('{"Id":"%s"}' % PROC.decode()).encode())
    action("ListAssets", ('{"Filter":{"GroupIds":["%s"],"Statuses":["Active","Processing"],"AssetType":"Image",'
                          '"Name":"f"},"PageSize":5}' % g).encode())
    action("ListAssets", b'{"Filter":{"GroupIds":[1],"Statuses":"Active"}}')
    action("UpdateAsset", ('{"Id":"%s","Name":"renamed"}' % a).encode())
    action("DeleteAsset", ('{"Id":"%s"}' % a).encode())
    action("CreateVisualValidateSession", b'{"CallbackURL":"http://127.0.0.1:9/cb"}')
    action("GetVisualValidateResult", b'{"BytedToken":"tok123"}')
    action("NoSuchAction", b"{}")
    action("GetAsset", b"[1,2]")
    action("GetAsset", b'{"Id":"a","Id":"b"}')
    action("GetAsset", b'{"Id":"a\\u0000b"}')
    action("GetAsset", b"")
    action("GetAsset", b"{", shape=0x00)
    action("CreateAssetGroup", b"{}", shape=0x7f)
    action("CreateAssetGroup", b"{}", shape=0x04)
    action("CreateAssetGroup", b"{}", shape=0x01)


def video(body, shape=0):
    put("video_body", bytes([shape]) + body)


def video_seeds():
    a = ASSET.decode()
    video(b'{"model":"seedance-2.0","prompt":"a cat","ratio":"16:9","resolution":"720p","duration":5}')
    video(('{"model":"seedance-2.0","prompt":"p","content":[{"type":"image_url","image_url":{"url":"asset://%s"},'
           '"role":"reference_image"},{"type":"video_url","video_url":{"url":"http://127.0.0.1:9/v.mp4"}}]}'
           % a).encode())
    video(('{"model":"seedance-1.5-pro","prompt":"p","content":[{"type":"image_url","image_url":{"url":"asset://%s"}'
           ',"role":"first_frame"}]}' % a).encode())
    video(('{"model":"seedance-2.0-fast","content":[{"type":"image_url","image_url":{"url":"asset://%s"}}]}'
           % PROC.decode()).encode())
    video(b'{"model":"seedance-2.0","prompt":"p","content":[{"type":"audio_url","audio_url":{"url":"http://127.0.0.1:9/a.mp3"}}'
          b',{"type":"text"},{}]}')
    video(b'{"model":"nope","duration":99999999999}')
    video(b'{"model":"seedance-2.0","prompt":"' + "字".encode() * 2001 + b'"}')
    video(b'{"content":"x"}')
    video(b'{"content":[1,2,3,4,5,6,7,8,9,10,11]}')
    video(b"cgt-20240101000000-abcde", shape=5)
    video(b"../../etc/passwd", shape=13)
    video(b"{}", shape=6)
    video(b"{}", shape=7)


def route(sel, path, listen=b"127.0.0.1:8080"):
    put("route", bytes([sel]) + path + b"\n" + listen)


def route_seeds():
    for sel, p in ((0, b"/healthz"), (0, b"/readyz"), (0, b"/metrics"), (1, b"/healthz"), (1, b"/v1/portrait/"),
                   (0, b"/v1/portrait"), (8, b"/v1/videos/generations/cgt-1"), (9, b"/v1/videos/generations"),
                   (0, b"/v1/media/media/2024/01/01/abc.png"), (0, b"/v1/media/../../x"), (1, b"/v1/portrait/upload"),
                   (0, b"/v1/portrait/upload"), (0, b"/"), (0, b""), (0xff, b"/healthz"), (3, b"/v1/videos/generations/"),
                   # the admin listener (bit 5; bit 6: an admin key): /metrics lives there only, /admin/ is
                   # its Action endpoint, and neither is on the public one
                   (0x20, b"/metrics"), (0x20 | 0x40 | 0x08 | 0x10 | 1, b"/admin/"), (0x20 | 0x08 | 0x10 | 1, b"/admin/"),
                   (0x40 | 0x08 | 0x10 | 1, b"/admin/"), (0x20 | 0x40 | 0x08 | 1, b"/admin"), (0x20, b"/v1/portrait/")):
        route(sel, p)
    route(0, b"/x", b"[::1]:8080")
    route(0, b"/x", b":0")
    route(0, b"/x", b"[::1]")
    route(0, b"/x", b"host:99999")
    route(0, b"/x", b"h" * 300 + b":1")


def blob_seeds():
    put("blob_keys", b"media/2024/01/01/0123456789abcdef0123456789abcdef.png\n99999999999\n" + b"0" * 64)
    put("blob_keys", b"a/./b\n1\nx")
    put("blob_keys", b"../x\n1\nx")
    put("blob_keys", b"a//b\n\n")
    put("blob_keys", b"a\n999999999999999999999\n" + b"f" * 64)
    put("blob_keys", b"k" * 127 + b"\n1700000001\n" + b"A" * 64)


def upstream_seeds():
    ok = b'{"ResponseMetadata":{"RequestId":"r","Action":"GetAsset"},"Result":{"Id":"asset-20240101000000-abcde",' \
         b'"GroupId":"group-20240101000000-abcde","Status":"Active","ExpireTime":"2024-06-19T07:13:06.123Z"}}'
    put("upstream_response", b"\x00" + ok)
    put("upstream_response", b"\x04" + b'{"ResponseMetadata":{"Error":{"Code":"InvalidParameter","Message":"m"}}}')
    put("upstream_response", b"\x00" + b'{"ResponseMetadata":{"Error":{"Code":"NotFound","Message":"m"}}}')
    put("upstream_response", b"\x08" + b'{"ResponseMetadata":{"Error":{"Code":"FlowLimitExceeded"}}}')
    put("upstream_response", b"\x09" + b"<html>502</html>")
    put("upstream_response", b"\x00" + b'{"Result":[]}')
    put("upstream_response", b"\x00")
    put("upstream_response", b"\x00" + b'{"id":"cgt-20240101000000-abcde","model":"m","status":"succeeded",'
                             b'"content":{"video_url":"http://127.0.0.1:9/v.mp4"},"usage":{"completion_tokens":1,'
                             b'"total_tokens":2},"created_at":1718781186,"updated_at":1718781190}')
    put("upstream_response", b"\x00" + b'{"id":"cgt-20240101000000-abcde","status":"failed","error":{"code":"E",'
                             b'"message":"bad"}}')
    put("upstream_response", b"\x00" + b'{"id":"cgt-20240101000000-abcde","status":"expired","error":null}')
    put("upstream_response", b"\x00" + b'{"id":"cgt-1","status":"running","created_at":-9223372036854775808}')
    put("upstream_response", b"\x04" + b'{"error":{"code":"InvalidParameter","message":"m"}}')
    put("upstream_response", b"\x00" + b"2024-02-30T25:61:61Z")


def sim(*reqs):
    put("sim_request", b"".join(a.encode() + b"\n" + body + b"\0" for a, body in reqs))


def sim_seeds():
    sim(("CreateAssetGroup", b'{"Name":"g","GroupType":"AIGC","Description":"d"}'),
        ("GetAssetGroup", b'{"Id":"@G"}'), ("ListAssetGroups", b'{"PageNumber":1,"PageSize":10,"Filter":{"Name":"g"}}'),
        ("UpdateAssetGroup", b'{"Id":"@G","Name":"h"}'), ("DeleteAssetGroup", b'{"Id":"@G"}'))
    sim(("CreateAssetGroup", b'{"Name":"g","GroupType":"AIGC"}'),
        ("CreateAsset", b'{"GroupId":"@G","URL":"http://127.0.0.1:9/a.png","AssetType":"Image","Name":"a"}'),
        ("!ok", b""), ("GetAsset", b'{"Id":"@A"}'),
        ("ListAssets", b'{"Filter":{"GroupIds":["@G"],"Statuses":["Active"]},"PageSize":100}'),
        ("UpdateAsset", b'{"Id":"@A","Name":"b"}'), ("DeleteAsset", b'{"Id":"@A"}'))
    sim(("CreateAssetGroup", b'{"Name":"g","GroupType":"AIGC"}'),
        ("CreateAsset", b'{"GroupId":"@G","URL":"http://127.0.0.1:9/v.mp4","AssetType":"Video"}'), ("!bad", b""),
        ("GetAsset", b'{"Id":"@A"}'))
    sim(("CreateVisualValidateSession", b'{"CallbackURL":"http://127.0.0.1:9/cb?x=1"}'),
        ("GetVisualValidateResult", b'{"BytedToken":"@T"}'), ("!pass", b""),
        ("GetVisualValidateResult", b'{"BytedToken":"@T"}'), ("!fail", b""))
    sim(("CreateVisualValidateSession", b"{}"), ("!fail", b""), ("GetVisualValidateResult", b'{"BytedToken":"@T"}'))
    sim(("~GetAsset", b"{}"), ("Nope", b"{}"), ("GetAsset", b"[]"), ("GetAsset", b"{"), ("ListAssets", b""))
    sim(("ListAssetGroups", b'{"PageNumber":-1,"PageSize":1000000,"Filter":{"GroupType":1}}'))


def upload_seeds():
    g = ([b'Content-Disposition: form-data; name="GroupId"'], GROUP)
    f = lambda data, fn=b"face.png", ct=b"image/png": (
        [b'Content-Disposition: form-data; name="file"; filename="' + fn + b'"', b"Content-Type: " + ct], data)
    nm = ([b'Content-Disposition: form-data; name="Name"'], b"face one")
    put("upload", mp("B0undary", [g, nm, f(png(400, 400))], chunking=0x05))
    put("upload", mp("B0undary", [f(jpeg(640, 480), b"a.jpg", b"image/jpeg"), g], chunking=0x41))
    put("upload", mp("B0undary", [g, f(webp_vp8x(512, 512), b"a.webp", b"image/webp")], chunking=0x3f))
    put("upload", mp("B0undary", [g, f(png(100, 100))], chunking=0x02))
    put("upload", mp("B0undary", [g, f(gif(400, 400), b"a.gif", b"image/gif")]))
    put("upload", mp("B0undary", [g, f(b"not an image")]))
    put("upload", mp("B0undary", [f(png(400, 400))]))
    put("upload", mp("B0undary", [g]))
    put("upload", mp("B0undary", [g, g, f(png(400, 400))]))
    put("upload", mp("B0undary", [([b'Content-Disposition: form-data; name="GroupId"'], b"x" * 1100),
                                  f(png(400, 400))]))
    put("upload", mp("B0undary", [g, f(png(400, 400))], close=False, chunking=0x81))
    put("upload", b"application/json\n\x01{}")


def url_policy_seeds():
    for allow, url in [
            (b"", b"https://Media.LocalHost/a.png"),
            (b"", b"http://127.0.0.1:8080/img/1.png"),
            (b"", b"http://2130706433/"), (b"", b"http://0x7f000001/"), (b"", b"http://0177.0.0.1/"),
            (b"", b"http://127.1/"), (b"", b"http://0x7f.1/"), (b"", b"http://127.0.0.1./"),
            (b"", b"http://[::1]:80/"), (b"", b"http://[::ffff:127.0.0.1]/"), (b"", b"http://[64:ff9b::7f00:1]/"),
            (b"", b"http://[2002:7f00:1::1]/"), (b"", b"http://[::1%25lo]/"),
            (b"", b"http://127.0.0.1/latest/meta-data/"), (b"", b"http://localhost./"),
            (b"", b"http://a.localhost:1/"), (b"", b"http://user:pass@localhost/"),
            (b"", b"http://localhost?@127.0.0.1/"), (b"", b"http://localhost\\@127.0.0.1/"),
            (b"", b"ftp://localhost/"), (b"", b"http://localhost:65536/"), (b"", b"http://127.0.0.256/"),
            (b"127.0.0.0/8,media.localhost,gw.localhost:8443,[::1]:9000,::127.0.0.0/104", b"http://localhost:9/"),
            (b"127.0.0.2", b"http://127.0.0.2:8000/x"), (b"::1,127.0.0.0/33, bad host", b"http://[::1]/")]:
        put("url_policy", allow + b"\n" + url)


# ---------------------------------------------------------------- media_probe
# Small MP4/MOV/WAV/MP3 files built by hand (the same shapes as
# tests/unit/test_media_probe.c): every box and chunk the probe reads.

def full(t, version, body):
    return box(t, struct.pack(">I", version << 24) + body)


def trak(video, v1=False, rotation=0, frames=50, stco_at=0):
    ts, delta = (12800, 512) if video else (48000, 1024)
    mats = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}
    a, b, c, d = mats[rotation]
    matrix = struct.pack(">9i", a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 0x40000000)
    w, h = (1920 << 16, 1080 << 16) if video else (0, 0)
    if v1:
        tkhd = full(b"tkhd", 1, struct.pack(">QQIIQ", 0, 0, 1, 0, 2000) + b"\0" * 16 + matrix + struct.pack(">II", w, h))
        mdhd = full(b"mdhd", 1, struct.pack(">QQIQ", 0, 0, ts, frames * delta) + b"\0" * 4)
    else:
        tkhd = full(b"tkhd", 0, struct.pack(">IIIII", 0, 0, 1, 0, 2000) + b"\0" * 16 + matrix + struct.pack(">II", w, h))
        mdhd = full(b"mdhd", 0, struct.pack(">IIII", 0, 0, ts, frames * delta) + b"\0" * 4)
    hdlr = full(b"hdlr", 0, b"\0" * 4 + (b"vide" if video else b"soun") + b"\0" * 13)
    if video:
        entry = box(b"avc1", b"\0" * 6 + b"\0\1" + b"\0" * 16 + struct.pack(">HH", 1280, 720) + b"\0" * 50)
    else:
        # esds: ES_Descriptor > DecoderConfigDescriptor (AAC) > AudioSpecificConfig (LC, 48 kHz, mono)
        dsi = b"\x05\x02\x11\x88"
        dcd = b"\x04" + bytes([13 + len(dsi)]) + b"\x40\x15" + b"\0" * 11 + dsi
        esds = full(b"esds", 0, b"\x03" + bytes([3 + len(dcd)]) + b"\0\1\0" + dcd)
        entry = box(b"mp4a", b"\0" * 6 + b"\0\1" + b"\0" * 8 + struct.pack(">HHII", 2, 16, 0, 48000 << 16) + esds)
    stbl = box(b"stbl", full(b"stsd", 0, struct.pack(">I", 1) + entry) +
               full(b"stts", 0, struct.pack(">III", 1, frames, delta)) +
               full(b"stsc", 0, struct.pack(">IIII", 1, 1, frames, 1)) +
               full(b"stsz", 0, struct.pack(">II", 4, frames)) +
               full(b"stco", 0, struct.pack(">II", 1, stco_at)))
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + box(b"minf", stbl)))


def mp4(v1=False, moov_last=False, audio=True, rotation=0, brand=b"isom"):
    ftyp = box(b"ftyp", brand + b"\0\0\2\0" + brand + b"mp41")
    mdat_body = b"\0" * (50 * 4 * (2 if audio else 1))

    def moov(data_at):
        mvhd = full(b"mvhd", 1, struct.pack(">QQIQ", 0, 0, 1000, 2000) + b"\0" * 80) if v1 else \
            full(b"mvhd", 0, struct.pack(">IIII", 0, 0, 1000, 2000) + b"\0" * 80)
        traks = trak(True, v1, rotation, stco_at=data_at)
        if audio:
            traks += trak(False, v1, stco_at=data_at + 200)
        return box(b"moov", mvhd + traks)
    if moov_last:
        return ftyp + box(b"mdat", mdat_body) + moov(len(ftyp) + 8)
    size = len(moov(0))
    return ftyp + moov(len(ftyp) + size + 8) + box(b"mdat", mdat_body)


def wav(ch=2, rate=16000, bits=16, seconds=0.25, extra=b""):
    data = b"\0" * int(rate * ch * bits // 8 * seconds)
    fmt = struct.pack("<HHIIHH", 1, ch, rate, rate * ch * bits // 8, ch * bits // 8, bits)
    body = b"WAVE" + extra + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def mp3_frame(tag=None, frames=20, nbytes=0):
    f = bytearray(b"\xff\xfb\x90\x00" + b"\0" * 413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes
    if tag == b"VBRI":
        f[36:36 + 18] = b"VBRI\0\1\0\0\0\0" + struct.pack(">II", nbytes, frames)
    elif tag:
        f[36:36 + 16] = tag + struct.pack(">III", 3, frames, nbytes)
        f[52:52 + 24] = b"LAME3.100" + b"\0" * 12 + b"\x24\x02\x10"
    return bytes(f)


def fmp4():
    """A fragmented MP4: an empty moov with mvex/trex, then moof + mdat twice."""
    ftyp = box(b"ftyp", b"iso5\0\0\2\0iso5iso6mp41")
    mvex = box(b"mvex", full(b"mehd", 0, struct.pack(">I", 0)) +
               full(b"trex", 0, struct.pack(">IIIII", 1, 1, 512, 0, 0)))
    moov = box(b"moov", full(b"mvhd", 0, struct.pack(">IIII", 0, 0, 1000, 0) + b"\0" * 80) +
               trak(True, frames=0) + mvex)
    out = ftyp + moov
    for seq in (1, 2):
        tfhd = full(b"tfhd", 0, struct.pack(">I", 1)) if seq == 1 else \
            box(b"tfhd", struct.pack(">II", 0x020008, 1) + struct.pack(">I", 512))
        trun = box(b"trun", struct.pack(">III", 0x000301, 3, 0) + struct.pack(">6I", 512, 4, 512, 4, 512, 4)) \
            if seq == 1 else box(b"trun", struct.pack(">II", 0x000200, 3) + struct.pack(">3I", 4, 4, 4))
        out += box(b"moof", full(b"mfhd", 0, struct.pack(">I", seq)) + box(b"traf", tfhd + trun))
        out += box(b"mdat", b"\0" * 12)
    return out


def media_probe_seeds():
    for v1 in (False, True):
        for last in (False, True):
            put("media_probe", mp4(v1=v1, moov_last=last))
    put("media_probe", mp4(audio=False, rotation=90))
    put("media_probe", mp4(brand=b"qt  ", moov_last=True))
    put("media_probe", mp4(audio=False)[:300])  # cut short
    put("media_probe", fmp4())
    put("media_probe", wav())
    put("media_probe", wav(1, 8000, 8, 0.1, extra=b"LIST\x05\0\0\0INFOx\0"))
    put("media_probe", b"ID3\4\0\0\0\0\0\x20" + b"\0" * 32 + mp3_frame(b"Xing", 5, 6 * 417) + mp3_frame() * 5)
    put("media_probe", mp3_frame(b"Info", 4, 5 * 417) + mp3_frame() * 4 + b"TAG" + b"\0" * 125)
    put("media_probe", mp3_frame(b"VBRI", 3, 4 * 417) + mp3_frame() * 3)
    put("media_probe", mp3_frame() * 4)
    put("media_probe", b"\xff\xf3\x48\xc4" + b"\0" * 140 + b"\xff\xf3\x48\xc4" + b"\0" * 140)  # MPEG-2 layer III


def main():
    url_policy_seeds()
    media()
    media_probe_seeds()
    multipart()
    sign_seeds()
    action_seeds()
    admin_action_seeds()
    video_seeds()
    route_seeds()
    blob_seeds()
    upstream_seeds()
    sim_seeds()
    upload_seeds()


if __name__ == "__main__":
    main()
