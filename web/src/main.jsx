// main.jsx: the dashboard's shell: sign-in, the navigation (hash routes,
// so csmsd serves one page), the live feed shared by every screen.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { liveFeed, setUnauthorisedHandler, token, tryToken } from './api.js';
import { Home } from './home.jsx';
import { Chargers } from './chargers.jsx';
import { Records } from './records.jsx';
import { Cards } from './cards.jsx';
import { Dlm } from './dlm.jsx';
import { Settings } from './settings.jsx';
import { Alarms } from './alarms.jsx';

const screens = [
  ['home', 'Home', Home],
  ['chargers', 'Chargers', Chargers],
  ['records', 'Records', Records],
  ['cards', 'Cards', Cards],
  ['dlm', 'DLM', Dlm],
  ['settings', 'Station', Settings],
  ['alarms', 'Alarms', Alarms],
];

function route() {
  const r = location.hash.replace(/^#\/?/, '').split('/')[0];
  return screens.some((s) => s[0] === r) ? r : 'home';
}

function SignIn({ onIn, failed }) {
  const [t, setT] = useState('');
  const [bad, setBad] = useState(failed);
  async function submit(e) {
    e.preventDefault();
    if (await tryToken(t)) {
      token.set(t);
      onIn();
    } else setBad(true);
  }
  return (
    <main class="signin">
      <form onSubmit={submit} class="panel">
        <h1>csms</h1>
        <p>Sign in with the admin token (csmsd's <code>admin_token</code>).</p>
        <label>
          Admin token
          <input type="password" name="token" autocomplete="current-password" value={t} onInput={(e) => setT(e.target.value)} autofocus />
        </label>
        {bad && <p class="msg err" role="alert">That token was refused.</p>}
        <button type="submit" class="primary">Sign in</button>
      </form>
    </main>
  );
}

function App() {
  const [auth, setAuth] = useState('checking'); // checking | in | out
  const [page, setPage] = useState(route());
  const [live, setLive] = useState(null);
  const [online, setOnline] = useState(false);
  const [needsToken, setNeedsToken] = useState(false);

  useEffect(() => {
    setUnauthorisedHandler(() => {
      token.clear();
      setAuth('out');
    });
    (async () => {
      // a csmsd without a token lets an empty one in: no sign-in then
      if (token.get() && (await tryToken(token.get()))) setAuth('in');
      else if (await tryToken('')) {
        token.clear();
        setAuth('in');
      }
      else {
        token.clear();
        setAuth('out');
      }
    })();
    const onHash = () => setPage(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    setNeedsToken(auth === 'in' && !!token.get());
    if (auth !== 'in') return undefined;
    return liveFeed(setLive, setOnline);
  }, [auth]);

  if (auth === 'checking') return <main class="loading">Loading…</main>;
  if (auth === 'out') return <SignIn onIn={() => setAuth('in')} failed={false} />;
  const Screen = screens.find((s) => s[0] === page)[2];
  return (
    <div class="app">
      <nav class="top">
        <span class="brand">csms</span>
        <ul>
          {screens.map(([id, label]) => (
            <li key={id}>
              <a href={'#/' + id} class={id === page ? 'on' : ''} aria-current={id === page ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
        <span class={online ? 'dot live' : 'dot'} title={online ? 'live' : 'not connected'} data-testid="live-dot" />
        {needsToken && (
          <button
            class="link"
            onClick={() => {
              token.clear();
              setAuth('out');
            }}
          >
            Sign out
          </button>
        )}
      </nav>
      <main>
        <Screen live={live} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app'));
