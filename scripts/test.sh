#!/usr/bin/env bash
# Set up .venv with the test extra and run the suite on SQLite, then on MariaDB, then the tests
# of a real server process again with its worker on gevent (the second async mode).
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -x -k api`).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]"

# the slowest tests of each pass are listed at its end: CI's time is spent where they say
timings=(--durations=15 --durations-min=5)

echo "== suite on SQLite"
.venv/bin/python -m pytest "${timings[@]}" "$@"

mariadb_url="${SOPORTE_TEST_MARIADB_URL:-mysql+pymysql://root@127.0.0.1/soporte_test?charset=utf8mb4}"
if ! .venv/bin/python - "$mariadb_url" 2>/dev/null <<'PY'
import sys
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
create_engine(make_url(sys.argv[1]).set(database="")).connect().close()
PY
then
  if [ -n "${CI:-}" ]; then echo "MariaDB is not reachable at $mariadb_url" >&2; exit 1; fi
  echo "== MariaDB not reachable at $mariadb_url: its run is SKIPPED (CI always runs it)"
  exit 0
fi
echo "== suite on MariaDB"
SOPORTE_TEST_DATABASE_URL="$mariadb_url" .venv/bin/python -m pytest "${timings[@]}" "$@"

# the real server's tests again under gevent: end to end, faults, the websocket guards, the
# hostile clients and the storer process; on MariaDB, which the fault tests need
echo "== live server tests under gevent (on MariaDB)"
status=0
SOPORTE_TEST_DATABASE_URL="$mariadb_url" SOPORTE_TEST_ASYNC_MODE=gevent SOPORTE_TEST_ALL=1 \
  .venv/bin/python -m pytest "${timings[@]}" "$@" tests/test_e2e.py tests/test_faults.py tests/test_transport_live.py \
  tests/test_security_live.py tests/test_storer_process.py || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 5 ]  # 5: the arguments (-k ...) selected none of them
