"""travel-order: POST api/invoice/createorder (创建订单), an independent implementation.

Written from the API help page alone (seed 002). The decisions taken where the page is silent
are listed in DECISIONS.md next to this file. State lives in memory for the process lifetime.

Answer envelope (the page's ReturnResultOfCreateOrderResponse):
    {"data": {"docno": str, "orderno": str} | null, "code": int, "message": str}
code 100 means success ("状态码:100成功"); every other code is a custom failure ("其他自定义").
"""
from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

ORDER_PATH = "/api/invoice/createorder"
HOOK_PATH = "/_orderproof/provider-states"
MAX_BODY = 4 * 1024 * 1024  # ASP.NET's default maxRequestLength (4 MB)
HK = timezone(timedelta(hours=8))

# --- result codes (100 success; the rest are this service's own) -------------------------------
OK = 100
E_UNREADABLE = 101      # body empty / not JSON / not an object / bad form structure
E_INVALID = 102         # a field has a value its documented type cannot hold
E_NO_MEMBER_ID = 103    # memberid missing (or null)
E_MEMBER_UNKNOWN = 104  # no such member
E_MEMBER_BLOCKED = 105  # member exists but is blocked
E_TOTAL_MISMATCH = 106  # localtravelroutine[].totalAmt is not the sum of its details
E_MEDIA_TYPE = 107      # Content-Type is not one the page lists
E_TOO_LARGE = 108       # body over 4 MB
E_METHOD = 109          # method other than POST
E_INTERNAL = 199        # unexpected failure (HTTP 500)

INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
DEC_MAX = Decimal("79228162514264337593543950335")  # .NET decimal range

# OrderStatus, as its member names are known (create_order .. trade_complete = 0..4).
ORDER_STATUS_NAMES = ["create_order", "wait_pay", "pay_success", "trade_close", "trade_complete"]

# The request's shape, transcribed from the page's request sample (wire names exactly as written,
# matched case-sensitively). 'str' string, 'int' integer, 'dec' decimal number, 'bool' boolean,
# 'date' date; [X] is a collection of X; a dict is a nested object.
REQUEST_SCHEMA = {'opersystem': 'str',
 'channel': 'str',
 'couponinfos': [{'coupontype': 'int',
                  'couponcode': 'str',
                  'couponsource': 'int',
                  'couponeventname': 'str',
                  'discountamount': 'dec',
                  'discount': 'dec',
                  'discountcalctype': 'int',
                  'discountcalcrule': 'int'}],
 'itemtype': 'int',
 'status': 'int',
 'accesssource': 'str',
 'paymentinfo': {'createagent': 'str',
                 'createip': 'str',
                 'createdate': 'date',
                 'paytype': 'str',
                 'paydate': 'date',
                 'payamt': 'dec',
                 'paycurrency': 'str',
                 'paytranid': 'str',
                 'paytrantype': 'int',
                 'payerid': 'str',
                 'ispaid': 'bool',
                 'creditcardnum': 'str'},
 'insuranceinfo': [{'detail': {'source': 'str',
                               'effectivedate': 'date',
                               'expirationdate': 'date',
                               'companyname': 'str',
                               'companyid': 'str',
                               'destinationid': 'str',
                               'destinationdesc': 'str',
                               'insuredpackageid': 'str',
                               'InsuredPackageDesc': 'str',
                               'PlanId': 'str',
                               'plandesc': 'str',
                               'extradata1': 'str',
                               'extradata2': 'str',
                               'extradata3': 'str',
                               'extradata4': 'str',
                               'extradata5': 'str',
                               'quoteamt': 'dec',
                               'quotecurrency': 'str',
                               'discountedquoteamt': 'dec',
                               'quotevaliduntildate': 'date',
                               'status': 'str',
                               'statusdesc': 'str',
                               'transactionresponsedt': 'date',
                               'planamt': 'dec',
                               'PlanCurrency': 'str',
                               'policynumber': 'str',
                               'policystatus': 'str',
                               'originalsubmittedpolicydate': 'date',
                               'policyschedule': 'str',
                               'orgamount': 'dec',
                               'grantamt': 'dec',
                               'discountcode': 'str'},
                    'contact': [{'insuredpersonseqno': 'int',
                                 'phonetypecd': 'str',
                                 'phoneareacode': 'str',
                                 'phonenumber': 'str',
                                 'email': 'str'}],
                    'insuredpersons': [{'seqno': 'int',
                                        'surname': 'str',
                                        'givenname': 'str',
                                        'titleprefix': 'str',
                                        'birthdate': 'date',
                                        'idnumbertypecd': 'str',
                                        'idnumber': 'str',
                                        'persontype': 'str'}]}],
 'farerouteing': [{'flightur': 'str',
                   'accountid': 'int',
                   'flightpnr': 'str',
                   'passenger': [{'prefix': 'str',
                                  'lastname': 'str',
                                  'middlename': 'str',
                                  'firstname': 'str',
                                  'agetype': 'int',
                                  'dateofbirth': 'date',
                                  'gender': 'str',
                                  'cardname': 'str',
                                  'cardtype': 'str',
                                  'cardnum': 'str',
                                  'cardissueplace': 'str',
                                  'cardexpired': 'date',
                                  'nationality': 'str',
                                  'telcountry': 'str',
                                  'Phone': 'str',
                                  'email': 'str',
                                  'ssrtype': 'str',
                                  'ssrfreetext': 'str',
                                  'seatclaim': 'str',
                                  'creditcardnumber': 'str',
                                  'creditcardsupplycode': 'str',
                                  'creaditcardoperateby': 'str',
                                  'mealclaim': 'str',
                                  'vMemberGuid': 'str'}],
                   'source': 'str',
                   'sessionid': 'int',
                   'data': 'str',
                   'adultprice': 'dec',
                   'adultmarkup': 'dec',
                   'adultorgprice': 'dec',
                   'adulttax': 'dec',
                   'adultorgtax': 'dec',
                   'childprice': 'dec',
                   'childmarkup': 'dec',
                   'childorgprice': 'dec',
                   'childtax': 'dec',
                   'childorgtax': 'dec',
                   'pricetype': 'int',
                   'applytype': 'int',
                   'adulttaxtype': 'int',
                   'childtaxtype': 'int',
                   'adult': 'int',
                   'child': 'int',
                   'rule': {'refund': 'str', 'endorse': 'str', 'baggage': 'str', 'other': 'str'},
                   'fromsegments': [{'docno': 'str',
                                     'flightgroup': 'int',
                                     'carriercode': 'str',
                                     'flightnumber': 'str',
                                     'depairportcode': 'str',
                                     'deptime': 'date',
                                     'arrairportcode': 'str',
                                     'arrtime': 'date',
                                     'stopcities': 'str',
                                     'codeshare': 'bool',
                                     'cabin': 'str',
                                     'aircraftcode': 'str',
                                     'bookingcodeinfo': 'str',
                                     'isconnect': 'bool',
                                     'cabinclasscode': 'str',
                                     'farerulekey': 'str',
                                     'airreminder': 'str',
                                     'airtime': 'str',
                                     'fareprice': 'str',
                                     'marketairlinecode': 'str',
                                     'operatorairlinecode': 'str',
                                     'baggage': 'str',
                                     'farebasis': 'str',
                                     'depterminal': 'str',
                                     'arrterminal': 'str',
                                     'carriername': 'str',
                                     'depairportname': 'str',
                                     'arrairportname': 'str',
                                     'cabinclassname': 'str',
                                     'marketairlinename': 'str',
                                     'operatorairlinename': 'str',
                                     'stopcitiesname': 'str',
                                     'depcity': 'str',
                                     'arrcity': 'str'}],
                   'retsegments': [{'docno': 'str',
                                    'flightgroup': 'int',
                                    'carriercode': 'str',
                                    'flightnumber': 'str',
                                    'depairportcode': 'str',
                                    'deptime': 'date',
                                    'arrairportcode': 'str',
                                    'arrtime': 'date',
                                    'stopcities': 'str',
                                    'codeshare': 'bool',
                                    'cabin': 'str',
                                    'aircraftcode': 'str',
                                    'bookingcodeinfo': 'str',
                                    'isconnect': 'bool',
                                    'cabinclasscode': 'str',
                                    'farerulekey': 'str',
                                    'airreminder': 'str',
                                    'airtime': 'str',
                                    'fareprice': 'str',
                                    'marketairlinecode': 'str',
                                    'operatorairlinecode': 'str',
                                    'baggage': 'str',
                                    'farebasis': 'str',
                                    'depterminal': 'str',
                                    'arrterminal': 'str',
                                    'carriername': 'str',
                                    'depairportname': 'str',
                                    'arrairportname': 'str',
                                    'cabinclassname': 'str',
                                    'marketairlinename': 'str',
                                    'operatorairlinename': 'str',
                                    'stopcitiesname': 'str',
                                    'depcity': 'str',
                                    'arrcity': 'str'}],
                   'faretype': 'int',
                   'infant': 'int',
                   'infantprice': 'dec',
                   'infantmarkup': 'dec',
                   'infantorgprice': 'dec',
                   'infanttax': 'dec',
                   'infantorgtax': 'dec',
                   'infanttaxtype': 'int',
                   'triptype': 'int',
                   'isautoticket': 'bool',
                   'flightpricecalcs': [{'itemtype': 'str',
                                         'adultprice': 'dec',
                                         'adulttax': 'dec',
                                         'childprice': 'dec',
                                         'childtax': 'dec',
                                         'infantprice': 'dec',
                                         'infanttax': 'dec',
                                         'remark': 'str',
                                         'displayorder': 'int'}]}],
 'hotelroutine': [{'citycode': 'str',
                   'city': 'str',
                   'checkin': 'date',
                   'checkout': 'date',
                   'hotelcode': 'str',
                   'hotelname': 'str',
                   'country': 'str',
                   'resort': 'str',
                   'streetnumber': 'str',
                   'address': 'str',
                   'phone': 'str',
                   'hotelpic': 'str',
                   'longitude': 'str',
                   'latitude': 'str',
                   'email': 'str',
                   'url': 'str',
                   'currency': 'str',
                   'orgtotal': 'dec',
                   'markuptotal': 'dec',
                   'addtotal': 'dec',
                   'total': 'dec',
                   'apisource': 'str',
                   'apiacc': 'str',
                   'prebookingtoken': 'str',
                   'specrequest': 'str',
                   'canceldeadline': 'str',
                   'status': 'str',
                   'bookingcode': 'str',
                   'supplierbookingcode': 'str',
                   'confirmcode': 'str',
                   'checkininstructions': 'str',
                   'specialcheckininstructions': 'str',
                   'cancelinfos': [{'startdate': 'str', 'enddate': 'str', 'penalty': 'dec'}],
                   'rooms': [{'roomtypeid': 'str',
                              'roomtype': 'str',
                              'roomid': 'str',
                              'roomname': 'str',
                              'adultcount': 'int',
                              'childcount': 'int',
                              'includebreakfast': 'int',
                              'breakfastname': 'str',
                              'checkindate': 'date',
                              'checkoutdate': 'date',
                              'status': 'str',
                              'bedtypeid': 'str',
                              'bedtype': 'str',
                              'roomguests': [{'lang': 'str',
                                              'firstname': 'str',
                                              'middlename': 'str',
                                              'lastname': 'str',
                                              'prefix': 'str',
                                              'agetype': 'int',
                                              'age': 'int',
                                              'birthday': 'date',
                                              'sex': 'int',
                                              'email': 'str',
                                              'phonecode': 'str',
                                              'phoneno': 'str',
                                              'nation': 'str',
                                              'cardtype': 'int',
                                              'cardno': 'str',
                                              'cardplace': 'str',
                                              'cardexpdate': 'date',
                                              'isreal': 'bool',
                                              'vMemberGuid': 'str'}]}],
                   'roompernights': [{'roomid': 'str',
                                      'date': 'date',
                                      'rate': 'dec',
                                      'currency': 'str'}],
                   'paycardid': 'str',
                   'cancelpolicy': 'str'}],
 'contactinfo': [{'docno': 'str',
                  'prefix': 'str',
                  'lastname': 'str',
                  'middlename': 'str',
                  'firstname': 'str',
                  'address': 'str',
                  'postcode': 'str',
                  'email': 'str',
                  'telcountry': 'str',
                  'phone': 'str',
                  'contacttype': 'str',
                  'nationalitycode': 'str'}],
 'integralnum': 'dec',
 'integraldiscount': 'dec',
 'extraamt': 'dec',
 'docno': 'str',
 'memberid': 'int',
 'companyid': 'str',
 'createagent': 'str',
 'createdate': 'date',
 'createip': 'str',
 'platform': 'str',
 'currency': 'str',
 'lang': 'str',
 'isrecivemail': 'bool',
 'invoiceparms': [{'parmname': 'str', 'pramvalue': 'str'}],
 'tourgrouproutine': [{'TourGroupFlights': [{'FlightNo': 'str',
                                             'FromCity': 'str',
                                             'ToCity': 'str',
                                             'DepartureDate': 'date',
                                             'ReturnDate': 'date',
                                             'CreateDate': 'date'}],
                       'TourGroupDetails': [{'AgeType': 'int',
                                             'Currency': 'str',
                                             'OrginUnitPrice': 'dec',
                                             'OrginDiscount': 'dec',
                                             'MarkupPrice': 'dec',
                                             'UnitPrice': 'dec',
                                             'Number': 'int',
                                             'TotalPrice': 'dec',
                                             'CreateDate': 'date'}],
                       'TourGroupProducts': [{'Type': 'int',
                                              'ProductCode': 'str',
                                              'ProductName': 'str',
                                              'Quantity': 'int',
                                              'Price': 'dec',
                                              'Discount': 'dec',
                                              'SubTotal': 'dec',
                                              'Remark': 'str',
                                              'CreateDate': 'date',
                                              'AgeType': 'int'}],
                       'TourGroupEmerContact': {'Prefix': 'str',
                                                'LastName': 'str',
                                                'MiddleName': 'str',
                                                'FirstName': 'str',
                                                'TelCountry': 'str',
                                                'Tel': 'str'},
                       'TourId': 'str',
                       'TourCode': 'str',
                       'TourItemCode': 'str',
                       'TourItemName': 'str',
                       'BranchId': 'str',
                       'DepartureDate': 'date',
                       'ReturnDate': 'date',
                       'DueDate': 'date',
                       'Currency': 'str',
                       'OrginAmt': 'dec',
                       'MarkupAmt': 'dec',
                       'InsuranceAmt': 'dec',
                       'AdditionalAmt': 'dec',
                       'DiscountAmt': 'dec',
                       'TotalAmt': 'dec',
                       'DepositAmt': 'dec',
                       'PaidAmt': 'dec',
                       'HoldCode': 'str',
                       'EventDiscountType': 'int',
                       'CreateDate': 'date'}],
 'localtravelroutine': [{'totalAmt': 'dec',
                         'localTravelDetails': [{'did': 'str',
                                                 'seq': 'int',
                                                 'skuId': 'str',
                                                 'skuName': 'str',
                                                 'orgPrice': 'dec',
                                                 'markupPrice': 'dec',
                                                 'price': 'dec',
                                                 'currency': 'str',
                                                 'quantity': 'int'}],
                         'localTravelGroupInfos': [{'infoId': 'str',
                                                    'infoType': 'int',
                                                    'seq': 'int',
                                                    'did': 'str',
                                                    'didSeq': 'int',
                                                    'formSeq': 'int',
                                                    'formId': 'str',
                                                    'formName': 'str',
                                                    'value': 'str',
                                                    'valueId': 'str'}],
                         'seq': 'int',
                         'themeId': 'str',
                         'themeName': 'str',
                         'source': 'int',
                         'activeId': 'str',
                         'planId': 'str',
                         'planName': 'str',
                         'depDate': 'date',
                         'depDateTime': 'str',
                         'currency': 'str',
                         'deadLine': 'date',
                         'islimitdate': 'bool',
                         'deliverytype': 'int',
                         'cartId': 'str'}],
 'localtraveldeliverys': [{'deliveryType': 'int',
                           'contactName': 'str',
                           'phone': 'str',
                           'areaid': 'str',
                           'areaName': 'str',
                           'regionid': 'str',
                           'regionName': 'str',
                           'address': 'str',
                           'floorNumber': 'str',
                           'houseNumber': 'str',
                           'branchId': 'str',
                           'branchname': 'str'}],
 'wifibbroutine': [{'ProductId': 'int',
                    'Qty': 'int',
                    'CountryCode': 'str',
                    'Country': 'str',
                    'StartDate': 'date',
                    'EndDate': 'date',
                    'TrueDays': 'int',
                    'PayDays': 'int',
                    'DepositAmt': 'dec',
                    'ProductTotal': 'dec',
                    'OrgProductTotal': 'dec',
                    'Status': 'int'}],
 'sugarAIRoutine': [{'productKey': 'str',
                     'tripType': 'int',
                     'depAirport': 'str',
                     'arrAirport': 'str',
                     'depDate': 'str',
                     'arrDate': 'str',
                     'carrier': 'str',
                     'flightNumber': 'str',
                     'passengerReserves': [{'quoteNumber': 'str',
                                            'orgBasePrice': 'dec',
                                            'basePrice': 'dec',
                                            'discount': 'dec',
                                            'orgTax': 'dec',
                                            'tax': 'dec',
                                            'compensation': 'dec',
                                            'reserveNumber': 'str',
                                            'expireAt': 'date',
                                            'firstName': 'str',
                                            'lastName': 'str',
                                            'email': 'str'}]}],
 'logTrackGuid': 'str',
 'noLowestReasonCode': 'str',
 'noLowestReason': 'str',
 'outScopeReason': 'str'}

# Only the order's top-level status is an OrderStatus; it takes the integer or the member name.
REQUEST_SCHEMA["status"] = "orderstatus"


# ================================================================================================
# Value coercion (Json.NET-like leniency: numbers from numeric strings, strings from scalars)
# ================================================================================================

class FieldError(Exception):
    pass


_INT_RE = re.compile(r"^[+-]?\d+$")
_DEC_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_SLASH_RE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_MSDATE_RE = re.compile(r"^/Date\((-?\d+)(?:([+-])(\d{2})(\d{2}))?\)/$")


def _as_int(v: Any) -> int:
    if isinstance(v, bool):
        raise FieldError("expected an integer, got a boolean")
    if isinstance(v, int):
        n = v
    elif isinstance(v, Decimal):
        if not v.is_finite() or v != v.to_integral_value():
            raise FieldError("expected an integer, got a fraction")
        n = int(v)
    elif isinstance(v, str):
        t = v.strip()
        if not _INT_RE.match(t):
            raise FieldError("expected an integer")
        n = int(t)
    else:
        raise FieldError("expected an integer")
    if not INT32_MIN <= n <= INT32_MAX:
        raise FieldError("integer out of range (32-bit)")
    return n


def _as_dec(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise FieldError("expected a decimal number, got a boolean")
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, Decimal):
        d = v
    elif isinstance(v, str):
        t = v.strip()
        if not _DEC_RE.match(t):
            raise FieldError("expected a decimal number")
        d = Decimal(t)
    else:
        raise FieldError("expected a decimal number")
    if not d.is_finite() or abs(d) > DEC_MAX:
        raise FieldError("decimal number out of range")
    return d


def _as_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    raise FieldError("expected a string")


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    raise FieldError("expected a boolean")


def _mk_dt(y, mo, d, h=0, mi=0, s=0, us=0, tz=None) -> datetime:
    try:
        return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), us, tzinfo=tz)
    except ValueError as exc:
        raise FieldError(f"not a real date/time ({exc})") from None


def _tz(text: str | None):
    if not text:
        return None
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hh = int(digits[:2])
    mm = int(digits[2:4]) if len(digits) >= 4 else 0
    if hh > 23 or mm > 59:
        raise FieldError("bad UTC offset")
    return timezone(sign * timedelta(hours=hh, minutes=mm))


def parse_date(v: Any) -> str:
    """ISO 8601 (date, or date-time with any number of fraction digits, T or space, optional
    Z/offset), 'yyyy/MM/dd[ HH:mm[:ss]]', or Microsoft JSON '/Date(ms[+hhmm])/'.
    Answers a normalised ISO 8601 string."""
    if not isinstance(v, str):
        raise FieldError("expected a date string")
    t = v.strip()
    m = _ISO_RE.match(t)
    if m:
        y, mo, d, h, mi, s, frac, off = m.groups()
        if h is None and off is not None:
            dt = _mk_dt(y, mo, d, tz=_tz(off))
            return dt.isoformat()
        if h is None:
            _mk_dt(y, mo, d)
            return f"{y}-{mo}-{d}"
        us = int((frac or "0")[:6].ljust(6, "0"))
        dt = _mk_dt(y, mo, d, h, mi, s or 0, us, _tz(off))
        return dt.isoformat()
    m = _SLASH_RE.match(t)
    if m:
        y, mo, d, h, mi, s = m.groups()
        if h is None:
            return _mk_dt(y, mo, d).date().isoformat()
        return _mk_dt(y, mo, d, h, mi, s or 0).isoformat()
    m = _MSDATE_RE.match(t)
    if m:
        ms, sign, hh, mm = m.groups()
        tz = timezone.utc
        if sign:
            tz = _tz(f"{sign}{hh}:{mm}")
        try:
            dt = datetime.fromtimestamp(int(ms) / 1000, tz=tz)
        except (OverflowError, OSError, ValueError):
            raise FieldError("date out of range") from None
        return dt.isoformat()
    raise FieldError("not a recognised date")


def _as_status(v: Any) -> int:
    if isinstance(v, str) and v.strip().lower() in ORDER_STATUS_NAMES:
        return ORDER_STATUS_NAMES.index(v.strip().lower())
    n = _as_int(v)
    if not 0 <= n < len(ORDER_STATUS_NAMES):
        raise FieldError("not an OrderStatus (0..4 or create_order, wait_pay, pay_success, "
                         "trade_close, trade_complete)")
    return n


_SCALARS = {"int": _as_int, "dec": _as_dec, "str": _as_str, "bool": _as_bool,
            "date": parse_date, "orderstatus": _as_status}


def validate(value: Any, schema: Any, path: str, errors: list[str]) -> Any:
    """Check value against schema; answer the normalised value (unknown fields dropped)."""
    if value is None:
        return None
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(f"{path or 'body'}: expected an object")
            return None
        out = {}
        for key, sub in value.items():
            if key in schema:
                out[key] = validate(sub, schema[key], f"{path}.{key}" if path else key, errors)
        return out
    if isinstance(schema, list):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a collection (JSON array)")
            return None
        return [validate(item, schema[0], f"{path}[{i}]", errors) for i, item in enumerate(value)]
    # scalar
    if isinstance(value, (dict, list)):
        errors.append(f"{path}: expected a {'string' if schema == 'str' else 'single value'}, "
                      f"got {'an object' if isinstance(value, dict) else 'an array'}")
        return None
    if schema != "str" and isinstance(value, str) and value.strip() == "":
        return None  # an empty text for a non-text field binds as "not given"
    try:
        return _SCALARS[schema](value)
    except FieldError as exc:
        errors.append(f"{path}: {exc}")
        return None


# ================================================================================================
# Body reading
# ================================================================================================

class Unreadable(Exception):
    pass


def _reject_constant(name: str):
    raise Unreadable(f"invalid JSON literal {name}")


def parse_json_body(raw: bytes, charset: str | None) -> Any:
    try:
        text = raw.decode(charset or "utf-8-sig")
    except (LookupError, UnicodeDecodeError):
        raise Unreadable("body is not valid text in its charset") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise Unreadable("empty body")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except Unreadable:
        raise
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"body is not valid JSON ({exc.__class__.__name__})") from None


_KEY_TOKEN = re.compile(r"[^.\[\]]+")


def parse_form_body(raw: bytes, charset: str | None) -> dict:
    """application/x-www-form-urlencoded with ASP.NET/jQuery nesting:
    a[b][0][c]=v, a.b[0].c=v, a[0].b=v. Lists are given by numeric indices."""
    try:
        text = raw.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        raise Unreadable("body is not valid text in its charset") from None
    if not text.strip():
        raise Unreadable("empty body")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True,
                          encoding=charset or "utf-8")
    except ValueError:
        raise Unreadable("body is not valid form data") from None
    root: dict = {}
    for key, val in pairs:
        tokens = _KEY_TOKEN.findall(key)
        if not tokens:
            raise Unreadable(f"bad form key {key!r}")
        node = root
        for tok in tokens[:-1]:
            nxt = node.get(tok)
            if nxt is None:
                nxt = node[tok] = {}
            elif not isinstance(nxt, dict):
                raise Unreadable(f"form key {key!r} conflicts with a plain value")
            node = nxt
        if isinstance(node.get(tokens[-1]), dict):
            raise Unreadable(f"form key {key!r} conflicts with a nested value")
        node[tokens[-1]] = val

    def listify(n: Any) -> Any:
        if not isinstance(n, dict):
            return n
        n = {k: listify(v) for k, v in n.items()}
        if n and all(k.isdigit() for k in n):
            return [n[k] for k in sorted(n, key=int)]
        return n

    return listify(root)


# ================================================================================================
# State
# ================================================================================================

_lock = threading.Lock()
_seq = {"member": 600000, "order": 0, "operator": 0}
MEMBERS: dict[int, dict] = {}          # memberid -> member
MEMBER_BY_USER: dict[str, int] = {}    # userId -> memberid
OPERATORS: dict[str, dict] = {}        # name -> operator
ORDERS: dict[str, dict] = {}           # orderno -> stored order


def _next(kind: str) -> int:
    with _lock:
        _seq[kind] += 1
        return _seq[kind]


def _new_numbers() -> tuple[str, str]:
    n = _next("order")
    now = datetime.now(HK)
    docno = f"TRV{now:%y%m%d}{n:06d}"
    orderno = f"{int(time.time() * 1000)}{n % 1000:03d}"
    return docno, orderno


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


# ================================================================================================
# App
# ================================================================================================

app = FastAPI(title="travel-order (independent)", docs_url=None, redoc_url=None, openapi_url=None)


class _CaseInsensitiveOrderPath:
    """ASP.NET routes ignore case and a trailing slash: map any spelling onto ORDER_PATH."""

    def __init__(self, asgi):
        self.asgi = asgi

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http":
            p = scope.get("path", "")
            if p != ORDER_PATH and p.lower().rstrip("/") == ORDER_PATH:
                scope = dict(scope, path=ORDER_PATH, raw_path=ORDER_PATH.encode())
        await self.asgi(scope, receive, send)


app.add_middleware(_CaseInsensitiveOrderPath)


def _media_out(request: Request) -> str:
    accept = (request.headers.get("accept") or "").lower()
    if "text/json" in accept and "application/json" not in accept:
        return "text/json; charset=utf-8"
    return "application/json; charset=utf-8"


def envelope(request: Request, code: int, message: str, data: dict | None = None,
             http_status: int = 200) -> Response:
    body = {"data": data, "code": code, "message": message}
    return Response(content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                    status_code=http_status, media_type=_media_out(request))


def _content_type(request: Request) -> tuple[str | None, str | None]:
    ct = request.headers.get("content-type")
    if ct is None or not ct.strip():
        return None, None
    parts = [p.strip() for p in ct.split(";")]
    media = parts[0].lower()
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip('"') or None
    return media, charset


def _sum_check(order: dict) -> str | None:
    """localtravelroutine[i].totalAmt must equal the sum of price x quantity of its details
    (compared to the cent). Only checked when the total and every detail's price and quantity
    are given."""
    cent = Decimal("0.01")
    for i, routine in enumerate(order.get("localtravelroutine") or []):
        if not routine:
            continue
        total = routine.get("totalAmt")
        details = [d for d in (routine.get("localTravelDetails") or []) if d is not None]
        if total is None or not details:
            continue
        if any(d.get("price") is None or d.get("quantity") is None for d in details):
            continue
        expected = sum((d["price"] * d["quantity"] for d in details), Decimal(0))
        if total.quantize(cent, ROUND_HALF_UP) != expected.quantize(cent, ROUND_HALF_UP):
            return (f"localtravelroutine[{i}].totalAmt {total} is not the sum of its "
                    f"localTravelDetails price x quantity ({expected})")
    return None


ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@app.api_route(ORDER_PATH, methods=ALL_METHODS)
async def create_order(request: Request):
    if request.method != "POST":
        resp = envelope(request, E_METHOD, f"不支持的请求方法 (method {request.method} not allowed; use POST)",
                        http_status=405)
        resp.headers["Allow"] = "POST"
        return resp
    try:
        return await _create_order(request)
    except Exception as exc:  # noqa: BLE001 - last-resort envelope
        return envelope(request, E_INTERNAL, f"系统错误 (internal error: {exc.__class__.__name__})",
                        http_status=500)


async def _create_order(request: Request) -> Response:
    media, charset = _content_type(request)
    if media not in ("application/json", "text/json", "application/x-www-form-urlencoded"):
        return envelope(request, E_MEDIA_TYPE,
                        "不支持的内容类型 (Content-Type must be application/json, text/json or "
                        f"application/x-www-form-urlencoded; got {media or 'none'})")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        return envelope(request, E_TOO_LARGE, "请求体过大 (body over 4 MB)")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return envelope(request, E_TOO_LARGE, "请求体过大 (body over 4 MB)")

    try:
        if media == "application/x-www-form-urlencoded":
            body = parse_form_body(raw, charset)
        else:
            body = parse_json_body(raw, charset)
    except Unreadable as exc:
        return envelope(request, E_UNREADABLE, f"请求格式错误 ({exc})")
    if not isinstance(body, dict):
        return envelope(request, E_UNREADABLE, "请求格式错误 (the body must be a JSON object)")

    errors: list[str] = []
    order = validate(body, REQUEST_SCHEMA, "", errors)
    if errors:
        shown = "; ".join(errors[:10]) + (f"; ... {len(errors) - 10} more" if len(errors) > 10 else "")
        return envelope(request, E_INVALID, f"参数错误 ({shown})")

    memberid = order.get("memberid")
    if memberid is None:
        return envelope(request, E_NO_MEMBER_ID, "缺少用户ID (memberid is required)")
    member = MEMBERS.get(memberid)
    if member is None:
        return envelope(request, E_MEMBER_UNKNOWN, f"用户不存在 (member {memberid} not found)")
    if member.get("blocked"):
        return envelope(request, E_MEMBER_BLOCKED, f"用户已停用 (member {memberid} is blocked)")

    mismatch = _sum_check(order)
    if mismatch:
        return envelope(request, E_TOTAL_MISMATCH, f"金额不一致 ({mismatch})")

    docno, orderno = _new_numbers()
    now = datetime.now(HK).isoformat()
    stored = {
        "docno": docno,
        "orderno": orderno,
        "memberid": memberid,
        "status": 0,  # create_order: a new order always starts here
        "createdate": now,
        "createip": order.get("createip") or (request.client.host if request.client else None),
        "client_docno": order.get("docno"),
        "client_status": order.get("status"),
        "client_createdate": order.get("createdate"),
        "request": _jsonable(order),
    }
    with _lock:
        ORDERS[orderno] = stored
        member["orders"].append(orderno)
    return envelope(request, OK, "创建订单成功", {"docno": docno, "orderno": orderno})


# ================================================================================================
# Test hook: POST /_orderproof/provider-states (test deployments only)
# ================================================================================================

def _hook_enabled() -> bool:
    return os.environ.get("ORDERPROOF_PROVIDER_STATES", "1").strip().lower() not in ("0", "false", "off", "no")


class HookError(Exception):
    pass


_DEC_STR = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _p_dec(params: dict, name: str, default: str) -> str:
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise HookError(f"param {name!r} must be a decimal string or a number")
    if isinstance(v, str):
        if not _DEC_STR.match(v):
            raise HookError(f"param {name!r} must be a decimal string like '1000.00'")
        d = Decimal(v)
    else:
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise HookError(f"param {name!r} is not a finite number") from None
        if not d.is_finite():
            raise HookError(f"param {name!r} is not a finite number")
    if d.as_tuple().exponent > -2:
        d = d.quantize(Decimal("0.01"))
    return format(d, "f")


def _p_bool(params: dict, name: str, default: bool) -> bool:
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param {name!r} must be a boolean")
    return v


def _p_str(params: dict, name: str, default: str | None, allow_null: bool = False) -> str | None:
    v = params.get(name, default)
    if v is None and (allow_null or default is None):
        return None
    if not isinstance(v, str):
        raise HookError(f"param {name!r} must be a string")
    return v


def _only(params: dict, allowed: set[str], state: str) -> None:
    extra = sorted(set(params) - allowed)
    if extra:
        raise HookError(f"unknown param(s) {extra} for {state!r}; accepted: {sorted(allowed)}")


def _make_operator(params: dict) -> dict:
    _only(params, {"name", "secret", "timezone_offset", "webhook_url", "ext", "wht"}, "an operator exists")
    name = _p_str(params, "name", None)
    if name is None:
        name = f"op-{_next('operator')}-{secrets.token_hex(2)}"
    tz = _p_str(params, "timezone_offset", "+02:00")
    if not re.match(r"^[+-][0-9]{2}:[0-9]{2}$", tz):
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    op = {
        "name": name,
        "secret": _p_str(params, "secret", None) or secrets.token_urlsafe(18),
        "timezone_offset": tz,
        "webhook_url": _p_str(params, "webhook_url", "http://127.0.0.1/webhook", allow_null=True),
        "ext": _p_dec(params, "ext", "12.5"),
        "wht": _p_dec(params, "wht", "20.0"),
    }
    # ext/wht keep their given precision (percentages), not money formatting
    for k, dflt in (("ext", "12.5"), ("wht", "20.0")):
        v = params.get(k, dflt)
        op[k] = v if isinstance(v, str) else format(Decimal(str(v)), "f")
    OPERATORS[name] = op
    return op


PLAYER_PARAMS = {"balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
                 "session_expired_seconds_ago", "operator"}


def _make_member(params: dict) -> dict:
    _only(params, PLAYER_PARAMS, "a player exists")
    balance = _p_dec(params, "balance", "1000.00")
    currency = _p_str(params, "currency", "EUR")
    if not re.match(r"^[A-Z]{3}$", currency):
        raise HookError("param 'currency' must be an ISO 4217 code like 'EUR'")
    blocked = _p_bool(params, "blocked", False)
    min_stake = _p_dec(params, "min_stake", "0.10")
    max_stake = _p_dec(params, "max_stake", "500.00")
    _p_bool(params, "session_expired", False)
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not 1 <= ago <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    op_name = _p_str(params, "operator", None)
    if op_name is not None and op_name not in OPERATORS:
        raise HookError(f"param 'operator': no operator named {op_name!r} (create it with "
                        "'an operator exists' first)")
    memberid = _next("member")
    user_id = f"mbr-{memberid}"
    member = {"userId": user_id, "memberid": memberid, "balance": balance, "currency": currency,
              "blocked": blocked, "min_stake": min_stake, "max_stake": max_stake,
              "operator": op_name, "orders": []}
    with _lock:
        MEMBERS[memberid] = member
        MEMBER_BY_USER[user_id] = memberid
    return {"userId": user_id, "memberid": str(memberid), "balance": balance,
            "currency": currency, "blocked": blocked}


def _snapshot(params: dict) -> dict:
    _only(params, {"userId"}, "a player snapshot")
    user_id = params.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise HookError("param 'userId' (string) is required for 'a player snapshot'")
    mid = MEMBER_BY_USER.get(user_id)
    if mid is None:
        raise HookError(f"param 'userId': no player {user_id!r}")
    m = MEMBERS[mid]
    travel = []
    for orderno in m["orders"]:
        o = ORDERS[orderno]
        travel.append({"docno": o["docno"], "orderno": o["orderno"], "memberid": str(mid),
                       "status": ORDER_STATUS_NAMES[o["status"]], "createdate": o["createdate"]})
    return {"userId": user_id, "balance": m["balance"], "currency": m["currency"],
            "travel_orders": travel}


def _teardown(state: str, params: dict) -> dict:
    if not isinstance(params, dict):
        return {}
    if state == "a player exists":
        uid = params.get("userId")
        mid = MEMBER_BY_USER.get(uid) if isinstance(uid, str) else None
        raw_mid = params.get("memberid")
        if mid is None and raw_mid is not None:
            try:
                mid = int(str(raw_mid))
            except ValueError:
                mid = None
        if mid is not None and mid in MEMBERS:
            with _lock:
                m = MEMBERS.pop(mid)
                MEMBER_BY_USER.pop(m["userId"], None)
                for orderno in m["orders"]:
                    ORDERS.pop(orderno, None)
    elif state == "an operator exists":
        name = params.get("name")
        if isinstance(name, str):
            OPERATORS.pop(name, None)
    return {}


KNOWN_STATES = ["an operator exists", "a player exists", "an event exists",
                "a jackpot betcard exists", "a player snapshot"]


@app.post(HOOK_PATH)
async def provider_states(request: Request):
    if not _hook_enabled():
        return JSONResponse({"error": "not found"}, status_code=404)
    raw = await request.body()
    try:
        req = json.loads(raw.decode("utf-8-sig") or "null")
    except (ValueError, UnicodeDecodeError):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    if not isinstance(req, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    state = req.get("state")
    params = req.get("params", {})
    action = req.get("action", "setup")
    if params is None:
        params = {}
    if action not in ("setup", "teardown"):
        return JSONResponse({"error": f"unknown action {action!r}; accepted: setup, teardown"},
                            status_code=400)
    if state not in KNOWN_STATES:
        return JSONResponse({"error": f"unknown provider state {state!r}; accepted: {KNOWN_STATES}"},
                            status_code=400)
    if not isinstance(params, dict):
        return JSONResponse({"error": "'params' must be an object"}, status_code=400)
    if action == "teardown":
        return JSONResponse(_teardown(state, params))
    try:
        if state == "a player exists":
            return JSONResponse(_make_member(params))
        if state == "a player snapshot":
            return JSONResponse(_snapshot(params))
        if state == "an operator exists":
            return JSONResponse(_make_operator(params))
        raise HookError(f"state {state!r} is not served by this target (travel-order keeps no "
                        "events or betcards)")
    except HookError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
