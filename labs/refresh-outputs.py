#!/usr/bin/env python3
"""Re-runs every `$ netlab ...` command in the labs' write-ups and pastes its real output.

usage (from the repository root, after `cargo build`): python3 labs/refresh-outputs.py
tests/lab_writeups.rs fails when a write-up's output differs from what netlab prints.
"""
import glob
import os
import subprocess

BIN = os.environ.get("NETLAB", "target/debug/netlab")


def refresh(path):
    lines = open(path).read().split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if line.strip() != "```console":
            continue
        command = lines[i]
        assert command.startswith("$ netlab "), f"{path}:{i + 1}: a console block starts with '$ netlab'"
        out.append(command)
        run = subprocess.run([BIN] + command[len("$ netlab "):].split(), capture_output=True, text=True,
                             env={**os.environ, "NETLAB_OFFLINE": "1"})
        out.extend(run.stdout.rstrip("\n").split("\n"))
        while lines[i].strip() != "```":
            i += 1
    open(path, "w").write("\n".join(out))


for readme in sorted(glob.glob("labs/*/README.md")):
    refresh(readme)
    print("refreshed", readme)
