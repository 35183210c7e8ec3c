'use strict';
// superbet-reserve: POST /be/tickets/reserve (seed 003), plus the orderproof
// provider-state test hook POST /_orderproof/provider-states.
// Node.js v20, built-in modules only. State is kept in memory.
// Usage: node server.js <port>

const http = require('http');
const crypto = require('crypto');

const PORT = Number.parseInt(process.argv[2], 10);
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) {
  process.stderr.write('usage: node server.js <port>\n');
  process.exit(2);
}

const RESERVE_PATH = '/be/tickets/reserve';
const HOOK_PATH = '/_orderproof/provider-states';
const HOOK_ENABLED = process.env.ORDERPROOF_HOOK !== '0'; // disable on production deployments
const MAX_BODY = 1024 * 1024;
const TIMESTAMP_WINDOW_S = 900; // accepted clock skew / age of a signed request
const INT64_MAX = 9223372036854775807n;
const SOURCES = ['desktop', 'mobile', 'android', 'iphone', 'ussd', 'sms', 'telegram'];
const MAX_BETS = 100;

function log(...a) { process.stderr.write(a.join(' ') + '\n'); }

// ---------------------------------------------------------------------------
// JSON parsing that keeps number tokens exact (no double rounding).
// ---------------------------------------------------------------------------
class JNum { constructor(raw) { this.raw = raw; } }
class Raw { constructor(s) { this.s = s; } } // pre-serialised JSON token for output

class JsonError extends Error {}

function parseJson(text) {
  let i = 0;
  const n = text.length;
  const MAX_DEPTH = 64;
  function fail(msg) { throw new JsonError(`${msg} at position ${i}`); }
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
    fail(`unexpected character ${JSON.stringify(c)}`);
  }
  function literal(word, v) {
    if (text.startsWith(word, i)) { i += word.length; return v; }
    fail('invalid literal');
  }
  function number() {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0].length === 0 || m[0] === '-') fail('invalid number');
    if (m[0].length >= 400) fail('number too long');
    i += m[0].length;
    return new JNum(m[0]);
  }
  function string() {
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
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid unicode escape');
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default: fail('invalid escape');
        }
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
    const keys = new Set();
    ws();
    if (text[i] === '}') { i++; return obj; }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('expected a property name');
      const k = string();
      if (keys.has(k)) fail(`duplicate key ${JSON.stringify(k)}`);
      keys.add(k);
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
    for (;;) {
      arr.push(value(depth + 1));
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; return arr; }
      fail("expected ',' or ']'");
    }
  }
  const v = value(0);
  ws();
  if (i !== n) fail('unexpected trailing data');
  return v;
}

function ser(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Raw) return v.s;
  if (v instanceof JNum) return v.raw;
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'number': return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return JSON.stringify(v);
    default: break;
  }
  if (Array.isArray(v)) return '[' + v.map(ser).join(',') + ']';
  return '{' + Object.keys(v).filter((k) => v[k] !== undefined)
    .map((k) => JSON.stringify(k) + ':' + ser(v[k])).join(',') + '}';
}

function isObj(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum);
}
function isIntTok(v) { return v instanceof JNum && /^-?(0|[1-9][0-9]*)$/.test(v.raw); }
function typeName(v) {
  if (v === null) return 'null';
  if (v instanceof JNum) return 'number';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
// Plain JS view of a parsed value (for echoing "input" in error details).
function plain(v) {
  if (v instanceof JNum) return new Raw(v.raw);
  if (Array.isArray(v)) return v.map(plain);
  if (isObj(v)) { const o = {}; for (const k of Object.keys(v)) o[k] = plain(v[k]); return o; }
  return v;
}

// ---------------------------------------------------------------------------
// Exact decimals (strings in major units / percentages)
// ---------------------------------------------------------------------------
const DEC_RE = /^-?[0-9]+(\.[0-9]+)?$/;
// canonical decimal string: no leading zeros in the integer part, fraction kept.
function canonDec(s) {
  if (typeof s !== 'string' || !DEC_RE.test(s)) return null;
  let neg = false;
  if (s[0] === '-') { neg = true; s = s.slice(1); }
  let [ip, fp] = s.split('.');
  ip = ip.replace(/^0+(?=[0-9])/, '');
  const out = fp !== undefined ? `${ip}.${fp}` : ip;
  if (neg && /[1-9]/.test(out)) return '-' + out;
  return out;
}
// {int: BigInt, scale: BigInt(10^k)}  value = int / scale
function decParts(s) {
  const neg = s[0] === '-';
  const body = neg ? s.slice(1) : s;
  const [ip, fp = ''] = body.split('.');
  let int = BigInt(ip + fp);
  if (neg) int = -int;
  return { int, scale: 10n ** BigInt(fp.length) };
}
function decCmp(a, b) { // compare two canonical decimal strings
  const pa = decParts(a); const pb = decParts(b);
  const l = pa.int * pb.scale; const r = pb.int * pa.scale;
  return l < r ? -1 : l > r ? 1 : 0;
}
function withMinFraction(s, k) {
  const [ip, fp = ''] = s.split('.');
  return fp.length >= k ? s : `${ip}.${fp.padEnd(k, '0')}`;
}
// Accept a Decimal param: a decimal string, or a JSON number written without exponent.
function paramDec(v) {
  if (typeof v === 'string') return canonDec(v);
  if (v instanceof JNum) return canonDec(v.raw);
  return null;
}

// ---------------------------------------------------------------------------
// In-memory state
// ---------------------------------------------------------------------------
const operators = new Map();    // name -> operator
const players = new Map();      // userId -> player
const tokens = new Map();       // token -> userId
const events = new Map();       // event id (decimal string) -> event
const bets = new Map();         // bet id (decimal string) -> {event, market, selection}
const betcards = new Map();     // code -> betcard
const ticketCodes = new Set();  // every ticket code issued
const tickets = new Map();      // ticket id -> ticket
const API_KEY = 'key-' + crypto.randomBytes(16).toString('hex');
let nextEventId = 100001n;
let nextMarketId = 5001n;
let nextBetId = 101n;
let nextMember = 70001;

function rid(bytes) { return crypto.randomBytes(bytes).toString('hex'); }

function makeOperator(name, p) {
  const op = {
    name,
    secret: p.secret !== undefined ? p.secret : 'sec-' + rid(16),
    timezone_offset: p.timezone_offset !== undefined ? p.timezone_offset : '+02:00',
    webhook_url: p.webhook_url !== undefined ? p.webhook_url : 'http://127.0.0.1/webhook',
    ext: p.ext !== undefined ? p.ext : '12.5',
    wht: p.wht !== undefined ? p.wht : '20.0',
  };
  operators.set(name, op);
  return op;
}
function operatorAnswer(op) {
  return {
    name: op.name, secret: op.secret, timezone_offset: op.timezone_offset,
    webhook_url: op.webhook_url, ext: op.ext, wht: op.wht,
  };
}
function offsetMinutes(tz) {
  const m = /^([+-])([0-9]{2}):([0-9]{2})$/.exec(tz);
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

// Optional fixture operator for a target file's `auth: {operator, secret}`.
if (process.env.TICKET_SECRET) {
  makeOperator(process.env.TICKET_OPERATOR || 'site', { secret: process.env.TICKET_SECRET });
}

// ---------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------
function send(res, status, body, extraHeaders) {
  const text = body === undefined ? '' : ser(body);
  const headers = Object.assign({
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  }, extraHeaders || {});
  res.writeHead(status, headers);
  res.end(text);
}
function err400(res, code, message) { send(res, 400, { code, message }); }
function err403(res, why) {
  if (why) log('403:', why);
  send(res, 403, { detail: 'Forbidden. You do not have access for such request' });
}
function err422(res, details) { send(res, 422, { detail: details }); }
function detail(loc, msg, type, input) {
  const d = { type, loc: ['body'].concat(loc), msg };
  if (input !== undefined) d.input = plain(input);
  return d;
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c) => {
      if (tooBig) return;
      size += c.length;
      if (size > MAX_BODY) { tooBig = true; chunks.length = 0; return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}

// Decode a body as strict UTF-8 and parse it as JSON. Returns {value} or {error}.
function decodeJson(buf) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (e) {
    return { error: 'body is not valid UTF-8' };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { error: 'body is empty' };
  try {
    return { value: parseJson(text) };
  } catch (e) {
    if (e instanceof JsonError) return { error: 'JSON decode error: ' + e.message };
    throw e;
  }
}

function isJsonContentType(ct) {
  if (ct === undefined || ct === '') return true; // absent: treat as JSON
  const mt = String(ct).split(';')[0].trim().toLowerCase();
  return mt === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(mt) ||
    mt === 'text/json';
}

function fmtTime(ms) {
  // YYYY-MM-DDTHH:MM:SS.ffffff (no zone); JS clocks have millisecond precision.
  return new Date(ms).toISOString().replace('Z', '') + '000';
}

// ---------------------------------------------------------------------------
// Signature check: hex HMAC-SHA256(secret, timestamp + body with spaces removed)
// ---------------------------------------------------------------------------
function stripBytes(buf, set) {
  const out = Buffer.allocUnsafe(buf.length);
  let j = 0;
  for (let k = 0; k < buf.length; k++) { if (!set.has(buf[k])) out[j++] = buf[k]; }
  return out.subarray(0, j);
}
const SPACE = new Set([0x20]);
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
function hmacHex(secret, ts, body) {
  return crypto.createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(ts, 'utf8')).update(body).digest();
}
function signatureOk(secret, ts, body, sigHex) {
  if (typeof sigHex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sigHex)) return false;
  const given = Buffer.from(sigHex, 'hex');
  const candidates = [stripBytes(body, SPACE), stripBytes(body, WHITESPACE)];
  let ok = false;
  for (const c of candidates) {
    const exp = hmacHex(secret, ts, c);
    if (crypto.timingSafeEqual(exp, given)) ok = true;
  }
  return ok;
}
function timestampOk(ts) {
  if (typeof ts !== 'string' || !/^[0-9]{1,16}(\.[0-9]{1,9})?$/.test(ts)) return false;
  let t = Number(ts);
  if (t > 1e11) t = t / 1000; // milliseconds given
  return Math.abs(Date.now() / 1000 - t) <= TIMESTAMP_WINDOW_S;
}

// ---------------------------------------------------------------------------
// POST /be/tickets/reserve
// ---------------------------------------------------------------------------
function validateReserve(b) {
  const errs = [];
  const reqStr = (k, maxLen) => {
    if (!(k in b)) { errs.push(detail([k], 'Field required', 'missing')); return; }
    const v = b[k];
    if (typeof v !== 'string') { errs.push(detail([k], 'Input should be a valid string', 'string_type', v)); return; }
    if (v.length === 0) { errs.push(detail([k], 'String should have at least 1 character', 'string_too_short', v)); return; }
    if (v.length > maxLen) errs.push(detail([k], `String should have at most ${maxLen} characters`, 'string_too_long', v));
  };
  const reqInt = (loc, v, min) => {
    if (!isIntTok(v)) {
      errs.push(detail(loc, 'Input should be a valid integer', 'int_type', v));
      return null;
    }
    const x = BigInt(v.raw);
    if (x < min) { errs.push(detail(loc, `Input should be greater than or equal to ${min}`, 'greater_than_equal', v)); return null; }
    if (x > INT64_MAX) { errs.push(detail(loc, `Input should be less than or equal to ${INT64_MAX}`, 'less_than_equal', v)); return null; }
    return x;
  };

  reqStr('operator', 255);
  reqStr('token', 1024);
  reqStr('currency', 3);
  reqStr('source', 32);
  reqStr('type', 32);
  if (typeof b.currency === 'string' && b.currency.length > 0 && !/^[A-Z]{3}$/.test(b.currency)) {
    errs.push(detail(['currency'], 'String should match pattern \'^[A-Z]{3}$\'', 'string_pattern_mismatch', b.currency));
  }
  if (typeof b.source === 'string' && b.source.length > 0 && b.source.length <= 32 && !SOURCES.includes(b.source)) {
    errs.push(detail(['source'], `Input should be ${SOURCES.map((s) => `'${s}'`).join(', ')}`, 'enum', b.source));
  }
  if (typeof b.type === 'string' && b.type.length > 0 && b.type.length <= 32 && b.type !== 'superbet') {
    errs.push(detail(['type'], "Input should be 'superbet'", 'literal_error', b.type));
  }
  if ('atag' in b && b.atag !== null) {
    if (typeof b.atag !== 'string') errs.push(detail(['atag'], 'Input should be a valid string', 'string_type', b.atag));
    else if (b.atag.length > 255) errs.push(detail(['atag'], 'String should have at most 255 characters', 'string_too_long', b.atag));
  }
  let price = null;
  if (!('price' in b)) errs.push(detail(['price'], 'Field required', 'missing'));
  else price = reqInt(['price'], b.price, 1n);
  let event = null;
  if (!('event' in b)) errs.push(detail(['event'], 'Field required', 'missing'));
  else event = reqInt(['event'], b.event, 1n);
  let betIds = null;
  if (!('bets' in b)) errs.push(detail(['bets'], 'Field required', 'missing'));
  else if (!Array.isArray(b.bets)) errs.push(detail(['bets'], 'Input should be a valid list', 'list_type', b.bets));
  else if (b.bets.length === 0) errs.push(detail(['bets'], 'List should have at least 1 item after validation, not 0', 'too_short', b.bets));
  else if (b.bets.length > MAX_BETS) errs.push(detail(['bets'], `List should have at most ${MAX_BETS} items after validation, not ${b.bets.length}`, 'too_long', b.bets));
  else {
    betIds = [];
    const seen = new Set();
    b.bets.forEach((v, idx) => {
      const x = reqInt(['bets', idx], v, 1n);
      if (x === null) { betIds = betIds && null; return; }
      if (seen.has(x)) errs.push(detail(['bets', idx], `Duplicate bet id ${x}`, 'value_error', v));
      seen.add(x);
      if (betIds) betIds.push(x);
    });
  }
  return { errs, price, event, betIds };
}

async function handleReserve(req, res) {
  const buf = await readBody(req);
  if (buf === null) return send(res, 413, { detail: 'Request body too large' });

  // --- authentication: headers timestamp, operator-name, signature ---
  const hName = req.headers['operator-name'];
  const hTs = req.headers['timestamp'];
  const hSig = req.headers['signature'];
  if (typeof hName !== 'string' || hName === '') return err403(res, 'missing operator-name header');
  const op = operators.get(hName);
  if (!op) return err400(res, 112, `Operator with \`${hName}\` name is not found`);
  if (typeof hTs !== 'string' || hTs === '' || typeof hSig !== 'string' || hSig === '') {
    return err403(res, 'missing timestamp or signature header');
  }
  if (!timestampOk(hTs)) return err403(res, 'timestamp missing, malformed or outside the window');
  if (!signatureOk(op.secret, hTs, buf, hSig)) return err403(res, 'bad signature');

  // --- body ---
  if (!isJsonContentType(req.headers['content-type'])) {
    return err422(res, [{ type: 'content_type', loc: ['body'], msg: 'Content-Type must be application/json' }]);
  }
  const parsed = decodeJson(buf);
  if (parsed.error) return err422(res, [{ type: 'json_invalid', loc: ['body'], msg: parsed.error }]);
  const b = parsed.value;
  if (!isObj(b)) {
    return err422(res, [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object', input: plain(b) }]);
  }
  const v = validateReserve(b);
  if (v.errs.length) return err422(res, v.errs);

  // --- business rules (400 errors of the seed, in the order they are checked) ---
  if (b.operator !== hName) {
    return err400(res, 115, 'Operators in request body and in request header are not identical');
  }
  if (op.webhook_url === null || op.webhook_url === '') {
    return err400(res, 114, `No webhook url for operator with \`${op.name}\` name`);
  }
  const userId = tokens.get(b.token);
  const player = userId !== undefined ? players.get(userId) : undefined;
  if (!player || player.operator !== op.name) return err403(res, 'unknown token for this operator');
  if (player.blocked) return err403(res, 'player is blocked');
  if (b.currency !== player.currency) {
    return err422(res, [detail(['currency'], `Currency must be the player's currency (${player.currency})`, 'value_error', b.currency)]);
  }
  const ev = events.get(v.event.toString());
  if (!ev) return err400(res, 103, `Event with \`${v.event}\` identifier is not found`);
  if (ev.started) return err400(res, 107, `Event with \`${v.event}\` identifier is not available for play because it has already started`);
  const legs = [];
  for (const id of v.betIds) {
    const ref = bets.get(id.toString());
    if (!ref || ref.event !== ev) return err400(res, 106, `Market for bet with \`${id}\` identifier is not found`);
    legs.push(ref);
  }
  for (const leg of legs) {
    if (!leg.market.allowed) return err400(res, 116, `Market with \`${leg.market.code}\` code is not allowed`);
  }

  // --- ticket code generation (unique 6-hex-digit code) ---
  let code = null;
  for (let k = 0; k < 8 && code === null; k++) {
    const c = crypto.randomBytes(3).toString('hex').toUpperCase();
    if (!ticketCodes.has(c)) code = c;
  }
  if (code === null) return err400(res, 111, 'Duplicate key for code generation');

  // --- money (exact, integer cents): stake = round(price / (1 + ext/100)), half up ---
  const price = v.price;
  const e = decParts(op.ext);
  const num = price * 100n * e.scale;
  const den = 100n * e.scale + e.int;
  let stake = num / den;
  if ((num % den) * 2n >= den) stake += 1n;
  const extAmount = price - stake;

  const nowMs = Date.now();
  const offMs = offsetMinutes(op.timezone_offset) * 60000;
  let id;
  do {
    id = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8) + rid(8);
  } while (tickets.has(id));
  const created = fmtTime(nowMs);
  const opCreated = fmtTime(nowMs + offMs);
  const ticket = {
    id,
    code,
    price,
    stake,
    gross_payout: 0n,
    net_payout: 0n,
    wht_amount: 0n,
    wht: new Raw(withMinFraction(op.wht, 1)),
    ext_amount: extAmount,
    ext: new Raw(withMinFraction(op.ext, 1)),
    ext_type: 'inclusive',
    currency: b.currency,
    status: 'reserved',
    result: 'pending',
    approved: true,
    source: b.source,
    type: b.type,
    atag: typeof b.atag === 'string' ? b.atag : null,
    user_id: player.userId,
    created,
    operator_time_created: opCreated,
    updated: created,
    operator_time_updated: opCreated,
  };
  // commit (nothing above this point stored anything)
  ticketCodes.add(code);
  tickets.set(id, { ticket, event: v.event, bets: v.betIds, operator: op.name });
  player.tickets.push(id);
  log(`reserved ticket ${id} code ${code} for ${player.userId} price ${price}`);
  return send(res, 200, ticket);
}

// ---------------------------------------------------------------------------
// POST /_orderproof/provider-states
// ---------------------------------------------------------------------------
class HookError extends Error {}
function hookFail(msg) { throw new HookError(msg); }

function checkParams(params, allowed, state) {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) {
      hookFail(`unknown param '${k}' for state '${state}'; accepted: ${allowed.join(', ')}`);
    }
  }
}
function pStr(params, k, { nullable = false } = {}) {
  if (!(k in params)) return undefined;
  const v = params[k];
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || v === '') hookFail(`param '${k}' must be a non-empty string${nullable ? ' or null' : ''}`);
  return v;
}
function pBool(params, k, def) {
  if (!(k in params)) return def;
  if (typeof params[k] !== 'boolean') hookFail(`param '${k}' must be a boolean`);
  return params[k];
}
function pDec(params, k, { min = '0', max } = {}) {
  if (!(k in params)) return undefined;
  const d = paramDec(params[k]);
  if (d === null) hookFail(`param '${k}' must be a decimal string like "10.00" or a plain number`);
  if (decCmp(d, min) < 0) hookFail(`param '${k}' must be >= ${min}`);
  if (max !== undefined && decCmp(d, max) > 0) hookFail(`param '${k}' must be <= ${max}`);
  return d;
}
function pInt(params, k, def, min, max) {
  if (!(k in params)) return def;
  const v = params[k];
  if (!isIntTok(v)) hookFail(`param '${k}' must be an integer`);
  const x = BigInt(v.raw);
  if (x < BigInt(min) || x > BigInt(max)) hookFail(`param '${k}' must be between ${min} and ${max}`);
  return x;
}

function stateOperator(params) {
  checkParams(params, ['name', 'secret', 'timezone_offset', 'webhook_url', 'ext', 'wht'], 'an operator exists');
  const p = {};
  const name = pStr(params, 'name');
  p.secret = pStr(params, 'secret');
  p.timezone_offset = pStr(params, 'timezone_offset');
  if (p.timezone_offset !== undefined) {
    const m = /^[+-]([0-9]{2}):([0-9]{2})$/.exec(p.timezone_offset);
    if (!m || Number(m[1]) > 14 || Number(m[2]) > 59) hookFail("param 'timezone_offset' must look like '+02:00'");
  }
  p.webhook_url = pStr(params, 'webhook_url', { nullable: true });
  p.ext = pDec(params, 'ext', { max: '1000' });
  p.wht = pDec(params, 'wht', { max: '100' });
  let opName = name;
  if (opName === undefined) { do { opName = 'op-' + rid(3); } while (operators.has(opName)); }
  return operatorAnswer(makeOperator(opName, p));
}

function statePlayer(params) {
  checkParams(params, ['balance', 'currency', 'blocked', 'min_stake', 'max_stake', 'session_expired',
    'session_expired_seconds_ago', 'operator'], 'a player exists');
  const balance = pDec(params, 'balance') ?? '1000.00';
  const currency = pStr(params, 'currency') ?? 'EUR';
  if (!/^[A-Z]{3}$/.test(currency)) hookFail("param 'currency' must be an ISO 4217 code like 'EUR'");
  const blocked = pBool(params, 'blocked', false);
  const minStake = pDec(params, 'min_stake') ?? '0.10';
  const maxStake = pDec(params, 'max_stake') ?? '500.00';
  if (decCmp(minStake, maxStake) > 0) hookFail("param 'min_stake' must not exceed 'max_stake'");
  const sessionExpired = pBool(params, 'session_expired', false);
  const expiredAgo = pInt(params, 'session_expired_seconds_ago', 60n, 1, 31536000);
  let opName = pStr(params, 'operator');
  let op;
  if (opName === undefined) {
    do { opName = 'op-' + rid(3); } while (operators.has(opName));
    op = makeOperator(opName, {});
  } else {
    op = operators.get(opName) || makeOperator(opName, {});
  }
  let userId;
  do { userId = 'user-' + rid(4); } while (players.has(userId));
  const player = {
    userId,
    sessionToken: 'sess-' + rid(16),
    token: 'tok-' + rid(16),
    customerToken: 'cust-' + rid(16),
    memberid: String(nextMember++),
    balance: withMinFraction(balance, 2),
    currency,
    blocked,
    min_stake: withMinFraction(minStake, 2),
    max_stake: withMinFraction(maxStake, 2),
    session_expires_at: sessionExpired ? Date.now() - Number(expiredAgo) * 1000 : null,
    operator: op.name,
    tickets: [],
  };
  players.set(userId, player);
  tokens.set(player.token, userId);
  return {
    userId, sessionToken: player.sessionToken, token: player.token,
    customerToken: player.customerToken, memberid: player.memberid,
    balance: player.balance, currency, blocked,
    min_stake: player.min_stake, max_stake: player.max_stake,
    apiKey: API_KEY, operator: operatorAnswer(op),
  };
}

function createEvent(params) {
  checkParams(params, ['started', 'markets'], 'an event exists');
  const started = pBool(params, 'started', false);
  let marketsP = [{ code: '1X2', allowed: true, prices: ['1.85', '3.40', '4.20'] }];
  if ('markets' in params) {
    const m = params.markets;
    if (!Array.isArray(m) || m.length === 0) hookFail("param 'markets' must be a non-empty array");
    marketsP = m.map((mk, idx) => {
      if (!isObj(mk)) hookFail(`markets[${idx}] must be an object`);
      for (const k of Object.keys(mk)) {
        if (!['code', 'allowed', 'prices'].includes(k)) hookFail(`unknown param 'markets[${idx}].${k}'; accepted: code, allowed, prices`);
      }
      if (typeof mk.code !== 'string' || mk.code === '') hookFail(`markets[${idx}].code must be a non-empty string`);
      const allowed = pBool(mk, 'allowed', true);
      let prices = ['1.85', '3.40', '4.20'];
      if ('prices' in mk) {
        if (!Array.isArray(mk.prices) || mk.prices.length === 0) hookFail(`markets[${idx}].prices must be a non-empty array`);
        prices = mk.prices.map((p, j) => {
          const d = paramDec(p);
          if (d === null || decCmp(d, '0') <= 0) hookFail(`markets[${idx}].prices[${j}] must be a positive decimal`);
          return d;
        });
      }
      return { code: mk.code, allowed, prices };
    });
  }
  const eventId = nextEventId++;
  const ev = { event_id: eventId, name: `Home ${eventId} v Away ${eventId}`, started, markets: [] };
  for (const mp of marketsP) {
    const market = { market_id: nextMarketId++, code: mp.code, allowed: mp.allowed, selections: [] };
    const names = mp.code === '1X2' && mp.prices.length === 3 ? ['1', 'X', '2'] : null;
    mp.prices.forEach((pr, j) => {
      const sel = { bet_id: nextBetId++, name: names ? names[j] : String(j + 1), decimal_price: pr };
      market.selections.push(sel);
      bets.set(sel.bet_id.toString(), { event: ev, market, selection: sel });
    });
    ev.markets.push(market);
  }
  events.set(eventId.toString(), ev);
  return ev;
}
function eventAnswer(ev) {
  return {
    event_id: ev.event_id, name: ev.name, started: ev.started,
    markets: ev.markets.map((m) => ({
      market_id: m.market_id, code: m.code, allowed: m.allowed,
      selections: m.selections.map((s) => ({ bet_id: s.bet_id, name: s.name, decimal_price: s.decimal_price })),
    })),
  };
}

function stateBetcard(params) {
  checkParams(params, ['events', 'prize', 'bonus_prizes'], 'a jackpot betcard exists');
  const count = pInt(params, 'events', 3n, 1, 50);
  const prize = pInt(params, 'prize', 1000000n, 0, INT64_MAX);
  let bonus = [10000n, 5000n];
  if ('bonus_prizes' in params) {
    if (!Array.isArray(params.bonus_prizes)) hookFail("param 'bonus_prizes' must be an array of integers (cents)");
    bonus = params.bonus_prizes.map((x, j) => {
      if (!isIntTok(x) || BigInt(x.raw) < 0n || BigInt(x.raw) > INT64_MAX) hookFail(`bonus_prizes[${j}] must be a non-negative integer`);
      return BigInt(x.raw);
    });
  }
  const evs = [];
  for (let k = 0n; k < count; k++) evs.push(createEvent({}));
  let code;
  do { code = 'JP-' + rid(2); } while (betcards.has(code));
  const card = { betcard_code: code, prize, bonus_prizes: bonus, events: evs };
  betcards.set(code, card);
  return { betcard_code: code, prize, bonus_prizes: bonus, events: evs.map(eventAnswer) };
}

function stateSnapshot(params) {
  checkParams(params, ['userId'], 'a player snapshot');
  const userId = pStr(params, 'userId');
  if (userId === undefined) hookFail("param 'userId' is required for state 'a player snapshot'");
  const p = players.get(userId);
  if (!p) hookFail(`no player with userId '${userId}'`);
  return {
    userId: p.userId,
    balance: p.balance,
    currency: p.currency,
    bets: [],
    orders: [],
    tickets: p.tickets.map((id) => {
      const t = tickets.get(id).ticket;
      const rec = tickets.get(id);
      return {
        id: t.id, code: t.code, type: t.type, price: t.price, stake: t.stake,
        ext_amount: t.ext_amount, gross_payout: t.gross_payout, net_payout: t.net_payout,
        wht_amount: t.wht_amount, status: t.status, result: t.result, currency: t.currency,
        event: rec.event, bets: rec.bets, atag: t.atag, created: t.created,
      };
    }),
    travel_orders: [],
    ledger: [],
  };
}

async function handleHook(req, res) {
  const buf = await readBody(req);
  if (buf === null) return send(res, 413, { error: 'request body too large' });
  const parsed = decodeJson(buf);
  if (parsed.error) return send(res, 400, { error: parsed.error });
  const body = parsed.value;
  const STATES = ['an operator exists', 'a player exists', 'an event exists', 'a jackpot betcard exists', 'a player snapshot'];
  try {
    if (!isObj(body)) hookFail('body must be a JSON object {state, params, action}');
    for (const k of Object.keys(body)) {
      if (!['state', 'params', 'action'].includes(k)) hookFail(`unknown field '${k}'; accepted: state, params, action`);
    }
    const state = body.state;
    if (typeof state !== 'string') hookFail(`'state' is required; accepted: ${STATES.join(', ')}`);
    if (!STATES.includes(state)) hookFail(`unknown provider state '${state}'; accepted: ${STATES.join(', ')}`);
    const action = body.action === undefined ? 'setup' : body.action;
    if (action !== 'setup' && action !== 'teardown') hookFail(`unknown action '${typeof action === 'string' ? action : ser(plain(action))}'; accepted: setup, teardown`);
    const params = body.params === undefined || body.params === null ? Object.create(null) : body.params;
    if (!isObj(params)) hookFail("'params' must be an object");

    if (action === 'teardown') {
      if (state === 'an operator exists' && typeof params.name === 'string' && operators.has(params.name)) {
        operators.delete(params.name);
      }
      return send(res, 200, {});
    }
    let answer;
    switch (state) {
      case 'an operator exists': answer = stateOperator(params); break;
      case 'a player exists': answer = statePlayer(params); break;
      case 'an event exists': answer = eventAnswer(createEvent(params)); break;
      case 'a jackpot betcard exists': answer = stateBetcard(params); break;
      default: answer = stateSnapshot(params); break;
    }
    return send(res, 200, answer);
  } catch (e) {
    if (e instanceof HookError) return send(res, 400, { error: e.message });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------
const server = http.createServer(async (req, res) => {
  try {
    let pathname;
    try {
      pathname = new URL(req.url, 'http://localhost').pathname;
    } catch (e) {
      return send(res, 400, { detail: 'Bad request target' });
    }
    if (pathname === RESERVE_PATH) {
      if (req.method !== 'POST') return send(res, 405, { detail: 'Method Not Allowed' }, { Allow: 'POST' });
      return await handleReserve(req, res);
    }
    if (pathname === HOOK_PATH && HOOK_ENABLED) {
      if (req.method !== 'POST') return send(res, 405, { error: 'Method Not Allowed' }, { Allow: 'POST' });
      return await handleHook(req, res);
    }
    req.resume();
    return send(res, 404, { detail: 'Not Found' });
  } catch (e) {
    log('internal error:', e && e.stack ? e.stack : String(e));
    if (!res.headersSent) send(res, 500, { detail: 'Internal Server Error' });
    else res.destroy();
  }
});
server.on('clientError', (e, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  else socket.destroy();
});
server.listen(PORT, '127.0.0.1', () => log(`superbet-reserve listening on 127.0.0.1:${PORT}`));
