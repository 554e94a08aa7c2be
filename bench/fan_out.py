#!/usr/bin/env python3
"""Times documents whose fragments multiply when expanded, against a running Communs.

Each document is `levels` fragments on Query, each spreading the next `width` times: about a
kilobyte that expands to width**levels selections. Communs refuses those over
QUERY_MAX_FIELDS with QUERY_LIMIT_EXCEEDED; the budget is 50 ms per document.

    python3 bench/fan_out.py http://127.0.0.1:8080/graphql
"""

import json
import sys
import time
import urllib.request


def document(levels, width):
    parts = ["query { ...F0 }"]
    for level in range(levels):
        spreads = " ".join(f"...F{level + 1}" for _ in range(width))
        parts.append(f"fragment F{level} on Query {{ {spreads} }}")
    parts.append(f"fragment F{levels} on Query {{ __typename }}")
    return "\n".join(parts)


def main(url):
    for levels, width in [(5, 5), (6, 6), (8, 4), (10, 3), (12, 3), (20, 2), (30, 2)]:
        query = document(levels, width)
        body = json.dumps({"query": query}).encode()
        request = urllib.request.Request(url, body, {"content-type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=300) as response:
            answer = json.loads(response.read())
        elapsed = 1000 * (time.monotonic() - started)
        errors = answer.get("errors") or [{}]
        code = errors[0].get("extensions", {}).get("code", "ok")
        print(
            f"{levels:>2} levels x {width} spreads: {len(query):>5} bytes, "
            f"{width ** levels:>13,} selections expanded: {code} in {elapsed:.0f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/graphql")
