// openapi_check.js: checks for test_openapi.py.
//   node openapi_check.js validate DOC.json
//     the document is valid OpenAPI (swagger-parser: the OpenAPI 3.1 schema
//     and its own rules: unique operationIds, path parameters declared...)
//   node openapi_check.js answers DOC.json ANSWERS.json
//     each answer {method, pattern, status, type, body, what} (pattern: a
//     route of csms/api, '*' for a segment) is described by the document:
//     its status among the operation's responses, its media type among that
//     response's, its body valid against the schema (ajv, JSON Schema
//     2020-12 as OpenAPI 3.1 uses it, formats checked).
// Exit 0 when all hold, 1 with one line per failure.
'use strict';
const fs = require('fs');

async function validate(file) {
  const SwaggerParser = require('@apidevtools/swagger-parser');
  try {
    const api = await SwaggerParser.validate(file);
    console.log('valid: OpenAPI %s, %d paths', api.openapi, Object.keys(api.paths).length);
    return 0;
  } catch (e) {
    console.log('invalid: ' + e.message);
    return 1;
  }
}

const ptr = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function answers(file, answersFile) {
  const Ajv2020 = require('ajv/dist/2020');
  const addFormats = require('ajv-formats');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const seen = JSON.parse(fs.readFileSync(answersFile, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const byPattern = {};
  for (const p of Object.keys(doc.paths)) byPattern[p.replace(/\{[^}/]+\}/g, '*')] = p;
  let failed = 0, n = 0;
  const fail = (a, why) => { failed++; console.log('FAIL %s -> %d: %s', a.what, a.status, why); };
  for (const a of seen) {
    n++;
    const path = byPattern[a.pattern];
    const op = path && doc.paths[path][a.method.toLowerCase()];
    if (!op) { fail(a, 'no operation ' + a.method + ' ' + a.pattern); continue; }
    const key = String(a.status);
    let resp = op.responses[key];
    if (resp && resp.$ref) resp = doc.components.responses[resp.$ref.split('/').pop()];
    if (!resp) { fail(a, 'status not described (has ' + Object.keys(op.responses).join(' ') + ')'); continue; }
    const media = (a.type || '').split(';')[0].trim();
    if (!resp.content) {
      if (a.body.length) fail(a, 'described without a body, has ' + a.body.length + ' bytes');
      continue;
    }
    if (!resp.content[media]) { fail(a, 'media type ' + media + ' not described'); continue; }
    if (media !== 'application/json') continue;
    let body;
    try { body = JSON.parse(a.body); } catch (e) { fail(a, 'not JSON'); continue; }
    const ref = op.responses[key].$ref
      ? op.responses[key].$ref.slice(1) + '/content/' + ptr(media) + '/schema'
      : '/paths/' + ptr(path) + '/' + a.method.toLowerCase() + '/responses/' + key + '/content/' + ptr(media) + '/schema';
    const v = ajv.getSchema('openapi.json#' + ref.split('/').map((s) => encodeURIComponent(s)).join('/'));
    if (!v) { fail(a, 'no schema at ' + ref); continue; }
    if (!v(body))
      fail(a, ajv.errorsText(v.errors, { separator: '; ' }) + '\n  body: ' + a.body.slice(0, 600));
  }
  console.log('%d answers, %d failed', n, failed);
  return failed ? 1 : 0;
}

(async () => {
  const [mode, file, extra] = process.argv.slice(2);
  if (mode === 'validate') process.exit(await validate(file));
  if (mode === 'answers') process.exit(answers(file, extra));
  console.error('usage: node openapi_check.js validate DOC | answers DOC ANSWERS');
  process.exit(2);
})();
