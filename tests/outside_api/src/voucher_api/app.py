"""A tiny voucher service (FastAPI), with the provider-state hook orderproof drives and one named
fault: ``amount-rounded-to-euros`` issues the voucher for the amount rounded to whole euros."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

FAULTS = ("amount-rounded-to-euros",)


def create_app(fault: str | None = None) -> FastAPI:
    if fault is not None and fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; known faults: {', '.join(FAULTS)}")
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    customers: dict[str, list[dict[str, Any]]] = {}     # customerId -> its vouchers
    ids = itertools.count(1)
    lock = threading.Lock()

    def error(code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": code, "message": message}, status_code=400)

    @app.post("/vouchers")
    async def order(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return error("INVALID_REQUEST", "the body is not JSON")
        if not isinstance(body, dict):
            return error("INVALID_REQUEST", "the body is not an object")
        customer, amount, currency = body.get("customerId"), body.get("amount"), body.get("currency")
        if not isinstance(customer, str) or not customer or type(amount) is not int or not 1 <= amount <= 10**8 \
                or not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha() \
                or not currency.isupper():
            return error("INVALID_REQUEST", "customerId, amount (cents, at least 1) and currency are required")
        with lock:
            if customer not in customers:
                return error("UNKNOWN_CUSTOMER", "no such customer")
            voucher = {"voucherId": f"V{next(ids)}", "customerId": customer,
                       "amount": round(amount, -2) if fault == "amount-rounded-to-euros" else amount,
                       "currency": currency, "status": "issued"}
            customers[customer].append(voucher)
        return JSONResponse(voucher, status_code=201)

    @app.post("/_orderproof/provider-states")
    async def provider_states(request: Request) -> JSONResponse:
        call = await request.json()
        state, params = call.get("state"), call.get("params") or {}
        with lock:
            if state == "a player exists":
                customer = f"c-{next(ids)}"
                customers[customer] = []
                return JSONResponse({"userId": customer, "customerId": customer})
            if state == "a player snapshot" and params.get("userId") in customers:
                return JSONResponse({"vouchers": [dict(v) for v in customers[params["userId"]]]})
        return JSONResponse({"error": f"unknown state {state!r}"}, status_code=400)

    return app
