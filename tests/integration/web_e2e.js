// web_e2e.js: the dashboard in headless Chromium (playwright-core driving
// Debian's chromium) against a real csmsd with a simulated charger
// (test_web_ui.py starts both). Usage:
//   node web_e2e.js full URL TOKEN CHARGER SHOTS_DIR
//   node web_e2e.js outagesfile URL TOKEN OUTAGES_FILE SHOTS_DIR
//   node web_e2e.js notoken URL
// Prints one line per check; exit 0 when every check passed.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const [mode, base, tok, arg4, arg5] = process.argv.slice(2);
const chargerId = mode === 'full' ? arg4 : null;
const outagesFile = mode === 'outagesfile' ? arg4 : null;
const shots = arg5;
let failed = 0;
function check(cond, what) {
  console.log((cond ? 'ok   ' : 'FAIL ') + what);
  if (!cond) failed++;
}
const host = new URL(base).host;
let expect400 = false; // the deliberate 400 of the settings check
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(method, p, body) {
  const r = await fetch(base + '/api/v1' + p, {
    method,
    headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

// Polls fn until it returns a truthy value or ms pass.
async function until(fn, ms = 15000, step = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

// Every page: console errors and requests to another host are failures.
// The expected ones: the 401 of a refused token at sign-in, and the 400 the
// station form provokes on purpose.
function watch(page, errors) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    if (/status of 401/.test(m.text()) && /\/api\/v1\/(chargers|events)/.test(url)) return;
    if (/status of 400/.test(m.text()) && expect400 && /\/api\/v1\/station$/.test(url)) return;
    errors.push(m.text() + ' ' + url);
  });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol.startsWith('http') && u.host !== host) errors.push('request to another host: ' + r.url());
  });
}

const SCREENS = ['home', 'chargers', 'records', 'cards', 'dlm', 'settings', 'alarms'];

async function screenshots(browser, errors) {
  fs.mkdirSync(shots, { recursive: true });
  for (const width of [360, 1280]) {
    const ctx = await browser.newContext({ viewport: { width, height: width < 500 ? 740 : 800 }, deviceScaleFactor: 1 });
    await ctx.addInitScript((t) => sessionStorage.setItem('csms.token', t), tok);
    const page = await ctx.newPage();
    watch(page, errors);
    for (const s of SCREENS) {
      await page.goto(base + '/#/' + s);
      await page.waitForSelector('nav.top');
      await page.waitForTimeout(s === 'home' || s === 'records' ? 1800 : 1200);
      if (s === 'records') {
        const row = page.locator('tr[data-tx]').first();
        if (await row.count()) {
          await row.click();
          await page.waitForSelector('#session .uplot, #session .muted', { timeout: 5000 }).catch(() => {});
        }
      }
      const file = path.join(shots, `${s}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(over <= 0, `${s} at ${width} px: no sideways scrolling (${over} px too wide)`);
    }
    await ctx.close();
  }
}

// The Prices and plan card (or the element sel) alone, from the top of the
// page (an element screenshot scrolls it under the sticky navigation bar).
async function cardShot(page, name, sel = '#prices-plan') {
  await page.evaluate(() => window.scrollTo(0, 0));
  const bb = await page.locator(sel).boundingBox();
  await page.screenshot({ path: path.join(shots, name), fullPage: true, clip: bb });
}

// The dated outages' list at a phone's width (360 px, as the other screenshots) and a desktop's, as
// name-360.png and name-1280.png; no sideways scrolling at either.
const OUTAGES = '[data-list="loadShedding.outages"]';
async function outageShots(page, name) {
  for (const [w, h] of [[360, 740], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(300);
    await cardShot(page, `${name}-${w}.png`, OUTAGES);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(over <= 0, `settings with the outages at ${w} px: no sideways scrolling (${over} px too wide)`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function full() {
  const browser = await launch();
  const errors = [];
  // a time zone with DST, so that the outages' local times are checked
  // across a change of the clocks
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Berlin' });
  const page = await ctx.newPage();
  watch(page, errors);
  try {
    await fullSteps(browser, page, errors);
  } catch (e) {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

async function fullSteps(browser, page, errors) {

  // The page and its files come without the token; the page asks for it.
  const res = await page.goto(base + '/');
  check(res.status() === 200, 'GET / answers 200 without the token');
  check(/default-src 'self'/.test(res.headers()['content-security-policy'] || ''), 'the page has its CSP');
  await page.waitForSelector('form input[name=token]');
  check(true, 'sign-in asks for the token');
  fs.mkdirSync(shots, { recursive: true });
  for (const w of [360, 1280]) {
    await page.setViewportSize({ width: w, height: 700 });
    await page.screenshot({ path: path.join(shots, `signin-${w}.png`) });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.fill('input[name=token]', 'wrong');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=That token was refused.');
  check(true, 'a wrong token is refused');
  await page.fill('input[name=token]', tok);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav.top');
  check(true, 'signed in with the token');
  check((await page.evaluate(() => sessionStorage.getItem('csms.token'))) === tok, 'the token is kept in sessionStorage');
  await page.waitForSelector('[data-testid=live-dot].live', { timeout: 10000 });
  check(true, 'the live feed is connected');

  // Home: the power flow follows the simulated house.
  const flow = () => page.evaluate(() => [...document.querySelectorAll('[data-value]')].map((e) => e.textContent).join('|'));
  await page.waitForSelector('[data-value=home]');
  const first = await flow();
  check(/\d/.test(first), 'the power flow shows figures: ' + first);
  const changed = await until(async () => {
    const now = await flow();
    return now !== first ? now : null;
  }, 15000);
  check(!!changed, 'the power flow changes with the simulated house: ' + first + ' -> ' + changed);
  const st = await api('GET', '/station');
  const homeText = await page.textContent('[data-value=pv]');
  check(/W/.test(homeText), 'PV shown in W/kW: ' + homeText + ' (API pvW ' + Math.round(st.json.live.pvW) + ')');
  const noHist = await page.locator('[data-testid=no-history]').count();
  const chart = await page.locator('#today-chart .uplot').count();
  const drawn = await until(async () => (await page.locator('#today-chart .uplot').count()) === 1, 10000);
  check(!!drawn, "today's energy chart drawn from the history (no 'No history yet': " + noHist + ', chart: ' + chart + ')');

  // Prices and plan: the tariff while there is no price list; the price
  // feed (aWATTar at a closed port) with its error in red.
  await page.waitForSelector('#prices-plan [data-testid=tariff]');
  const tariff = await page.textContent('#prices-plan [data-testid=tariff]');
  const tf = st.json.settings.tariff;
  check(/tariff applies/.test(tariff) && tariff.includes(tf.importPrice.toFixed(3)) && tariff.includes(tf.exportPrice.toFixed(3)), 'without a price list the card names the tariff: ' + tariff);
  const feedErr = await until(async () => {
    const f = (await api('GET', '/station')).json.feeds;
    return f && f.prices && f.prices.error ? f.prices.error : null;
  }, 20000);
  check(!!feedErr, 'the price feed failed: ' + feedErr);
  await page.reload();
  await page.waitForSelector('#prices-plan [data-feed=prices] [data-testid=feed-error]');
  const feedLine = await page.textContent('#prices-plan [data-feed=prices]');
  const feedColour = await page.$eval('#prices-plan [data-feed=prices] [data-testid=feed-error]', (e) => getComputedStyle(e).color);
  check(/aWATTar/.test(feedLine) && feedLine.includes(feedErr) && feedColour === 'rgb(192, 57, 43)', `the feed line names the provider and its error in red: ${feedLine} (${feedColour})`);
  fs.mkdirSync(shots, { recursive: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(300);
  await cardShot(page, 'prices-tariff-360.png');
  await page.setViewportSize({ width: 1280, height: 800 });

  // A price list (hourly, from the station's current hour) in optimising
  // mode: the chart, the cheapest and dearest slot, the plan.
  const mode0 = st.json.settings.mode;
  check((await api('PUT', '/station', { mode: 'optimise' })).status === 200, 'optimising mode set');
  const hour0 = Math.floor(Date.parse((await api('GET', '/station')).json.live.time) / 3600000) * 3600000;
  const imp = Array.from({ length: 96 }, (_, i) => +(0.25 + 0.1 * Math.sin(i / 3)).toFixed(4));
  imp[40] = 0.042;
  imp[45] = 0.512;
  const put = await api('PUT', '/station/prices', { start: new Date(hour0).toISOString(), slotS: 3600, importPrice: imp, exportPrice: Array(96).fill(0.07) });
  check(put.status === 200, 'price list set: ' + put.status);
  const planned = await until(async () => (await api('GET', '/station')).json.outlook.plan, 15000);
  check(!!planned, "the optimiser's plan is in the outlook");
  await page.reload();
  await page.waitForSelector('#prices-plan [data-testid=price-min]');
  check((await page.textContent('#prices-plan [data-testid=price-min]')) === '0.042', 'the cheapest price ahead is shown: ' + (await page.textContent('#prices-plan [data-testid=price-min]')));
  check((await page.textContent('#prices-plan [data-testid=price-max]')) === '0.512', 'the dearest price ahead is shown');
  check((await page.locator('#prices-plan [data-testid=tariff]').count()) === 0, 'no tariff text with a price list');
  await page.waitForSelector('#prices-plan .uplot canvas');
  const legend = await page.textContent('#prices-plan .u-legend');
  check(['Import price', 'Export price', 'PV forecast', 'Battery plan'].every((x) => legend.includes(x)), 'the chart has the prices, the PV forecast and the plan: ' + legend);
  // pixels of the import price's colour (#c0392b) and the plan's (#8e44ad) on the canvas
  const drawnColours = await page.$eval('#prices-plan .uplot canvas', (cv) => {
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    const n = { imp: 0, bat: 0 };
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0xc0) < 12 && Math.abs(d[i + 1] - 0x39) < 12 && Math.abs(d[i + 2] - 0x2b) < 12) n.imp++;
      if (Math.abs(d[i] - 0x8e) < 12 && Math.abs(d[i + 1] - 0x44) < 12 && Math.abs(d[i + 2] - 0xad) < 12) n.bat++;
    }
    return n;
  });
  check(drawnColours.imp > 100 && drawnColours.bat > 50, 'the canvas draws the import price and the plan: ' + JSON.stringify(drawnColours));
  check(/Optimiser's plan/.test(await page.textContent('#prices-plan')), "the plan's SOC line is shown");
  check(/Prices from aWATTar/.test(await page.textContent('#prices-plan [data-testid=feeds]')), 'the feed line stays with the list');
  for (const [w, h] of [[360, 740], [1280, 800]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(400);
    await cardShot(page, `prices-${w}.png`);
    const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(over <= 0, `home with the prices card at ${w} px: no sideways scrolling (${over} px too wide)`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  check((await api('PUT', '/station', { mode: mode0 })).status === 200, 'the working mode back to ' + mode0);

  // Cards: add one from the page; it is stored.
  await page.click('a[href="#/cards"]');
  await page.fill('form.cardform input[name=idTag]', 'WEBCARD');
  await page.fill('form.cardform input[name=parentIdTag]', 'FAMILY');
  await page.click('form.cardform button[type=submit]');
  await page.waitForSelector('tr[data-card=WEBCARD]');
  const card = await api('GET', '/id-tags/WEBCARD');
  check(card.status === 200 && card.json.status === 'Accepted' && card.json.parentIdTag === 'FAMILY', 'the card added on the page is stored: ' + JSON.stringify(card.json));
  await page.click('tr[data-card=WEBCARD] >> text=Block');
  await until(async () => (await api('GET', '/id-tags/WEBCARD')).json.status === 'Blocked', 5000);
  check((await api('GET', '/id-tags/WEBCARD')).json.status === 'Blocked', 'Block from the page blocks the card');
  await page.click('tr[data-card=WEBCARD] >> text=Unblock');
  check(!!(await until(async () => (await api('GET', '/id-tags/WEBCARD')).json.status === 'Accepted', 5000)), 'Unblock from the page');

  // Chargers: the simulated charger appears; start a session from the page.
  await page.click('a[href="#/chargers"]');
  const panel = '#charger-' + chargerId;
  await page.waitForSelector(panel + ' >> text=online', { timeout: 20000 });
  check(true, 'the simulated charger appears online');
  const conn = panel + ' [data-connector="1"]';
  await page.fill(conn + ' input', 'WEBCARD');
  await page.click(conn + ' >> text=Start');
  await page.waitForSelector(panel + ' .msg.ok', { timeout: 10000 });
  check(/Accepted/.test(await page.textContent(panel + ' .msg')), 'RemoteStartTransaction answered Accepted: ' + (await page.textContent(panel + ' .msg')));
  await page.waitForSelector(conn + ' >> text=Session', { timeout: 15000 });
  check(true, 'the session shows on the connector');
  await page.waitForTimeout(2500); // meter values come every 500 ms
  await page.click(conn + ' >> text=Stop');
  await until(async () => (await api('GET', '/transactions?active=true')).json.length === 0, 15000);
  const txs = (await api('GET', '/transactions?charger=' + encodeURIComponent(chargerId))).json;
  check(txs.length >= 1 && txs[0].stop && txs[0].energyWh > 0, 'the transaction stopped with energy: ' + JSON.stringify(txs[0]));

  // OCPP console: any action, its answer shown.
  await page.click(panel + ' >> text=OCPP console…');
  await page.fill(panel + ' .console input', 'GetConfiguration');
  await page.fill(panel + ' .console textarea', '{"key":["HeartbeatInterval"]}');
  await page.click(panel + ' .console button[type=submit]');
  await page.waitForSelector(panel + ' pre.answer');
  check(/HeartbeatInterval/.test(await page.textContent(panel + ' pre.answer')), 'the OCPP console shows the answer');

  // Charging mode from the page.
  await page.selectOption(panel + ' [data-testid=charging-mode]', 'pv');
  check(!!(await until(async () => (await api('GET', '/chargers/' + chargerId)).json.settings.chargingMode === 'pv', 5000)), 'the charging mode switched to 100% PV');

  // Records: the session with its energy, its chart.
  await page.click('a[href="#/records"]');
  const row = `tr[data-tx="${txs[0].id}"]`;
  await page.waitForSelector(row);
  const shown = await page.getAttribute(row + ' td[data-energy]', 'data-energy');
  check(Number(shown) === txs[0].energyWh, `the record shows the energy of the API (${shown} Wh)`);
  check((await page.textContent(row)).includes('kWh'), 'energy in kWh');
  const rec = (await api('GET', '/transactions/' + txs[0].id)).json;
  const cost = await page.getAttribute(row + ' td[data-cost]', 'data-cost');
  const pv = await page.getAttribute(row + ' td[data-pv]', 'data-pv');
  check(typeof rec.cost === 'number' && Number(cost) === rec.cost, `the record shows the API's cost (${cost} vs ${rec.cost})`);
  check(typeof rec.pvShare === 'number' && Number(pv) === rec.pvShare, `the record shows the API's PV share (${pv} vs ${rec.pvShare})`);
  await page.click(row);
  await page.waitForSelector('#session .uplot', { timeout: 5000 });
  check(true, "one session's meter values as a chart");

  // Station settings: the working mode is stored; the API's 400 is shown.
  await page.click('a[href="#/settings"]');
  await page.waitForSelector('#working-mode');
  await page.check('input[name=mode][value=tou]');
  await page.click('#working-mode button[type=submit]');
  await page.waitForSelector('#working-mode .msg.ok');
  const stored = await api('GET', '/station');
  check(stored.json.settings.mode === 'tou', 'the working mode chosen on the page is stored: ' + stored.json.settings.mode);

  // The list editors: a Time-based Control period and a smart load added
  // through their rows are stored exactly; an end before the start is
  // refused in the form (nothing is sent).
  const nTou = stored.json.settings.tou.periods.length;
  const nLoads = stored.json.settings.smartLoads.length;
  const tp = 'tou.periods.' + nTou;
  await page.click('[data-add="tou.periods"]');
  await page.fill(`input[name="${tp}.start"]`, '02:00');
  await page.fill(`input[name="${tp}.end"]`, '05:30');
  for (const d of ['sat', 'sun']) await page.click(`[data-name="${tp}.weekdays"] [data-day=${d}]`);
  await page.fill(`input[name="${tp}.maxChargeW"]`, '3000');
  await page.fill(`input[name="${tp}.gridChargeCutoffSocPct"]`, '90');
  await page.fill(`input[name="${tp}.maxImportW"]`, '6000');
  const bp = 'tou.periods.' + (nTou + 1);
  await page.click('[data-add="tou.periods"]');
  await page.fill(`input[name="${bp}.start"]`, '06:00');
  await page.fill(`input[name="${bp}.end"]`, '04:00');
  await page.waitForSelector(`[data-error="${bp}"]`);
  const badText = await page.textContent(`[data-error="${bp}"]`);
  check(/before it starts/.test(badText), 'a period ending before it starts is named in the form: ' + badText);
  check(!(await page.evaluate(() => document.querySelector('form.settings').checkValidity())), 'the form refuses it');
  await page.click('#working-mode button[type=submit]');
  await page.waitForTimeout(500);
  check((await api('GET', '/station')).json.settings.tou.periods.length === nTou, 'nothing is sent while the period is wrong');
  await page.check(`input[name="${bp}._overnight"]`);
  check((await page.locator(`[data-error="${bp}"]`).count()) === 0, '"Ends next day" makes 06:00-04:00 an overnight period');
  await page.click(`[data-remove="${bp}"]`);
  check((await page.locator(`input[name="${bp}.start"]`).count()) === 0, 'Remove takes the row away');
  const lp = 'smartLoads.' + nLoads;
  await page.click('[data-add="smartLoads"]');
  await page.fill(`input[name="${lp}.name"]`, 'Immersion heater');
  await page.fill(`input[name="${lp}.powerW"]`, '2000');
  await page.selectOption(`select[name="${lp}.mode"]`, 'autoSoc');
  await page.fill(`input[name="${lp}.socThresholdPct"]`, '70');
  await page.fill(`input[name="${lp}.window.start"]`, '10:00');
  await page.fill(`input[name="${lp}.window.end"]`, '16:00');
  // The simulated charger gets the station's own options from its row; its
  // mode stays its own setting (100% PV, set on the Chargers screen above).
  const nCh = stored.json.settings.chargers.filter((x) => x.id !== chargerId).length;
  if (!stored.json.settings.chargers.some((x) => x.id === chargerId)) await page.click(`[data-add="chargers:${chargerId}"]`);
  await page.fill(`input[name="chargers.${nCh}.enableDelayS"]`, '120');
  await page.click('#working-mode button[type=submit]');
  await page.waitForSelector('#working-mode .msg.ok >> text=smartLoads');
  const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
  const lists = (await api('GET', '/station')).json.settings;
  const wantTou = { start: '02:00', end: '05:30', weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], type: 'charge', maxChargeW: 3000, gridChargeCutoffSocPct: 90, maxImportW: 6000, maxGridChargeW: null, maxDischargeW: null, maxExportW: null, maxBatToGridW: 0 };
  check(lists.tou.periods.length === nTou + 1 && canon(lists.tou.periods[nTou]) === canon(wantTou), 'the Time-based Control period is stored exactly: ' + JSON.stringify(lists.tou.periods[nTou]));
  const wantLoad = { name: 'Immersion heater', powerW: 2000, mode: 'autoSoc', on: false, socThresholdPct: 70, window: { start: '10:00', end: '16:00', weekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } };
  check(lists.smartLoads.length === nLoads + 1 && canon(lists.smartLoads[nLoads]) === canon(wantLoad), 'the smart load is stored exactly: ' + JSON.stringify(lists.smartLoads[nLoads]));
  const ch = lists.chargers.find((x) => x.id === chargerId);
  check(!!ch && ch.enableDelayS === 120 && ch.mode === 'pv100', "the charger's station options are stored, its mode kept: " + JSON.stringify(ch));
  check((await api('GET', '/chargers/' + chargerId)).json.settings.chargingMode === 'pv', "the charger's own mode is untouched");
  await page.waitForSelector(`input[name="${tp}.start"]`); // the form drawn again from the stored settings
  check((await page.inputValue(`input[name="${tp}.start"]`)) === '02:00', 'the stored period is shown in its row');
  check((await page.locator('textarea').count()) === 0, 'no JSON to type on the settings screen');
  await outageSteps(page, lists);
  expect400 = true;
  await page.fill('input[name="battery.socMinPct"]', '90');
  await page.fill('input[name="battery.socMaxPct"]', '50');
  await page.click('#working-mode button[type=submit]');
  await page.waitForSelector('#working-mode .msg.err');
  const err = await page.textContent('#working-mode .msg.err');
  check(/400/.test(err) && /socMaxPct/.test(err), "the API's 400 text is shown: " + err);
  expect400 = false;
  await page.fill('input[name="battery.backupReservePct"]', '150');
  const valid = await page.evaluate(() => document.querySelector('form.settings').checkValidity());
  check(!valid, 'the form refuses a SOC of 150 % itself');

  // DLM: three phase bars, the sensor.
  await page.click('a[href="#/dlm"]');
  await page.waitForSelector('.phase[data-phase="3"]');
  check((await page.locator('#dlm-phases .phase').count()) === 3, 'DLM shows three phase bars');

  // Sites: one added in the form shows as a card of its own with its
  // phases; a charger moved to it in Chargers is in it, then moved back.
  check((await page.locator('[id^="site-"]').count()) === 0, 'one site: no other site card');
  await page.fill('#add-site input[name="site-id"]', 'garage');
  await page.fill('#add-site input[name="site-name"]', 'Garage');
  await page.fill('#add-site input[name="site-breaker"]', '16');
  await page.click('#add-site button[type=submit]');
  await page.waitForSelector('#site-garage .phase[data-phase="3"]');
  const garage = (await api('GET', '/sites/garage')).json || {};
  check(garage.name === 'Garage' && garage.breakerA === 16, `the site added in the form is stored (${garage.name}, ${garage.breakerA} A)`);
  check((await page.textContent('#site-garage')).includes('/ 16 A'), 'its card shows its own 16 A breaker');
  await page.fill('#add-site input[name="site-id"]', 'bad/id');
  const validId = await page.evaluate(() => document.querySelector('#add-site').checkValidity());
  check(!validId, 'the form refuses a site id with a /');
  await page.click('a[href="#/chargers"]');
  await page.waitForSelector(panel + ' [data-testid=charger-site]');
  await page.selectOption(panel + ' [data-testid=charger-site]', 'garage');
  check(!!(await until(async () => (await api('GET', '/chargers/' + chargerId)).json.settings.site === 'garage', 5000)), 'the charger moved to the garage from its Site select');
  await page.click('a[href="#/dlm"]');
  await page.waitForSelector('#site-garage');
  check(!!(await until(async () => /1 charger\b/.test(await page.textContent('#site-garage')), 8000)), 'the garage card counts the charger');
  check((await page.locator('#site-garage >> text=Remove').count()) === 0, 'a site with a charger offers no removal');
  await page.click('a[href="#/chargers"]');
  await page.waitForSelector(panel + ' [data-testid=charger-site]');
  await page.selectOption(panel + ' [data-testid=charger-site]', 'default');
  check(!!(await until(async () => (await api('GET', '/chargers/' + chargerId)).json.settings.site === 'default', 5000)), 'and back to the default site');
  await page.click('a[href="#/dlm"]');
  await page.waitForSelector('#site-garage >> text=Remove', { timeout: 8000 });
  await page.click('#site-garage >> text=Remove');
  check(!!(await until(async () => (await api('GET', '/sites/garage')).status === 404, 5000)), 'the empty garage removed from its card');
  await page.waitForSelector('#site-garage', { state: 'detached', timeout: 8000 });
  // kept for the screenshots: a second site with its card
  await api('PUT', '/sites/garage', { name: 'Garage', breakerA: 16 });

  // The garage's own station: the Station screen's Site select shows its
  // form, and a mode saved there is the garage's alone.
  const made = await api('PUT', '/sites/garage/station', {});
  check(made.status === 201, `the garage's station made through the API (${made.status})`);
  const before = (await api('GET', '/station')).json.settings.mode;
  const other = before === 'tou' ? 'selfConsumption' : 'tou';
  await page.click('a[href="#/settings"]');
  await page.waitForSelector('[data-testid=station-site]');
  await page.selectOption('[data-testid=station-site]', 'garage');
  await page.waitForSelector(`#working-mode input[value="${other}"]`);
  await page.check(`#working-mode input[value="${other}"]`);
  await page.click('#working-mode button[type=submit]');
  check(!!(await until(async () => (await api('GET', '/sites/garage/station')).json.settings.mode === other, 5000)), `the garage's mode ${other} saved from its form`);
  check((await api('GET', '/station')).json.settings.mode === before, `the default site's mode still ${before}`);
  await page.selectOption('[data-testid=station-site]', 'default');
  await page.waitForSelector(`#working-mode input[value="${before}"]:checked`);
  check(true, "back on the default site's form, its own mode checked");

  // Alarms and diagnosis.
  await page.click('a[href="#/alarms"]');
  await page.waitForSelector('#diagnosis table');
  check((await page.textContent('#diagnosis')).includes(chargerId), 'the diagnosis lists the charger');

  // A token that no longer works sends the user back to sign-in.
  await page.evaluate(() => sessionStorage.setItem('csms.token', 'stale'));
  await page.reload();
  await page.waitForSelector('form input[name=token]');
  check(true, 'a refused token returns to sign-in');

  await screenshots(browser, errors);
  check(errors.length === 0, 'no console errors, no request to another host' + (errors.length ? ': ' + errors.join('; ') : ''));
}

// Dated outages through the form, in the browser's time (Europe/Berlin):
// one across the clocks going back (25 Oct 2026, 01:30 CEST to 04:00 CET,
// 3 h 30 min), one in summer; stored in UTC exactly, shown the same after
// a reload, and a second save changes nothing. An end before its start and
// an outage over 24 h are refused in the form (nothing sent). Then the
// Home screen names the next one in load-shedding mode.
async function outageSteps(page, lists) {
  const n = lists.loadShedding.outages.length;
  const a = 'loadShedding.outages.' + n;
  const b = 'loadShedding.outages.' + (n + 1);
  const bad = 'loadShedding.outages.' + (n + 2);
  check(/Scheduled outages \(dated\)/.test(await page.textContent(OUTAGES)), 'the dated outages are listed with the load-shedding settings');
  await page.click('[data-add="loadShedding.outages"]');
  await page.fill(`input[name="${a}.start"]`, '2026-10-25T01:30');
  await page.fill(`input[name="${a}.end"]`, '2026-10-25T04:00');
  await page.click('[data-add="loadShedding.outages"]');
  await page.fill(`input[name="${b}.start"]`, '2026-07-10T18:00');
  await page.fill(`input[name="${b}.end"]`, '2026-07-10T21:15');
  const hintA = await page.textContent(`[data-hint="${a}"]`);
  check(/^3 h 30 min/.test(hintA) && /clocks go back 1 h/.test(hintA), 'the hint gives the length across the change of the clocks: ' + hintA);
  check((await page.textContent(`[data-hint="${b}"]`)) === '3 h 15 min', 'the hint gives the length: ' + (await page.textContent(`[data-hint="${b}"]`)));
  await page.click('[data-add="loadShedding.outages"]');
  await page.fill(`input[name="${bad}.start"]`, '2026-07-11T20:00');
  await page.fill(`input[name="${bad}.end"]`, '2026-07-11T19:00');
  await page.waitForSelector(`[data-error="${bad}"]`);
  const badText = await page.textContent(`[data-error="${bad}"]`);
  check(/not after the start/.test(badText), 'an outage ending before it starts is named in the form: ' + badText);
  check(!(await page.evaluate(() => document.querySelector('form.settings').checkValidity())), 'the form refuses it');
  const puts = [];
  const onReq = (r) => r.method() === 'PUT' && /\/api\/v1\/station$/.test(r.url()) && puts.push(r.postData());
  page.on('request', onReq);
  await page.click('#working-mode button[type=submit]');
  await page.waitForTimeout(500);
  check(puts.length === 0 && (await api('GET', '/station')).json.settings.loadShedding.outages.length === n, 'nothing is sent while the outage is wrong');
  await page.fill(`input[name="${bad}.end"]`, '2026-07-12T20:30');
  const longText = await page.textContent(`[data-error="${bad}"]`);
  check(/at most 24 h/.test(longText) && /24 h 30 min/.test(longText), 'an outage over 24 h is refused in the form: ' + longText);
  await outageShots(page, 'outages-error');
  await page.click(`[data-remove="${bad}"]`);
  check((await page.locator(`[data-error]`).count()) === 0, 'no error left in the form');
  await outageShots(page, 'outages');
  await page.click('#working-mode button[type=submit]');
  await page.waitForSelector('#working-mode .msg.ok >> text=loadShedding');
  page.off('request', onReq);
  const sent = puts.length === 1 ? JSON.parse(puts[0]) : {};
  check(puts.length === 1 && Object.keys(sent).join() === 'loadShedding', 'one PUT with the load-shedding settings: ' + puts.join(' | '));
  const got = (await api('GET', '/station')).json.settings.loadShedding.outages;
  const want = [
    { start: '2026-10-24T23:30:00.000Z', end: '2026-10-25T03:00:00.000Z' },
    { start: '2026-07-10T16:00:00.000Z', end: '2026-07-10T19:15:00.000Z' },
  ];
  check(got.length === n + 2 && JSON.stringify(got.slice(n)) === JSON.stringify(want), 'the outages are stored in UTC exactly: ' + JSON.stringify(got));
  await page.reload();
  await page.waitForSelector(`input[name="${b}.end"]`);
  const shown = [];
  for (const r of [a, b]) for (const k of ['start', 'end']) shown.push(await page.inputValue(`input[name="${r}.${k}"]`));
  check(shown.join() === '2026-10-25T01:30,2026-10-25T04:00,2026-07-10T18:00,2026-07-10T21:15', 'after a reload the rows show the local times typed: ' + shown.join());
  await page.click('#working-mode button[type=submit]');
  await page.waitForSelector('#working-mode .msg.ok >> text=nothing changed');
  check(true, 'a save after the reload changes nothing (no drift)');
  check(JSON.stringify((await api('GET', '/station')).json.settings.loadShedding.outages) === JSON.stringify(got), 'the stored outages are the same');

  // Home, in load-shedding mode: the next outage (the station's clock is in
  // June 2026: the one of 10 July).
  check((await api('PUT', '/station', { mode: 'loadShedding' })).status === 200, 'load-shedding mode set');
  await page.click('a[href="#/home"]');
  await page.waitForSelector('[data-testid=next-outage]');
  const next = await page.textContent('[data-testid=next-outage]');
  check(/Next outage/.test(next) && /Jul/.test(next) && /10/.test(next) && /18:00|6:00/.test(next), 'Home names the next outage: ' + next);
  await page.click('a[href="#/settings"]');
  await page.waitForSelector('#working-mode');
  await page.waitForSelector(OUTAGES);
}

// A csmsd whose outages come from a file (station_outages_file, written by
// test_web_ui.py with two outages to come): the list is shown, not edited,
// and names the file; a save of the load-shedding settings sends no
// outages (the API would refuse them); after a bad line in the file its
// error shows in red and the outages stay.
async function outagesfile() {
  const browser = await launch();
  const errors = [];
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Berlin' });
  await ctx.addInitScript((t) => sessionStorage.setItem('csms.token', t), tok);
  const page = await ctx.newPage();
  watch(page, errors);
  try {
    const ro = OUTAGES + '[data-readonly=file]';
    await page.goto(base + '/#/settings');
    await page.waitForSelector(ro);
    const feed = await page.textContent(ro + ' [data-testid=list-feed]');
    check(feed.includes(outagesFile) && /Last read \w/.test(feed), 'the list names the file and its last read: ' + feed);
    check((await page.locator(ro + ' [data-row]').count()) === 2, "the file's two outages are listed");
    check((await page.locator(ro + ' input').count()) === 0 && (await page.locator('[data-add="loadShedding.outages"]').count()) === 0, 'nothing to edit or add');
    check((await page.locator(ro + ' [data-testid=list-feed-error]').count()) === 0, 'no error while the file is good');
    await outageShots(page, 'outages-file');
    const puts = [];
    page.on('request', (r) => r.method() === 'PUT' && /\/api\/v1\/station$/.test(r.url()) && puts.push(r.postData()));
    await page.fill('input[name="loadShedding.marginMin"]', '45');
    await page.click('#working-mode button[type=submit]');
    await page.waitForSelector('#working-mode .msg');
    const msg = await page.textContent('#working-mode .msg');
    const sent = puts.length ? JSON.parse(puts[0]) : {};
    const ls = sent.loadShedding || {};
    check(/saved: loadShedding/.test(msg) && puts.length === 1 && ls.marginMin === 45 && !('outages' in ls), 'a save sends the load-shedding settings without the outages: ' + msg + ' ' + puts.join());
    check((await api('GET', '/station')).json.settings.loadShedding.marginMin === 45, 'the margin is stored');

    const good = fs.readFileSync(outagesFile, 'utf8');
    fs.writeFileSync(outagesFile + '.new', good + 'stage 6 from tonight\n');
    fs.renameSync(outagesFile + '.new', outagesFile);
    const ferr = await until(async () => (await api('GET', '/station')).json.feeds.outages.error, 15000);
    check(!!ferr && /line/.test(ferr), 'the bad file is reported: ' + ferr);
    await page.reload();
    await page.waitForSelector(ro + ' [data-testid=list-feed-error]');
    const line = await page.textContent(ro + ' [data-testid=list-feed-error]');
    const colour = await page.$eval(ro + ' [data-testid=list-feed-error]', (e) => getComputedStyle(e).color);
    check(line.includes(ferr) && colour === 'rgb(192, 57, 43)', `the error is shown in red: ${line} (${colour})`);
    check((await page.locator(ro + ' [data-row]').count()) === 2, 'the outages in force stay listed');
    await outageShots(page, 'outages-file-error');

    check((await api('PUT', '/station', { mode: 'loadShedding' })).status === 200, 'load-shedding mode set');
    await page.click('a[href="#/home"]');
    await page.waitForSelector('[data-testid=next-outage]');
    const next = await page.textContent('[data-testid=next-outage]');
    check(/Next outage/.test(next) && next.includes(ferr), "Home names the next outage and the file's error: " + next);
  } catch (e) {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'failure-outages.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
  check(errors.length === 0, 'no console errors, no request to another host' + (errors.length ? ': ' + errors.join('; ') : ''));
}

async function notoken() {
  const browser = await launch();
  const errors = [];
  const page = await browser.newPage();
  watch(page, errors);
  await page.goto(base + '/');
  await page.waitForSelector('nav.top');
  check((await page.locator('input[name=token]').count()) === 0, 'a csmsd without a token needs no sign-in');
  await page.waitForSelector('[data-testid=live-dot].live', { timeout: 10000 });
  check(true, 'the live feed is connected without a token');
  check(errors.length === 0, 'no console errors' + (errors.length ? ': ' + errors.join('; ') : ''));
  await browser.close();
}

(mode === 'full' ? full() : mode === 'outagesfile' ? outagesfile() : notoken())
  .catch((e) => {
    check(false, 'the run ended early: ' + (e.stack || e));
  })
  .finally(() => process.exit(failed ? 1 : 0));
