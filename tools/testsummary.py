"""Read an Odoo test log and print an honest closing line.

Odoo ends a test run with
``odoo.tests.result: F failed, E error(s) of N tests when loading database``
where N counts skipped tests too, and logs every skip as
``skipped <Class>.<test> : <reason>`` (a browser tour without Chromium or
websocket-client is *skipped*, and Odoo still calls the run green).

We print ``P passed, F failed`` alone on a line (F counts failures, errors,
skips unless allowed, and errors logged outside any test, such as a module
that failed to load) and exit non-zero when anything failed or no test ran.
"""

import argparse
import re
import sys

RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
SKIP = re.compile(r" skipped (\S+) : (.*)$")
LOG_ERROR = re.compile(r"^\S+ \S+ \d+ (?:ERROR|CRITICAL) \S+ (\S+?):? ")
# Warnings that mean something did not load (Odoo carries on without it).
LOAD_FAILURE = re.compile(r"demo data failed to install|Failed to load registry|invalid module names")
# Loggers whose errors Odoo already counts in its result line.
COUNTED = re.compile(r"^odoo\.tests|^odoo\.addons\.\w+\.tests\.")
TEST_FAILURE = re.compile(r"^(FAIL|ERROR): ")


def summarise(lines, allow_skips=False):
    failed = errors = total = 0
    skips = []
    stray_errors = []
    seen_result = False
    for line in lines:
        line = line.rstrip("\n")
        match = RESULT.search(line)
        if match:
            seen_result = True
            failed, errors, total = (int(g) for g in match.groups())
            continue
        match = SKIP.search(line)
        if match:
            skips.append(f"{match.group(1)}: {match.group(2)}")
            continue
        match = LOG_ERROR.match(line)
        if (match and not COUNTED.match(match.group(1))) or LOAD_FAILURE.search(line):
            stray_errors.append(line)
    return {
        "seen_result": seen_result,
        "failed": failed,
        "errors": errors,
        "total": total,
        "skips": skips,
        "stray_errors": stray_errors,
        "allow_skips": allow_skips,
    }


def verdict(summary, exit_code=0):
    """Return (passed, failed, problems) from a summary."""
    problems = []
    skipped = len(summary["skips"])
    passed = summary["total"] - summary["failed"] - summary["errors"] - skipped
    failed = summary["failed"] + summary["errors"]
    if not summary["seen_result"] or summary["total"] == 0:
        problems.append("no test ran")
    if skipped and not summary["allow_skips"]:
        failed += skipped
        problems.extend(f"skipped (counted as failed): {s}" for s in summary["skips"])
    elif skipped:
        problems.append(f"{skipped} test(s) skipped by their own suites (allowed here)")
    # Errors logged by tests are already counted; others (a module that did not
    # load, a broken view) are not in Odoo's count but fail the run.
    stray = summary["stray_errors"]
    if stray and failed == 0:
        failed = 1
        problems.extend(f"error outside tests: {line[:300]}" for line in stray[:5])
    if exit_code and failed == 0:
        failed = 1
        problems.append(f"odoo exited with code {exit_code}")
    return max(passed, 0), failed, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log")
    parser.add_argument("--exit-code", type=int, default=0)
    parser.add_argument("--allow-skips", action="store_true")
    parser.add_argument("--label", default="", help="a word printed before the closing line")
    args = parser.parse_args(argv)
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        summary = summarise(handle, allow_skips=args.allow_skips)
    passed, failed, problems = verdict(summary, args.exit_code)
    for problem in problems:
        print(f"  - {problem}")
    prefix = f"{args.label}: " if args.label else ""
    print(f"{prefix}{passed} passed, {failed} failed")
    return 1 if failed or "no test ran" in problems else 0


if __name__ == "__main__":
    sys.exit(main())
