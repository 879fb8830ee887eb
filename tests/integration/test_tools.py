"""The scripts around slactl and slad: bash completion for slactl (sourced
in bash, driven by COMP_WORDS/COMP_CWORD, and installed where
bash-completion finds it) and tools/demo.sh's headings (bold on a terminal
only). Needs neither Redis nor slad running.
"""

import json
import os
import pty
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD_DIR, SOURCE_DIR, check, run_tests  # noqa: E402

COMPLETION = os.path.join(SOURCE_DIR, "tools", "completion", "slactl.bash")
DEMO = os.path.join(SOURCE_DIR, "tools", "demo.sh")
METRICS = ["callback", "first_response", "follow_up", "next_response", "periodic_update",
           "pickup", "resolution"]


def complete(*words):
    """COMPREPLY for the command line `words`, the cursor on the last one."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
              'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; '
              '_slactl slactl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION] +
                       list(words), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    check(p.returncode == 0 and p.stderr == b"", "bash: %d %r" % (p.returncode, p.stderr))
    return sorted(w for w in p.stdout.decode().split("\n") if w)


def help_commands():
    """The commands `slactl --help` lists, so that a command added without
    completion (or without a line in the help) fails here."""
    p = subprocess.run([os.path.join(BUILD_DIR, "slactl"), "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=20)
    text = p.stdout.decode()
    check("Commands:" in text, "slactl --help lists its commands: %r" % text[:200])
    block = text.split("Commands:", 1)[1].split("\n\n", 1)[0]
    names = sorted({m.group(1) for m in re.finditer(r"^  ([a-z]+)\b", block, re.M)})
    check(len(names) >= 10, "commands found in slactl --help: %r" % names)
    return names


def test_completion(make_env):
    commands = help_commands()
    check(all(c in commands for c in ("customer", "report", "partition")),
          "help lists customer, report and partition")
    for words, want in (
            (("slactl", ""), commands),
            (("slactl", "de"), ["deliveries"]),
            (("slactl", "re"), ["reload", "replay", "report"]),
            (("slactl", "partition", "T-1", "--p"), ["--partitions"]),
            (("slactl", "--js"), ["--json"]),
            (("slactl", "-s", "/run/slad/slad.sock", "b"), ["breached"]),
            (("slactl", "--json", "-c", "/etc/slad/slad.conf", "st"), ["status"]),
            (("slactl", "due", "--"), ["--help", "--json", "--kind", "--limit", "--within"]),
            (("slactl", "breached", "--kind", "c"), ["customer"]),
            (("slactl", "deliveries", "--d"), ["--dead"]),
            (("slactl", "breached", "--within"), []),
            (("slactl", "due", "--within", "1"), ["10m", "15m", "1d", "1h"]),
            (("slactl", "ack", ""), []),  # ticket ids are not completed
            (("slactl", "ack", "T-1", ""), METRICS),
            (("slactl", "ack", "\u5de5\u5355-\u7532", "p"), ["periodic_update", "pickup"]),
            (("slactl", "--json", "ack", "--by", "alice", "T-1", "fi"), ["first_response"]),
            (("slactl", "ack", "T-1", "first_response", ""), []),
            (("slactl", "ack", "T-1", "--"), ["--by", "--help", "--json", "--kind"]),
            (("slactl", "ack", "--kind", "c"), ["customer"]),
            (("slactl", "ack", "--kind", "customer", "C-1", "re"), ["reminder", "review",
                                                                     "revisit"]),
            (("slactl", "ack", "C-1", "--kind", "customer", ""),
             ["first_revisit", "reminder", "review", "revisit", "second_revisit", "survey"]),
            (("slactl", "ack", "--kind", "ticket", "T-1", "pi"), ["pickup"]),
            (("slactl", "ticket", "T-1", "p"), [])):
        got = complete(*words)
        check(got == want, "%r: %r, expected %r" % (words, got, want))
    check("root" in complete("slactl", "ack", "T-1", "--by", "ro"), "--by completes user names")
    here = os.path.dirname(COMPLETION)
    check(complete("slactl", "-c", here + "/slactl.b") == [COMPLETION], "-c completes files")

    # `complete -p slactl` after sourcing: the function is registered.
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", 'source "$1"; complete -p slactl',
                        "bash", COMPLETION], stdout=subprocess.PIPE, timeout=20)
    check(p.stdout.strip() == b"complete -F _slactl slactl", "registered: %r" % p.stdout)


def test_partition_command(make_env):
    """slactl partition computes the README's test vectors without slad."""
    slactl = os.path.join(BUILD_DIR, "slactl")
    for ticket, partitions, want in (("T-1", 16, "1"), ("T-1000", 16, "11"), ("T-1000", 3, "1"),
                                     ("\u5de5\u5355-42", 16, "14"), ("", 16, "5"),
                                     ("T-1", 1, "0")):
        p = subprocess.run([slactl, "partition", "--partitions", str(partitions), ticket],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        check(p.returncode == 0 and p.stdout.decode() == want + "\n",
              "%r of %d: %d %r %r" % (ticket, partitions, p.returncode, p.stdout, p.stderr))
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "slad.conf")
        with open(conf, "w") as f:
            f.write("partitions = 3;\n")
        p = subprocess.run([slactl, "-c", conf, "--json", "partition", "T-1000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        got = json.loads(p.stdout) if p.returncode == 0 else None
        check(got == {"ticket": "T-1000", "hash": 0xc49c631b, "partitions": 3, "partition": 1},
              "from -c: %d %r %r" % (p.returncode, p.stdout, p.stderr))
        with open(conf, "w") as f:
            f.write("partitions = 0;\n")
        p = subprocess.run([slactl, "-c", conf, "partition", "T-1000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        check(p.returncode == 2 and b"partitions is not a number 1..1024" in p.stderr,
              "partitions = 0: %d %r" % (p.returncode, p.stderr))
    for bad in (["partition", "T-1"], ["partition", "--partitions", "0", "T-1"],
                ["partition", "--partitions", "1025", "T-1"], ["partition", "--partitions", "4"],
                ["status", "--partitions", "4"]):
        p = subprocess.run([slactl] + bad, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20)
        check(p.returncode == 2 and p.stdout == b"", "%r: %d %r" % (bad, p.returncode, p.stdout))


def test_completion_installed(make_env):
    if not os.path.exists(os.path.join(BUILD_DIR, "slactl")):
        print("note: %s/slactl not built; install not exercised" % BUILD_DIR)
        return
    with tempfile.TemporaryDirectory() as stage:
        p = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", "/usr"],
                           env=dict(os.environ, DESTDIR=stage), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        check(p.returncode == 0, "cmake --install: %r" % p.stdout[-2000:])
        path = os.path.join(stage, "usr/share/bash-completion/completions/slactl")
        check(os.path.isfile(path), "installed as %s" % path)
        with open(path, "rb") as a, open(COMPLETION, "rb") as b:
            check(a.read() == b.read(), "the installed file is tools/completion/slactl.bash")


def run_demo_until_build(tty, no_color=None):
    """tools/demo.sh up to its build step, with a cmake that fails: returns
    (exit status, what it wrote to stdout)."""
    with tempfile.TemporaryDirectory() as bindir:
        fake = os.path.join(bindir, "cmake")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\necho 'cmake: refused for the test' >&2\nexit 1\n")
        os.chmod(fake, 0o755)
        env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"])
        env.pop("NO_COLOR", None)
        if no_color is not None:
            env["NO_COLOR"] = no_color
        cmd = ["bash", DEMO, "--no-deps", "--once"]
        if not tty:
            p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            return p.returncode, p.stdout
        master, slave = pty.openpty()
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=slave,
                             stderr=subprocess.PIPE)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        p.stderr.read()
        p.stderr.close()
        return p.wait(timeout=60), out


def test_demo_colour(make_env):
    rc, out = run_demo_until_build(tty=False)
    check(rc == 1 and b"== Building slad" in out, "demo.sh up to the build: %d %r" % (rc, out))
    check(b"\x1b" not in out, "no escape sequences into a pipe: %r" % out)
    rc, out = run_demo_until_build(tty=True)
    check(b"\x1b[1m== Building slad" in out, "bold headings on a terminal: %r" % out)
    rc, out = run_demo_until_build(tty=True, no_color="1")
    check(b"== Building slad" in out and b"\x1b" not in out, "NO_COLOR on a terminal: %r" % out)


if __name__ == "__main__":
    run_tests([test_completion, test_partition_command, test_completion_installed,
               test_demo_colour])
