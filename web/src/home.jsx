// home.jsx: the Home screen: the live power flow (PV, battery with SOC,
// grid, home, each EV), the storage mode (in load shedding the next dated
// outage), the prices and plan (plan.jsx), today's chart and totals from the history (GET /api/v1/history,
// /api/v1/energy).
import { get } from './api.js';
import { Chart } from './chart.jsx';
import { PricesPlan } from './plan.jsx';
import { outageText, span } from './lists.jsx';
import { kW, kWh, pct, ratio, money } from './fmt.js';
import { Panel, useLoad } from './ui.jsx';

const MODES = {
  selfConsumption: 'Maximum Self-Consumption',
  tou: 'Time-based Control',
  feedIn: 'Fully Fed to Grid',
  remoteEms: 'Remote EMS',
  loadShedding: 'Load Shedding',
  optimise: 'Optimising (AI) mode',
};
export const modeName = (m) => MODES[m] || m || '–';
export const MODE_KEYS = Object.keys(MODES);

// One line of the diagram: power w flows from (x1,y1) to (x2,y2) when
// positive, back when negative.
function Flow({ x1, y1, x2, y2, w, id }) {
  const dir = Math.abs(w || 0) < 20 ? 'idle' : w > 0 ? 'fwd' : 'rev';
  return <line x1={x1} y1={y1} x2={x2} y2={y2} class={'flow ' + dir} data-flow={id} />;
}

function Node({ x, y, label, value, sub, cls, id }) {
  return (
    <g class={'node ' + (cls || '')} data-node={id}>
      <circle cx={x} cy={y} r="34" />
      <text x={x} y={y - 6} class="nlabel">
        {label}
      </text>
      <text x={x} y={y + 10} class="nvalue" data-value={id}>
        {value}
      </text>
      {sub && (
        <text x={x} y={y + 24} class="nsub">
          {sub}
        </text>
      )}
    </g>
  );
}

// The EVs' power per charger: the station's view, or DLM's draw.
function evs(live) {
  const out = [];
  const st = live.station && live.station.live;
  for (const c of (st && st.chargers) || []) out.push({ id: c.id, w: c.powerW != null ? c.powerW : c.w != null ? c.w : c.evW });
  if (!out.length && live.dlm && live.dlm.chargers)
    for (const c of live.dlm.chargers) {
      const a = (c.drawA || []).reduce((s, x) => s + (x || 0), 0);
      out.push({ id: c.id, w: a * 230 });
    }
  return out;
}

export function PowerFlow({ live }) {
  const s = live && live.station && live.station.live;
  if (!s) return <p class="muted">No station data (the station is off).</p>;
  const ev = evs(live);
  const evW = s.evW || ev.reduce((a, e) => a + (e.w || 0), 0);
  const grid = s.gridW || 0;
  const home = (s.loadW || 0) + (s.loadsW || 0);
  return (
    <div class="flowbox">
      <svg viewBox="0 0 360 300" class="flowsvg" role="img" aria-label="power flow">
        <Flow x1={180} y1={74} x2={180} y2={116} w={s.pvW} id="pv" />
        <Flow x1={84} y1={150} x2={146} y2={150} w={grid} id="grid" />
        <Flow x1={180} y1={184} x2={180} y2={226} w={-(s.batW || 0)} id="battery" />
        <Flow x1={214} y1={150} x2={276} y2={150} w={evW} id="ev" />
        <Node x={180} y={40} label="PV" value={kW(s.pvW)} cls="pv" id="pv" />
        <Node x={50} y={150} label={grid < 0 ? 'Grid out' : 'Grid in'} value={kW(Math.abs(grid))} cls="grid" id="grid" sub={s.onGrid === false ? 'off-grid' : null} />
        <Node x={180} y={150} label="Home" value={kW(home)} cls="home" id="home" />
        <Node x={180} y={260} label="Battery" value={kW(Math.abs(s.batW || 0))} sub={pct(s.socPct) + (s.batW > 20 ? ' ↑' : s.batW < -20 ? ' ↓' : '')} cls="bat" id="battery" />
        <Node x={310} y={150} label="EV" value={kW(evW)} cls="ev" id="ev" sub={ev.length ? ev.length + ' charger' + (ev.length > 1 ? 's' : '') : 'none'} />
      </svg>
      {ev.length > 0 && (
        <ul class="evlist">
          {ev.map((e) => (
            <li key={e.id}>
              <span>{e.id}</span> <b>{kW(e.w)}</b>
            </li>
          ))}
        </ul>
      )}
      <p class="muted small">
        {s.generatorW ? 'Generator ' + kW(s.generatorW) + ' · ' : ''}
        {s.loadsW ? 'Smart loads ' + kW(s.loadsW) + ' · ' : ''}
        {s.heatPumpOn ? 'Heat pump on · ' : ''}
        {s.stale ? 'measurements stale · ' : ''}
        {s.time ? 'station time ' + new Date(s.time).toLocaleTimeString() : ''}
      </p>
    </div>
  );
}

/* Today on the station's clock: its day (utcOffsetMin) up to its time now.
 * The simulated house's clock may run ahead of the browser's (a start
 * time, a speed factor), and history is kept on the station's clock. */
async function stationToday() {
  const st = await get('/station');
  const now = st && st.live && st.live.time ? Date.parse(st.live.time) : Date.now();
  const off = ((st && st.settings && st.settings.utcOffsetMin) || 0) * 60000;
  const day = 86400000;
  const start = Math.floor((now + off) / day) * day - off;
  return { from: new Date(start).toISOString(), to: new Date(now).toISOString() };
}

async function history() {
  try {
    const t = await stationToday();
    const h = await get(`/history?from=${encodeURIComponent(t.from)}&to=${encodeURIComponent(t.to)}&step=300`);
    return h && h.series && h.series.length ? h : null;
  } catch (e) {
    if (e.status === 404) return null; // no history on this csmsd yet
    throw e;
  }
}

async function totals() {
  try {
    const t = await stationToday();
    const rows = await get(`/energy?from=${encodeURIComponent(t.from)}&to=${encodeURIComponent(t.to)}&period=day`);
    return rows && rows.length ? rows[rows.length - 1] : null;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

function TodayChart() {
  const h = useLoad(history, []);
  if (h.loading) return <p class="muted">Loading…</p>;
  if (h.error) return <p class="msg err">{h.error.message}</p>;
  if (!h.data) return <p class="muted" data-testid="no-history">No history yet.</p>;
  const rows = h.data.series;
  const xs = rows.map((r) => new Date(r.time).getTime() / 1000);
  const data = [
    xs,
    rows.map((r) => r.pvW),
    rows.map((r) => (r.loadW || 0) + (r.evW || 0)),
    rows.map((r) => Math.max(0, r.gridW || 0)),
    rows.map((r) => Math.max(0, -(r.gridW || 0))),
    rows.map((r) => r.socPct),
  ];
  const series = [
    { label: 'PV W', stroke: '#e0a800' },
    { label: 'Consumption W', stroke: '#4a6fa5' },
    { label: 'Import W', stroke: '#c0392b' },
    { label: 'Export W', stroke: '#27ae60' },
    { label: 'SOC %', stroke: '#8e44ad', scale: '%' },
  ];
  const axes = [{}, { scale: 'y', size: 56 }, { scale: '%', side: 1, size: 40, grid: { show: false } }];
  return <Chart series={series} data={data} axes={axes} />;
}

function Totals() {
  const t = useLoad(totals, []);
  if (t.loading) return <p class="muted">Loading…</p>;
  if (t.error) return <p class="msg err">{t.error.message}</p>;
  if (!t.data) return <p class="muted" data-testid="no-totals">No history yet.</p>;
  const d = t.data;
  const items = [
    ['PV', kWh(d.pvWh)],
    ['Consumption', kWh(d.loadWh)],
    ['Import', kWh(d.importWh)],
    ['Export', kWh(d.exportWh)],
    ['Battery in / out', kWh(d.batteryChargeWh) + ' / ' + kWh(d.batteryDischargeWh)],
    ['EV', kWh(d.evWh)],
    ['Self-sufficiency', ratio(d.selfSufficiency)],
    ['Self-consumption', ratio(d.selfConsumption)],
    ['Cost', money(d.cost)],
  ];
  return (
    <dl class="totals">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

// Load shedding: the dated outage in force or the next to come (settings
// loadShedding.outages, from the settings or the file), on the station's
// clock.
const ahead = (ms) => (ms >= 2 * 86400000 ? Math.round(ms / 86400000) + ' days' : span(ms));
function NextOutage({ mode }) {
  const st = useLoad(() => get('/station'), [mode]);
  const s = st.data;
  if (!s || !s.settings || !s.settings.loadShedding) return null;
  const now = s.live && s.live.time ? Date.parse(s.live.time) : Date.now();
  const next = (s.settings.loadShedding.outages || [])
    .filter((o) => Date.parse(o.end) > now)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))[0];
  const file = s.feeds && s.feeds.outages;
  return (
    <p data-testid="next-outage">
      {!next ? (
        'No dated outage to come.'
      ) : Date.parse(next.start) <= now ? (
        <>
          <b>Outage now</b>: {outageText(next)}
        </>
      ) : (
        <>
          Next outage: <b>{outageText(next)}</b> <span class="muted">(in {ahead(Date.parse(next.start) - now)})</span>
        </>
      )}
      {file && file.error && <span class="msg err"> — the outage file's last read failed: {file.error}</span>}
    </p>
  );
}

export function Home({ live }) {
  const st = live && live.station;
  return (
    <div class="grid2">
      <Panel title="Power flow" id="power-flow">
        <PowerFlow live={live} />
      </Panel>
      <Panel title="Storage mode">
        <p class="big" data-testid="mode">
          {modeName(st && st.live ? st.live.activeMode : st && st.mode)}
        </p>
        {st && st.live && st.live.emsFallback && <p class="msg err">Remote EMS silent: fell back to self-consumption.</p>}
        {st && (st.mode === 'loadShedding' || (st.live && st.live.activeMode === 'loadShedding')) && <NextOutage mode={st.mode} />}
        <p>
          <a href="#/settings">Change the working mode…</a>
        </p>
        <h3>Today</h3>
        <Totals />
      </Panel>
      <Panel title="Prices and plan" id="prices-plan">
        <PricesPlan mode={st && st.live ? st.live.activeMode : st && st.mode} />
      </Panel>
      <Panel title="Today's energy" id="today-chart">
        <TodayChart />
      </Panel>
    </div>
  );
}
