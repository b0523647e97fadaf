#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for development, tests and benchmarks. Sourced by run.sh, test.sh and bench.sh.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the unprivileged 'postgres' user.

pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/{17,16,15}/bin; do
    [[ -x $dir/initdb ]] && { echo "$dir"; return 0; }
  done
  return 1
}

pg_ensure_installed() {
  pg_bin_dir >/dev/null && return 0
  echo "PostgreSQL binaries not found; installing them with apt-get..." >&2
  if [[ $(id -u) -ne 0 ]]; then
    echo "error: PostgreSQL is not installed and this is not root: install postgresql (15 or newer) and retry." >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2 || {
    echo "error: could not install PostgreSQL with apt-get." >&2
    return 1
  }
  pg_bin_dir >/dev/null
}

# Runs a command as the cluster's owner.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "error: no free TCP port found" >&2
  return 1
}

# pg_start DATA_DIR PORT [extra postgres -c settings...]: initialises DATA_DIR if empty, then starts the server on
# 127.0.0.1:PORT with its socket inside DATA_DIR. Trust authentication on loopback only: a local, private cluster.
pg_start() {
  local data=$1 port=$2; shift 2
  local bin; bin=$(pg_bin_dir) || return 1
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    mkdir -p "$data"
    chown postgres: "$data"
    chmod 700 "$data"
  else
    mkdir -p "$data"
    chmod 700 "$data"
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    pg_as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 || {
      echo "error: initdb failed, see $data.initdb.log" >&2
      return 1
    }
  fi
  local settings=(-c "listen_addresses=127.0.0.1" -c "port=$port" -c "unix_socket_directories=$data" "$@")
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 -o "${settings[*]}" start >/dev/null || {
    echo "error: PostgreSQL did not start; its log follows" >&2
    tail -n 30 "$data/server.log" >&2
    return 1
  }
}

pg_stop() {
  local data=$1
  local bin; bin=$(pg_bin_dir) || return 0
  [[ -f $data/postmaster.pid ]] && pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1
  return 0
}
