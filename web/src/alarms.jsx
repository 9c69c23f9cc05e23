// alarms.jsx: alarms (GET /api/v1/alarms, active or all) and the diagnosis
// (GET /api/v1/diagnosis: every charger and device, connected, health).
import { useState } from 'preact/hooks';
import { get } from './api.js';
import { time } from './fmt.js';
import { Panel, Badge, useLoad } from './ui.jsx';

export function Alarms() {
  const [all, setAll] = useState(false);
  const alarms = useLoad(() => get('/alarms?limit=200' + (all ? '' : '&active=true')), [all]);
  const diag = useLoad(() => get('/diagnosis'), []);
  const d = diag.data;
  return (
    <div class="grid2">
      <Panel
        title="Alarms"
        id="alarms"
        actions={
          <label class="check">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> cleared too
          </label>
        }
      >
        {alarms.error && <p class="msg err">{alarms.error.message}</p>}
        {alarms.data && !alarms.data.length && <p class="muted">No {all ? '' : 'active '}alarm.</p>}
        <ul class="alarms">
          {(alarms.data || []).map((a) => (
            <li key={a.id} class={a.cleared ? 'cleared' : 'active'}>
              <Badge kind={a.cleared ? '' : 'bad'}>{a.code}</Badge> <b>{a.charger || a.source}</b>
              {a.connectorId ? '/' + a.connectorId : ''} {a.info}
              <span class="muted small">
                {' '}
                raised {time(a.raised)}
                {a.cleared ? ', cleared ' + time(a.cleared) : ''}
              </span>
            </li>
          ))}
        </ul>
      </Panel>
      <Panel title="Diagnosis" id="diagnosis" actions={<button onClick={() => (diag.reload(), alarms.reload())}>Check again</button>}>
        {diag.error && <p class="msg err">{diag.error.message}</p>}
        {d && (
          <div class="tablewrap">
            <table>
              <thead>
                <tr>
                  <th>Device</th>
                  <th>Type</th>
                  <th>Connected</th>
                  <th>Health</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {(d.chargers || []).map((c) => (
                  <tr key={'c' + c.id}>
                    <td>{c.id}</td>
                    <td>charger ({c.registration})</td>
                    <td>{c.connected ? 'yes' : 'no'}</td>
                    <td>
                      <Badge kind={c.healthy ? 'ok' : 'bad'}>{c.healthy ? 'ok' : 'not ok'}</Badge>
                    </td>
                    <td>{time(c.lastSeen)}</td>
                  </tr>
                ))}
                {(d.devices || []).map((x) => (
                  <tr key={'d' + x.name}>
                    <td>{x.name}</td>
                    <td>{x.type}</td>
                    <td>{x.connected === undefined ? '–' : x.connected ? 'yes' : 'no'}</td>
                    <td>
                      <Badge kind={x.healthy ? 'ok' : 'bad'}>{x.healthy ? 'ok' : 'not ok'}</Badge> {x.error || ''}
                    </td>
                    <td>{x.lastSeen ? time(x.lastSeen) : x.ageS != null ? x.ageS.toFixed(1) + ' s ago' : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </div>
  );
}
