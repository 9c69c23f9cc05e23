// settings.jsx: the station's working mode and every parameter of GET
// /api/v1/station's "settings", as a form drawn from the settings
// themselves (so a parameter added to the API shows up here), with the
// manual's names where it has one; the lists are row editors (lists.jsx).
// Checked in the form (types, ranges, periods) and by the API: its 400 text
// is shown as it is. A list a file holds (the dated outages with
// station_outages_file: GET feeds.outages) is shown, not edited or sent.
// With stations on other sites (GET /api/v1/sites: "station"), a Site
// select at the top: the form is then /api/v1/sites/{id}/station's.
import { useState } from 'preact/hooks';
import { get, put } from './api.js';
import { LISTS, ListEditor, WindowFields, decorate, draftError, isWindow, strip } from './lists.jsx';
import { MODE_KEYS, modeName } from './home.jsx';
import { Panel, Msg, act, useLoad } from './ui.jsx';

const LABELS = {
  utcOffsetMin: 'UTC offset of local time (min)',
  socStartPct: 'SOC at start (%)',
  socMinPct: 'Minimum SOC (%)',
  socMaxPct: 'Maximum SOC (%)',
  backupReservePct: 'Backup Reserve SOC (%)',
  maxPeakPowerW: 'Maximum Peak Power (W, 0 = none)',
  peakShavingSocPct: 'Peak shaving SOC (%)',
  inverterMaxW: 'Inverter maximum AC output (W)',
  breakerA: 'Home air circuit breaker (A)',
  evPrioritySocPct: 'EV priority SOC (%)',
  socThresholdPct: 'SOC threshold (%)',
  minStartPowerW: 'SG Ready Heat Pump Min Starting Power (W)',
  powerW: 'SG Ready Heat Pump Power (W)',
  minRunS: 'Min Running Time (s)',
  maxDailyRunS: 'Max Daily Running Time (s, 0 = none)',
  pvResidualControl: 'PV Residual Power Control',
  ratedPowerW: 'Rated Power (W)',
  bestPowerDuty: 'Best Power Duty (≤ 80 %)',
  chargeCutoffSocPct: 'Battery Charging Cut-off SOC for Generator (%)',
  windowEnabled: 'Time of Use window',
  importPrice: 'Import price (per kWh)',
  exportPrice: 'Feed-in price (per kWh)',
  peakChargePerKw: 'Peak power charge (per kW)',
  timeoutS: 'Fallback after silence (s)',
  targetSocPct: 'Target SOC before an outage (%)',
  marginMin: 'Full this long before (min)',
};
const SECTIONS = {
  battery: 'Battery',
  tou: 'Time-based Control periods',
  remoteEms: 'Remote EMS',
  loadShedding: 'Load Shedding',
  tariff: 'Rate plan',
  optimise: 'Optimising mode',
  smartLoads: 'Smart loads',
  heatPump: 'SG-ready heat pump',
  generator: 'Generator',
  offPeakPeriods: 'Off-peak periods (peak shaving)',
  chargers: 'Chargers (station settings)',
};
const ENUMS = { 'heatPump.mode': ['manual', 'auto'], 'generator.mode': ['manual', 'auto'] };

// A name without a label of its own: words, and its unit suffix in brackets.
const UNITS = [['Pct', '%'], ['Wh', 'Wh'], ['W', 'W'], ['A', 'A'], ['S', 's'], ['Min', 'min'], ['H', 'h'], ['Deg', '°'], ['V', 'V']];
function label(k) {
  if (LABELS[k]) return LABELS[k];
  let unit = '';
  for (const [suf, u] of UNITS)
    if (k.endsWith(suf) && k.length > suf.length) {
      unit = ' (' + u + ')';
      k = k.slice(0, -suf.length);
      break;
    }
  const words = k.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1) + unit;
}

function range(k) {
  if (/Pct$/.test(k)) return { min: 0, max: 100, step: 'any' };
  if (/Efficiency$/.test(k)) return { min: 0.01, max: 1, step: 'any' };
  if (/(W|Wh|A|S|Min|H)$/.test(k)) return { min: 0, step: 'any' };
  return { step: 'any' };
}

// One value at path (an array of keys) of the draft.
function Field({ path, v, onChange, known, feeds }) {
  const k = path[path.length - 1];
  const id = 'f-' + path.join('-');
  const dotted = path.join('.');
  if (typeof v === 'boolean')
    return (
      <label class="check">
        <input id={id} name={dotted} type="checkbox" checked={v} onChange={(e) => onChange(path, e.target.checked)} /> {label(k)}
      </label>
    );
  if (typeof v === 'number' || v === null)
    return (
      <label>
        {label(k)}
        <input
          id={id}
          name={dotted}
          type="number"
          {...range(k)}
          value={v === null ? '' : v}
          placeholder={v === null ? 'none' : ''}
          onInput={(e) => onChange(path, e.target.value === '' ? null : Number(e.target.value))}
        />
      </label>
    );
  if (typeof v === 'string') {
    const opts = ENUMS[dotted];
    return (
      <label>
        {label(k)}
        {opts ? (
          <select id={id} name={dotted} value={v} onChange={(e) => onChange(path, e.target.value)}>
            {opts.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        ) : (
          <input id={id} name={dotted} value={v} pattern={/^(start|end)$/.test(k) ? '\\d\\d:\\d\\d' : undefined} onInput={(e) => onChange(path, e.target.value)} />
        )}
      </label>
    );
  }
  if (Array.isArray(v) && LISTS[dotted]) {
    const spec = LISTS[dotted];
    const feed = spec.feed && feeds ? feeds[spec.feed] : null;
    return <ListEditor name={dotted} spec={spec} rows={v} known={known} feed={feed} onChange={(rows) => onChange(path, rows)} />;
  }
  if (isWindow(v))
    return (
      <div class="wide">
        <WindowFields name={dotted} w={v} label={label(k) === 'Window' ? 'Time of Use' : label(k)} onChange={(w) => onChange(path, w)} />
      </div>
    );
  if (Array.isArray(v) && (k === 'weekdays' || (v.length && v.every((x) => typeof x === 'string'))))
    return (
      <label>
        {label(k)}
        <input id={id} name={dotted} value={v.join(', ')} onChange={(e) => onChange(path, e.target.value.split(/[\s,]+/).filter(Boolean))} />
      </label>
    );
  if (Array.isArray(v)) return <JsonList path={path} v={v} onChange={onChange} />;
  return <Group path={path} v={v} onChange={onChange} feeds={feeds} />;
}

// A list that lists.jsx does not know (one added to the API later): JSON.
function JsonList({ path, v, onChange }) {
  const [text, setText] = useState(JSON.stringify(v, null, 1));
  const [bad, setBad] = useState(null);
  const dotted = path.join('.');
  return (
    <label class="wide">
      {label(path[path.length - 1])} (JSON list)
      <textarea
        name={dotted}
        rows={Math.min(8, 2 + v.length * 2)}
        value={text}
        placeholder="[]"
        class={bad ? 'invalid' : ''}
        onInput={(e) => {
          setText(e.target.value);
          try {
            const j = JSON.parse(e.target.value || '[]');
            if (!Array.isArray(j)) throw new Error('a JSON list [...] is needed');
            setBad(null);
            onChange(path, j);
          } catch (err) {
            setBad(err.message);
            onChange(path, undefined, err.message);
          }
        }}
      />
      {bad && <span class="msg err">{bad}</span>}
    </label>
  );
}

function Group({ path, v, onChange, feeds }) {
  const keys = Object.keys(v);
  return (
    <fieldset>
      <legend>{SECTIONS[path[path.length - 1]] || label(path[path.length - 1])}</legend>
      {keys.map((k) => (
        <Field key={k} path={[...path, k]} v={v[k]} onChange={onChange} feeds={feeds} />
      ))}
    </fieldset>
  );
}

function setIn(obj, path, val) {
  const out = Array.isArray(obj) ? [...obj] : { ...obj };
  if (path.length === 1) out[path[0]] = val;
  else out[path[0]] = setIn(obj[path[0]], path.slice(1), val);
  return out;
}

function SettingsForm({ st, path, reload, msg, setMsg, known }) {
  const [draft, setDraft] = useState(() => decorate(st.settings));
  const [errors, setErrors] = useState({});
  const onChange = (path, val, err) => {
    setErrors((e) => ({ ...e, [path.join('.')]: err }));
    if (!err) setDraft((d) => setIn(d, path, val));
  };
  async function save(e) {
    e.preventDefault();
    const bad = Object.entries(errors).filter(([, x]) => x);
    if (bad.length) {
      setMsg({ ok: false, text: bad[0][0] + ': ' + bad[0][1] });
      return;
    }
    const wrong = draftError(draft);
    if (wrong) {
      setMsg({ ok: false, text: wrong });
      return;
    }
    const changed = {};
    for (const k of Object.keys(draft)) {
      const s = JSON.stringify(draft[k], strip);
      if (s !== JSON.stringify(st.settings[k])) changed[k] = JSON.parse(s);
    }
    // a list a file holds (feeds.outages: station_outages_file) is the
    // file's: the API refuses it (409), so it is never sent
    if (st.feeds && st.feeds.outages && changed.loadShedding) {
      delete changed.loadShedding.outages;
      if (!Object.keys(changed.loadShedding).length) delete changed.loadShedding;
    }
    if (!Object.keys(changed).length) {
      setMsg({ ok: true, text: 'nothing changed' });
      return;
    }
    if ('mode' in changed && (changed.mode === 'remoteEms' || st.settings.mode === 'remoteEms')) {
      if (!confirm('Entering or leaving Remote EMS mode: has the installer confirmed it?')) return;
      changed.confirm = true;
    }
    const r = await act(setMsg, () => put(path, changed), 'saved: ' + Object.keys(changed).filter((k) => k !== 'confirm').join(', '));
    if (r !== undefined) reload();
  }
  const top = Object.keys(draft).filter((k) => k !== 'mode');
  const scalars = top.filter((k) => typeof draft[k] !== 'object' || draft[k] === null);
  const groups = top.filter((k) => typeof draft[k] === 'object' && draft[k] !== null);
  return (
    <form class="settings" onSubmit={save} novalidate={false}>
      <Panel title="Working mode" id="working-mode">
        <div class="modes" role="radiogroup" aria-label="working mode">
          {MODE_KEYS.map((m) => (
            <label key={m} class={'mode' + (draft.mode === m ? ' on' : '')}>
              <input type="radio" name="mode" value={m} checked={draft.mode === m} onChange={() => onChange(['mode'], m)} />
              {modeName(m)}
            </label>
          ))}
        </div>
        <div class="row">
          <button type="submit" class="primary">
            Save
          </button>
          <Msg m={msg} />
        </div>
      </Panel>
      <Panel title="Station">
        <fieldset>
          {scalars.map((k) => (
            <Field key={k} path={[k]} v={draft[k]} onChange={onChange} />
          ))}
        </fieldset>
      </Panel>
      {groups.map((k) => (
        <Panel key={k} title={SECTIONS[k] || label(k)}>
          {Array.isArray(draft[k]) ? <Field path={[k]} v={draft[k]} onChange={onChange} known={known} feeds={st.feeds} /> : <Fields path={[k]} v={draft[k]} onChange={onChange} feeds={st.feeds} />}
        </Panel>
      ))}
      <div class="row sticky">
        <button type="submit" class="primary">
          Save
        </button>
        <Msg m={msg} />
      </div>
    </form>
  );
}

function Fields({ path, v, onChange, feeds }) {
  return (
    <fieldset>
      {Object.keys(v).map((k) => (
        <Field key={k} path={[...path, k]} v={v[k]} onChange={onChange} feeds={feeds} />
      ))}
    </fieldset>
  );
}

const stationPath = (site) => (site === 'default' ? '/station' : '/sites/' + encodeURIComponent(site) + '/station');

export function Settings({ live }) {
  const [site, setSite] = useState('default');
  const sites = useLoad(() => get('/sites').catch(() => []), []);
  const st = useLoad(() => get(stationPath(site)), [site]);
  const [gen, setGen] = useState(0);
  const [msg, setMsg] = useState(null); // outlives the form, which is redrawn after a save
  const withStation = (sites.data || []).filter((x) => x.station);
  const picker = withStation.length > 1 && (
    <Panel>
      <label class="row">
        Site
        <select
          value={site}
          data-testid="station-site"
          onChange={(e) => {
            setMsg(null);
            setSite(e.target.value);
          }}
        >
          {withStation.map((x) => (
            <option value={x.id} key={x.id}>
              {x.name && x.name !== x.id ? x.name + ' (' + x.id + ')' : x.id}
            </option>
          ))}
        </select>
      </label>
    </Panel>
  );
  let body;
  if (st.error) body = <p class="msg err">{st.error.status === 409 || st.error.status === 503 ? 'The station is not running.' : st.error.message}</p>;
  else if (!st.data || (st.data.site || 'default') !== site) body = <p class="muted">Loading…</p>;
  else {
    // the chargers of this site that csmsd serves
    const known = ((live && live.chargers) || [])
      .filter((c) => c.registration === 'accepted' && ((c.settings && c.settings.site) || 'default') === site)
      .map((c) => c.id);
    body = <SettingsForm key={site + '/' + gen} st={st.data} path={stationPath(site)} known={known} msg={msg} setMsg={setMsg} reload={() => st.reload().then(() => setGen(gen + 1))} />;
  }
  return (
    <>
      {picker}
      {body}
    </>
  );
}
