#!/usr/bin/env python3
"""Sign a webhook body the way its provider does, for the --verify tests:
an independent third party, built on Python's hmac module only.

    sign.py SCHEME BODYFILE SECRET [SECRET...] [--timestamp T] [--id ID]

prints the signature headers as "Name: value" lines, for curl -H @FILE.
SCHEME is github, stripe, standard or hmac-sha256:HEADER.  With several
secrets, stripe and standard carry one signature per secret (as during a
secret rotation); github and hmac-* use the first.  T defaults to now.
"""
import base64
import hashlib
import hmac
import sys
import time


def mac(key, data):
    return hmac.new(key, data, hashlib.sha256)


def main():
    args = sys.argv[1:]
    timestamp = str(int(time.time()))
    msg_id = "msg_test"
    if "--timestamp" in args:
        at = args.index("--timestamp")
        timestamp = args[at + 1]
        del args[at:at + 2]
    if "--id" in args:
        at = args.index("--id")
        msg_id = args[at + 1]
        del args[at:at + 2]
    if len(args) < 3:
        sys.exit(__doc__)
    scheme, path, secrets = args[0], args[1], args[2:]
    with open(path, "rb") as f:
        body = f.read()
    if scheme == "github":
        digest = mac(secrets[0].encode(), body).hexdigest()
        print("X-Hub-Signature-256: sha256=" + digest)
    elif scheme == "stripe":
        signed = timestamp.encode() + b"." + body
        parts = ["t=" + timestamp]
        parts += ["v1=" + mac(s.encode(), signed).hexdigest() for s in secrets]
        print("Stripe-Signature: " + ",".join(parts))
    elif scheme == "standard":
        signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
        sigs = []
        for s in secrets:
            key = base64.b64decode(s[len("whsec_"):] if s.startswith("whsec_")
                                   else s)
            sigs.append("v1," + base64.b64encode(mac(key, signed).digest())
                        .decode())
        print("webhook-id: " + msg_id)
        print("webhook-timestamp: " + timestamp)
        print("webhook-signature: " + " ".join(sigs))
    elif scheme.startswith("hmac-sha256:"):
        header = scheme.split(":", 1)[1]
        print(header + ": " + mac(secrets[0].encode(), body).hexdigest())
    else:
        sys.exit("sign.py: unknown scheme " + scheme)


main()
