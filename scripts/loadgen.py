#!/usr/bin/env python3
"""A bounded SCIM load generator for scripts/faults.sh and scripts/soak.sh (standard library only).

N workers, each on one keep-alive connection (reopened after an error), run a mix of requests against the gateway
for a fixed time and write one line per request to --out:

    start end kind status retry_after error        (times: Unix seconds; status 0 and error set when no response)

Kinds: read (GET /Users/{id}, GET /Users?filter), list (GET /Groups), write (POST then DELETE a user), member
(PATCH a group's members), bad (malformed input, expects 400). --mix picks the share of each. --rate bounds the
requests per second of each worker (0: as fast as answers come).
"""
import argparse
import http.client
import json
import random
import socket
import sys
import threading
import time
import uuid

SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Client:
    def __init__(self, host, port, base, token, timeout):
        self.host, self.port, self.base, self.timeout = host, port, base, timeout
        self.headers = {"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"}
        self.conn = None

    def request(self, method, path, body=None):
        """(status, retry_after, error, parsed body or None)"""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        data = None if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
        try:
            self.conn.request(method, self.base + path, body=data, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            return response.status, response.getheader("Retry-After") or "-", "-", parsed
        except ConnectionRefusedError:
            error = "refused"
        except ConnectionResetError:
            error = "reset"
        except (socket.timeout, TimeoutError):
            error = "timeout"
        except http.client.RemoteDisconnected:
            error = "disconnected"
        except OSError as exc:
            error = type(exc).__name__
        self.close()
        return 0, "-", error, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def setup(client, users):
    """A few users and a group for reads and member changes; returns (user ids, group id)."""
    tag = uuid.uuid4().hex[:8]
    ids = []
    for i in range(users):
        status, _, _, body = client.request("POST", "/Users", {
            "schemas": [SCHEMA_USER], "userName": f"load.{tag}.{i}", "name": {"givenName": "Load", "familyName": f"U{i}"}})
        if status != 201:
            sys.exit(f"loadgen: setup POST /Users answered {status}")
        ids.append(body["id"])
    status, _, _, body = client.request("POST", "/Groups", {"schemas": [SCHEMA_GROUP], "displayName": f"load-{tag}"})
    if status != 201:
        sys.exit(f"loadgen: setup POST /Groups answered {status}")
    return ids, body["id"], tag


def worker(args, index, ids, group, tag, stop, out, lock):
    client = Client(args.host, args.port, args.base, args.token, args.timeout)
    rng = random.Random(index)
    kinds, weights = zip(*args.mix)
    interval = 1.0 / args.rate if args.rate > 0 else 0
    n = 0
    while not stop.is_set():
        began = time.time()
        kind = rng.choices(kinds, weights)[0]
        n += 1
        if kind == "read":
            if rng.random() < 0.5:
                status, retry, error, _ = client.request("GET", "/Users/" + rng.choice(ids))
            else:
                status, retry, error, _ = client.request("GET", f"/Users?filter=userName%20eq%20%22load.{tag}.{rng.randrange(len(ids))}%22")
        elif kind == "list":
            status, retry, error, _ = client.request("GET", "/Groups?count=5")
        elif kind == "write":
            status, retry, error, body = client.request("POST", "/Users", {
                "schemas": [SCHEMA_USER], "userName": f"w.{tag}.{index}.{n}", "name": {"givenName": "W", "familyName": "X"}})
            if status == 201:
                record(out, lock, began, time.time(), kind, status, retry, error)
                began = time.time()
                status, retry, error, _ = client.request("DELETE", "/Users/" + body["id"])
        elif kind == "member":
            op = rng.choice(["add", "remove"])
            user = rng.choice(ids)
            if op == "add":
                patch = {"op": "add", "path": "members", "value": [{"value": user}]}
            else:
                patch = {"op": "remove", "path": f'members[value eq "{user}"]'}
            status, retry, error, _ = client.request("PATCH", "/Groups/" + group, {"schemas": [PATCH], "Operations": [patch]})
        else:  # bad input
            status, retry, error, _ = client.request("POST", "/Users", rng.choice([
                b'{"schemas": [', b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}',
                b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":[{"value":7}]}']))
            kind = "bad"
        record(out, lock, began, time.time(), kind, status, retry, error)
        if interval:
            left = interval - (time.time() - began)
            if left > 0:
                stop.wait(left)
    client.close()


def record(out, lock, began, ended, kind, status, retry, error):
    with lock:
        out.write(f"{began:.3f} {ended:.3f} {kind} {status} {retry} {error}\n")


def parse_mix(text):
    mix = []
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name not in ("read", "list", "write", "member", "bad"):
            raise argparse.ArgumentTypeError(f"unknown kind {name}")
        mix.append((name, float(weight or 1)))
    return mix


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8080/scim/v2")
    parser.add_argument("--token", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=0, help="requests per second per worker (0: unbounded)")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("read=8,list=1,write=1"))
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ready-file", help="touched once setup is done and the load runs")
    args = parser.parse_args()
    rest = args.url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    args.host, _, port = hostport.partition(":")
    args.port = int(port or 80)
    args.base = "/" + path.rstrip("/")
    ids, group, tag = setup(Client(args.host, args.port, args.base, args.token, args.timeout), args.users)
    stop = threading.Event()
    lock = threading.Lock()
    with open(args.out, "w") as out:
        threads = [threading.Thread(target=worker, args=(args, i, ids, group, tag, stop, out, lock), daemon=True)
                   for i in range(args.workers)]
        for thread in threads:
            thread.start()
        if args.ready_file:
            open(args.ready_file, "w").close()
        stop.wait(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(args.timeout + 5)


if __name__ == "__main__":
    main()
