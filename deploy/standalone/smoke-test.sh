#!/usr/bin/env bash
# Smoke test of the real job jar on a real standalone Flink cluster, unattended:
#   1. `./substrate services` (embedded Kafka + registry, sample events at 200/s) on free ports
#   2. deploy/standalone/flink-cluster.sh start (JobManager + TaskManager JVMs) on free ports
#   3. submit jobs/target/substrate-jobs-*-job.jar through the REST API
#   4. wait until the job is RUNNING with a completed checkpoint and rows are committed to
#      Iceberg (polled from the tables' snapshot summaries)
#   5. stop the job with a savepoint, then the cluster and the services (by their PIDs)
#   6. read every lake table back through LakeReader: rows > 0, and as many as the summaries say
# Exits non-zero on any failure or timeout; a trap stops every process it started.
# Builds the job jar first if it is missing. State: .substrate/smoke-test (kept on failure, for
# its logs). Needs Java 17, Maven and curl.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
root="$repo/.substrate/smoke-test"
cluster_script="$repo/deploy/standalone/flink-cluster.sh"
rate=${SMOKE_RATE:-200}
timeout=${SMOKE_TIMEOUT:-180}
started=$SECONDS
services_pid=""
job_id=""
ok=false

say() { printf '[smoke %3ds] %s\n' $((SECONDS - started)) "$*"; }
fail() {
    say "FAILED: $*"
    exit 1
}

# Rows committed to the lake so far, from each table's newest snapshot summary ("total-records"
# in the Hadoop catalog's current metadata file): cheap enough to poll while the job runs.
committed_rows() {
    local total=0 hint version meta n
    for hint in "$root"/warehouse/substrate/*/metadata/version-hint.text; do
        # the catalog replaces the hint file on every commit: a missed read counts as 0 this round
        version=$(cat "$hint" 2>/dev/null) || continue
        meta="${hint%/version-hint.text}/v$version.metadata.json"
        n=$(grep -o '"total-records":"[0-9]*"' "$meta" 2>/dev/null | tail -n 1 | tr -dc 0-9)
        total=$((total + ${n:-0}))
    done
    echo "$total"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A free loopback port from a random start, skipping the ones already chosen.
chosen=" "
free_port() {
    local port=$((20000 + RANDOM % 30000))
    while port_in_use "$port" || [[ "$chosen" == *" $port "* ]]; do
        port=$((port + 1))
    done
    chosen+="$port "
    echo "$port"
}

# Stops the cluster and the services, each by the PID recorded when it started.
stop_all() {
    if [ -n "$services_pid" ] || [ -f "$root/cluster/jobmanager.pid" ]; then
        say "stopping the cluster and the services"
    fi
    SUBSTRATE_CLUSTER_HOME="$root/cluster" "$cluster_script" stop || true
    if [ -n "$services_pid" ] && [ -e "/proc/$services_pid" ]; then
        # TERM, not INT: a background process started by a script ignores SIGINT.
        kill -TERM "$services_pid" 2>/dev/null || true
        for _ in $(seq 30); do
            [ -e "/proc/$services_pid" ] || break
            sleep 1
        done
        if [ -e "/proc/$services_pid" ]; then
            kill -KILL "$services_pid" 2>/dev/null || true
        fi
    fi
    services_pid=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    if $ok; then
        rm -rf "$root/services" "$root/warehouse" "$root/cluster/data"
        say "PASSED in $((SECONDS - started)) s"
    else
        say "logs kept in $root (services.out, cluster/log/)"
        [ $rc -ne 0 ] || rc=1
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh run; the cluster's lib/ is kept between runs (it only changes with the poms).
mkdir -p "$root"
if [ -d "$root/cluster" ]; then # a cluster left over by an interrupted run, stopped by its PIDs
    SUBSTRATE_CLUSTER_HOME="$root/cluster" "$cluster_script" stop
fi
find "$root" -mindepth 1 -maxdepth 1 ! -name cluster -exec rm -rf {} +
if [ -d "$root/cluster" ]; then
    find "$root/cluster" -mindepth 1 -maxdepth 1 ! -name lib -exec rm -rf {} +
fi

jars=(jobs/target/substrate-jobs-*-job.jar)
if [ ! -f "${jars[0]}" ]; then
    say "no job jar; building it (mvn install -DskipTests)"
    mvn -q -B -ntp install -DskipTests -Dspotless.check.skip=true || fail "build failed"
fi

kafka_port=$(free_port)
registry_port=$(free_port)
export SUBSTRATE_CLUSTER_HOME="$root/cluster"
SUBSTRATE_FLINK_REST_PORT=$(free_port)
SUBSTRATE_FLINK_RPC_PORT=$(free_port)
export SUBSTRATE_FLINK_REST_PORT SUBSTRATE_FLINK_RPC_PORT
rest="http://127.0.0.1:$SUBSTRATE_FLINK_REST_PORT"

say "starting services: Kafka 127.0.0.1:$kafka_port, registry 127.0.0.1:$registry_port, $rate events/s"
./substrate services --rate "$rate" --data-dir "$root/services" \
    --kafka-port "$kafka_port" --registry-port "$registry_port" >"$root/services.out" 2>&1 &
services_pid=$! # ./substrate execs java, so this is the services JVM
deadline=$((SECONDS + 300)) # the first ./substrate run may build the project
until grep -qs 'Schemas registered' "$root/services.out"; do
    [ -e "/proc/$services_pid" ] || fail "services exited: $(tail -n 20 "$root/services.out")"
    [ $SECONDS -lt $deadline ] || fail "services not ready in 300 s"
    sleep 1
done
say "services ready"

# A private copy of the job jar: a build running meanwhile (./substrate rebuilds when sources
# change) must not rewrite the jar while the cluster reads it.
cp jobs/target/substrate-jobs-*-job.jar "$root/substrate-job.jar"
export SUBSTRATE_JOB_JAR="$root/substrate-job.jar"

say "starting the Flink cluster (REST $rest)"
"$cluster_script" start || fail "cluster did not start"

# The PII tokenization key: a random one for this run, in a file that the JobManager (main()) and
# the TaskManager (every task's open()) both read, as pii.mode production requires.
(umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$root/pii.key")

say "submitting the job jar"
job_id=$("$cluster_script" submit \
    --pii.key-file "$root/pii.key" \
    --kafka.bootstrap-servers "127.0.0.1:$kafka_port" \
    --registry.url "http://127.0.0.1:$registry_port" \
    --catalog.warehouse "$root/warehouse" \
    --checkpoint.interval "2 s" | tail -n 1)
[[ "$job_id" =~ ^[0-9a-f]{32}$ ]] || fail "no job id from submit: $job_id"
say "job $job_id submitted"

# RUNNING with at least one completed checkpoint (a checkpoint is what commits to Iceberg).
deadline=$((SECONDS + timeout))
while :; do
    state=$(curl -sf "$rest/jobs/$job_id" | sed -n 's/.*"state" *: *"\([A-Z]*\)".*/\1/p' | head -n 1)
    completed=$(curl -sf "$rest/jobs/$job_id/checkpoints" |
        sed -n 's/.*"counts" *: *{[^}]*"completed" *: *\([0-9]*\).*/\1/p')
    case "$state" in
    FAILED | FAILING | CANCELED | CANCELLING | FINISHED)
        fail "job is $state: $(curl -sf "$rest/jobs/$job_id/exceptions" | head -c 2000)"
        ;;
    esac
    if [ "$state" = RUNNING ] && [ "${completed:-0}" -ge 1 ]; then
        break
    fi
    [ $SECONDS -lt $deadline ] || fail "job not RUNNING with a checkpoint in ${timeout} s (state $state)"
    sleep 2
done
say "job RUNNING, $completed checkpoint(s) completed"

deadline=$((SECONDS + timeout))
until [ "$(committed_rows)" -gt 0 ]; do
    [ $SECONDS -lt $deadline ] || fail "no rows committed to the lake in ${timeout} s"
    sleep 2
done
say "rows committed to the lake: $(committed_rows) so far"

checkpoints=$(curl -sf "$rest/jobs/$job_id/checkpoints" | sed -n 's/.*"counts" *: *\({[^}]*}\).*/\1/p')
say "checkpoints $checkpoints"
say "stopping the job with a savepoint (its final commit)"
"$cluster_script" stop-job "$job_id" || fail "stop with savepoint failed"
summary_rows=$(committed_rows)
stop_all

# The proof that rows landed: read every table's data files back through the project's
# LakeReader, now that nothing else competes for the CPU; the rows read must be the rows the
# snapshot summaries claim.
say "reading the lake back through LakeReader"
counted=$(java -cp "$SUBSTRATE_JOB_JAR:$SUBSTRATE_CLUSTER_HOME/lib/*" \
    deploy/standalone/LakeRowCount.java "$root/warehouse" 2>"$root/lake-row-count.err" | tail -n 1) ||
    fail "could not read the lake: $(tail -n 5 "$root/lake-row-count.err")"
say "$counted"
read_rows=$(echo "$counted" | awk '{print $3}')
[ "${read_rows:-0}" -gt 0 ] || fail "no rows read back"
[ "$read_rows" -eq "$summary_rows" ] ||
    fail "read $read_rows rows, but the snapshot summaries say $summary_rows"
ok=true
