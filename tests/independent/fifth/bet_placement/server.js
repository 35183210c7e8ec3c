'use strict';
// bet-placement (seed 004): POST /bet, operator side of a betting provider integration.
// Node.js 20, built-in modules only. State is in memory. See DECISIONS.md.

const http = require('http');
const crypto = require('crypto');

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------
const PORT = Number.parseInt(process.argv[2], 10);
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535 || String(PORT) !== String(process.argv[2]).trim()) {
  process.stderr.write('usage: node server.js <port>\n');
  process.exit(2);
}
const HOST = '127.0.0.1';
// One API key per environment (header X-API-Key). Random per process unless BET_API_KEY is set.
const API_KEY = process.env.BET_API_KEY || ('key-' + crypto.randomBytes(16).toString('hex'));
// The provider-state hook is a test-only interface; ORDERPROOF_HOOK=0 disables it (404).
const HOOK_ENABLED = process.env.ORDERPROOF_HOOK !== '0';
const MAX_BODY = 1024 * 1024;              // 1 MiB
const MAX_DEPTH = 64;                      // JSON nesting limit
const SESSION_TTL_MS = 30 * 60 * 1000;     // sliding 30-minute session lifetime
const IDEM_TTL_MS = 24 * 60 * 60 * 1000;   // idempotency records kept 24 h
const MONEY_SCALE = 2;                     // money in major units with 2 decimals (cents exact)

function log(...a) { process.stderr.write(new Date().toISOString() + ' ' + a.join(' ') + '\n'); }

// ---------------------------------------------------------------------------------------------
// Strict JSON parser keeping numbers as their exact literal (no double rounding, no lost digits)
// ---------------------------------------------------------------------------------------------
class JNum { constructor(raw) { this.raw = raw; } }
class JsonSyntaxError extends Error {}

const NUM_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function parseJson(text) {
  let i = 0;
  const n = text.length;
  if (n > 0 && text.charCodeAt(0) === 0xfeff) i = 1; // tolerate a BOM
  const fail = (msg) => { throw new JsonSyntaxError(msg + ' at offset ' + i); };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++; else break;
    }
  };
  function str() {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, i);
        i++;
        if (i >= n) fail('unterminated escape');
        const e = text[i];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const h = text.slice(i + 1, i + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad unicode escape');
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default: fail('bad escape');
        }
        i++;
        start = i;
        continue;
      }
      i++;
    }
  }
  function value(depth) {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    if (i >= n) fail('unexpected end of input');
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = Object.create(null);
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const k = str();
        if (Object.prototype.hasOwnProperty.call(obj, k)) fail('duplicate key "' + k + '"');
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
    if (c === '[') {
      i++;
      const arr = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUM_RE.lastIndex = i;
    const m = NUM_RE.exec(text);
    if (m && m[0].length > 0) { i += m[0].length; return new JNum(m[0]); }
    fail('unexpected character');
  }
  const v = value(1);
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

// Serializer: JNum is written back verbatim, so echoed numbers keep every digit.
function toJson(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof JNum) return v.raw;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(toJson).join(',') + ']';
  const parts = [];
  for (const k of Object.keys(v)) {
    if (v[k] === undefined) continue;
    parts.push(JSON.stringify(k) + ':' + toJson(v[k]));
  }
  return '{' + parts.join(',') + '}';
}

// Canonical form (sorted keys) used as the idempotency fingerprint of a payload.
function canonical(v) {
  if (v instanceof JNum) return 'n:' + v.raw;
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: {v: BigInt, s: scale}  value = v / 10^s
// ---------------------------------------------------------------------------------------------
const DEC_RE = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

function decParse(raw) {
  const m = DEC_RE.exec(raw);
  if (!m) return null;
  const frac = m[3] || '';
  const exp = m[4] ? Number.parseInt(m[4], 10) : 0;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 100) return null;
  const digits = (m[2] + frac).replace(/^0+(?=.)/, '');
  if (digits.length > 40) return null;
  let s = frac.length - exp;
  let v = BigInt(m[2] + frac);
  if (s < 0) { v *= 10n ** BigInt(-s); s = 0; }
  if (s > 40) return null;
  if (m[1] === '-') v = -v;
  return { v, s };
}

// Same value at scale `s`; null if that would lose digits.
function decAt(d, s) {
  if (d.s === s) return d.v;
  if (d.s < s) return d.v * 10n ** BigInt(s - d.s);
  const f = 10n ** BigInt(d.s - s);
  if (d.v % f !== 0n) return null;
  return d.v / f;
}

function decFmt(v, s) {
  const neg = v < 0n;
  let t = (neg ? -v : v).toString();
  if (s > 0) {
    if (t.length <= s) t = '0'.repeat(s - t.length + 1) + t;
    t = t.slice(0, t.length - s) + '.' + t.slice(t.length - s);
  }
  return (neg ? '-' : '') + t;
}

const money = (cents) => decFmt(cents, MONEY_SCALE);

// A Decimal param of the hook: decimal string or JSON number, exact at 2 decimals.
function paramMoney(x) {
  let raw;
  if (typeof x === 'string') { if (!/^-?[0-9]+(\.[0-9]+)?$/.test(x)) return null; raw = x; }
  else if (x instanceof JNum) raw = x.raw;
  else return null;
  const d = decParse(raw);
  if (!d) return null;
  return decAt(d, MONEY_SCALE);
}
function paramDecimalString(x) {
  if (typeof x === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(x)) return x;
  if (x instanceof JNum) { const d = decParse(x.raw); if (d) return decFmt(d.v, d.s); }
  return null;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------
const operators = new Map();   // name -> operator
const players = new Map();     // userId -> player
const idempotency = new Map(); // key -> {fp, status, body, at}
let nextEventId = 100001;
let nextMarketId = 5001;
let nextSelectionId = 101;
let idemInserts = 0;

const rid = (bytes) => crypto.randomBytes(bytes).toString('hex');

function operatorAnswer(o) {
  return { name: o.name, secret: o.secret, timezone_offset: o.timezone_offset,
    webhook_url: o.webhook_url, ext: o.ext, wht: o.wht };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------
function send(res, status, bodyStr, extraHeaders) {
  const headers = Object.assign({
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(bodyStr),
    'Cache-Control': 'no-store',
  }, extraHeaders || {});
  res.writeHead(status, headers);
  res.end(bodyStr);
}

const ERROR_STATUS = {
  INVALID_USER: 400, INVALID_BET_DETAILS: 400, INVALID_STAKE: 400, INSUFFICIENT_FUNDS: 400,
  USER_BLOCKED: 400, MISSING_PARAMETER: 400, INVALID_SESSION: 401, AUTHENTICATION_FAILED: 403,
  GENERAL_EXCEPTION: 500, REQUEST_TIMED_OUT: 503,
};

function failure(code, message, failedBets) {
  const body = { status: 'FAILURE', errorCode: code };
  if (message) body.errorMessage = message;
  if (failedBets) body.failedBets = failedBets;
  return { status: ERROR_STATUS[code], body };
}

function mediaTypeOf(req) {
  const ct = req.headers['content-type'];
  if (ct === undefined) return null;
  return String(ct).split(';')[0].trim().toLowerCase();
}
function isJsonMedia(mt) {
  return mt === 'application/json' || (/^application\/[a-z0-9.+-]+\+json$/.test(mt || ''));
}

function decodeUtf8(buf) {
  try { return new TextDecoder('utf-8', { fatal: true }).decode(buf); } catch (_) { return null; }
}

function safeEqual(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb) && String(a) === String(b);
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const EPOCH_RE = /^[0-9]{1,16}$/;
const STAGES = new Set(['IN_PLAY', 'PRE_PLAY']);

const TOP_REQUIRED = ['requestId', 'userId', 'sessionToken', 'timestamp', 'bets'];
const BET_STRING_FIELDS = ['betId', 'sportId', 'sportName', 'sportDisplayName', 'eventId', 'eventName',
  'eventDisplayName', 'eventStage', 'competitionId', 'competitionName', 'competitionDisplayName',
  'marketTypeId', 'marketId', 'marketName', 'marketDisplayName', 'marketStage', 'selectionId',
  'selectionName', 'selectionDisplayName'];
const BET_REQUIRED = BET_STRING_FIELDS.concat(['decimalPrice', 'stake']);
// Response order of BetDetails fields (seed table order).
const BET_FIELDS_ORDER = ['betId', 'sportId', 'sportName', 'sportDisplayName', 'eventId', 'eventAltId',
  'eventName', 'eventDisplayName', 'eventStage', 'competitionId', 'competitionName',
  'competitionDisplayName', 'marketTypeId', 'marketId', 'marketName', 'marketDisplayName', 'marketStage',
  'selectionId', 'selectionName', 'selectionDisplayName', 'decimalPrice', 'stake'];

const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isMissing = (o, k) => !has(o, k) || o[k] === null || (typeof o[k] === 'string' && o[k].trim() === '');
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum);

// ---------------------------------------------------------------------------------------------
// POST /bet
// ---------------------------------------------------------------------------------------------
function placeBets(req, parsed) {
  // --- media type and body syntax
  const mt = mediaTypeOf(req);
  if (mt !== null && !isJsonMedia(mt)) {
    return failure('INVALID_BET_DETAILS', 'Content-Type must be application/json');
  }
  if (parsed.error) return failure('INVALID_BET_DETAILS', 'Malformed JSON body: ' + parsed.error);
  const body = parsed.value;
  if (!isObj(body)) return failure('INVALID_BET_DETAILS', 'The request body must be a JSON object');

  // --- missing required parameters (absent, null or blank)
  const missing = TOP_REQUIRED.filter((k) => isMissing(body, k));
  if (Array.isArray(body.bets)) {
    body.bets.forEach((b, idx) => {
      if (!isObj(b)) return;
      for (const k of BET_REQUIRED) if (isMissing(b, k)) missing.push('bets[' + idx + '].' + k);
    });
  }
  if (missing.length) return failure('MISSING_PARAMETER', 'Missing required parameter(s): ' + missing.join(', '));

  // --- types and formats
  if (typeof body.requestId !== 'string' || !UUID_RE.test(body.requestId)) {
    return failure('INVALID_BET_DETAILS', 'requestId must be a UUID string');
  }
  if (typeof body.userId !== 'string') return failure('INVALID_USER', 'userId must be a string');
  if (typeof body.sessionToken !== 'string') return failure('INVALID_SESSION', 'sessionToken must be a string');
  if (typeof body.timestamp !== 'string' || !EPOCH_RE.test(body.timestamp)) {
    return failure('INVALID_BET_DETAILS', 'timestamp must be a string holding epoch milliseconds');
  }
  if (!Array.isArray(body.bets) || body.bets.length === 0) {
    return failure('INVALID_BET_DETAILS', 'bets must be a non-empty array of BetDetails');
  }
  const bets = [];
  const seen = new Set();
  for (let idx = 0; idx < body.bets.length; idx++) {
    const b = body.bets[idx];
    const at = 'bets[' + idx + ']';
    if (!isObj(b)) return failure('INVALID_BET_DETAILS', at + ' must be an object');
    for (const k of BET_STRING_FIELDS) {
      if (typeof b[k] !== 'string') return failure('INVALID_BET_DETAILS', at + '.' + k + ' must be a string');
    }
    if (has(b, 'eventAltId') && b.eventAltId !== null && typeof b.eventAltId !== 'string') {
      return failure('INVALID_BET_DETAILS', at + '.eventAltId must be a string');
    }
    if (!UUID_RE.test(b.betId)) return failure('INVALID_BET_DETAILS', at + '.betId must be a UUID');
    if (!STAGES.has(b.eventStage)) return failure('INVALID_BET_DETAILS', at + '.eventStage must be IN_PLAY or PRE_PLAY');
    if (!STAGES.has(b.marketStage)) return failure('INVALID_BET_DETAILS', at + '.marketStage must be IN_PLAY or PRE_PLAY');
    if (!(b.decimalPrice instanceof JNum)) return failure('INVALID_BET_DETAILS', at + '.decimalPrice must be a number');
    if (!(b.stake instanceof JNum)) return failure('INVALID_BET_DETAILS', at + '.stake must be a number');
    const price = decParse(b.decimalPrice.raw);
    if (!price) return failure('INVALID_BET_DETAILS', at + '.decimalPrice is out of range');
    if (price.v <= 10n ** BigInt(price.s)) return failure('INVALID_BET_DETAILS', at + '.decimalPrice must be greater than 1');
    const stakeDec = decParse(b.stake.raw);
    if (!stakeDec) return failure('INVALID_BET_DETAILS', at + '.stake is out of range');
    const stake = decAt(stakeDec, MONEY_SCALE);
    if (stake === null) return failure('INVALID_BET_DETAILS', at + '.stake has more than ' + MONEY_SCALE + ' decimal places');
    const key = b.betId.toLowerCase();
    if (seen.has(key)) return failure('INVALID_BET_DETAILS', at + '.betId ' + b.betId + ' appears twice in the betslip');
    seen.add(key);
    bets.push({ src: b, key, price, stake });
  }

  // --- step 1: user and session
  const player = players.get(body.userId);
  if (!player) return failure('INVALID_USER', 'Unknown userId');
  const now = Date.now();
  if (!safeEqual(body.sessionToken, player.sessionToken)) {
    return failure('INVALID_SESSION', 'Session token is not valid for this user');
  }
  if (now >= player.sessionExpiresAt) return failure('INVALID_SESSION', 'Session token has expired');

  // betIds must be unique for the player (bets are later resulted by betId)
  const dup = bets.find((x) => player.betIds.has(x.key));
  if (dup) return failure('INVALID_BET_DETAILS', 'betId ' + dup.src.betId + ' has already been placed');

  // --- step 2: funds for the sum of all stakes
  const total = bets.reduce((acc, x) => acc + x.stake, 0n);
  if (total > player.balance) {
    return failure('INSUFFICIENT_FUNDS', 'Balance ' + money(player.balance) + ' does not cover total stake ' + money(total));
  }

  // --- step 3: regulatory restrictions
  if (player.blocked) return failure('USER_BLOCKED', 'The user is blocked from betting');
  const failedBets = [];
  for (const x of bets) {
    let reason = null;
    if (x.stake <= 0n || x.stake < player.minStake) reason = { minStake: new JNum(money(player.minStake)) };
    else if (x.stake > player.maxStake) reason = { maxStake: new JNum(money(player.maxStake)) };
    if (reason) {
      failedBets.push({ betId: x.src.betId, sportId: x.src.sportId, eventId: x.src.eventId,
        marketId: x.src.marketId, selectionId: x.src.selectionId, reason });
    }
  }
  if (failedBets.length) return failure('INVALID_STAKE', 'Stake outside the allowed limits', failedBets);

  // --- commit (synchronous: all bets or none)
  const placedAt = String(now);
  for (const x of bets) {
    player.balance -= x.stake;
    player.ledger.push({ entry_id: player.ledger.length + 1, amount: money(-x.stake),
      balance_after: money(player.balance), reason: 'bet', reference: x.src.betId });
    const b = x.src;
    const stored = {
      betId: b.betId, requestId: body.requestId, sportId: b.sportId, eventId: b.eventId,
      marketTypeId: b.marketTypeId, marketId: b.marketId, selectionId: b.selectionId,
      stake: money(x.stake), decimalPrice: decFmt(x.price.v, x.price.s),
      potentialPayout: decFmt(x.stake * x.price.v, MONEY_SCALE + x.price.s),
      status: 'pending', placedAt,
    };
    if (typeof b.eventAltId === 'string') stored.eventAltId = b.eventAltId;
    player.bets.push(stored);
    player.betIds.add(x.key);
  }
  player.sessionExpiresAt = now + SESSION_TTL_MS; // sliding session

  const echo = bets.map((x) => {
    const out = {};
    for (const k of BET_FIELDS_ORDER) {
      if (k === 'eventAltId' && (x.src[k] === undefined || x.src[k] === null)) continue;
      out[k] = x.src[k];
    }
    return out;
  });
  return { status: 200, body: {
    requestId: body.requestId, userId: body.userId, sessionToken: player.sessionToken,
    timestamp: String(Date.now()), status: 'PLACED', bets: echo,
  } };
}

function handleBet(req, res, buf, tooLarge) {
  // Authentication: X-API-Key (403 AUTHENTICATION_FAILED); never recorded for idempotency.
  const key = req.headers['x-api-key'];
  if (typeof key !== 'string' || !safeEqual(key, API_KEY)) {
    const f = failure('AUTHENTICATION_FAILED', 'Missing or invalid X-API-Key');
    return send(res, f.status, toJson(f.body));
  }
  const idemRaw = req.headers['x-idempotency-key'];
  if (typeof idemRaw !== 'string' || idemRaw.trim() === '') {
    const f = failure('MISSING_PARAMETER', 'Missing X-Idempotency-Key header');
    return send(res, f.status, toJson(f.body));
  }
  if (!UUID_RE.test(idemRaw.trim())) {
    const f = failure('MISSING_PARAMETER', 'X-Idempotency-Key must be a UUID');
    return send(res, f.status, toJson(f.body));
  }
  if (tooLarge) {
    return send(res, 413, toJson({ status: 'FAILURE', errorCode: 'INVALID_BET_DETAILS',
      errorMessage: 'Request body larger than ' + MAX_BODY + ' bytes' }), { Connection: 'close' });
  }
  const idemKey = idemRaw.trim().toLowerCase();

  const parsed = {};
  const text = decodeUtf8(buf);
  if (text === null) parsed.error = 'body is not valid UTF-8';
  else {
    try { parsed.value = parseJson(text); } catch (e) {
      if (e instanceof JsonSyntaxError) parsed.error = e.message; else throw e;
    }
  }
  const fp = crypto.createHash('sha256')
    .update(parsed.error ? 'raw:' + buf.toString('base64') : 'json:' + canonical(parsed.value)).digest('hex');

  const now = Date.now();
  const prev = idempotency.get(idemKey);
  if (prev && now - prev.at < IDEM_TTL_MS) {
    if (prev.fp !== fp) {
      return send(res, 422, toJson({ status: 'FAILURE', errorCode: 'INVALID_BET_DETAILS',
        errorMessage: 'X-Idempotency-Key was already used with a different request payload' }));
    }
    return send(res, prev.status, prev.body, { 'Idempotent-Replayed': 'true' });
  }

  let result;
  try {
    result = placeBets(req, parsed);
  } catch (e) {
    log('bet placement error:', e && e.stack ? e.stack : String(e));
    const f = failure('GENERAL_EXCEPTION', 'Internal error');
    return send(res, f.status, toJson(f.body)); // a server error does not consume the key
  }
  const out = toJson(result.body);
  if (result.status < 500) {
    idempotency.set(idemKey, { fp, status: result.status, body: out, at: now });
    if (++idemInserts % 1000 === 0) {
      for (const [k, r] of idempotency) if (now - r.at >= IDEM_TTL_MS) idempotency.delete(k);
    }
  }
  return send(res, result.status, out);
}

// ---------------------------------------------------------------------------------------------
// POST /_orderproof/provider-states (test hook)
// ---------------------------------------------------------------------------------------------
class HookError extends Error {}
const hookFail = (m) => { throw new HookError(m); };

function checkParams(params, allowed, state) {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) {
      hookFail("unknown param '" + k + "' for state '" + state + "' (accepted: " + allowed.join(', ') + ')');
    }
  }
}
const isBool = (v) => typeof v === 'boolean';
function intParam(v) {
  if (!(v instanceof JNum) || !/^-?[0-9]+$/.test(v.raw)) return null;
  const n = Number(v.raw);
  return Number.isSafeInteger(n) ? n : null;
}

function createOperator(params) {
  const p = params || Object.create(null);
  checkParams(p, ['name', 'secret', 'timezone_offset', 'webhook_url', 'ext', 'wht'], 'an operator exists');
  if (has(p, 'name') && (typeof p.name !== 'string' || p.name === '')) hookFail("param 'name' must be a non-empty string");
  if (has(p, 'secret') && (typeof p.secret !== 'string' || p.secret === '')) hookFail("param 'secret' must be a non-empty string");
  if (has(p, 'timezone_offset') && (typeof p.timezone_offset !== 'string' || !/^[+-][0-9]{2}:[0-9]{2}$/.test(p.timezone_offset))) {
    hookFail("param 'timezone_offset' must look like +02:00");
  }
  if (has(p, 'webhook_url') && p.webhook_url !== null && typeof p.webhook_url !== 'string') hookFail("param 'webhook_url' must be a string or null");
  let ext = '12.5', wht = '20.0';
  if (has(p, 'ext')) { ext = paramDecimalString(p.ext); if (ext === null) hookFail("param 'ext' must be a decimal"); }
  if (has(p, 'wht')) { wht = paramDecimalString(p.wht); if (wht === null) hookFail("param 'wht' must be a decimal"); }
  let name = p.name;
  if (!name) { do { name = 'op-' + rid(3); } while (operators.has(name)); }
  const op = {
    name,
    secret: has(p, 'secret') ? p.secret : 'secret-' + rid(12),
    timezone_offset: has(p, 'timezone_offset') ? p.timezone_offset : '+02:00',
    webhook_url: has(p, 'webhook_url') ? p.webhook_url : 'http://127.0.0.1/webhook',
    ext, wht,
  };
  operators.set(name, op);
  return op;
}

function createPlayer(params) {
  const p = params;
  checkParams(p, ['balance', 'currency', 'blocked', 'min_stake', 'max_stake', 'session_expired',
    'session_expired_seconds_ago', 'operator'], 'a player exists');
  const getMoney = (k, dflt) => {
    if (!has(p, k)) return dflt;
    const v = paramMoney(p[k]);
    if (v === null) hookFail("param '" + k + "' must be a decimal amount with at most 2 decimals");
    if (v < 0n) hookFail("param '" + k + "' must not be negative");
    return v;
  };
  const balance = getMoney('balance', 100000n);
  const minStake = getMoney('min_stake', 10n);
  const maxStake = getMoney('max_stake', 50000n);
  if (minStake > maxStake) hookFail("param 'min_stake' must not exceed 'max_stake'");
  let currency = 'EUR';
  if (has(p, 'currency')) {
    if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency)) hookFail("param 'currency' must be an ISO 4217 code");
    currency = p.currency;
  }
  for (const k of ['blocked', 'session_expired']) {
    if (has(p, k) && !isBool(p[k])) hookFail("param '" + k + "' must be a boolean");
  }
  let agoSec = 60;
  if (has(p, 'session_expired_seconds_ago')) {
    agoSec = intParam(p.session_expired_seconds_ago);
    if (agoSec === null || agoSec < 1 || agoSec > 31536000) hookFail("param 'session_expired_seconds_ago' must be an integer 1..31536000");
  }
  let op;
  if (has(p, 'operator')) {
    if (typeof p.operator !== 'string' || p.operator === '') hookFail("param 'operator' must be an operator name");
    op = operators.get(p.operator) || createOperator({ name: p.operator });
  } else {
    op = createOperator(Object.create(null));
  }
  let userId;
  do { userId = 'user-' + rid(6); } while (players.has(userId));
  const now = Date.now();
  const player = {
    userId,
    sessionToken: crypto.randomBytes(16).toString('base64'),
    token: 'tok-' + rid(12),
    customerToken: 'cust-' + rid(12),
    memberid: String(70000 + players.size + 1),
    balance, currency, minStake, maxStake,
    blocked: p.blocked === true,
    sessionExpiresAt: p.session_expired === true ? now - agoSec * 1000 : now + SESSION_TTL_MS,
    operator: op.name,
    bets: [], betIds: new Set(), ledger: [],
  };
  players.set(userId, player);
  return {
    userId, sessionToken: player.sessionToken, token: player.token, customerToken: player.customerToken,
    memberid: player.memberid, balance: money(balance), currency, blocked: player.blocked,
    min_stake: money(minStake), max_stake: money(maxStake), apiKey: API_KEY, operator: operatorAnswer(op),
  };
}

function createEvent(params) {
  const p = params;
  checkParams(p, ['started', 'markets'], 'an event exists');
  if (has(p, 'started') && !isBool(p.started)) hookFail("param 'started' must be a boolean");
  let markets = [{ code: '1X2', allowed: true, prices: ['1.85', '3.40', '4.20'] }];
  if (has(p, 'markets')) {
    if (!Array.isArray(p.markets) || p.markets.length === 0) hookFail("param 'markets' must be a non-empty array");
    markets = p.markets.map((m, idx) => {
      if (!isObj(m)) hookFail('markets[' + idx + '] must be an object');
      checkParams(m, ['code', 'allowed', 'prices'], 'an event exists (markets[' + idx + '])');
      if (typeof m.code !== 'string' || m.code === '') hookFail('markets[' + idx + '].code must be a string');
      if (has(m, 'allowed') && !isBool(m.allowed)) hookFail('markets[' + idx + '].allowed must be a boolean');
      let prices = ['1.85', '3.40', '4.20'];
      if (has(m, 'prices')) {
        if (!Array.isArray(m.prices) || m.prices.length === 0) hookFail('markets[' + idx + '].prices must be a non-empty array');
        prices = m.prices.map((x) => {
          const s = paramDecimalString(x);
          if (s === null) hookFail('markets[' + idx + '].prices must hold decimals');
          return s;
        });
      }
      return { code: m.code, allowed: m.allowed !== false, prices };
    });
  }
  return {
    event_id: nextEventId++, name: 'Home v Away', started: p.started === true,
    markets: markets.map((m) => ({
      market_id: nextMarketId++, code: m.code, allowed: m.allowed,
      selections: m.prices.map((price, k) => ({
        bet_id: nextSelectionId++,
        name: (m.code === '1X2' && m.prices.length === 3) ? ['1', 'X', '2'][k] : 'Selection ' + (k + 1),
        decimal_price: price,
      })),
    })),
  };
}

function createBetcard(params) {
  const p = params;
  checkParams(p, ['events', 'prize', 'bonus_prizes'], 'a jackpot betcard exists');
  let count = 3;
  if (has(p, 'events')) { count = intParam(p.events); if (count === null || count < 1 || count > 100) hookFail("param 'events' must be an integer 1..100"); }
  let prize = new JNum('1000000');
  if (has(p, 'prize')) { if (intParam(p.prize) === null || intParam(p.prize) < 0) hookFail("param 'prize' must be integer cents"); prize = p.prize; }
  let bonus = [new JNum('10000'), new JNum('5000')];
  if (has(p, 'bonus_prizes')) {
    if (!Array.isArray(p.bonus_prizes) || p.bonus_prizes.some((x) => intParam(x) === null || intParam(x) < 0)) hookFail("param 'bonus_prizes' must be integer cents");
    bonus = p.bonus_prizes;
  }
  const events = [];
  for (let k = 0; k < count; k++) events.push(createEvent(Object.create(null)));
  return { betcard_code: 'JP-' + rid(2), prize, bonus_prizes: bonus, events };
}

function snapshot(params) {
  const p = params;
  checkParams(p, ['userId'], 'a player snapshot');
  if (typeof p.userId !== 'string') hookFail("param 'userId' is required (a string)");
  const pl = players.get(p.userId);
  if (!pl) hookFail("unknown userId '" + p.userId + "'");
  return {
    userId: pl.userId, balance: money(pl.balance), currency: pl.currency,
    bets: pl.bets.map((b) => Object.assign({}, b)),
    orders: [], tickets: [], travel_orders: [],
    ledger: pl.ledger.map((e) => Object.assign({}, e)),
  };
}

const STATES = ['an operator exists', 'a player exists', 'an event exists', 'a jackpot betcard exists', 'a player snapshot'];

function handleHook(req, res, buf, tooLarge) {
  if (!HOOK_ENABLED) return send(res, 404, toJson({ error: 'not found' }));
  const fail400 = (m) => send(res, 400, toJson({ error: m }));
  if (tooLarge) return fail400('body too large');
  // The hook reads the body as JSON whatever Content-Type says (test-only interface).
  const text = decodeUtf8(buf);
  if (text === null) return fail400('body is not valid UTF-8');
  let body;
  try { body = parseJson(text); } catch (e) { return fail400('malformed JSON: ' + e.message); }
  if (!isObj(body)) return fail400('body must be a JSON object');
  for (const k of Object.keys(body)) {
    if (!['state', 'params', 'action'].includes(k)) return fail400("unknown field '" + k + "' (accepted: state, params, action)");
  }
  const state = body.state;
  if (typeof state !== 'string' || !STATES.includes(state)) {
    return fail400("unknown provider state '" + (typeof state === 'string' ? state : toJson(state)) + "' (accepted: " + STATES.join(', ') + ')');
  }
  const action = has(body, 'action') && body.action !== null ? body.action : 'setup';
  if (action !== 'setup' && action !== 'teardown') return fail400("unknown action '" + toJson(action) + "' (accepted: setup, teardown)");
  let params = Object.create(null);
  if (has(body, 'params') && body.params !== null) {
    if (!isObj(body.params)) return fail400("'params' must be an object");
    params = body.params;
  }
  try {
    if (action === 'teardown') {
      if (state === 'a player exists' && typeof params.userId === 'string') players.delete(params.userId);
      if (state === 'an operator exists' && typeof params.name === 'string') operators.delete(params.name);
      return send(res, 200, '{}');
    }
    let answer;
    switch (state) {
      case 'an operator exists': answer = operatorAnswer(createOperator(params)); break;
      case 'a player exists': answer = createPlayer(params); break;
      case 'an event exists': answer = createEvent(params); break;
      case 'a jackpot betcard exists': answer = createBetcard(params); break;
      default: answer = snapshot(params);
    }
    return send(res, 200, toJson(answer));
  } catch (e) {
    if (e instanceof HookError) return fail400(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------
const server = http.createServer((req, res) => {
  let pathname;
  try { pathname = new URL(req.url, 'http://localhost').pathname; } catch (_) { pathname = ''; }
  const route = pathname === '/bet' ? 'bet' : pathname === '/_orderproof/provider-states' ? 'hook' : null;
  if (!route) { req.resume(); return send(res, 404, toJson({ error: 'not found' })); }
  if (req.method !== 'POST') {
    req.resume();
    return send(res, 405, toJson({ error: 'method not allowed' }), { Allow: 'POST' });
  }
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) { tooLarge = true; return; }
    chunks.push(c);
  });
  req.on('error', (e) => log('request error:', e.message));
  req.on('end', () => {
    const buf = Buffer.concat(chunks);
    try {
      if (route === 'bet') handleBet(req, res, buf, tooLarge);
      else handleHook(req, res, buf, tooLarge);
    } catch (e) {
      log('unhandled error:', e && e.stack ? e.stack : String(e));
      if (!res.headersSent) {
        const body = route === 'bet'
          ? toJson({ status: 'FAILURE', errorCode: 'GENERAL_EXCEPTION', errorMessage: 'Internal error' })
          : toJson({ error: 'internal error' });
        send(res, 500, body);
      }
    }
  });
});

server.on('clientError', (err, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
});
process.on('uncaughtException', (e) => log('uncaught:', e && e.stack ? e.stack : String(e)));

server.listen(PORT, HOST, () => log('bet-placement listening on http://' + HOST + ':' + PORT + '/bet'));
