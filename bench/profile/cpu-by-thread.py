#!/usr/bin/env python3
"""Reads a collapsed CPU profile written by `PipelineBenchmark --async-profile FILE` (async-profiler,
one line per stack: `[thread name tid=N];frame;frame... count`) and prints where the CPU went:

    bench/profile/cpu-by-thread.py FILE            # CPU share per thread (subtask numbers merged)
    bench/profile/cpu-by-thread.py FILE REGEX [N]  # threads matching REGEX: top N frames, self
                                                   # and inclusive (anywhere on the stack)

Each sample is 5 ms of one thread's CPU time, so samples x 5 ms = CPU seconds.
"""
import collections
import re
import sys


def thread_name(frame):
    name = re.sub(r" tid=\d+\]$", "", frame).lstrip("[")
    name = re.sub(r" \(\d+/\d+\)#\d+", "", name)  # subtask index and attempt
    return re.sub(r"-\d+$", "-N", name)


def stacks(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            yield thread_name(frames[0]), frames[1:], int(count)


def by_thread(path, top=40):
    counts = collections.Counter()
    for thread, _, n in stacks(path):
        counts[thread[:100]] += n
    total = sum(counts.values())
    print(f"{total} samples = {total * 0.005:.1f} CPU-seconds")
    for thread, n in counts.most_common(top):
        print(f"{100.0 * n / total:6.2f}%  {n * 0.005:7.1f} s  {thread}")


def drill(path, pattern, top):
    selected = re.compile(pattern)
    self_counts = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    for thread, frames, n in stacks(path):
        if not selected.search(thread):
            continue
        total += n
        frames = [re.sub(r"_\[[ij0-9]\]$", "", f) for f in frames]
        self_counts[frames[-1] if frames else "?"] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples = {total * 0.005:.1f} CPU-seconds in threads matching {pattern!r}")
    print(f"\ntop {top} frames by self samples:")
    for frame, n in self_counts.most_common(top):
        print(f"{100.0 * n / total:6.1f}%  {frame}")
    print(f"\ntop {top} frames on the stack (inclusive):")
    for frame, n in inclusive.most_common(top):
        print(f"{100.0 * n / total:6.1f}%  {frame}")


if __name__ == "__main__":
    if len(sys.argv) == 2:
        by_thread(sys.argv[1])
    else:
        drill(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
