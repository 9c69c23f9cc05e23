// fmt.js: how numbers and times are shown.
export const kW = (w) => (w == null || isNaN(w) ? '–' : Math.abs(w) >= 1000 ? (w / 1000).toFixed(2) + ' kW' : Math.round(w) + ' W');
export const kWh = (wh) => (wh == null || isNaN(wh) ? '–' : (wh / 1000).toFixed(2) + ' kWh');
export const amps = (a) => (a == null || isNaN(a) ? '–' : a.toFixed(1) + ' A');
export const pct = (x) => (x == null || isNaN(x) ? '–' : Math.round(x) + ' %');
export const ratio = (x) => (x == null || isNaN(x) ? '–' : Math.round(x * 100) + ' %');
export const money = (x) => (x == null || isNaN(x) ? '–' : x.toFixed(2));
export const time = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
export function duration(a, b) {
  if (!a) return '–';
  const s = Math.max(0, ((b ? new Date(b) : new Date()) - new Date(a)) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min` : `${Math.round(s)} s`;
}
