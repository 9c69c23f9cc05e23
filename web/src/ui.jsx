// ui.jsx: small shared pieces: a panel, a message line, a loader hook.
import { useEffect, useState, useCallback } from 'preact/hooks';

export function Panel({ title, children, actions, id }) {
  return (
    <section class="panel" id={id}>
      {title && (
        <header>
          <h2>{title}</h2>
          {actions}
        </header>
      )}
      {children}
    </section>
  );
}

// An answer to show under a form: {ok, text}.
export function Msg({ m }) {
  if (!m) return null;
  return (
    <p class={m.ok ? 'msg ok' : 'msg err'} role={m.ok ? 'status' : 'alert'}>
      {m.text}
    </p>
  );
}

// Loads with fn() now and when deps change; reload() loads again.
export function useLoad(fn, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    return fn().then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload };
}

// Runs an action and turns its end into a message.
export async function act(setMsg, fn, okText) {
  try {
    const r = await fn();
    setMsg({ ok: true, text: typeof okText === 'function' ? okText(r) : okText || 'done' });
    return r;
  } catch (e) {
    setMsg({ ok: false, text: (e.status ? e.status + ': ' : '') + e.message });
    return undefined;
  }
}

export function Badge({ kind, children }) {
  return <span class={'badge ' + (kind || '')}>{children}</span>;
}
