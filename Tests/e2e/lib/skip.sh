# shellcheck shell=sh
# skip REASON — ends an end-to-end test as skipped: prints "skip: REASON" and exits 77,
# which Tests/e2e/run counts apart from passed and failed (never as ok). For a missing
# prerequisite only (not root, a package not installed); make test as root fails on it.
skip () { printf 'skip: %s\n' "$1"; exit 77; }
