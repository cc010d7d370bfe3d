#!/usr/bin/env bash
# Builds bench/ and runs the telemetry aggregation benchmark (ours vs Flink SQL), then the JMH
# micro-benchmark of the window accumulator. Arguments go to the first, e.g.
#   bench/run-benchmarks.sh --samples 10000000 --gpus 10000 --parallelism 1 --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -pl bench -am install -DskipTests -Dspotless.check.skip=true
CP="bench/target/classes:$(cat bench/target/classpath.txt)"
OPENS=$(sed -n "s:.*<substrate.jvm.opens>\(.*\)</substrate.jvm.opens>.*:\1:p" pom.xml)
java -Xmx4g -XX:+UseParallelGC $OPENS -cp "$CP" dev.substrate.bench.TelemetryAggregationBenchmark "$@"
if [[ "${SKIP_JMH:-}" != "1" ]]; then
  java $OPENS -cp "$CP" org.openjdk.jmh.Main GpuWindowAggregatorBenchmark
fi
