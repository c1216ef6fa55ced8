"""Serve mongoeco over the MongoDB wire protocol until SIGTERM.

Run by the Python 3.13 interpreter that has mongoeco installed (see tests/support/mongo.py),
never imported by the tests. Prints the connection URI as its first line of output.

    python mongo_server.py [--port N] [--db PATH] [--exit-with-stdin]

Port 0 (the default) lets the OS pick a free one. With --db the data lives in mongoeco's
SQLite engine at PATH; without it, in memory. With --exit-with-stdin the server also stops
when its standard input closes, so it does not outlive a test run that was killed.
"""

import argparse
import asyncio
import os
import signal
import sys

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

try:
    import bson  # noqa: F401
except ImportError:
    # Without it the proxy accepts connections and then drops every one of them, which a
    # client only reports as a server-selection timeout.
    sys.exit("mongoeco's wire protocol needs pymongo: install mongoeco[wire]")


async def serve(port: int, db: str | None, exit_with_stdin: bool) -> None:
    engine = SQLiteEngine(db) if db else None
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port, engine=engine)
    address = await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if exit_with_stdin:

        def on_stdin() -> None:
            if not os.read(sys.stdin.fileno(), 4096):
                stop.set()

        loop.add_reader(sys.stdin.fileno(), on_stdin)
    print(address.uri, flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", default=None)
    parser.add_argument("--exit-with-stdin", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.db, args.exit_with_stdin))


if __name__ == "__main__":
    main()
