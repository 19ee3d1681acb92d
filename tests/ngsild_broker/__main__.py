"""``python -m tests.ngsild_broker [--port 1026]``: the test broker on its own, until Ctrl-C.

For trying things out (``ldt-catalog publish --broker URL``, ``subscribe``, ``listen``) and for
benchmarks that want the broker in another process.  It keeps everything in memory and is no
product: real brokers (Orion-LD, Scorpio, Stellio) are in ``deploy/``.  The first line printed is
the URL, so a parent process can read it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from tests.ngsild_broker.server import FLAVOURS, TestBroker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.ngsild_broker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=1026, help="port (default: 1026; 0 picks a free one)")
    parser.add_argument("--flavour", choices=sorted(FLAVOURS), default="generic")
    parser.add_argument("--max-batch", type=int, default=1000, help="entities per batch (default: 1000)")
    args = parser.parse_args(argv)
    broker = TestBroker(flavour=args.flavour, max_batch=args.max_batch, host=args.host, port=args.port)
    try:
        broker.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(broker.url, flush=True)
    print(
        "the ldt-catalog test broker (in memory, for trying things out and for tests; "
        "real brokers: deploy/); Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()

    def finish(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    broker.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
