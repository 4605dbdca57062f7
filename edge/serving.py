"""Running the app under uvicorn as a service: trusted proxies, systemd readiness and a health-checked
watchdog.

Under systemd (`Type=notify`, `WatchdogSec=`) the server says READY=1 once its socket listens, and
then WATCHDOG=1 every half interval while the store's writer is healthy. An event loop that hangs, or
a writer that died or can no longer commit (a full or failed disk), stops the pings, and systemd
restarts the service. Outside systemd (no NOTIFY_SOCKET) none of this does anything.
"""

import asyncio
import logging
import os
import socket
from collections.abc import Callable

import uvicorn

log = logging.getLogger("store_edge.service")


def notify(message: str) -> bool:
    """Send one sd_notify datagram (READY=1, WATCHDOG=1, STATUS=…); False when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError as exc:
            log.warning("systemd notify failed: %s", exc)
            return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings (half of WatchdogSec), or None when no watchdog is asked for."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return max(int(usec) / 2_000_000, 0.05)
    except ValueError:
        return None


class NotifyingServer(uvicorn.Server):
    """uvicorn's server, telling systemd when it listens and pinging its watchdog while `healthy()`."""

    def __init__(self, config: uvicorn.Config, healthy: Callable[[], bool]) -> None:
        super().__init__(config)
        self._healthy = healthy
        self._watchdog: asyncio.Task | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        notify("READY=1\nSTATUS=serving")
        interval = watchdog_interval()
        if interval is not None:
            self._watchdog = asyncio.get_running_loop().create_task(self._ping(interval))

    async def _ping(self, interval: float) -> None:
        warned = False
        while not self.should_exit:
            if self._healthy():
                notify("WATCHDOG=1")
                warned = False
            elif not warned:  # no ping: systemd restarts the service after WatchdogSec
                log.error("store writer unhealthy: withholding the watchdog ping")
                warned = True
            await asyncio.sleep(interval)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        notify("STOPPING=1")
        if self._watchdog is not None:
            self._watchdog.cancel()
        await super().shutdown(sockets)


def run(app, host: str, port: int, healthy: Callable[[], bool],  # noqa: ANN001 - an ASGI app
        trusted_proxies: list[str] | None = None) -> None:
    """Serve `app` until SIGTERM/SIGINT. Forwarded headers are believed only from `trusted_proxies`."""
    proxies = list(trusted_proxies or [])
    config = uvicorn.Config(app, host=host, port=port, access_log=False, loop="auto", http="auto",
                            log_level="info", lifespan="on", log_config=None,
                            proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                            server_header=False)
    NotifyingServer(config, healthy).run()
