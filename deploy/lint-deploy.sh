#!/usr/bin/env bash
# lint-deploy.sh: check the Helm chart and docker-compose.yaml offline.
#
# helm lint and helm template with the CI values and with every optional
# feature on; the rendered manifests are read with python3 + PyYAML and must
# have probes, resources, the hardened securityContext and the parameterised
# image; then docker-compose.yaml is validated with docker-compose.
# Prints one line per check and "lint-deploy: N passed, M failed" at the end.
#
# Needs: helm (fetched by deploy/fetch-deps.sh helm), python3 with PyYAML
# (Debian: python3-yaml), docker-compose (Debian: docker-compose).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
deps_dir=${ORK_DEPS_DIR:-$top/.deps}
chart=$top/deploy/helm/ork
test_values=$chart/ci/test-values.yaml
full_values=$chart/ci/full-values.yaml
compose_file=$top/docker-compose.yaml
want_image=example.test/ork:t1

passed=0
failed=0
skipped=0
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

die() {
	echo "lint-deploy: $*" >&2
	exit 1
}

pass() {
	echo "ok    $*"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL  $*"
	failed=$((failed + 1))
}

skip() {
	echo "skip  $*"
	skipped=$((skipped + 1))
}

# show_log FILE prints a command's output, indented, after a failed check.
show_log() {
	sed -e 's/^/      | /' "$1" | head -n 40
}

# ---- tools -------------------------------------------------------------
"$here/fetch-deps.sh" helm >/dev/null || die "could not fetch helm (deploy/fetch-deps.sh helm)"
helm=$deps_dir/helm/bin/helm
[ -x "$helm" ] || die "helm is missing at $helm"

python=
for candidate in python3 /usr/bin/python3; do
	if command -v "$candidate" >/dev/null 2>&1 &&
		"$candidate" -c 'import yaml' >/dev/null 2>&1; then
		python=$candidate
		break
	fi
done
if [ -z "$python" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "lint-deploy: installing python3-yaml with apt-get" >&2
		if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
			! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends python3 python3-yaml >/dev/null; then
			die "could not install python3-yaml with apt-get"
		fi
		python=/usr/bin/python3
	else
		die "python3 with PyYAML is missing: install the Debian package python3-yaml"
	fi
fi

# ---- manifest checks ---------------------------------------------------
# check_manifests FILE [IMAGE]: one line per object, "ok ..." or "FAIL ...".
check_manifests() {
	"$python" - "$@" <<'PY'
import sys
import yaml

path = sys.argv[1]
want_image = sys.argv[2] if len(sys.argv) > 2 else None
UID = 10001

with open(path) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]


def env_value(container, name):
    for e in container.get("env") or []:
        if e.get("name") == name:
            return e.get("value")
    return None


def check_pod(kind, spec, problems, need_probes):
    pod_sc = spec.get("securityContext") or {}
    if pod_sc.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot is not true")
    if pod_sc.get("runAsUser") != UID:
        problems.append("pod securityContext.runAsUser is not %d" % UID)
    if (pod_sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("pod seccompProfile is not RuntimeDefault")

    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    if not spec.get("containers"):
        problems.append("no containers")
    for c in containers:
        name = c.get("name", "?")
        if want_image is not None and c.get("image") != want_image:
            problems.append("%s: image %r is not %r" % (name, c.get("image"), want_image))
        if need_probes and c in (spec.get("containers") or []):
            for probe in ("livenessProbe", "readinessProbe"):
                p = c.get(probe) or {}
                if not (p.get("httpGet") or {}).get("path"):
                    problems.append("%s: no %s with httpGet" % (name, probe))
        res = c.get("resources") or {}
        if not res.get("requests"):
            problems.append("%s: no resources.requests" % name)
        if not (res.get("limits") or {}).get("memory"):
            problems.append("%s: no memory limit" % name)
        sc = c.get("securityContext") or {}
        if sc.get("runAsNonRoot") is not True:
            problems.append("%s: runAsNonRoot is not true" % name)
        if sc.get("runAsUser", pod_sc.get("runAsUser")) != UID:
            problems.append("%s: runAsUser is not %d" % (name, UID))
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append("%s: readOnlyRootFilesystem is not true" % name)
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append("%s: allowPrivilegeEscalation is not false" % name)
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append("%s: capabilities do not drop ALL" % name)
        seccomp = sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}
        if seccomp.get("type") != "RuntimeDefault":
            problems.append("%s: seccompProfile is not RuntimeDefault" % name)
        mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
        tmp = volumes.get(mounts.get("/tmp")) or {}
        if "emptyDir" not in tmp:
            problems.append("%s: /tmp is not an emptyDir" % name)
    return containers


def check_worker(spec, containers, problems):
    for c in spec.get("containers") or []:
        mounts = {m.get("mountPath"): m.get("name") for m in c.get("volumeMounts") or []}
        if "/var/lib/ork" not in mounts:
            problems.append("%s: no volume at /var/lib/ork" % c.get("name"))
        if c.get("workingDir") != "/var/lib/ork":
            problems.append("%s: workingDir is not /var/lib/ork" % c.get("name"))
        grace = env_value(c, "ORK_WORKER_GRACE_SECONDS")
        tgps = spec.get("terminationGracePeriodSeconds", 30)
        if grace is None or int(tgps) <= int(grace):
            problems.append("terminationGracePeriodSeconds %s is not above "
                            "ORK_WORKER_GRACE_SECONDS %s" % (tgps, grace))


seen = {}
for d in docs:
    kind = d.get("kind")
    name = (d.get("metadata") or {}).get("name", "?")
    seen.setdefault(kind, []).append(name)
    if kind not in ("Deployment", "Job"):
        continue
    problems = []
    spec = ((d.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = check_pod(kind, spec, problems, need_probes=(kind == "Deployment"))
    component = ((d.get("metadata") or {}).get("labels") or {}).get(
        "app.kubernetes.io/component")
    if kind == "Deployment" and component == "worker":
        check_worker(spec, containers, problems)
    if kind == "Job":
        hooks = ((d.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook", "")
        if "pre-install" not in hooks or "pre-upgrade" not in hooks:
            problems.append("not a pre-install,pre-upgrade hook")
    what = "%s/%s" % (kind, name)
    if problems:
        print("FAIL %s: %s" % (what, "; ".join(problems)))
    else:
        checked = ["probes"] if kind == "Deployment" else ["hook"]
        checked += ["resources", "securityContext", "/tmp"]
        if want_image:
            checked.append("image")
        print("ok %s: %s" % (what, ", ".join(checked)))

want = {"Deployment": 3, "Job": 1}
for kind, count in want.items():
    got = len(seen.get(kind, []))
    if got != count:
        print("FAIL rendered %d %s objects, want %d" % (got, kind, count))
if not any(n.endswith("-orchestrator") for n in seen.get("Service", [])):
    print("FAIL no orchestrator Service")
PY
}

# run_checks LABEL CHECKER ARGS...: one result line per line of CHECKER.
run_checks() {
	local label=$1 checker=$2 out line
	shift 2
	out=$work/checks.out
	if ! "$checker" "$@" >"$out" 2>&1; then
		fail "$label: $checker did not run"
		show_log "$out"
		return
	fi
	while IFS= read -r line; do
		case "$line" in
		"ok "*) pass "$label: ${line#ok }" ;;
		"FAIL "*) fail "$label: ${line#FAIL }" ;;
		*) fail "$label: $line" ;;
		esac
	done <"$out"
}

# render LABEL OUT ARGS...: helm template into OUT, a check line on failure.
render() {
	local label=$1 out=$2
	shift 2
	if "$helm" template ork "$chart" "$@" >"$out" 2>"$work/render.err"; then
		return 0
	fi
	fail "$label: helm template failed"
	show_log "$work/render.err"
	return 1
}

image_args=(--set "image.repository=${want_image%:*}" --set "image.tag=${want_image##*:}")

# helm lint
for values in "$test_values" "$full_values"; do
	label="helm lint --strict -f ${values#"$top"/}"
	if "$helm" lint --strict "$chart" -f "$values" >"$work/lint.out" 2>&1; then
		pass "$label"
	else
		fail "$label"
		show_log "$work/lint.out"
	fi
done

# helm template: defaults + CI values, and every optional feature on
if render "template default" "$work/default.yaml" -f "$test_values"; then
	run_checks "template default" check_manifests "$work/default.yaml"
fi
if render "template full" "$work/full.yaml" -f "$full_values"; then
	run_checks "template full" check_manifests "$work/full.yaml"
	for kind in Ingress HorizontalPodAutoscaler ServiceMonitor PersistentVolumeClaim; do
		if grep -q "^kind: $kind\$" "$work/full.yaml"; then
			pass "template full: renders the $kind"
		else
			fail "template full: renders no $kind"
		fi
	done
	if grep -q '^kind: Secret$' "$work/full.yaml"; then
		fail "template full: creates a Secret although existing Secrets are given"
	else
		pass "template full: creates no Secret when existing Secrets are given"
	fi
fi

# every image is the parameterised one
for values in "$test_values" "$full_values"; do
	label="image $want_image (-f ${values##*/})"
	if render "$label" "$work/image.yaml" -f "$values" "${image_args[@]}"; then
		run_checks "$label" check_manifests "$work/image.yaml" "$want_image"
	fi
done

# what the chart must refuse
if "$helm" template ork "$chart" >"$work/refuse.out" 2>&1; then
	fail "template without database and admin password: rendered, want a refusal"
else
	pass "template without database and admin password: refused"
fi
if "$helm" template ork "$chart" -f "$test_values" --set log.level=verbose \
	>"$work/refuse.out" 2>&1; then
	fail "values schema: accepted log.level=verbose"
else
	pass "values schema: rejects log.level=verbose"
fi

# the checks themselves: a chart without readiness probes must fail them
broken=$work/broken
cp -R "$chart" "$broken"
"$python" - "$broken/templates/_helpers.tpl" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
t = re.sub(r"readinessProbe:\n(  .*\n)+?(?=\{\{- end)", "", s)
assert s != t, "readinessProbe not found in _helpers.tpl"
open(p, "w").write(t)
PY
if "$helm" template ork "$broken" -f "$test_values" >"$work/broken.yaml" 2>"$work/render.err" &&
	check_manifests "$work/broken.yaml" >"$work/broken.out" 2>&1 &&
	grep -q '^FAIL .*no readinessProbe' "$work/broken.out"; then
	pass "manifest checks catch a chart without readiness probes"
else
	fail "manifest checks missed a chart without readiness probes"
fi

# ---- docker-compose ----------------------------------------------------
check_compose_config() {
	"$python" - "$1" "$want_image" <<'PY'
import sys
import yaml

cfg = yaml.safe_load(open(sys.argv[1]))
want_image = sys.argv[2]
services = cfg.get("services") or {}
problems = []
for name in ("postgres", "migrate", "orchestrator", "api", "worker"):
    if name not in services:
        problems.append("no service %s" % name)


def cond(svc, dep):
    return ((services.get(svc, {}).get("depends_on") or {}).get(dep) or {}).get("condition")


for svc, dep, want in (
        ("migrate", "postgres", "service_healthy"),
        ("orchestrator", "migrate", "service_completed_successfully"),
        ("api", "migrate", "service_completed_successfully"),
        ("api", "orchestrator", "service_healthy"),
        ("worker", "orchestrator", "service_healthy")):
    if cond(svc, dep) != want:
        problems.append("%s does not wait for %s %s" % (svc, dep, want))
for name in ("migrate", "orchestrator", "api", "worker"):
    svc = services.get(name) or {}
    if svc.get("image") != want_image:
        problems.append("%s image is %r, not ORK_IMAGE" % (name, svc.get("image")))
    if name != "migrate" and not svc.get("healthcheck"):
        problems.append("%s has no healthcheck" % name)
    if svc.get("read_only") is not True:
        problems.append("%s root file system is not read-only" % name)
if not (services.get("postgres") or {}).get("healthcheck"):
    problems.append("postgres has no healthcheck")
worker = services.get("worker") or {}
if "container_name" in worker or worker.get("ports"):
    problems.append("worker has a container_name or host ports: --scale would fail")
if not any(":/var/lib/ork" in str(v) or (isinstance(v, dict) and v.get("target") == "/var/lib/ork")
           for v in worker.get("volumes") or []):
    problems.append("worker has no volume at /var/lib/ork")
for p in problems:
    print("FAIL " + p)
if not problems:
    print("ok services, dependencies, healthchecks, image, worker scaling")
PY
}

# An empty env file: a developer's .env must not decide the result.
empty_env=$work/empty.env
: >"$empty_env"
if command -v docker-compose >/dev/null 2>&1; then
	if env POSTGRES_PASSWORD=lint-only ORK_ADMIN_PASSWORD=lint-only ORK_IMAGE="$want_image" \
		docker-compose --env-file "$empty_env" -f "$compose_file" config -q \
		>"$work/compose.out" 2>&1; then
		pass "docker-compose config -q"
		env POSTGRES_PASSWORD=lint-only ORK_ADMIN_PASSWORD=lint-only ORK_IMAGE="$want_image" \
			docker-compose --env-file "$empty_env" -f "$compose_file" config \
			>"$work/compose.yaml" 2>/dev/null
		run_checks "docker-compose.yaml" check_compose_config "$work/compose.yaml"
	else
		fail "docker-compose config -q"
		show_log "$work/compose.out"
	fi
	if env -u POSTGRES_PASSWORD -u ORK_ADMIN_PASSWORD \
		docker-compose --env-file "$empty_env" -f "$compose_file" config -q \
		>"$work/compose.out" 2>&1; then
		fail "docker-compose.yaml: accepted missing passwords"
	else
		pass "docker-compose.yaml: refuses to run without the passwords"
	fi
else
	skip "docker-compose config: docker-compose is not installed (Debian package docker-compose)"
fi

if docker compose version >/dev/null 2>&1; then
	if env POSTGRES_PASSWORD=lint-only ORK_ADMIN_PASSWORD=lint-only \
		docker compose --env-file "$empty_env" -f "$compose_file" config -q \
		>"$work/compose.out" 2>&1; then
		pass "docker compose config -q"
	else
		fail "docker compose config -q"
		show_log "$work/compose.out"
	fi
fi

# ---- Grafana dashboard ---------------------------------------------------
# It parses, its panel ids are unique, and every ork_ metric it queries is
# one the daemons serve (the catalog in common/metrics.c).
dashboard=$top/deploy/grafana/ork-dashboard.json
if "$python" - "$dashboard" "$top/common/metrics.c" >"$work/grafana.out" 2>&1 <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
served = set(re.findall(r'"(ork_[a-z0-9_]+)"', open(sys.argv[2]).read()))
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "panel ids repeat"
for p in d["panels"]:
    for t in p.get("targets", []):
        for name in re.findall(r"ork_[a-z0-9_]+", t["expr"]):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            assert name in served or base in served, \
                "%s: %s is not served" % (p["title"], name)
PY
then
	pass "grafana dashboard: parses, queries only served metrics"
else
	fail "grafana dashboard"
	show_log "$work/grafana.out"
fi

if [ "$skipped" -gt 0 ]; then
	echo "lint-deploy: $passed passed, $failed failed, $skipped skipped"
else
	echo "lint-deploy: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
