"""Prices and PV forecasts from providers (issue 16, item 3), against a
local fake server answering in each provider's documented shape (aWATTar,
ENTSO-E XML, Tibber GraphQL, a generic mapping; forecast.solar, Solcast):
after a fetch GET /api/v1/station shows the provider's prices, converted
(EUR/MWh -> per kWh, + price_fee, * (1 + price_vat)), and the PV forecast
the optimiser plans with; a price change moves the optimiser's plan; a
server error or a bad answer keeps the old prices and raises the site
alarm priceFeed until a fetch works again. The simulated house runs on
its own clock (station_sim_start), which the feeds follow."""
import http.server
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from harness import Csmsd, Checks, free_port

c = Checks()
T0 = datetime(2026, 1, 15, 22, 0, tzinfo=timezone.utc)  # the house's clock starts here: a winter night
H = timedelta(hours=1)


def ms(t):
    return int(t.timestamp() * 1000)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Fake:
    """Answers each path with what serve[path] holds: (status, body, content type)."""

    def __init__(self):
        self.port = free_port()
        self.serve = {}
        self.hits = {}
        fake = self

        class Hnd(http.server.BaseHTTPRequestHandler):
            def answer(self):
                path = self.path.split("?")[0]
                fake.hits.setdefault(path, []).append((self.command, self.path, dict(self.headers)))
                if self.command == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                st, body, ctype = fake.serve.get(path, (404, "{}", "application/json"))
                data = body.encode()
                self.send_response(st)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = answer
            do_POST = answer

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Hnd)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def awattar(prices_mwh, start=T0 - H):
    return json.dumps({"object": "list", "data": [
        {"start_timestamp": ms(start + i * H), "end_timestamp": ms(start + (i + 1) * H), "marketprice": p,
         "unit": "Eur/MWh"} for i, p in enumerate(prices_mwh)], "url": "/at/v1/marketdata"})


def entsoe(prices_mwh, start=T0 - 2 * H):
    pts = "".join("<Point><position>%d</position><price.amount>%.2f</price.amount></Point>" % (i + 1, p)
                  for i, p in enumerate(prices_mwh))
    end = start + len(prices_mwh) * H
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Publication_MarketDocument "
            "xmlns=\"urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3\"><type>A44</type><TimeSeries>"
            "<curveType>A03</curveType><Period><timeInterval><start>%s</start><end>%s</end></timeInterval>"
            "<resolution>PT60M</resolution>%s</Period></TimeSeries></Publication_MarketDocument>"
            % (start.strftime("%Y-%m-%dT%H:%MZ"), end.strftime("%Y-%m-%dT%H:%MZ"), pts))


def tibber(totals, start=T0 - H):
    cet = timezone(timedelta(hours=1))
    today = [{"total": p, "energy": p * 0.8, "tax": p * 0.2,
              "startsAt": (start + i * H).astimezone(cet).strftime("%Y-%m-%dT%H:%M:%S.000+01:00")}
             for i, p in enumerate(totals)]
    return json.dumps({"data": {"viewer": {"homes": [{"currentSubscription": {"priceInfo": {
        "today": today, "tomorrow": []}}}]}}})


def generic(prices_ct, start=T0):
    return json.dumps({"result": {"prices": [{"t": int((start + i * H / 4).timestamp()), "ct": p}
                                             for i, p in enumerate(prices_ct)]}})


def fsolar(watts_per_hour, start=T0 - H):
    w = {}
    for i, v in enumerate(watts_per_hour):
        # a constant power through each hour: two points per hour
        w[(start + i * H).strftime("%Y-%m-%d %H:%M:%S")] = v
        w[(start + i * H + timedelta(minutes=59, seconds=59)).strftime("%Y-%m-%d %H:%M:%S")] = v
    return json.dumps({"result": {"watts": w, "watt_hours": {}}, "message": {"code": 0, "type": "success"}})


def solcast(kw_per_halfhour, start=T0):
    return json.dumps({"forecasts": [{"pv_estimate": v, "pv_estimate10": v, "pv_estimate90": v,
                                      "period_end": iso(start + (i + 1) * timedelta(minutes=30)),
                                      "period": "PT30M"} for i, v in enumerate(kw_per_halfhour)]})


def wait(pred, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return pred()


ANSWERS = []  # GET /api/v1/station answers with feeds, checked against csms/api/openapi.json at the end


def station(d):
    st, body = d.get("/api/v1/station")
    if body and body.get("feeds") and len(ANSWERS) < 40:
        ANSWERS.append({"method": "GET", "pattern": "/api/v1/station", "status": st, "type": "application/json",
                        "body": json.dumps(body), "what": "station with feeds"})
    return body


def feed(d, name):
    return (station(d).get("feeds") or {}).get(name) or {}


def alarm(d, source):
    return [a for a in d.get("/api/v1/alarms?active=true")[1] if a["source"] == source]


def near_list(a, b, eps=1e-5):
    return len(a) == len(b) and all(abs(x - y) < eps for x, y in zip(a, b))


fake = Fake()
SIM = dict(station_sim_start=iso(T0), station_speed=1, station_tick_ms=200)
daemons = []


def start(**kw):
    s = dict(SIM)
    s.update(kw)
    d = Csmsd(**s)
    daemons.append(d)
    return d


try:
    # ---- aWATTar with fee and VAT; forecast.solar; the optimiser uses both ----
    flat = [250.0] * 30
    fake.serve["/awattar"] = (200, awattar(flat), "application/json")
    pv = [0, 0, 0, 0, 0, 0, 400, 0] + [0] * 30  # from 21:00: 400 W at 03:00, a night no model predicts
    fake.serve["/fsolar"] = (200, fsolar(pv), "application/json")
    d = start(price_source="awattar", price_url=fake.url("/awattar"), price_fee=0.1, price_vat=0.2,
              price_refresh_s=10, forecast_source="forecast_solar", forecast_url=fake.url("/fsolar"),
              forecast_refresh_s=10)
    c.eq(d.put("/api/v1/station", {"mode": "optimise", "confirm": True})[0], 200, "optimising mode")
    f = wait(lambda: feed(d, "prices").get("lastSuccess") and feed(d, "prices"))
    c(f and f["source"] == "awattar" and f["error"] is None and f["slotS"] == 3600,
      "prices fetched: %s" % f)
    p = station(d)["prices"]
    c(p and p["slotS"] == 3600 and p["start"].startswith("2026-01-15T22:00:00"), "the list from the hour in "
      "progress on the house's clock: %s" % (p and p["start"]))
    want = [(250 / 1000 + 0.1) * 1.2] * p["count"]
    c(near_list(p["importPrice"], want), "import = (market + fee) * (1 + vat): %s" % p["importPrice"][:3])
    c.eq(p["count"], 29, "the provider's hours from the one in progress on")
    fp = wait(lambda: feed(d, "pvForecast").get("lastSuccess") and feed(d, "pvForecast"))
    c(fp and fp["slotS"] == 900 and fp["error"] is None, "PV forecast fetched: %s" % fp)
    nxt = station(d)["forecast"]["next"]
    c(len(nxt) == 6 and [round(x["pvW"]) for x in nxt] == [0, 0, 0, 0, 0, 400],
      "the optimiser's PV forecast is the provider's (a sunny night, to be sure): %s" % nxt)

    # ---- a price change moves the plan ----
    plan0 = wait(lambda: station(d)["plan"])
    time.sleep(1)
    plan0 = station(d)["plan"]
    hits = len(fake.hits["/awattar"])
    cheap_then_dear = [0.0] * 4 + [3000.0] * 26  # from 21:00: the hour in progress and two more cheap
    fake.serve["/awattar"] = (200, awattar(cheap_then_dear), "application/json")
    wait(lambda: len(fake.hits["/awattar"]) > hits and
         abs(station(d)["prices"]["importPrice"][0] - 0.12) < 1e-6, 20)
    p = station(d)["prices"]
    c(near_list(p["importPrice"][:4], [(0 + 0.1) * 1.2] * 3 + [(3 + 0.1) * 1.2]),
      "the changed prices in force: %s" % p["importPrice"][:4])
    time.sleep(1)
    plan1 = station(d)["plan"]
    c(plan0["batW"] < -200 and plan0["gridW"] < 1 and plan1["batW"] >= 0 and plan1["gridW"] > 200,
      "cheap now, dear later: the plan moves from covering the load from the battery to buying it and "
      "keeping the battery for the dear hours (batW %s -> %s, gridW %s -> %s)"
      % (plan0["batW"], plan1["batW"], plan0["gridW"], plan1["gridW"]))
    print("plan before %s, after %s" % (plan0, plan1))

    # ---- server errors and bad answers: old prices kept, alarm raised, cleared when it works ----
    before = station(d)["prices"]
    for status, body, why in ((500, "oops", "HTTP 500"), (200, "{\"data\": [", "not JSON"),
                              (200, awattar([float("nan")] * 30).replace("NaN", "\"NaN\""), "must be numbers"),
                              (200, awattar([90000.0] * 30), "absurd"),
                              (200, awattar([50.0] * 3, start=T0 - 5 * H), "stale")):
        hits = len(fake.hits["/awattar"])
        fake.serve["/awattar"] = (status, body, "application/json")
        c(wait(lambda: len(fake.hits["/awattar"]) > hits and why in (feed(d, "prices").get("error") or ""), 25),
          "%s: the error shown: %s" % (why, feed(d, "prices").get("error")))
        a = alarm(d, "priceFeed")
        c(a and a[0]["code"] == "FeedError" and a[0]["charger"] is None, "%s: alarm priceFeed: %s" % (why, a))
        c.eq(station(d)["prices"], before, "%s: the prices are the old ones" % why)
    hits = len(fake.hits["/awattar"])
    fake.serve["/awattar"] = (200, awattar(flat), "application/json")
    c(wait(lambda: not alarm(d, "priceFeed") and feed(d, "prices").get("error") is None, 30),
      "a good fetch clears the alarm")
    c("priceFeed" not in d.logtext() or "FeedError cleared" in d.logtext(), "the clear logged")
    c.eq(d.stop(), 0, "stop")

    # ---- ENTSO-E, Tibber, generic, Solcast ----
    mwh = [40.0, 60.0] + [float(i) for i in range(100, 124)]
    fake.serve["/entsoe"] = (200, entsoe(mwh), "application/xml")
    d = start(price_source="entsoe", price_url=fake.url("/entsoe"), price_token="TOKEN", price_area="10YAT-APG------L")
    f = wait(lambda: feed(d, "prices").get("lastSuccess") and feed(d, "prices"))
    p = station(d)["prices"]
    c(f and near_list(p["importPrice"], [x / 1000 for x in mwh[2:]]),
      "ENTSO-E: from the hour in progress, per kWh: %s" % (p and p["importPrice"][:3]))
    q = fake.hits["/entsoe"][0][1]
    c("securityToken=TOKEN" in q and "documentType=A44" in q and "in_Domain=10YAT-APG------L" in q and
      "periodStart=202601150000" in q, "ENTSO-E query: %s" % q)
    c.eq(d.stop(), 0, "stop")

    fake.serve["/tibber"] = (200, tibber([0.31, 0.32, 0.33, 0.34]), "application/json")
    d = start(price_source="tibber", price_url=fake.url("/tibber"), price_token="TIB", price_fee=5, price_vat=0.5)
    f = wait(lambda: feed(d, "prices").get("lastSuccess") and feed(d, "prices"))
    p = station(d)["prices"]
    c(f and near_list(p["importPrice"], [0.32, 0.33, 0.34]), "Tibber: total as it is (no fee, no VAT): %s"
      % (p and p["importPrice"]))
    m, _, hdr = fake.hits["/tibber"][0]
    c(m == "POST" and hdr.get("Authorization") == "Bearer TIB", "Tibber: a GraphQL POST with the token")
    c.eq(d.stop(), 0, "stop")

    fake.serve["/generic"] = (200, generic([20.0, 21.5, 23.0, 19.0]), "application/json")
    d = start(price_source="generic", price_url=fake.url("/generic"), price_path="result.prices",
              price_start_field="t", price_field="ct", price_factor=0.01)
    f = wait(lambda: feed(d, "prices").get("lastSuccess") and feed(d, "prices"))
    p = station(d)["prices"]
    c(f and p["slotS"] == 900 and near_list(p["importPrice"], [0.2, 0.215, 0.23, 0.19]),
      "generic: 15-minute slots, ct -> per kWh: %s" % (p and p["importPrice"]))
    c.eq(d.stop(), 0, "stop")

    fake.serve["/solcast"] = (200, solcast([4.0, 2.0, 2.0, 0.0] + [1.0] * 20), "application/json")
    d = start(forecast_source="solcast", forecast_url=fake.url("/solcast"), forecast_token="SC")
    f = wait(lambda: feed(d, "pvForecast").get("lastSuccess") and feed(d, "pvForecast"))
    nxt = station(d)["forecast"]["next"]
    c(f and abs(nxt[0]["pvW"] - 3000) < 1 and abs(nxt[1]["pvW"] - 1000) < 1,
      "Solcast: kW per half hour -> the hour's mean W: %s" % nxt[:2])
    c.eq(fake.hits["/solcast"][0][2].get("Authorization"), "Bearer SC", "Solcast: the API key as bearer")
    c.eq(d.stop(), 0, "stop")

    # ---- settings checked before start ----
    import subprocess
    import os
    from harness import BUILD
    for args, key in ((["--price_source", "generic"], "price_url"), (["--price_source", "tibber"], "price_token"),
                      (["--forecast_source", "solcast", "--forecast_url", "http://x/"], "forecast_token"),
                      (["--price_source", "spot"], "price_source")):
        r = subprocess.run([os.path.join(BUILD, "csmsd"), "--db", "/nonexistent/x.db"] + args,
                           capture_output=True, text=True, timeout=10)
        c(r.returncode == 2 and key in r.stderr, "%s refused naming %s: %s" % (args, key, r.stderr.strip()))
    # ---- the answers with feeds and price lists match the OpenAPI document ----
    import shutil
    import tempfile
    from harness import HERE
    node = shutil.which("node")
    if node and os.path.exists(os.path.join(HERE, "node_modules", "ajv")):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fa:
            json.dump(ANSWERS, fa)
        r = subprocess.run([node, os.path.join(HERE, "openapi_check.js"), "answers",
                            os.path.join(HERE, "..", "..", "csms", "api", "openapi.json"), fa.name],
                           capture_output=True, text=True, timeout=120)
        os.unlink(fa.name)
        c(len(ANSWERS) > 5 and r.returncode == 0, "%d answers match openapi.json: %s" % (len(ANSWERS),
                                                                                    r.stdout[:3000]))
finally:
    for x in daemons:
        if x.proc.poll() is None:
            x.stop()
c.done()
