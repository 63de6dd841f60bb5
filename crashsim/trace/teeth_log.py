#!/usr/bin/env python3
# A tiny program of our own for crashsim trace to crash-test: it keeps a
# list of records in DIR/state, replacing the file atomically for each new
# record (write state.tmp, fsync it, rename it over state, fsync DIR) and only
# then prints "acked N" on stdout: its promise to its user. --broken removes
# one step of that protocol, and the campaign must catch it:
#   skip-fsync           never fsyncs state.tmp (a power cut may leave the
#                        renamed file empty)
#   rename-before-fsync  renames first and fsyncs the file after (a crash
#                        between the two may do the same)
import argparse
import os


def main():
    ap = argparse.ArgumentParser(description="an atomically replaced state file, for crashsim trace")
    ap.add_argument("dir")
    ap.add_argument("--records", type=int, default=6)
    ap.add_argument("--broken", choices=["skip-fsync", "rename-before-fsync"])
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    dfd = os.open(args.dir, os.O_RDONLY | os.O_DIRECTORY)
    state, tmp = os.path.join(args.dir, "state"), os.path.join(args.dir, "state.tmp")
    for n in range(1, args.records + 1):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, "".join(f"record {i}\n" for i in range(1, n + 1)).encode())
        if args.broken == "rename-before-fsync":
            os.rename(tmp, state)
            os.fsync(fd)
        else:
            if args.broken != "skip-fsync":
                os.fsync(fd)
            os.rename(tmp, state)
        os.close(fd)
        os.fsync(dfd)
        print(f"acked {n}", flush=True)
    os.close(dfd)


if __name__ == "__main__":
    main()
