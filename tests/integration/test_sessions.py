"""Complete charging sessions through a real csmsd: our simulator runs
several chargers with several connectors and transactions each, and the
independent ocpp-rpc client in strict mode runs a complete session, failing
on any schema violation in either direction. Every record is then found
through the API with the right energy."""
import json
import os
import shutil
import subprocess
import sys
from harness import BUILD, HERE, Csmsd, Checks

c = Checks()
d = Csmsd(unknown_chargers="accept", unknown_id_tags="accept", max_active_tx=100)
try:
    # Our simulator: 3 chargers x 2 connectors x 2 transactions, 4 MeterValues each.
    p = subprocess.run([os.path.join(BUILD, "tests", "cpsim"), "session", "--url", d.url, "--id", "SIM",
                        "--ids", "3", "--connectors", "2", "--transactions", "2", "--meter-values", "4",
                        "--interval-ms", "20", "--id-tag", "SIMTAG", "--timeout", "60"],
                       capture_output=True, text=True, timeout=90)
    c.eq(p.returncode, 0, "cpsim session succeeded: " + p.stderr[-500:])
    summary = json.loads(p.stdout)
    txids = [t["transactionId"] for ch in summary["chargers"] for t in ch["transactions"]]
    c.eq(len(txids), 12, "12 transactions run")
    c.eq(len(set(txids)), 12, "distinct transaction ids")
    st, txs = d.get("/api/v1/transactions?idTag=SIMTAG")
    c.eq(len(txs), 12, "12 records stored")
    c(all(t["stop"] and t["energyWh"] == 4 * 37 for t in txs), "every record complete with 148 Wh: %s" %
      [(t["id"], t["energyWh"]) for t in txs])
    st, one = d.get("/api/v1/transactions/%d" % txs[0]["id"])
    c(len(one["meterValues"]) >= 4, "meter values kept with the transaction")
    sv = one["meterValues"][0]["sampledValue"]
    c(any(s.get("phase") == "L2" for s in sv) and any(s.get("measurand") == "Voltage" for s in sv),
      "sampledValue fields kept as sent")
    st, chs = d.get("/api/v1/chargers")
    c.eq(sorted(x["id"] for x in chs), ["SIM1", "SIM2", "SIM3"], "chargers registered")
    c(all(len(x["connectors"]) == 3 for x in chs), "connector 0 and both connectors have a status")

    # The independent strict client.
    node = shutil.which("node")
    if not node or not os.path.isdir(os.path.join(HERE, "node_modules", "ocpp-rpc")):
        print("SKIP ocpp-rpc part: node or tests/integration/node_modules missing")
    else:
        d.put("/api/v1/id-tags/RPCTAG", {"status": "Accepted"})
        p = subprocess.run([node, os.path.join(HERE, "ocpp_rpc_session.js"), d.url, "RPC1", "--id-tag", "RPCTAG"],
                           capture_output=True, text=True, timeout=60)
        c.eq(p.returncode, 0, "strict ocpp-rpc session: " + (p.stdout + p.stderr)[-1500:])
        try:
            res = json.loads(p.stdout.strip().splitlines()[-1])
            c.eq(res.get("violations"), [], "no schema violation either way")
            st, tx = d.get("/api/v1/transactions/%d" % res["transactionId"])
            c(st == 200 and tx["stop"] is not None, "its transaction is stored complete")
        except (ValueError, IndexError, KeyError) as e:
            c(False, "ocpp-rpc output: %r %s" % (e, p.stdout[-500:]))
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
