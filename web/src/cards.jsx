// cards.jsx: RFID cards (id tags): add, block, expiry, parent group,
// binding to chargers (PUT/DELETE /api/v1/id-tags/{idTag}).
import { useState } from 'preact/hooks';
import { get, put, del } from './api.js';
import { time } from './fmt.js';
import { Panel, Msg, Badge, act, useLoad } from './ui.jsx';

const STATUSES = ['Accepted', 'Blocked', 'Expired', 'Invalid'];
const enc = encodeURIComponent;

function body(f) {
  const b = { status: f.status, parentIdTag: f.parentIdTag || null, chargers: f.chargers.split(/[\s,]+/).filter(Boolean) };
  b.expiryDate = f.expiry ? new Date(f.expiry).toISOString() : null;
  return b;
}

const localInput = (iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
};

function CardForm({ initial, onSaved, setMsg }) {
  const [f, setF] = useState(
    initial
      ? { idTag: initial.idTag, status: initial.status, expiry: localInput(initial.expiryDate), parentIdTag: initial.parentIdTag || '', chargers: (initial.chargers || []).join(', ') }
      : { idTag: '', status: 'Accepted', expiry: '', parentIdTag: '', chargers: '' },
  );
  const set = (k) => (e) => setF({ ...f, [k]: e.target.value });
  async function submit(e) {
    e.preventDefault();
    const r = await act(setMsg, () => put('/id-tags/' + enc(f.idTag.trim()), body(f)), 'card ' + f.idTag + ' saved');
    if (r !== undefined) onSaved();
  }
  return (
    <form class="cardform" onSubmit={submit}>
      <label>
        Card id
        <input name="idTag" required maxLength={20} pattern="[^\/]+" value={f.idTag} onInput={set('idTag')} readOnly={!!initial} />
      </label>
      <label>
        Status
        <select name="status" value={f.status} onChange={set('status')}>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Expiry
        <input name="expiry" type="datetime-local" value={f.expiry} onInput={set('expiry')} />
      </label>
      <label>
        Parent (group)
        <input name="parentIdTag" maxLength={20} value={f.parentIdTag} onInput={set('parentIdTag')} />
      </label>
      <label class="wide">
        Chargers (empty: all)
        <input name="chargers" placeholder="CP1, CP2" value={f.chargers} onInput={set('chargers')} />
      </label>
      <button type="submit" class="primary">
        {initial ? 'Save' : 'Add card'}
      </button>
    </form>
  );
}

export function Cards() {
  const list = useLoad(() => get('/id-tags'), []);
  const [msg, setMsg] = useState(null);
  const [edit, setEdit] = useState(null);
  const cards = list.data || [];
  return (
    <>
      <Panel title="Add a card">
        <CardForm key="new" onSaved={list.reload} setMsg={setMsg} />
        <Msg m={msg} />
      </Panel>
      <Panel title="Cards">
        {list.error && <p class="msg err">{list.error.message}</p>}
        <div class="tablewrap">
          <table>
            <thead>
              <tr>
                <th>Card</th>
                <th>Status</th>
                <th>Expiry</th>
                <th>Parent</th>
                <th>Chargers</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {cards.map((c) => (
                <tr key={c.idTag} data-card={c.idTag}>
                  <td>{c.idTag}</td>
                  <td>
                    <Badge kind={c.status === 'Accepted' ? 'ok' : 'bad'}>{c.status}</Badge>
                  </td>
                  <td>{c.expiryDate ? time(c.expiryDate) : '–'}</td>
                  <td>{c.parentIdTag || '–'}</td>
                  <td>{c.chargers && c.chargers.length ? c.chargers.join(', ') : 'all'}</td>
                  <td class="actions">
                    <button class="link" onClick={() => setEdit(c)}>
                      Edit
                    </button>
                    <button
                      class="link"
                      onClick={() => act(setMsg, () => put('/id-tags/' + enc(c.idTag), { ...c, status: c.status === 'Blocked' ? 'Accepted' : 'Blocked' }).then(list.reload), 'saved')}
                    >
                      {c.status === 'Blocked' ? 'Unblock' : 'Block'}
                    </button>
                    <button class="link danger" onClick={() => confirm('Delete card ' + c.idTag + '?') && act(setMsg, () => del('/id-tags/' + enc(c.idTag)).then(list.reload), 'deleted')}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!list.loading && !cards.length && <p class="muted">No cards yet.</p>}
      </Panel>
      {edit && (
        <Panel title={'Card ' + edit.idTag} actions={<button class="link" onClick={() => setEdit(null)}>Close</button>}>
          <CardForm key={edit.idTag} initial={edit} onSaved={() => (list.reload(), setEdit(null))} setMsg={setMsg} />
        </Panel>
      )}
    </>
  );
}
