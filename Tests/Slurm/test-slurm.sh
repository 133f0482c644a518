#!/usr/bin/env bash
# `make test-slurm`: `dropbench submit` on a real single-node Slurm 22.05 started here, without systemd
# (slurmctld, slurmd and munged in the foreground, on private ports, a private munge socket and state under a
# temporary directory, so nothing else on the machine is touched). Checks that
#   1. a 2-task array plus its assembling job give results equal, run for run and bit for bit, to a local run;
#   2. after one array task is cancelled mid-run, the assembling job fails naming the fix, and submitting again
#      trains only what is missing and gives the same results again.
# Stops exactly the daemons it started (after cancelling every job and waiting for squeue to drain) and removes
# its temporary directory, whatever happens. Needs root (apt-get, daemons) and a built .build/release/dropbench.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
BIN=$REPO/.build/release/dropbench
SPEC=dropout-p-sweep
START=$(date +%s.%N)

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[test-slurm %6ss] %s\n' "$(since "$START")" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

[ -x "$BIN" ] || { echo "error: $BIN is missing: run make build first" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "error: test-slurm installs packages and starts daemons: run it as root" >&2; exit 2; }

T=""
MUNGED_PID="" CTLD_PID="" SLURMD_PID=""
OWN_POLICY=0
SLURM_LOGS_BEFORE=""

# Stops a daemon we started and reaps it; killed daemons can linger as zombies, so check the state, not existence.
proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || echo gone; }
stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    case $(proc_state "$pid") in gone | Z) break ;; esac
    sleep 0.1
  done
  case $(proc_state "$pid") in gone | Z) ;; *) kill -9 "$pid" 2>/dev/null || true ;; esac
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$CTLD_PID" ]; then
    # Job processes are re-parented away from slurmd: cancel every job of this private cluster and wait for the
    # queue to drain before the daemons go, or the jobs outlive the cluster.
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
    [ -n "${jobs// /}" ] && scancel $jobs
    for _ in $(seq 300); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    [ -n "$(squeue -h 2>/dev/null)" ] && say "warning: jobs still queued at shutdown: $(squeue -h | tr '\n' ';')"
  fi
  stop_pid "$SLURMD_PID"
  stop_pid "$CTLD_PID"
  stop_pid "$MUNGED_PID"
  [ "$OWN_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "$rc" != 0 ] && [ -n "$T" ]; then
    for log in "$T"/log/*.log "$T"/log/*.out; do [ -e "$log" ] && { echo "--- tail of $log"; tail -n 15 "$log"; }; done
    echo "--- job logs are kept in $REPO/.dropbench/slurm/"
  elif [ -n "$SLURM_LOGS_BEFORE" ]; then
    # On success, remove the scripts and logs this test wrote; keep anyone else's.
    comm -13 "$SLURM_LOGS_BEFORE" <(ls "$REPO/.dropbench/slurm" 2>/dev/null | sort) \
      | while read -r f; do rm -f "$REPO/.dropbench/slurm/$f"; done
  fi
  [ -n "$T" ] && rm -rf "$T"
  say "$([ "$rc" = 0 ] && echo passed || echo "failed (exit $rc)"); wall time $(since "$START") s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- packages: installed without starting services (no systemd here; a postinst would start an untracked munged)
missing=$(for p in slurmctld slurmd slurm-client munge; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  say "installing" $missing
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && OWN_POLICY=1
  fi
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  apt_install || { apt-get update -qq && apt_install; }
  [ "$OWN_POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d && OWN_POLICY=0
fi

# --- a private cluster under $T
T=$(mktemp -d /tmp/dropbench-slurm.XXXXXX)
chmod 755 "$T"  # munged runs as munge and must reach its socket directory
mkdir -p "$T"/{munge,state,spool,log,exp}
# munged insists its socket directory be searchable by all (clients connect as any user), owned by munge.
chown munge:munge "$T/munge" && chmod 755 "$T/munge"
mkdir -p "$REPO/.dropbench/slurm"
SLURM_LOGS_BEFORE=$T/slurm-files-before
ls "$REPO/.dropbench/slurm" | sort >"$SLURM_LOGS_BEFORE"
NODE=$(hostname -s)
read -r CTLD_PORT SLURMD_PORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
export SLURM_CONF=$T/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=dropbench-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# Finished jobs stay visible to scontrol for 10 minutes: their final state is checked below.
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

setpriv --reuid=munge --regid=munge --init-groups munged -F --socket="$T/munge/munge.socket" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" \
  >>"$T/log/munged.out" 2>&1 &
MUNGED_PID=$!
for _ in $(seq 50); do [ -S "$T/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$T/munge/munge.socket" ] || fail "munged did not start: $(tail -n 1 "$T/munge/munged.log")"
slurmctld -D -f "$SLURM_CONF" >>"$T/log/slurmctld.out" 2>&1 &
CTLD_PID=$!
slurmd -D -N "$NODE" -f "$SLURM_CONF" >>"$T/log/slurmd.out" 2>&1 &
SLURMD_PID=$!
for _ in $(seq 100); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 0.2; done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || fail "the node did not come up idle: $(sinfo -h 2>&1)"
say "cluster up: node $NODE, $(nproc) CPUs, slurmctld port $CTLD_PORT (munged $MUNGED_PID, slurmctld $CTLD_PID," \
  "slurmd $SLURMD_PID)"

# --- a tiny spec: dropout-p-sweep's smoke scale (16 MLP runs on 512 images) at 6 epochs instead of 2, so one
# array task runs long enough (a few seconds) to be cancelled mid-way
sed 's/smoke: {train.epochs: 2,/smoke: {train.epochs: 6,/' Experiments/$SPEC.yaml >"$T/exp/$SPEC.yaml"
grep -q 'smoke: {train.epochs: 6,' "$T/exp/$SPEC.yaml" || fail "could not shorten Experiments/$SPEC.yaml's smoke scale"

local_start=$(date +%s.%N)
"$BIN" run $SPEC --scale smoke --jobs 1 --plain --experiments "$T/exp" --cache "$T/cache-local" \
  --reports "$T/rep-local" 2>"$T/log/local.log" || fail "local run failed: $(tail -n 3 "$T/log/local.log")"
say "local reference run (--jobs 1): $(since "$local_start") s"

submit() {  # <cache> <reports>: prints "<array id> <assembling job id>"
  "$BIN" submit $SPEC --scale smoke --array-size 2 --cpus-per-task 1 --experiments "$T/exp" --cache "$1" \
    --reports "$2" 2>>"$T/log/submit.log"
}

wait_jobs() {  # polls squeue (sbatch --wait backs off for seconds); at most 4 minutes
  for _ in $(seq 1200); do
    [ -z "$(squeue -h -j "$(echo "$@" | tr ' ' ,)" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  fail "jobs $* still queued after 4 minutes: $(squeue -h)"
}

job_state() { scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | xargs; }

compare() {  # <results.json> <reference results.json>: every run's metrics bit for bit
  python3 - "$1" "$2" <<'EOF'
import json, sys

def load(path):
    r = json.load(open(path))
    # Wall times and provenance (git state, timings) legitimately differ; everything else must not.
    for k in ("provenance", "totalWallSeconds"):
        r.pop(k, None)
    # A robustness axis's runs (robustnessRuns) are runs like the others: wall times aside, they must match too.
    for runs in (r["runs"], r.get("robustnessRuns", [])):
        for run in runs:
            run.pop("wallSeconds", None)
        runs.sort(key=lambda run: run["key"])
    return r

# Python parses JSON numbers to the nearest double, and Swift writes the shortest round-tripping digits:
# equal floats here are equal bits.
a, b = load(sys.argv[1]), load(sys.argv[2])
if [x["key"] for x in a["runs"]] != [x["key"] for x in b["runs"]]:
    sys.exit("different run keys")
differing = [x["key"] for x, y in zip(a["runs"], b["runs"]) if x != y]
if differing:
    sys.exit(f"{len(differing)} runs differ, first {differing[0]}")
if a != b:
    sys.exit("runs identical but the verdict or spec differs")
print(f"{len(a['runs'])} runs identical (final metrics and every epoch), verdict: {a['verdict']['verdict']}")
EOF
}

# --- 1. a 2-task array, then the assembling job
t1=$(date +%s.%N)
read -r ARRAY ASSEMBLE < <(submit "$T/cache1" "$T/rep1") || fail "submit failed: $(tail -n 2 "$T/log/submit.log")"
say "submitted array $ARRAY (2 tasks) and assembling job $ASSEMBLE"
wait_jobs "$ARRAY" "$ASSEMBLE"
ARRAY_SECONDS=$(since "$t1")
[ "$(job_state "$ASSEMBLE")" = "1 COMPLETED" ] || fail "assembling job $ASSEMBLE: $(job_state "$ASSEMBLE")"
[ "$(job_state "$ARRAY")" = "2 COMPLETED" ] || fail "array $ARRAY: $(job_state "$ARRAY")"
say "array + assembly done in $ARRAY_SECONDS s (submit to results)"
diff <(ls "$T/cache1") <(ls "$T/cache-local") >/dev/null || fail "the array's cache keys differ from the local run's"
out=$(compare "$T/rep1/results/$SPEC.json" "$T/rep-local/results/$SPEC.json") || fail "array vs local: $out"
say "array vs local: $out"

# --- 2. cancel one task mid-run; the assembling job must refuse; submitting again completes the sweep
read -r ARRAY ASSEMBLE < <(submit "$T/cache3" "$T/rep3") || fail "submit failed: $(tail -n 2 "$T/log/submit.log")"
cached() { find "$T/cache3" -maxdepth 1 -name '*.json' ! -name '.*' 2>/dev/null | wc -l; }
for _ in $(seq 600); do
  [ "$(squeue -h -j "${ARRAY}_1" -o %T 2>/dev/null)" = RUNNING ] && [ "$(cached)" -ge 3 ] && break
  sleep 0.1
done
scancel "${ARRAY}_1"
say "cancelled task ${ARRAY}_1 with $(cached) of 16 runs cached"
wait_jobs "$ARRAY" "$ASSEMBLE"
status=$("$BIN" status $SPEC --scale smoke --experiments "$T/exp" --cache "$T/cache3")
say "after the cancel: $status; array $(job_state "$ARRAY"); assembling job $(job_state "$ASSEMBLE")"
echo "$status" | grep -q ', 0 missing' && fail "task 1 had finished before it was cancelled: nothing was tested"
[ "$(job_state "$ASSEMBLE")" = "1 FAILED" ] || fail "the assembling job ran despite missing runs"
grep -q 'runs are missing' "$REPO"/.dropbench/slurm/*-"$ASSEMBLE".out || fail "the assembling job's log lacks the hint"
[ -e "$T/rep3/results/$SPEC.json" ] && fail "results were written from an incomplete cache"
t3=$(date +%s.%N)
read -r ARRAY ASSEMBLE < <(submit "$T/cache3" "$T/rep3") || fail "resubmit failed: $(tail -n 2 "$T/log/submit.log")"
wait_jobs "$ARRAY" "$ASSEMBLE"
[ "$(job_state "$ASSEMBLE")" = "1 COMPLETED" ] || fail "assembling job $ASSEMBLE: $(job_state "$ASSEMBLE")"
say "resubmitted: done in $(since "$t3") s; trained only the missing runs:" \
  "$(grep -h 'runs:' "$REPO"/.dropbench/slurm/*-"${ARRAY}"_*.out | sed 's/;.*//' | tr '\n' ' ')"
out=$(compare "$T/rep3/results/$SPEC.json" "$T/rep-local/results/$SPEC.json") || fail "after resubmit vs local: $out"
say "after cancel + resubmit vs local: $out"
say "smoke array (16 runs, 2 tasks x 1 CPU, submit to assembled results): $ARRAY_SECONDS s"
