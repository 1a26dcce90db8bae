#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The lab's screendump service, on the host: the guest has no network, so it asks through
files in a directory of the run's share, and this process asks qemu over its QMP socket.

Protocol (the guest side is tests/rig/screendump.cpp):
  DIR/ready               written here at start ("pid N"): a service is listening.
  DIR/NAME.request        written by the guest (renamed into place, so never seen half
                          written): lines "device=ID" (a qemu device id: cirrus, virtio)
                          and "head=N".
  DIR/NAME.ppm            the answer: qemu's binary PPM (P6) of that device's head, or
  DIR/NAME.error          one line saying why there is none (qemu's own error text).
Answers are written under a temporary name and renamed, so the guest never reads a
partial one. The request is removed once answered.

run.sh starts it before qemu and kills it after; it connects to qemu at the first request.
"""
import argparse
import json
import os
import re
import socket
import sys
import time

POLL_SECONDS = 0.02
CONNECT_SECONDS = 10
REPLY_SECONDS = 30
DEVICE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class QmpError(Exception):
    pass


class Qmp:
    """One QMP connection (JSON lines), opened on first use and again after a failure."""

    def __init__(self, path):
        self.path = path
        self.sock = None
        self.buf = b""

    def _connect(self):
        deadline = time.monotonic() + CONNECT_SECONDS
        while True:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(REPLY_SECONDS)
                sock.connect(self.path)
                break
            except OSError as e:
                sock.close()
                if time.monotonic() > deadline:
                    raise QmpError(f"cannot connect to qemu's QMP socket {self.path}: {e.strerror}")
                time.sleep(0.1)
        self.sock = sock
        self.buf = b""
        greeting = self._read()
        if "QMP" not in greeting:
            raise QmpError(f"qemu's QMP socket sent no greeting: {greeting}")
        self._command({"execute": "qmp_capabilities"})

    def _read(self):
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise QmpError(f"qemu did not answer within {REPLY_SECONDS} s")
            if not data:
                raise QmpError("qemu closed its QMP socket (did it exit?)")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def _command(self, cmd):
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            reply = self._read()
            if "event" in reply:
                continue
            if "error" in reply:
                err = reply["error"]
                raise QmpError(f"qemu: {err.get('desc', err)}")
            if "return" in reply:
                return reply["return"]

    def command(self, cmd):
        try:
            if self.sock is None:
                self._connect()
            return self._command(cmd)
        except (OSError, ValueError, QmpError):
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            raise


def parse_request(text):
    fields = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            fields[key.strip()] = value.strip()
    device = fields.get("device", "")
    if not DEVICE_RE.match(device):
        raise QmpError(f"bad request: device '{device}' is not a qemu device id")
    try:
        head = int(fields.get("head", "0"))
    except ValueError:
        raise QmpError(f"bad request: head '{fields.get('head')}' is not a number")
    if head < 0:
        raise QmpError(f"bad request: head {head} is negative")
    return device, head


def answer(directory, name, suffix, write):
    part = os.path.join(directory, f"{name}.{suffix}.part")
    write(part)
    os.rename(part, os.path.join(directory, f"{name}.{suffix}"))


def serve_one(qmp, directory, name):
    request = os.path.join(directory, name + ".request")
    try:
        with open(request) as f:
            device, head = parse_request(f.read())
        part = os.path.join(directory, f"{name}.ppm.part")
        qmp.command({"execute": "screendump",
                     "arguments": {"filename": part, "device": device, "head": head}})
        if not os.path.exists(part):
            raise QmpError(f"qemu reported success but wrote no {part}")
        os.rename(part, os.path.join(directory, f"{name}.ppm"))
    except (OSError, ValueError, QmpError) as e:
        text = str(e) if isinstance(e, QmpError) else f"screendump service: {e}"

        def write(path):
            with open(path, "w") as f:
                f.write(text + "\n")
        answer(directory, name, "error", write)
    finally:
        try:
            os.unlink(request)
        except FileNotFoundError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qmp", required=True, help="qemu's QMP unix socket")
    parser.add_argument("--dir", required=True, help="the request directory (in the run's share)")
    args = parser.parse_args()
    qmp = Qmp(args.qmp)
    with open(os.path.join(args.dir, "ready.part"), "w") as f:
        f.write(f"pid {os.getpid()}\n")
    os.rename(os.path.join(args.dir, "ready.part"), os.path.join(args.dir, "ready"))
    while True:
        try:
            names = sorted(n[:-len(".request")] for n in os.listdir(args.dir) if n.endswith(".request"))
        except FileNotFoundError:
            return 0  # the share is gone: the run is over
        for name in names:
            serve_one(qmp, args.dir, name)
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
