#!/usr/bin/env bash
# Static checks of deploy/ that need neither Docker nor Kubernetes (about a second):
#   - every YAML file parses (python3 with PyYAML; skipped with a notice when absent)
#   - the Java 17 flags in deploy/flink/config.yaml and the FlinkDeployment are the root pom's
#     substrate.jvm.opens, and the FlinkDeployment carries every key of deploy/flink/config.yaml
#     with the same value
#   - docker-compose.yml publishes ports on 127.0.0.1 only
# It does not start anything: `docker compose config` and `kubectl apply --dry-run` need tools
# the build machines do not have.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "validate: python3 with PyYAML not found; YAML not checked" >&2
    exit 0
fi

python3 - <<'EOF'
import re
import sys

import yaml

failures = []
opens = re.search(r"<substrate.jvm.opens>(.*)</substrate.jvm.opens>", open("pom.xml").read()).group(1)

base = yaml.safe_load(open("deploy/flink/config.yaml"))
if base.get("env.java.opts.all") != opens:
    failures.append("deploy/flink/config.yaml: env.java.opts.all differs from substrate.jvm.opens")

docs = list(yaml.safe_load_all(open("deploy/kubernetes/flink-deployment.yaml")))
deployment = next(d for d in docs if d["kind"] == "FlinkDeployment")
flink_conf = deployment["spec"]["flinkConfiguration"]
for key, value in base.items():
    if key == "parallelism.default":
        continue  # the FlinkDeployment sets job.parallelism instead
    if str(flink_conf.get(key)).lower() != str(value).lower():
        failures.append(f"flink-deployment.yaml: {key} is {flink_conf.get(key)!r}, config.yaml says {value!r}")
job = deployment["spec"]["job"]
if job["upgradeMode"] != "savepoint" or not job["jarURI"].startswith("local://"):
    failures.append("flink-deployment.yaml: expected upgradeMode savepoint and a local:// jarURI")

compose = yaml.safe_load(open("deploy/docker-compose.yml"))
for name, service in compose["services"].items():
    for port in service.get("ports", []):
        if not str(port).startswith("127.0.0.1:"):
            failures.append(f"docker-compose.yml: {name} publishes {port} beyond loopback")

for failure in failures:
    print("validate:", failure, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"validate: YAML parses; opens, Flink options ({len(base)} keys) and loopback ports agree")
EOF
