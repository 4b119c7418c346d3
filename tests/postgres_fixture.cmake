# A real local PostgreSQL server for the tests labelled postgres, as the service fixture
# postgres_server (tests/service_fixture.cmake), so that `ctest -L postgres` (or a single
# PostgreSQL test, `ctest -R NAME`) starts and stops it by itself.
#
#   postgres_server_start  FIXTURES_SETUP postgres_server: stops a server left over from an earlier
#                          run, wipes ${CMAKE_BINARY_DIR}/postgres-test-server and starts a fresh
#                          server there with scripts/postgres/pg.sh (initdb, 127.0.0.1, a free
#                          port, superuser and database tally). It passes once the server answers.
#   postgres_server_stop   FIXTURES_CLEANUP postgres_server: stops it after the last test that
#                          needs it.
#
# A test that needs the server says so when it is added:
#
#   tally_add_qtest(tst_postgres_sink LABELS postgres SERVICE postgres_server)
#
# That gives it FIXTURES_REQUIRED postgres_server, the label postgres, RESOURCE_LOCK
# postgres_server (one PostgreSQL test at a time: a test may stop and restart the shared server),
# and two environment variables:
#
#   TALLY_POSTGRES_DIR     the server's data folder. The connection URL
#                          (postgresql://tally@127.0.0.1:PORT/tally, one line) is in
#                          "$TALLY_POSTGRES_DIR/url", the port alone in "$TALLY_POSTGRES_DIR/port";
#                          the server's log, for a failed test, is "$TALLY_POSTGRES_DIR/postgres.log".
#   TALLY_POSTGRES_SCRIPT  scripts/postgres/pg.sh, e.g. to run SQL or to simulate an outage (the
#                          server comes back on the same port with the same data):
#                          "$TALLY_POSTGRES_SCRIPT" psql "$TALLY_POSTGRES_DIR" -c 'TRUNCATE ...'
#                          "$TALLY_POSTGRES_SCRIPT" stop "$TALLY_POSTGRES_DIR"   (or kill: a crash)
#                          "$TALLY_POSTGRES_SCRIPT" start "$TALLY_POSTGRES_DIR"
#
# All PostgreSQL tests of one ctest run share the server and its database tally: each uses its own
# tables (or schema). Run as root, the server runs as the system user postgres (see pg.sh).
# TALLY_POSTGRES_START_TIMEOUT (seconds, default 60) bounds the wait for the server.

include(${CMAKE_CURRENT_LIST_DIR}/service_fixture.cmake)

# Start: measured 1.2 s with initdb; pg.sh itself gives up after TALLY_POSTGRES_START_TIMEOUT
# (60 s) plus initdb, which this must not cut short. Stop: measured under 1 s; pg.sh allows a fast
# shutdown TALLY_POSTGRES_STOP_TIMEOUT (60 s), then as long for an immediate one.
tally_add_service_fixture(postgres_server
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/../scripts/postgres/pg.sh
  DIR ${CMAKE_BINARY_DIR}/postgres-test-server
  LABEL postgres
  DIR_ENV TALLY_POSTGRES_DIR
  SCRIPT_ENV TALLY_POSTGRES_SCRIPT
  START_TIMEOUT 120
  STOP_TIMEOUT 150)
