#!/usr/bin/env node
// bench_peer.js: the peer of our benchmark (tests/tools/bench.py). An
// ocpp-rpc RPCServer in strict mode (every frame validated against the OCPP
// 1.6 schemas in both directions, as csmsd does), in memory, nothing durable:
// BootNotification is Accepted, MeterValues answered with {}, StartTransaction
// gets a fresh transaction id, Heartbeat and StatusNotification their
// answers. It stands for "a typical Node central system" in the CPU per
// message ratio the issue asks for; it is not a test peer.
//
// usage: node bench_peer.js [--port 0] [--host 127.0.0.1]
// Prints "listening PORT" on stdout once ready. On SIGTERM/SIGINT it prints
// one JSON line {"connections","calls","violations","badMessages"} and exits
// 0, or 1 if any frame broke the schema (the load was then not comparable).
'use strict';

const { RPCServer } = require('ocpp-rpc');

let port = 0;
let host = '127.0.0.1';
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    const v = process.argv[++i];
    if (a === '--port' && /^[0-9]+$/.test(v || '')) port = parseInt(v, 10);
    else if (a === '--host' && v) host = v;
    else {
        console.error(`bench_peer: bad option ${a} (usage: --port N --host H)`);
        process.exit(2);
    }
}

const stats = { connections: 0, calls: 0, violations: 0, badMessages: 0 };
let txId = 0;
const now = () => new Date().toISOString();
// One handler per action the load generator sends (a table, as in fake_csms).
const handlers = {
    BootNotification: () => ({ status: 'Accepted', currentTime: now(), interval: 3600 }),
    MeterValues: () => ({}),
    Heartbeat: () => ({ currentTime: now() }),
    StatusNotification: () => ({}),
    StartTransaction: () => ({ transactionId: ++txId, idTagInfo: { status: 'Accepted' } }),
};

const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 0 });
server.auth((accept) => accept({}, 'ocpp1.6'));
server.on('client', (client) => {
    stats.connections++;
    for (const [method, fn] of Object.entries(handlers))
        client.handle(method, () => { stats.calls++; return fn(); });
    client.on('strictValidationFailure', () => { stats.violations++; });
    client.on('badMessage', () => { stats.badMessages++; });
});

function finish() {
    const bad = stats.violations || stats.badMessages;
    process.stdout.write(JSON.stringify(stats) + '\n', () => process.exit(bad ? 1 : 0));
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);

server.listen(port, host).then((http) => {
    console.log(`listening ${http.address().port}`);
}).catch((e) => {
    console.error(`bench_peer: cannot listen on ${host}:${port}: ${e.message}`);
    process.exit(2);
});
