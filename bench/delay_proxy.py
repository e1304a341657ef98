#!/usr/bin/env python3
"""A TCP proxy that adds a fixed one-way delay, to emulate a slow link (stdlib only).

    delay_proxy.py LISTEN_PORT TARGET_PORT ONE_WAY_MS

Listens on 127.0.0.1:LISTEN_PORT and forwards every connection to 127.0.0.1:TARGET_PORT. Every
chunk read in either direction is written out ONE_WAY_MS later (a round trip therefore costs
2 x ONE_WAY_MS more); chunks stay in order and are pipelined, so only latency is added, not a
bandwidth limit. Loopback only by construction. Prints "ready" on stdout once listening; runs
until killed (SIGTERM/SIGINT).
"""
import asyncio
import signal
import sys
import time


async def pump(reader, writer, delay):
    q: asyncio.Queue = asyncio.Queue()

    async def send():
        while True:
            item = await q.get()
            if item is None:
                break
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            q.put_nowait((time.monotonic() + delay, data))
    except (ConnectionError, OSError):
        pass
    q.put_nowait(None)
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def handle(creader, cwriter, target_port, delay):
    try:
        sreader, swriter = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(pump(creader, swriter, delay), pump(sreader, cwriter, delay),
                         return_exceptions=True)
    for w in (cwriter, swriter):
        try:
            w.close()
        except OSError:
            pass


async def main():
    listen_port, target_port, one_way_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    delay = one_way_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, target_port, delay), "127.0.0.1", listen_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    asyncio.run(main())
