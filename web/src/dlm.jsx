// dlm.jsx: dynamic load management: per phase, the grid current against
// the breaker and its margin; each charger's limit and draw and why;
// the sensor's health; the settings (PUT /api/v1/dlm). Below, the other
// sites (several breakers: GET /api/v1/sites, each with its own phases and
// chargers), a form to add one, and removal of an empty one.
import { useEffect, useState } from 'preact/hooks';
import { put, get, del } from './api.js';
import { amps } from './fmt.js';
import { Panel, Msg, Badge, act, useLoad } from './ui.jsx';

function PhaseBar({ n, a, breaker, margin }) {
  const scale = Math.max(breaker * 1.15, a || 0, 1);
  const w = (x) => Math.max(0, Math.min(100, (x / scale) * 100)) + '%';
  const over = a > breaker - margin;
  return (
    <div class="phase" data-phase={n}>
      <span class="plabel">L{n}</span>
      <div class="bar">
        <div class={'fill' + (over ? ' over' : '')} style={{ width: w(a || 0) }} />
        <div class="mark margin" style={{ left: w(breaker - margin) }} title="breaker − margin" />
        <div class="mark breaker" style={{ left: w(breaker) }} title="breaker" />
      </div>
      <span class="pval">
        {amps(a)} / {breaker} A
      </span>
    </div>
  );
}

function DlmSettings({ d }) {
  const [f, setF] = useState({ enabled: d.enabled, breakerA: d.breakerA, marginA: d.marginA, fallbackA: d.fallbackA });
  const [msg, setMsg] = useState(null);
  const num = (k) => (e) => setF({ ...f, [k]: e.target.value === '' ? '' : Number(e.target.value) });
  return (
    <form
      class="settings"
      onSubmit={(e) => {
        e.preventDefault();
        act(setMsg, () => put('/dlm', f), 'saved');
      }}
    >
      <label class="check">
        <input type="checkbox" checked={f.enabled} onChange={(e) => setF({ ...f, enabled: e.target.checked })} /> Dynamic load management
      </label>
      <label>
        Rated Household Circuit Breaker Current (A)
        <input type="number" min="1" max="1000" step="0.1" required value={f.breakerA} onInput={num('breakerA')} />
      </label>
      <label>
        Margin (A)
        <input type="number" min="0" max="100" step="0.1" required value={f.marginA} onInput={num('marginA')} />
      </label>
      <label>
        Fallback current when the sensor is stale (A)
        <input type="number" min="0" max="1000" step="0.1" required value={f.fallbackA} onInput={num('fallbackA')} />
      </label>
      <button type="submit" class="primary">
        Save
      </button>
      <Msg m={msg} />
    </form>
  );
}

// Each charger's limit, draw and why (a site's "chargers").
function Shares({ chargers }) {
  return (chargers || []).length ? (
    <div class="tablewrap">
      <table>
        <thead>
          <tr>
            <th>Charger</th>
            <th>Phases</th>
            <th class="num">Limit</th>
            <th class="num">Draw L1/L2/L3</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {chargers.map((c) => (
            <tr key={c.id + '/' + c.connectorId}>
              <td>
                {c.id}/{c.connectorId}
              </td>
              <td>{c.phases}</td>
              <td class="num">{amps(c.limitA)}</td>
              <td class="num">{(c.drawA || []).map((x) => (x == null ? '–' : x.toFixed(1))).join(' / ')}</td>
              <td>{c.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  ) : (
    <p class="muted">No charger under DLM.</p>
  );
}

// A site other than the default one: its phases, chargers, and removal
// while it has no charger.
function SiteCard({ s, onGone }) {
  const [msg, setMsg] = useState(null);
  const cur = (s.grid && s.grid.current) || [];
  return (
    <Panel
      title={(s.name || s.id) + (s.name && s.name !== s.id ? ' (' + s.id + ')' : '')}
      id={'site-' + s.id}
      actions={
        !s.chargerCount && (
          <button class="link" onClick={() => act(setMsg, () => del('/sites/' + encodeURIComponent(s.id)).then(onGone), 'removed')}>
            Remove
          </button>
        )
      }
    >
      <p class="small">
        <Badge kind={s.enabled ? 'ok' : ''}>{s.enabled ? 'DLM on' : 'DLM off'}</Badge> <Badge kind={s.stale ? 'warn' : 'ok'}>{s.stale ? 'sensor stale' : 'sensor ok'}</Badge>{' '}
        {s.station && <Badge kind="live">station</Badge>} {s.controlNode && <Badge>runs on {s.controlNode}</Badge>}{' '}
        <span class="muted">
          {s.chargerCount} charger{s.chargerCount === 1 ? '' : 's'} · {s.sensor && s.sensor.type} sensor
        </span>
      </p>
      {[0, 1, 2].map((i) => (
        <PhaseBar key={i} n={i + 1} a={cur[i]} breaker={s.breakerA} margin={s.marginA} />
      ))}
      <Shares chargers={s.chargers} />
      <Msg m={msg} />
    </Panel>
  );
}

function AddSite({ onAdded }) {
  const [f, setF] = useState({ id: '', name: '', breakerA: 32 });
  const [msg, setMsg] = useState(null);
  return (
    <form
      class="settings"
      id="add-site"
      onSubmit={(e) => {
        e.preventDefault();
        act(setMsg, () => put('/sites/' + encodeURIComponent(f.id), { name: f.name || f.id, breakerA: f.breakerA }).then(onAdded), 'added');
      }}
    >
      <label>
        Site id
        <input name="site-id" required maxLength="48" pattern="[^\/?#%]+" title="no / ? # %" value={f.id} onInput={(e) => setF({ ...f, id: e.target.value })} />
      </label>
      <label>
        Name
        <input name="site-name" maxLength="64" value={f.name} onInput={(e) => setF({ ...f, name: e.target.value })} />
      </label>
      <label>
        Breaker (A)
        <input name="site-breaker" type="number" min="1" max="1000" step="0.1" required value={f.breakerA} onInput={(e) => setF({ ...f, breakerA: Number(e.target.value) })} />
      </label>
      <button type="submit" class="primary">
        Add site
      </button>
      <Msg m={msg} />
    </form>
  );
}

// The other sites, read again every 3 s while shown.
function OtherSites() {
  const sites = useLoad(() => get('/sites'), []);
  useEffect(() => {
    const t = setInterval(sites.reload, 3000);
    return () => clearInterval(t);
  }, [sites.reload]);
  const others = (sites.data || []).filter((s) => s.id !== 'default');
  return (
    <>
      {others.map((s) => (
        <SiteCard key={s.id} s={s} onGone={sites.reload} />
      ))}
      <Panel title="Sites">
        <p class="muted small">
          A site is one more breaker with its own grid sensor and load management; a charger belongs to one (its Site in Chargers).
          {others.length ? '' : ' This installation has one site.'}
        </p>
        <AddSite onAdded={sites.reload} />
      </Panel>
    </>
  );
}

export function Dlm({ live }) {
  const d = live && live.dlm;
  if (!d) return <p class="muted">{live ? 'DLM is not running.' : 'Waiting for the live feed…'}</p>;
  const cur = (d.grid && d.grid.current) || [];
  const s = d.sensor || {};
  return (
    <div class="grid2">
      <Panel title="Grid current per phase" id="dlm-phases">
        {[0, 1, 2].map((i) => (
          <PhaseBar key={i} n={i + 1} a={cur[i]} breaker={d.breakerA} margin={d.marginA} />
        ))}
        <p class="muted small">
          Headroom {(d.headroomA || []).map((h) => amps(h)).join(' / ')} · {d.enabled ? 'DLM on' : 'DLM off'}
          {d.stale ? ' · stale: fallback ' + amps(d.fallbackA) : ''}
          {d.controlNode ? ' · decided on node ' + d.controlNode : ''}
        </p>
      </Panel>
      <Panel title="Sensor">
        <p>
          <Badge kind={s.healthy ? 'ok' : 'bad'}>{s.healthy ? 'healthy' : 'unhealthy'}</Badge> {s.type} {s.meter ? '(' + s.meter + ')' : ''}
        </p>
        <dl class="kv">
          <dt>Age</dt>
          <dd>{s.ageS == null ? '–' : s.ageS.toFixed(1) + ' s'}</dd>
          <dt>Readings / failures</dt>
          <dd>
            {s.readings} / {s.failures}
          </dd>
          {s.error && (
            <>
              <dt>Error</dt>
              <dd>{s.error}</dd>
            </>
          )}
        </dl>
      </Panel>
      <Panel title="Each charger's share" id="dlm-chargers">
        <Shares chargers={d.chargers} />
      </Panel>
      <Panel title="DLM settings">
        <DlmSettings d={d} key={[d.enabled, d.breakerA, d.marginA, d.fallbackA].join()} />
      </Panel>
      <OtherSites />
    </div>
  );
}
