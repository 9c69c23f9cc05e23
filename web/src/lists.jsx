// lists.jsx: the station's lists (off-peak periods, Time-based Control
// periods, load-shedding windows, rate-plan periods, smart loads, generator
// windows, chargers) as rows of typed fields, one spec per list in the shape
// GET /api/v1/station returns (see station/station_json.c), so a homeowner
// never types JSON. Times are <input type=time>, weekdays toggle chips,
// powers and SOCs numbers with their unit, enums selects. A row's checks
// run in the form: the input's own validity carries them, so the browser
// refuses to submit and the message stands beside the field.
import { useEffect, useRef } from 'preact/hooks';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
const MAX_PERIODS = 16; // STATION_MAX_PERIODS
const EV_MODE_NAMES = { fast: 'Fast Charging', solarBoost: 'Solar Boost Charging', pv: '100% PV Charging', pv100: '100% PV Charging' };

// A window ({start, end, weekdays}) crossing midnight is legal for the
// station (22:00-06:00); the form asks for it explicitly ("ends next day")
// so that an end typed before the start by mistake is refused. "_overnight"
// is the form's own key: keys starting with "_" never leave the page.
export function isWindow(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && typeof v.start === 'string' && typeof v.end === 'string';
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

// The editor of the list at dotted path `name`; onChange(list).
export function ListEditor({ name, spec, rows, onChange, known }) {
  const max = spec.max || MAX_PERIODS;
  const setRow = (i, r) => onChange(rows.map((x, j) => (j === i ? r : x)));
  return (
    <div class="list" data-list={name}>
      {spec.title && <h3>{spec.title}</h3>}
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
    </div>
  );
}

// What the form refuses in the whole draft, for the save message: the
// first problem as "where: what", or null.
export function draftError(d) {
  let found = null;
  const walk = (v, path) => {
    if (found || !v || typeof v !== 'object') return;
    if (isWindow(v)) {
      const e = windowError(v);
      if (e) return (found = path + ': ' + e);
    }
    const spec = LISTS[path.replace(/\.\d+$/, '')];
    if (spec && spec.check && !Array.isArray(v)) {
      const e = spec.check(v);
      if (e) return (found = path + ': ' + e);
    }
    for (const k of Object.keys(v)) walk(v[k], path ? path + '.' + k : k);
  };
  walk(d, '');
  return found;
}
