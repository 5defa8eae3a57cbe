#!/usr/bin/env python3
"""Keeps a warm build warm across fresh clones.

Cargo decides what to rebuild by file times, and a fresh clone gives every file a
new one, so a clone with a warm target directory still rebuilds every workspace
crate (the runtime's wasm and the node among them). This records, in the target
directory, each tracked file's content hash and the time it had for the build; in
the next clone at the same path, a file whose content is unchanged gets that time
back, and only what really changed is rebuilt. A changed file keeps its new time.
It never fails the run: on any error it leaves the times alone.

Usage: keep-file-times.py REPO_ROOT STATE_FILE
"""
import hashlib
import json
import os
import subprocess
import sys


def main(root: str, state: str) -> None:
    listed = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=True).stdout
    try:
        with open(state) as f:
            old = json.load(f)
    except (OSError, ValueError):
        old = {}
    # Cargo keys its records by absolute path: another clone path rebuilds anyway.
    known = old.get("files", {}) if old.get("root") == root else {}
    new, restored = {}, 0
    for name in filter(None, listed.decode().split("\0")):
        path = os.path.join(root, name)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        record = known.get(name)
        if record and record[0] == digest:
            os.utime(path, ns=(record[1], record[1]))
            restored += 1
        else:
            record = [digest, os.stat(path).st_mtime_ns]
        new[name] = record
    # Directories too (build scripts watch some): a directory keeps its time while the
    # set of tracked entries in it is the same, so adding or removing one still shows.
    children = {}
    for name in new:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            children.setdefault("/".join(parts[:depth]), set()).add(parts[depth])
    for directory, entries in children.items():
        key, path = directory + "/", os.path.join(root, directory)
        digest = hashlib.sha256("\0".join(sorted(entries)).encode()).hexdigest()
        record = known.get(key)
        if record and record[0] == digest:
            os.utime(path, ns=(record[1], record[1]))
        else:
            record = [digest, os.stat(path).st_mtime_ns]
        new[key] = record
    tmp = state + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"root": root, "files": new}, f)
    os.replace(tmp, state)
    files = len(new) - len(children)
    print(f"file times: {restored} of {files} tracked files unchanged since the last run keep their time")


if __name__ == "__main__":
    try:
        main(os.path.abspath(sys.argv[1]), sys.argv[2])
    except Exception as e:  # a cold build is slower, never wrong
        print(f"file times: left as they are ({e})")
