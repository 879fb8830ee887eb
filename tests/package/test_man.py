"""The man pages: they format without a warning and say what the programs
and the configuration have (ctest package.man; label "package").

    test_man.py --source DIR [--slad PATH] [--slactl PATH] PAGE...

PAGE is a roff file, plain or gzipped (as the .deb ships them). Checks:
- `groff -man -Tutf8 -ww -z` prints nothing (every warning enabled), and
  neither does `man --warnings -l` (man-db's own pipeline, at 80 columns);
- slad.8 names every option of `slad --help`, slactl.1 every command and
  option of `slactl --help` (a new option without its text fails);
- slad.conf.5 names every setting written in conf/slad.conf (its examples
  included) and conf/norms.conf, except the ticket fields of `match`;
- each page says the project's version (CMakeLists.txt).
"""

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def read_page(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read()


def words(text):
    return set(re.findall(r"[A-Za-z0-9_]+", text))


def settings_of(path, strip_match):
    names = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if strip_match:
                line = line.split("#", 1)[0]
                line = re.sub(r"match = \{.*", "", line)
            else:
                line = re.sub(r"^\s*#\s*,?\s*", "", line)  # the commented examples
                line = re.sub(r"#.*", "", line)
            names.update(re.findall(r"(?:^|[;{(,])\s*\{?\s*([a-z_]+)\s*=", line))
    return names


def help_text(binary):
    return subprocess.run([binary, "--help"], capture_output=True, text=True,
                          check=False).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--slad")
    ap.add_argument("--slactl")
    ap.add_argument("pages", nargs="+")
    args = ap.parse_args()

    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MAN_KEEP_FORMATTING="")
    with open(os.path.join(args.source, "CMakeLists.txt"), encoding="utf-8") as f:
        version = re.search(r"project\(slad VERSION ([0-9.]+)", f.read()).group(1)

    pages = {}
    for path in args.pages:
        name = os.path.basename(path)
        name = name[:-3] if name.endswith(".gz") else name
        text = read_page(path)
        pages[name] = text
        groff = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=text,
                               capture_output=True, text=True, env=env, check=False)
        check(groff.returncode == 0 and groff.stderr == "",
              "%s: groff -man -ww prints no warning %r" % (name, groff.stderr[:500]))
        if shutil.which("man"):
            man = subprocess.run(["man", "--warnings", "-l", path], capture_output=True,
                                 text=True, env=env, check=False)
            check(man.returncode == 0 and man.stderr == "" and len(man.stdout) > 500,
                  "%s: man --warnings -l formats it silently %r" % (name, man.stderr[:500]))
        else:
            print("skip %s: man -l (man-db not installed)" % name)
        check('"slad %s"' % version in text, "%s: says version %s in .TH" % (name, version))

    if "slad.8" in pages and args.slad:
        page = pages["slad.8"].replace("\\-", "-")
        for opt in sorted(set(re.findall(r"--([a-z-]+)", help_text(args.slad)))):
            check("--" + opt in page, "slad.8 documents --%s (slad --help)" % opt)
    if "slactl.1" in pages and args.slactl:
        page = pages["slactl.1"].replace("\\-", "-")
        usage = help_text(args.slactl)
        commands = re.findall(r"^  ([a-z]+)(?: |$)", usage, re.M)
        check(len(commands) >= 8, "slactl --help lists its commands (%d)" % len(commands))
        for cmd in commands:
            check(re.search(r"^\.(?:B|BR|BI) \"?%s\b" % cmd, page, re.M) is not None,
                  "slactl.1 has an entry for the command '%s'" % cmd)
        for opt in sorted(set(re.findall(r"--([a-z-]+)", usage))):
            check("--" + opt in page, "slactl.1 documents --%s (slactl --help)" % opt)
    if "slad.conf.5" in pages:
        have = words(pages["slad.conf.5"])
        wanted = settings_of(os.path.join(args.source, "conf", "slad.conf"), False)
        wanted |= settings_of(os.path.join(args.source, "conf", "norms.conf"), True)
        check(len(wanted) > 50, "found the settings of conf/ (%d)" % len(wanted))
        missing = sorted(wanted - have)
        check(not missing, "slad.conf.5 names every setting of conf/ (missing: %s)"
              % ", ".join(missing))

    if failures:
        print("test_man: %d check(s) failed" % len(failures))
        return 1
    print("test_man: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
