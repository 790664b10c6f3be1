"""test_fuzz.py — the libFuzzer targets (tests/fuzz) as regression tests.

Builds every target (`make fuzz-build`: clang, libFuzzer, ASan + UBSan, into
build/fuzz) and runs each for PORTICO_FUZZ_TEST_SECONDS (default 6) over a
temporary copy of its seed corpus and with its dictionary, so a parser that
starts crashing, leaking or tripping a sanitizer on any seed or on what the
fuzzer finds in that time fails `make test`. Prints the executions of each.
`make fuzz` runs the same targets for longer (tests/fuzz/README.md).

Not repeated in the [pg] pass: no target depends on the record store the
black-box suite runs against.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FUZZ_DIR = os.path.join(ROOT, "tests", "fuzz")
FUZZ_BUILD = os.path.join(ROOT, "build", "fuzz")
SECONDS = int(os.environ.get("PORTICO_FUZZ_TEST_SECONDS", "6"))
REPORTS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer", "ERROR: libFuzzer",
           "deadly signal")
TARGETS = sorted(os.path.basename(p)[len("fuzz_"):-2] for p in glob.glob(os.path.join(FUZZ_DIR, "fuzz_*.c"))
                 if not p.endswith("fuzz_gw.c"))
PG_PASS = os.environ.get("PORTICO_TEST_STORE") == "pg"


def _env():
    # The runner's ASan options are for the gateway; libFuzzer's defaults
    # (leak checks per input included) suit the targets.
    env = dict(os.environ)
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        env.pop(k, None)
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def _run_target(name):
    binary = os.path.join(FUZZ_BUILD, "fuzz_" + name)
    assert os.access(binary, os.X_OK), "%s was not built" % binary
    work = tempfile.mkdtemp(prefix="portico-fuzz-%s-" % name)
    try:
        corpus = os.path.join(work, "corpus")
        seeds = os.path.join(FUZZ_DIR, "corpus", name)
        if os.path.isdir(seeds):
            shutil.copytree(seeds, corpus)
        else:
            os.makedirs(corpus)
        n_seeds = len(os.listdir(corpus))
        argv = [binary, "-max_total_time=%d" % SECONDS, "-print_final_stats=1", "-close_fd_mask=3",
                "-timeout=10", "-rss_limit_mb=2048", "-artifact_prefix=%s/" % work, corpus]
        d = os.path.join(FUZZ_DIR, name + ".dict")
        if os.path.exists(d):
            argv.insert(1, "-dict=" + d)
        cp = subprocess.run(argv, cwd=ROOT, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=SECONDS + 120)
        out = cp.stdout.decode("utf-8", "replace")
        report = next((out[max(0, out.find(r) - 200):out.find(r) + 3000] for r in REPORTS if r in out), None)
        crashes = [f for f in os.listdir(work) if f.startswith(("crash-", "leak-", "timeout-", "oom-"))]
        assert cp.returncode == 0 and not report and not crashes, \
            "fuzz_%s failed (exit %d, artifacts %s):\n%s" % (name, cp.returncode, crashes, report or out[-3000:])
        m = re.findall(r"stat::number_of_executed_units: (\d+)", out)
        execs = int(m[-1]) if m else 0
        assert execs >= n_seeds, "fuzz_%s ran %d inputs for %d seeds" % (name, execs, n_seeds)
        print("# fuzz_%s: %d executions in %ds over %d seeds" % (name, execs, SECONDS, n_seeds), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if not PG_PASS:
    def test_fuzz_build():
        cp = subprocess.run(["make", "--no-print-directory", "-j2", "fuzz-build"], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=230)
        out = cp.stdout.decode("utf-8", "replace")
        assert cp.returncode == 0, "make fuzz-build failed:\n%s" % out[-4000:]
        assert TARGETS, "no tests/fuzz/fuzz_*.c targets"

    def _make_test(name):
        def test():
            _run_target(name)
        test.__name__ = "test_fuzz_" + name
        test.__qualname__ = test.__name__
        return test

    for _name in TARGETS:
        globals()["test_fuzz_" + _name] = _make_test(_name)
