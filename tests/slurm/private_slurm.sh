# A private one-node Slurm cluster for tests, to be sourced.
#
#   source tests/slurm/private_slurm.sh
#   private_slurm_start "$work/slurm" || exit 77   # 77: skipped, with the reason on stderr
#   sbatch ...; private_slurm_wait JOBID 300
#   (private_slurm_stop runs on exit, also when the test fails, then the
#   EXIT trap the test had set)
#
# Everything lives under the given folder: the munge key and socket, the
# slurm.conf (proctrack/linuxproc, task/none, no accounting), state, spool,
# logs. munged, slurmctld -D and slurmd -D run as background processes of
# this shell; private_slurm_stop stops exactly those PIDs. SLURM_CONF is
# exported so that sbatch, squeue and scontrol talk to this cluster only.
# Needs root (slurmd launches jobs as their user) and the packages slurm-wlm
# and munge (scripts/test.sh installs them through scripts/setup.sh).

private_slurm_pids=()

# Prints why the cluster cannot run here, or nothing.
private_slurm_unavailable() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "not root (slurmd must run as root to launch jobs)"
    return
  fi
  local command
  for command in munged munge slurmctld slurmd sbatch squeue scontrol; do
    command -v "$command" >/dev/null 2>&1 || {
      echo "'$command' not found (install slurm-wlm and munge: bash scripts/setup.sh slurm-wlm munge)"
      return
    }
  done
}

private_slurm_free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

private_slurm_stop() {
  local pid
  for pid in "${private_slurm_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${private_slurm_pids[@]}"; do
    # Up to 10 s each to stop on SIGTERM, then SIGKILL.
    local tries=0
    while kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do
      sleep 0.1
      tries=$((tries + 1))
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
  done
  private_slurm_pids=()
}

# private_slurm_start DIR: starts the cluster under DIR (created, must not
# exist) and waits until its node is idle. Returns non-zero with the reason
# on stderr when it cannot run here or does not come up in 60 s.
private_slurm_start() {
  local dir="$1" why
  why="$(private_slurm_unavailable)"
  if [ -n "$why" ]; then
    echo "SKIPPED: private Slurm cluster unavailable: $why" >&2
    return 1
  fi
  mkdir "$dir" || return 1
  dir="$(cd "$dir" && pwd)"
  mkdir "$dir/state" "$dir/spool"
  # munged refuses a key or socket folder others may write; jobs reach the socket.
  chmod 711 "$dir"
  head -c 1024 /dev/urandom >"$dir/munge.key"
  chmod 600 "$dir/munge.key"
  # Stop the daemons on exit, before whatever the test's own exit trap does
  # (such as removing its scratch folder).
  private_slurm_previous_exit="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT\$/\1/")"
  trap 'private_slurm_stop; eval "$private_slurm_previous_exit"' EXIT

  munged --foreground --force --key-file="$dir/munge.key" --socket="$dir/munge.sock" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" \
    >"$dir/munged.out" 2>&1 &
  private_slurm_pids+=($!)

  local host
  host="$(hostname -s)"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=attnlabtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(private_slurm_free_port)
SlurmdPort=$(private_slurm_free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"

  local tries=0
  until [ -S "$dir/munge.sock" ] || [ $tries -ge 100 ]; do sleep 0.1; tries=$((tries + 1)); done
  slurmctld -D -f "$SLURM_CONF" >"$dir/slurmctld.out" 2>&1 &
  private_slurm_pids+=($!)
  slurmd -D -f "$SLURM_CONF" >"$dir/slurmd.out" 2>&1 &
  private_slurm_pids+=($!)

  tries=0
  until sinfo -h -o %T 2>/dev/null | grep -qx idle; do
    if [ $tries -ge 600 ]; then
      echo "private Slurm cluster did not come up in 60 s; logs under $dir" >&2
      tail -n 5 "$dir"/*.out "$dir"/*.log >&2 2>/dev/null
      return 1
    fi
    sleep 0.1
    tries=$((tries + 1))
  done
}

# private_slurm_wait JOBID SECONDS: polls until the job (all of an array's
# tasks) has left the queue; fails after SECONDS. scontrol too: right after
# sbatch, squeue may not list the job yet.
private_slurm_wait() {
  local job="$1" limit="$2" start=$SECONDS
  while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ] ||
        scontrol show job "$job" 2>/dev/null | grep -Eq 'JobState=(PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED)'; do
    if [ $((SECONDS - start)) -ge "$limit" ]; then
      echo "job $job still queued or running after $limit s" >&2
      return 1
    fi
    sleep 0.5
  done
}
