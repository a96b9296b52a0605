#!/usr/bin/env python3
"""Generates a synthetic OSV advisory set and a package inventory for the
packages benchmark.

ADVISORIES advisories (default 100,000) across npm, PyPI, Debian:12 and Go,
over a pool of package names, each with one or two affected ranges
(introduced/fixed, some last_affected, some explicit versions) and a CVSS
vector; and a CycloneDX SBOM of PACKAGES components (default 5,000) drawn
from the same names, so that a realistic share of them is affected.

Usage: gen_osv.py OUTDIR [--advisories N] [--packages N]
Writes OUTDIR/osv/<id>.json (in folders of 1,000) and OUTDIR/bom.cdx.json.
"""
import argparse
import json
import os
import random

ECOS = [("npm", 0.4), ("PyPI", 0.3), ("Debian:12", 0.2), ("Go", 0.1)]
VECTORS = ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
           "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
           "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N",
           "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:L/I:L/A:L"]


def version(rng, eco):
    a, b, c = rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 40)
    if eco.startswith("Debian"):
        return "%d.%d.%d-%d" % (a, b, c, rng.randint(1, 5))
    return "%d.%d.%d" % (a, b, c)


def ordered(rng, eco, n):
    vs = set()
    while len(vs) < n:
        vs.add(version(rng, eco))
    key = lambda v: [int(x) for x in v.replace("-", ".").split(".")]
    return sorted(vs, key=key)


def purl(eco, name, ver):
    kind = {"npm": "npm", "PyPI": "pypi", "Debian:12": "deb/debian", "Go": "golang"}[eco]
    if eco == "Go":
        return "pkg:golang/%s@v%s" % (name, ver)
    return "pkg:%s/%s@%s" % (kind, name, ver)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--advisories", type=int, default=100000)
    ap.add_argument("--packages", type=int, default=5000)
    a = ap.parse_args()
    rng = random.Random(7)
    names = {eco: ["%s-pkg-%d" % (eco.split(":")[0].lower(), i) for i in range(int(a.advisories * w / 4))]
             for eco, w in ECOS}
    names["Go"] = ["example.com/mod%d/lib" % i for i in range(len(names["Go"]))]
    for i in range(a.advisories):
        r = rng.random()
        eco = next(e for e, w in [("npm", .4), ("PyPI", .7), ("Debian:12", .9), ("Go", 1.0)] if r < w)
        name = rng.choice(names[eco])
        vs = ordered(rng, eco, 3)
        events = [{"introduced": "0" if rng.random() < 0.3 else vs[0]}]
        events.append({"last_affected": vs[1]} if rng.random() < 0.1 else {"fixed": vs[2]})
        affected = {"package": {"ecosystem": eco, "name": name},
                    "ranges": [{"type": "SEMVER" if eco in ("npm", "Go") else "ECOSYSTEM",
                                "events": events}]}
        if rng.random() < 0.05:
            affected["versions"] = vs[:2]
        doc = {"id": "BENCH-%07d" % i, "modified": "2024-01-01T00:00:00Z",
               "aliases": ["CVE-2024-%07d" % i],
               "summary": "synthetic vulnerability %d in %s" % (i, name),
               "severity": [{"type": "CVSS_V3", "score": rng.choice(VECTORS)}],
               "affected": [affected]}
        folder = os.path.join(a.outdir, "osv", "%03d" % (i // 1000))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, doc["id"] + ".json"), "w") as f:
            json.dump(doc, f)
    comps = []
    for i in range(a.packages):
        r = rng.random()
        eco = next(e for e, w in [("npm", .4), ("PyPI", .7), ("Debian:12", .9), ("Go", 1.0)] if r < w)
        name = rng.choice(names[eco])
        ver = version(rng, eco)
        comps.append({"type": "library", "name": name, "version": ver, "purl": purl(eco, name, ver)})
    with open(os.path.join(a.outdir, "bom.cdx.json"), "w") as f:
        json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
                   "components": comps}, f)


if __name__ == "__main__":
    main()
