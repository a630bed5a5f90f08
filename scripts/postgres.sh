#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the storage tests and benchmark, on 127.0.0.1 at a free port in a temporary
# folder, run as the `postgres` user (initdb refuses root).
#   eval "$(scripts/postgres.sh start)"   # exports LOCO_TEST_POSTGRES_URL and LOCO_POSTGRES_DIR
#   scripts/postgres.sh stop              # stops the cluster in $LOCO_POSTGRES_DIR and removes it
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$dir" ]; then
    echo "[postgres] installing the Debian package postgresql" >&2
    local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postgresql >&2
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  echo "$dir"
}

as_owner() {  # run a command as the cluster's owner: postgres when we are root, else ourselves
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/loco-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-h 127.0.0.1 -p $port -k $dir" start >&2
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres loco_test
    echo "export LOCO_POSTGRES_DIR=$dir"
    echo "export LOCO_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/loco_test"
    ;;
  stop)
    dir=${LOCO_POSTGRES_DIR:?run start first (LOCO_POSTGRES_DIR is not set)}
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
