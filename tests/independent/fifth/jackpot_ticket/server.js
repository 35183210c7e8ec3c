'use strict';
// jackpot-ticket: POST /be/tickets (ticket engine, jackpot type) + test hook
// POST /_orderproof/provider-states. Node.js 20, built-in modules only, state in memory.
// Decisions on the seed's open points: see DECISIONS.md next to this file.

const http = require('http');
const crypto = require('crypto');

const PORT = parseInt(process.argv[2], 10);
if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  process.stderr.write('usage: node server.js <port>\n');
  process.exit(2);
}
const HOOK_ENABLED = !/^(0|off|false|no)$/i.test(process.env.ORDERPROOF_HOOK || 'on');
const MAX_BODY = 1024 * 1024;           // bytes
const TS_WINDOW_S = 900;                // accepted clock skew of the `timestamp` header
const INT64_MAX = 9223372036854775807n;
const SOURCES = ['desktop', 'mobile', 'android', 'iphone', 'ussd', 'sms', 'telegram'];

function log(...a) { process.stderr.write(a.join(' ') + '\n'); }

// ---------------------------------------------------------------------------------------------
// JSON parsing that keeps number lexemes (money and big ids must stay exact)
// ---------------------------------------------------------------------------------------------
class JNum { constructor(raw) { this.raw = raw; } }
class RawJSON { constructor(text) { this.text = text; } }   // pre-serialised number for output

class ParseError extends Error { constructor(msg, pos) { super(msg); this.pos = pos; } }

function parseJSON(text) {
  let i = 0;
  const n = text.length;
  let depth = 0;
  const NUM_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const fail = (m) => { throw new ParseError(m, i); };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++; else break;
    }
  };
  function value() {
    ws();
    if (i >= n) fail('Unexpected end of JSON input');
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUM_RE.lastIndex = i;
      const m = NUM_RE.exec(text);
      if (!m) fail('Invalid number');
      i += m[0].length;
      return new JNum(m[0]);
    }
    fail('Unexpected character');
  }
  function literal(word, v) {
    if (text.startsWith(word, i)) { i += word.length; return v; }
    fail('Invalid literal');
  }
  function string() {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('Unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) fail('Invalid control character in string');
      if (c === 92) {
        out += text.slice(start, i);
        i++;
        if (i >= n) fail('Unterminated string');
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
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('Invalid unicode escape');
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default: fail('Invalid escape');
        }
        i++;
        start = i;
        continue;
      }
      i++;
    }
  }
  function object() {
    if (++depth > 64) fail('Nesting too deep');
    i++;
    const o = Object.create(null);
    ws();
    if (text[i] === '}') { i++; depth--; return o; }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('Expected property name');
      const k = string();
      ws();
      if (text[i] !== ':') fail("Expected ':'");
      i++;
      o[k] = value();
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === '}') { i++; depth--; return o; }
      fail("Expected ',' or '}'");
    }
  }
  function array() {
    if (++depth > 64) fail('Nesting too deep');
    i++;
    const a = [];
    ws();
    if (text[i] === ']') { i++; depth--; return a; }
    for (;;) {
      a.push(value());
      ws();
      if (text[i] === ',') { i++; continue; }
      if (text[i] === ']') { i++; depth--; return a; }
      fail("Expected ',' or ']'");
    }
  }
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const v = value();
  ws();
  if (i < n) fail('Unexpected data after JSON value');
  return v;
}

function serialize(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof RawJSON) return v.text;
  if (v instanceof JNum) return v.raw;
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'number': return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return JSON.stringify(v);
    default: break;
  }
  if (Array.isArray(v)) return '[' + v.map(serialize).join(',') + ']';
  const parts = [];
  for (const k of Object.keys(v)) {
    if (v[k] === undefined) continue;
    parts.push(JSON.stringify(k) + ':' + serialize(v[k]));
  }
  return '{' + parts.join(',') + '}';
}

// plain JS view of a parsed value (only for echoing `input` in validation errors)
function plain(v) {
  if (v instanceof JNum) {
    if (/^-?[0-9]+$/.test(v.raw) && !Number.isSafeInteger(Number(v.raw))) return new RawJSON(v.raw);
    return Number(v.raw);
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') { const o = {}; for (const k of Object.keys(v)) o[k] = plain(v[k]); return o; }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: value = m / 10^s (m BigInt, s >= 0)
// ---------------------------------------------------------------------------------------------
const P10 = (k) => 10n ** BigInt(k);

function decFromLexeme(raw) {
  const m = /^(-)?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(raw);
  if (!m) return null;
  const frac = m[3] || '';
  const exp = m[4] ? parseInt(m[4], 10) : 0;
  if (!Number.isFinite(exp) || Math.abs(exp) > 300) return null;
  let mant = BigInt(m[2] + frac);
  let s = frac.length - exp;
  if (s < 0) { mant *= P10(-s); s = 0; }
  if (m[1]) mant = -mant;
  return decNorm({ m: mant, s });
}
function decNorm(d) {
  let { m, s } = d;
  while (s > 0 && m % 10n === 0n) { m /= 10n; s--; }
  return { m, s };
}
function decAlign(a, b) {
  const s = Math.max(a.s, b.s);
  return [a.m * P10(s - a.s), b.m * P10(s - b.s), s];
}
function decCmp(a, b) { const [x, y] = decAlign(a, b); return x < y ? -1 : x > y ? 1 : 0; }
function decSub(a, b) { const [x, y, s] = decAlign(a, b); return decNorm({ m: x - y, s }); }
function decAbs(a) { return { m: a.m < 0n ? -a.m : a.m, s: a.s }; }
function decMul(a, b) { return decNorm({ m: a.m * b.m, s: a.s + b.s }); }
function decIsInt(a) { return a.s === 0; }
function decToString(a, minDec) {
  // minDec: minimum number of fraction digits (pads with zeros); never rounds
  const neg = a.m < 0n;
  let digits = (neg ? -a.m : a.m).toString();
  let s = a.s;
  if (s < minDec) { digits += '0'.repeat(minDec - s); s = minDec; }
  if (s === 0) return (neg ? '-' : '') + digits;
  digits = digits.padStart(s + 1, '0');
  return (neg ? '-' : '') + digits.slice(0, digits.length - s) + '.' + digits.slice(digits.length - s);
}
// round-half-up of num/den for num >= 0, den > 0
function divRound(num, den) { return (2n * num + den) / (2n * den); }

function centsToMajor(c) { return decToString({ m: c, s: 2 }, 2); }

// ---------------------------------------------------------------------------------------------
// In-memory state
// ---------------------------------------------------------------------------------------------
const operators = new Map();   // name -> operator
const players = new Map();     // userId -> player
const tokens = new Map();      // token -> userId
const events = new Map();      // event id (decimal string) -> event
const bets = new Map();        // bet id (decimal string) -> { event, market, selection }
const betcards = new Map();    // code -> betcard
const tickets = new Map();     // ticket id -> ticket
const ticketCodes = new Set();
const replays = new Map();     // operator|timestamp|signature -> { at, status, body }

let nextEventId = 100001n;
let nextMarketId = 5001n;
let nextBetId = 101n;
let ledgerSeq = 0;
let oidCounter = crypto.randomBytes(3).readUIntBE(0, 3);
const oidProcess = crypto.randomBytes(5);

function rid(n) { return crypto.randomBytes(n).toString('hex'); }

function newTicketId() {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0, 0);
  oidProcess.copy(b, 4);
  oidCounter = (oidCounter + 1) % 0x1000000;
  b.writeUIntBE(oidCounter, 9, 3);
  return b.toString('hex');
}
function newTicketCode() {
  for (;;) {
    const c = crypto.randomBytes(3).toString('hex').toUpperCase();
    if (!ticketCodes.has(c)) { ticketCodes.add(c); return c; }
  }
}

function offsetMinutes(off) {
  const m = /^([+-])([0-9]{2}):([0-9]{2})$/.exec(off);
  if (!m) return 0;
  const v = parseInt(m[2], 10) * 60 + parseInt(m[3], 10);
  return m[1] === '-' ? -v : v;
}
function fmtTime(ms, offMin) {
  // YYYY-MM-DDTHH:MM:SS.ffffff, no zone designator
  return new Date(ms + offMin * 60000).toISOString().slice(0, 23) + '000';
}
function floatText(d) { return decToString(d, 1); }

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------
function send(res, status, obj, extraHeaders) {
  const body = serialize(obj);
  res.writeHead(status, Object.assign({
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  }, extraHeaders || {}));
  res.end(body);
}
function sendRaw(res, status, body) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
const bizError = (code, message) => ({ status: 400, body: { code, message } });

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { tooBig = true; return; }
      if (!tooBig) chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? { tooBig: true } : { buf: Buffer.concat(chunks) }));
    req.on('error', () => resolve({ error: true }));
  });
}
const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(buf) { try { return utf8.decode(buf); } catch (e) { return null; } }

function isJsonContentType(ct) {
  if (!ct) return true; // absent: treat as JSON
  const base = ct.split(';')[0].trim().toLowerCase();
  return base === 'application/json' || base === 'text/json' || /^application\/[a-z0-9.+-]*\+json$/.test(base);
}

// ---------------------------------------------------------------------------------------------
// Validation (422) helpers, in the shape {"detail":[{type, loc, msg, input}]}
// ---------------------------------------------------------------------------------------------
function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum); }

class V {
  constructor() { this.errors = []; }
  add(loc, type, msg, input) {
    const e = { type, loc: ['body'].concat(loc), msg };
    if (input !== undefined) e.input = plain(input);
    this.errors.push(e);
  }
  // returns undefined when invalid (error recorded)
  str(o, k, loc, { required = true, nullable = false, minLen = 0, maxLen = 256 } = {}) {
    if (!has(o, k)) { if (required) this.add(loc, 'missing', 'Field required'); return undefined; }
    const v = o[k];
    if (v === null && nullable) return null;
    if (typeof v !== 'string') { this.add(loc, 'string_type', 'Input should be a valid string', v); return undefined; }
    if (v.length < minLen) { this.add(loc, 'string_too_short', `String should have at least ${minLen} character${minLen === 1 ? '' : 's'}`, v); return undefined; }
    if (v.length > maxLen) { this.add(loc, 'string_too_long', `String should have at most ${maxLen} characters`, v); return undefined; }
    return v;
  }
  int(o, k, loc, { required = true, min = null, max = INT64_MAX } = {}) {
    if (!has(o, k)) { if (required) this.add(loc, 'missing', 'Field required'); return undefined; }
    return this.intValue(o[k], loc, { min, max });
  }
  intValue(v, loc, { min = null, max = INT64_MAX } = {}) {
    if (!(v instanceof JNum)) { this.add(loc, 'int_type', 'Input should be a valid integer', v); return undefined; }
    const d = decFromLexeme(v.raw);
    if (!d || !decIsInt(d)) { this.add(loc, 'int_from_float', 'Input should be a valid integer, got a number with a fractional part', v); return undefined; }
    if (min !== null && d.m < min) { this.add(loc, 'greater_than_equal', `Input should be greater than or equal to ${min}`, v); return undefined; }
    if (max !== null && d.m > max) { this.add(loc, 'less_than_equal', `Input should be less than or equal to ${max}`, v); return undefined; }
    return d.m;
  }
  num(o, k, loc, { required = true, min = null, gt = null } = {}) {
    if (!has(o, k)) { if (required) this.add(loc, 'missing', 'Field required'); return undefined; }
    const v = o[k];
    if (!(v instanceof JNum)) { this.add(loc, 'float_type', 'Input should be a valid number', v); return undefined; }
    const d = decFromLexeme(v.raw);
    if (!d) { this.add(loc, 'float_parsing', 'Input should be a finite number', v); return undefined; }
    if (min !== null && decCmp(d, min) < 0) { this.add(loc, 'greater_than_equal', `Input should be greater than or equal to ${decToString(min, 0)}`, v); return undefined; }
    if (gt !== null && decCmp(d, gt) <= 0) { this.add(loc, 'greater_than', `Input should be greater than ${decToString(gt, 0)}`, v); return undefined; }
    return d;
  }
  list(o, k, loc, { required = true, minItems = 0, maxItems = 1000 } = {}) {
    if (!has(o, k)) { if (required) this.add(loc, 'missing', 'Field required'); return undefined; }
    const v = o[k];
    if (!Array.isArray(v)) { this.add(loc, 'list_type', 'Input should be a valid list', v); return undefined; }
    if (v.length < minItems) { this.add(loc, 'too_short', `List should have at least ${minItems} item${minItems === 1 ? '' : 's'} after validation, not ${v.length}`, v); return undefined; }
    if (v.length > maxItems) { this.add(loc, 'too_long', `List should have at most ${maxItems} items after validation, not ${v.length}`, v); return undefined; }
    return v;
  }
}
const ZERO = { m: 0n, s: 0 };

function validateTicket(body) {
  const v = new V();
  if (!isObj(body)) {
    v.errors.push({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object', input: plain(body) });
    return { errors: v.errors };
  }
  const r = {};
  r.operator = v.str(body, 'operator', ['operator'], { minLen: 1 });
  r.token = v.str(body, 'token', ['token'], { minLen: 1, maxLen: 1024 });
  r.price = v.int(body, 'price', ['price'], { min: 1n });
  r.currency = v.str(body, 'currency', ['currency']);
  if (typeof r.currency === 'string' && !/^[A-Z]{3}$/.test(r.currency)) {
    v.add(['currency'], 'string_pattern_mismatch', "String should match pattern '^[A-Z]{3}$'", r.currency);
    r.currency = undefined;
  }
  r.atag = v.str(body, 'atag', ['atag'], { required: false, nullable: true, maxLen: 256 });
  if (!has(body, 'atag')) r.atag = null;
  r.source = v.str(body, 'source', ['source']);
  if (typeof r.source === 'string' && !SOURCES.includes(r.source.toLowerCase())) {
    v.add(['source'], 'enum', `Input should be ${SOURCES.map((s) => `'${s}'`).join(', ')}`, r.source);
    r.source = undefined;
  }
  r.type = v.str(body, 'type', ['type']);
  if (typeof r.type === 'string' && r.type !== 'jackpot') {
    v.add(['type'], 'literal_error', "Input should be 'jackpot'", r.type);
    r.type = undefined;
  }
  r.odds_diff = v.num(body, 'odds_diff', ['odds_diff'], { min: ZERO });
  const evs = v.list(body, 'events', ['events'], { minItems: 1, maxItems: 200 });
  if (evs) {
    r.events = [];
    evs.forEach((e, idx) => {
      if (!isObj(e)) { v.add(['events', idx], 'model_attributes_type', 'Input should be a valid dictionary or object', e); return; }
      const id = v.int(e, 'id', ['events', idx, 'id'], { min: null });
      const bet = v.int(e, 'bet', ['events', idx, 'bet'], { min: null });
      const odds = v.num(e, 'odds', ['events', idx, 'odds'], { gt: ZERO });
      r.events.push({ id, bet, odds });
    });
  }
  r.betcard_code = v.str(body, 'betcard_code', ['betcard_code'], { minLen: 1 });
  r.prize = v.int(body, 'prize', ['prize'], { min: 0n });
  const bps = v.list(body, 'bonus_prizes', ['bonus_prizes'], { maxItems: 1000 });
  if (bps) {
    r.bonus_prizes = bps.map((x, idx) => v.intValue(x, ['bonus_prizes', idx], { min: 0n }));
  }
  return v.errors.length ? { errors: v.errors } : { value: r };
}

// ---------------------------------------------------------------------------------------------
// Authentication: timestamp + operator-name + signature (HMAC-SHA256, hex) over
// timestamp || body-with-spaces-removed
// ---------------------------------------------------------------------------------------------
function stripBytes(buf, set) {
  const out = Buffer.allocUnsafe(buf.length);
  let j = 0;
  for (let k = 0; k < buf.length; k++) { const b = buf[k]; if (!set.has(b)) out[j++] = b; }
  return out.subarray(0, j);
}
const SPACE = new Set([0x20]);
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function hmacHex(secret, ts, body) {
  return crypto.createHmac('sha256', secret).update(Buffer.from(ts, 'utf8')).update(body).digest('hex');
}
function safeEqHex(a, b) {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function authenticate(req, buf) {
  const h = req.headers;
  const ts = typeof h.timestamp === 'string' ? h.timestamp.trim() : '';
  const opName = typeof h['operator-name'] === 'string' ? h['operator-name'].trim() : '';
  const sig = typeof h.signature === 'string' ? h.signature.trim().toLowerCase() : '';
  if (!ts || !opName || !sig) return { error: 'Missing authentication headers (timestamp, operator-name, signature)' };
  if (!/^[0-9]{1,12}(\.[0-9]{1,9})?$/.test(ts)) return { error: 'Invalid timestamp header' };
  const skew = Math.abs(Date.now() / 1000 - parseFloat(ts));
  if (!(skew <= TS_WINDOW_S)) return { error: 'Request timestamp is outside the accepted window' };
  const op = operators.get(opName);
  if (!op) return { error: 'Unknown operator' };
  if (!/^[0-9a-f]{64}$/.test(sig)) return { error: 'Invalid signature' };
  const ok = safeEqHex(hmacHex(op.secret, ts, stripBytes(buf, SPACE)), sig) ||
             safeEqHex(hmacHex(op.secret, ts, stripBytes(buf, WHITESPACE)), sig);
  if (!ok) return { error: 'Invalid signature' };
  return { op, ts, sig };
}

function pruneReplays() {
  const limit = Date.now() - 2 * TS_WINDOW_S * 1000;
  for (const [k, r] of replays) { if (r.at < limit) replays.delete(k); else break; }
}

// ---------------------------------------------------------------------------------------------
// POST /be/tickets
// ---------------------------------------------------------------------------------------------
function createTicket(headerOp, r) {
  // Every check runs before anything is stored or debited.
  if (r.operator !== headerOp.name) return bizError(115, 'Operators in request body and in request header are not identical');
  const op = headerOp;
  if (op.webhook_url === null || op.webhook_url === '') return bizError(114, 'Operator PAM webhook URL is not configured');

  const uid = tokens.get(r.token);
  const player = uid !== undefined ? players.get(uid) : undefined;
  if (!player || player.operator !== op.name) return bizError(102, 'Player not found or invalid token');
  if (player.blocked) return bizError(103, 'Player is blocked');
  if (player.currency !== r.currency) return bizError(104, 'Ticket currency does not match player currency');

  // event-level checks first, so that the most specific reason is the one answered
  const resolved = [];
  for (const e of r.events) {
    const ev = events.get(e.id.toString());
    if (!ev) return bizError(108, `Event ${e.id} not found`);
    const b = bets.get(e.bet.toString());
    if (!b || b.event !== ev) return bizError(109, `Bet ${e.bet} not found for event ${e.id}`);
    resolved.push({ req: e, ev, market: b.market, sel: b.selection });
  }
  for (const x of resolved) if (x.ev.started) return bizError(107, `Event ${x.ev.event_id} has already started`);
  for (const x of resolved) if (!x.market.allowed) return bizError(116, `Market ${x.market.code} is not allowed for operator`);

  const card = betcards.get(r.betcard_code);
  if (!card) return bizError(106, 'Betcard not found');
  const seen = new Set();
  for (const x of resolved) {
    if (seen.has(x.ev.key)) return bizError(113, `Duplicate event ${x.ev.key} in ticket`);
    seen.add(x.ev.key);
  }
  if (seen.size !== card.eventIds.length || card.eventIds.some((k) => !seen.has(k))) {
    return bizError(111, 'Ticket events do not match betcard events');
  }
  if (r.prize !== card.prize ||
      r.bonus_prizes.length !== card.bonus_prizes.length ||
      r.bonus_prizes.some((p, k) => p !== card.bonus_prizes[k])) {
    return bizError(112, 'Betcard prizes changed');
  }
  for (const x of resolved) {
    if (decCmp(decAbs(decSub(x.sel.price, x.req.odds)), r.odds_diff) > 0) return bizError(110, 'Ticket odds changed');
  }
  if (player.balance < r.price) return bizError(105, 'Insufficient balance');

  // --- finance (integer cents, exact decimals, half-up rounding) ---
  let odds = { m: 1n, s: 0 };
  for (const x of resolved) odds = decMul(odds, x.sel.price);
  const price = r.price;
  const ext = op.ext;
  const stake = divRound(price * 100n * P10(ext.s), 100n * P10(ext.s) + ext.m);
  const extAmount = price - stake;
  const gross = divRound(stake * odds.m, P10(odds.s));
  const winnings = gross > stake ? gross - stake : 0n;
  const whtAmount = divRound(winnings * op.wht.m, 100n * P10(op.wht.s));
  const net = gross - whtAmount;

  // --- commit ---
  const now = Date.now();
  const offMin = offsetMinutes(op.timezone_offset);
  const id = newTicketId();
  const code = newTicketCode();
  player.balance -= price;
  player.ledger.push({
    entry_id: ++ledgerSeq, amount: '-' + centsToMajor(price), balance_after: centsToMajor(player.balance),
    reason: 'ticket', reference: id,
  });
  const t = {
    id, code, price, stake, currency: r.currency, gross_payout: gross, net_payout: net,
    wht_amount: whtAmount, wht: new RawJSON(floatText(op.wht)), ext_amount: extAmount,
    ext: new RawJSON(floatText(op.ext)), ext_type: 'inclusive', status: 'open', result: 'pending',
    approved: true, source: r.source, type: 'jackpot', atag: r.atag, user_id: player.userId,
    created: fmtTime(now, 0), operator_time_created: fmtTime(now, offMin),
    updated: fmtTime(now, 0), operator_time_updated: fmtTime(now, offMin),
    odds: new RawJSON(floatText(odds)), betcard_code: card.code, prize: card.prize,
    bonus_prizes: card.bonus_prizes.slice(),
  };
  tickets.set(id, { ticket: t, userId: player.userId, operator: op.name,
    events: resolved.map((x) => ({ id: x.ev.event_id, bet: x.sel.bet_id, odds: x.sel.priceText })) });
  player.tickets.push(id);
  log(`ticket ${id} created for ${player.userId} price=${price}`);
  return { status: 200, body: t };
}

async function handleTickets(req, res) {
  const got = await readBody(req);
  if (got.error) return; // client went away
  if (got.tooBig) return send(res, 413, { detail: 'Request body too large' });
  const buf = got.buf;

  const auth = authenticate(req, buf);
  if (auth.error) return send(res, 403, { detail: auth.error });

  const replayKey = `${auth.op.name}|${auth.ts}|${auth.sig}`;
  const prev = replays.get(replayKey);
  if (prev) {
    log(`replay of ${replayKey} answered from cache`);
    return sendRaw(res, prev.status, prev.body);
  }

  if (!isJsonContentType(req.headers['content-type'])) {
    return send(res, 422, { detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Content-Type must be application/json' }] });
  }
  const text = decodeUtf8(buf);
  if (text === null) {
    return send(res, 422, { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', ctx: { error: 'Invalid UTF-8' } }] });
  }
  let body;
  try {
    body = parseJSON(text);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return send(res, 422, { detail: [{ type: 'json_invalid', loc: ['body', e.pos], msg: 'JSON decode error', ctx: { error: e.message } }] });
  }
  const val = validateTicket(body);
  if (val.errors) return send(res, 422, { detail: val.errors });

  const out = createTicket(auth.op, val.value);
  const bodyText = serialize(out.body);
  if (out.status === 200) {
    pruneReplays();
    replays.set(replayKey, { at: Date.now(), status: 200, body: bodyText });
  }
  return sendRaw(res, out.status, bodyText);
}

// ---------------------------------------------------------------------------------------------
// Provider-state hook
// ---------------------------------------------------------------------------------------------
class HookError extends Error {}
const hookFail = (m) => { throw new HookError(m); };

function hookParams(params, allowed, state) {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) hookFail(`unknown param '${k}' for state '${state}' (accepted: ${allowed.join(', ') || 'none'})`);
  }
}
function pDecimal(v, name, { min = null, maxScale = null } = {}) {
  let d = null;
  if (v instanceof JNum) d = decFromLexeme(v.raw);
  else if (typeof v === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(v)) d = decFromLexeme(v);
  if (!d) hookFail(`param '${name}' must be a decimal string or a number`);
  if (min !== null && decCmp(d, min) < 0) hookFail(`param '${name}' must be >= ${decToString(min, 0)}`);
  if (maxScale !== null && d.s > maxScale) hookFail(`param '${name}' must have at most ${maxScale} decimals`);
  return d;
}
function pBool(v, name) { if (typeof v !== 'boolean') hookFail(`param '${name}' must be a boolean`); return v; }
function pString(v, name) { if (typeof v !== 'string' || v === '') hookFail(`param '${name}' must be a non-empty string`); return v; }
function pInt(v, name, min, max) {
  const d = v instanceof JNum ? decFromLexeme(v.raw) : null;
  if (!d || !decIsInt(d)) hookFail(`param '${name}' must be an integer`);
  if (d.m < BigInt(min) || d.m > BigInt(max)) hookFail(`param '${name}' must be between ${min} and ${max}`);
  return d.m;
}

function operatorAnswer(op) {
  return { name: op.name, secret: op.secret, timezone_offset: op.timezone_offset, webhook_url: op.webhook_url,
    ext: op.extText, wht: op.whtText };
}

function setupOperator(p) {
  hookParams(p, ['name', 'secret', 'timezone_offset', 'webhook_url', 'ext', 'wht'], 'an operator exists');
  const name = has(p, 'name') ? pString(p.name, 'name') : `op-${rid(4)}`;
  const secret = has(p, 'secret') ? pString(p.secret, 'secret') : rid(24);
  let tz = '+02:00';
  if (has(p, 'timezone_offset')) {
    tz = p.timezone_offset;
    if (typeof tz !== 'string' || !/^[+-][0-9]{2}:[0-9]{2}$/.test(tz) || parseInt(tz.slice(4), 10) > 59 || parseInt(tz.slice(1, 3), 10) > 23) {
      hookFail("param 'timezone_offset' must look like +02:00");
    }
  }
  let webhook = 'http://127.0.0.1/webhook';
  if (has(p, 'webhook_url')) {
    if (p.webhook_url !== null && typeof p.webhook_url !== 'string') hookFail("param 'webhook_url' must be a string or null");
    webhook = p.webhook_url;
  }
  const ext = has(p, 'ext') ? pDecimal(p.ext, 'ext', { min: ZERO }) : decFromLexeme('12.5');
  const wht = has(p, 'wht') ? pDecimal(p.wht, 'wht', { min: ZERO }) : decFromLexeme('20.0');
  if (decCmp(wht, { m: 100n, s: 0 }) > 0) hookFail("param 'wht' must be <= 100");
  const op = { name, secret, timezone_offset: tz, webhook_url: webhook, ext, wht,
    extText: floatText(ext), whtText: floatText(wht) };
  operators.set(name, op); // upsert by name
  return op;
}

function setupPlayer(p) {
  hookParams(p, ['balance', 'currency', 'blocked', 'min_stake', 'max_stake', 'session_expired',
    'session_expired_seconds_ago', 'operator'], 'a player exists');
  const bal = has(p, 'balance') ? pDecimal(p.balance, 'balance', { min: ZERO, maxScale: 2 }) : decFromLexeme('1000.00');
  let currency = 'EUR';
  if (has(p, 'currency')) {
    if (typeof p.currency !== 'string' || !/^[A-Z]{3}$/.test(p.currency)) hookFail("param 'currency' must be a 3-letter upper-case ISO 4217 code");
    currency = p.currency;
  }
  const blocked = has(p, 'blocked') ? pBool(p.blocked, 'blocked') : false;
  const minStake = has(p, 'min_stake') ? pDecimal(p.min_stake, 'min_stake', { min: ZERO, maxScale: 2 }) : decFromLexeme('0.10');
  const maxStake = has(p, 'max_stake') ? pDecimal(p.max_stake, 'max_stake', { min: ZERO, maxScale: 2 }) : decFromLexeme('500.00');
  if (has(p, 'session_expired')) pBool(p.session_expired, 'session_expired');
  if (has(p, 'session_expired_seconds_ago')) pInt(p.session_expired_seconds_ago, 'session_expired_seconds_ago', 1, 31536000);
  let op;
  if (has(p, 'operator')) {
    const name = pString(p.operator, 'operator');
    op = operators.get(name) || setupOperator({ name });
  } else {
    op = setupOperator({});
  }
  const balanceCents = bal.m * P10(2 - bal.s);
  const player = {
    userId: `user-${rid(6)}`, token: `tok-${rid(16)}`, currency, blocked, operator: op.name,
    balance: balanceCents, min_stake: decToString(minStake, 2), max_stake: decToString(maxStake, 2),
    tickets: [], ledger: [],
  };
  players.set(player.userId, player);
  tokens.set(player.token, player.userId);
  return {
    userId: player.userId, token: player.token, balance: centsToMajor(player.balance), currency,
    blocked, min_stake: player.min_stake, max_stake: player.max_stake, operator: operatorAnswer(op),
  };
}

function createEvent(started, markets) {
  const event_id = nextEventId++;
  const ev = { key: event_id.toString(), event_id, name: `Home ${event_id} v Away ${event_id}`, started, markets: [] };
  for (const mk of markets) {
    const market = { market_id: nextMarketId++, code: mk.code, allowed: mk.allowed, selections: [] };
    mk.prices.forEach((price, k) => {
      const name = mk.prices.length === 3 ? ['1', 'X', '2'][k] : String(k + 1);
      const sel = { bet_id: nextBetId++, name, price, priceText: decToString(price, 2) };
      market.selections.push(sel);
      bets.set(sel.bet_id.toString(), { event: ev, market, selection: sel });
    });
    ev.markets.push(market);
  }
  events.set(ev.key, ev);
  return ev;
}
function eventAnswer(ev) {
  return {
    event_id: ev.event_id, name: ev.name, started: ev.started,
    markets: ev.markets.map((m) => ({
      market_id: m.market_id, code: m.code, allowed: m.allowed,
      selections: m.selections.map((s) => ({ bet_id: s.bet_id, name: s.name, decimal_price: s.priceText })),
    })),
  };
}
const DEFAULT_MARKETS = () => [{ code: '1X2', allowed: true, prices: ['1.85', '3.40', '4.20'].map(decFromLexeme) }];

function setupEvent(p) {
  hookParams(p, ['started', 'markets'], 'an event exists');
  const started = has(p, 'started') ? pBool(p.started, 'started') : false;
  let markets = DEFAULT_MARKETS();
  if (has(p, 'markets')) {
    if (!Array.isArray(p.markets) || p.markets.length < 1 || p.markets.length > 50) hookFail("param 'markets' must be a non-empty array");
    markets = p.markets.map((m, k) => {
      if (!isObj(m)) hookFail(`param 'markets[${k}]' must be an object`);
      for (const key of Object.keys(m)) if (!['code', 'allowed', 'prices'].includes(key)) hookFail(`unknown param 'markets[${k}].${key}' (accepted: code, allowed, prices)`);
      if (!has(m, 'code')) hookFail(`param 'markets[${k}].code' is required`);
      const code = pString(m.code, `markets[${k}].code`);
      const allowed = has(m, 'allowed') ? pBool(m.allowed, `markets[${k}].allowed`) : true;
      let prices = ['1.85', '3.40', '4.20'].map(decFromLexeme);
      if (has(m, 'prices')) {
        if (!Array.isArray(m.prices) || m.prices.length < 1 || m.prices.length > 100) hookFail(`param 'markets[${k}].prices' must be a non-empty array`);
        prices = m.prices.map((x, j) => {
          const d = pDecimal(x, `markets[${k}].prices[${j}]`);
          if (decCmp(d, ZERO) <= 0) hookFail(`param 'markets[${k}].prices[${j}]' must be > 0`);
          return d;
        });
      }
      return { code, allowed, prices };
    });
  }
  return eventAnswer(createEvent(started, markets));
}

function setupBetcard(p) {
  hookParams(p, ['events', 'prize', 'bonus_prizes'], 'a jackpot betcard exists');
  const n = has(p, 'events') ? Number(pInt(p.events, 'events', 1, 100)) : 3;
  const prize = has(p, 'prize') ? pInt(p.prize, 'prize', 0, INT64_MAX) : 1000000n;
  let bonus = [10000n, 5000n];
  if (has(p, 'bonus_prizes')) {
    if (!Array.isArray(p.bonus_prizes) || p.bonus_prizes.length > 100) hookFail("param 'bonus_prizes' must be an array of integer cents");
    bonus = p.bonus_prizes.map((x, k) => pInt(x, `bonus_prizes[${k}]`, 0, INT64_MAX));
  }
  let code;
  do { code = `JP-${rid(3)}`; } while (betcards.has(code));
  const evs = [];
  for (let k = 0; k < n; k++) evs.push(createEvent(false, DEFAULT_MARKETS()));
  betcards.set(code, { code, prize, bonus_prizes: bonus, eventIds: evs.map((e) => e.key) });
  return { betcard_code: code, prize, bonus_prizes: bonus, events: evs.map(eventAnswer) };
}

function snapshot(p) {
  hookParams(p, ['userId'], 'a player snapshot');
  if (!has(p, 'userId')) hookFail("param 'userId' is required for 'a player snapshot'");
  const uid = pString(p.userId, 'userId');
  const pl = players.get(uid);
  if (!pl) hookFail(`unknown userId '${uid}'`);
  return {
    userId: pl.userId, balance: centsToMajor(pl.balance), currency: pl.currency,
    bets: [], orders: [],
    tickets: pl.tickets.map((id) => {
      const t = tickets.get(id).ticket;
      return {
        id: t.id, code: t.code, type: t.type, price: t.price, stake: t.stake, ext_amount: t.ext_amount,
        gross_payout: t.gross_payout, net_payout: t.net_payout, wht_amount: t.wht_amount,
        status: t.status, result: t.result, currency: t.currency, betcard_code: t.betcard_code, created: t.created,
      };
    }),
    travel_orders: [],
    ledger: pl.ledger.map((e) => Object.assign({}, e)),
  };
}

const STATES = {
  'an operator exists': (p) => operatorAnswer(setupOperator(p)),
  'a player exists': setupPlayer,
  'an event exists': setupEvent,
  'a jackpot betcard exists': setupBetcard,
  'a player snapshot': snapshot,
};

async function handleHook(req, res) {
  const got = await readBody(req);
  if (got.error) return;
  if (got.tooBig) return send(res, 413, { error: 'request body too large' });
  const text = decodeUtf8(got.buf);
  let body;
  try {
    if (text === null) throw new ParseError('invalid UTF-8', 0);
    body = parseJSON(text);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return send(res, 400, { error: `malformed JSON: ${e.message}` });
  }
  try {
    if (!isObj(body)) hookFail('the body must be a JSON object with state, params and action');
    if (!has(body, 'state') || typeof body.state !== 'string') hookFail(`'state' is required (accepted: ${Object.keys(STATES).join(', ')})`);
    const fn = STATES[body.state];
    if (!fn || !has(STATES, body.state)) hookFail(`unknown provider state '${body.state}' (accepted: ${Object.keys(STATES).join(', ')})`);
    const action = has(body, 'action') ? body.action : 'setup';
    if (action !== 'setup' && action !== 'teardown') hookFail(`unknown action '${typeof action === 'string' ? action : serialize(action)}' (accepted: setup, teardown)`);
    let params = has(body, 'params') ? body.params : Object.create(null);
    if (params === null) params = Object.create(null);
    if (!isObj(params)) hookFail("'params' must be an object");
    if (action === 'teardown') return send(res, 200, {});
    const answer = fn(params);
    return send(res, 200, answer);
  } catch (e) {
    if (e instanceof HookError) return send(res, 400, { error: e.message });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------
const server = http.createServer((req, res) => {
  let path;
  try { path = new URL(req.url, 'http://localhost').pathname; } catch (e) { path = ''; }
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const done = (p) => p.catch((err) => {
    log('internal error:', err && err.stack ? err.stack : err);
    if (!res.headersSent) send(res, 500, { detail: 'Internal server error' });
    else res.destroy();
  });
  if (path === '/be/tickets') {
    if (req.method !== 'POST') { req.resume(); return send(res, 405, { detail: 'Method Not Allowed' }, { Allow: 'POST' }); }
    return done(handleTickets(req, res));
  }
  if (path === '/_orderproof/provider-states') {
    if (!HOOK_ENABLED) { req.resume(); return send(res, 404, { detail: 'Not Found' }); }
    if (req.method !== 'POST') { req.resume(); return send(res, 405, { error: 'Method Not Allowed' }, { Allow: 'POST' }); }
    return done(handleHook(req, res));
  }
  req.resume();
  return send(res, 404, { detail: 'Not Found' });
});
server.on('clientError', (err, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  else socket.destroy();
});
server.listen(PORT, '127.0.0.1', () => log(`jackpot-ticket listening on 127.0.0.1:${PORT}`));
