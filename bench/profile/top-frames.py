#!/usr/bin/env python3
"""Aggregates `jfr print --events jdk.ExecutionSample` output into the hottest frames: by self
samples (the frame on top of the stack) and inclusive (anywhere on the stack, counted once per
sample), as shares of all execution samples. `jfr print` truncates stacks at 64 frames by default
(`--stack-depth` raises it), so inclusive shares of deep callers are lower bounds.

    jfr print --stack-depth 64 --events jdk.ExecutionSample full.jfr > samples.txt
    bench/profile/top-frames.py samples.txt [top-n] [inclusive-prefix ...]
"""
import collections
import re
import sys

FRAME = re.compile(r"^\s+([\w$.<>]+)\(.*\)\s+line:")


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    prefixes = tuple(sys.argv[3:]) or ("",)
    self_counts = collections.Counter()
    total_counts = collections.Counter()
    samples = 0
    stack = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("jdk.ExecutionSample"):
                samples += 1
                stack = []
            elif stack is not None:
                m = FRAME.match(line)
                if m:
                    stack.append(m.group(1))
                elif line.strip() == "]":
                    if stack:
                        self_counts[stack[0]] += 1
                        for frame in set(stack):
                            if frame.startswith(prefixes):
                                total_counts[frame] += 1
                    stack = None
    print(f"{samples} execution samples")
    print(f"\ntop {top} frames by self samples:")
    for frame, n in self_counts.most_common(top):
        print(f"{100.0 * n / samples:6.1f}%  {frame}")
    print(f"\ntop {top} frames on the stack (inclusive), prefixes {prefixes}:")
    for frame, n in total_counts.most_common(top):
        print(f"{100.0 * n / samples:6.1f}%  {frame}")


if __name__ == "__main__":
    main()
