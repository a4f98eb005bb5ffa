#!/usr/bin/env python3
"""Splits a `perf script -F tid,ip,sym` dump of the gateway into where its CPU goes (see scripts/profile.sh).

Each sample is attributed by its outermost meaningful frame: the Swift job it runs in (an async function's
partial, resumed by the executor), the NIO channel event it handles, or the LDAP reactor thread.
Usage: profile-buckets.py STACKS [MICROSECONDS_PER_REQUEST]
"""
import re
import sys

RULES = [
    ("HTTP: read and parse the request (NIO, llhttp)", r"^IO .*readable"),
    ("HTTP: write the response (NIO, writev, the kernel's loopback TCP)", r"NIOAsyncWriter"),
    ("HTTP: Hummingbird routing, the middlewares, authentication, metrics",
     r"RouterResponder|ApplicationProtocol|handleHTTP|Middleware|authenticate|NIOThrowingAsyncSequenceProducer"),
    ("LDAP: encode and send the request, read the reply into entries", r"LDAPConnectionC8exchange|LDAPConnectionC6search"),
    ("LDAP: the reactor thread (epoll_wait, read, libldap's parse, resuming the caller)", r"^REACTOR"),
    ("LDAP: registering the wait, the pool lease", r"LDAPReactorC5reply|ConnectionPool|LDAPPool"),
    ("SCIM: find, decode, projection, JSON, writes",
     r"SCIMLDAP|SCIMCore|SCIMServer|ResourceController|ResourceOperations"),
    ("Swift concurrency: executor hops", r"swift_task_switch|removeStatusRecord|withTaskCancellation|swift_continuation|^JOB \?"),
]
OTHER = "event-loop wake-ups, runtime, kernel scheduling, unattributed"


def samples(path):
    current = None
    for line in open(path, errors="replace"):
        if not line.strip():
            continue
        if not line.startswith("\t"):
            if current is not None:
                yield current
            current = []
        else:
            parts = line.strip().split(" ", 1)
            current.append(parts[1] if len(parts) > 1 else "?")
    if current is not None:
        yield current


def root(frames):
    for index, frame in enumerate(frames):  # leaf first
        caller = frames[index - 1] if index > 0 else "?"
        if "runJobInEstablishedExecutorContext" in frame:
            return "JOB " + caller
        if "SelectableEventLoopC06handleC0" in frame or "whenReady" in frame:
            return "IO " + caller
        if "NSThreadStart" in frame:
            return "REACTOR"
    return "OTHER"


def main():
    per_request = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    counts = {name: 0 for name, _ in RULES}
    counts[OTHER] = 0
    total = 0
    for frames in samples(sys.argv[1]):
        total += 1
        key = root(frames)
        for name, pattern in RULES:
            if re.search(pattern, key):
                counts[name] += 1
                break
        else:
            counts[OTHER] += 1
    if total == 0:
        sys.exit("profile-buckets: no samples")
    print(f"{total} samples" + (f", {per_request:.0f} µs of gateway CPU per request" if per_request else ""))
    print("| where | share | µs per request |\n|---|---|---|")
    for name in [name for name, _ in RULES] + [OTHER]:
        share = counts[name] / total
        print(f"| {name} | {share * 100:.1f} % | {share * per_request:.0f} |")


main()
