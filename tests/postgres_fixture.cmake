# A real local PostgreSQL server for the tests labelled postgres, as a CTest fixture
# (postgres_server), so that `ctest -L postgres` (or a single PostgreSQL test, `ctest -R NAME`)
# starts and stops it by itself.
#
#   postgres_server_start  FIXTURES_SETUP postgres_server: stops a server left over from an earlier
#                          run, wipes ${CMAKE_BINARY_DIR}/postgres-test-server and starts a fresh
#                          server there with scripts/postgres/pg.sh (initdb, 127.0.0.1, a free
#                          port, superuser and database tally). It passes once the server answers.
#   postgres_server_stop   FIXTURES_CLEANUP postgres_server: stops it after the last test that
#                          needs it.
#
# A test that needs the server calls tally_require_postgres() after adding itself:
#
#   tally_add_qtest(tst_postgres_sink LABELS postgres)
#   tally_require_postgres(tst_postgres_sink)
#
# That gives it FIXTURES_REQUIRED postgres_server, the label postgres, and two environment
# variables:
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

find_program(TALLY_BASH bash REQUIRED)
set(TALLY_POSTGRES_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/../scripts/postgres/pg.sh")
cmake_path(NORMAL_PATH TALLY_POSTGRES_SCRIPT)
set(TALLY_POSTGRES_DIR "${CMAKE_BINARY_DIR}/postgres-test-server")

add_test(NAME postgres_server_start
  COMMAND "${TALLY_BASH}" "${TALLY_POSTGRES_SCRIPT}" start --fresh "${TALLY_POSTGRES_DIR}")
# Room for initdb as well as the server's own start-up.
set_tests_properties(postgres_server_start PROPERTIES
  FIXTURES_SETUP postgres_server
  LABELS postgres
  TIMEOUT 180)

add_test(NAME postgres_server_stop
  COMMAND "${TALLY_BASH}" "${TALLY_POSTGRES_SCRIPT}" stop "${TALLY_POSTGRES_DIR}")
set_tests_properties(postgres_server_stop PROPERTIES
  FIXTURES_CLEANUP postgres_server
  LABELS postgres
  TIMEOUT 180)

# Makes test_name run against the fixture's server (see the top of this file).
function(tally_require_postgres test_name)
  set_property(TEST ${test_name} APPEND PROPERTY FIXTURES_REQUIRED postgres_server)
  get_property(labels TEST ${test_name} PROPERTY LABELS)
  if(NOT "postgres" IN_LIST labels)
    set_property(TEST ${test_name} APPEND PROPERTY LABELS postgres)
  endif()
  set_property(TEST ${test_name} APPEND PROPERTY ENVIRONMENT
    "TALLY_POSTGRES_DIR=${TALLY_POSTGRES_DIR}"
    "TALLY_POSTGRES_SCRIPT=${TALLY_POSTGRES_SCRIPT}")
endfunction()
