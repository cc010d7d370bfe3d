#!/usr/bin/env bash
# A real standalone Flink 2.1 session cluster on 127.0.0.1, built from Maven jars (flink-dist is
# not on Maven Central): one JobManager and one TaskManager JVM, started the way Flink's own
# jobmanager.sh and taskmanager.sh start them.
#
#   deploy/standalone/flink-cluster.sh start                 build lib/, write conf/, start JM + TM
#   deploy/standalone/flink-cluster.sh submit [job args...]  upload the job jar and run it
#   deploy/standalone/flink-cluster.sh status                processes, slots and jobs
#   deploy/standalone/flink-cluster.sh stop-job JOB_ID       stop a job with a savepoint
#   deploy/standalone/flink-cluster.sh cancel JOB_ID         cancel a job (no savepoint)
#   deploy/standalone/flink-cluster.sh start-taskmanager     start the TaskManager again (after it died)
#   deploy/standalone/flink-cluster.sh stop                  stop the TaskManager and JobManager
#
# No high availability: the JobManager keeps the running job, its job graph and its checkpoint
# pointer in memory. A TaskManager that dies is recovered (start it again: the job restarts from
# its latest checkpoint); a JobManager that dies takes the running job with it. Then start the
# cluster again and resume the job from its newest savepoint or retained checkpoint under
# data/savepoints or data/checkpoints (`submit --from-savepoint PATH`). For JobManager failover,
# use Kubernetes HA (deploy/kubernetes/README.md).
#
# `submit --from-savepoint PATH [job args...]` starts the job from a savepoint.
#
# Environment (defaults in brackets):
#   SUBSTRATE_CLUSTER_HOME      state: lib/, conf/, log/, data/, pids  [.substrate/cluster]
#   SUBSTRATE_FLINK_REST_PORT   web UI and REST API                   [8081]
#   SUBSTRATE_FLINK_RPC_PORT    JobManager RPC                        [6123]
#   SUBSTRATE_FLINK_SLOTS       task slots of the TaskManager         [2]
#   SUBSTRATE_FLINK_JM_MEMORY   jobmanager.memory.process.size        [2g]
#   SUBSTRATE_FLINK_TM_MEMORY   taskmanager.memory.process.size       [4g]
#   SUBSTRATE_JOB_JAR           the jar to submit       [jobs/target/substrate-jobs-*-job.jar]
#   SUBSTRATE_MVN               Maven command that builds lib/        [mvn -q -B -ntp]
# Needs Java 17, Maven and curl. Every port binds to the loopback interface.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$repo/deploy/standalone"
home=${SUBSTRATE_CLUSTER_HOME:-$repo/.substrate/cluster}
mkdir -p "$home"
home=$(cd "$home" && pwd)
rest_port=${SUBSTRATE_FLINK_REST_PORT:-8081}
rpc_port=${SUBSTRATE_FLINK_RPC_PORT:-6123}
slots=${SUBSTRATE_FLINK_SLOTS:-2}
jm_memory=${SUBSTRATE_FLINK_JM_MEMORY:-2g}
tm_memory=${SUBSTRATE_FLINK_TM_MEMORY:-4g}
read -r -a mvn_cmd <<<"${SUBSTRATE_MVN:-mvn -q -B -ntp}"

lib="$home/lib"
conf="$home/conf"
logs="$home/log"
data="$home/data"
rest="http://127.0.0.1:$rest_port"
jm_class=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
tm_class=org.apache.flink.runtime.taskexecutor.TaskManagerRunner

die() {
    echo "flink-cluster: $*" >&2
    exit 1
}
log() { echo "flink-cluster: $*" >&2; }

# The JVM flags Flink needs on Java 17: one list, kept in the root pom (as ./substrate reads it).
jvm_opens() {
    sed -n 's:.*<substrate.jvm.opens>\(.*\)</substrate.jvm.opens>.*:\1:p' "$repo/pom.xml"
}

# The PID in a pid file, if that process is alive and is the Flink process we started from $conf.
# Guards against a stale file whose PID now belongs to something else.
live_pid() {
    local file="$home/$1.pid" class=$2 pid
    [ -f "$file" ] || return 1
    pid=$(cat "$file")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$class --configDir $conf" || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# GET/POST against the REST API; fails on HTTP errors but prints the body (Flink's error text).
rest_call() {
    local method=$1 path=$2
    shift 2
    local out status
    out=$(curl -sS -X "$method" -w '\n%{http_code}' "$@" "$rest$path") || return 1
    status=${out##*$'\n'}
    out=${out%$'\n'*}
    echo "$out"
    [[ "$status" == 2* ]] || { log "$method $path: HTTP $status"; return 1; }
}

# The value of a top-level JSON string field, without needing jq.
json_field() { sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }
json_number() { sed -n "s/.*\"$1\" *: *\\([0-9][0-9]*\\).*/\\1/p" | head -n 1; }

json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

# lib/: the cluster's jars, from deploy/standalone/pom.xml. Rebuilt when that pom or the root pom
# (which holds the versions) changes.
build_lib() {
    local stamp="$lib/.built"
    if [ -f "$stamp" ] && [ "$stamp" -nt "$here/pom.xml" ] && [ "$stamp" -nt "$repo/pom.xml" ]; then
        return
    fi
    log "collecting the cluster's jars into $lib (mvn dependency:copy-dependencies)"
    rm -rf "$lib"
    mkdir -p "$lib"
    # (sed drops the colour codes some Maven versions print even in batch mode)
    "${mvn_cmd[@]}" -f "$here/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$lib" 2>&1 |
        sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2 || die "could not build $lib"
    touch "$stamp"
}

# conf/config.yaml: deploy/flink/config.yaml (what Substrate expects on any cluster) plus what
# this machine needs. Keys set here are dropped from the base so that each key appears once.
write_conf() {
    # plugins/ is where Flink looks for plugins (relative to the processes' working dir, $home).
    mkdir -p "$conf" "$logs" "$data/checkpoints" "$data/savepoints" "$data/tmp" "$data/upload" \
        "$home/plugins"
    local base="$repo/deploy/flink/config.yaml" opens
    opens=$(jvm_opens)
    [ -n "$opens" ] || die "substrate.jvm.opens not found in $repo/pom.xml"
    if ! grep -qxF "env.java.opts.all: $opens" "$base"; then
        log "warning: env.java.opts.all in $base differs from substrate.jvm.opens in pom.xml;" \
            "using the pom's list"
    fi
    local local_keys=(
        jobmanager.rpc.address jobmanager.rpc.port jobmanager.bind-host
        taskmanager.host taskmanager.bind-host
        rest.address rest.bind-address rest.port rest.bind-port
        jobmanager.memory.process.size taskmanager.memory.process.size
        taskmanager.numberOfTaskSlots execution.checkpointing.dir
        execution.checkpointing.savepoint-dir io.tmp.dirs web.tmpdir web.upload.dir
        env.java.opts.all pekko.ask.timeout
    )
    local pattern
    pattern=$(printf '%s|' "${local_keys[@]}")
    pattern="^(${pattern%|}):"
    {
        echo "# Written by deploy/standalone/flink-cluster.sh; edit deploy/flink/config.yaml instead."
        echo "# --- from deploy/flink/config.yaml"
        grep -vE "$pattern" "$base"
        cat <<EOF

# --- this machine: one JobManager and one TaskManager on loopback
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $rest_port
rest.bind-port: $rest_port
# Sized for a 2-core, 24 GiB machine shared with Kafka, the registry and a build.
jobmanager.memory.process.size: $jm_memory
taskmanager.memory.process.size: $tm_memory
taskmanager.numberOfTaskSlots: $slots
# A TaskManager started again after a crash gets the job's 200-odd tasks at once; on two busy
# cores it answered their deployment later than the default 10 s, and each such timeout restarted
# the whole job again (four restarts in one CI run).
pekko.ask.timeout: 60 s
execution.checkpointing.dir: file://$data/checkpoints
execution.checkpointing.savepoint-dir: file://$data/savepoints
io.tmp.dirs: $data/tmp
web.tmpdir: $data/tmp
web.upload.dir: $data/upload
env.java.opts.all: $opens
EOF
    } >"$conf/config.yaml"
    # Log4j 2 configuration, as flink-dist's conf/log4j.properties: one file per process.
    cat >"$conf/log4j.properties" <<'EOF'
monitorInterval = 30
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = WARN
appender.main.name = MainAppender
appender.main.type = RollingFile
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.filePattern = ${sys:log.file}.%i
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
appender.main.policies.type = Policies
appender.main.policies.size.type = SizeBasedTriggeringPolicy
appender.main.policies.size.size = 100MB
appender.main.strategy.type = DefaultRolloverStrategy
appender.main.strategy.max = 5
EOF
}

# The last two BASH_JAVA_UTILS_EXEC_RESULT lines of BashJavaUtils: JVM flags, then -D pairs.
resource_params() {
    local out
    out=$(java -cp "$lib/*" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" \
        --configDir "$conf" 2>&1) || die "BashJavaUtils $1 failed: $out"
    out=$(echo "$out" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' | tail -n 2)
    [ "$(echo "$out" | wc -l)" -eq 2 ] || die "unexpected BashJavaUtils $1 output"
    echo "$out"
}

# Starts one Flink process in the background, from $home, and records its PID.
launch() {
    local name=$1 class=$2 params jvm_flags dynamic opens
    params=$(resource_params "$3")
    jvm_flags=$(echo "$params" | sed -n 1p)
    dynamic=$(echo "$params" | sed -n 2p)
    opens=$(jvm_opens)
    rm -f "$logs/$name.log" "$logs/$name.out"
    # shellcheck disable=SC2086 # the flag lists are meant to split on spaces
    (
        cd "$home"
        exec nohup java $jvm_flags $opens \
            -Dlog.file="$logs/$name.log" \
            -Dlog4j.configurationFile="file:$conf/log4j.properties" \
            -cp "$lib/*" "$class" --configDir "$conf" $dynamic \
            >"$logs/$name.out" 2>&1 </dev/null
    ) &
    echo $! >"$home/$name.pid"
    log "$name started, PID $(cat "$home/$name.pid"), log $logs/$name.log"
}

# wait_for DESCRIPTION TIMEOUT_SECONDS CHECK: evaluates CHECK every second until it succeeds.
wait_for() {
    local timeout=$2 check=$3 deadline
    deadline=$((SECONDS + timeout))
    until eval "$check"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 1
    done
}

cmd_start() {
    if live_pid jobmanager "$jm_class" >/dev/null || live_pid taskmanager "$tm_class" >/dev/null; then
        die "already running (see: $0 status)"
    fi
    for port in "$rest_port" "$rpc_port"; do
        ! port_in_use "$port" || die "port $port on 127.0.0.1 is in use; set SUBSTRATE_FLINK_REST_PORT / SUBSTRATE_FLINK_RPC_PORT"
    done
    command -v curl >/dev/null || die "curl is required"
    build_lib
    write_conf
    launch jobmanager "$jm_class" GET_JM_RESOURCE_PARAMS
    wait_for "REST API" 90 'curl -sf "$rest/overview" >/dev/null || ! live_pid jobmanager "$jm_class" >/dev/null' ||
        die "JobManager REST API did not come up in 90 s; see $logs/jobmanager.log"
    live_pid jobmanager "$jm_class" >/dev/null || die "JobManager exited; see $logs/jobmanager.out and .log"
    launch taskmanager "$tm_class" GET_TM_RESOURCE_PARAMS
    wait_for "slots" 90 '[ "$(curl -sf "$rest/overview" | json_number slots-total)" -ge "$slots" ] 2>/dev/null || ! live_pid taskmanager "$tm_class" >/dev/null' ||
        die "TaskManager did not register in 90 s; see $logs/taskmanager.log"
    live_pid taskmanager "$tm_class" >/dev/null || die "TaskManager exited; see $logs/taskmanager.out and .log"
    echo "Flink $(curl -sf "$rest/config" | json_field flink-version) session cluster running:" \
        "$slots slots, web UI $rest/ (state in $home)"
}

# Starts the TaskManager again, e.g. after it was killed; the job's tasks come back on it.
cmd_start_taskmanager() {
    live_pid jobmanager "$jm_class" >/dev/null || die "no JobManager running (start the cluster)"
    ! live_pid taskmanager "$tm_class" >/dev/null || die "the TaskManager is running already"
    launch taskmanager "$tm_class" GET_TM_RESOURCE_PARAMS
    wait_for "slots" 90 '[ "$(curl -sf "$rest/overview" | json_number slots-total)" -ge "$slots" ] 2>/dev/null || ! live_pid taskmanager "$tm_class" >/dev/null' ||
        die "TaskManager did not register in 90 s; see $logs/taskmanager.log"
    live_pid taskmanager "$tm_class" >/dev/null || die "TaskManager exited; see $logs/taskmanager.out and .log"
    echo "TaskManager running again: $slots slots"
}

find_job_jar() {
    if [ -n "${SUBSTRATE_JOB_JAR:-}" ]; then
        echo "$SUBSTRATE_JOB_JAR"
        return
    fi
    local jars=("$repo"/jobs/target/substrate-jobs-*-job.jar)
    [ -f "${jars[0]}" ] || die "no job jar in jobs/target; build it: mvn -B install -DskipTests"
    [ ${#jars[@]} -eq 1 ] || die "several job jars in jobs/target: ${jars[*]}"
    echo "${jars[0]}"
}

cmd_submit() {
    local savepoint=""
    if [ "${1:-}" = "--from-savepoint" ]; then
        [ $# -ge 2 ] || die "--from-savepoint needs a path"
        savepoint=$2
        shift 2
    fi
    curl -sf "$rest/overview" >/dev/null || die "no cluster at $rest (start it first)"
    local jar response jar_id body arg sep="" job_id
    jar=$(find_job_jar)
    log "uploading $jar ($(du -h "$jar" | cut -f1))"
    response=$(rest_call POST /jars/upload -F "jarfile=@$jar;type=application/java-archive") ||
        die "upload failed: $response"
    jar_id=$(echo "$response" | json_field filename)
    jar_id=${jar_id##*/}
    [ -n "$jar_id" ] || die "upload answered without a file name: $response"
    body='{"programArgsList": ['
    for arg in "$@"; do
        body+="$sep$(json_string "$arg")"
        sep=", "
    done
    body+="]"
    if [ -n "$savepoint" ]; then
        body+=", \"savepointPath\": $(json_string "$savepoint")"
    fi
    body+="}"
    log "running $jar_id"
    response=$(rest_call POST "/jars/$jar_id/run" -H 'Content-Type: application/json' -d "$body") ||
        die "run failed: $response"
    job_id=$(echo "$response" | json_field jobid)
    [ -n "$job_id" ] || die "run answered without a job id: $response"
    echo "Job $job_id submitted; web UI $rest/#/job/running/$job_id/overview"
    echo "$job_id"
}

cmd_status() {
    local jm tm
    jm=$(live_pid jobmanager "$jm_class") && echo "JobManager  PID $jm" || echo "JobManager  not running"
    tm=$(live_pid taskmanager "$tm_class") && echo "TaskManager PID $tm" || echo "TaskManager not running"
    if curl -sf "$rest/overview" >/dev/null; then
        echo "REST $rest: $(curl -sf "$rest/overview")"
        echo "jobs: $(curl -sf "$rest/jobs/overview")"
    else
        echo "REST $rest: not answering"
    fi
    [ -n "$jm" ] && [ -n "$tm" ]
}

# Stops a job with a savepoint (POST /jobs/{id}/stop) and waits for the savepoint's path.
cmd_stop_job() {
    local job_id=${1:?usage: stop-job JOB_ID} response trigger status deadline
    deadline=$((SECONDS + 180))
    response=$(rest_call POST "/jobs/$job_id/stop" -H 'Content-Type: application/json' \
        -d "{\"targetDirectory\": $(json_string "file://$data/savepoints"), \"drain\": false}") ||
        die "stop failed: $response"
    trigger=$(echo "$response" | json_field request-id)
    while [ $SECONDS -lt $deadline ]; do
        status=$(rest_call GET "/jobs/$job_id/savepoints/$trigger") || die "savepoint status: $status"
        case "$(echo "$status" | json_field id)" in
        COMPLETED)
            if echo "$status" | grep -q '"location"'; then
                echo "Job $job_id stopped; savepoint $(echo "$status" | json_field location)"
                return 0
            fi
            die "savepoint failed: $status"
            ;;
        esac
        sleep 1
    done
    die "savepoint of $job_id not complete after 180 s"
}

cmd_cancel() {
    local job_id=${1:?usage: cancel JOB_ID}
    rest_call PATCH "/jobs/$job_id?mode=cancel" >/dev/null || die "cancel of $job_id failed"
    echo "Job $job_id cancelled"
}

# Stops one process by its recorded PID: SIGTERM, then SIGKILL after 30 s.
stop_process() {
    local name=$1 class=$2 pid
    if ! pid=$(live_pid "$name" "$class"); then
        rm -f "$home/$name.pid"
        return
    fi
    kill "$pid" 2>/dev/null || true
    if ! wait_for "$name exit" 30 '[ ! -e "/proc/$pid" ]'; then
        log "$name (PID $pid) did not exit in 30 s; killing it"
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$home/$name.pid"
    log "$name (PID $pid) stopped"
}

cmd_stop() {
    stop_process taskmanager "$tm_class"
    stop_process jobmanager "$jm_class"
}

case "${1:-}" in
start) cmd_start ;;
start-taskmanager) cmd_start_taskmanager ;;
submit) shift && cmd_submit "$@" ;;
status) cmd_status ;;
stop-job) shift && cmd_stop_job "$@" ;;
cancel) shift && cmd_cancel "$@" ;;
stop) cmd_stop ;;
*)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
