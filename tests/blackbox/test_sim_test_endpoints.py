"""The simulator's test endpoints (/_sim/stats, /_sim/faults, /_sim/objects)
are not for anyone who can reach its loopback port.

Security review, finding 4: a local process, or a browser page through a
plain text/plain POST, could inject faults that break every tenant or read
every tenant's objects. Now the endpoints exist only when a test token is
set (PORTICO_SIM_TEST_TOKEN, portico-sim --test-token): 404 without it, and
with it 401 without a token and 403 with a wrong one. Checked against a
standalone portico-sim and against the simulator porticod embeds, reached
directly on its port. What else that port serves needs credentials only
porticod holds (Actions: a V4 signature; video tasks: an ARK key), except
the H5 page, which the end user's browser must reach.
"""
import json

from portico import SIM_TEST_TOKEN, Gateway, Sim, http_request

PATHS = [("GET", "/_sim/stats"), ("GET", "/_sim/objects"), ("GET", "/_sim/faults"), ("POST", "/_sim/faults")]


def attack(port, headers=None):
    """What a hostile local page or process sends: no token (or a wrong one);
    the fault switch as a CORS-simple text/plain POST."""
    out = {}
    for method, path in PATHS:
        body = json.dumps({"rate": 1.0}).encode() if method == "POST" else None
        h = {"Content-Type": "text/plain"} if body else {}
        h["Authorization"] = None
        h.update(headers or {})
        st, _, raw = http_request(port, method, path, body, h, timeout=10)
        out[(method, path)] = st
        assert b"groups" not in raw and b"requests" not in raw, (method, path, raw[:200])
    return out


def faults_off(port):
    st, _, raw = http_request(port, "GET", "/_sim/faults", timeout=10)
    assert st == 200, (st, raw)
    return json.loads(raw)["rate"] == 0


def test_standalone_sim_without_a_token_has_no_test_endpoints():
    sim = Sim(env={"PORTICO_SIM_TEST_TOKEN": ""})
    assert set(attack(sim.port).values()) == {404}
    assert set(attack(sim.port, {"Authorization": "Bearer " + SIM_TEST_TOKEN}).values()) == {404}
    sim.stop()


def test_standalone_sim_test_endpoints_need_the_token():
    sim = Sim()
    assert set(attack(sim.port).values()) == {401}
    assert set(attack(sim.port, {"Authorization": "Bearer " + SIM_TEST_TOKEN[:-1] + "x"}).values()) == {403}
    assert set(attack(sim.port, {"Authorization": "Bearer " + SIM_TEST_TOKEN + "x"}).values()) == {403}
    assert set(attack(sim.port, {"Authorization": "Basic " + SIM_TEST_TOKEN}).values()) == {403}
    assert faults_off(sim.port)  # the refused POSTs changed nothing
    st, _, raw = http_request(sim.port, "GET", "/_sim/stats", timeout=10)
    assert st == 200 and "requests" in json.loads(raw), (st, raw)
    st, _, _ = http_request(sim.port, "GET", "/_sim/nothing", timeout=10)
    assert st == 404
    sim.stop()


def test_standalone_sim_test_token_flag():
    sim = Sim(env={"PORTICO_SIM_TEST_TOKEN": ""}, args=["--test-token", "flag-token-0123456789"])
    assert set(attack(sim.port).values()) == {401}
    st, _, _ = http_request(sim.port, "GET", "/_sim/objects", headers={"Authorization": "Bearer flag-token-0123456789"})
    assert st == 200
    sim.stop()


def test_embedded_sim_without_a_token_has_no_test_endpoints():
    gw = Gateway(env={"PORTICO_SIM_TEST_TOKEN": ""})
    key = gw.create_key("tenant")
    gw.create_group(key, "private")
    assert set(attack(gw.sim_port).values()) == {404}
    assert set(attack(gw.sim_port, {"Authorization": "Bearer " + SIM_TEST_TOKEN}).values()) == {404}
    # The gateway still works: nothing was broken for the tenant.
    assert gw.call(key, "ListAssetGroups", {"Filter": {}})["TotalCount"] == 1
    gw.stop()


def test_embedded_sim_reached_directly_refuses_everything_but_the_h5_page():
    gw = Gateway()
    key = gw.create_key("tenant")
    gw.create_group(key, "private")
    assert set(attack(gw.sim_port).values()) == {401}
    assert set(attack(gw.sim_port, {"Authorization": "Bearer wrong"}).values()) == {403}
    assert faults_off(gw.sim_port)
    # Actions need porticod's per-start V4 credentials.
    st, _, raw = http_request(gw.sim_port, "POST", "/?Action=ListAssetGroups&Version=2024-01-01",
                              b'{"Filter":{}}', {"Content-Type": "application/json"})
    assert st == 401 and b"private" not in raw, (st, raw[:300])
    st, _, raw = http_request(gw.sim_port, "POST", "/?Action=ListAssetGroups&Version=2024-01-01",
                              b'{"Filter":{}}', {"Content-Type": "text/plain"})
    assert st == 401, (st, raw[:300])
    # Video tasks need porticod's fresh ARK key.
    st, _, _ = http_request(gw.sim_port, "GET", "/api/v3/contents/generations/tasks/cgt-20260101000000-abcde",
                            headers={"Authorization": "Bearer portico-sim-ark-key"})
    assert st == 401, st
    # The H5 page answers, but only about a token one already holds.
    st, _, _ = http_request(gw.sim_port, "GET", "/h5/liveness?token=%s&lng=en" % ("0" * 34))
    assert st == 404, st
    # The test suite's token still works (it is how the tests watch the simulator).
    assert gw.sim_stats()["groups"] == 1
    gw.stop()
