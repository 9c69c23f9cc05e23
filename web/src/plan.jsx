// plan.jsx: the Home screen's "Prices and plan" card: the next 24 hours as
// the optimiser sees them (GET /api/v1/station "outlook": import and export
// price per slot, the PV forecast, the planned battery power), the cheapest
// and dearest slot of the price list ahead, where prices and forecast come
// from (the feeds, their errors), and the tariff when there is no price list.
import { useEffect } from 'preact/hooks';
import uPlot from 'uplot';
import { get } from './api.js';
import { Chart } from './chart.jsx';
import { kW, pct } from './fmt.js';
import { useLoad } from './ui.jsx';

const PROVIDERS = { awattar: 'aWATTar', entsoe: 'ENTSO-E', tibber: 'Tibber', generic: 'generic JSON', forecast_solar: 'Forecast.Solar', solcast: 'Solcast' };
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const price = (x) => (x == null || isNaN(x) ? '–' : x.toFixed(3));
const hm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const dayHm = (ms) => new Date(ms).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
const stepped = uPlot.paths.stepped({ align: 1 });

// The cheapest and dearest import price from the current slot to the end of
// the list (the whole list once it lies behind).
function extremes(prices, nowMs) {
  const t0 = Date.parse(prices.start);
  const step = prices.slotS * 1000;
  let from = Math.max(0, Math.floor((nowMs - t0) / step));
  if (from >= prices.count) from = 0;
  let lo = from;
  let hi = from;
  for (let i = from; i < prices.count; i++) {
    if (prices.importPrice[i] < prices.importPrice[lo]) lo = i;
    if (prices.importPrice[i] > prices.importPrice[hi]) hi = i;
  }
  const at = (i) => ({ p: prices.importPrice[i], t: t0 + i * step });
  return { lo: at(lo), hi: at(hi), end: t0 + prices.count * step };
}

function days(w) {
  return !w || w.length === 7 ? '' : ' ' + w.map((d) => d[0].toUpperCase() + d.slice(1)).join(' ');
}

// Which tariff applies without a price list: flat, or its rate periods.
function Tariff({ t }) {
  if (!t) return null;
  const periods = t.periods || [];
  return (
    <p data-testid="tariff">
      No dynamic prices: {periods.length ? 'the tariff with rate periods applies' : 'a flat tariff applies'} —{' '}
      {periods.map((p, i) => (
        <span key={i}>
          {p.start}–{p.end}
          {days(p.weekdays)}: {price(p.importPrice)} import, {price(p.exportPrice)} export;{' '}
        </span>
      ))}
      {periods.length ? 'otherwise ' : ''}
      {price(t.importPrice)} import, {price(t.exportPrice)} export per kWh.
    </p>
  );
}

// One line per feed: provider, last update, next fetch, the error in red.
function FeedLine({ what, f }) {
  return (
    <li data-feed={what}>
      {what === 'prices' ? 'Prices' : 'PV forecast'} from <b>{PROVIDERS[f.source] || f.source}</b>
      {f.url ? <span class="muted"> ({f.url.replace(/^https?:\/\//, '').split('/')[0]})</span> : null}
      {' · '}
      {f.lastSuccess ? 'updated ' + dayHm(Date.parse(f.lastSuccess)) : 'no data yet'}
      {f.nextFetch ? ' · next ' + hm(Date.parse(f.nextFetch)) : ''}
      {f.error && (
        <span class="err" data-testid="feed-error">
          {' '}
          · failed{f.lastFetch ? ' ' + hm(Date.parse(f.lastFetch)) : ''}: {f.error}
        </span>
      )}
    </li>
  );
}

function Sources({ st }) {
  const feeds = st.feeds || {};
  const fc = st.forecast || {};
  return (
    <ul class="feeds small" data-testid="feeds">
      {feeds.prices ? <FeedLine what="prices" f={feeds.prices} /> : st.prices && <li>Prices: a list set through the API.</li>}
      {feeds.pvForecast ? (
        <FeedLine what="pvForecast" f={feeds.pvForecast} />
      ) : (
        <li>
          PV forecast learned from this station's measurements ({fc.pvSlotsLearned || 0} of 96 slots of the day learned).
        </li>
      )}
    </ul>
  );
}

function OutlookChart({ o }) {
  const step = o.slotS;
  const t0 = Date.parse(o.start) / 1000;
  // one more x so that the last slot's step is drawn to its end
  const xs = Array.from({ length: o.count + 1 }, (_, i) => t0 + i * step);
  const last = (a) => (a ? [...a, a[a.length - 1]] : null);
  const plan = o.plan;
  const series = [
    { label: 'Import price', stroke: '#c0392b', scale: 'p', paths: stepped },
    { label: 'Export price', stroke: '#27ae60', scale: 'p', paths: stepped, dash: [5, 4] },
    { label: 'PV forecast', stroke: '#e0a800', scale: 'W', fill: 'rgba(224,168,0,0.15)' },
  ];
  const data = [xs, last(o.importPrice), last(o.exportPrice), last(o.pvW)];
  if (plan) {
    series.push({ label: plan.followed ? 'Battery plan' : 'Battery plan (not followed)', stroke: '#8e44ad', scale: 'W', paths: stepped });
    data.push(last(plan.batW));
  }
  const axes = [
    {},
    { scale: 'p', size: 48, values: (u, v) => v.map((x) => x.toFixed(2)) },
    { scale: 'W', side: 1, size: 52, grid: { show: false }, values: (u, v) => v.map((x) => +(x / 1000).toFixed(1) + ' kW') },
  ];
  // the current slot (the outlook starts with it) shaded and marked "now"
  const hooks = {
    drawAxes: [
      (u) => {
        const a = u.valToPos(u.data[0][0], 'x', true);
        const b = u.valToPos(u.data[0][1], 'x', true);
        const { top, height } = u.bbox;
        u.ctx.save();
        u.ctx.fillStyle = 'rgba(30,136,229,0.15)';
        u.ctx.fillRect(a, top, Math.max(2, b - a), height);
        u.ctx.fillStyle = '#1e88e5';
        u.ctx.font = 12 * devicePixelRatio + 'px system-ui, sans-serif';
        u.ctx.fillText('now', a + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
        u.ctx.restore();
      },
    ],
  };
  return <Chart series={series} data={data} axes={axes} scales={{ p: { auto: true }, W: { auto: true } }} hooks={hooks} height={240} />;
}

// The planned SOC: its lowest and highest over the plan, and when.
function PlanLine({ o }) {
  const p = o.plan;
  if (!p) return null;
  const t0 = Date.parse(o.start);
  const s = p.socPct.map((v, i) => ({ v, t: t0 + (i + 1) * o.slotS * 1000 })).filter((x) => x.v != null);
  if (!s.length) return null;
  const lo = s.reduce((a, x) => (x.v < a.v ? x : a));
  const hi = s.reduce((a, x) => (x.v > a.v ? x : a));
  return (
    <p class="small" data-testid="plan-line">
      Optimiser's plan (made {hm(Date.parse(p.made))}): battery up to {pct(hi.v)} ({dayHm(hi.t)}), down to {pct(lo.v)} ({dayHm(lo.t)})
      {p.followed ? '' : `; its gain is within the forecast error, so ${p.rule === 'tou' ? 'the time-of-use rule' : 'self-consumption'} runs instead`}.
    </p>
  );
}

export function PricesPlan({ mode }) {
  const st = useLoad(() => get('/station'), [mode]);
  useEffect(() => {
    const t = setInterval(() => st.reload(), 30000);
    return () => clearInterval(t);
  }, [st.reload]);
  if (st.loading && !st.data) return <p class="muted">Loading…</p>;
  if (st.error) return <p class="msg err">{st.error.status === 503 ? 'No station (it is off).' : st.error.message}</p>;
  const s = st.data;
  if (!s) return null;
  const o = s.outlook;
  const nowMs = s.live && s.live.time ? Date.parse(s.live.time) : o ? Date.parse(o.start) : Date.now();
  const ex = s.prices && extremes(s.prices, nowMs);
  return (
    <div data-testid="prices-plan">
      {ex ? (
        <dl class="totals prices">
          <div>
            <dt>Now</dt>
            <dd data-testid="price-now">{price(o && o.importPrice[0])}</dd>
          </div>
          <div>
            <dt>Cheapest ahead</dt>
            <dd>
              <span data-testid="price-min">{price(ex.lo.p)}</span> <small class="muted">{dayHm(ex.lo.t)}</small>
            </dd>
          </div>
          <div>
            <dt>Dearest ahead</dt>
            <dd>
              <span data-testid="price-max">{price(ex.hi.p)}</span> <small class="muted">{dayHm(ex.hi.t)}</small>
            </dd>
          </div>
          <div>
            <dt>Price list until</dt>
            <dd>{dayHm(ex.end)}</dd>
          </div>
        </dl>
      ) : (
        <Tariff t={s.settings && s.settings.tariff} />
      )}
      {o && <OutlookChart o={o} />}
      <PlanLine o={o} />
      {o && (
        <p class="small muted">
          Prices per kWh; PV forecast now {kW(o.pvW[0])}, highest {kW(Math.max(...o.pvW.filter((x) => x != null)))} in the next 24 h.
        </p>
      )}
      <Sources st={s} />
    </div>
  );
}
