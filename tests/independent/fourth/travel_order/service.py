"""travel-order: POST /api/invoice/createorder (创建订单), fourth independent implementation.

Single-file FastAPI service, state in memory. See DECISIONS.md for every open point.
The request schema below is transcribed mechanically from the help page's request sample:
"s" string, "i" integer, "d" decimal number, "b" boolean, "t" date, L(x) "Collection of x",
a dict a nested object. Wire names are kept exactly as the page spells them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response


def L(element):
    """'Collection of X' on the help page: a JSON array of X."""
    return ("L", element)


# --------------------------------------------------------------------------------------------
# Schema (from the request sample of the help page)
# --------------------------------------------------------------------------------------------
COUPONINFOS = {"coupontype": "i", "couponcode": "s", "couponsource": "i", "couponeventname": "s",
    "discountamount": "d", "discount": "d", "discountcalctype": "i", "discountcalcrule": "i"}
PAYMENTINFO = {"createagent": "s", "createip": "s", "createdate": "t", "paytype": "s", "paydate": "t",
    "payamt": "d", "paycurrency": "s", "paytranid": "s", "paytrantype": "i", "payerid": "s", "ispaid": "b",
    "creditcardnum": "s"}
DETAIL = {"source": "s", "effectivedate": "t", "expirationdate": "t", "companyname": "s", "companyid": "s",
    "destinationid": "s", "destinationdesc": "s", "insuredpackageid": "s", "InsuredPackageDesc": "s",
    "PlanId": "s", "plandesc": "s", "extradata1": "s", "extradata2": "s", "extradata3": "s",
    "extradata4": "s", "extradata5": "s", "quoteamt": "d", "quotecurrency": "s", "discountedquoteamt": "d",
    "quotevaliduntildate": "t", "status": "s", "statusdesc": "s", "transactionresponsedt": "t",
    "planamt": "d", "PlanCurrency": "s", "policynumber": "s", "policystatus": "s",
    "originalsubmittedpolicydate": "t", "policyschedule": "s", "orgamount": "d", "grantamt": "d",
    "discountcode": "s"}
CONTACT = {"insuredpersonseqno": "i", "phonetypecd": "s", "phoneareacode": "s", "phonenumber": "s",
    "email": "s"}
INSUREDPERSONS = {"seqno": "i", "surname": "s", "givenname": "s", "titleprefix": "s", "birthdate": "t",
    "idnumbertypecd": "s", "idnumber": "s", "persontype": "s"}
INSURANCEINFO = {"detail": DETAIL, "contact": L(CONTACT), "insuredpersons": L(INSUREDPERSONS)}
PASSENGER = {"prefix": "s", "lastname": "s", "middlename": "s", "firstname": "s", "agetype": "i",
    "dateofbirth": "t", "gender": "s", "cardname": "s", "cardtype": "s", "cardnum": "s",
    "cardissueplace": "s", "cardexpired": "t", "nationality": "s", "telcountry": "s", "Phone": "s",
    "email": "s", "ssrtype": "s", "ssrfreetext": "s", "seatclaim": "s", "creditcardnumber": "s",
    "creditcardsupplycode": "s", "creaditcardoperateby": "s", "mealclaim": "s", "vMemberGuid": "s"}
RULE = {"refund": "s", "endorse": "s", "baggage": "s", "other": "s"}
FROMSEGMENTS = {"docno": "s", "flightgroup": "i", "carriercode": "s", "flightnumber": "s",
    "depairportcode": "s", "deptime": "t", "arrairportcode": "s", "arrtime": "t", "stopcities": "s",
    "codeshare": "b", "cabin": "s", "aircraftcode": "s", "bookingcodeinfo": "s", "isconnect": "b",
    "cabinclasscode": "s", "farerulekey": "s", "airreminder": "s", "airtime": "s", "fareprice": "s",
    "marketairlinecode": "s", "operatorairlinecode": "s", "baggage": "s", "farebasis": "s",
    "depterminal": "s", "arrterminal": "s", "carriername": "s", "depairportname": "s",
    "arrairportname": "s", "cabinclassname": "s", "marketairlinename": "s", "operatorairlinename": "s",
    "stopcitiesname": "s", "depcity": "s", "arrcity": "s"}
FLIGHTPRICECALCS = {"itemtype": "s", "adultprice": "d", "adulttax": "d", "childprice": "d", "childtax": "d",
    "infantprice": "d", "infanttax": "d", "remark": "s", "displayorder": "i"}
FAREROUTEING = {"flightur": "s", "accountid": "i", "flightpnr": "s", "passenger": L(PASSENGER),
    "source": "s", "sessionid": "i", "data": "s", "adultprice": "d", "adultmarkup": "d",
    "adultorgprice": "d", "adulttax": "d", "adultorgtax": "d", "childprice": "d", "childmarkup": "d",
    "childorgprice": "d", "childtax": "d", "childorgtax": "d", "pricetype": "i", "applytype": "i",
    "adulttaxtype": "i", "childtaxtype": "i", "adult": "i", "child": "i", "rule": RULE,
    "fromsegments": L(FROMSEGMENTS), "retsegments": L(FROMSEGMENTS), "faretype": "i", "infant": "i",
    "infantprice": "d", "infantmarkup": "d", "infantorgprice": "d", "infanttax": "d", "infantorgtax": "d",
    "infanttaxtype": "i", "triptype": "i", "isautoticket": "b", "flightpricecalcs": L(FLIGHTPRICECALCS)}
CANCELINFOS = {"startdate": "s", "enddate": "s", "penalty": "d"}
ROOMGUESTS = {"lang": "s", "firstname": "s", "middlename": "s", "lastname": "s", "prefix": "s",
    "agetype": "i", "age": "i", "birthday": "t", "sex": "i", "email": "s", "phonecode": "s", "phoneno": "s",
    "nation": "s", "cardtype": "i", "cardno": "s", "cardplace": "s", "cardexpdate": "t", "isreal": "b",
    "vMemberGuid": "s"}
ROOMS = {"roomtypeid": "s", "roomtype": "s", "roomid": "s", "roomname": "s", "adultcount": "i",
    "childcount": "i", "includebreakfast": "i", "breakfastname": "s", "checkindate": "t",
    "checkoutdate": "t", "status": "s", "bedtypeid": "s", "bedtype": "s", "roomguests": L(ROOMGUESTS)}
ROOMPERNIGHTS = {"roomid": "s", "date": "t", "rate": "d", "currency": "s"}
HOTELROUTINE = {"citycode": "s", "city": "s", "checkin": "t", "checkout": "t", "hotelcode": "s",
    "hotelname": "s", "country": "s", "resort": "s", "streetnumber": "s", "address": "s", "phone": "s",
    "hotelpic": "s", "longitude": "s", "latitude": "s", "email": "s", "url": "s", "currency": "s",
    "orgtotal": "d", "markuptotal": "d", "addtotal": "d", "total": "d", "apisource": "s", "apiacc": "s",
    "prebookingtoken": "s", "specrequest": "s", "canceldeadline": "s", "status": "s", "bookingcode": "s",
    "supplierbookingcode": "s", "confirmcode": "s", "checkininstructions": "s",
    "specialcheckininstructions": "s", "cancelinfos": L(CANCELINFOS), "rooms": L(ROOMS),
    "roompernights": L(ROOMPERNIGHTS), "paycardid": "s", "cancelpolicy": "s"}
CONTACTINFO = {"docno": "s", "prefix": "s", "lastname": "s", "middlename": "s", "firstname": "s",
    "address": "s", "postcode": "s", "email": "s", "telcountry": "s", "phone": "s", "contacttype": "s",
    "nationalitycode": "s"}
INVOICEPARMS = {"parmname": "s", "pramvalue": "s"}
TOURGROUPFLIGHTS = {"FlightNo": "s", "FromCity": "s", "ToCity": "s", "DepartureDate": "t",
    "ReturnDate": "t", "CreateDate": "t"}
TOURGROUPDETAILS = {"AgeType": "i", "Currency": "s", "OrginUnitPrice": "d", "OrginDiscount": "d",
    "MarkupPrice": "d", "UnitPrice": "d", "Number": "i", "TotalPrice": "d", "CreateDate": "t"}
TOURGROUPPRODUCTS = {"Type": "i", "ProductCode": "s", "ProductName": "s", "Quantity": "i", "Price": "d",
    "Discount": "d", "SubTotal": "d", "Remark": "s", "CreateDate": "t", "AgeType": "i"}
TOURGROUPEMERCONTACT = {"Prefix": "s", "LastName": "s", "MiddleName": "s", "FirstName": "s",
    "TelCountry": "s", "Tel": "s"}
TOURGROUPROUTINE = {"TourGroupFlights": L(TOURGROUPFLIGHTS), "TourGroupDetails": L(TOURGROUPDETAILS),
    "TourGroupProducts": L(TOURGROUPPRODUCTS), "TourGroupEmerContact": TOURGROUPEMERCONTACT, "TourId": "s",
    "TourCode": "s", "TourItemCode": "s", "TourItemName": "s", "BranchId": "s", "DepartureDate": "t",
    "ReturnDate": "t", "DueDate": "t", "Currency": "s", "OrginAmt": "d", "MarkupAmt": "d",
    "InsuranceAmt": "d", "AdditionalAmt": "d", "DiscountAmt": "d", "TotalAmt": "d", "DepositAmt": "d",
    "PaidAmt": "d", "HoldCode": "s", "EventDiscountType": "i", "CreateDate": "t"}
LOCALTRAVELDETAILS = {"did": "s", "seq": "i", "skuId": "s", "skuName": "s", "orgPrice": "d",
    "markupPrice": "d", "price": "d", "currency": "s", "quantity": "i"}
LOCALTRAVELGROUPINFOS = {"infoId": "s", "infoType": "i", "seq": "i", "did": "s", "didSeq": "i",
    "formSeq": "i", "formId": "s", "formName": "s", "value": "s", "valueId": "s"}
LOCALTRAVELROUTINE = {"totalAmt": "d", "localTravelDetails": L(LOCALTRAVELDETAILS),
    "localTravelGroupInfos": L(LOCALTRAVELGROUPINFOS), "seq": "i", "themeId": "s", "themeName": "s",
    "source": "i", "activeId": "s", "planId": "s", "planName": "s", "depDate": "t", "depDateTime": "s",
    "currency": "s", "deadLine": "t", "islimitdate": "b", "deliverytype": "i", "cartId": "s"}
LOCALTRAVELDELIVERYS = {"deliveryType": "i", "contactName": "s", "phone": "s", "areaid": "s",
    "areaName": "s", "regionid": "s", "regionName": "s", "address": "s", "floorNumber": "s",
    "houseNumber": "s", "branchId": "s", "branchname": "s"}
WIFIBBROUTINE = {"ProductId": "i", "Qty": "i", "CountryCode": "s", "Country": "s", "StartDate": "t",
    "EndDate": "t", "TrueDays": "i", "PayDays": "i", "DepositAmt": "d", "ProductTotal": "d",
    "OrgProductTotal": "d", "Status": "i"}
PASSENGERRESERVES = {"quoteNumber": "s", "orgBasePrice": "d", "basePrice": "d", "discount": "d",
    "orgTax": "d", "tax": "d", "compensation": "d", "reserveNumber": "s", "expireAt": "t", "firstName": "s",
    "lastName": "s", "email": "s"}
SUGARAIROUTINE = {"productKey": "s", "tripType": "i", "depAirport": "s", "arrAirport": "s", "depDate": "s",
    "arrDate": "s", "carrier": "s", "flightNumber": "s", "passengerReserves": L(PASSENGERRESERVES)}
CREATE_ORDER_REQUEST = {"opersystem": "s", "channel": "s", "couponinfos": L(COUPONINFOS), "itemtype": "i",
    "status": "i", "accesssource": "s", "paymentinfo": PAYMENTINFO, "insuranceinfo": L(INSURANCEINFO),
    "farerouteing": L(FAREROUTEING), "hotelroutine": L(HOTELROUTINE), "contactinfo": L(CONTACTINFO),
    "integralnum": "d", "integraldiscount": "d", "extraamt": "d", "docno": "s", "memberid": "i",
    "companyid": "s", "createagent": "s", "createdate": "t", "createip": "s", "platform": "s",
    "currency": "s", "lang": "s", "isrecivemail": "b", "invoiceparms": L(INVOICEPARMS),
    "tourgrouproutine": L(TOURGROUPROUTINE), "localtravelroutine": L(LOCALTRAVELROUTINE),
    "localtraveldeliverys": L(LOCALTRAVELDELIVERYS), "wifibbroutine": L(WIFIBBROUTINE),
    "sugarAIRoutine": L(SUGARAIROUTINE), "logTrackGuid": "s", "noLowestReasonCode": "s",
    "noLowestReason": "s", "outScopeReason": "s"}

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------
ROUTE = "/api/invoice/createorder"
HOOK_ROUTE = "/_orderproof/provider-states"
MAX_BODY = 2 * 1024 * 1024                    # 2 MiB, HTTP 413 beyond
INT32 = (-(2 ** 31), 2 ** 31 - 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)
DEC_MAX = Decimal(2 ** 96 - 1)                # .NET System.Decimal magnitude limit
DEC_MAX_SCALE = 28                            # .NET System.Decimal scale limit
DOCNO_MAX = 50
HK = timezone(timedelta(hours=8))
IDEM_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?([Zz]|[+-]\d{2}:\d{2}))?$")
NUM_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
FORM_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d{1,6}\]|\.[A-Za-z_][A-Za-z0-9_]*)*)$")
FORM_TOKEN_RE = re.compile(r"\[(\d+)\]|\.([A-Za-z_][A-Za-z0-9_]*)")
ORDER_STATUSES = (0, 1, 2, 3, 4)  # create_order, wait_pay, pay_success, trade_close, trade_complete

# Result codes: 100 is success (the page: "100成功"); every failure is a negative number.
C_OK = 100
C_UNREADABLE = -1
C_UNKNOWN_FIELD = -2
C_BAD_VALUE = -3
C_NEGATIVE = -4
C_TOTAL = -5
C_NO_MEMBER = -6
C_BLOCKED = -7
C_DUP_DOCNO = -8
C_IDEM_KEY = -9
C_IDEM_REUSE = -10
C_MEDIA = -11
C_TOO_LARGE = -12
C_NOT_ACCEPTABLE = -13
C_METHOD = -14
C_INTERNAL = -99

MESSAGES = {
    C_OK: "訂單建立成功",
    C_UNREADABLE: "無法讀取請求內容",
    C_UNKNOWN_FIELD: "請求含有未定義的欄位",
    C_BAD_VALUE: "欄位值無效",
    C_NEGATIVE: "金額不可為負數",
    C_TOTAL: "當地享樂總額與明細不符",
    C_NO_MEMBER: "會員不存在",
    C_BLOCKED: "會員已停用",
    C_DUP_DOCNO: "單號重複,訂單已存在",
    C_IDEM_KEY: "Idempotency-Key 無效",
    C_IDEM_REUSE: "Idempotency-Key 已用於另一個請求",
    C_MEDIA: "不支援的內容類型",
    C_TOO_LARGE: "請求內容過大",
    C_NOT_ACCEPTABLE: "無法提供可接受的回應格式",
    C_METHOD: "不允許的方法",
    C_INTERNAL: "系統錯誤",
}

# --------------------------------------------------------------------------------------------
# State (module level, in memory)
# --------------------------------------------------------------------------------------------
MEMBERS: dict = {}       # memberid (int) -> {"userId", "balance", "currency", "blocked", "operator"}
USERS: dict = {}         # userId -> memberid
OPERATORS: dict = {}     # name -> operator answer
ORDERS: list = []        # every created order, oldest first
DOCNOS: dict = {}        # (memberid or None, docno) -> order
IDEMPOTENCY: dict = {}   # Idempotency-Key -> {"fingerprint", "status", "body", "media"}
SEQ = {"member": 2_000_000_000, "docno": 0, "operator": 0}


# --------------------------------------------------------------------------------------------
# Refusals and answers
# --------------------------------------------------------------------------------------------
class Refusal(Exception):
    def __init__(self, status, code, detail="", errors=None, data=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.data = data
        self.headers = headers or {}


EMPTY_DATA = {"docno": None, "orderno": None}


def envelope(status, code, media, data=None, detail="", errors=None, headers=None):
    message = MESSAGES[code] + (f": {detail}" if detail else "")
    body = {"data": dict(EMPTY_DATA) if data is None else data, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    hdrs = {"Cache-Control": "no-store", "Vary": "Accept"}
    hdrs.update(headers or {})
    return Response(raw, status_code=status, media_type=f"{media}; charset=utf-8", headers=hdrs)


def refusal_response(r: Refusal, media):
    return envelope(r.status, r.code, media, data=r.data, detail=r.detail, errors=r.errors,
                    headers=r.headers)


# --------------------------------------------------------------------------------------------
# Field validation (JSON values, or strings from a form)
# --------------------------------------------------------------------------------------------
_NAMES: dict = {}


def _names(spec):
    m = _NAMES.get(id(spec))
    if m is None:
        m = {k.lower(): k for k in spec}
        _NAMES[id(spec)] = m
    return m


def _join(path, name):
    return f"{path}.{name}" if path else name


def _valid_date(text):
    m = DATE_RE.match(text)
    if not m:
        return False
    y, mo, d, hh, mi, ss, _frac, off = m.groups()
    try:
        date(int(y), int(mo), int(d))
    except ValueError:
        return False
    if int(y) < 1:
        return False
    if hh is not None:
        if int(hh) > 23 or int(mi) > 59 or (ss is not None and int(ss) > 59):
            return False
        if off not in ("Z", "z"):
            oh, om = int(off[1:3]), int(off[4:6])
            if om > 59 or oh > 14 or (oh == 14 and om):
                return False
    return True


class Checker:
    """Walks a request against the schema; collects every problem (field path, code, reason)."""

    def __init__(self, form: bool):
        self.form = form
        self.errors: list = []

    def add(self, code, path, reason):
        self.errors.append({"field": path, "code": code, "reason": reason})

    def value(self, v, spec, path):
        if v is None:
            return None
        if isinstance(spec, dict):
            return self.obj(v, spec, path)
        if isinstance(spec, tuple):
            return self.coll(v, spec[1], path)
        return self.scalar(v, spec, path)

    def obj(self, v, spec, path):
        if not isinstance(v, dict):
            self.add(C_BAD_VALUE, path, "expected an object")
            return None
        names = _names(spec)
        out = {}
        for key, val in v.items():
            canon = names.get(key.lower()) if isinstance(key, str) else None
            if canon is None:
                self.add(C_UNKNOWN_FIELD, _join(path, str(key)), "no such field on this object")
                continue
            out[canon] = self.value(val, spec[canon], _join(path, canon))  # last casing wins
        return out

    def coll(self, v, element, path):
        if not isinstance(v, list):
            self.add(C_BAD_VALUE, path, "expected an array (Collection)")
            return None
        return [self.value(el, element, f"{path}[{i}]") for i, el in enumerate(v)]

    def _number(self, v, path, what):
        """A JSON number (int or Decimal), or in a form a numeric text; None when refused."""
        if self.form:
            if isinstance(v, str) and NUM_RE.match(v.strip()):
                try:
                    return Decimal(v.strip())
                except InvalidOperation:
                    pass
            self.add(C_BAD_VALUE, path, f"expected {what}")
            return None
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            self.add(C_BAD_VALUE, path, f"expected {what} as a JSON number")
            return None
        return Decimal(v) if isinstance(v, int) else v

    def scalar(self, v, kind, path):
        if kind == "s":
            if isinstance(v, str):
                return v
            self.add(C_BAD_VALUE, path, "expected a string")
            return None
        if kind == "b":
            if self.form and isinstance(v, str) and v.strip().lower() in ("true", "false"):
                return v.strip().lower() == "true"
            if isinstance(v, bool):
                return v
            self.add(C_BAD_VALUE, path, "expected true or false")
            return None
        if kind == "t":
            if isinstance(v, str) and _valid_date(v):
                return v
            self.add(C_BAD_VALUE, path,
                     "expected a date (yyyy-MM-dd, or yyyy-MM-ddTHH:mm[:ss[.fffffff]] with Z or ±hh:mm)")
            return None
        if kind == "i":
            d = self._number(v, path, "an integer")
            if d is None:
                return None
            lo, hi = INT64 if path == "memberid" else INT32
            if not d.is_finite() or d != d.to_integral_value():
                self.add(C_BAD_VALUE, path, "expected an integer")
                return None
            if d < lo or d > hi:
                self.add(C_BAD_VALUE, path, f"integer out of range [{lo}, {hi}]")
                return None
            return int(d)
        if kind == "d":
            d = self._number(v, path, "a decimal number")
            if d is None:
                return None
            if not d.is_finite() or abs(d) > DEC_MAX:
                self.add(C_BAD_VALUE, path, "decimal number out of range")
                return None
            if d != 0 and -d.normalize().as_tuple().exponent > DEC_MAX_SCALE:
                self.add(C_BAD_VALUE, path, f"more than {DEC_MAX_SCALE} decimal places")
                return None
            if d < 0:
                self.add(C_NEGATIVE, path, "amounts are not negative")
                return None
            return d
        raise AssertionError(kind)


# --------------------------------------------------------------------------------------------
# Body reading
# --------------------------------------------------------------------------------------------
def _reject_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refusal(400, C_UNREADABLE, "body is not UTF-8")
    if not text.strip():
        raise Refusal(400, C_UNREADABLE, "empty body")
    try:
        obj = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise Refusal(400, C_UNREADABLE, "JSON nested too deeply")
    except ValueError as exc:
        raise Refusal(400, C_UNREADABLE, f"malformed JSON ({exc})")
    if not isinstance(obj, dict):
        raise Refusal(400, C_UNREADABLE, "the body must be a JSON object (CreateOrderRequest)")
    return obj


class _Idx(dict):
    """Form container addressed by [n] indices; becomes a list."""


def _form_tree_to_value(node):
    if isinstance(node, _Idx):
        return [_form_tree_to_value(node[i]) for i in sorted(node)]
    if isinstance(node, dict):
        return {k: _form_tree_to_value(v) for k, v in node.items()}
    return node


def parse_form(raw: bytes):
    try:
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Refusal(400, C_UNREADABLE, "form body is not UTF-8 url-encoded text")
    if not pairs:
        raise Refusal(400, C_UNREADABLE, "empty body")
    root: dict = {}
    seen = set()
    for key, value in pairs:
        if key in seen:          # a repeated key: the first value is bound
            continue
        seen.add(key)
        if value == "":          # an empty form value: not given
            continue
        m = FORM_KEY_RE.match(key)
        if not m:
            raise Refusal(400, C_UNREADABLE, f"form key not understood: {key!r}")
        tokens = [m.group(1)]
        for t in FORM_TOKEN_RE.finditer(m.group(2)):
            tokens.append(int(t.group(1)) if t.group(1) is not None else t.group(2))
        node = root
        for tok, nxt in zip(tokens, tokens[1:]):
            want = _Idx if isinstance(nxt, int) else dict
            child = node.get(tok)
            if child is None:
                child = want()
                node[tok] = child
            elif type(child) is not want:
                raise Refusal(400, C_UNREADABLE, f"form key conflicts with another: {key!r}")
            node = child
        if tokens[-1] in node:
            raise Refusal(400, C_UNREADABLE, f"form key conflicts with another: {key!r}")
        node[tokens[-1]] = value
    return _form_tree_to_value(root)


def negotiate(accept):
    """application/json or text/json for an Accept header; None when neither is acceptable."""
    if accept is None or not accept.strip():
        return "application/json"
    ranges = []
    for part in accept.split(","):
        pieces = part.split(";")
        mt = pieces[0].strip().lower()
        if not mt:
            continue
        q = 1.0
        for p in pieces[1:]:
            k, _, val = p.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = min(max(float(val.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        ranges.append((mt, q))
    if not ranges:
        return "application/json"

    def q_for(candidate):
        major = candidate.split("/")[0]
        best = None
        for mt, q in ranges:
            spec = 3 if mt == candidate else 2 if mt == major + "/*" else 1 if mt == "*/*" else 0
            if spec and (best is None or spec > best[0]):
                best = (spec, q)
        return best[1] if best else 0.0

    qa, qt = q_for("application/json"), q_for("text/json")
    if qa <= 0 and qt <= 0:
        return None
    return "text/json" if qt > qa else "application/json"


def body_kind(content_type, raw):
    if content_type is None or not content_type.strip():
        head = raw.lstrip()[:1]
        return "json" if head in (b"", b"{", b"[", b'"') or head.isdigit() else "form"
    mt, *params = [p.strip() for p in content_type.split(";")]
    mt = mt.lower()
    for p in params:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise Refusal(415, C_MEDIA, f"charset {v.strip()} (UTF-8 only)")
    if mt in ("application/json", "text/json"):
        return "json"
    if mt == "application/x-www-form-urlencoded":
        return "form"
    raise Refusal(415, C_MEDIA, f"{mt} (accepted: application/json, text/json, "
                                "application/x-www-form-urlencoded)")


# --------------------------------------------------------------------------------------------
# The order call
# --------------------------------------------------------------------------------------------
def _now_text():
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0+00:00"


def _new_docno(scope):
    while True:
        SEQ["docno"] += 1
        candidate = datetime.now(HK).strftime("%y%m%d") + f"{SEQ['docno']:07d}"
        if (scope, candidate) not in DOCNOS:
            return candidate


def _first_error(errors):
    head = errors[0]
    return Refusal(422, head["code"], f"{head['field']}: {head['reason']}", errors=errors[:50])


def check_member(body, form):
    raw = None
    for k, v in body.items():
        if isinstance(k, str) and k.lower() == "memberid":
            raw = v
    chk = Checker(form)
    mid = chk.value(raw, "i", "memberid")
    if chk.errors:
        raise _first_error(chk.errors)
    if mid is None or mid == 0:
        return None                      # a guest order (memberid not given, .NET default 0)
    member = MEMBERS.get(mid)
    if member is None:
        raise Refusal(403, C_NO_MEMBER, f"memberid {mid}")
    if member["blocked"]:
        raise Refusal(403, C_BLOCKED, f"memberid {mid}")
    return mid


def create_order(body, form):
    mid = check_member(body, form)
    chk = Checker(form)
    req = chk.obj(body, CREATE_ORDER_REQUEST, "")
    if req is not None:
        st = req.get("status")
        if st is not None and st not in ORDER_STATUSES:
            chk.add(C_BAD_VALUE, "status", "OrderStatus is 0-4 (create_order .. trade_complete)")
        dn = req.get("docno")
        if isinstance(dn, str) and len(dn) > DOCNO_MAX:
            chk.add(C_BAD_VALUE, "docno", f"at most {DOCNO_MAX} characters")
    if chk.errors:
        raise _first_error(chk.errors)

    # localtravelroutine[].totalAmt = sum of price x quantity over its details (the sample: 126)
    import decimal as _decimal
    with _decimal.localcontext() as ctx:
        ctx.prec = 200
        for i, r in enumerate(req.get("localtravelroutine") or []):
            if r is None:
                continue
            details = r.get("localTravelDetails") or []
            if not details or any(d is None or d.get("price") is None or d.get("quantity") is None
                                  for d in details):
                continue
            total = sum((d["price"] * d["quantity"] for d in details), Decimal(0))
            if r.get("totalAmt") is None:
                r["totalAmt"] = total
            elif r["totalAmt"] != total:
                raise Refusal(422, C_TOTAL,
                              f"localtravelroutine[{i}].totalAmt {r['totalAmt']} != {total}",
                              errors=[{"field": f"localtravelroutine[{i}].totalAmt",
                                       "code": C_TOTAL, "reason": f"expected {total}"}])

    dn = req.get("docno")
    client_docno = dn if isinstance(dn, str) and dn.strip() else None
    if client_docno is not None and (mid, client_docno) in DOCNOS:
        existing = DOCNOS[(mid, client_docno)]
        raise Refusal(409, C_DUP_DOCNO, f"docno {client_docno}",
                      data={"docno": existing["docno"], "orderno": existing["orderno"]})

    docno = client_docno if client_docno is not None else _new_docno(mid)
    order = {
        "docno": docno,
        "orderno": str(uuid.uuid4()),
        "memberid": mid,
        "status": req.get("status") if req.get("status") is not None else 0,
        "createdate": req.get("createdate") or _now_text(),
        "received_at": _now_text(),
        "request": req,
    }
    ORDERS.append(order)
    DOCNOS[(mid, docno)] = order
    return order


app = FastAPI(title="travel-order (createorder)", docs_url=None, redoc_url=None, openapi_url=None)
app.router.redirect_slashes = False


@app.post(ROUTE)
async def createorder(request: Request):
    media = negotiate(request.headers.get("accept"))
    if media is None:
        return envelope(406, C_NOT_ACCEPTABLE, "application/json",
                        detail="application/json or text/json only")
    try:
        length = request.headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > MAX_BODY:
            raise Refusal(413, C_TOO_LARGE, f"at most {MAX_BODY} bytes")
        raw = await request.body()
        kind = body_kind(request.headers.get("content-type"), raw)
        if len(raw) > MAX_BODY:
            raise Refusal(413, C_TOO_LARGE, f"at most {MAX_BODY} bytes")
        key = request.headers.get("idempotency-key")
        if key is not None and not IDEM_KEY_RE.match(key):
            raise Refusal(400, C_IDEM_KEY, "1-255 visible ASCII characters")
    except Refusal as r:
        return refusal_response(r, media)

    fingerprint = None
    if key is not None:
        fingerprint = hashlib.sha256(kind.encode() + b"\n" + raw).hexdigest()
        saved = IDEMPOTENCY.get(key)
        if saved is not None:
            if saved["fingerprint"] != fingerprint:
                return envelope(422, C_IDEM_REUSE, media, detail=key)
            return Response(saved["body"], status_code=saved["status"], media_type=saved["media"],
                            headers={"Cache-Control": "no-store", "Vary": "Accept"})

    try:
        body = parse_json(raw) if kind == "json" else parse_form(raw)
        order = create_order(body, kind == "form")
        resp = envelope(201, C_OK, media, data={"docno": order["docno"], "orderno": order["orderno"],
                                                 "createdate": order["createdate"]})
    except Refusal as r:
        resp = refusal_response(r, media)
    except Exception as exc:  # nothing was stored: create_order writes only at its very end
        return envelope(500, C_INTERNAL, media, detail=type(exc).__name__)
    if key is not None:
        IDEMPOTENCY[key] = {"fingerprint": fingerprint, "status": resp.status_code,
                            "body": resp.body, "media": resp.headers["content-type"]}
    return resp


@app.options(ROUTE)
async def createorder_options():
    return Response(status_code=204, headers={"Allow": "POST, OPTIONS"})


@app.api_route(ROUTE, methods=["GET", "HEAD", "PUT", "PATCH", "DELETE"])
async def createorder_other(request: Request):
    return envelope(405, C_METHOD, negotiate(request.headers.get("accept")) or "application/json",
                    detail=request.method, headers={"Allow": "POST, OPTIONS"})


class _CaseInsensitiveRoute:
    """ASP.NET routes ignore case: /API/Invoice/CreateOrder reaches the same action."""

    def __init__(self, asgi):
        self.asgi = asgi

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] != ROUTE and scope["path"].lower() == ROUTE:
            scope = dict(scope)
            scope["path"] = ROUTE
            scope["raw_path"] = ROUTE.encode()
        await self.asgi(scope, receive, send)


app.add_middleware(_CaseInsensitiveRoute)


# --------------------------------------------------------------------------------------------
# Provider-state hook (test deployments only; TRAVEL_ORDER_HOOK=off makes it answer 404)
# --------------------------------------------------------------------------------------------
HOOK_ENABLED = os.environ.get("TRAVEL_ORDER_HOOK", "on").strip().lower() not in ("0", "off", "false", "no")
KNOWN_STATES = ("an operator exists", "a player exists", "an event exists",
                "a jackpot betcard exists", "a player snapshot")
DEC_STR_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
OFFSET_RE = re.compile(r"^[+-][0-9]{2}:[0-9]{2}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class HookError(Exception):
    pass


def _hook_error(msg):
    return JSONResponse({"error": msg}, status_code=400)


def _p_decimal(params, name, default):
    v = params.get(name, default)
    if isinstance(v, str) and DEC_STR_RE.match(v):
        return Decimal(v)
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool) and Decimal(v).is_finite():
        return Decimal(v)
    raise HookError(f"param {name!r} must be a decimal string or number")


def _p_str(params, name, default=None, pattern=None, nullable=False):
    v = params.get(name, default)
    if v is None and (nullable or default is None):
        return v
    if not isinstance(v, str) or (pattern is not None and not pattern.match(v)):
        raise HookError(f"param {name!r} must be a string" + (f" matching {pattern.pattern}" if pattern else ""))
    return v


def _p_bool(params, name, default):
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param {name!r} must be a boolean")
    return v


def _only(params, allowed, state):
    extra = sorted(set(params) - set(allowed))
    if extra:
        raise HookError(f"unknown param(s) {extra} for state {state!r}; accepted: {sorted(allowed)}")


def _money(d: Decimal) -> str:
    return format(d.quantize(Decimal("0.01")) if d.as_tuple().exponent > -2 else d, "f")


def setup_operator(params):
    _only(params, ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"), "an operator exists")
    name = _p_str(params, "name")
    if name is None:
        SEQ["operator"] += 1
        name = f"tvl-op-{SEQ['operator']:04d}-{uuid.uuid4().hex[:6]}"
    secret = _p_str(params, "secret")
    if secret is None:
        secret = uuid.uuid4().hex
    answer = {
        "name": name,
        "secret": secret,
        "timezone_offset": _p_str(params, "timezone_offset", "+02:00", OFFSET_RE),
        "webhook_url": _p_str(params, "webhook_url", "http://127.0.0.1/webhook", nullable=True),
        "ext": format(_p_decimal(params, "ext", "12.5"), "f"),
        "wht": format(_p_decimal(params, "wht", "20.0"), "f"),
    }
    OPERATORS[name] = answer
    return answer


def setup_player(params):
    _only(params, ("balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
                   "session_expired_seconds_ago", "operator"), "a player exists")
    balance = _p_decimal(params, "balance", "1000.00")
    currency = _p_str(params, "currency", "EUR", CURRENCY_RE)
    blocked = _p_bool(params, "blocked", False)
    _p_decimal(params, "min_stake", "0.10")
    _p_decimal(params, "max_stake", "500.00")
    _p_bool(params, "session_expired", False)
    secs = params.get("session_expired_seconds_ago", 60)
    if isinstance(secs, bool) or not isinstance(secs, int) or not 1 <= secs <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1-31536000")
    operator = _p_str(params, "operator")
    SEQ["member"] += 1
    mid = SEQ["member"]
    user_id = str(mid)
    MEMBERS[mid] = {"userId": user_id, "balance": balance, "currency": currency,
                    "blocked": blocked, "operator": operator}
    USERS[user_id] = mid
    return {"memberid": str(mid), "userId": user_id}


def snapshot(params):
    _only(params, ("userId",), "a player snapshot")
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' (a string) is required for 'a player snapshot'")
    mid = USERS.get(user_id)
    if mid is None:
        raise HookError(f"no player with userId {user_id!r}")
    m = MEMBERS[mid]
    return {
        "userId": user_id,
        "balance": _money(m["balance"]),
        "currency": m["currency"],
        "travel_orders": [{"docno": o["docno"], "orderno": o["orderno"], "status": o["status"],
                           "createdate": o["createdate"]}
                          for o in ORDERS if o["memberid"] == mid],
        "ledger": [],
    }


def teardown(state, params):
    if state == "a player exists":
        mid = None
        if isinstance(params.get("userId"), str):
            mid = USERS.get(params["userId"])
        elif params.get("memberid") is not None:
            try:
                mid = int(str(params["memberid"]))
            except ValueError:
                mid = None
        if mid in MEMBERS:
            USERS.pop(MEMBERS.pop(mid)["userId"], None)
            ORDERS[:] = [o for o in ORDERS if o["memberid"] != mid]
            for k in [k for k in DOCNOS if k[0] == mid]:
                del DOCNOS[k]
    elif state == "an operator exists" and isinstance(params.get("name"), str):
        OPERATORS.pop(params["name"], None)
    return {}


@app.post(HOOK_ROUTE)
async def provider_states(request: Request):
    if not HOOK_ENABLED:
        return Response(status_code=404)
    raw = await request.body()
    try:
        body = json.loads(raw.decode("utf-8-sig") or "null", parse_float=Decimal,
                          parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _hook_error("the body must be JSON: {\"state\": ..., \"params\": {...}, \"action\": ...}")
    if not isinstance(body, dict):
        return _hook_error("the body must be a JSON object with 'state'")
    state = body.get("state")
    action = body.get("action") or "setup"
    params = body.get("params")
    params = {} if params is None else params
    if action not in ("setup", "teardown"):
        return _hook_error(f"bad action {action!r}; accepted: 'setup', 'teardown'")
    if not isinstance(state, str) or state not in KNOWN_STATES:
        return _hook_error(f"unknown provider state {state!r}; accepted: {list(KNOWN_STATES)}")
    if not isinstance(params, dict):
        return _hook_error("'params' must be a JSON object")
    try:
        if action == "teardown":
            return JSONResponse(teardown(state, params))
        if state == "an operator exists":
            return JSONResponse(setup_operator(params))
        if state == "a player exists":
            return JSONResponse(setup_player(params))
        if state == "a player snapshot":
            return JSONResponse(snapshot(params))
        return _hook_error(f"provider state {state!r} is not served by this travel-order target "
                           "(it keeps no events or betcards); served: 'an operator exists', "
                           "'a player exists', 'a player snapshot'")
    except HookError as exc:
        return _hook_error(str(exc))
