# Source me: starts Debian's PostgreSQL 15 cluster (as the postgres user), creates a
# superuser role for the tests, and exports THIDUA_TEST_DATABASE_URL.
set -euo pipefail
PG_PORT="${PG_PORT:-5432}"
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
  pg_createcluster 15 main >/dev/null
fi
pg_ctlcluster 15 main start 2>/dev/null || true
for _ in $(seq 1 50); do
  runuser -u postgres -- psql -p "$PG_PORT" -tAc "select 1" >/dev/null 2>&1 && break
  sleep 0.2
done
runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qc \
  "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='thidua') THEN
     CREATE ROLE thidua LOGIN SUPERUSER PASSWORD 'thidua'; END IF; END \$\$;"
export THIDUA_TEST_DATABASE_URL="postgresql+psycopg://thidua:thidua@127.0.0.1:${PG_PORT}/postgres"
echo "PostgreSQL ready: $THIDUA_TEST_DATABASE_URL"
