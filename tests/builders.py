"""Builders for request bodies: a valid default, overridden per test."""

import itertools

_sale_ids = itertools.count(1)


def enrol_body(phone: str = "13800138000", **over) -> dict:
    body = {"phone": phone, "consent": {"policy_version": "2026-01", "granted": True},
            "source": "cashier", "lane_id": "L1", "cashier_id": "C1"}
    body.update(over)
    return body


def lines(*pairs: tuple[str, int]) -> list[dict]:
    return [{"sku": sku, "qty": qty} for sku, qty in pairs]


def quote_body(*pairs: tuple[str, int], **over) -> dict:
    body = {"lane_id": "L1", "cashier_id": "C1", "lines": lines(*(pairs or (("LATTE", 1),)))}
    body.update(over)
    return body


def sale_body(*pairs: tuple[str, int], sale_id: str | None = None, **over) -> dict:
    body = {"sale_id": sale_id or f"sale-{next(_sale_ids)}", "lane_id": "L1", "cashier_id": "C1",
            "lines": lines(*(pairs or (("LATTE", 1),))), "payment": {"method": "cash"}}
    body.update(over)
    return body
