#!/usr/bin/env python3
"""Checks docker-compose.yml without starting anything.

Owns: the guarantee that the compose file is valid for docker-compose, that
every service's command (and healthcheck) calls a zfleet binary only with
flags that binary declares, and that no flag has strayed into another key
(a `--flag` listed under `volumes:` renders as a volume and never reaches
the program). Flags are checked against the real binaries' `--help`, so a
renamed or removed flag fails here, not in a cluster.

usage: check_compose_file.py [--self-test] COMPOSE_FILE BROKER_BIN WORKER_BIN CTL_BIN
Exit 0: all good; 1: a finding (printed); 77: docker-compose is missing
(skipped, with the reason on stdout). --self-test instead checks that known
mistakes, planted in temporary copies of the file, are each found.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

SKIP = 77
ORIGINAL_FILE = None


def rendered_config(compose_file):
    """The file as docker-compose resolves it (anchors, merges, ${VARS})."""
    env = dict(os.environ)
    # Render with the documented defaults, not whatever this shell exports.
    for key in list(env):
        if key.startswith("ZFLEET_"):
            del env[key]
    # The project directory stays the original file's, so a copy elsewhere
    # resolves build contexts and volumes the same way.
    project_dir = os.path.dirname(os.path.abspath(ORIGINAL_FILE or compose_file))
    cmd = ["docker-compose", "--project-directory", project_dir, "-f", compose_file, "config"]
    quiet = subprocess.run(cmd + ["-q"], env=env, capture_output=True, text=True)
    if quiet.returncode != 0:
        raise Finding(f"docker-compose config -q failed:\n{quiet.stderr}")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return yaml.safe_load(out.stdout)


class Finding(Exception):
    pass


_help_cache = {}


def declared_flags(binary, verb=None):
    """Long and short option names the binary's --help lists."""
    key = (binary, verb)
    if key not in _help_cache:
        argv = [binary] + ([verb] if verb else []) + ["--help"]
        out = subprocess.run(argv, capture_output=True, text=True)
        if out.returncode != 0:
            raise Finding(f"{' '.join(argv)} exited {out.returncode}: {out.stderr.strip()}")
        _help_cache[key] = (set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", out.stdout)),
                            out.stdout)
    return _help_cache[key]


def subcommands(ctl):
    _, text = declared_flags(ctl)
    section = text.split("Subcommands:", 1)
    if len(section) < 2:
        return set()
    return set(re.findall(r"^\s+([a-z][\w-]*)\s", section[1], flags=re.M))


def check_invocation(where, argv, binaries):
    """argv starts with a zfleet binary name; every flag must be declared."""
    prog = os.path.basename(argv[0])
    if prog not in binaries:
        return False
    binary = binaries[prog]
    flags, _ = declared_flags(binary)
    verbs = subcommands(binary) if prog == "zfleetctl" else set()
    verb = None
    for token in argv[1:]:
        if token == "--":
            break  # the task's own command line follows
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            allowed = flags if verb is None else flags | declared_flags(binary, verb)[0]
            if name not in allowed:
                scope = f"{prog} {verb}" if verb else prog
                raise Finding(f"{where}: {scope} has no flag {name} (see {scope} --help)")
        elif verb is None and token in verbs:
            verb = token
    if prog == "zfleetctl" and verb is None:
        raise Finding(f"{where}: zfleetctl is called without a command: {shlex.join(argv)}")
    return True


def shell_invocations(script):
    """Simple commands of a `sh -c` script, split at ; && || and newlines."""
    for part in re.split(r";|&&|\|\||\n", script):
        words = shlex.split(part)
        while words and words[0] == "exec":
            words = words[1:]
        if words:
            yield words


def check_service(name, service, binaries):
    for volume in service.get("volumes", []):
        text = volume if isinstance(volume, str) else volume.get("source", "")
        if str(text).lstrip().startswith("-"):
            raise Finding(f"service {name}: volumes lists {text!r}, which is a flag, not a volume")
    entrypoint = service.get("entrypoint") or []
    command = service.get("command") or []
    if isinstance(entrypoint, str):
        entrypoint = shlex.split(entrypoint)
    if isinstance(command, str):
        command = shlex.split(command)
    argv = list(entrypoint) + list(command)
    checked = 0
    if argv[:2] in (["/bin/sh", "-c"], ["sh", "-c"]):
        for script in argv[2:]:
            for words in shell_invocations(script):
                checked += check_invocation(f"service {name} command", words, binaries)
    elif argv:
        checked += check_invocation(f"service {name} command", argv, binaries)
    test = (service.get("healthcheck") or {}).get("test") or []
    if test[:1] == ["CMD"]:
        checked += check_invocation(f"service {name} healthcheck", test[1:], binaries)
    if checked == 0:
        raise Finding(f"service {name}: runs no zfleet binary ({shlex.join(argv)})")
    return checked


# Each planted mistake: (what it is, text to replace, replacement, what the
# finding must say).
MISTAKES = [
    ("a flag under volumes:", "    volumes:\n      - broker-data:",
     "    volumes:\n      - --log-level=debug\n      - broker-data:", "which is a flag"),
    ("a misspelt broker flag", "--heartbeat-ms=", "--heartbeat-millis=", "no flag --heartbeat-millis"),
    ("a misspelt worker flag", "--slots=", "--slot=", "no flag --slot"),
    ("a misspelt command flag", "submit --wait", "submit --wiat", "no flag --wiat"),
    ("a misspelt healthcheck flag", '"--timeout-ms"', '"--timeout-msec"', "no flag --timeout-msec"),
    ("invalid YAML for compose", "services:", "services: [", "config -q failed"),
]


def self_test(compose_file, binaries):
    global ORIGINAL_FILE
    ORIGINAL_FILE = compose_file
    with open(compose_file) as f:
        original = f.read()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="zfleet-compose-check-") as tmp:
        for what, old, new, expected in MISTAKES:
            if old not in original:
                print(f"self-test: cannot plant {what}: {old!r} is not in {compose_file}")
                failures += 1
                continue
            planted = os.path.join(tmp, "docker-compose.yml")
            with open(planted, "w") as f:
                f.write(original.replace(old, new, 1))
            try:
                services = rendered_config(planted).get("services") or {}
                for name, service in sorted(services.items()):
                    check_service(name, service, binaries)
                print(f"self-test: {what} was NOT found")
                failures += 1
            except Finding as finding:
                if expected in str(finding):
                    print(f"self-test: {what}: found: {finding}".splitlines()[0])
                else:
                    print(f"self-test: {what}: wrong finding: {finding}")
                    failures += 1
    return 1 if failures else 0


def main(args):
    self_testing = args[:1] == ["--self-test"]
    if self_testing:
        args = args[1:]
    if len(args) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    compose_file, broker, worker, ctl = args
    if shutil.which("docker-compose") is None:
        print("SKIP: docker-compose is not installed (scripts/bootstrap installs it)")
        return SKIP
    binaries = {"zfleet-broker": broker, "zfleet-worker": worker, "zfleetctl": ctl}
    if self_testing:
        return self_test(compose_file, binaries)
    try:
        config = rendered_config(compose_file)
        services = config.get("services") or {}
        for required in ("broker", "worker"):
            if required not in services:
                raise Finding(f"no {required} service")
        total = 0
        for name, service in sorted(services.items()):
            total += check_service(name, service, binaries)
    except Finding as finding:
        print(f"{compose_file}: {finding}")
        return 1
    print(f"{compose_file}: {len(services)} services, {total} zfleet invocations, all flags known")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
