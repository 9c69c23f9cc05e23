// chargers.jsx: each charger and connector: status, what the car draws,
// DLM's limit and why, the charging mode and 1p/3p (PUT
// /api/v1/chargers/{id}), start/stop/reset/unlock (OCPP calls), accept or
// reject a pending charger, and any OCPP action with a JSON payload.
import { useState } from 'preact/hooks';
import { get, post, put } from './api.js';
import { amps, kWh, time } from './fmt.js';
import { Panel, Msg, Badge, act, useLoad } from './ui.jsx';

const ACTIONS = [
  'CancelReservation', 'ChangeAvailability', 'ChangeConfiguration', 'ClearCache', 'ClearChargingProfile',
  'DataTransfer', 'GetCompositeSchedule', 'GetConfiguration', 'GetDiagnostics', 'GetLocalListVersion',
  'RemoteStartTransaction', 'RemoteStopTransaction', 'ReserveNow', 'Reset', 'SendLocalList',
  'SetChargingProfile', 'TriggerMessage', 'UnlockConnector', 'UpdateFirmware',
];
const EV_MODES = [
  ['fast', 'Fast Charging'],
  ['solarBoost', 'Solar Boost Charging'],
  ['pv', '100% PV Charging'],
];

const statusKind = (s) => ({ Available: 'ok', Charging: 'live', Preparing: 'warn', SuspendedEV: 'warn', SuspendedEVSE: 'warn', Finishing: 'warn', Faulted: 'bad', Unavailable: 'bad' }[s] || '');

// Sends an OCPP call; the answer as text for the message line.
function ocpp(id, action, payload) {
  return post(`/chargers/${encodeURIComponent(id)}/ocpp/${action}`, payload);
}
const answer = (r) => 'answer: ' + JSON.stringify(r && r.result !== undefined ? r.result : r);

function Connector({ ch, c, dlm, tx, setMsg }) {
  const [tag, setTag] = useState('WEB');
  const d = (dlm || []).find((x) => x.id === ch.id && (x.connectorId === c.connectorId || !x.connectorId)); // 0: the whole charger
  // what the car draws: only while it may (the last reading stays after a stop)
  const drawing = tx || /^(Charging|SuspendedEV|SuspendedEVSE)$/.test(c.status);
  const draw = drawing && d && d.drawA ? d.drawA.map((a) => (a == null ? '–' : a.toFixed(1))).join(' / ') + ' A' : '–';
  return (
    <div class="conn" data-connector={c.connectorId}>
      <div class="connhead">
        <b>Connector {c.connectorId}</b> <Badge kind={statusKind(c.status)}>{c.status}</Badge>
        {c.errorCode && c.errorCode !== 'NoError' && <Badge kind="bad">{c.errorCode}</Badge>}
      </div>
      <dl class="kv">
        <dt>Draw</dt>
        <dd>{draw}</dd>
        <dt>DLM limit</dt>
        <dd>
          {d ? amps(d.limitA) : '–'} {d && d.reason && <span class="muted">({d.reason})</span>}
        </dd>
        {tx && (
          <>
            <dt>Session</dt>
            <dd>
              #{tx.id} · {tx.idTag} · {kWh(tx.energyWh)} · since {time(tx.start)}
            </dd>
          </>
        )}
      </dl>
      <div class="row">
        {tx ? (
          <button class="primary" onClick={() => act(setMsg, () => ocpp(ch.id, 'RemoteStopTransaction', { transactionId: tx.id }), answer)}>
            Stop
          </button>
        ) : (
          <>
            <input aria-label="card for the start" class="short" value={tag} onInput={(e) => setTag(e.target.value)} />
            <button class="primary" onClick={() => act(setMsg, () => ocpp(ch.id, 'RemoteStartTransaction', { connectorId: c.connectorId, idTag: tag }), answer)}>
              Start
            </button>
          </>
        )}
        <button onClick={() => act(setMsg, () => ocpp(ch.id, 'UnlockConnector', { connectorId: c.connectorId }), answer)}>Unlock</button>
      </div>
    </div>
  );
}

function ChargerSettings({ id, setMsg }) {
  const s = useLoad(() => get(`/chargers/${encodeURIComponent(id)}`), [id]);
  const sites = useLoad(() => get('/sites').catch(() => []), []);
  if (!s.data) return s.error ? <p class="msg err">{s.error.message}</p> : null;
  const st = s.data.settings || {};
  const save = (body) => act(setMsg, () => put(`/chargers/${encodeURIComponent(id)}`, body).then(s.reload), 'saved');
  return (
    <div class="row wrap">
      <label>
        Charging mode
        <select value={st.chargingMode || 'fast'} onChange={(e) => save({ chargingMode: e.target.value })} data-testid="charging-mode">
          {EV_MODES.map(([v, l]) => (
            <option value={v} key={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <div class="seg" role="group" aria-label="output mode">
        {[1, 3].map((p) => (
          <button key={p} class={st.phases === p ? 'on' : ''} onClick={() => save({ phases: p })}>
            {p}-phase
          </button>
        ))}
      </div>
      {(sites.data || []).length > 1 && (
        <label>
          Site
          <select value={st.site || 'default'} onChange={(e) => save({ site: e.target.value })} data-testid="charger-site">
            {sites.data.map((x) => (
              <option value={x.id} key={x.id}>
                {x.name && x.name !== x.id ? x.name + ' (' + x.id + ')' : x.id}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Current cap (A)
        <input
          type="number"
          min="6"
          max="80"
          class="short"
          value={st.maxCurrentA == null ? '' : st.maxCurrentA}
          onChange={(e) => save({ maxCurrentA: e.target.value === '' ? null : Number(e.target.value) })}
        />
      </label>
    </div>
  );
}

function OcppConsole({ id }) {
  const [action, setAction] = useState('GetConfiguration');
  const [payload, setPayload] = useState('{}');
  const [out, setOut] = useState(null);
  async function send(e) {
    e.preventDefault();
    let body;
    try {
      body = JSON.parse(payload);
    } catch (err) {
      setOut({ ok: false, text: 'the payload is not JSON: ' + err.message });
      return;
    }
    try {
      const r = await ocpp(id, action, body);
      setOut({ ok: true, text: JSON.stringify(r, null, 2) });
    } catch (err) {
      setOut({ ok: false, text: err.status + ' ' + err.message + (err.body ? '\n' + JSON.stringify(err.body, null, 2) : '') });
    }
  }
  return (
    <form class="console" onSubmit={send}>
      <label>
        OCPP action
        <input list="ocpp-actions" value={action} onInput={(e) => setAction(e.target.value)} />
      </label>
      <datalist id="ocpp-actions">
        {ACTIONS.map((a) => (
          <option value={a} key={a} />
        ))}
      </datalist>
      <label>
        Payload (JSON)
        <textarea rows="3" value={payload} onInput={(e) => setPayload(e.target.value)} />
      </label>
      <button type="submit">Send</button>
      {out && <pre class={out.ok ? 'answer' : 'answer err'}>{out.text}</pre>}
    </form>
  );
}

function Charger({ ch, live }) {
  const [msg, setMsg] = useState(null);
  const [more, setMore] = useState(false);
  const conns = (ch.connectors || []).filter((c) => c.connectorId > 0);
  const active = (live.active || []).filter((t) => t.charger === ch.id);
  return (
    <Panel
      title={ch.id}
      id={'charger-' + ch.id}
      actions={
        <span class="row">
          <Badge kind={ch.connected ? 'ok' : 'bad'}>{ch.connected ? 'online' : 'offline'}</Badge>
          <Badge kind={ch.registration === 'accepted' ? '' : 'warn'}>{ch.registration}</Badge>
        </span>
      }
    >
      <p class="muted small">
        {[ch.vendor, ch.model, ch.firmware].filter(Boolean).join(' · ')} · last seen {time(ch.lastSeen)}
      </p>
      {ch.registration === 'pending' && (
        <div class="row">
          <button class="primary" onClick={() => act(setMsg, () => post(`/chargers/${encodeURIComponent(ch.id)}/accept`), 'accepted')}>
            Accept
          </button>
          <button onClick={() => act(setMsg, () => post(`/chargers/${encodeURIComponent(ch.id)}/reject`), 'rejected')}>Reject</button>
        </div>
      )}
      {conns.map((c) => (
        <Connector key={c.connectorId} ch={ch} c={c} dlm={live.dlm && live.dlm.chargers} tx={active.find((t) => t.connectorId === c.connectorId)} setMsg={setMsg} />
      ))}
      {!conns.length && <p class="muted">No connector reported yet.</p>}
      <ChargerSettings id={ch.id} setMsg={setMsg} />
      <div class="row">
        <button onClick={() => act(setMsg, () => ocpp(ch.id, 'Reset', { type: 'Soft' }), answer)}>Soft reset</button>
        <button onClick={() => act(setMsg, () => ocpp(ch.id, 'Reset', { type: 'Hard' }), answer)}>Hard reset</button>
        <button class="link" onClick={() => setMore(!more)}>
          {more ? 'Hide OCPP console' : 'OCPP console…'}
        </button>
      </div>
      <Msg m={msg} />
      {more && <OcppConsole id={ch.id} />}
    </Panel>
  );
}

export function Chargers({ live }) {
  if (!live) return <p class="muted">Waiting for the live feed…</p>;
  const list = live.chargers || [];
  if (!list.length) return <Panel title="Chargers"><p class="muted">No charger has connected yet. Point a charger at ws://THIS-HOST:8180/ocpp/&lt;id&gt;.</p></Panel>;
  return (
    <div class="grid2">
      {list.map((ch) => (
        <Charger key={ch.id} ch={ch} live={live} />
      ))}
    </div>
  );
}
