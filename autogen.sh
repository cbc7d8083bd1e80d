#!/bin/sh
# Generate configure and Makefile.in (and build-aux/) from a fresh clone.
set -eu
cd "$(dirname "$0")"
exec autoreconf -fi
