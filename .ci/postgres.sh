#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for the store's and the
# HTTP service's tests, and prints the lines to export on stdout:
#
#   eval "$(bash .ci/postgres.sh)"        # start; sets ENTITLE_TEST_POSTGRES_URL
#   bash .ci/postgres.sh stop             # stop the cluster in $ENTITLE_PG_DIR
#
# Installs PostgreSQL from Debian packages first if it is missing (needs
# root). The cluster lives in a temporary directory, listens on a free port
# of 127.0.0.1 only (its Unix socket is in that directory), and has a role
# and a database named `entitle`; the role may create databases, so each
# test can use its own. Everything but the two `export` lines goes to
# stderr.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    fi
}

# Runs a command as the cluster's owner: `postgres` when we are root
# (initdb refuses to run as root), else ourselves.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ "${1:-}" = stop ]; then
    dir=${ENTITLE_PG_DIR:?ENTITLE_PG_DIR is not set: nothing to stop}
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
    log "stopped and removed $dir"
    exit 0
fi

bin=$(pg_bin)
if [ -z "$bin" ]; then
    if [ "$(id -u)" != 0 ]; then
        log "PostgreSQL is not installed and installing it needs root"
        exit 1
    fi
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql >&2
    bin=$(pg_bin)
    if [ -z "$bin" ]; then
        log "PostgreSQL was installed but no initdb/pg_ctl was found under /usr/lib/postgresql"
        exit 1
    fi
else
    log "PostgreSQL already installed: $bin"
fi

port_free() {
    # Something accepting on 127.0.0.1:$1 means the port is taken.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

dir=$(mktemp -d /tmp/entitle-pg.XXXXXX)
chmod 755 "$dir"
mkdir -p "$dir/data" "$dir/sock"
if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$dir"
fi
password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')

as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >&2 \
    || as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >&2

started=""
base=$(( 20000 + RANDOM % 20000 ))
for offset in $(seq 0 49); do
    port=$(( base + offset ))
    port_free "$port" || continue
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c max_connections=200 -c fsync=on" \
        start >&2; then
        started=$port
        break
    fi
    log "could not start on port $port, trying another"
done
if [ -z "$started" ]; then
    log "PostgreSQL did not start; its log:"
    cat "$dir/server.log" >&2 || true
    exit 1
fi

psql_admin() {
    as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$started" -U postgres -d postgres "$@" >&2
}
psql_admin -c "CREATE ROLE entitle LOGIN CREATEDB PASSWORD '$password'"
psql_admin -c "CREATE DATABASE entitle OWNER entitle"

log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$started, data in $dir"
echo "export ENTITLE_TEST_POSTGRES_URL=postgres://entitle:$password@127.0.0.1:$started/entitle"
echo "export ENTITLE_PG_DIR=$dir"
