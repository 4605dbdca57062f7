"""Helpers for the printing tests: wait on a condition, add a printer, sign in to the staff pages.

(Imported by name: `from print_helpers import add_printer`.)
"""

import threading

from join_helpers import csrf_of

from edge.services import printing


def wait_until(predicate, timeout: float = 20.0) -> bool:  # noqa: ANN001
    """Check `predicate` until it holds (a bounded wait on a condition, not a fixed pause)."""
    gate = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return True
        gate.wait(0.02)
    return predicate()


def sign_in(api, role: str, next_: str) -> None:  # noqa: ANN001
    form = api.client.get("/staff/login", params={"next": next_})
    answer = api.client.post("/staff/login", data={"csrf": csrf_of(form.text), "next": next_, "key": api.keys[role]},
                             follow_redirects=False)
    assert answer.status_code == 303


def add_printer(store, url: str, lanes=("L1",), **over) -> None:  # noqa: ANN001
    printing.add_printer(store, printing.PrinterSpec(name=over.pop("name", "front"), url=url, lanes=tuple(lanes),
                                                     **over))
