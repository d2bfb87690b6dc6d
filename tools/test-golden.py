#!/usr/bin/env python3
"""make test-golden: runs only the golden-parity tests (xunit trait Category=Golden) and prints one line per golden set,
`golden <area>/<path>/<name> passed|failed`.

Sets are found by their files under the golden directory ($STYLEBRIDGE_GOLDEN_DIR, default ../shared/golden):
`<name>_config.json` beside `<name>_io.safetensors`. A golden test names its set by its first theory argument (the set
id relative to its area, e.g. "rosinality/tiny"); its area is the test class's namespace below `Tests.` (Clip → clip,
StyleGan2 → stylegan2, Prior → prior, Edit → edit); an edit set `<prefix>_<kind>` is found the same way. A set no test names is reported as `not tested`, and fails the run.
"""
import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.abspath(os.environ.get("STYLEBRIDGE_GOLDEN_DIR") or os.path.join(ROOT, "..", "shared", "golden"))
PROJECTS = ["tests/StyleBridge.Models.Tests"]
RESULTS = os.path.join(ROOT, "artifacts", "test-golden")
NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def discover():
    sets = []
    for config in sorted(glob.glob(os.path.join(GOLDEN, "**", "*_config.json"), recursive=True)):
        base = config[: -len("_config.json")]
        if os.path.exists(base + "_io.safetensors"):
            rel = os.path.relpath(base, GOLDEN).replace(os.sep, "/")
            sets.append(rel)
    return sets


def run_tests():
    outcomes = {}
    env = dict(os.environ, STYLEBRIDGE_GOLDEN_DIR=GOLDEN)
    for project in PROJECTS:
        name = os.path.basename(project)
        trx_dir = os.path.join(RESULTS, name)
        for old in glob.glob(os.path.join(trx_dir, "*.trx")):
            os.remove(old)
        subprocess.run(["dotnet", "test", os.path.join(ROOT, project), "-c", "Release", "--no-build", "-nologo", "-v", "q",
                        "--filter", "Category=Golden", "--logger", "trx;LogFileName=golden.trx", "--results-directory", trx_dir],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for trx in glob.glob(os.path.join(trx_dir, "*.trx")):
            for result in ET.parse(trx).getroot().iter("{%s}UnitTestResult" % NS["t"]):
                test = result.get("testName")
                outcome = result.get("outcome")
                match = re.match(r"^(?:[\w]+\.)*?Tests\.(\w+)\.[\w.]+\((\w+): \"([^\"]+)\"", test)
                if match is None:
                    area_match = re.match(r"^(?:[\w]+\.)*?Tests\.(\w+)\.", test)
                    key = (area_match.group(1).lower() if area_match else "?", None)
                else:
                    key = (match.group(1).lower(), match.group(3))
                outcomes.setdefault(key, []).append((test, outcome))
    return outcomes


def main():
    sets = discover()
    if not sets:
        print(f"golden: no sets under {GOLDEN}")
        return 1
    outcomes = run_tests()
    status = 0
    for set_id in sets:
        area, _, rest = set_id.partition("/")
        results = outcomes.get((area, rest), [])
        # tests of the area that name no set (e.g. "every set has its core cases") count for each of its sets
        results = results + outcomes.get((area, None), [])
        if not outcomes.get((area, rest)):
            print(f"golden {set_id} not tested")
            status = 1
            continue
        failed = [t for t, o in results if o != "Passed"]
        print(f"golden {set_id} {'failed' if failed else 'passed'}")
        for t in failed:
            print(f"  failed: {t}")
        status |= bool(failed)
    return status


if __name__ == "__main__":
    sys.exit(main())
