#!/usr/bin/env node
// fake_csms.js: a tiny OCPP 1.6J central system on ocpp-rpc in strict mode,
// used to test our charge point tools (cpsim, loadgen) without csmsd. Every
// schema violation in either direction is logged and makes it exit 1.
//
// usage: node fake_csms.js [--port 0] [--host 127.0.0.1] [--boot Accepted]
//          [--pending-boots N] [--heartbeat S] [--password P] [--admin-calls]
//          [--remote] [--reject-tag TAG] [--bad-boot-for ID] [--quiet]
// --bad-boot-for ID answers the BootNotification of chargers whose id starts
// with ID outside the
// schema (sent raw, past our own strict check), to test the clients' checks.
// Prints "listening PORT" on stdout once ready. On SIGTERM/SIGINT it prints
// one JSON line of statistics on stdout and exits 0, or 1 if anything was
// invalid (schema violation, bad message, failed admin call).
'use strict';

const { RPCServer, createRPCError, NOREPLY } = require('ocpp-rpc');

const opts = {
    port: 0, host: '127.0.0.1', boot: 'Accepted', 'pending-boots': 0, heartbeat: 300,
    password: null, 'admin-calls': false, remote: false, 'reject-tag': null, quiet: false,
    'bad-boot-for': null,
};
const flags = new Set(['admin-calls', 'remote', 'quiet']);
const ints = new Set(['port', 'pending-boots', 'heartbeat']);
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (!name || !(name in opts)) {
        console.error(`fake_csms: unknown option ${a}`);
        process.exit(2);
    }
    if (flags.has(name)) { opts[name] = true; continue; }
    const v = process.argv[++i];
    if (v === undefined) { console.error(`fake_csms: --${name} needs a value`); process.exit(2); }
    opts[name] = ints.has(name) ? parseInt(v, 10) : v;
    if (ints.has(name) && !Number.isInteger(opts[name])) {
        console.error(`fake_csms: --${name} wants an integer`);
        process.exit(2);
    }
}

const log = (...a) => { if (!opts.quiet) console.error('fake_csms:', ...a); };

const stats = {
    connections: 0, refused: 0, calls: {}, violations: 0, violationList: [],
    badMessages: 0, badMessageList: [],
    admin: { completed: 0, ok: 0, failed: 0, failures: [] },
    remote: { completed: 0, failures: [] },
    transactions: { started: 0, retried: 0, stopped: 0, unknownStops: 0 },
    meterValues: 0, sampledValues: 0, energyWh: {}, stopReasons: {},
};

function note(list, item) { if (list.length < 20) list.push(item); }

function violation(where, detail) {
    stats.violations++;
    note(stats.violationList, `${where}: ${detail}`);
    log('SCHEMA VIOLATION', where, detail);
}

// transactions: an identical StartTransaction retry gets the same id
let nextTx = 100;
const txByKey = new Map();
const txById = new Map();
const bootsSeen = new Map();

const now = () => new Date().toISOString();

function handlersFor(client) {
    const id = client.identity;
    const count = (m) => { stats.calls[m] = (stats.calls[m] || 0) + 1; };
    const tagInfo = (tag) => ({ status: tag === opts['reject-tag'] ? 'Invalid' : 'Accepted' });

    return {
        BootNotification: ({ messageId }) => {
            if (opts['bad-boot-for'] && id.startsWith(opts['bad-boot-for'])) {
                client.sendRaw(JSON.stringify([3, messageId, { status: 'Accepted', currentTime: now(), interval: 'soon' }]));
                return NOREPLY;
            }
            const n = (bootsSeen.get(id) || 0) + 1;
            bootsSeen.set(id, n);
            const status = n <= opts['pending-boots'] ? 'Pending' : opts.boot;
            if (status === 'Accepted') client.emit('booted');
            return { status, currentTime: now(), interval: status === 'Accepted' ? opts.heartbeat : 1 };
        },
        Heartbeat: () => ({ currentTime: now() }),
        StatusNotification: () => ({}),
        Authorize: ({ params }) => ({ idTagInfo: tagInfo(params.idTag) }),
        StartTransaction: ({ params }) => {
            const key = [id, params.connectorId, params.idTag, params.meterStart, params.timestamp].join('|');
            let tx = txByKey.get(key);
            if (tx === undefined) {
                tx = nextTx++;
                txByKey.set(key, tx);
                txById.set(tx, { charger: id, meterStart: params.meterStart, stopped: false });
                stats.transactions.started++;
            } else {
                stats.transactions.retried++;
            }
            client.emit('txStarted', tx, params);
            return { transactionId: tx, idTagInfo: tagInfo(params.idTag) };
        },
        StopTransaction: ({ params }) => {
            const t = txById.get(params.transactionId);
            if (!t || t.charger !== id) {
                stats.transactions.unknownStops++;
            } else if (!t.stopped) {
                t.stopped = true;
                stats.transactions.stopped++;
                stats.energyWh[params.transactionId] = params.meterStop - t.meterStart;
                stats.stopReasons[params.reason || 'Local'] = (stats.stopReasons[params.reason || 'Local'] || 0) + 1;
            }
            client.emit('txStopped', params);
            return params.idTag ? { idTagInfo: tagInfo(params.idTag) } : {};
        },
        MeterValues: ({ params }) => {
            stats.meterValues++;
            for (const mv of params.meterValue) stats.sampledValues += mv.sampledValue.length;
            client.emit('meterValues', params);
            return {};
        },
        DataTransfer: ({ params }) => params.vendorId === 'cpsim' || params.vendorId === 'fake'
            ? { status: 'Accepted', data: params.data } : { status: 'UnknownVendorId' },
        DiagnosticsStatusNotification: () => ({}),
        FirmwareStatusNotification: () => ({}),
        SecurityEventNotification: () => ({}),
        SignedFirmwareStatusNotification: () => ({}),
        LogStatusNotification: () => ({}),
        SignCertificate: () => ({ status: 'Accepted' }),
        _count: count,
    };
}

// ---------------------------------------------------------------- admin battery

const soon = () => new Date(Date.now() + 3600e3).toISOString();
const battery = [
    ['GetConfiguration', {}, r => Array.isArray(r.configurationKey) && r.configurationKey.length > 5],
    ['GetConfiguration', { key: ['HeartbeatInterval', 'NoSuchKey'] },
        r => r.configurationKey.length === 1 && r.unknownKey[0] === 'NoSuchKey'],
    ['ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '30' }, r => r.status === 'Accepted'],
    ['ChangeConfiguration', { key: 'NumberOfConnectors', value: '3' }, r => r.status === 'Rejected'],
    ['ChangeConfiguration', { key: 'NoSuchKey', value: '1' }, r => r.status === 'NotSupported'],
    ['GetConfiguration', { key: ['MeterValueSampleInterval'] }, r => r.configurationKey[0].value === '30'],
    ['SetChargingProfile', { connectorId: 0, csChargingProfiles: {
        chargingProfileId: 7, stackLevel: 1, chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingProfileKind: 'Absolute', chargingSchedule: { chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 13.5, numberPhases: 3 }] } } },
        r => r.status === 'Accepted'],
    ['SetChargingProfile', { connectorId: 1, csChargingProfiles: {
        chargingProfileId: 8, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute', chargingSchedule: { chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 10, numberPhases: 1 }] } } },
        r => r.status === 'Accepted'],
    ['GetCompositeSchedule', { connectorId: 1, duration: 3600, chargingRateUnit: 'A' },
        r => r.status === 'Accepted' && r.chargingSchedule.chargingSchedulePeriod[0].limit === 10],
    ['ClearChargingProfile', { id: 999 }, r => r.status === 'Unknown'],
    ['TriggerMessage', { requestedMessage: 'StatusNotification', connectorId: 1 }, r => r.status === 'Accepted'],
    ['TriggerMessage', { requestedMessage: 'Heartbeat' }, r => r.status === 'Accepted'],
    ['TriggerMessage', { requestedMessage: 'MeterValues', connectorId: 1 }, r => r.status === 'Accepted'],
    ['DataTransfer', { vendorId: 'fake', messageId: 'echo', data: 'hello' },
        r => r.status === 'Accepted' && r.data === 'hello'],
    ['SendLocalList', { listVersion: 5, updateType: 'Full', localAuthorizationList: [
        { idTag: 'LOCAL1', idTagInfo: { status: 'Accepted' } }] }, r => r.status === 'Accepted'],
    ['GetLocalListVersion', {}, r => r.listVersion === 5],
    ['ClearCache', {}, r => r.status === 'Accepted'],
    ['ReserveNow', { connectorId: 0, expiryDate: soon(), idTag: 'RES1', reservationId: 42 },
        r => ['Accepted', 'Occupied'].includes(r.status)],
    ['CancelReservation', { reservationId: 42 }, r => ['Accepted', 'Rejected'].includes(r.status)],
    ['CancelReservation', { reservationId: 4242 }, r => r.status === 'Rejected'],
    ['ChangeAvailability', { connectorId: 0, type: 'Operative' }, r => ['Accepted', 'Scheduled'].includes(r.status)],
    ['UnlockConnector', { connectorId: 9 }, r => r.status === 'NotSupported'],
    ['RemoteStopTransaction', { transactionId: 987654 }, r => r.status === 'Rejected'],
    ['GetDiagnostics', { location: 'ftp://example.invalid/diag/' }, r => typeof r.fileName === 'string'],
    ['UpdateFirmware', { location: 'http://example.invalid/fw.bin', retrieveDate: now() }, r => true],
    // security extension
    ['ExtendedTriggerMessage', { requestedMessage: 'LogStatusNotification' }, r => r.status === 'Accepted'],
    ['ExtendedTriggerMessage', { requestedMessage: 'SignChargePointCertificate' }, r => r.status === 'Accepted'],
    ['GetInstalledCertificateIds', { certificateType: 'CentralSystemRootCertificate' }, r => r.status === 'NotFound'],
    ['InstallCertificate', { certificateType: 'CentralSystemRootCertificate', certificate: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----' }, r => r.status === 'Accepted'],
    ['CertificateSigned', { certificateChain: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----' }, r => r.status === 'Accepted'],
    ['DeleteCertificate', { certificateHashData: { hashAlgorithm: 'SHA256', issuerNameHash: 'aa', issuerKeyHash: 'bb', serialNumber: '01' } }, r => ['Accepted', 'NotFound', 'Failed'].includes(r.status)],
    ['GetLog', { logType: 'DiagnosticsLog', requestId: 7, log: { remoteLocation: 'ftp://example.invalid/log/' } }, r => r.status === 'Accepted'],
    ['SignedUpdateFirmware', { requestId: 8, firmware: { location: 'http://example.invalid/fw.bin', retrieveDateTime: now(), signingCertificate: 'CERT', signature: 'SIG' } }, r => r.status === 'Accepted'],
];

function adminFail(id, what) {
    stats.admin.failed++;
    note(stats.admin.failures, `${id}: ${what}`);
    log('ADMIN FAILURE', id, what);
}

async function runBattery(client) {
    const id = client.identity;
    for (const [method, params, check] of battery) {
        try {
            const r = await client.call(method, params);
            if (check(r)) stats.admin.ok++;
            else adminFail(id, `${method} ${JSON.stringify(params)} -> ${JSON.stringify(r)}`);
        } catch (e) {
            adminFail(id, `${method}: ${e.rpcErrorCode || ''} ${e.message}`);
        }
    }
    // an unknown action must get CALLERROR NotImplemented (sent raw: strict
    // mode would refuse to send an action without a schema)
    const answer = new Promise((resolve) => {
        const t = setTimeout(() => resolve(null), 5000);
        client.on('message', ({ message, outbound }) => {
            if (outbound) return;
            try {
                const m = JSON.parse(message);
                if (m[1] === 'unknown-1') { clearTimeout(t); resolve(m); }
            } catch (e) { /* not ours */ }
        });
    });
    client.sendRaw(JSON.stringify([2, 'unknown-1', 'FlyToTheMoon', {}]));
    const m = await answer;
    if (m && m[0] === 4 && m[2] === 'NotImplemented') stats.admin.ok++;
    else adminFail(id, `unknown action answered ${JSON.stringify(m)}`);
    stats.admin.completed++;
    log('admin battery done for', id);
}

// RemoteStart on connector 1, RemoteStop after two MeterValues, then Reset:
// the charger must start, stop with reason Remote, and boot again.
async function runRemote(client) {
    const id = client.identity;
    const fail = (w) => { note(stats.remote.failures, `${id}: ${w}`); log('REMOTE FAILURE', id, w); };
    const waitFor = (ev, pred, ms) => new Promise((resolve) => {
        const t = setTimeout(() => { client.off(ev, h); resolve(null); }, ms);
        const h = (...a) => { if (!pred || pred(...a)) { clearTimeout(t); client.off(ev, h); resolve(a); } };
        client.on(ev, h);
    });
    try {
        const started = waitFor('txStarted', (tx, p) => p.idTag === 'REMOTE1', 20000);
        // a charger busy with its own transaction may refuse: ask again
        let r;
        for (let i = 0; i < 20; i++) {
            r = await client.call('RemoteStartTransaction', { connectorId: 1, idTag: 'REMOTE1' });
            if (r.status === 'Accepted') break;
            await new Promise((res) => setTimeout(res, 500));
        }
        if (r.status !== 'Accepted') return fail(`RemoteStart answered ${r.status}`);
        const s = await started;
        if (!s) return fail('no StartTransaction after RemoteStart');
        const tx = s[0];
        let n = 0;
        if (!await waitFor('meterValues', (p) => p.transactionId === tx && ++n >= 2, 10000))
            return fail('no MeterValues in the remote transaction');
        const stopped = waitFor('txStopped', (p) => p.transactionId === tx, 10000);
        const r2 = await client.call('RemoteStopTransaction', { transactionId: tx });
        if (r2.status !== 'Accepted') return fail(`RemoteStop answered ${r2.status}`);
        const st = await stopped;
        if (!st) return fail('no StopTransaction after RemoteStop');
        if (st[0].reason !== 'Remote') return fail(`stop reason ${st[0].reason}`);
        const rebooted = waitFor('booted', null, 10000);
        const r3 = await client.call('Reset', { type: 'Soft' });
        if (r3.status !== 'Accepted') return fail(`Reset answered ${r3.status}`);
        if (!await rebooted) return fail('no BootNotification after Reset');
        stats.remote.completed++;
        log('remote scenario done for', id);
    } catch (e) {
        fail(`${e.rpcErrorCode || ''} ${e.message}`);
    }
}

// ---------------------------------------------------------------- server

const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 0 });

server.auth((accept, reject, handshake) => {
    if (!handshake.protocols.has('ocpp1.6')) {
        stats.refused++;
        log('refused', handshake.identity, ': no ocpp1.6 subprotocol');
        return reject(400, 'ocpp1.6 subprotocol required');
    }
    if (opts.password !== null) {
        const pw = handshake.password ? handshake.password.toString('utf8') : null;
        if (pw !== opts.password) {
            stats.refused++;
            log('refused', handshake.identity, ': bad password');
            return reject(401, 'bad credentials');
        }
    }
    accept({}, 'ocpp1.6');
});

server.on('client', (client) => {
    stats.connections++;
    log('connected', client.identity);
    const h = handlersFor(client);
    for (const [method, fn] of Object.entries(h)) {
        if (method.startsWith('_')) continue;
        client.handle(method, (call) => { h._count(method); return fn(call); });
    }
    client.handle(({ method }) => {
        h._count(method);
        throw createRPCError('NotImplemented', `fake_csms does not handle ${method}`);
    });
    client.on('strictValidationFailure', (ev) => {
        violation(`${client.identity} ${ev.outbound ? 'out' : 'in'} ${ev.isCall ? 'call' : 'result'} ${ev.method}`,
            ev.error && ev.error.message);
    });
    client.on('badMessage', ({ buffer, error }) => {
        const text = buffer.toString('utf8');
        if (text.includes('"unknown-1"')) return;    // the answer to our raw unknown action
        stats.badMessages++;
        note(stats.badMessageList, `${client.identity}: ${error.message}: ${text.slice(0, 200)}`);
        log('BAD MESSAGE', client.identity, error.message, text.slice(0, 200));
    });
    client.on('close', ({ code }) => log('closed', client.identity, code));
    let once = false;
    client.on('booted', () => {
        if (once) return;
        once = true;
        if (opts['admin-calls']) setTimeout(() => runBattery(client), 50);
        if (opts.remote) setTimeout(() => runRemote(client), 50);
    });
});

function finish() {
    const bad = stats.violations || stats.badMessages || stats.admin.failed || stats.remote.failures.length;
    process.stdout.write(JSON.stringify(stats) + '\n', () => process.exit(bad ? 1 : 0));
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);

server.listen(opts.port, opts.host).then((http) => {
    console.log(`listening ${http.address().port}`);
}).catch((e) => {
    console.error(`fake_csms: cannot listen on ${opts.host}:${opts.port}: ${e.message}`);
    process.exit(2);
});
