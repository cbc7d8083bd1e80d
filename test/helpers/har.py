#!/usr/bin/env python3
"""Check a HAR file against HAR 1.2 (http://www.softwareishard.com/blog/
har-12-spec/), for test/export.bats: every object and member the spec
requires, with its type; then print one line per entry:

    METHOD URL STATUS BODY

BODY being the request's postData text (decoded when it is base64:
shown as hex), or "-".
"""
import base64
import json
import sys


def need(obj, key, kind, where):
    if not isinstance(obj, dict) or key not in obj:
        sys.exit("%s: no %s" % (where, key))
    if not isinstance(obj[key], kind) or (kind is int and
                                          isinstance(obj[key], bool)):
        sys.exit("%s.%s: not %s" % (where, key, kind.__name__))
    return obj[key]


def pairs(obj, key, where):
    for i, p in enumerate(need(obj, key, list, where)):
        need(p, "name", str, "%s.%s[%d]" % (where, key, i))
        need(p, "value", str, "%s.%s[%d]" % (where, key, i))


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        har = json.load(f)
    log = need(har, "log", dict, "")
    if need(log, "version", str, "log") != "1.2":
        sys.exit("log.version is not 1.2")
    creator = need(log, "creator", dict, "log")
    need(creator, "name", str, "log.creator")
    need(creator, "version", str, "log.creator")
    for n, e in enumerate(need(log, "entries", list, "log")):
        w = "log.entries[%d]" % n
        need(e, "startedDateTime", str, w)
        if "T" not in e["startedDateTime"]:
            sys.exit(w + ".startedDateTime: not ISO 8601")
        if need(e, "time", (int, float), w) < 0:
            sys.exit(w + ".time: negative")
        req = need(e, "request", dict, w)
        for k, t in (("method", str), ("url", str), ("httpVersion", str),
                     ("headersSize", int), ("bodySize", int)):
            need(req, k, t, w + ".request")
        for k in ("cookies", "headers", "queryString"):
            need(req, k, list, w + ".request")
        pairs(req, "headers", w + ".request")
        pairs(req, "queryString", w + ".request")
        body = "-"
        if "postData" in req:
            post = need(req, "postData", dict, w + ".request")
            need(post, "mimeType", str, w + ".request.postData")
            text = need(post, "text", str, w + ".request.postData")
            if post.get("encoding") == "base64":
                body = base64.b64decode(text).hex()
            else:
                body = text
        res = need(e, "response", dict, w)
        for k, t in (("status", int), ("statusText", str),
                     ("httpVersion", str), ("redirectURL", str),
                     ("headersSize", int), ("bodySize", int)):
            need(res, k, t, w + ".response")
        for k in ("cookies", "headers"):
            need(res, k, list, w + ".response")
        pairs(res, "headers", w + ".response")
        content = need(res, "content", dict, w + ".response")
        need(content, "size", int, w + ".response.content")
        need(content, "mimeType", str, w + ".response.content")
        if content.get("encoding") == "base64":
            base64.b64decode(need(content, "text", str, w))
        need(e, "cache", dict, w)
        timings = need(e, "timings", dict, w)
        for k in ("send", "wait", "receive"):
            if need(timings, k, (int, float), w + ".timings") < 0:
                sys.exit(w + ".timings." + k + ": negative")
        print(req["method"], req["url"], res["status"], body)


main()
