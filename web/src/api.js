// api.js: every call to csmsd's admin API. The token (if csmsd has one) is
// kept in sessionStorage and sent as the bearer token; a 401 anywhere sends
// the user back to the sign-in screen. The live feed is read with fetch
// and a ReadableStream (not EventSource) so the token stays in a header.

const KEY = 'csms.token';
let onUnauthorised = () => {};

export const token = {
  get: () => sessionStorage.getItem(KEY) || '',
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export function setUnauthorisedHandler(fn) {
  onUnauthorised = fn;
}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  const t = token.get();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// One request: the parsed JSON answer (null for 204), or an ApiError with
// the API's own description.
export async function api(method, path, body) {
  const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch('/api/v1' + path, init);
  if (r.status === 401) {
    onUnauthorised();
    throw new ApiError(401, 'Unauthorized', 'sign in again');
  }
  const text = await r.text();
  let j = null;
  try {
    j = text ? JSON.parse(text) : null;
  } catch (e) {
    j = null;
  }
  if (!r.ok) {
    const e = (j && j.error) || {};
    throw new ApiError(r.status, e.code || String(r.status), e.description || r.statusText || 'error', j);
  }
  return j;
}

export const get = (p) => api('GET', p);
export const put = (p, b) => api('PUT', p, b);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const del = (p) => api('DELETE', p);

// Tries a token (or none): true when the API lets it in.
export async function tryToken(t) {
  const h = { Accept: 'application/json' };
  if (t) h.Authorization = 'Bearer ' + t;
  const r = await fetch('/api/v1/chargers?limit=1', { headers: h });
  return r.ok;
}

// Downloads path (with the token) as a file named name.
export async function download(path, name) {
  const r = await fetch('/api/v1' + path, { headers: headers({ Accept: 'text/csv' }) });
  if (r.status === 401) return onUnauthorised();
  if (!r.ok) throw new ApiError(r.status, String(r.status), 'download failed');
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The live feed: calls onState(snapshot) for every "state" event, and
// onStatus(true|false) as the stream connects or drops; reconnects after
// 3 s. Returns a function that stops it.
export function liveFeed(onState, onStatus) {
  let stopped = false;
  let ctrl = null;
  let timer = null;
  async function run() {
    ctrl = new AbortController();
    try {
      const r = await fetch('/api/v1/events', { headers: headers({ Accept: 'text/event-stream' }), signal: ctrl.signal });
      if (r.status === 401) {
        onStatus(false);
        onUnauthorised();
        return;
      }
      if (!r.ok || !r.body) throw new Error('events: ' + r.status);
      onStatus(true);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let ev = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) ev = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          if (ev === 'state' && data) onState(JSON.parse(data));
        }
      }
    } catch (e) {
      if (stopped) return;
    }
    onStatus(false);
    if (!stopped) timer = setTimeout(run, 3000);
  }
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (ctrl) ctrl.abort();
  };
}
