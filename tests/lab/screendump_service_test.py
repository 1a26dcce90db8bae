#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""screendump-service.py against a fake qemu (a QMP server in a thread), on the host: a
request becomes a screendump command and its file the answer; qemu's error text becomes
the error answer; a bad request is answered without asking qemu."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

SERVICE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screendump-service.py")


def fake_qemu(listener, commands):
    conn, _ = listener.accept()
    f = conn.makefile("rwb", buffering=0)
    f.write(b'{"QMP": {"version": {}, "capabilities": []}}\n')
    for line in f:
        cmd = json.loads(line)
        commands.append(cmd)
        if cmd["execute"] == "qmp_capabilities":
            f.write(b'{"return": {}}\n')
            continue
        args = cmd["arguments"]
        f.write(b'{"event": "SOMETHING", "data": {}}\n')  # events are skipped
        if args["device"] == "cirrus":
            with open(args["filename"], "wb") as out:
                out.write(b"P6\n1 1\n255\n\x01\x02\x03")
            f.write(b'{"return": {}}\n')
        else:
            desc = f"Device '{args['device']}' not found"
            f.write(json.dumps({"error": {"class": "DeviceNotFound", "desc": desc}}).encode() + b"\n")


def ask(directory, name, text, timeout=10):
    with open(os.path.join(directory, name + ".part"), "w") as f:
        f.write(text)
    os.rename(os.path.join(directory, name + ".part"), os.path.join(directory, name + ".request"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for suffix in ("ppm", "error"):
            path = os.path.join(directory, f"{name}.{suffix}")
            if os.path.exists(path):
                with open(path, "rb") as f:
                    return suffix, f.read()
        time.sleep(0.01)
    raise AssertionError(f"no answer to {name}")


def main():
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        sock_path = os.path.join(tmp, "qmp.sock")
        share = os.path.join(tmp, "screendump")
        os.mkdir(share)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(sock_path)
        listener.listen(1)
        commands = []
        threading.Thread(target=fake_qemu, args=(listener, commands), daemon=True).start()
        service = subprocess.Popen([sys.executable, SERVICE, "--qmp", sock_path, "--dir", share])
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(os.path.join(share, "ready")) and time.monotonic() < deadline:
                time.sleep(0.01)
            check(os.path.exists(os.path.join(share, "ready")), "the service says it is ready")

            kind, data = ask(share, "1-0", "device=cirrus\nhead=0\n")
            check(kind == "ppm" and data == b"P6\n1 1\n255\n\x01\x02\x03", f"a screendump answers with qemu's file ({kind})")
            shot = [c for c in commands if c["execute"] == "screendump"]
            check(len(shot) == 1 and shot[0]["arguments"]["device"] == "cirrus" and shot[0]["arguments"]["head"] == 0,
                  f"the command names device and head: {shot}")

            kind, data = ask(share, "1-1", "device=nosuch\nhead=0\n")
            check(kind == "error" and data == b"qemu: Device 'nosuch' not found\n", f"qemu's error is the answer: {data!r}")

            before = len(commands)
            kind, data = ask(share, "1-2", "device=../etc\nhead=0\n")
            check(kind == "error" and b"is not a qemu device id" in data and len(commands) == before,
                  f"a bad request is refused without asking qemu: {data!r}")

            time.sleep(0.1)
            left = sorted(n for n in os.listdir(share) if n.endswith((".request", ".part")))
            check(not left, f"no request or partial answer left: {left}")
        finally:
            service.terminate()
            service.wait(5)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
