// lists.jsx: the station's lists (off-peak periods, Time-based Control
// periods, load-shedding windows, rate-plan periods, smart loads, generator
// windows, chargers) as rows of typed fields, one spec per list in the shape
// GET /api/v1/station returns (see station/station_json.c), so a homeowner
// never types JSON. Times are <input type=time>, weekdays toggle chips,
// powers and SOCs numbers with their unit, enums selects. A row's checks
// run in the form: the input's own validity carries them, so the browser
// refuses to submit and the message stands beside the field. Dated
// outages (loadShedding.outages) are <input type=datetime-local> in the
// browser's time zone; the API's UTC form is kept as it is until a field is
// changed, so a save changes no row that was not touched.
import { useEffect, useRef } from 'preact/hooks';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
const MAX_PERIODS = 16; // STATION_MAX_PERIODS
const EV_MODE_NAMES = { fast: 'Fast Charging', solarBoost: 'Solar Boost Charging', pv: '100% PV Charging', pv100: '100% PV Charging' };

// A window ({start, end, weekdays}) crossing midnight is legal for the
// station (22:00-06:00); the form asks for it explicitly ("ends next day")
// so that an end typed before the start by mistake is refused. "_overnight"
// is the form's own key: keys starting with "_" never leave the page.
const isDate = (s) => /^\d{4,}-\d\d-\d\dT/.test(s);
export function isWindow(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && typeof v.start === 'string' && typeof v.end === 'string' && !isDate(v.start) && !isDate(v.end);
}
const wraps = (w) => w.end < w.start && w.end !== '00:00';
export function decorate(v) {
  if (Array.isArray(v)) return v.map(decorate);
  if (!v || typeof v !== 'object') return v;
  const out = {};
  for (const k of Object.keys(v)) out[k] = decorate(v[k]);
  if (isWindow(v)) out._overnight = wraps(v);
  return out;
}
export const strip = (k, v) => (k.startsWith('_') ? undefined : v);

// The form's checks of one window: null or what is wrong.
export function windowError(w) {
  if (!/^\d\d:\d\d$/.test(w.start) || !/^\d\d:\d\d$/.test(w.end)) return 'a start and an end time are needed';
  if (Array.isArray(w.weekdays) && !w.weekdays.length) return 'choose at least one day';
  if (wraps(w) && !w._overnight) return `ends (${w.end}) before it starts (${w.start}): tick "Ends next day" for a period over midnight`;
  if (w._overnight && !wraps(w)) return '"Ends next day" is ticked but the end is not before the start';
  return null;
}
function windowHint(w) {
  if (w.start === w.end) return 'all day';
  if (w.end === '00:00') return w.start + ' to midnight';
  return w._overnight ? w.start + ' to ' + w.end + ' the next day' : '';
}

// Dated outages ({start, end} as ISO 8601 UTC, e.g. 2026-12-05T14:00:00.000Z,
// at most 24 h long). The inputs show the browser's local time; a value
// typed there is the local time of that date (its own UTC offset, so a
// date across a DST change is right), back in UTC.
const DAY_MS = 86400000;
const MAX_OUTAGES = 64; // STATION_MAX_OUTAGES
const p2 = (x) => String(x).padStart(2, '0');
export function toLocalInput(iso) {
  const t = iso ? Date.parse(iso) : NaN;
  if (isNaN(t)) return '';
  const d = new Date(t);
  const v = `${String(d.getFullYear()).padStart(4, '0')}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}T${p2(d.getHours())}:${p2(d.getMinutes())}`;
  return d.getSeconds() || d.getMilliseconds() ? v + ':' + p2(d.getSeconds()) : v;
}
export function fromLocalInput(v) {
  const m = /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3}))?)?$/.exec(v || '');
  if (!m) return '';
  const d = new Date(2000, 0, 1);
  d.setFullYear(+m[1], +m[2] - 1, +m[3]);
  d.setHours(+m[4], +m[5], +(m[6] || 0), +(m[7] || '0').padEnd(3, '0'));
  return isNaN(d.getTime()) ? '' : d.toISOString();
}
export function span(ms) {
  const min = Math.round(ms / 60000);
  const h = Math.floor(min / 60);
  const m = min % 60;
  return h && m ? `${h} h ${m} min` : h ? `${h} h` : `${m} min`;
}
const localText = (ms, withDay = true) =>
  new Date(ms).toLocaleString([], withDay ? { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
const sameDay = (a, b) => new Date(a).toDateString() === new Date(b).toDateString();
export const outageText = (o) => {
  const s = Date.parse(o.start);
  const e = Date.parse(o.end);
  return localText(s) + ' – ' + localText(e, !sameDay(s, e));
};
export function outageError(o) {
  const s = o.start ? Date.parse(o.start) : NaN;
  const e = o.end ? Date.parse(o.end) : NaN;
  if (isNaN(s) || isNaN(e)) return 'a start and an end date and time are needed';
  if (e <= s) return `the end (${localText(e)}) is not after the start (${localText(s)})`;
  if (e - s > DAY_MS) return `it lasts ${span(e - s)}: an outage can last at most 24 h`;
  return null;
}
// In the hour repeated when the clocks go back, a local time names two
// instants; typed, it is the first; a stored second one is said so.
const secondPass = (iso) => fromLocalInput(toLocalInput(iso)) !== new Date(iso).toISOString();
function outageHint(o) {
  const s = Date.parse(o.start);
  const e = Date.parse(o.end);
  const shift = new Date(s).getTimezoneOffset() - new Date(e).getTimezoneOffset();
  const again = ['start', 'end'].filter((k) => secondPass(o[k]));
  return (
    span(e - s) +
    (sameDay(s, e) ? '' : ', into the next day') +
    (shift ? ` (the clocks go ${shift > 0 ? 'forward' : 'back'} ${span(Math.abs(shift) * 60000)} in between)` : '') +
    (again.length ? `; the ${again.join(' and ')} in the repeated hour, after the clocks went back` : '')
  );
}
// A new row: tomorrow 18:00 to 20:00 here.
function tomorrowAt18() {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(18, 0, 0, 0);
  return d.getTime();
}

// Field kinds: num (unit, min, max, nullable = empty means no limit), text,
// select (opts), bool. `when` hides a field that the row's other values make
// meaningless (it keeps its value).
const n = (key, label, unit, min, max, extra) => ({ key, kind: 'num', label, unit, min, max, ...extra });
const lim = (key, label) => n(key, label, 'W', 0, 1e7, { nullable: true });
const isCharge = (r) => r.type === 'charge';
const isDischarge = (r) => r.type !== 'charge';
const everyDay = () => [...DAYS];
const win = (start, end) => ({ start, end, weekdays: everyDay(), _overnight: false });

export const LISTS = {
  offPeakPeriods: { noun: 'off-peak period', window: true, fields: [], make: () => win('00:00', '06:00') },
  'tou.periods': {
    noun: 'period',
    window: true,
    fields: [
      { key: 'type', kind: 'select', label: 'Period', opts: [['charge', 'Charging'], ['discharge', 'Discharging / Self-Consumption']] },
      { ...lim('maxChargeW', 'Maximum charging power for BAT'), when: isCharge },
      { ...n('gridChargeCutoffSocPct', 'Grid Charging Cut-off SOC', '%', 0, 100), when: isCharge },
      { ...lim('maxImportW', 'Maximum power for importing from grid'), when: isCharge },
      { ...lim('maxGridChargeW', 'Maximum Charging Power from Grid to BAT'), when: isCharge },
      { ...lim('maxDischargeW', 'Maximum discharging power for BAT'), when: isDischarge },
      { ...lim('maxExportW', 'Maximum power for exporting to grid'), when: isDischarge },
      { ...n('maxBatToGridW', 'Maximum Discharging Power from BAT to Grid', 'W', 0, 1e7), when: isDischarge },
    ],
    make: () => ({
      ...win('01:00', '05:00'),
      type: 'charge',
      maxChargeW: null,
      gridChargeCutoffSocPct: 100,
      maxImportW: null,
      maxGridChargeW: null,
      maxDischargeW: null,
      maxExportW: null,
      maxBatToGridW: 0,
    }),
  },
  'loadShedding.windows': { title: 'Expected outages', noun: 'outage window', window: true, fields: [], make: () => win('18:00', '20:00') },
  // dated outages; from the file station_outages_file (feeds.outages) they
  // are shown, not edited
  'loadShedding.outages': {
    title: 'Scheduled outages (dated)',
    noun: 'outage',
    dated: true,
    feed: 'outages',
    max: MAX_OUTAGES,
    fields: [],
    make: () => {
      const s = tomorrowAt18();
      return { start: new Date(s).toISOString(), end: new Date(s + 2 * 3600000).toISOString() };
    },
  },
  'tariff.periods': {
    title: 'Rate periods (outside them the flat prices apply)',
    noun: 'rate period',
    window: true,
    fields: [n('importPrice', 'Import price', 'per kWh', -10, 100), n('exportPrice', 'Feed-in price', 'per kWh', -10, 100)],
    make: () => ({ ...win('17:00', '21:00'), importPrice: 0.3, exportPrice: 0.08 }),
  },
  smartLoads: {
    noun: 'smart load',
    max: 8, // STATION_MAX_SMART_LOADS
    fields: [
      { key: 'name', kind: 'text', label: 'Name', maxlength: 31, required: true },
      n('powerW', 'Power', 'W', 0, 1e6),
      { key: 'mode', kind: 'select', label: 'Operating Mode', opts: [['manual', 'Manual'], ['autoSoc', 'Auto SOC']] },
      { key: 'on', kind: 'bool', label: 'On', when: (r) => r.mode === 'manual' },
      { ...n('socThresholdPct', 'SOC Threshold for Load Activation', '%', 0, 100), when: (r) => r.mode === 'autoSoc' },
      { key: 'window', kind: 'window', label: 'Time of Use', when: (r) => r.mode === 'autoSoc' },
    ],
    make: (rows) => ({ name: 'Load ' + (rows.length + 1), powerW: 1000, mode: 'manual', on: false, socThresholdPct: 80, window: win('00:00', '00:00') }),
  },
  'generator.windows': {
    title: 'Time of Use (Auto mode)',
    noun: 'window',
    window: true,
    fields: [n('startSocPct', 'Start at SOC ≤', '%', 0, 100), n('stopSocPct', 'Stop at SOC ≥', '%', 0, 100)],
    make: () => ({ ...win('00:00', '00:00'), startSocPct: 20, stopSocPct: 80 }),
    check: (r) => (r.startSocPct >= r.stopSocPct ? 'the start SOC must be below the stop SOC' : null),
  },
  // chargers[]: one row per charger the station lists; mode, phases and
  // maximum current are the charger's own settings (the Chargers screen),
  // shown here, not edited; the fields below are the station's alone. A
  // charger csmsd knows but the station does not list yet gets a button: its
  // new row sends no mode, phases or current, so its own settings stay.
  chargers: {
    fixed: true,
    make: (rows, id) => ({ id, autoPhaseSwitch: true, batteryToEv: false, enableDelayS: 60, disableDelayS: 300, phaseSwitchDelayS: 300 }),
    fields: [
      { key: 'autoPhaseSwitch', kind: 'bool', label: 'Output mode auto switch (3 ↔ 1 phase)' },
      { key: 'batteryToEv', kind: 'bool', label: 'Home battery may charge the car' },
      n('enableDelayS', 'Start delay (100% PV)', 's', 0, 86400, { step: 1 }),
      n('disableDelayS', 'Pause delay (100% PV)', 's', 0, 86400, { step: 1 }),
      n('phaseSwitchDelayS', 'Phase switch delay', 's', 0, 86400, { step: 1 }),
    ],
  },
};

// Sets a custom validity message on the element (the browser then refuses
// the form and shows it; checkValidity() is false).
function useValidity(msg) {
  const ref = useRef(null);
  useEffect(() => {
    if (ref.current) ref.current.setCustomValidity(msg || '');
  });
  return ref;
}

function Days({ name, v, onChange }) {
  const set = new Set(v);
  return (
    <div class="days" role="group" aria-label="weekdays" data-name={name}>
      {DAYS.map((d) => (
        <button
          type="button"
          key={d}
          class={'chip' + (set.has(d) ? ' on' : '')}
          aria-pressed={set.has(d)}
          data-day={d}
          onClick={() => onChange(DAYS.filter((x) => (x === d ? !set.has(d) : set.has(x))))}
        >
          {DAY_NAMES[d]}
        </button>
      ))}
    </div>
  );
}

// A time window: start, end, "ends next day", weekdays.
export function WindowFields({ name, w, onChange, label }) {
  const err = windowError(w);
  const ref = useValidity(err);
  const hint = windowHint(w);
  const set = (k, val) => onChange({ ...w, [k]: val });
  return (
    <div class="window">
      {label && <span class="wlabel">{label}</span>}
      <div class="times">
        <label>
          Start
          <input type="time" name={name + '.start'} required value={w.start} onInput={(e) => set('start', e.target.value)} />
        </label>
        <label>
          End
          <input type="time" ref={ref} name={name + '.end'} required value={w.end} onInput={(e) => set('end', e.target.value)} />
        </label>
        <label class="check">
          <input type="checkbox" name={name + '._overnight'} checked={!!w._overnight} onChange={(e) => set('_overnight', e.target.checked)} /> Ends next day
        </label>
      </div>
      {Array.isArray(w.weekdays) && <Days name={name + '.weekdays'} v={w.weekdays} onChange={(d) => set('weekdays', d)} />}
      {err ? (
        <span class="msg err" data-error={name}>
          {err}
        </span>
      ) : (
        hint && <span class="muted small">{hint}</span>
      )}
    </div>
  );
}

// A dated outage: start and end as local date-times, its length beside.
// An input shows seconds only when the stored time has them.
function OutageFields({ name, o, onChange }) {
  const err = outageError(o);
  const ref = useValidity(err);
  const start = toLocalInput(o.start);
  const end = toLocalInput(o.end);
  const set = (k, v) => onChange({ ...o, [k]: fromLocalInput(v) });
  return (
    <div class="window">
      <div class="times dated">
        <label>
          Start
          <input type="datetime-local" name={name + '.start'} required step={start.length > 16 ? 1 : 60} value={start} onInput={(e) => set('start', e.target.value)} />
        </label>
        <label>
          End
          <input type="datetime-local" ref={ref} name={name + '.end'} required step={end.length > 16 ? 1 : 60} value={end} onInput={(e) => set('end', e.target.value)} />
        </label>
      </div>
      {err ? (
        <span class="msg err" data-error={name}>
          {err}
        </span>
      ) : (
        <span class="muted small" data-hint={name}>
          {outageHint(o)}
        </span>
      )}
    </div>
  );
}

const when = (iso) => (iso ? new Date(iso).toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : null);

// Where a list comes from when a file holds it (GET /station feeds.X): the
// file, its last read, the error of the last read in red.
function FeedFile({ f }) {
  return (
    <p class="small feedfile" data-testid="list-feed">
      <span>
        From the file <code>{f.url}</code>
      </span>
      <span>
        {f.lastFetch ? 'Last read ' + when(f.lastFetch) : 'Not read yet'}
        {f.lastSuccess && f.lastSuccess !== f.lastFetch ? ' (last good read ' + when(f.lastSuccess) + ')' : ''}
      </span>
      {f.error && (
        <span class="err" data-testid="list-feed-error">
          That read changed nothing: {f.error}
        </span>
      )}
      <span class="muted">Change the file to change them; csmsd reads it again when it changes.</span>
    </p>
  );
}

// A list the file holds: its rows as text, nothing to edit.
function ReadOnlyList({ name, spec, rows, feed }) {
  return (
    <div class="list" data-list={name} data-readonly="file">
      {spec.title && <h3>{spec.title}</h3>}
      <FeedFile f={feed} />
      {!rows.length ? (
        <p class="muted small">None to come.</p>
      ) : (
        <ul class="rolist">
          {rows.map((o, i) => (
            <li key={i} data-row={i}>
              <span>{outageText(o)}</span> <span class="muted small nowrap">{span(Date.parse(o.end) - Date.parse(o.start))}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function NumField({ f, name, v, onChange }) {
  return (
    <label>
      {f.label}
      <span class="inunit">
        <input
          type="number"
          name={name}
          min={f.min}
          max={f.max}
          step={f.step || 'any'}
          required={!f.nullable}
          value={v === null || v === undefined ? '' : v}
          placeholder={f.nullable ? 'no limit' : ''}
          onInput={(e) => onChange(e.target.value === '' ? (f.nullable ? null : undefined) : Number(e.target.value))}
        />
        <span class="unit">{f.unit}</span>
      </span>
    </label>
  );
}

function RowField({ f, name, v, onChange }) {
  if (f.kind === 'num') return <NumField f={f} name={name} v={v} onChange={onChange} />;
  if (f.kind === 'bool')
    return (
      <label class="check">
        <input type="checkbox" name={name} checked={!!v} onChange={(e) => onChange(e.target.checked)} /> {f.label}
      </label>
    );
  if (f.kind === 'select')
    return (
      <label>
        {f.label}
        <select name={name} value={v} onChange={(e) => onChange(e.target.value)}>
          {f.opts.map(([o, l]) => (
            <option key={o} value={o}>
              {l}
            </option>
          ))}
        </select>
      </label>
    );
  if (f.kind === 'window')
    return (
      <div class="wide">
        <WindowFields name={name} w={v} label={f.label} onChange={onChange} />
      </div>
    );
  return (
    <label>
      {f.label}
      <input name={name} value={v} maxlength={f.maxlength} required={f.required} onInput={(e) => onChange(e.target.value)} />
    </label>
  );
}

function RowCheck({ msg, name }) {
  const ref = useValidity(msg);
  if (!msg) return null;
  return (
    <>
      <input ref={ref} class="hiddencheck" tabindex={-1} aria-hidden="true" name={name + '._check'} />
      <span class="msg err wide" data-error={name}>
        {msg}
      </span>
    </>
  );
}

function ChargerHead({ r }) {
  if (r.mode === undefined) return <p class="small muted wide">Mode, phases and current: the charger's own settings (Chargers screen).</p>;
  return (
    <p class="small muted wide">
      {EV_MODE_NAMES[r.mode] || r.mode} · {r.phases === 1 ? 'single-phase' : 'three-phase'} · up to {r.maxCurrentA} A —{' '}
      <a href="#/chargers">change on the Chargers screen</a>
    </p>
  );
}

// The editor of the list at dotted path `name`; onChange(list). `feed`:
// the file that holds the list instead (it is shown, not edited).
export function ListEditor({ name, spec, rows, onChange, known, feed }) {
  if (feed) return <ReadOnlyList name={name} spec={spec} rows={rows} feed={feed} />;
  const max = spec.max || MAX_PERIODS;
  const setRow = (i, r) => onChange(rows.map((x, j) => (j === i ? r : x)));
  return (
    <div class="list" data-list={name}>
      {spec.title && <h3>{spec.title}</h3>}
      {spec.dated && <p class="muted small note">Dates and times in this browser's time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time'}).</p>}
      {!rows.length && <p class="muted small">{spec.fixed ? 'No charger yet.' : 'None.'}</p>}
      {rows.map((r, i) => {
        const rn = name + '.' + i;
        const fields = spec.fields.filter((f) => !f.when || f.when(r));
        return (
          <div class="lrow" key={i} data-row={i}>
            <div class="lhead">
              <strong>{spec.fixed ? 'Charger ' + r.id : spec.noun.charAt(0).toUpperCase() + spec.noun.slice(1) + ' ' + (i + 1)}</strong>
              {!spec.fixed && (
                <button type="button" class="link danger" aria-label={'remove ' + spec.noun + ' ' + (i + 1)} data-remove={rn} onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                  Remove
                </button>
              )}
            </div>
            <div class="lfields">
              {spec.fixed && <ChargerHead r={r} />}
              {spec.window && (
                <div class="wide">
                  <WindowFields name={rn} w={r} onChange={(w) => setRow(i, w)} />
                </div>
              )}
              {spec.dated && (
                <div class="wide">
                  <OutageFields name={rn} o={r} onChange={(o) => setRow(i, o)} />
                </div>
              )}
              {fields.map((f) => (
                <RowField key={f.key} f={f} name={rn + '.' + f.key} v={r[f.key]} onChange={(val) => setRow(i, { ...r, [f.key]: val })} />
              ))}
              <RowCheck name={rn} msg={spec.check && spec.check(r)} />
            </div>
          </div>
        );
      })}
      {spec.fixed &&
        (known || [])
          .filter((id) => !rows.some((r) => r.id === id))
          .map((id) => (
            <button type="button" key={id} data-add={name + ':' + id} disabled={rows.length >= 8} onClick={() => onChange([...rows, spec.make(rows, id)])}>
              + Station options for {id}
            </button>
          ))}
      {!spec.fixed && (
        <button type="button" data-add={name} disabled={rows.length >= max} onClick={() => onChange([...rows, spec.make(rows)])}>
          + Add {spec.noun}
        </button>
      )}
      {!spec.fixed && rows.length >= max && <p class="muted small">At most {max}.</p>}
    </div>
  );
}

// What the form refuses in the whole draft, for the save message: the
// first problem as "where: what", or null.
export function draftError(d) {
  let found = null;
  const walk = (v, path) => {
    if (found || !v || typeof v !== 'object') return;
    const spec = LISTS[path.replace(/\.\d+$/, '')];
    if (spec && spec.dated && !Array.isArray(v)) {
      const e = outageError(v);
      if (e) found = path + ': ' + e;
      return;
    }
    if (isWindow(v)) {
      const e = windowError(v);
      if (e) return (found = path + ': ' + e);
    }
    if (spec && spec.check && !Array.isArray(v)) {
      const e = spec.check(v);
      if (e) return (found = path + ': ' + e);
    }
    for (const k of Object.keys(v)) walk(v[k], path ? path + '.' + k : k);
  };
  walk(d, '');
  return found;
}
