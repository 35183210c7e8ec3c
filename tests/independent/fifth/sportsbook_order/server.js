'use strict';
// sportsbook-order (seed 000): seamless-wallet order call, POST /order.
// Node.js 20, built-in modules only. State is kept in memory.
// Open points and the decisions taken are listed in DECISIONS.md next to this file.

const http = require('http');
const crypto = require('crypto');

const PORT = parseInt(process.argv[2], 10);
if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  process.stderr.write('usage: node server.js <port>\n');
  process.exit(2);
}
const HOOK_ENABLED = process.env.ORDERPROOF_HOOK !== '0';
const MAX_BODY = 1024 * 1024;
const MAX_DEPTH = 64;
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const INT64_MAX = 9223372036854775807n;
const MAX_MONEY_CENTS = 100000000000000n * 100n; // 1e14 major units: far beyond any real wallet

function log(...a) { process.stderr.write(a.join(' ') + '\n'); }

// ---------------------------------------------------------------------------------------------
// Lossless JSON: numbers are kept as their source text (JNum), so 64-bit ids and money keep
// every digit. Strict RFC 8259 grammar; duplicate member names are refused.
class JNum { constructor(raw) { this.raw = raw; } }
class Raw { constructor(text) { this.text = text; } } // pre-serialised JSON fragment (output)

class JsonError extends Error {}

function parseJson(text) {
  let i = 0;
  const n = text.length;
  function fail(msg) { throw new JsonError(msg + ' at offset ' + i); }
  function ws() {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++; else break;
    }
  }
  function value(depth) {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    if (i >= n) fail('unexpected end of input');
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    fail('unexpected character');
  }
  function literal(word, v) {
    if (text.startsWith(word, i)) { i += word.length; return v; }
    fail('invalid literal');
  }
  function number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0].length === 0 || m[0] === '-') fail('invalid number');
    i += m[0].length;
    return new JNum(m[0]);
  }
  function string() {
    i++; // opening quote
    let out = '';
    let start = i;
    while (true) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, i);
        i++;
        const e = text[i];
        if (e === '"') out += '"';
        else if (e === '\\') out += '\\';
        else if (e === '/') out += '/';
        else if (e === 'b') out += '\b';
        else if (e === 'f') out += '\f';
        else if (e === 'n') out += '\n';
        else if (e === 'r') out += '\r';
        else if (e === 't') out += '\t';
        else if (e === 'u') {
          const h = text.slice(i + 1, i + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid unicode escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
        } else fail('invalid escape');
        i++;
        start = i;
        continue;
      }
      i++;
    }
  }
  function object(depth) {
    i++;
    const obj = Object.create(null);
    const seen = new Set();
    ws();
    if (text[i] === '}') { i++; return obj; }
    while (true) {
      ws();
      if (text[i] !== '"') fail('expected member name');
      const k = string();
      if (seen.has(k)) fail('duplicate member name "' + k + '"');
      seen.add(k);
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      obj[k] = value(depth + 1);
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; return obj; }
      fail("expected ',' or '}'");
    }
  }
  function array(depth) {
    i++;
    const arr = [];
    ws();
    if (text[i] === ']') { i++; return arr; }
    while (true) {
      arr.push(value(depth + 1));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return arr; }
      fail("expected ',' or ']'");
    }
  }
  const v = value(0);
  ws();
  if (i !== n) fail('trailing data');
  return v;
}

function serialize(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Raw) return v.text;
  if (v instanceof JNum) return v.raw;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(serialize).join(',') + ']';
  const parts = [];
  for (const k of Object.keys(v)) {
    if (v[k] === undefined) continue;
    parts.push(JSON.stringify(k) + ':' + serialize(v[k]));
  }
  return '{' + parts.join(',') + '}';
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: {neg, coef: BigInt, scale} meaning (-1)^neg * coef / 10^scale.
function decimalFromText(s) {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(s);
  if (!m) return null;
  const frac = m[3] || '';
  let exp = m[4] ? parseInt(m[4], 10) : 0;
  if (!Number.isFinite(exp) || Math.abs(exp) > 400) return null;
  let coef = BigInt(m[2] + frac);
  let scale = frac.length - exp;
  if (scale < 0) { coef *= 10n ** BigInt(-scale); scale = 0; }
  while (scale > 0 && coef % 10n === 0n) { coef /= 10n; scale--; }
  return { neg: m[1] === '-' && coef !== 0n, coef, scale };
}

// A numeric field: a JSON number, or (as the seed's sample does) a decimal string.
function asDecimal(v) {
  if (v instanceof JNum) return decimalFromText(v.raw);
  if (typeof v === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(v)) return decimalFromText(v);
  return null;
}
function asInteger(v) {
  const d = asDecimal(v);
  if (!d || d.scale !== 0) return null;
  return d.neg ? -d.coef : d.coef;
}
function decToString(d) {
  let s = d.coef.toString();
  if (d.scale > 0) {
    s = s.padStart(d.scale + 1, '0');
    s = s.slice(0, s.length - d.scale) + '.' + s.slice(s.length - d.scale);
  }
  return (d.neg ? '-' : '') + s;
}
function centsToString(c) {
  const neg = c < 0n;
  const a = neg ? -c : c;
  const s = a.toString().padStart(3, '0');
  return (neg ? '-' : '') + s.slice(0, -2) + '.' + s.slice(-2);
}
function decToCents(d) { // null when more than 2 decimals
  if (d.scale > 2) return null;
  const c = d.coef * 10n ** BigInt(2 - d.scale);
  return d.neg ? -c : c;
}

// ---------------------------------------------------------------------------------------------
// State
const operators = new Map();   // name -> operator
const players = new Map();     // userId -> player
const byToken = new Map();     // customerToken -> player
const orders = new Map();      // ticketId (digit string) -> {userId, fingerprint, status, body}
let nextUserId = 10000000001n;
let nextEntryId = 1;
const CURRENCY_CODES = new Map([['EUR', 1], ['USD', 2], ['GBP', 3], ['CNY', 4], ['HKD', 5],
  ['JPY', 6], ['KRW', 7], ['THB', 8], ['VND', 9], ['IDR', 10], ['MYR', 11], ['INR', 12]]);
let nextCurrencyCode = 100;
function currencyCode(cur) {
  if (!CURRENCY_CODES.has(cur)) CURRENCY_CODES.set(cur, nextCurrencyCode++);
  return CURRENCY_CODES.get(cur);
}
function rnd(n) { return crypto.randomBytes(n).toString('hex'); }

// ---------------------------------------------------------------------------------------------
// HTTP helpers
function send(res, status, obj, extraHeaders) {
  const body = serialize(obj);
  res.writeHead(status, Object.assign({
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  }, extraHeaders || {}));
  res.end(body);
}
function orderError(res, status, msg, extra) {
  send(res, status, { code: status, msg }, extra);
}

function contentTypeOk(req) {
  const ct = req.headers['content-type'];
  if (ct === undefined || ct.trim() === '') return true; // absent: read as JSON
  const parts = ct.split(';').map((p) => p.trim());
  const mt = parts[0].toLowerCase();
  if (mt !== 'application/json') return false;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const val = p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    if (name === 'charset' && val !== 'utf-8' && val !== 'utf8') return false;
  }
  return true;
}

function readBody(req, cb) {
  const chunks = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c) => {
    if (tooBig) return;
    size += c.length;
    if (size > MAX_BODY) { tooBig = true; chunks.length = 0; return; }
    chunks.push(c);
  });
  req.on('end', () => cb(null, tooBig ? null : Buffer.concat(chunks), tooBig));
  req.on('error', (e) => cb(e));
}

function decodeJsonBody(buf) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (e) {
    throw new JsonError('body is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseJson(text);
}

// ---------------------------------------------------------------------------------------------
// POST /order validation
class Invalid extends Error {}
function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum); }
function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k) && o[k] !== null; }

function reqString(o, k, path, { nonEmpty = false, alsoNumber = false } = {}) {
  if (!has(o, k)) throw new Invalid(path + k + ' is required');
  let v = o[k];
  if (alsoNumber && v instanceof JNum) {
    const d = decimalFromText(v.raw);
    if (!d || d.scale !== 0 || d.neg) throw new Invalid(path + k + ' must be a string');
    v = d.coef.toString();
  }
  if (typeof v !== 'string') throw new Invalid(path + k + ' must be a string');
  if (nonEmpty && v.trim() === '') throw new Invalid(path + k + ' must not be empty');
  if (v.length > 1000) throw new Invalid(path + k + ' is too long');
  return v;
}
function optString(o, k, path) {
  if (!has(o, k)) return null;
  if (typeof o[k] !== 'string') throw new Invalid(path + k + ' must be a string or null');
  if (o[k].length > 1000) throw new Invalid(path + k + ' is too long');
  return o[k];
}
function intField(o, k, path, { required = true, min = null, max = INT32_MAX, lo = INT32_MIN } = {}) {
  if (!has(o, k)) {
    if (required) throw new Invalid(path + k + ' is required');
    return null;
  }
  const v = asInteger(o[k]);
  if (v === null) throw new Invalid(path + k + ' must be an integer');
  if (v < lo || v > max) throw new Invalid(path + k + ' is out of range');
  if (min !== null && v < min) throw new Invalid(path + k + ' must be at least ' + min);
  return v;
}
function longField(o, k, path, opts = {}) {
  return intField(o, k, path, Object.assign({ max: INT64_MAX, lo: -INT64_MAX - 1n }, opts));
}
function positiveDecimal(o, k, path, { min1 = false } = {}) {
  if (!has(o, k)) throw new Invalid(path + k + ' is required');
  const d = asDecimal(o[k]);
  if (!d) throw new Invalid(path + k + ' must be a number');
  if (d.neg || d.coef === 0n) throw new Invalid(path + k + ' must be greater than 0');
  if (d.scale > 20 || d.coef.toString().length > 40) throw new Invalid(path + k + ' has too many digits');
  if (min1) {
    const one = 10n ** BigInt(d.scale);
    if (d.coef < one) throw new Invalid(path + k + ' must be at least 1 (decimal odds)');
  }
  return d;
}

function validateOrder(b) {
  if (!isObj(b)) throw new Invalid('body must be a JSON object');
  const n = {}; // normalised request (for the repeat fingerprint)
  n.customerToken = reqString(b, 'customerToken', '', { nonEmpty: true });

  // ticketId: bigint, an exact 64-bit positive id; a JSON integer or a digit string.
  if (!has(b, 'ticketId')) throw new Invalid('ticketId is required');
  let tid = b.ticketId;
  let tidText;
  if (tid instanceof JNum) tidText = tid.raw;
  else if (typeof tid === 'string') tidText = tid;
  else throw new Invalid('ticketId must be an integer');
  if (!/^[1-9][0-9]{0,18}$/.test(tidText) || BigInt(tidText) > INT64_MAX) {
    throw new Invalid('ticketId must be a positive 64-bit integer');
  }
  n.ticketId = tidText;

  // orderAmount: money in major units, > 0, at most 2 decimals (cents).
  const amt = positiveDecimal(b, 'orderAmount', '');
  const cents = decToCents(amt);
  if (cents === null) throw new Invalid('orderAmount must have at most 2 decimals');
  if (cents > MAX_MONEY_CENTS) throw new Invalid('orderAmount is too large');
  n.orderAmount = centsToString(cents);

  n.currency = intField(b, 'currency', '', { min: 0n }).toString();
  n.qTime = longField(b, 'qTime', '', { min: 0n }).toString();
  n.betType = intField(b, 'betType', '', { min: 0n }).toString();

  if (!has(b, 'optionArray')) throw new Invalid('optionArray is required');
  if (!Array.isArray(b.optionArray)) throw new Invalid('optionArray must be an array');
  if (b.optionArray.length === 0) throw new Invalid('optionArray must not be empty');
  if (b.optionArray.length > 1000) throw new Invalid('optionArray is too long');
  n.optionArray = b.optionArray.map((o, idx) => {
    const p = 'optionArray[' + idx + '].';
    if (!isObj(o)) throw new Invalid(p.slice(0, -1) + ' must be an object');
    const r = {};
    r.sportNo = intField(o, 'sportNo', p, { min: 0n }).toString();
    r.tourName = reqString(o, 'tourName', p);
    r.macthId = longField(o, 'macthId', p, { min: 1n }).toString();
    r.macthName = reqString(o, 'macthName', p);
    r.gameType = intField(o, 'gameType', p, { min: 0n }).toString();
    r.groupType = intField(o, 'groupType', p, { min: 0n }).toString();
    r.optionId = reqString(o, 'optionId', p, { nonEmpty: true, alsoNumber: true });
    r.betOption = reqString(o, 'betOption', p, { nonEmpty: true });
    const hs = intField(o, 'insHomeScore', p, { required: false, min: 0n });
    const as = intField(o, 'insAwayScore', p, { required: false, min: 0n });
    r.insHomeScore = hs === null ? null : hs.toString();
    r.insAwayScore = as === null ? null : as.toString();
    r.oddsView = decToString(positiveDecimal(o, 'oddsView', p));
    r.oddsFormat = intField(o, 'oddsFormat', p, { min: 0n }).toString();
    r.betStage = intField(o, 'betStage', p, { min: 0n }).toString();
    r.betBar = optString(o, 'betBar', p);
    return r;
  });

  if (!has(b, 'betList')) throw new Invalid('betList is required');
  if (!Array.isArray(b.betList)) throw new Invalid('betList must be an array');
  if (b.betList.length === 0) throw new Invalid('betList must not be empty');
  if (b.betList.length > 1000) throw new Invalid('betList is too long');
  n.betList = b.betList.map((o, idx) => {
    const p = 'betList[' + idx + '].';
    if (!isObj(o)) throw new Invalid(p.slice(0, -1) + ' must be an object');
    const r = {};
    // comboId: required key; the sample sends null for a single bet, so null is accepted.
    if (!Object.prototype.hasOwnProperty.call(o, 'comboId')) throw new Invalid(p + 'comboId is required');
    const cid = longField(o, 'comboId', p, { required: false, min: 0n });
    r.comboId = cid === null ? null : cid.toString();
    r.betAmount = decToString(positiveDecimal(o, 'betAmount', p));
    r.num = intField(o, 'num', p, { min: 1n }).toString();
    r.cnt = intField(o, 'cnt', p, { min: 1n }).toString();
    r.comboItems = null;
    if (has(o, 'comboItems')) {
      if (!Array.isArray(o.comboItems)) throw new Invalid(p + 'comboItems must be an array');
      r.comboItems = o.comboItems.map((ci, j) => {
        const q = p + 'comboItems[' + j + '].';
        if (!isObj(ci)) throw new Invalid(q.slice(0, -1) + ' must be an object');
        const sub = longField(ci, 'SubComboId', q, { required: false, min: 0n });
        let ids = null;
        if (has(ci, 'OptionIds')) {
          if (!Array.isArray(ci.OptionIds)) throw new Invalid(q + 'OptionIds must be an array');
          ids = ci.OptionIds.map((x, k2) => {
            const v = asInteger(x);
            if (v === null || v < 0n || v > INT64_MAX) throw new Invalid(q + 'OptionIds[' + k2 + '] must be an integer');
            return v.toString();
          });
        }
        return { SubComboId: sub === null ? null : sub.toString(), OptionIds: ids };
      });
    }
    r.oddsEuro = decToString(positiveDecimal(o, 'oddsEuro', p, { min1: true }));
    return r;
  });

  return { n, cents };
}

function handleOrder(req, res, buf) {
  let body;
  try {
    body = decodeJsonBody(buf);
  } catch (e) {
    if (e instanceof JsonError) return orderError(res, 400, 'malformed JSON: ' + e.message);
    throw e;
  }
  let v;
  try {
    v = validateOrder(body);
  } catch (e) {
    if (e instanceof Invalid) return orderError(res, 400, 'invalid parameter: ' + e.message);
    throw e;
  }
  const { n, cents } = v;
  const player = byToken.get(n.customerToken);
  if (!player) return orderError(res, 401, 'invalid customerToken');

  const fingerprint = JSON.stringify(Object.assign({}, n, { qTime: undefined }));
  const prior = orders.get(n.ticketId);
  if (prior) {
    if (prior.fingerprint === fingerprint) {
      log('order replay ticketId=' + n.ticketId);
      return send(res, 200, prior.response);
    }
    return orderError(res, 409, 'duplicate ticketId: already used by a different order');
  }
  if (player.blocked) return orderError(res, 403, 'player is blocked');
  if (n.currency !== String(player.currencyCode)) {
    return orderError(res, 400, 'invalid parameter: currency does not match the player wallet');
  }
  if (player.balanceCents < cents) return orderError(res, 402, 'insufficient balance');

  // Accept: debit, store the order and its ledger entry, all at once (single-threaded).
  player.balanceCents -= cents;
  const orderTime = Date.now();
  const balAfter = centsToString(player.balanceCents);
  const response = {
    code: 200,
    msg: 'success',
    data: {
      userId: player.userId,
      balance: new Raw(balAfter),
      ticketId: new Raw(n.ticketId),
      ticketID: new Raw(n.ticketId),
      amount: new Raw(centsToString(cents)),
      orderTime: new Raw(String(orderTime)),
    },
  };
  player.orders.push({
    ticketId: n.ticketId,
    amount: centsToString(cents),
    balance_after: balAfter,
    order_time: new Raw(String(orderTime)),
  });
  player.ledger.push({
    entry_id: nextEntryId++,
    amount: centsToString(-cents),
    balance_after: balAfter,
    reason: 'order',
    reference: n.ticketId,
  });
  orders.set(n.ticketId, { userId: player.userId, fingerprint, response, request: n });
  log('order accepted ticketId=' + n.ticketId + ' user=' + player.userId + ' amount=' + centsToString(cents));
  return send(res, 200, response);
}

// ---------------------------------------------------------------------------------------------
// Provider-state hook
class HookBad extends Error {}
function hookParamsCheck(params, allowed) {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) throw new HookBad("unknown param '" + k + "'; accepted: " + allowed.join(', '));
  }
}
function hookDecimal(v, name) {
  let d = null;
  if (v instanceof JNum) d = decimalFromText(v.raw);
  else if (typeof v === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(v)) d = decimalFromText(v);
  if (!d) throw new HookBad("param '" + name + "' must be a decimal string or a number");
  return d;
}
function hookString(v, name) {
  if (typeof v !== 'string') throw new HookBad("param '" + name + "' must be a string");
  return v;
}
function hookBool(v, name) {
  if (typeof v !== 'boolean') throw new HookBad("param '" + name + "' must be a boolean");
  return v;
}

function operatorAnswer(op) {
  return {
    name: op.name, secret: op.secret, timezone_offset: op.timezone_offset,
    webhook_url: op.webhook_url, ext: op.ext, wht: op.wht,
  };
}
function createOperator(p) {
  hookParamsCheck(p, ['name', 'secret', 'timezone_offset', 'webhook_url', 'ext', 'wht']);
  const op = {
    name: p.name !== undefined ? hookString(p.name, 'name') : 'op-' + rnd(4),
    secret: p.secret !== undefined ? hookString(p.secret, 'secret') : 's3cr3t-' + rnd(12),
    timezone_offset: '+02:00',
    webhook_url: 'http://127.0.0.1/webhook',
    ext: '12.5',
    wht: '20.0',
  };
  if (p.timezone_offset !== undefined) {
    const tz = hookString(p.timezone_offset, 'timezone_offset');
    if (!/^[+-][0-9]{2}:[0-9]{2}$/.test(tz)) throw new HookBad("param 'timezone_offset' must look like +02:00");
    op.timezone_offset = tz;
  }
  if (p.webhook_url !== undefined) {
    if (p.webhook_url !== null && typeof p.webhook_url !== 'string') throw new HookBad("param 'webhook_url' must be a string or null");
    op.webhook_url = p.webhook_url;
  }
  if (p.ext !== undefined) op.ext = decToString(hookDecimal(p.ext, 'ext'));
  if (p.wht !== undefined) op.wht = decToString(hookDecimal(p.wht, 'wht'));
  operators.set(op.name, op);
  return op;
}
function createPlayer(p) {
  hookParamsCheck(p, ['balance', 'currency', 'blocked', 'min_stake', 'max_stake', 'session_expired',
    'session_expired_seconds_ago', 'operator']);
  let balanceCents = 100000n;
  if (p.balance !== undefined) {
    const d = hookDecimal(p.balance, 'balance');
    const c = decToCents(d);
    if (c === null || c < 0n) throw new HookBad("param 'balance' must be a non-negative amount with at most 2 decimals");
    if (c > MAX_MONEY_CENTS) throw new HookBad("param 'balance' is too large");
    balanceCents = c;
  }
  let currency = 'EUR';
  if (p.currency !== undefined) {
    currency = hookString(p.currency, 'currency');
    if (!/^[A-Z]{3}$/.test(currency)) throw new HookBad("param 'currency' must be an ISO 4217 code");
  }
  const blocked = p.blocked !== undefined ? hookBool(p.blocked, 'blocked') : false;
  const money = (k, def) => {
    if (p[k] === undefined) return def;
    const c = decToCents(hookDecimal(p[k], k));
    if (c === null || c < 0n) throw new HookBad("param '" + k + "' must be a non-negative amount with at most 2 decimals");
    return centsToString(c);
  };
  const minStake = money('min_stake', '0.10');
  const maxStake = money('max_stake', '500.00');
  if (p.session_expired !== undefined) hookBool(p.session_expired, 'session_expired');
  if (p.session_expired_seconds_ago !== undefined) {
    const v = p.session_expired_seconds_ago instanceof JNum ? decimalFromText(p.session_expired_seconds_ago.raw) : null;
    if (!v || v.scale !== 0 || v.neg || v.coef < 1n || v.coef > 31536000n) {
      throw new HookBad("param 'session_expired_seconds_ago' must be an integer 1..31536000");
    }
  }
  let op;
  if (p.operator !== undefined) {
    const name = hookString(p.operator, 'operator');
    op = operators.get(name) || createOperator({ name });
  } else {
    op = createOperator({});
  }
  const userId = (nextUserId++).toString();
  const player = {
    userId,
    customerToken: 'ct-' + rnd(16),
    balanceCents,
    currency,
    currencyCode: currencyCode(currency),
    blocked,
    minStake,
    maxStake,
    operator: op.name,
    orders: [],
    ledger: [],
  };
  players.set(userId, player);
  byToken.set(player.customerToken, player);
  return {
    userId,
    customerToken: player.customerToken,
    balance: centsToString(balanceCents),
    currency,
    currency_code: player.currencyCode,
    blocked,
    min_stake: minStake,
    max_stake: maxStake,
    operator: operatorAnswer(op),
  };
}
function snapshot(p) {
  hookParamsCheck(p, ['userId']);
  if (p.userId === undefined) throw new HookBad("param 'userId' is required for 'a player snapshot'");
  const uid = hookString(p.userId, 'userId');
  const player = players.get(uid);
  if (!player) throw new HookBad("unknown userId '" + uid + "'");
  return {
    userId: player.userId,
    balance: centsToString(player.balanceCents),
    currency: player.currency,
    bets: [],
    orders: player.orders,
    tickets: [],
    travel_orders: [],
    ledger: player.ledger,
  };
}

const STATES = ['an operator exists', 'a player exists', 'an event exists', 'a jackpot betcard exists',
  'a player snapshot'];

function handleHook(req, res, buf) {
  let body;
  try {
    body = decodeJsonBody(buf);
  } catch (e) {
    if (e instanceof JsonError) return send(res, 400, { error: 'malformed JSON: ' + e.message });
    throw e;
  }
  try {
    if (!isObj(body)) throw new HookBad('body must be a JSON object');
    for (const k of Object.keys(body)) {
      if (!['state', 'params', 'action'].includes(k)) throw new HookBad("unknown member '" + k + "'; accepted: state, params, action");
    }
    const state = body.state;
    if (typeof state !== 'string') throw new HookBad("'state' is required; accepted: " + STATES.join(', '));
    let action = 'setup';
    if (body.action !== undefined && body.action !== null) {
      if (body.action !== 'setup' && body.action !== 'teardown') {
        throw new HookBad("unknown action '" + String(body.action) + "'; accepted: setup, teardown");
      }
      action = body.action;
    }
    let params = {};
    if (body.params !== undefined && body.params !== null) {
      if (!isObj(body.params)) throw new HookBad("'params' must be an object");
      params = body.params;
    }
    if (!STATES.includes(state)) {
      throw new HookBad("unknown provider state '" + state + "'; accepted: " + STATES.join(', '));
    }
    if (state === 'an event exists' || state === 'a jackpot betcard exists') {
      throw new HookBad("provider state '" + state + "' is not served by this target (sportsbook-order only); " +
        "accepted: an operator exists, a player exists, a player snapshot");
    }
    if (action === 'teardown') return send(res, 200, {});
    if (state === 'an operator exists') return send(res, 200, operatorAnswer(createOperator(params)));
    if (state === 'a player exists') return send(res, 200, createPlayer(params));
    return send(res, 200, snapshot(params));
  } catch (e) {
    if (e instanceof HookBad) return send(res, 400, { error: e.message });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
const server = http.createServer((req, res) => {
  let pathname;
  try {
    pathname = new URL(req.url, 'http://localhost').pathname;
  } catch (e) {
    pathname = '';
  }
  const isOrder = pathname === '/order';
  const isHook = pathname === '/_orderproof/provider-states' && HOOK_ENABLED;
  if (!isOrder && !isHook) {
    req.resume();
    return orderError(res, 404, 'not found');
  }
  if (req.method !== 'POST') {
    req.resume();
    if (isHook) return send(res, 405, { error: 'method not allowed; use POST' }, { Allow: 'POST' });
    return orderError(res, 405, 'method not allowed; use POST', { Allow: 'POST' });
  }
  if (!contentTypeOk(req)) {
    req.resume();
    if (isHook) return send(res, 415, { error: 'content type must be application/json' });
    return orderError(res, 415, 'unsupported media type: application/json is required');
  }
  readBody(req, (err, buf, tooBig) => {
    if (err) { log('read error', err.message); return; }
    try {
      if (tooBig) {
        if (isHook) return send(res, 413, { error: 'body too large' });
        return orderError(res, 413, 'request body too large');
      }
      if (isOrder) return handleOrder(req, res, buf);
      return handleHook(req, res, buf);
    } catch (e) {
      log('internal error', e && e.stack);
      if (!res.headersSent) orderError(res, 500, 'internal error');
    }
  });
});
server.on('clientError', (err, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
});
server.listen(PORT, '127.0.0.1', () => log('sportsbook-order listening on 127.0.0.1:' + PORT));
