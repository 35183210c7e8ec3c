'use strict';
// travel-order service: POST /api/invoice/createorder (seed 002), plus the orderproof
// provider-state test hook POST /_orderproof/provider-states.
// Node.js 20, built-in modules only. State is kept in memory. See DECISIONS.md.

const http = require('http');
const crypto = require('crypto');

const PORT = Number.parseInt(process.argv[2], 10);
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) {
  process.stderr.write('usage: node server.js <port>\n');
  process.exit(2);
}
const HOOK_ENABLED = !/^(0|off|false|no)$/i.test(process.env.ORDERPROOF_PROVIDER_STATES || '');

const ORDER_PATH = '/api/invoice/createorder';
const HOOK_PATH = '/_orderproof/provider-states';
const MAX_BODY = 1024 * 1024;       // 1 MiB
const MAX_DEPTH = 64;
const MAX_ITEMS = 1000;             // per collection
const MAX_STRING = 4000;            // characters per string field
const MAX_DOCNO = 50;

function log(...a) { try { process.stderr.write(a.join(' ') + '\n'); } catch (_) { /* ignore */ } }

// ---------------------------------------------------------------------------------------------
// Request schema, derived field by field from the seed's request sample (the help page sample is
// generated from the .NET types): s string, d date, n decimal, i integer (Int32), b boolean,
// l integer (Int64 id), m memberid (Int64, must name a member), e OrderStatus enum,
// {..} complex type, [x] Collection of x.
// ---------------------------------------------------------------------------------------------
const SCHEMA = {"opersystem":"s","channel":"s","couponinfos":[{"coupontype":"i","couponcode":"s","couponsource":"i","couponeventname":"s","discountamount":"n","discount":"n","discountcalctype":"i","discountcalcrule":"i"}],"itemtype":"i","status":"i","accesssource":"s","paymentinfo":{"createagent":"s","createip":"s","createdate":"d","paytype":"s","paydate":"d","payamt":"n","paycurrency":"s","paytranid":"s","paytrantype":"i","payerid":"s","ispaid":"b","creditcardnum":"s"},"insuranceinfo":[{"detail":{"source":"s","effectivedate":"d","expirationdate":"d","companyname":"s","companyid":"s","destinationid":"s","destinationdesc":"s","insuredpackageid":"s","InsuredPackageDesc":"s","PlanId":"s","plandesc":"s","extradata1":"s","extradata2":"s","extradata3":"s","extradata4":"s","extradata5":"s","quoteamt":"n","quotecurrency":"s","discountedquoteamt":"n","quotevaliduntildate":"d","status":"s","statusdesc":"s","transactionresponsedt":"d","planamt":"n","PlanCurrency":"s","policynumber":"s","policystatus":"s","originalsubmittedpolicydate":"d","policyschedule":"s","orgamount":"n","grantamt":"n","discountcode":"s"},"contact":[{"insuredpersonseqno":"i","phonetypecd":"s","phoneareacode":"s","phonenumber":"s","email":"s"}],"insuredpersons":[{"seqno":"i","surname":"s","givenname":"s","titleprefix":"s","birthdate":"d","idnumbertypecd":"s","idnumber":"s","persontype":"s"}]}],"farerouteing":[{"flightur":"s","accountid":"i","flightpnr":"s","passenger":[{"prefix":"s","lastname":"s","middlename":"s","firstname":"s","agetype":"i","dateofbirth":"d","gender":"s","cardname":"s","cardtype":"s","cardnum":"s","cardissueplace":"s","cardexpired":"d","nationality":"s","telcountry":"s","Phone":"s","email":"s","ssrtype":"s","ssrfreetext":"s","seatclaim":"s","creditcardnumber":"s","creditcardsupplycode":"s","creaditcardoperateby":"s","mealclaim":"s","vMemberGuid":"s"}],"source":"s","sessionid":"i","data":"s","adultprice":"n","adultmarkup":"n","adultorgprice":"n","adulttax":"n","adultorgtax":"n","childprice":"n","childmarkup":"n","childorgprice":"n","childtax":"n","childorgtax":"n","pricetype":"i","applytype":"i","adulttaxtype":"i","childtaxtype":"i","adult":"i","child":"i","rule":{"refund":"s","endorse":"s","baggage":"s","other":"s"},"fromsegments":[{"docno":"s","flightgroup":"i","carriercode":"s","flightnumber":"s","depairportcode":"s","deptime":"d","arrairportcode":"s","arrtime":"d","stopcities":"s","codeshare":"b","cabin":"s","aircraftcode":"s","bookingcodeinfo":"s","isconnect":"b","cabinclasscode":"s","farerulekey":"s","airreminder":"s","airtime":"s","fareprice":"s","marketairlinecode":"s","operatorairlinecode":"s","baggage":"s","farebasis":"s","depterminal":"s","arrterminal":"s","carriername":"s","depairportname":"s","arrairportname":"s","cabinclassname":"s","marketairlinename":"s","operatorairlinename":"s","stopcitiesname":"s","depcity":"s","arrcity":"s"}],"retsegments":[{"docno":"s","flightgroup":"i","carriercode":"s","flightnumber":"s","depairportcode":"s","deptime":"d","arrairportcode":"s","arrtime":"d","stopcities":"s","codeshare":"b","cabin":"s","aircraftcode":"s","bookingcodeinfo":"s","isconnect":"b","cabinclasscode":"s","farerulekey":"s","airreminder":"s","airtime":"s","fareprice":"s","marketairlinecode":"s","operatorairlinecode":"s","baggage":"s","farebasis":"s","depterminal":"s","arrterminal":"s","carriername":"s","depairportname":"s","arrairportname":"s","cabinclassname":"s","marketairlinename":"s","operatorairlinename":"s","stopcitiesname":"s","depcity":"s","arrcity":"s"}],"faretype":"i","infant":"i","infantprice":"n","infantmarkup":"n","infantorgprice":"n","infanttax":"n","infantorgtax":"n","infanttaxtype":"i","triptype":"i","isautoticket":"b","flightpricecalcs":[{"itemtype":"s","adultprice":"n","adulttax":"n","childprice":"n","childtax":"n","infantprice":"n","infanttax":"n","remark":"s","displayorder":"i"}]}],"hotelroutine":[{"citycode":"s","city":"s","checkin":"d","checkout":"d","hotelcode":"s","hotelname":"s","country":"s","resort":"s","streetnumber":"s","address":"s","phone":"s","hotelpic":"s","longitude":"s","latitude":"s","email":"s","url":"s","currency":"s","orgtotal":"n","markuptotal":"n","addtotal":"n","total":"n","apisource":"s","apiacc":"s","prebookingtoken":"s","specrequest":"s","canceldeadline":"s","status":"s","bookingcode":"s","supplierbookingcode":"s","confirmcode":"s","checkininstructions":"s","specialcheckininstructions":"s","cancelinfos":[{"startdate":"s","enddate":"s","penalty":"n"}],"rooms":[{"roomtypeid":"s","roomtype":"s","roomid":"s","roomname":"s","adultcount":"i","childcount":"i","includebreakfast":"i","breakfastname":"s","checkindate":"d","checkoutdate":"d","status":"s","bedtypeid":"s","bedtype":"s","roomguests":[{"lang":"s","firstname":"s","middlename":"s","lastname":"s","prefix":"s","agetype":"i","age":"i","birthday":"d","sex":"i","email":"s","phonecode":"s","phoneno":"s","nation":"s","cardtype":"i","cardno":"s","cardplace":"s","cardexpdate":"d","isreal":"b","vMemberGuid":"s"}]}],"roompernights":[{"roomid":"s","date":"d","rate":"n","currency":"s"}],"paycardid":"s","cancelpolicy":"s"}],"contactinfo":[{"docno":"s","prefix":"s","lastname":"s","middlename":"s","firstname":"s","address":"s","postcode":"s","email":"s","telcountry":"s","phone":"s","contacttype":"s","nationalitycode":"s"}],"integralnum":"n","integraldiscount":"n","extraamt":"n","docno":"s","memberid":"i","companyid":"s","createagent":"s","createdate":"d","createip":"s","platform":"s","currency":"s","lang":"s","isrecivemail":"b","invoiceparms":[{"parmname":"s","pramvalue":"s"}],"tourgrouproutine":[{"TourGroupFlights":[{"FlightNo":"s","FromCity":"s","ToCity":"s","DepartureDate":"d","ReturnDate":"d","CreateDate":"d"}],"TourGroupDetails":[{"AgeType":"i","Currency":"s","OrginUnitPrice":"n","OrginDiscount":"n","MarkupPrice":"n","UnitPrice":"n","Number":"i","TotalPrice":"n","CreateDate":"d"}],"TourGroupProducts":[{"Type":"i","ProductCode":"s","ProductName":"s","Quantity":"i","Price":"n","Discount":"n","SubTotal":"n","Remark":"s","CreateDate":"d","AgeType":"i"}],"TourGroupEmerContact":{"Prefix":"s","LastName":"s","MiddleName":"s","FirstName":"s","TelCountry":"s","Tel":"s"},"TourId":"s","TourCode":"s","TourItemCode":"s","TourItemName":"s","BranchId":"s","DepartureDate":"d","ReturnDate":"d","DueDate":"d","Currency":"s","OrginAmt":"n","MarkupAmt":"n","InsuranceAmt":"n","AdditionalAmt":"n","DiscountAmt":"n","TotalAmt":"n","DepositAmt":"n","PaidAmt":"n","HoldCode":"s","EventDiscountType":"i","CreateDate":"d"}],"localtravelroutine":[{"totalAmt":"n","localTravelDetails":[{"did":"s","seq":"i","skuId":"s","skuName":"s","orgPrice":"n","markupPrice":"n","price":"n","currency":"s","quantity":"i"}],"localTravelGroupInfos":[{"infoId":"s","infoType":"i","seq":"i","did":"s","didSeq":"i","formSeq":"i","formId":"s","formName":"s","value":"s","valueId":"s"}],"seq":"i","themeId":"s","themeName":"s","source":"i","activeId":"s","planId":"s","planName":"s","depDate":"d","depDateTime":"s","currency":"s","deadLine":"d","islimitdate":"b","deliverytype":"i","cartId":"s"}],"localtraveldeliverys":[{"deliveryType":"i","contactName":"s","phone":"s","areaid":"s","areaName":"s","regionid":"s","regionName":"s","address":"s","floorNumber":"s","houseNumber":"s","branchId":"s","branchname":"s"}],"wifibbroutine":[{"ProductId":"i","Qty":"i","CountryCode":"s","Country":"s","StartDate":"d","EndDate":"d","TrueDays":"i","PayDays":"i","DepositAmt":"n","ProductTotal":"n","OrgProductTotal":"n","Status":"i"}],"sugarAIRoutine":[{"productKey":"s","tripType":"i","depAirport":"s","arrAirport":"s","depDate":"s","arrDate":"s","carrier":"s","flightNumber":"s","passengerReserves":[{"quoteNumber":"s","orgBasePrice":"n","basePrice":"n","discount":"n","orgTax":"n","tax":"n","compensation":"n","reserveNumber":"s","expireAt":"d","firstName":"s","lastName":"s","email":"s"}]}],"logTrackGuid":"s","noLowestReasonCode":"s","noLowestReason":"s","outScopeReason":"s"};
// Overrides where the table says more than the sample shows.
SCHEMA.memberid = 'm';
SCHEMA.status = 'e';
SCHEMA.farerouteing[0].accountid = 'l';
SCHEMA.farerouteing[0].sessionid = 'l';
SCHEMA.wifibbroutine[0].ProductId = 'l';

const ORDER_STATUS = ['create_order', 'wait_pay', 'pay_success', 'trade_close', 'trade_complete'];
const INT32_MAX = 2147483647n;
const INT64_MAX = 9223372036854775807n;
const DEC_MAX = 79228162514264337593543950335n; // System.Decimal.MaxValue
const DEC_MAX_SCALE = 28;

// ---------------------------------------------------------------------------------------------
// A strict JSON parser that keeps numbers as their source text (no double rounding), refuses
// duplicate keys and limits nesting.
// ---------------------------------------------------------------------------------------------
class JNum { constructor(raw) { this.raw = raw; } }
class BadInput extends Error {
  constructor(msg, status, code) { super(msg); this.status = status || 400; this.code = code || this.status; }
}

function parseJson(text) {
  let i = 0;
  const n = text.length;
  const fail = (m) => { throw new BadInput(`malformed JSON at offset ${i}: ${m}`); };
  const ws = () => { while (i < n) { const c = text.charCodeAt(i); if (c === 32 || c === 9 || c === 10 || c === 13) i++; else break; } };
  const NUM_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  function str() {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) { out += text.slice(start, i); i++; break; }
      if (c < 32) fail('control character in string');
      if (c === 92) {
        out += text.slice(start, i);
        i++;
        const e = text[i];
        if (e === '"' || e === '\\' || e === '/') out += e;
        else if (e === 'b') out += '\b';
        else if (e === 'f') out += '\f';
        else if (e === 'n') out += '\n';
        else if (e === 'r') out += '\r';
        else if (e === 't') out += '\t';
        else if (e === 'u') {
          const h = text.slice(i + 1, i + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
        } else fail('bad escape');
        i++;
        start = i;
        continue;
      }
      i++;
    }
    // refuse lone surrogates: they cannot be stored or echoed as UTF-8
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out)) fail('lone surrogate in string');
    return out;
  }
  function val(depth) {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    if (i >= n) fail('unexpected end of input');
    const c = text[i];
    if (c === '{') {
      i++;
      const o = Object.create(null);
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name');
        const k = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        const v = val(depth + 1);
        if (Object.prototype.hasOwnProperty.call(o, k)) fail(`duplicate property "${k}"`);
        o[k] = v;
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(val(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
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
  const v = val(0);
  ws();
  if (i !== n) fail('trailing characters after the JSON value');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Exact decimals: {v: BigInt (unscaled), s: scale}.
// ---------------------------------------------------------------------------------------------
const DEC_RE = /^(-)?(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;
function decParse(raw) {
  const m = DEC_RE.exec(raw);
  if (!m) return null;
  const frac = m[3] || '';
  let exp = m[4] ? Number(m[4]) : 0;
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return { tooBig: true };
  let v = BigInt(m[2] + frac);
  let s = frac.length - exp;
  if (s < 0) { v *= 10n ** BigInt(-s); s = 0; }
  if (m[1]) v = -v;
  return decNorm({ v, s });
}
function decNorm(d) {
  let { v, s } = d;
  while (s > 0 && v % 10n === 0n) { v /= 10n; s--; }
  return { v, s };
}
function decStr(d, minScale) {
  let { v, s } = d;
  const ms = minScale || 0;
  if (s < ms) { v *= 10n ** BigInt(ms - s); s = ms; }
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  if (s > 0) {
    digits = digits.padStart(s + 1, '0');
    digits = digits.slice(0, digits.length - s) + '.' + digits.slice(digits.length - s);
  }
  return (neg ? '-' : '') + digits;
}
function decAlign(a, b) {
  const s = Math.max(a.s, b.s);
  return [a.v * 10n ** BigInt(s - a.s), b.v * 10n ** BigInt(s - b.s), s];
}
function decAdd(a, b) { const [x, y, s] = decAlign(a, b); return decNorm({ v: x + y, s }); }
function decMul(a, b) { return decNorm({ v: a.v * b.v, s: a.s + b.s }); }
function decCmp(a, b) { const [x, y] = decAlign(a, b); return x < y ? -1 : x > y ? 1 : 0; }

// ---------------------------------------------------------------------------------------------
// Dates (ISO 8601 as .NET DateTime/DateTimeOffset serialise them).
// ---------------------------------------------------------------------------------------------
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;
function validDate(s) {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const y = +m[1], mo = +m[2], d = +m[3];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const dim = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d > dim) return false;
  if (m[4] !== undefined) {
    if (+m[4] > 23 || +m[5] > 59) return false;
    if (m[6] !== undefined && +m[6] > 59) return false;
  }
  if (m[8] && m[8] !== 'Z') {
    const oh = +m[8].slice(1, 3), om = +m[8].slice(4, 6);
    if (om > 59 || oh * 60 + om > 14 * 60) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Schema-driven validation and normalisation. `form` mode: scalars arrive as strings.
// ---------------------------------------------------------------------------------------------
const TYPE_WORD = { s: 'a string', d: 'a date (ISO 8601)', n: 'a decimal number', i: 'an integer',
  l: 'an integer', m: 'an integer', e: 'an OrderStatus (0-4)', b: 'a boolean' };

function lowerIndex(schemaObj) {
  if (!schemaObj.__lower) {
    const idx = Object.create(null);
    for (const k of Object.keys(schemaObj)) idx[k.toLowerCase()] = k;
    Object.defineProperty(schemaObj, '__lower', { value: idx, enumerable: false });
  }
  return schemaObj.__lower;
}

function isPlainObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum); }

function validate(value, schema, path, ctx) {
  if (Array.isArray(schema)) {
    if (!Array.isArray(value)) return err(ctx, path, 'must be a collection (JSON array)');
    if (value.length > MAX_ITEMS) return err(ctx, path, `must have at most ${MAX_ITEMS} items`);
    const out = [];
    value.forEach((item, k) => {
      const p = `${path}[${k}]`;
      if (item === null || item === undefined) { err(ctx, p, 'must not be null'); return; }
      out.push(validate(item, schema[0], p, ctx));
    });
    return out;
  }
  if (typeof schema === 'object') {
    if (!isPlainObj(value)) return err(ctx, path, 'must be an object');
    const idx = lowerIndex(schema);
    const got = Object.create(null);
    for (const key of Object.keys(value)) {
      const canon = idx[key.toLowerCase()];
      if (canon === undefined) continue; // unknown members are ignored (ASP.NET default)
      const p = path ? `${path}.${canon}` : canon;
      if (canon in got) { err(ctx, p, 'given more than once'); continue; }
      got[canon] = value[key];
    }
    const out = {};
    for (const canon of Object.keys(schema)) {
      if (!(canon in got)) continue;
      const v = got[canon];
      if (v === null || (ctx.form && v === '')) continue; // null / empty form value: not given
      const p = path ? `${path}.${canon}` : canon;
      const r = validate(v, schema[canon], p, ctx);
      if (r !== undefined) out[canon] = r;
    }
    return out;
  }
  return scalar(value, schema, path, ctx);
}

function err(ctx, path, msg) {
  if (ctx.errors.length < 20) ctx.errors.push(`${path || 'body'}: ${msg}`);
  return undefined;
}

function scalar(value, t, path, ctx) {
  const bad = () => err(ctx, path, `must be ${TYPE_WORD[t]}`);
  switch (t) {
    case 's':
    case 'd': {
      if (typeof value !== 'string') return bad();
      if (value.length > MAX_STRING) return err(ctx, path, `must be at most ${MAX_STRING} characters`);
      if (t === 'd' && !validDate(value)) return bad();
      return value;
    }
    case 'b': {
      if (typeof value === 'boolean') return value;
      if (ctx.form && typeof value === 'string') {
        if (/^true$/i.test(value)) return true;
        if (/^false$/i.test(value)) return false;
      }
      return bad();
    }
    case 'e': {
      if (typeof value === 'string') {
        const k = ORDER_STATUS.indexOf(value.toLowerCase());
        if (k >= 0) return k;
        if (!ctx.form) return bad();
      }
      const raw = rawOf(value, ctx);
      if (raw === null || !/^-?(0|[1-9][0-9]*)$/.test(raw)) return bad();
      const v = BigInt(raw);
      if (v < 0n || v > 4n) return err(ctx, path, `must be one of 0-4 (${ORDER_STATUS.join(', ')})`);
      return Number(v);
    }
    case 'i':
    case 'l':
    case 'm': {
      const raw = rawOf(value, ctx);
      if (raw === null || !/^-?(0|[1-9][0-9]*)$/.test(raw)) return bad();
      const v = BigInt(raw);
      const max = t === 'i' ? INT32_MAX : INT64_MAX;
      if (v > max) return err(ctx, path, `must be at most ${max}`);
      if (t === 'm' && v < 1n) return err(ctx, path, 'must be a positive member id');
      if (v < 0n) return err(ctx, path, 'must not be negative');
      return t === 'i' ? Number(v) : v.toString(); // Int64 ids are kept as digit strings
    }
    case 'n': {
      const raw = rawOf(value, ctx);
      if (raw === null) return bad();
      const d = decParse(raw);
      if (!d) return bad();
      if (d.tooBig) return err(ctx, path, 'is out of range');
      if (d.s > DEC_MAX_SCALE) return err(ctx, path, `must have at most ${DEC_MAX_SCALE} decimal places`);
      if ((d.v < 0n ? -d.v : d.v) > DEC_MAX * 10n ** BigInt(d.s)) return err(ctx, path, 'is out of range');
      if (d.v < 0n) return err(ctx, path, 'must not be negative');
      return decStr(d);
    }
    default:
      return bad();
  }
}

function rawOf(value, ctx) {
  if (value instanceof JNum) return value.raw;
  if (ctx.form && typeof value === 'string') return value.trim();
  return null;
}

// Business rules beyond types.
function businessChecks(order, ctx) {
  (order.localtravelroutine || []).forEach((r, k) => {
    if (r.totalAmt === undefined || !Array.isArray(r.localTravelDetails) || r.localTravelDetails.length === 0) return;
    let sum = { v: 0n, s: 0 };
    for (const d of r.localTravelDetails) {
      if (d.price === undefined || d.quantity === undefined) return;
      sum = decAdd(sum, decMul(decParse(d.price), { v: BigInt(d.quantity), s: 0 }));
    }
    if (decCmp(sum, decParse(r.totalAmt)) !== 0) {
      err(ctx, `localtravelroutine[${k}].totalAmt`,
        `must equal the sum of price x quantity over localTravelDetails (${decStr(sum)})`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// application/x-www-form-urlencoded, with ASP.NET model-binding key syntax:
// a=1, a.b=1, a[0].b=1, a[0][b]=1.
// ---------------------------------------------------------------------------------------------
function parseForm(text) {
  const root = Object.create(null);
  if (text.length === 0) return root;
  const seen = new Set();
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let k, v;
    try {
      k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch (_) {
      throw new BadInput('malformed form body: bad percent-encoding');
    }
    const segs = [];
    const re = /([^.[\]]+)|\[([^\]]*)\]|\./g;
    let m, pos = 0;
    re.lastIndex = 0;
    while ((m = re.exec(k)) !== null) {
      if (m.index !== pos) break;
      pos = re.lastIndex;
      if (m[1] !== undefined) segs.push(m[1]);
      else if (m[2] !== undefined) segs.push(/^[0-9]+$/.test(m[2]) ? Number(m[2]) : m[2]);
    }
    if (pos !== k.length || segs.length === 0 || typeof segs[0] !== 'string') {
      throw new BadInput(`malformed form key "${k}"`);
    }
    const lk = segs.map((s) => String(s).toLowerCase()).join('\u0000');
    if (seen.has(lk)) throw new BadInput(`form key "${k}" given more than once`);
    seen.add(lk);
    let node = root;
    for (let j = 0; j < segs.length; j++) {
      const s = segs[j];
      if (typeof s === 'number' && s >= MAX_ITEMS) throw new BadInput(`form key "${k}": index too large`);
      if (!isContainer(node)) throw new BadInput(`form key "${k}" conflicts with another key`);
      const last = j === segs.length - 1;
      if (last) {
        if (s in node && typeof node[s] === 'object') throw new BadInput(`form key "${k}" conflicts with another key`);
        node[s] = v;
      } else {
        if (!(s in node)) {
          node[s] = Object.create(null);
          if (typeof segs[j + 1] === 'number') node[s][FORM_ARRAY] = true;
        }
        node = node[s];
        if (typeof node !== 'object') throw new BadInput(`form key "${k}" conflicts with another key`);
      }
    }
  }
  return finishForm(root, '');
}
const FORM_ARRAY = Symbol('form-array');
function isContainer(n) { return n !== null && typeof n === 'object'; }
function finishForm(node, path) {
  if (typeof node !== 'object') return node;
  if (node[FORM_ARRAY]) {
    const keys = Object.keys(node);
    const out = [];
    for (let j = 0; j < keys.length; j++) {
      if (!(String(j) in node)) throw new BadInput(`form collection "${path}" must be indexed 0..n-1 without gaps`);
      out.push(finishForm(node[j], `${path}[${j}]`));
    }
    if (keys.some((k) => !/^[0-9]+$/.test(k))) throw new BadInput(`form collection "${path}" mixes indices and names`);
    return out;
  }
  const o = Object.create(null);
  for (const k of Object.keys(node)) o[k] = finishForm(node[k], path ? `${path}.${k}` : k);
  return o;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------
const operators = new Map();     // name -> operator
const players = new Map();       // userId -> player
const membersById = new Map();   // memberid (digit string) -> player
const ordersByDocno = new Map(); // docno -> {order, fingerprint, status, body}
const idemKeys = new Map();      // Idempotency-Key -> {fingerprint, status, body}
let seq = 0;
let memberSeq = 0n;
let eventSeq = 100000;
let marketSeq = 5000;
let selectionSeq = 100;

function rnd(nbytes) { return crypto.randomBytes(nbytes).toString('hex'); }
function stamp() {
  const d = new Date();
  const p = (x, l = 2) => String(x).padStart(l, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
}
function nextDocno() {
  let s;
  do { seq++; s = `TD${stamp()}${String(seq).padStart(6, '0')}`; } while (ordersByDocno.has(s));
  return s;
}
function nextOrderno() { seq++; return `TO${stamp()}${String(seq).padStart(6, '0')}${rnd(2).toUpperCase()}`; }

function fingerprint(obj) { return crypto.createHash('sha256').update(JSON.stringify(obj)).digest('hex'); }

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------
function send(res, status, body, extraHeaders, contentType) {
  const text = JSON.stringify(body);
  const headers = Object.assign({
    'Content-Type': `${contentType || 'application/json'}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  }, extraHeaders || {});
  if (!res.headersSent) res.writeHead(status, headers);
  res.end(text);
}
function wrapper(code, message, data) { return { data: data === undefined ? null : data, code, message }; }
function responseType(req) {
  const a = String(req.headers.accept || '').toLowerCase();
  if (a.includes('text/json') && !a.includes('application/json')) return 'text/json';
  return 'application/json';
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let done = false;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY) {
      done = true;
      reject(new BadInput(`request body larger than ${MAX_BODY} bytes`, 413));
      req.resume();
      return;
    }
    req.on('data', (c) => {
      if (done) return;
      size += c.length;
      if (size > MAX_BODY) { done = true; reject(new BadInput(`request body larger than ${MAX_BODY} bytes`, 413)); return; }
      chunks.push(c);
    });
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks)); } });
    req.on('error', (e) => { if (!done) { done = true; reject(new BadInput(`could not read the request body: ${e.message}`)); } });
  });
}

function decodeUtf8(buf) {
  try {
    let t = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    return t;
  } catch (_) {
    throw new BadInput('request body is not valid UTF-8');
  }
}

function mediaType(req) {
  const ct = req.headers['content-type'];
  if (!ct) return { type: '', charset: null };
  const parts = String(ct).split(';');
  const type = parts[0].trim().toLowerCase();
  let charset = null;
  for (const p of parts.slice(1)) {
    const m = /^\s*charset\s*=\s*"?([^";]*)"?\s*$/i.exec(p);
    if (m) charset = m[1].toLowerCase();
  }
  return { type, charset };
}

// ---------------------------------------------------------------------------------------------
// POST /api/invoice/createorder
// ---------------------------------------------------------------------------------------------
async function createOrder(req, res) {
  const rtype = responseType(req);
  const reply = (status, body, h) => send(res, status, body, h, rtype);
  const { type, charset } = mediaType(req);
  const isJson = type === 'application/json' || type === 'text/json';
  const isForm = type === 'application/x-www-form-urlencoded';
  if (!isJson && !isForm) {
    req.resume();
    return reply(415, wrapper(415, `unsupported Content-Type "${type || '(none)'}"; use application/json, text/json or application/x-www-form-urlencoded`));
  }
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    req.resume();
    return reply(415, wrapper(415, `unsupported charset "${charset}"; use utf-8`));
  }
  const enc = String(req.headers['content-encoding'] || 'identity').toLowerCase();
  if (enc !== 'identity') {
    req.resume();
    return reply(415, wrapper(415, `unsupported Content-Encoding "${enc}"`));
  }

  let input;
  try {
    const text = decodeUtf8(await readBody(req));
    if (isJson) {
      if (text.trim() === '') throw new BadInput('request body is empty; a CreateOrderRequest JSON object is expected');
      input = parseJson(text);
    } else {
      input = parseForm(text);
    }
  } catch (e) {
    if (e instanceof BadInput) return reply(e.status, wrapper(e.code, e.message), e.status === 413 ? { Connection: 'close' } : undefined);
    throw e;
  }
  if (!isPlainObj(input)) return reply(400, wrapper(400, 'request body must be a CreateOrderRequest object'));

  const ctx = { errors: [], form: isForm };
  const order = validate(input, SCHEMA, '', ctx);
  if (ctx.errors.length === 0) {
    if (order.memberid === undefined) err(ctx, 'memberid', 'is required: the order must belong to a member');
    businessChecks(order, ctx);
  }
  if (ctx.errors.length) return reply(400, wrapper(400, `invalid request: ${ctx.errors.join('; ')}`));

  const member = membersById.get(order.memberid);
  if (!member) return reply(422, wrapper(422, `member ${order.memberid} not found`));

  // The order as it will be stored; the client's docno (if any) identifies it.
  const givenDocno = typeof order.docno === 'string' && order.docno.trim() !== '' ? order.docno.trim() : null;
  if (givenDocno !== null && givenDocno.length > MAX_DOCNO) {
    return reply(400, wrapper(400, `invalid request: docno: must be at most ${MAX_DOCNO} characters`));
  }
  const fp = fingerprint(Object.assign({}, order, { docno: givenDocno }));

  const idemKey = req.headers['idempotency-key'];
  if (idemKey !== undefined) {
    const key = String(idemKey);
    if (key.length === 0 || key.length > 255) return reply(400, wrapper(400, 'Idempotency-Key must be 1-255 characters'));
    const prev = idemKeys.get(key);
    if (prev) {
      if (prev.fingerprint !== fp) return reply(422, wrapper(422, 'Idempotency-Key was already used with a different request'));
      return reply(prev.status, prev.body, { 'Idempotent-Replayed': 'true' });
    }
  }

  if (givenDocno !== null) {
    const prev = ordersByDocno.get(givenDocno);
    if (prev) {
      if (prev.fingerprint !== fp) {
        return reply(409, wrapper(409, `docno ${givenDocno} already belongs to a different order`));
      }
      if (idemKey !== undefined) idemKeys.set(String(idemKey), { fingerprint: fp, status: prev.status, body: prev.body });
      return reply(prev.status, prev.body, { 'Idempotent-Replayed': 'true' });
    }
  }

  const docno = givenDocno !== null ? givenDocno : nextDocno();
  const orderno = nextOrderno();
  const body = wrapper(100, 'success', { docno, orderno });
  const record = {
    docno, orderno, memberid: order.memberid, created: new Date().toISOString(),
    order: Object.assign({}, order, { docno }), fingerprint: fp, status: 200, body,
  };
  ordersByDocno.set(docno, record);
  member.travel_orders.push(record);
  if (idemKey !== undefined) idemKeys.set(String(idemKey), { fingerprint: fp, status: 200, body });
  log(`order ${docno}/${orderno} member ${order.memberid}`);
  return reply(200, body);
}

// ---------------------------------------------------------------------------------------------
// POST /_orderproof/provider-states (test deployments only)
// ---------------------------------------------------------------------------------------------
class HookError extends Error {}
const hookFail = (m) => { throw new HookError(m); };

function plain(v) { // JNum -> string (exact), for hook params
  if (v instanceof JNum) return { __num: v.raw };
  if (Array.isArray(v)) return v.map(plain);
  if (isPlainObj(v)) { const o = {}; for (const k of Object.keys(v)) o[k] = plain(v[k]); return o; }
  return v;
}
function pDecimal(v, name) {
  let raw;
  if (v && typeof v === 'object' && '__num' in v) raw = v.__num;
  else if (typeof v === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(v)) raw = v;
  else hookFail(`param ${name} must be a decimal string or a number`);
  const d = decParse(raw);
  if (!d || d.tooBig) hookFail(`param ${name} must be a decimal string or a number`);
  return d;
}
function pInt(v, name, min, max) {
  if (!(v && typeof v === 'object' && '__num' in v) || !/^-?(0|[1-9][0-9]*)$/.test(v.__num)) hookFail(`param ${name} must be an integer`);
  const b = BigInt(v.__num);
  if (b < BigInt(min) || (max !== undefined && b > BigInt(max))) hookFail(`param ${name} must be between ${min} and ${max === undefined ? 'any' : max}`);
  return Number(b);
}
function pBool(v, name) { if (typeof v !== 'boolean') hookFail(`param ${name} must be a boolean`); return v; }
function pStr(v, name) { if (typeof v !== 'string') hookFail(`param ${name} must be a string`); return v; }
function onlyParams(params, allowed, state) {
  for (const k of Object.keys(params)) {
    if (!allowed.includes(k)) hookFail(`unknown param "${k}" for state '${state}'; accepted: ${allowed.join(', ') || '(none)'}`);
  }
}

function operatorAnswer(op) {
  return { name: op.name, secret: op.secret, timezone_offset: op.timezone_offset, webhook_url: op.webhook_url, ext: op.ext, wht: op.wht };
}
function makeOperator(params) {
  params = params || {};
  onlyParams(params, ['name', 'secret', 'timezone_offset', 'webhook_url', 'ext', 'wht'], 'an operator exists');
  const op = {
    name: params.name !== undefined ? pStr(params.name, 'name') : `op-${rnd(4)}`,
    secret: params.secret !== undefined ? pStr(params.secret, 'secret') : `secret-${rnd(16)}`,
    timezone_offset: '+02:00',
    webhook_url: 'http://127.0.0.1/webhook',
    ext: params.ext !== undefined ? decStr(pDecimal(params.ext, 'ext'), 1) : '12.5',
    wht: params.wht !== undefined ? decStr(pDecimal(params.wht, 'wht'), 1) : '20.0',
  };
  if (op.name === '') hookFail('param name must not be empty');
  if (params.timezone_offset !== undefined) {
    const tz = pStr(params.timezone_offset, 'timezone_offset');
    if (!/^[+-][0-9]{2}:[0-9]{2}$/.test(tz)) hookFail('param timezone_offset must look like +02:00');
    op.timezone_offset = tz;
  }
  if (params.webhook_url !== undefined) {
    if (params.webhook_url !== null && typeof params.webhook_url !== 'string') hookFail('param webhook_url must be a string or null');
    op.webhook_url = params.webhook_url;
  }
  operators.set(op.name, op);
  return op;
}

function makePlayer(params) {
  params = params || {};
  onlyParams(params, ['balance', 'currency', 'blocked', 'min_stake', 'max_stake', 'session_expired',
    'session_expired_seconds_ago', 'operator'], 'a player exists');
  const balance = params.balance !== undefined ? decStr(pDecimal(params.balance, 'balance'), 2) : '1000.00';
  let currency = 'EUR';
  if (params.currency !== undefined) {
    currency = pStr(params.currency, 'currency');
    if (!/^[A-Z]{3}$/.test(currency)) hookFail('param currency must be an ISO 4217 code such as EUR');
  }
  const blocked = params.blocked !== undefined ? pBool(params.blocked, 'blocked') : false;
  const minStake = params.min_stake !== undefined ? decStr(pDecimal(params.min_stake, 'min_stake'), 2) : '0.10';
  const maxStake = params.max_stake !== undefined ? decStr(pDecimal(params.max_stake, 'max_stake'), 2) : '500.00';
  const sessionExpired = params.session_expired !== undefined ? pBool(params.session_expired, 'session_expired') : false;
  const agoSec = params.session_expired_seconds_ago !== undefined
    ? pInt(params.session_expired_seconds_ago, 'session_expired_seconds_ago', 1, 31536000) : 60;
  let op;
  if (params.operator !== undefined) {
    const name = pStr(params.operator, 'operator');
    op = operators.get(name) || makeOperator({ name });
  } else {
    op = makeOperator({});
  }
  memberSeq++;
  // Member ids deliberately exceed 2^53 so that any double rounding would show.
  const memberid = (9007199254740993n + memberSeq * 7n).toString();
  const p = {
    userId: `user-${rnd(6)}`,
    sessionToken: `sess-${rnd(16)}`,
    token: `tok-${rnd(16)}`,
    customerToken: `cust-${rnd(16)}`,
    memberid,
    balance,
    currency,
    blocked,
    min_stake: minStake,
    max_stake: maxStake,
    apiKey: `key-${rnd(16)}`,
    operator: op.name,
    session_expires_at: sessionExpired ? Date.now() - agoSec * 1000 : Date.now() + 30 * 60 * 1000,
    travel_orders: [],
  };
  players.set(p.userId, p);
  membersById.set(memberid, p);
  return p;
}
function playerAnswer(p) {
  return {
    userId: p.userId, sessionToken: p.sessionToken, token: p.token, customerToken: p.customerToken,
    memberid: p.memberid, balance: p.balance, currency: p.currency, blocked: p.blocked,
    min_stake: p.min_stake, max_stake: p.max_stake, apiKey: p.apiKey,
    operator: operatorAnswer(operators.get(p.operator)),
  };
}

function makeEvent(params) {
  params = params || {};
  onlyParams(params, ['started', 'markets'], 'an event exists');
  const started = params.started !== undefined ? pBool(params.started, 'started') : false;
  let markets = [{ code: '1X2', allowed: true, prices: ['1.85', '3.40', '4.20'] }];
  if (params.markets !== undefined) {
    if (!Array.isArray(params.markets) || params.markets.length === 0) hookFail('param markets must be a non-empty array');
    markets = params.markets.map((m, k) => {
      if (!m || typeof m !== 'object' || Array.isArray(m)) hookFail(`param markets[${k}] must be an object`);
      for (const key of Object.keys(m)) if (!['code', 'allowed', 'prices'].includes(key)) hookFail(`unknown param markets[${k}].${key}`);
      const code = pStr(m.code, `markets[${k}].code`);
      const allowed = m.allowed !== undefined ? pBool(m.allowed, `markets[${k}].allowed`) : true;
      let prices = ['1.85', '3.40', '4.20'];
      if (m.prices !== undefined) {
        if (!Array.isArray(m.prices) || m.prices.length === 0) hookFail(`param markets[${k}].prices must be a non-empty array`);
        prices = m.prices.map((x, j) => decStr(pDecimal(x, `markets[${k}].prices[${j}]`), 2));
      }
      return { code, allowed, prices };
    });
  }
  eventSeq++;
  return {
    event_id: eventSeq,
    name: 'Home v Away',
    started,
    markets: markets.map((m) => {
      marketSeq++;
      return {
        market_id: marketSeq, code: m.code, allowed: m.allowed,
        selections: m.prices.map((pr, j) => {
          selectionSeq++;
          const names = m.prices.length === 3 ? ['1', 'X', '2'] : null;
          return { bet_id: selectionSeq, name: names ? names[j] : String(j + 1), decimal_price: pr };
        }),
      };
    }),
  };
}

function makeBetcard(params) {
  params = params || {};
  onlyParams(params, ['events', 'prize', 'bonus_prizes'], 'a jackpot betcard exists');
  const n = params.events !== undefined ? pInt(params.events, 'events', 1, 100) : 3;
  const prize = params.prize !== undefined ? pInt(params.prize, 'prize', 0, Number.MAX_SAFE_INTEGER) : 1000000;
  let bonus = [10000, 5000];
  if (params.bonus_prizes !== undefined) {
    if (!Array.isArray(params.bonus_prizes)) hookFail('param bonus_prizes must be an array');
    bonus = params.bonus_prizes.map((b, k) => pInt(b, `bonus_prizes[${k}]`, 0, Number.MAX_SAFE_INTEGER));
  }
  const events = [];
  for (let k = 0; k < n; k++) events.push(makeEvent({}));
  return { betcard_code: `JP-${rnd(3)}`, prize, bonus_prizes: bonus, events };
}

function snapshot(params) {
  if (!params || typeof params !== 'object') hookFail("state 'a player snapshot' needs params.userId");
  onlyParams(params, ['userId'], 'a player snapshot');
  if (params.userId === undefined) hookFail("state 'a player snapshot' needs params.userId");
  const uid = pStr(params.userId, 'userId');
  const p = players.get(uid);
  if (!p) hookFail(`unknown userId "${uid}"`);
  return {
    userId: p.userId,
    balance: p.balance,
    currency: p.currency,
    bets: [],
    orders: [],
    tickets: [],
    travel_orders: p.travel_orders.map((o) => ({
      docno: o.docno, orderno: o.orderno, memberid: o.memberid, created: o.created,
    })),
    ledger: [],
  };
}

function teardown(state, params) {
  params = params || {};
  if (state === 'an operator exists' && typeof params.name === 'string') operators.delete(params.name);
  if (state === 'a player exists') {
    const p = typeof params.userId === 'string' ? players.get(params.userId)
      : (params.memberid !== undefined ? membersById.get(String(params.memberid && params.memberid.__num || params.memberid)) : undefined);
    if (p) {
      players.delete(p.userId);
      membersById.delete(p.memberid);
      for (const o of p.travel_orders) ordersByDocno.delete(o.docno);
    }
  }
  return {};
}

const STATES = ['an operator exists', 'a player exists', 'an event exists', 'a jackpot betcard exists', 'a player snapshot'];

async function providerState(req, res) {
  const { type } = mediaType(req);
  let body;
  try {
    if (type !== 'application/json' && type !== '') {
      req.resume();
      return send(res, 415, { error: `unsupported Content-Type "${type}"; use application/json` });
    }
    const text = decodeUtf8(await readBody(req));
    body = plain(parseJson(text));
  } catch (e) {
    if (e instanceof BadInput) return send(res, e.status === 413 ? 413 : 400, { error: e.message });
    throw e;
  }
  try {
    if (!isPlainObj(body)) hookFail('body must be an object {"state", "params", "action"}');
    for (const k of Object.keys(body)) if (!['state', 'params', 'action'].includes(k)) hookFail(`unknown field "${k}"; accepted: state, params, action`);
    const state = body.state;
    if (typeof state !== 'string') hookFail(`state is required; accepted: ${STATES.join(', ')}`);
    if (!STATES.includes(state)) hookFail(`unknown provider state '${state}'; accepted: ${STATES.join(', ')}`);
    const action = body.action === undefined ? 'setup' : body.action;
    if (action !== 'setup' && action !== 'teardown') hookFail(`unknown action '${String(action)}'; accepted: setup, teardown`);
    const params = body.params === undefined || body.params === null ? {} : body.params;
    if (!isPlainObj(params)) hookFail('params must be an object');
    if (action === 'teardown') return send(res, 200, teardown(state, params));
    let answer;
    switch (state) {
      case 'an operator exists': answer = operatorAnswer(makeOperator(params)); break;
      case 'a player exists': answer = playerAnswer(makePlayer(params)); break;
      case 'an event exists': answer = makeEvent(params); break;
      case 'a jackpot betcard exists': answer = makeBetcard(params); break;
      case 'a player snapshot': answer = snapshot(params); break;
      default: hookFail(`unknown provider state '${state}'`);
    }
    return send(res, 200, answer);
  } catch (e) {
    if (e instanceof HookError) return send(res, 400, { error: e.message });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------
function routePath(url) {
  let p = String(url || '/').split('?')[0].split('#')[0];
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

const server = http.createServer((req, res) => {
  const path = routePath(req.url);
  const lower = path.toLowerCase();
  const handle = async () => {
    if (lower === ORDER_PATH) {
      if (req.method !== 'POST') {
        req.resume();
        return send(res, 405, wrapper(405, `method ${req.method} not allowed; use POST`), { Allow: 'POST' });
      }
      return createOrder(req, res);
    }
    if (path === HOOK_PATH && HOOK_ENABLED) {
      if (req.method !== 'POST') {
        req.resume();
        return send(res, 405, { error: `method ${req.method} not allowed; use POST` }, { Allow: 'POST' });
      }
      return providerState(req, res);
    }
    req.resume();
    return send(res, 404, wrapper(404, `no resource at ${path}`));
  };
  handle().catch((e) => {
    log('internal error:', e && e.stack ? e.stack : String(e));
    try { send(res, 500, wrapper(500, 'internal error')); } catch (_) { /* ignore */ }
  });
});

server.on('clientError', (e, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  else socket.destroy();
});
server.requestTimeout = 30000;
server.headersTimeout = 20000;

server.listen(PORT, '127.0.0.1', () => log(`travel-order listening on 127.0.0.1:${PORT} (hook ${HOOK_ENABLED ? 'enabled' : 'disabled'})`));
process.on('uncaughtException', (e) => log('uncaught:', e && e.stack ? e.stack : String(e)));
