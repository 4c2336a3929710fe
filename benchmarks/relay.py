"""Prints how many events a second `spaces relay` delivers to a local endpoint. Not a test:
nothing here passes or fails.

    python benchmarks/relay.py [--events N]

N events (reservations made in one statement: spaces.reservation.created each) are relayed
from the first to a local HTTP server on 127.0.0.1 that answers 204 at once: over a connection
kept open (HTTP/1.1), signed and unsigned, and with a new connection per event (an endpoint
that closes after each answer, HTTP/1.0). Each POST is followed by its position UPDATE, so the
figure is one round trip to the endpoint and one to the database per event. Uses the same
server as run.py (a throw-away embedded PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from common import benchmark_server, busy_venue, fresh_database, report

from spaces_tui.db.connection import Database
from spaces_tui.engine import events
from spaces_tui.engine.interop import relay


def endpoint(keep_alive: bool) -> tuple[ThreadingHTTPServer, list[int]]:
    """A server on 127.0.0.1 answering 204 to every POST; the list counts them."""
    seen = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen[0] += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def relayed_per_second(db: Database, name: str, keep_alive: bool, secret: str | None) -> float:
    server, _seen = endpoint(keep_alive)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    relay.prepare_relay(db, name, url, start="start")
    last = events.latest_event_id(db)
    stop = threading.Event()
    started = time.perf_counter()
    runner = threading.Thread(
        target=relay.run_relay, args=(db, name), kwargs={"secret": secret, "stop": stop}
    )
    runner.start()
    while relay.get_relay(db, name).delivered_id < last:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    runner.join()
    server.shutdown()
    server.server_close()
    return len(events.events_since(db, 0, limit=10**6)) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000, help="events to relay (default 3000)")
    args = parser.parse_args()
    rooms = max(1, args.events // 30)
    with benchmark_server() as server, fresh_database(server) as (url, db):
        made = busy_venue(url, rooms, 10)
        count = len(events.events_since(db, 0, limit=10**6))
        print(f"{count} events ({made} bookings, {rooms} rooms), relayed to 127.0.0.1")
        for label, name, keep_alive, secret in (
            ("relay: kept connection, unsigned", "kept", True, None),
            ("relay: kept connection, signed (HMAC-SHA256)", "signed", True, "secret"),
            ("relay: a new connection per event", "fresh", False, None),
        ):
            report(label, f"{relayed_per_second(db, name, keep_alive, secret):8.0f} events/s")


if __name__ == "__main__":
    main()
