"""pgtest.py: a throwaway PostgreSQL for the integration tests that need
one (test_pg_store, test_fleet*): tests/tools/pg_server.sh in a state
folder of the test's own, databases made in it, and psql to read what
csmsd stored; fleet_main, the frame of a test of several nodes; lead_of
and events, what the nodes say of the control loop and their event
streams."""
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "pg_server.sh")
state = tempfile.mkdtemp(prefix="csms-pg-")


def pg(cmd, *flags):
    """pg_server.sh CMD (start, stop, down, up) on this test's server."""
    return subprocess.run(["sh", SERVER, cmd, state] + list(flags), capture_output=True, text=True)


def psql(url, sql):
    """The rows of sql (None for NULL; integers as int)."""
    out = subprocess.run(["psql", url, "-X", "-q", "--csv", "-t", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [tuple(None if v == "" else int(v) if re.fullmatch(r"-?\d+", v) else v for v in r)
            for r in csv.reader(io.StringIO(out))]


def database(name):
    """A new database on the server: its URL."""
    server = open(os.path.join(state, "url")).read().strip()
    psql(server, "CREATE DATABASE " + name)
    return server.rsplit("/", 1)[0] + "/" + name


def start(*flags):
    """Starts the server, or exits: 77 (skip) where there is no PostgreSQL
    (a failure with CSMS_REQUIRE_TEST_PEERS), 1 when it does not start."""
    req = ["--require"] if os.environ.get("CSMS_REQUIRE_TEST_PEERS") else []
    started = pg("start", *(list(flags) + req))
    if started.returncode == 77:
        print("SKIP: " + started.stderr.strip())
        sys.exit(77)
    if started.returncode != 0:
        print("PostgreSQL did not start: " + started.stderr)
        sys.exit(1)


def stop():
    pg("stop")
    if os.path.isdir(state) and not os.listdir(state):
        os.rmdir(state)


def ports(n):
    """n distinct free ports, reserved for this test (harness.free_port)."""
    from harness import free_port
    return [free_port() for _ in range(n)]


def wait(cond, timeout, step=0.05):
    """Polls cond every step s: the seconds it took to hold, or None after timeout."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if cond():
            return time.time() - t0
        time.sleep(step)
    return None


def control(nodes, site=None):
    """{node id: the controlNode it names for site} (nodes that answer):
    GET /api/v1/sites/{site}, or /api/v1/dlm without a site."""
    out = {}
    for n in nodes:
        try:
            st, g = n.get("/api/v1/dlm" if site is None else "/api/v1/sites/" + site)
        except Exception:  # noqa: BLE001 (a killed node)
            continue
        if st == 200:
            out[n.node_id] = g.get("controlNode", "absent")
    return out


def one_runs(nodes, site):
    """Every node names the same controlNode for site, and it is one of them."""
    now = control(nodes, site)
    return len(now) == len(nodes) and len(set(now.values())) == 1 and \
        [n for n, v in now.items() if v == n] == list(set(now.values()))


def lead_of(nodes):
    """The node every node of nodes names as running the default site's
    loop (controlNode of GET /api/v1/dlm), or None (they disagree, none
    runs it, or one does not answer)."""
    now = control(nodes)
    names = set(now.values())
    if len(now) != len(nodes) or len(names) != 1:
        return None
    name = names.pop()
    return next((n for n in nodes if n.node_id == name), None)


def start_nodes(url, f, n, settings):
    """Starts n csmsd nodes n0, n1... on url (ports of their own) into
    f.nodes and waits up to 15 s until they all name one node that runs
    the default site's loop: that node (lead_of), or None."""
    from harness import Csmsd, free_port
    for i in range(n):
        d = Csmsd(db=url, node_id="n%d" % i, ws_port=free_port(), admin_port=free_port(), **settings)
        d.node_id = "n%d" % i
        f.nodes.append(d)
    wait(lambda: lead_of(f.nodes) is not None, 15)
    return lead_of(f.nodes)


def start_dlm_nodes(c, url, f, n, **settings):
    """start_nodes with DLM on a fed meter (dlm_sensor api) that decides
    quickly (a 0.2 s tick, no settling, pause or ramp; margin 0), changed
    by settings; checks with c that the nodes name one control node:
    that node, or None."""
    s = dict(unknown_chargers="accept", call_timeout=2, node_lease_s=6, dlm_enabled="true",
             dlm_sensor="api", dlm_tick_ms=200, dlm_settle_s=0, dlm_min_pause_s=0,
             dlm_ramp_a_per_s=100, dlm_margin_a=0, dlm_stale_s=30)
    s.update(settings)
    lead = start_nodes(url, f, n, s)
    c(lead is not None, "the %d nodes name the same control node: %s" % (n, control(f.nodes)))
    return lead


def meter(f, node, house, cars, lag):
    """A grid meter fed to node (PUT /api/v1/dlm/readings, every 0.2 s,
    until f.halt): house A (a number, or a function read at each reading)
    on each phase plus what each car of cars (a list of LimitCharger,
    3-phase) draws, following its limit lag s after it got it."""
    def feed():
        while not f.halt.is_set():
            cur = (house() if callable(house) else house) + sum(car.drawn(lag) for car in cars)
            try:
                node.put("/api/v1/dlm/readings", {"current": [cur] * 3})
            except Exception:  # noqa: BLE001 (a node going away)
                pass
            time.sleep(0.2)
    threading.Thread(target=feed, daemon=True).start()


def events(node, seconds, want=lambda snap: False):
    """Reads GET /api/v1/events of node for up to seconds: the first
    "state" snapshot that want(snapshot) holds for, else the last one
    (None when none came)."""
    import http.client
    import json
    import socket
    conn = http.client.HTTPConnection("127.0.0.1", node.admin_port, timeout=seconds)
    last, end = None, time.time() + seconds
    try:
        conn.request("GET", "/api/v1/events")
        r = conn.getresponse()
        while time.time() < end:
            line = r.fp.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                last = json.loads(line[6:])
                if want(last):
                    break
    except (socket.timeout, OSError):
        pass
    finally:
        conn.close()
    return last


class Fleet:
    """What a test of several nodes makes and fleet_main ends: its nodes
    (Csmsd), its chargers (anything with close()) and an event that stops
    its feeder threads."""

    def __init__(self):
        self.nodes, self.chargers, self.halt = [], [], threading.Event()


def fleet_main(c, name, run):
    """Starts PostgreSQL, runs run(url, fleet) on a new database name, and
    ends it however it went: an exception is a failed check with the nodes'
    logs (and the nodes killed); the feeders stopped, the chargers closed,
    the nodes' folders removed, PostgreSQL stopped; then c.done()."""
    start()
    f = Fleet()
    try:
        run(database(name), f)
    except Exception as e:  # noqa: BLE001
        c(False, "exception: %r\n%s\n%s" % (e, traceback.format_exc(),
                                           "\n".join(d.logtext()[-3000:] for d in f.nodes)))
        for d in f.nodes:
            d.kill()
    finally:
        f.halt.set()
        for ch in f.chargers:
            ch.close()
        for d in f.nodes:
            d.cleanup()
        stop()
    c.done()
