#!/usr/bin/env python3
"""Checks that the PostGraphile scenarios answer what Communs' answer.

Posts each pair of queries (bench/scenarios/communs/X.graphql to Communs,
bench/scenarios/postgraphile/X.graphql to PostGraphile) with the same variables, and
verifies: no `errors`; the same initiatives (by slug) in the same order; the same
totalCount for `filtered`; the same titles, summaries, publication times and sets of
themes, territories and lead organisations. Prints the size of each response in bytes.

  python3 bench/postgraphile/check.py \
      --communs http://127.0.0.1:18080/graphql \
      --postgraphile http://127.0.0.1:5678/graphql \
      --slug SLUG --theme UUID --territory UUID

--theme and --territory take raw UUIDs (a Communs global id `Theme:<uuid>` is accepted
too); Communs is sent `Theme:<uuid>` / `Territory:<uuid>`, PostGraphile the UUID.
Exits 1 on the first scenario that differs, after printing every difference found.
"""

import argparse
import datetime
import json
import pathlib
import sys
import urllib.error
import urllib.request

SCENARIOS = pathlib.Path(__file__).resolve().parent.parent / "scenarios"


def post(url, query, variables):
    """The decoded answer to a GraphQL request and the size of its body in bytes."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raw = error.read()
    try:
        return json.loads(raw), len(raw)
    except json.JSONDecodeError:
        sys.exit(f"{url}: not JSON: {raw[:300]!r}")


def nodes(connection):
    return [] if connection is None else connection["nodes"]


def instant(text):
    """A timestamp, whatever its ISO 8601 spelling (Z or +00:00), to the second: Communs
    gives whole seconds, PostGraphile the microseconds PostgreSQL stores."""
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(microsecond=0)


def common(node):
    """The fields both systems give for an initiative, in Communs' shape."""
    return {
        key: node[key]
        for key in ("slug", "title", "summary", "description", "startedOn", "endedOn")
        if key in node
    } | {"publishedAt": instant(node.get("publishedAt"))}


def slugs(items):
    return sorted(item["slug"] for item in items)


def communs_initiative(node):
    out = common(node)
    if "themes" in node:
        out["themes"] = slugs(node["themes"])
    if "territories" in node:
        out["territories"] = slugs(node["territories"])
    if "organisations" in node:
        out["organisations"] = sorted(
            (link.get("role", "LEAD"), link["organisation"]["slug"])
            for link in node["organisations"]
        )
    return out


def postgraphile_initiative(node):
    out = common(node)
    if "initiativeThemesByInitiativeId" in node:
        out["themes"] = slugs(
            link["themeByThemeId"] for link in nodes(node["initiativeThemesByInitiativeId"])
        )
    if "initiativeTerritoriesByInitiativeId" in node:
        out["territories"] = slugs(
            link["territoryByTerritoryId"]
            for link in nodes(node["initiativeTerritoriesByInitiativeId"])
        )
    if "initiativeOrganisationsByInitiativeId" in node:
        out["organisations"] = sorted(
            (link.get("role", "LEAD"), link["organisationByOrganisationId"]["slug"])
            for link in nodes(node["initiativeOrganisationsByInitiativeId"])
        )
    return out


def compare_lists(name, communs, postgraphile, problems):
    left = [communs_initiative(node) for node in communs]
    right = [postgraphile_initiative(node) for node in postgraphile]
    left_slugs = [item["slug"] for item in left]
    right_slugs = [item["slug"] for item in right]
    if left_slugs != right_slugs:
        problems.append(f"{name}: slugs differ\n  communs:      {left_slugs}\n  postgraphile: {right_slugs}")
        return
    if not left_slugs:
        problems.append(f"{name}: both lists are empty; pick variables that match something")
    for a, b in zip(left, right):
        if a != b:
            problems.append(f"{name}: {a['slug']} differs\n  communs:      {a}\n  postgraphile: {b}")


def scenario(name, communs_url, postgraphile_url, communs_vars, postgraphile_vars):
    answers = {}
    for system, url, variables in (
        ("communs", communs_url, communs_vars),
        ("postgraphile", postgraphile_url, postgraphile_vars),
    ):
        query = (SCENARIOS / system / f"{name}.graphql").read_text()
        answers[system] = post(url, query, variables)

    problems = []
    for system, (answer, _) in answers.items():
        if answer.get("errors"):
            problems.append(f"{name}: {system} errors: {json.dumps(answer['errors'])[:1000]}")
        if not isinstance(answer.get("data"), dict):
            problems.append(f"{name}: {system} has no data")
    if not problems:
        c = answers["communs"][0]["data"]
        p = answers["postgraphile"][0]["data"]
        if name == "list":
            compare_lists(name, nodes(c["initiatives"]), nodes(p["allInitiatives"]), problems)
        elif name == "by_slug":
            one_c, one_p = c["initiative"], p["initiativeBySlug"]
            if one_c is None or one_p is None:
                problems.append(f"{name}: not found (communs: {one_c is not None}, postgraphile: {one_p is not None})")
            else:
                compare_lists(name, [one_c], [one_p], problems)
        elif name == "filtered":
            fc, fp = c["initiatives"], p["initiativesOnThemeAndTerritory"]
            if fc["totalCount"] != fp["totalCount"]:
                problems.append(f"{name}: totalCount {fc['totalCount']} (communs) != {fp['totalCount']} (postgraphile)")
            compare_lists(name, nodes(fc), nodes(fp), problems)
        if name in ("list", "filtered"):
            count = len(nodes(c["initiatives"]))
            total = c["initiatives"].get("totalCount")
            extra = "" if total is None else f", totalCount {total}"
            print(f"{name}: {count} initiatives{extra}")

    sizes = ", ".join(f"{system} {size} bytes" for system, (_, size) in answers.items())
    print(f"{name}: {sizes}")
    return problems


def raw_uuid(value, prefix):
    return value[len(prefix) + 1 :] if value.startswith(prefix + ":") else value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communs", required=True, help="Communs' GraphQL endpoint URL")
    parser.add_argument("--postgraphile", required=True, help="PostGraphile's GraphQL endpoint URL")
    parser.add_argument("--slug", required=True, help="slug of a published initiative")
    parser.add_argument("--theme", required=True, help="theme UUID")
    parser.add_argument("--territory", required=True, help="territory UUID")
    args = parser.parse_args()

    theme = raw_uuid(args.theme, "Theme")
    territory = raw_uuid(args.territory, "Territory")
    runs = [
        ("list", {}, {}),
        ("by_slug", {"slug": args.slug}, {"slug": args.slug}),
        (
            "filtered",
            {"theme": f"Theme:{theme}", "territory": f"Territory:{territory}"},
            {"theme": theme, "territory": territory},
        ),
    ]
    problems = []
    for name, communs_vars, postgraphile_vars in runs:
        problems += scenario(name, args.communs, args.postgraphile, communs_vars, postgraphile_vars)
    for problem in problems:
        print("FAIL " + problem)
    if problems:
        sys.exit(1)
    print("OK: same initiatives, same order, same totalCount")


if __name__ == "__main__":
    main()
