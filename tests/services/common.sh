# Shared by the service scripts (sourced). Everything listens on 127.0.0.1 only.

# A TCP port nothing listens on at 127.0.0.1 (random high port, checked by connecting;
# a tiny race with other programs is possible).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# alive PID: true while PID runs and is not a zombie (PID 1 may reap slowly here, and
# kill -0 succeeds on a zombie).
alive() {
  local pid=$1 state
  [[ -r /proc/$pid/stat ]] || return 1
  state=$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# stop_pidfile FILE: TERM the pid in FILE, wait up to 10 s, then KILL.
stop_pidfile() {
  local file=$1 pid i
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# unavailable DIR NAME REASON: the service cannot run on this machine; tests skip with REASON.
unavailable() {
  echo "$3" > "$1/$2.unavailable"
  echo "$2: unavailable: $3"
  exit 0
}

# wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
