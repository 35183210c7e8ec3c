"""travel-order: POST /api/invoice/createorder (创建订单), third independent implementation.

One file, FastAPI, state in memory. See DECISIONS.md for every point the help page leaves open.
The request schema below is transcribed from the help page's request sample: 's' string,
'i' integer, 'd' decimal number, 'b' boolean, 't' date; a dict is an object, a one-item list a
"Collection of" that object.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import os
import re
import secrets
import time
from decimal import Decimal
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

# --------------------------------------------------------------------------------------------
# Request schema (from the page's application/json sample; wire names kept exactly)
# --------------------------------------------------------------------------------------------
SCHEMA = {'opersystem': 's',
 'channel': 's',
 'couponinfos': [{'coupontype': 'i',
                  'couponcode': 's',
                  'couponsource': 'i',
                  'couponeventname': 's',
                  'discountamount': 'd',
                  'discount': 'd',
                  'discountcalctype': 'i',
                  'discountcalcrule': 'i'}],
 'itemtype': 'i',
 'status': 'i',
 'accesssource': 's',
 'paymentinfo': {'createagent': 's',
                 'createip': 's',
                 'createdate': 't',
                 'paytype': 's',
                 'paydate': 't',
                 'payamt': 'd',
                 'paycurrency': 's',
                 'paytranid': 's',
                 'paytrantype': 'i',
                 'payerid': 's',
                 'ispaid': 'b',
                 'creditcardnum': 's'},
 'insuranceinfo': [{'detail': {'source': 's',
                               'effectivedate': 't',
                               'expirationdate': 't',
                               'companyname': 's',
                               'companyid': 's',
                               'destinationid': 's',
                               'destinationdesc': 's',
                               'insuredpackageid': 's',
                               'InsuredPackageDesc': 's',
                               'PlanId': 's',
                               'plandesc': 's',
                               'extradata1': 's',
                               'extradata2': 's',
                               'extradata3': 's',
                               'extradata4': 's',
                               'extradata5': 's',
                               'quoteamt': 'd',
                               'quotecurrency': 's',
                               'discountedquoteamt': 'd',
                               'quotevaliduntildate': 't',
                               'status': 's',
                               'statusdesc': 's',
                               'transactionresponsedt': 't',
                               'planamt': 'd',
                               'PlanCurrency': 's',
                               'policynumber': 's',
                               'policystatus': 's',
                               'originalsubmittedpolicydate': 't',
                               'policyschedule': 's',
                               'orgamount': 'd',
                               'grantamt': 'd',
                               'discountcode': 's'},
                    'contact': [{'insuredpersonseqno': 'i',
                                 'phonetypecd': 's',
                                 'phoneareacode': 's',
                                 'phonenumber': 's',
                                 'email': 's'}],
                    'insuredpersons': [{'seqno': 'i',
                                        'surname': 's',
                                        'givenname': 's',
                                        'titleprefix': 's',
                                        'birthdate': 't',
                                        'idnumbertypecd': 's',
                                        'idnumber': 's',
                                        'persontype': 's'}]}],
 'farerouteing': [{'flightur': 's',
                   'accountid': 'i',
                   'flightpnr': 's',
                   'passenger': [{'prefix': 's',
                                  'lastname': 's',
                                  'middlename': 's',
                                  'firstname': 's',
                                  'agetype': 'i',
                                  'dateofbirth': 't',
                                  'gender': 's',
                                  'cardname': 's',
                                  'cardtype': 's',
                                  'cardnum': 's',
                                  'cardissueplace': 's',
                                  'cardexpired': 't',
                                  'nationality': 's',
                                  'telcountry': 's',
                                  'Phone': 's',
                                  'email': 's',
                                  'ssrtype': 's',
                                  'ssrfreetext': 's',
                                  'seatclaim': 's',
                                  'creditcardnumber': 's',
                                  'creditcardsupplycode': 's',
                                  'creaditcardoperateby': 's',
                                  'mealclaim': 's',
                                  'vMemberGuid': 's'}],
                   'source': 's',
                   'sessionid': 'i',
                   'data': 's',
                   'adultprice': 'd',
                   'adultmarkup': 'd',
                   'adultorgprice': 'd',
                   'adulttax': 'd',
                   'adultorgtax': 'd',
                   'childprice': 'd',
                   'childmarkup': 'd',
                   'childorgprice': 'd',
                   'childtax': 'd',
                   'childorgtax': 'd',
                   'pricetype': 'i',
                   'applytype': 'i',
                   'adulttaxtype': 'i',
                   'childtaxtype': 'i',
                   'adult': 'i',
                   'child': 'i',
                   'rule': {'refund': 's', 'endorse': 's', 'baggage': 's', 'other': 's'},
                   'fromsegments': [{'docno': 's',
                                     'flightgroup': 'i',
                                     'carriercode': 's',
                                     'flightnumber': 's',
                                     'depairportcode': 's',
                                     'deptime': 't',
                                     'arrairportcode': 's',
                                     'arrtime': 't',
                                     'stopcities': 's',
                                     'codeshare': 'b',
                                     'cabin': 's',
                                     'aircraftcode': 's',
                                     'bookingcodeinfo': 's',
                                     'isconnect': 'b',
                                     'cabinclasscode': 's',
                                     'farerulekey': 's',
                                     'airreminder': 's',
                                     'airtime': 's',
                                     'fareprice': 's',
                                     'marketairlinecode': 's',
                                     'operatorairlinecode': 's',
                                     'baggage': 's',
                                     'farebasis': 's',
                                     'depterminal': 's',
                                     'arrterminal': 's',
                                     'carriername': 's',
                                     'depairportname': 's',
                                     'arrairportname': 's',
                                     'cabinclassname': 's',
                                     'marketairlinename': 's',
                                     'operatorairlinename': 's',
                                     'stopcitiesname': 's',
                                     'depcity': 's',
                                     'arrcity': 's'}],
                   'retsegments': [{'docno': 's',
                                    'flightgroup': 'i',
                                    'carriercode': 's',
                                    'flightnumber': 's',
                                    'depairportcode': 's',
                                    'deptime': 't',
                                    'arrairportcode': 's',
                                    'arrtime': 't',
                                    'stopcities': 's',
                                    'codeshare': 'b',
                                    'cabin': 's',
                                    'aircraftcode': 's',
                                    'bookingcodeinfo': 's',
                                    'isconnect': 'b',
                                    'cabinclasscode': 's',
                                    'farerulekey': 's',
                                    'airreminder': 's',
                                    'airtime': 's',
                                    'fareprice': 's',
                                    'marketairlinecode': 's',
                                    'operatorairlinecode': 's',
                                    'baggage': 's',
                                    'farebasis': 's',
                                    'depterminal': 's',
                                    'arrterminal': 's',
                                    'carriername': 's',
                                    'depairportname': 's',
                                    'arrairportname': 's',
                                    'cabinclassname': 's',
                                    'marketairlinename': 's',
                                    'operatorairlinename': 's',
                                    'stopcitiesname': 's',
                                    'depcity': 's',
                                    'arrcity': 's'}],
                   'faretype': 'i',
                   'infant': 'i',
                   'infantprice': 'd',
                   'infantmarkup': 'd',
                   'infantorgprice': 'd',
                   'infanttax': 'd',
                   'infantorgtax': 'd',
                   'infanttaxtype': 'i',
                   'triptype': 'i',
                   'isautoticket': 'b',
                   'flightpricecalcs': [{'itemtype': 's',
                                         'adultprice': 'd',
                                         'adulttax': 'd',
                                         'childprice': 'd',
                                         'childtax': 'd',
                                         'infantprice': 'd',
                                         'infanttax': 'd',
                                         'remark': 's',
                                         'displayorder': 'i'}]}],
 'hotelroutine': [{'citycode': 's',
                   'city': 's',
                   'checkin': 't',
                   'checkout': 't',
                   'hotelcode': 's',
                   'hotelname': 's',
                   'country': 's',
                   'resort': 's',
                   'streetnumber': 's',
                   'address': 's',
                   'phone': 's',
                   'hotelpic': 's',
                   'longitude': 's',
                   'latitude': 's',
                   'email': 's',
                   'url': 's',
                   'currency': 's',
                   'orgtotal': 'd',
                   'markuptotal': 'd',
                   'addtotal': 'd',
                   'total': 'd',
                   'apisource': 's',
                   'apiacc': 's',
                   'prebookingtoken': 's',
                   'specrequest': 's',
                   'canceldeadline': 's',
                   'status': 's',
                   'bookingcode': 's',
                   'supplierbookingcode': 's',
                   'confirmcode': 's',
                   'checkininstructions': 's',
                   'specialcheckininstructions': 's',
                   'cancelinfos': [{'startdate': 's', 'enddate': 's', 'penalty': 'd'}],
                   'rooms': [{'roomtypeid': 's',
                              'roomtype': 's',
                              'roomid': 's',
                              'roomname': 's',
                              'adultcount': 'i',
                              'childcount': 'i',
                              'includebreakfast': 'i',
                              'breakfastname': 's',
                              'checkindate': 't',
                              'checkoutdate': 't',
                              'status': 's',
                              'bedtypeid': 's',
                              'bedtype': 's',
                              'roomguests': [{'lang': 's',
                                              'firstname': 's',
                                              'middlename': 's',
                                              'lastname': 's',
                                              'prefix': 's',
                                              'agetype': 'i',
                                              'age': 'i',
                                              'birthday': 't',
                                              'sex': 'i',
                                              'email': 's',
                                              'phonecode': 's',
                                              'phoneno': 's',
                                              'nation': 's',
                                              'cardtype': 'i',
                                              'cardno': 's',
                                              'cardplace': 's',
                                              'cardexpdate': 't',
                                              'isreal': 'b',
                                              'vMemberGuid': 's'}]}],
                   'roompernights': [{'roomid': 's', 'date': 't', 'rate': 'd', 'currency': 's'}],
                   'paycardid': 's',
                   'cancelpolicy': 's'}],
 'contactinfo': [{'docno': 's',
                  'prefix': 's',
                  'lastname': 's',
                  'middlename': 's',
                  'firstname': 's',
                  'address': 's',
                  'postcode': 's',
                  'email': 's',
                  'telcountry': 's',
                  'phone': 's',
                  'contacttype': 's',
                  'nationalitycode': 's'}],
 'integralnum': 'd',
 'integraldiscount': 'd',
 'extraamt': 'd',
 'docno': 's',
 'memberid': 'i',
 'companyid': 's',
 'createagent': 's',
 'createdate': 't',
 'createip': 's',
 'platform': 's',
 'currency': 's',
 'lang': 's',
 'isrecivemail': 'b',
 'invoiceparms': [{'parmname': 's', 'pramvalue': 's'}],
 'tourgrouproutine': [{'TourGroupFlights': [{'FlightNo': 's',
                                             'FromCity': 's',
                                             'ToCity': 's',
                                             'DepartureDate': 't',
                                             'ReturnDate': 't',
                                             'CreateDate': 't'}],
                       'TourGroupDetails': [{'AgeType': 'i',
                                             'Currency': 's',
                                             'OrginUnitPrice': 'd',
                                             'OrginDiscount': 'd',
                                             'MarkupPrice': 'd',
                                             'UnitPrice': 'd',
                                             'Number': 'i',
                                             'TotalPrice': 'd',
                                             'CreateDate': 't'}],
                       'TourGroupProducts': [{'Type': 'i',
                                              'ProductCode': 's',
                                              'ProductName': 's',
                                              'Quantity': 'i',
                                              'Price': 'd',
                                              'Discount': 'd',
                                              'SubTotal': 'd',
                                              'Remark': 's',
                                              'CreateDate': 't',
                                              'AgeType': 'i'}],
                       'TourGroupEmerContact': {'Prefix': 's',
                                                'LastName': 's',
                                                'MiddleName': 's',
                                                'FirstName': 's',
                                                'TelCountry': 's',
                                                'Tel': 's'},
                       'TourId': 's',
                       'TourCode': 's',
                       'TourItemCode': 's',
                       'TourItemName': 's',
                       'BranchId': 's',
                       'DepartureDate': 't',
                       'ReturnDate': 't',
                       'DueDate': 't',
                       'Currency': 's',
                       'OrginAmt': 'd',
                       'MarkupAmt': 'd',
                       'InsuranceAmt': 'd',
                       'AdditionalAmt': 'd',
                       'DiscountAmt': 'd',
                       'TotalAmt': 'd',
                       'DepositAmt': 'd',
                       'PaidAmt': 'd',
                       'HoldCode': 's',
                       'EventDiscountType': 'i',
                       'CreateDate': 't'}],
 'localtravelroutine': [{'totalAmt': 'd',
                         'localTravelDetails': [{'did': 's',
                                                 'seq': 'i',
                                                 'skuId': 's',
                                                 'skuName': 's',
                                                 'orgPrice': 'd',
                                                 'markupPrice': 'd',
                                                 'price': 'd',
                                                 'currency': 's',
                                                 'quantity': 'i'}],
                         'localTravelGroupInfos': [{'infoId': 's',
                                                    'infoType': 'i',
                                                    'seq': 'i',
                                                    'did': 's',
                                                    'didSeq': 'i',
                                                    'formSeq': 'i',
                                                    'formId': 's',
                                                    'formName': 's',
                                                    'value': 's',
                                                    'valueId': 's'}],
                         'seq': 'i',
                         'themeId': 's',
                         'themeName': 's',
                         'source': 'i',
                         'activeId': 's',
                         'planId': 's',
                         'planName': 's',
                         'depDate': 't',
                         'depDateTime': 's',
                         'currency': 's',
                         'deadLine': 't',
                         'islimitdate': 'b',
                         'deliverytype': 'i',
                         'cartId': 's'}],
 'localtraveldeliverys': [{'deliveryType': 'i',
                           'contactName': 's',
                           'phone': 's',
                           'areaid': 's',
                           'areaName': 's',
                           'regionid': 's',
                           'regionName': 's',
                           'address': 's',
                           'floorNumber': 's',
                           'houseNumber': 's',
                           'branchId': 's',
                           'branchname': 's'}],
 'wifibbroutine': [{'ProductId': 'i',
                    'Qty': 'i',
                    'CountryCode': 's',
                    'Country': 's',
                    'StartDate': 't',
                    'EndDate': 't',
                    'TrueDays': 'i',
                    'PayDays': 'i',
                    'DepositAmt': 'd',
                    'ProductTotal': 'd',
                    'OrgProductTotal': 'd',
                    'Status': 'i'}],
 'sugarAIRoutine': [{'productKey': 's',
                     'tripType': 'i',
                     'depAirport': 's',
                     'arrAirport': 's',
                     'depDate': 's',
                     'arrDate': 's',
                     'carrier': 's',
                     'flightNumber': 's',
                     'passengerReserves': [{'quoteNumber': 's',
                                            'orgBasePrice': 'd',
                                            'basePrice': 'd',
                                            'discount': 'd',
                                            'orgTax': 'd',
                                            'tax': 'd',
                                            'compensation': 'd',
                                            'reserveNumber': 's',
                                            'expireAt': 't',
                                            'firstName': 's',
                                            'lastName': 's',
                                            'email': 's'}]}],
 'logTrackGuid': 's',
 'noLowestReasonCode': 's',
 'noLowestReason': 's',
 'outScopeReason': 's'}

PATH = "/api/invoice/createorder"
HOOK_PATH = "/_orderproof/provider-states"
MAX_BODY = 30_000_000            # IIS request-filtering default (maxAllowedContentLength)
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
DECIMAL_LIMIT = Decimal(2 ** 96)  # .NET decimal: |x| < 2^96
ORDER_STATUS = {"create_order": 0, "wait_pay": 1, "pay_success": 2, "trade_close": 3, "trade_complete": 4}
COUNT_FIELDS = {"quantity", "qty", "number", "adult", "child", "infant", "adultcount", "childcount",
                "truedays", "paydays", "age"}
NON_NEGATIVE_TOP = {"integralnum", "integraldiscount"}
IDEMPOTENCY_TTL = 24 * 3600
HK_TZ = _dt.timezone(_dt.timedelta(hours=8))

# failure codes (code 100 is success, as the page states)
C_OK = 100
C_BODY = 901          # body empty / not JSON / not an object / bad form structure
C_FIELD = 902         # a field's value does not fit its documented type
C_MEMBER_MISSING = 903
C_MEMBER_UNKNOWN = 904
C_NEGATIVE = 905
C_DUPLICATE = 906     # the same field given twice
C_IDEM_KEY = 907      # unusable Idempotency-Key header
C_IDEM_MISMATCH = 908  # Idempotency-Key reused with another request
C_TOO_LARGE = 913
C_MEDIA = 915
C_METHOD = 940
C_INTERNAL = 999

# --------------------------------------------------------------------------------------------
# In-memory state
# --------------------------------------------------------------------------------------------
OPERATORS: dict[str, dict] = {}
MEMBERS: dict[int, dict] = {}        # memberid -> member
USERS: dict[str, int] = {}           # userId -> memberid
ORDERS: dict[str, dict] = {}         # orderno -> order
EVENTS: dict[int, dict] = {}
BETCARDS: dict[str, dict] = {}
IDEMPOTENCY: dict[str, dict] = {}    # key -> {fingerprint, status, body, media, at}

_member_seq = itertools.count(80000001)
_order_seq = itertools.count(1)
_docno_seq = itertools.count(1)
_event_seq = itertools.count(100001)
_market_seq = itertools.count(5001)
_bet_seq = itertools.count(101)


class Refusal(Exception):
    def __init__(self, http: int, code: int, message: str):
        super().__init__(message)
        self.http, self.code, self.message = http, code, message


class _DuplicateKey(ValueError):
    pass


def _no_dup_pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _bad_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _parse_int(s: str):
    # a literal too long for any .NET integer stays text, so the field check answers 'out of range'
    return int(s) if len(s) <= 40 else s


def _loads(text: str):
    return json.loads(text, parse_float=Decimal, parse_int=_parse_int, parse_constant=_bad_constant,
                      object_pairs_hook=_no_dup_pairs)


# --------------------------------------------------------------------------------------------
# Field validation / coercion
# --------------------------------------------------------------------------------------------
_INT_RE = re.compile(r"^[+-]?\d+$")
_DEC_RE = re.compile(r"^[+-]?(\d+(\.\d+)?|\.\d+)$")
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$")
_MSDATE_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def _fail(path: str, what: str):
    raise Refusal(400, C_FIELD, f"{path}: {what}")


def _int(v, path):
    if isinstance(v, bool):
        _fail(path, "expected an integer, got a boolean")
    if isinstance(v, int):
        n = v
    elif isinstance(v, str) and _INT_RE.match(v.strip()):
        if len(v.strip()) > 25:
            _fail(path, "integer out of range")
        n = int(v.strip())
    elif isinstance(v, Decimal):
        _fail(path, "expected an integer, got a number with a fraction or exponent")
    else:
        _fail(path, "expected an integer")
    if not INT64_MIN <= n <= INT64_MAX:
        _fail(path, "integer out of range")
    return n


def _dec(v, path):
    if isinstance(v, bool):
        _fail(path, "expected a decimal number, got a boolean")
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, Decimal):
        d = v
    elif isinstance(v, str) and _DEC_RE.match(v.strip()):
        d = Decimal(v.strip())
    else:
        _fail(path, "expected a decimal number")
    if not d.is_finite() or abs(d) >= DECIMAL_LIMIT:
        _fail(path, "decimal number out of range")
    return d


def _bool(v, path):
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "false", "1", "0"):
        return v.strip().lower() in ("true", "1")
    _fail(path, "expected a boolean (true or false)")


def _str(v, path):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        _fail(path, "expected a string, got a boolean")
    if isinstance(v, (int, Decimal)):
        return str(v)
    _fail(path, "expected a string")


def _date(v, path):
    if not isinstance(v, str):
        _fail(path, "expected a date as an ISO 8601 string")
    s = v.strip()
    m = _MSDATE_RE.match(s)
    if m:
        ms = int(m.group(1))
        tz = _dt.timezone.utc
        if m.group(2):
            sign = 1 if m.group(2)[0] == "+" else -1
            tz = _dt.timezone(sign * _dt.timedelta(hours=int(m.group(2)[1:3]), minutes=int(m.group(2)[3:5])))
        try:
            return (_dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
                    + _dt.timedelta(milliseconds=ms)).astimezone(tz).isoformat()
        except (OverflowError, ValueError):
            _fail(path, "date out of range")
    m = _ISO_RE.match(s)
    if not m:
        _fail(path, "expected a date in ISO 8601 (yyyy-MM-dd[THH:mm[:ss[.fffffff]]][Z|+hh:mm])")
    y, mo, d, hh, mi, ss, frac, off = m.groups()
    try:
        micro = int((frac or "0").ljust(7, "0")[:6])
        tz = None
        if off:
            if off == "Z":
                tz = _dt.timezone.utc
            else:
                sign = 1 if off[0] == "+" else -1
                digits = off[1:].replace(":", "")
                oh, om = int(digits[:2]), int(digits[2:4] or 0)
                if oh > 14 or om > 59 or (oh == 14 and om):
                    _fail(path, "offset out of range")
                tz = _dt.timezone(sign * _dt.timedelta(hours=oh, minutes=om))
        value = _dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro, tzinfo=tz)
    except ValueError:
        _fail(path, "not a real calendar date or time")
    del value  # validated; the client's text is kept as sent (7 fraction digits survive)
    return s


_SCALARS = {"i": _int, "d": _dec, "b": _bool, "s": _str, "t": _date}


def _lower_index(schema: dict) -> dict:
    return {k.lower(): k for k in schema}


_LOWER_CACHE: dict[int, dict] = {}


def validate(value, schema, path: str, form: bool):
    """Answer the value normalised to its documented type; None means 'not given'."""
    if value is None:
        return None
    if isinstance(schema, str):
        if value == "" and schema != "s":
            return None
        if isinstance(value, (dict, list)):
            _fail(path, "expected a single value, got an object or array")
        return _SCALARS[schema](value, path)
    if form and isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            value = _loads(value)
        except _DuplicateKey as e:
            raise Refusal(400, C_DUPLICATE, f"{path}: field '{e}' given twice")
        except (ValueError, RecursionError):
            _fail(path, "expected JSON text for a collection or object in a form field")
        if value is None:
            return None
    if isinstance(schema, list):
        if not isinstance(value, list):
            _fail(path, "expected a collection (JSON array)")
        out = []
        for i, item in enumerate(value):
            if item is None:
                _fail(f"{path}[{i}]", "null is not an item")
            out.append(validate(item, schema[0], f"{path}[{i}]", form))
        return out
    if not isinstance(value, dict):
        _fail(path, "expected an object")
    idx = _LOWER_CACHE.get(id(schema))
    if idx is None:
        idx = _LOWER_CACHE[id(schema)] = _lower_index(schema)
    out: dict = {}
    seen: dict = {}
    for key, item in value.items():
        canon = idx.get(str(key).lower())
        if canon is None:
            continue  # unknown fields are ignored
        sub = f"{path}.{canon}" if path else canon
        if canon in seen:
            raise Refusal(400, C_DUPLICATE, f"{sub}: field given twice ('{seen[canon]}' and '{key}')")
        seen[canon] = key
        if not path and canon == "status":
            norm = _order_status(item)
        else:
            norm = validate(item, schema[canon], sub, form)
        if norm is None:
            continue
        if canon.lower() in COUNT_FIELDS and isinstance(norm, int) and norm < 0:
            raise Refusal(400, C_NEGATIVE, f"{sub}: a count cannot be negative")
        out[canon] = norm
    return out


def _order_status(v):
    if v is None or v == "":
        return None
    if isinstance(v, str) and v.strip().lower() in ORDER_STATUS:
        return ORDER_STATUS[v.strip().lower()]
    n = _int(v, "status")
    if n not in ORDER_STATUS.values():
        _fail("status", "unknown OrderStatus (0 create_order .. 4 trade_complete)")
    return n


# --------------------------------------------------------------------------------------------
# Body reading
# --------------------------------------------------------------------------------------------
def _media(request: Request):
    raw = request.headers.get("content-type")
    if raw is None or not raw.strip():
        raise Refusal(415, C_MEDIA, "Content-Type is required: application/json, text/json or "
                                    "application/x-www-form-urlencoded")
    parts = [p.strip() for p in raw.split(";")]
    main = parts[0].lower()
    charset = None
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            if k.strip().lower() == "charset":
                charset = v.strip().strip('"').lower()
    if main not in ("application/json", "text/json", "application/x-www-form-urlencoded"):
        raise Refusal(415, C_MEDIA, f"unsupported media type '{main}': use application/json, "
                                    "text/json or application/x-www-form-urlencoded")
    if charset not in (None, "utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "unicode"):
        raise Refusal(415, C_MEDIA, f"unsupported charset '{charset}'")
    return main, charset


def _decode(body: bytes, charset) -> str:
    try:
        if charset in (None, "utf-8", "utf8"):
            return body.decode("utf-8-sig")
        if charset == "unicode":
            charset = "utf-16"
        return body.decode(charset)
    except UnicodeDecodeError:
        raise Refusal(400, C_BODY, "the body is not valid text in its charset")


_KEY_TOKEN = re.compile(r"\[([^\[\]]*)\]|\.([^.\[\]]+)")


def _form_path(key: str):
    m = re.match(r"^([^.\[\]]+)", key)
    if not m:
        raise Refusal(400, C_BODY, f"form key '{key}' is not understood")
    tokens = [m.group(1)]
    pos = m.end()
    while pos < len(key):
        t = _KEY_TOKEN.match(key, pos)
        if not t or (t.group(1) is not None and t.group(1) == ""):
            raise Refusal(400, C_BODY, f"form key '{key}' is not understood")
        tok = t.group(1) if t.group(1) is not None else t.group(2)
        tokens.append(int(tok) if tok.isdigit() else tok)
        pos = t.end()
    return tokens


_LEAF = object()


def _form_to_tree(text: str) -> dict:
    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
    root: dict = {}
    for key, value in pairs:
        tokens = _form_path(key)
        node = root
        for i, tok in enumerate(tokens):
            last = i == len(tokens) - 1
            if not isinstance(node, dict):
                raise Refusal(400, C_BODY, f"form key '{key}' mixes a value and nested fields")
            if last:
                if tok in node:
                    raise Refusal(400, C_DUPLICATE, f"form field '{key}' given twice")
                node[tok] = (_LEAF, value)
            else:
                child = node.get(tok)
                if child is None:
                    child = node[tok] = {}
                elif isinstance(child, tuple):
                    raise Refusal(400, C_BODY, f"form key '{key}' mixes a value and nested fields")
                node = child
    return _collapse(root, "")


def _collapse(node, path):
    if isinstance(node, tuple):
        return node[1]
    keys = list(node.keys())
    ints = [k for k in keys if isinstance(k, int)]
    if ints:
        if len(ints) != len(keys):
            raise Refusal(400, C_BODY, f"form field '{path}' mixes indices and names")
        if sorted(ints) != list(range(len(ints))):
            raise Refusal(400, C_BODY, f"form field '{path}' indices must run from 0 without gaps")
        return [_collapse(node[i], f"{path}[{i}]") for i in range(len(ints))]
    return {k: _collapse(v, f"{path}.{k}" if path else k) for k, v in node.items()}


def _negotiate(request: Request, req_media) -> str:
    accept = request.headers.get("accept", "")
    best = {}
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        mt = parts[0].lower()
        q = 1.0
        for p in parts[1:]:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if mt in ("application/json", "text/json"):
            best[mt] = max(best.get(mt, 0.0), q)
    aj, tj = best.get("application/json", 0.0), best.get("text/json", 0.0)
    if tj > aj:
        return "text/json"
    if aj > 0:
        return "application/json"
    return "text/json" if req_media == "text/json" else "application/json"


def _answer(status: int, body: dict, media: str, headers=None) -> Response:
    return Response(content=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    status_code=status, media_type=f"{media}; charset=utf-8", headers=headers)


def _refusal_body(code: int, message: str) -> dict:
    return {"data": None, "code": code, "message": message}


# --------------------------------------------------------------------------------------------
# App
# --------------------------------------------------------------------------------------------
app = FastAPI(title="travel-order", docs_url=None, redoc_url=None, openapi_url=None)


class _RouteCaseInsensitive:
    """ASP.NET routes match case-insensitively and tolerate a trailing slash."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http":
            p = scope.get("path", "")
            if p != PATH and p.rstrip("/").lower() == PATH:
                scope = dict(scope, path=PATH, raw_path=PATH.encode())
        await self.inner(scope, receive, send)


app.add_middleware(_RouteCaseInsensitive)


def _now_hk() -> _dt.datetime:
    return _dt.datetime.now(HK_TZ)


def _new_docno() -> str:
    return f"INV{_now_hk():%Y%m%d%H%M%S}{next(_docno_seq) % 10000:04d}"


def _new_orderno() -> str:
    return f"ORD{_now_hk():%Y%m%d}{next(_order_seq):07d}"


def _purge_idempotency():
    cutoff = time.time() - IDEMPOTENCY_TTL
    for k in [k for k, v in IDEMPOTENCY.items() if v["at"] < cutoff]:
        del IDEMPOTENCY[k]


@app.api_route(PATH, methods=["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
async def createorder_other_methods(request: Request):
    return _answer(405, _refusal_body(C_METHOD, f"method {request.method} not allowed; use POST"),
                   _negotiate(request, None), headers={"Allow": "POST"})


@app.post(PATH)
async def createorder(request: Request):
    media_out = _negotiate(request, None)
    try:
        return await _createorder(request)
    except Refusal as r:
        return _answer(r.http, _refusal_body(r.code, r.message), media_out)
    except Exception:  # noqa: BLE001 - an unexpected fault is answered, never leaked
        return _answer(500, _refusal_body(C_INTERNAL, "internal error; nothing was stored"), media_out)


async def _createorder(request: Request) -> Response:
    cl = request.headers.get("content-length")
    if cl and cl.isdigit() and int(cl) > MAX_BODY:
        raise Refusal(413, C_TOO_LARGE, f"body larger than {MAX_BODY} bytes")
    main, charset = _media(request)
    media_out = _negotiate(request, main)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Refusal(413, C_TOO_LARGE, f"body larger than {MAX_BODY} bytes")

    key = request.headers.get("idempotency-key")
    fingerprint = None
    if key is not None:
        key = key.strip()
        if not key or len(key) > 255:
            raise Refusal(400, C_IDEM_KEY, "Idempotency-Key must be 1 to 255 characters")
        _purge_idempotency()
        fingerprint = hashlib.sha256(main.encode() + b"\n" + body).hexdigest()
        saved = IDEMPOTENCY.get(key)
        if saved is not None:
            if saved["fingerprint"] != fingerprint:
                raise Refusal(422, C_IDEM_MISMATCH, "Idempotency-Key already used with a different request")
            return Response(content=saved["body"], status_code=saved["status"],
                            media_type=f"{saved['media']}; charset=utf-8",
                            headers={"Idempotent-Replayed": "true"})

    try:
        status, payload = _process(main, charset, body, request)
    except Refusal as r:
        status, payload = r.http, _refusal_body(r.code, r.message)
    resp = _answer(status, payload, media_out)
    if key is not None and status < 500:
        IDEMPOTENCY[key] = {"fingerprint": fingerprint, "status": status, "body": resp.body,
                            "media": media_out, "at": time.time()}
    return resp


def _process(main: str, charset, body: bytes, request: Request):
    text = _decode(body, charset)
    form = main == "application/x-www-form-urlencoded"
    if not text.strip():
        raise Refusal(400, C_BODY, "the request body is empty")
    if form:
        raw = _form_to_tree(text)
    else:
        try:
            raw = _loads(text)
        except _DuplicateKey as e:
            raise Refusal(400, C_DUPLICATE, f"field '{e}' given twice")
        except (ValueError, RecursionError):
            raise Refusal(400, C_BODY, "the body is not valid JSON")
        if not isinstance(raw, dict):
            raise Refusal(400, C_BODY, "the body must be a JSON object (CreateOrderRequest)")

    req = validate(raw, SCHEMA, "", form)

    for f in NON_NEGATIVE_TOP:
        if f in req and req[f] < 0:
            raise Refusal(400, C_NEGATIVE, f"{f}: cannot be negative")

    memberid = req.get("memberid")
    if memberid is None:
        raise Refusal(400, C_MEMBER_MISSING, "memberid is required")
    member = MEMBERS.get(memberid)
    if member is None:
        raise Refusal(422, C_MEMBER_UNKNOWN, f"member {memberid} not found")

    # localtravelroutine: the server's total (sum of price x quantity) is authoritative
    for routine in req.get("localtravelroutine", []):
        details = routine.get("localTravelDetails") or []
        if details and all("price" in d and "quantity" in d for d in details):
            computed = sum((d["price"] * d["quantity"] for d in details), Decimal(0))
            if "totalAmt" in routine:
                routine["client_totalAmt"] = routine["totalAmt"]
            routine["totalAmt"] = computed

    # ---- everything checked: store the order (nothing above stored anything) ----
    client_docno = req.get("docno")
    docno = client_docno if client_docno and client_docno.strip() else _new_docno()
    orderno = _new_orderno()
    order = {
        "docno": docno,
        "orderno": orderno,
        "memberid": memberid,
        "userId": member["userId"],
        "status": req.get("status", 0),
        "createdate": req.get("createdate") or _now_hk().isoformat(),
        "createip": req.get("createip") or (request.client.host if request.client else None),
        "received_at": _now_hk().isoformat(),
        "format": main,
        "request": req,
    }
    ORDERS[orderno] = order
    member["orders"].append(orderno)
    return 200, {"data": {"docno": docno, "orderno": orderno}, "code": C_OK, "message": "成功"}


# --------------------------------------------------------------------------------------------
# Provider-state hook (test deployments only; ORDERPROOF_HOOK=off disables it)
# --------------------------------------------------------------------------------------------
class HookError(Exception):
    pass


_DECSTR = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _p_dec(params, name, default):
    if name not in params:
        return Decimal(default)
    v = params[name]
    if isinstance(v, bool) or v is None:
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if isinstance(v, (int, Decimal)):
        d = Decimal(v)
    elif isinstance(v, str) and _DECSTR.match(v):
        d = Decimal(v)
    else:
        raise HookError(f"param '{name}' must be a decimal string like '1000.00'")
    if not d.is_finite():
        raise HookError(f"param '{name}' must be finite")
    return d


def _p_bool(params, name, default):
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return v


def _p_str(params, name, default=None, pattern=None, nullable=False):
    if name not in params:
        return default
    v = params[name]
    if v is None and nullable:
        return None
    if not isinstance(v, str):
        raise HookError(f"param '{name}' must be a string")
    if pattern and not re.match(pattern, v):
        raise HookError(f"param '{name}' does not match {pattern}")
    return v


def _p_int(params, name, default, lo, hi):
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise HookError(f"param '{name}' must be an integer from {lo} to {hi}")
    return v


def _money(d: Decimal) -> str:
    if d.as_tuple().exponent > -2:
        d = d.quantize(Decimal("0.01"))
    return f"{d:f}"


def _plain(d: Decimal) -> str:
    s = f"{d:f}"
    return s if "." in s else s + ".0"


def _operator_answer(op: dict) -> dict:
    return {k: op[k] for k in ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht")}


def _make_operator(params: dict) -> dict:
    name = _p_str(params, "name") or f"op-{secrets.token_hex(3)}"
    op = {
        "name": name,
        "secret": _p_str(params, "secret") or secrets.token_urlsafe(24),
        "timezone_offset": _p_str(params, "timezone_offset", "+02:00", r"^[+-][0-9]{2}:[0-9]{2}$"),
        "webhook_url": _p_str(params, "webhook_url", "http://127.0.0.1/webhook", nullable=True),
        "ext": _plain(_p_dec(params, "ext", "12.5")),
        "wht": _plain(_p_dec(params, "wht", "20.0")),
    }
    OPERATORS[name] = op
    return op


def _make_player(params: dict) -> dict:
    balance = _p_dec(params, "balance", "1000.00")
    currency = _p_str(params, "currency", "EUR", r"^[A-Z]{3}$")
    blocked = _p_bool(params, "blocked", False)
    min_stake = _p_dec(params, "min_stake", "0.10")
    max_stake = _p_dec(params, "max_stake", "500.00")
    _p_bool(params, "session_expired", False)
    _p_int(params, "session_expired_seconds_ago", 60, 1, 31536000)
    op_name = _p_str(params, "operator")
    if op_name is None:
        op = _make_operator({})
    else:
        op = OPERATORS.get(op_name) or _make_operator({"name": op_name})
    memberid = next(_member_seq)
    user_id = f"tm-{secrets.token_hex(4)}"
    MEMBERS[memberid] = {"userId": user_id, "memberid": memberid, "balance": balance, "currency": currency,
                         "blocked": blocked, "min_stake": min_stake, "max_stake": max_stake,
                         "operator": op["name"], "orders": []}
    USERS[user_id] = memberid
    return {"userId": user_id, "memberid": str(memberid), "balance": _money(balance), "currency": currency,
            "blocked": blocked, "operator": _operator_answer(op)}


def _make_event(params: dict) -> dict:
    started = _p_bool(params, "started", False)
    markets_in = params.get("markets", [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty array")
    markets = []
    for m in markets_in:
        if not isinstance(m, dict):
            raise HookError("each market must be an object")
        code = _p_str(m, "code")
        if code is None:
            raise HookError("each market needs a 'code'")
        allowed = _p_bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("a market's 'prices' must be a non-empty array")
        sels = []
        for i, _ in enumerate(prices):
            price = _p_dec({"price": prices[i]}, "price", "0")
            sels.append({"bet_id": next(_bet_seq), "name": str(i + 1), "decimal_price": _plain(price)})
        if len(sels) == 3:
            sels[1]["name"], sels[2]["name"] = "X", "2"
        markets.append({"market_id": next(_market_seq), "code": code, "allowed": allowed, "selections": sels})
    ev = {"event_id": next(_event_seq), "name": "Home v Away", "started": started, "markets": markets}
    EVENTS[ev["event_id"]] = ev
    return ev


def _make_betcard(params: dict) -> dict:
    n = _p_int(params, "events", 3, 1, 50)
    prize = _p_int(params, "prize", 1000000, 0, INT64_MAX)
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in bonus):
        raise HookError("param 'bonus_prizes' must be an array of non-negative integers (cents)")
    card = {"betcard_code": f"JP-{secrets.token_hex(2)}", "prize": prize, "bonus_prizes": bonus,
            "events": [_make_event({}) for _ in range(n)]}
    BETCARDS[card["betcard_code"]] = card
    return card


def _snapshot(params: dict) -> dict:
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' (a string) is required for 'a player snapshot'")
    memberid = USERS.get(user_id)
    if memberid is None:
        raise HookError(f"no player with userId '{user_id}'")
    m = MEMBERS[memberid]
    orders = []
    for no in m["orders"]:
        o = ORDERS[no]
        orders.append({"docno": o["docno"], "orderno": o["orderno"], "memberid": str(o["memberid"]),
                       "status": o["status"], "createdate": o["createdate"], "received_at": o["received_at"]})
    return {"userId": user_id, "balance": _money(m["balance"]), "currency": m["currency"], "travel_orders": orders}


def _teardown(state: str, params: dict) -> dict:
    if state == "a player exists":
        mid = None
        if isinstance(params.get("userId"), str):
            mid = USERS.get(params["userId"])
        elif "memberid" in params:
            try:
                mid = int(str(params["memberid"]))
            except ValueError:
                mid = None
        m = MEMBERS.pop(mid, None) if mid is not None else None
        if m:
            USERS.pop(m["userId"], None)
            for no in m["orders"]:
                ORDERS.pop(no, None)
    elif state == "an operator exists":
        if isinstance(params.get("name"), str):
            OPERATORS.pop(params["name"], None)
    elif state == "an event exists":
        if isinstance(params.get("event_id"), int):
            EVENTS.pop(params["event_id"], None)
    elif state == "a jackpot betcard exists":
        if isinstance(params.get("betcard_code"), str):
            BETCARDS.pop(params["betcard_code"], None)
    return {}


_STATES = {
    "an operator exists": lambda p: _operator_answer(_make_operator(p)),
    "a player exists": _make_player,
    "an event exists": _make_event,
    "a jackpot betcard exists": _make_betcard,
    "a player snapshot": _snapshot,
}


@app.post(HOOK_PATH)
async def provider_states(request: Request):
    if os.environ.get("ORDERPROOF_HOOK", "on").strip().lower() in ("off", "0", "false", "no"):
        return JSONResponse({}, status_code=404)
    try:
        body = await request.body()
        try:
            req = json.loads(body.decode("utf-8-sig") or "null", parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise HookError("the body must be a JSON object {state, params, action}")
        if not isinstance(req, dict):
            raise HookError("the body must be a JSON object {state, params, action}")
        state = req.get("state")
        if not isinstance(state, str):
            raise HookError("'state' (a string) is required")
        if state not in _STATES:
            raise HookError(f"unknown provider state '{state}'; known: {', '.join(_STATES)}")
        params = req.get("params")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise HookError("'params' must be an object")
        action = req.get("action", "setup")
        if action not in ("setup", "teardown"):
            raise HookError(f"unknown action '{action}'; use setup or teardown")
        if action == "teardown":
            return JSONResponse(_teardown(state, params))
        return JSONResponse(_STATES[state](params))
    except HookError as e:
        return JSONResponse({"error": str(e)}, status_code=400)
