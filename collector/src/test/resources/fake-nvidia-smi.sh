#!/bin/sh
# A stand-in for nvidia-smi on machines without a GPU, for the collector's tests. It accepts only
# the arguments substrate collect passes (--query-gpu=<fields> --format=csv,nounits -lms <ms>),
# then prints a real nvidia-smi CSV trace the way nvidia-smi -lms does: the header, then one
# reading every <ms> milliseconds.
#
#   FAKE_NVIDIA_SMI_TRACE   the CSV trace to print (header first)
#   FAKE_NVIDIA_SMI_QUERY   the --query-gpu fields it must be given
#   FAKE_NVIDIA_SMI_STATE   a file holding the next reading's line number, so that a run started
#                           after one that died goes on where that one stopped
#   FAKE_NVIDIA_SMI_DIE_AFTER  readings a run prints before it dies with exit code 1, like an
#                           nvidia-smi whose GPU fell off the bus; 0 = never dies
# When the trace is all printed it stays alive and silent, like nvidia-smi with no new reading.
set -eu

if [ "$#" -ne 4 ] || [ "$1" != "--query-gpu=$FAKE_NVIDIA_SMI_QUERY" ] \
    || [ "$2" != "--format=csv,nounits" ] || [ "$3" != "-lms" ]; then
  echo "Invalid combination of input arguments: $*" >&2
  exit 2
fi
delay=$(awk -v ms="$4" 'BEGIN { printf "%.3f", ms / 1000 }')
lines=$(wc -l < "$FAKE_NVIDIA_SMI_TRACE")
next=$(cat "$FAKE_NVIDIA_SMI_STATE" 2>/dev/null || echo 2)

head -n 1 "$FAKE_NVIDIA_SMI_TRACE"
printed=0
while [ "$next" -le "$lines" ]; do
  if [ "$FAKE_NVIDIA_SMI_DIE_AFTER" -gt 0 ] && [ "$printed" -ge "$FAKE_NVIDIA_SMI_DIE_AFTER" ]; then
    echo "Unable to determine the device handle for GPU0000:00:09.0: Unknown Error" >&2
    exit 1
  fi
  sed -n "${next}p" "$FAKE_NVIDIA_SMI_TRACE"
  next=$((next + 1))
  printed=$((printed + 1))
  echo "$next" > "$FAKE_NVIDIA_SMI_STATE"
  sleep "$delay"
done
exec sleep 3600
