#!/usr/bin/env python3
"""Post many requests to one URL, one after another, each answered before
the next is sent: a sender in a hurry, to fill a journal for the tests.

    flood.py URL COUNT SIZE

sends COUNT POSTs whose bodies are SIZE bytes of "x"; exits 1 unless every
one was answered 200.
"""
import http.client
import sys
import urllib.parse


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    count, size = int(sys.argv[2]), int(sys.argv[3])
    body = b"x" * size
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    for _ in range(count):
        conn.request("POST", url.path, body)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit("POST %s answered %d" % (sys.argv[1], response.status))
    conn.close()


main()
