#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and benchmarks: initdb + pg_ctl in a directory of
# our own, listening on a free 127.0.0.1 port only (no Unix socket outside that directory),
# run by an unprivileged user (PostgreSQL refuses to run as root).
#
#   scripts/pg-cluster.sh start DIR [--durable]   prints the URL (postgres://wg:…@127.0.0.1:PORT/postgres)
#   scripts/pg-cluster.sh stop DIR                stops it (fast shutdown) and removes DIR
#   scripts/pg-cluster.sh restart DIR [immediate] restarts it on the same port (tests: "database restarted")
#
# Without --durable the cluster trades durability for speed (fsync, synchronous_commit and
# full-page writes off): a test cluster is thrown away, and a clean or immediate restart of the
# server (not of the machine) loses nothing, since the OS still holds the pages.
set -euo pipefail

die() { echo "pg-cluster: $*" >&2; exit 1; }

bindir() {
  if [ -n "${WG_PG_BINDIR:-}" ]; then echo "$WG_PG_BINDIR"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  if command -v initdb >/dev/null; then dirname "$(command -v initdb)"; return; fi
  die "PostgreSQL server binaries not found (initdb, pg_ctl) — install them: apt-get install postgresql (or set WG_PG_BINDIR)"
}

# Runs a command as the cluster's user: ourselves, or (as root) an unprivileged system user.
as_owner() {
  if [ "$(id -u)" != 0 ]; then "$@"; return; fi
  local user=${WG_PG_USER:-postgres}
  if ! id -u "$user" >/dev/null 2>&1; then
    user=wgpg
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  runuser -u "$user" -- "$@"
}

owner_name() {
  if [ "$(id -u)" != 0 ]; then id -un; return; fi
  local user=${WG_PG_USER:-postgres}
  id -u "$user" >/dev/null 2>&1 && { echo "$user"; return; }
  echo wgpg
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg-cluster.sh start|stop|restart DIR"
bin=$(bindir)

case "$cmd" in
start)
  durable=${3:-}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # The owner must reach DIR: a temp dir under /tmp is fine; make each parent traversable.
  owner=$(owner_name)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown "$owner" "$dir"
  password=$(node -e "process.stdout.write(require('crypto').randomBytes(18).toString('hex'))")
  printf '%s\n' "$password" >"$dir/pwfile"
  chmod 600 "$dir/pwfile"
  [ "$(id -u)" = 0 ] && chown "$owner" "$dir/pwfile"
  as_owner "$bin/initdb" -D "$dir/data" -U wg --pwfile="$dir/pwfile" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pwfile"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir'"
    echo "max_connections = 300"
    echo "shared_buffers = 128MB"
    if [ "$durable" != "--durable" ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >>"$dir/data/postgresql.conf"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    echo "port = $port" >"$dir/data/postgresql.auto.conf"
    [ "$(id -u)" = 0 ] && chown "$owner" "$dir/data/postgresql.auto.conf"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      printf 'postgres://wg:%s@127.0.0.1:%s/postgres\n' "$password" "$port" | tee "$dir/url"
      exit 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  die "could not start PostgreSQL in $dir"
  ;;
restart)
  mode=${3:-fast}
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -m "$mode" restart >/dev/null
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  die "unknown command '$cmd' (start, stop, restart)"
  ;;
esac
