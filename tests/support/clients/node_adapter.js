#!/usr/bin/env node
// A decoding adapter in plain Node.js (no packages), written against conformance/ADAPTER.md only:
//
//     python -m conformance client --adapter -- node tests/support/clients/node_adapter.js [--fault NAME]
//
// It decodes both formats of !AutoApplyIdA and the URL-encoded answers of
// !UpdateUserEvClickThrough the way a careful JavaScript client would: bytes as UTF-8 (fatal),
// the newline format with CRLF, blank lines and white space tolerated, the URL-encoded format
// split on '&' and decoded once ('+' is a space), names matched in any case, integers and amounts
// reported as the digits written (a JavaScript number cannot hold 2**53 + 1), and the v2 outcome.
// --fault NAME makes one mistake real clients make:
//
//   double-decoding       percent-decodes the whole body, then splits and decodes it again
//                         (urldecode() then parse_str(): %2B becomes a space, %26 splits a pair)
//   case-sensitive-names  looks names up exactly, and reports errorCode 99 when it is not found
//   number-through-double reads orderNumber as a JavaScript number (2**53 + 1 becomes 2**53)
//   status1-is-error      reports every code but 0 as a failure (status 1 is a success)
'use strict';

const readline = require('readline');

const fault = process.argv[2] === '--fault' ? process.argv[3] : null;
const NAMES = ['errorCode', 'errorMessage', 'orderNumber', 'totalCost', 'expectedDeliveryTime', 'status', 'description'];
const BY_KEY = new Map(NAMES.map((n) => [n.toLowerCase(), n]));
const INTEGERS = new Set(['errorCode', 'orderNumber', 'expectedDeliveryTime', 'status']);
const ORDER_LINES = ['orderNumber', 'totalCost', 'expectedDeliveryTime'];

class Refused extends Error {}

function decodeText(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new Refused('the body is not UTF-8');
  }
}

function decodeComponent(text) {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch (e) {
    throw new Refused(`a bad percent escape or invalid UTF-8 in ${JSON.stringify(text.slice(0, 40))}`);
  }
}

function urlencoded(text) {
  if (fault === 'double-decoding') {
    text = decodeComponent(text);
  }
  const values = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawName = at < 0 ? pair : pair.slice(0, at);
    const rawValue = at < 0 ? '' : pair.slice(at + 1);
    let name = decodeComponent(rawName);
    if (fault !== 'case-sensitive-names') name = BY_KEY.get(name.toLowerCase()) || name;
    if (!(name in values)) values[name] = decodeComponent(rawValue);
  }
  if (fault === 'case-sensitive-names' && !('errorCode' in values)) values.errorCode = '99';
  return values;
}

function newline(text) {
  const lines = text.replace(/\r\n/g, '\n').split('\n').map((line) => line.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) throw new Refused('an empty body');
  const code = lines[0];
  const names = code.startsWith('-') ? ['errorCode', 'errorMessage'] : ['errorCode', ...ORDER_LINES];
  const values = {};
  names.forEach((name, i) => {
    if (i < lines.length) values[name] = lines[i];
  });
  return values;
}

function decode(message) {
  const text = decodeText(Buffer.from(message.body_base64, 'base64'));
  const mime = (message.content_type || '').split(';')[0].trim().toLowerCase();
  let form;
  if (message.endpoint !== 'AutoApplyIdA') form = true;
  else if (message.response_format !== null && message.response_format !== undefined) form = message.response_format === 1;
  else form = mime === 'application/x-www-form-urlencoded';
  const values = form ? urlencoded(text) : newline(text);
  if (!('errorCode' in values)) throw new Refused('no errorCode');
  const out = {};
  for (const [name, value] of Object.entries(values)) {
    if (INTEGERS.has(name)) {
      if (!/^-?[0-9]+$/.test(value)) throw new Refused(`${name} is not an integer: ${JSON.stringify(value)}`);
      out[name] = fault === 'number-through-double' && name === 'orderNumber' ? Number(value) : value;
    } else if (name === 'totalCost') {
      if (!/^[0-9]+(\.[0-9]+)?$/.test(value)) throw new Refused(`totalCost is not an amount: ${JSON.stringify(value)}`);
      out[name] = value;
    } else if (NAMES.includes(name)) {
      out[name] = value;
    }
  }
  const code = Number(out.errorCode);
  if (message.endpoint === 'AutoApplyIdA' && code === 0 && ORDER_LINES.some((n) => !(n in out))) {
    throw new Refused('a successful order without its order lines');
  }
  out.outcome = (fault === 'status1-is-error' ? code !== 0 : code < 0) ? 'failure' : 'success';
  return out;
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  if (!line.trim()) return;
  const message = JSON.parse(line);
  let reply;
  try {
    reply = { id: message.id, ...decode(message) };
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    reply = { id: message.id, error: e.message };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
