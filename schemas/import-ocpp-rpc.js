#!/usr/bin/env node
// Splits the OCPP 1.6 schema bundle shipped by the npm package ocpp-rpc
// (lib/schemas/ocpp1_6.json) into one file per message, named as the OCA
// names them: <Action>.json for the request, <Action>Response.json for the
// response. Content is the bundle entry unchanged (re-indented only).
// Usage: node import-ocpp-rpc.js [path/to/ocpp1_6.json] [outdir]
'use strict';
const fs = require('fs');
const path = require('path');

const src = process.argv[2] ||
    path.join(__dirname, '..', 'tests', 'integration', 'node_modules',
              'ocpp-rpc', 'lib', 'schemas', 'ocpp1_6.json');
const outdir = process.argv[3] || __dirname;
const bundle = JSON.parse(fs.readFileSync(src, 'utf8'));
let n = 0;
for (const s of bundle) {
    const m = /^urn:([A-Za-z]+)\.(req|conf)$/.exec(s.$id || '');
    if (!m) {
        console.error(`unexpected $id ${s.$id}`);
        process.exit(1);
    }
    const file = m[1] + (m[2] === 'conf' ? 'Response' : '') + '.json';
    fs.writeFileSync(path.join(outdir, file), JSON.stringify(s, null, 4) + '\n');
    n++;
}
console.log(`${n} schema files written to ${outdir}`);
