#!/usr/bin/env node
// ocpp_rpc_session.js: a complete OCPP 1.6J charge point session run by the
// independent ocpp-rpc client in strict mode, so every message in either
// direction is checked against the OCA JSON schemas by someone else's code.
//
// usage: node ocpp_rpc_session.js ws://HOST:PORT/ocpp CPID [--stay S]
//          [--id-tag TAG] [--connector N] [--password P] [--expect-auth STATUS]
//          [--boot-tries N] [--quiet]
// Prints one JSON summary on stdout. Exit 0 only if every step succeeded and
// no schema violation occurred in either direction (strictValidationFailure,
// badMessage); 1 otherwise; 2 on bad usage.
// It answers every Central-System-initiated action (all 1.6 profiles and the
// security extension) for as long as it is connected (--stay S).
'use strict';

const { RPCClient } = require('ocpp-rpc');

const argv = process.argv.slice(2);
const opts = { stay: 0, 'id-tag': 'RPCTAG1', connector: 1, password: null,
    'expect-auth': 'Accepted', 'boot-tries': 10, quiet: false };
const pos = [];
for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { pos.push(a); continue; }
    const k = a.slice(2);
    if (!(k in opts)) { console.error(`ocpp_rpc_session: unknown option ${a}`); process.exit(2); }
    if (k === 'quiet') { opts.quiet = true; continue; }
    const v = argv[++i];
    if (v === undefined) { console.error(`ocpp_rpc_session: ${a} needs a value`); process.exit(2); }
    opts[k] = ['stay', 'connector', 'boot-tries'].includes(k) ? Number(v) : v;
    if (typeof opts[k] === 'number' && !Number.isInteger(opts[k])) {
        console.error(`ocpp_rpc_session: ${a} wants an integer`); process.exit(2);
    }
}
if (pos.length !== 2 || !/^wss?:\/\//.test(pos[0])) {
    console.error('usage: node ocpp_rpc_session.js ws://HOST:PORT/ocpp CPID [--stay S] [--id-tag TAG]');
    process.exit(2);
}
const [endpoint, identity] = pos;
const log = (...a) => { if (!opts.quiet) console.error('ocpp_rpc_session:', ...a); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();

const summary = { ok: false, identity, bootStatus: null, transactionId: null, steps: [],
    violations: [], badMessages: [], handled: {}, remoteTransactions: [] };
let failed = false;

const client = new RPCClient({
    endpoint, identity, protocols: ['ocpp1.6'], strictMode: true, reconnect: false,
    callTimeoutMs: 30000, pingIntervalMs: 0,
    ...(opts.password !== null ? { password: opts.password } : {}),
});

client.on('strictValidationFailure', (ev) => {
    const what = `${ev.outbound ? 'outbound' : 'inbound'} ${ev.isCall ? 'call' : 'result'} ${ev.method}: ${ev.error && ev.error.message}`;
    summary.violations.push(what);
    log('SCHEMA VIOLATION', what, JSON.stringify(ev.isCall ? ev.params : ev.result));
});
client.on('badMessage', ({ buffer, error }) => {
    const what = `${error.message}: ${buffer.toString('utf8').slice(0, 300)}`;
    summary.badMessages.push(what);
    log('BAD MESSAGE', what);
});
client.on('close', ({ code, reason }) => log('closed', code, String(reason || '')));

async function step(action, params, check) {
    const rec = { action, ok: false };
    summary.steps.push(rec);
    try {
        const r = await client.call(action, params);
        rec.result = r;
        const why = check ? check(r) : null;
        if (why) { rec.error = why; failed = true; log('FAILED', action, why); }
        else rec.ok = true;
        return r;
    } catch (e) {
        rec.error = `${e.rpcErrorCode || e.name}: ${e.message}`;
        failed = true;
        log('FAILED', action, rec.error);
        return null;
    }
}

// ---------------------------------------------------------------- charger state

const conn = opts.connector;
let energy = 1000;                       // Wh register of our connector
const state = {
    heartbeat: 300, localListVersion: 0, limits: {}, reservations: new Map(),
    tx: null,                            // { id, connectorId, idTag, meterStart, remote }
    starting: false,                     // a StartTransaction is under way
    unavailable: false,
    config: {
        AuthorizeRemoteTxRequests: ['false', false], ClockAlignedDataInterval: ['0', false],
        ConnectionTimeOut: ['60', false], HeartbeatInterval: ['300', false],
        LocalAuthorizeOffline: ['true', false], LocalPreAuthorize: ['false', false],
        MeterValuesAlignedData: ['Energy.Active.Import.Register', false],
        MeterValuesSampledData: ['Energy.Active.Import.Register,Power.Active.Import', false],
        MeterValueSampleInterval: ['60', false], NumberOfConnectors: [String(Math.max(conn, 1)), true],
        ResetRetries: ['3', false], StopTransactionOnEVSideDisconnect: ['true', false],
        StopTransactionOnInvalidId: ['true', false], StopTxnSampledData: ['Energy.Active.Import.Register', false],
        SupportedFeatureProfiles: ['Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger', true],
        TransactionMessageAttempts: ['3', false], TransactionMessageRetryInterval: ['60', false],
        UnlockConnectorOnEVSideDisconnect: ['true', false], LocalAuthListEnabled: ['true', false],
        ChargeProfileMaxStackLevel: ['10', true], ChargingScheduleMaxPeriods: ['24', true],
    },
};

function status(connectorId, st, extra) {
    return client.call('StatusNotification', { connectorId, errorCode: 'NoError', status: st,
        timestamp: now(), ...(extra || {}) }).catch((e) => log('StatusNotification failed', e.message));
}

// ---------------------------------------------------------------- server-initiated actions

const handlers = {
    CancelReservation: ({ reservationId }) =>
        ({ status: state.reservations.delete(reservationId) ? 'Accepted' : 'Rejected' }),
    ChangeAvailability: ({ connectorId, type }) => {
        state.unavailable = type === 'Inoperative';
        return { status: state.tx && (connectorId === 0 || connectorId === state.tx.connectorId) ? 'Scheduled' : 'Accepted' };
    },
    ChangeConfiguration: ({ key, value }) => {
        const c = state.config[key];
        if (!c) return { status: 'NotSupported' };
        if (c[1]) return { status: 'Rejected' };
        if (/Interval|TimeOut|Attempts|Retries/.test(key) && !/^\d+$/.test(value)) return { status: 'Rejected' };
        c[0] = value;
        if (key === 'HeartbeatInterval') state.heartbeat = Number(value);
        return { status: 'Accepted' };
    },
    ClearCache: () => ({ status: 'Accepted' }),
    ClearChargingProfile: ({ id, connectorId }) => {
        let found = false;
        for (const [k, l] of Object.entries(state.limits)) {
            if ((id === undefined || l.id === id) && (connectorId === undefined || Number(k) === connectorId)) {
                delete state.limits[k]; found = true;
            }
        }
        return { status: found ? 'Accepted' : 'Unknown' };
    },
    DataTransfer: ({ data }) => (data !== undefined ? { status: 'Accepted', data } : { status: 'Accepted' }),
    GetCompositeSchedule: ({ connectorId, duration, chargingRateUnit }) => {
        if (connectorId > Math.max(conn, 1)) return { status: 'Rejected' };
        const l = state.limits[connectorId] || state.limits[0] || { limit: 32, unit: 'A' };
        return { status: 'Accepted', connectorId, scheduleStart: now(), chargingSchedule: {
            duration, chargingRateUnit: chargingRateUnit || l.unit,
            chargingSchedulePeriod: [{ startPeriod: 0, limit: l.limit }] } };
    },
    GetConfiguration: ({ key }) => {
        const keys = key && key.length ? key : Object.keys(state.config);
        const known = keys.filter((k) => state.config[k]).map((k) =>
            ({ key: k, readonly: state.config[k][1], value: state.config[k][0] }));
        const unknown = keys.filter((k) => !state.config[k]);
        return { ...(known.length ? { configurationKey: known } : {}), ...(unknown.length ? { unknownKey: unknown } : {}) };
    },
    GetDiagnostics: () => {
        setImmediate(async () => {
            for (const s of ['Uploading', 'Uploaded'])
                await client.call('DiagnosticsStatusNotification', { status: s }).catch(() => {});
        });
        return { fileName: `diag-${identity}.log` };
    },
    GetLocalListVersion: () => ({ listVersion: state.localListVersion }),
    RemoteStartTransaction: ({ connectorId, idTag }) => {
        if (state.tx || state.starting || state.unavailable || (connectorId !== undefined && connectorId !== conn))
            return { status: 'Rejected' };
        setImmediate(() => remoteStart(idTag));
        return { status: 'Accepted' };
    },
    RemoteStopTransaction: ({ transactionId }) => {
        if (!state.tx || state.tx.id !== transactionId) return { status: 'Rejected' };
        setImmediate(() => stopTx('Remote'));
        return { status: 'Accepted' };
    },
    ReserveNow: ({ connectorId, reservationId }) => {
        if (state.tx && connectorId === conn) return { status: 'Occupied' };
        state.reservations.set(reservationId, connectorId);
        return { status: 'Accepted' };
    },
    Reset: ({ type }) => {
        // a reset stops the transaction and boots again
        setImmediate(async () => {
            if (state.tx) await stopTx(type === 'Hard' ? 'HardReset' : 'SoftReset');
            await client.call('BootNotification', bootParams).catch((e) => log('re-boot failed', e.message));
        });
        return { status: 'Accepted' };
    },
    SendLocalList: ({ listVersion }) => { state.localListVersion = listVersion; return { status: 'Accepted' }; },
    SetChargingProfile: ({ connectorId, csChargingProfiles: p }) => {
        if (p.chargingProfilePurpose === 'TxProfile' && (!state.tx || connectorId === 0)) return { status: 'Rejected' };
        if (p.chargingProfilePurpose === 'ChargePointMaxProfile' && connectorId !== 0) return { status: 'Rejected' };
        const first = p.chargingSchedule.chargingSchedulePeriod[0];
        state.limits[connectorId] = { id: p.chargingProfileId, limit: first.limit,
            unit: p.chargingSchedule.chargingRateUnit, numberPhases: first.numberPhases };
        return { status: 'Accepted' };
    },
    TriggerMessage: ({ requestedMessage, connectorId }) => {
        setImmediate(() => trigger(requestedMessage, connectorId));
        return { status: 'Accepted' };
    },
    UnlockConnector: ({ connectorId }) => ({ status: connectorId === conn ? 'Unlocked' : 'NotSupported' }),
    UpdateFirmware: () => {
        setImmediate(async () => {
            for (const s of ['Downloading', 'Downloaded', 'Installing', 'Installed'])
                await client.call('FirmwareStatusNotification', { status: s }).catch(() => {});
        });
        return {};
    },
    // security extension
    CertificateSigned: () => ({ status: 'Accepted' }),
    DeleteCertificate: () => ({ status: 'NotFound' }),
    ExtendedTriggerMessage: ({ requestedMessage, connectorId }) => {
        setImmediate(() => trigger(requestedMessage, connectorId));
        return { status: 'Accepted' };
    },
    GetInstalledCertificateIds: () => ({ status: 'NotFound' }),
    GetLog: ({ requestId }) => {
        setImmediate(async () => {
            for (const s of ['Uploading', 'Uploaded'])
                await client.call('LogStatusNotification', { status: s, requestId }).catch(() => {});
        });
        return { status: 'Accepted', filename: `log-${identity}-${requestId}.log` };
    },
    InstallCertificate: () => ({ status: 'Accepted' }),
    SignedUpdateFirmware: ({ requestId }) => {
        setImmediate(async () => {
            for (const s of ['Downloading', 'Downloaded', 'SignatureVerified', 'Installing', 'Installed'])
                await client.call('SignedFirmwareStatusNotification', { status: s, requestId }).catch(() => {});
        });
        return { status: 'Accepted' };
    },
};

for (const [action, fn] of Object.entries(handlers)) {
    client.handle(action, ({ params }) => {
        summary.handled[action] = (summary.handled[action] || 0) + 1;
        log('handled', action, JSON.stringify(params));
        return fn(params);
    });
}

async function trigger(msg, connectorId) {
    const c = connectorId !== undefined ? connectorId : conn;
    const calls = {
        BootNotification: () => client.call('BootNotification', bootParams),
        Heartbeat: () => client.call('Heartbeat', {}),
        StatusNotification: () => status(c, state.tx ? 'Charging' : 'Available'),
        MeterValues: () => client.call('MeterValues', meterValues('Trigger')),
        DiagnosticsStatusNotification: () => client.call('DiagnosticsStatusNotification', { status: 'Idle' }),
        FirmwareStatusNotification: () => client.call('FirmwareStatusNotification', { status: 'Idle' }),
        LogStatusNotification: () => client.call('LogStatusNotification', { status: 'Idle' }),
        SignChargePointCertificate: () => client.call('SignCertificate',
            { csr: '-----BEGIN CERTIFICATE REQUEST-----\nY3BzaW0=\n-----END CERTIFICATE REQUEST-----' }),
    };
    if (calls[msg]) await calls[msg]().catch((e) => log('triggered', msg, 'failed', e.message));
}

// ---------------------------------------------------------------- messages

const bootParams = { chargePointVendor: 'ocpp-rpc', chargePointModel: 'strict-session',
    chargePointSerialNumber: `SN-${identity}`.slice(0, 25), chargeBoxSerialNumber: `BX-${identity}`.slice(0, 25),
    firmwareVersion: '1.0.0', iccid: '8900000000000000001', imsi: '001010000000001',
    meterType: 'SimMeter', meterSerialNumber: 'MTR-1' };

// every sampledValue field, every measurand family, phases, units, contexts,
// locations, and a SignedData value kept as sent
function meterValues(context) {
    const sv = [
        { value: String(energy), context, format: 'Raw', measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' },
        { value: String(energy / 1000), context, format: 'Raw', measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'kWh' },
        { value: '0', context, measurand: 'Energy.Active.Export.Register', unit: 'Wh' },
        { value: '12', context, measurand: 'Energy.Reactive.Import.Register', unit: 'varh' },
        { value: '11040', context, measurand: 'Power.Active.Import', unit: 'W' },
        { value: '11.04', context, measurand: 'Power.Active.Import', unit: 'kW' },
        { value: '150', context, measurand: 'Power.Reactive.Import', unit: 'var' },
        { value: '22', context, measurand: 'Power.Offered', unit: 'kW' },
        ...['L1', 'L2', 'L3'].map((phase, i) => ({ value: (16 - i * 0.1).toFixed(1), context, format: 'Raw', measurand: 'Current.Import', phase, location: 'Outlet', unit: 'A' })),
        { value: '0.2', context, measurand: 'Current.Import', phase: 'N', location: 'Outlet', unit: 'A' },
        { value: '32', context, measurand: 'Current.Offered', unit: 'A' },
        ...['L1-N', 'L2-N', 'L3-N'].map((phase, i) => ({ value: (229 + i).toFixed(1), context, measurand: 'Voltage', phase, location: 'Inlet', unit: 'V' })),
        { value: '399.1', context, measurand: 'Voltage', phase: 'L1-L2', unit: 'V' },
        { value: '0.98', context, measurand: 'Power.Factor', phase: 'L1' },
        { value: '50.01', context, measurand: 'Frequency', location: 'Inlet' },
        { value: '57', context, measurand: 'SoC', location: 'EV', unit: 'Percent' },
        { value: '31.5', context, measurand: 'Temperature', location: 'Body', unit: 'Celsius' },
        { value: '303.1', context, measurand: 'Temperature', location: 'Cable', unit: 'K' },
        { value: '88.0', context, measurand: 'Temperature', location: 'Outlet', unit: 'Fahrenheit' },
        { value: '1500', context, measurand: 'RPM' },
        { value: '0.9', context, measurand: 'Energy.Active.Import.Interval', unit: 'kWh' },
        { value: 'AP8BAQBi3F1lAAA=', context, format: 'SignedData', measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' },
    ];
    return { connectorId: conn, ...(state.tx ? { transactionId: state.tx.id } : {}),
        meterValue: [{ timestamp: now(), sampledValue: sv }] };
}

function txData(begin, end, start, stop) {
    return [
        { timestamp: begin, sampledValue: [{ value: String(start), context: 'Transaction.Begin', format: 'Raw',
            measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' }] },
        { timestamp: end, sampledValue: [
            { value: String(stop), context: 'Transaction.End', format: 'Raw', measurand: 'Energy.Active.Import.Register', location: 'Outlet', unit: 'Wh' },
            { value: '80', context: 'Transaction.End', measurand: 'SoC', location: 'EV', unit: 'Percent' }] },
    ];
}

const tagInfoCheck = (expect) => (r) => (r.idTagInfo.status === expect ? null : `idTagInfo.status ${r.idTagInfo.status}, want ${expect}`);

async function startTx(idTag, remote) {
    state.starting = true;
    try {
        return await startTxInner(idTag, remote);
    } finally {
        state.starting = false;
    }
}

async function startTxInner(idTag, remote) {
    await status(conn, 'Preparing');
    const begin = now();
    const meterStart = energy;
    const r = await step('StartTransaction', { connectorId: conn, idTag, meterStart, timestamp: begin,
        ...(state.reservations.size ? { reservationId: [...state.reservations.keys()][0] } : {}) },
    (r) => (Number.isInteger(r.transactionId) ? tagInfoCheck(opts['expect-auth'])(r) : 'transactionId not an integer'));
    state.reservations.clear();
    if (!r) return null;
    state.tx = { id: r.transactionId, connectorId: conn, idTag, meterStart, begin, remote };
    await status(conn, 'Charging');
    return state.tx;
}

async function stopTx(reason) {
    const tx = state.tx;
    if (!tx) return;
    energy += 7400;
    const end = now();
    await step('StopTransaction', { idTag: tx.idTag, meterStop: energy, timestamp: end, transactionId: tx.id,
        reason, transactionData: txData(tx.begin, end, tx.meterStart, energy) });
    if (tx.remote) summary.remoteTransactions.push({ transactionId: tx.id, reason, energyWh: energy - tx.meterStart });
    state.tx = null;
    await status(conn, 'Finishing');
    await status(conn, 'Available');
}

// a remote transaction sends MeterValues every 500 ms until it is stopped
async function remoteStart(idTag) {
    const tx = await startTx(idTag, true);
    while (tx && state.tx === tx && client.state === RPCClient.OPEN) {
        energy += 50;
        await step('MeterValues', meterValues('Sample.Periodic'));
        await sleep(500);
    }
}

// ---------------------------------------------------------------- the session

async function main() {
    try {
        await client.connect();
    } catch (e) {
        summary.steps.push({ action: 'connect', ok: false, error: e.message });
        return false;
    }
    log('connected as', identity, 'protocol', client.protocol);
    let boot = null;
    for (let i = 0; i < opts['boot-tries']; i++) {
        boot = await step('BootNotification', bootParams);
        if (!boot || boot.status !== 'Pending') break;
        summary.steps.pop();             // a Pending answer is not a failure: retry
        await sleep(Math.min(Math.max(boot.interval, 1), 2) * 1000);
    }
    summary.bootStatus = boot && boot.status;
    if (!boot || boot.status !== 'Accepted') {
        failed = true;
        summary.steps.push({ action: 'BootNotification', ok: false, error: `status ${boot && boot.status}` });
        return false;
    }
    state.heartbeat = boot.interval;
    state.config.HeartbeatInterval[0] = String(boot.interval);
    await step('Heartbeat', {}, (r) => (isNaN(Date.parse(r.currentTime)) ? 'currentTime not a date' : null));
    await step('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available', timestamp: now() });
    await step('StatusNotification', { connectorId: conn, errorCode: 'OtherError', status: 'Available',
        info: 'rpc session', vendorId: 'ocpp-rpc', vendorErrorCode: 'E042', timestamp: now() });
    await step('Authorize', { idTag: opts['id-tag'] }, tagInfoCheck(opts['expect-auth']));
    // one connector: wait for a remote transaction started meanwhile to end
    for (let i = 0; (state.tx || state.starting) && i < 300; i++) await sleep(100);
    const tx = state.tx || state.starting ? null : await startTx(opts['id-tag'], false);
    if (!tx) failed = true;
    if (tx) {
        summary.transactionId = tx.id;
        energy += 600;
        await step('MeterValues', meterValues('Sample.Periodic'));
        await step('MeterValues', { connectorId: conn, transactionId: tx.id, meterValue: [{ timestamp: now(),
            sampledValue: [{ value: String(energy), context: 'Sample.Clock', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }] });
        await stopTx('EVDisconnected');
    }
    await step('DataTransfer', { vendorId: 'cpsim', messageId: 'rpc-session', data: 'hello' });
    await step('DiagnosticsStatusNotification', { status: 'Idle' });
    await step('FirmwareStatusNotification', { status: 'Idle' });
    // security extension: ocpp-rpc's ocpp1.6 validator includes these schemas
    await step('SecurityEventNotification', { type: 'StartupOfTheDevice', timestamp: now(), techInfo: 'rpc session' });
    await step('SignedFirmwareStatusNotification', { status: 'Idle', requestId: 1 });
    await step('LogStatusNotification', { status: 'Idle', requestId: 1 });
    if (opts.stay > 0) {
        log(`staying ${opts.stay} s to answer calls`);
        const until = Date.now() + opts.stay * 1000;
        while (Date.now() < until) {
            await sleep(Math.min(1000, until - Date.now()));
            if (client.state !== RPCClient.OPEN) break;
        }
        if (state.tx) await stopTx('Local');
    }
    return true;
}

main().then(async (ran) => {
    await client.close({ code: 1000, awaitPending: true }).catch(() => {});
    summary.ok = ran && !failed && summary.violations.length === 0 && summary.badMessages.length === 0;
    process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(summary.ok ? 0 : 1));
}, (e) => {
    console.error('ocpp_rpc_session: crashed:', e);
    process.exit(1);
});
