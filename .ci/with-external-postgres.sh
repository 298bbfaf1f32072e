#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster (Debian's binaries, as the postgres user) on a free
# loopback port, runs the given command with DATABASE_URL pointing at it, and removes the cluster.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/postgres" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
id postgres >/dev/null 2>&1 || useradd --system --user-group postgres
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

dir=$(mktemp -d /tmp/tsunagi-pg15.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
pw=$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
echo "$pw" > "$dir/pw" && [ "$(id -u)" = 0 ] && chown postgres: "$dir/pw"
as_pg "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" --auth=scram-sha-256 -E UTF8 >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir" -l "$dir/log" -w start >/dev/null
cleanup() { as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
echo "external PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
DATABASE_URL="postgres://postgres:$pw@127.0.0.1:$port/tsunagi_ci" "$@"
