// records.jsx: charging records: filters (charger, card, dates), energy,
// duration, cost, PV share; one session's meter values as a chart; the
// CSV download (GET /api/v1/transactions.csv with the same filters).
import { useState } from 'preact/hooks';
import { get, download } from './api.js';
import { Chart } from './chart.jsx';
import { kWh, time, duration, money, ratio } from './fmt.js';
import { Panel, Msg, useLoad } from './ui.jsx';

function query(f) {
  const q = new URLSearchParams();
  if (f.charger) q.set('charger', f.charger);
  if (f.idTag) q.set('idTag', f.idTag);
  if (f.from) q.set('from', new Date(f.from + 'T00:00:00').toISOString());
  if (f.to) q.set('to', new Date(f.to + 'T23:59:59').toISOString());
  q.set('limit', '200');
  return q.toString();
}

// The meter values of one session as [xs, energy kWh, power W].
function series(tx) {
  const rows = [];
  for (const mv of tx.meterValues || []) {
    const t = new Date(mv.timestamp).getTime() / 1000;
    let e = null;
    let p = null;
    for (const s of mv.sampledValue || mv.values || []) {
      const m = s.measurand || 'Energy.Active.Import.Register';
      if (s.phase) continue;
      const v = Number(s.value) * (s.unit === 'kWh' || s.unit === 'kW' ? 1000 : 1);
      if (m === 'Energy.Active.Import.Register') e = v;
      else if (m === 'Power.Active.Import') p = v;
    }
    rows.push([t, e == null ? null : (e - (tx.meterStart || 0)) / 1000, p]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])];
}

function Session({ id, onClose }) {
  const s = useLoad(() => get('/transactions/' + id), [id]);
  if (!s.data) return s.error ? <p class="msg err">{s.error.message}</p> : <p class="muted">Loading…</p>;
  const tx = s.data;
  const data = series(tx);
  return (
    <Panel title={'Session #' + id} actions={<button class="link" onClick={onClose}>Close</button>} id="session">
      <p>
        {tx.charger} connector {tx.connectorId} · {tx.idTag} · {kWh(tx.energyWh)} · {duration(tx.start, tx.stop)}
        {tx.stopReason ? ' · ' + tx.stopReason : ''}
      </p>
      {data[0].length > 1 ? (
        <Chart
          series={[
            { label: 'Energy kWh', stroke: '#27ae60', scale: 'kWh' },
            { label: 'Power W', stroke: '#4a6fa5', scale: 'W' },
          ]}
          axes={[{}, { scale: 'kWh', size: 50 }, { scale: 'W', side: 1, size: 56, grid: { show: false } }]}
          data={data}
        />
      ) : (
        <p class="muted">Fewer than two meter values: nothing to draw.</p>
      )}
    </Panel>
  );
}

export function Records() {
  const [f, setF] = useState({ charger: '', idTag: '', from: '', to: '' });
  const [applied, setApplied] = useState(f);
  const [open, setOpen] = useState(null);
  const [msg, setMsg] = useState(null);
  const list = useLoad(() => get('/transactions?' + query(applied)), [applied]);
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  const rows = list.data || [];
  return (
    <>
      <Panel
        title="Charging records"
        actions={
          <button onClick={() => download('/transactions.csv?' + query(applied), 'charging-records.csv').catch((e) => setMsg({ ok: false, text: e.message }))}>
            Download CSV
          </button>
        }
      >
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(f);
          }}
        >
          <label>
            Charger
            <input value={f.charger} onInput={set('charger')} />
          </label>
          <label>
            Card
            <input value={f.idTag} onInput={set('idTag')} />
          </label>
          <label>
            From
            <input type="date" value={f.from} onInput={set('from')} />
          </label>
          <label>
            To
            <input type="date" value={f.to} onInput={set('to')} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <Msg m={msg} />
        {list.error && <p class="msg err">{list.error.message}</p>}
        <div class="tablewrap">
          <table class="records">
            <thead>
              <tr>
                <th>#</th>
                <th>Charger</th>
                <th>Card</th>
                <th>Start</th>
                <th>Duration</th>
                <th class="num">Energy</th>
                <th class="num">Cost</th>
                <th class="num">PV share</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} onClick={() => setOpen(t.id)} class={open === t.id ? 'sel' : ''} data-tx={t.id}>
                  <td>{t.id}</td>
                  <td>
                    {t.charger}/{t.connectorId}
                  </td>
                  <td>{t.idTag}</td>
                  <td>{time(t.start)}</td>
                  <td>{t.stop ? duration(t.start, t.stop) : 'running'}</td>
                  <td class="num" data-energy={t.energyWh}>
                    {kWh(t.energyWh)}
                  </td>
                  <td class="num" data-cost={t.cost}>
                    {t.cost === undefined ? '–' : money(t.cost)}
                  </td>
                  <td class="num" data-pv={t.pvShare}>
                    {t.pvShare === undefined ? '–' : ratio(t.pvShare)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!list.loading && !rows.length && <p class="muted">No records.</p>}
      </Panel>
      {open && <Session id={open} onClose={() => setOpen(null)} />}
    </>
  );
}
