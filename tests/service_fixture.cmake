# A service fixture is a real local server (a Kafka broker, a PostgreSQL server) that the
# project's own script starts before the tests that need it and stops after the last of them, as a
# pair of CTest fixture tests, so that `ctest -L LABEL` (or a single test, `ctest -R NAME`) starts
# and stops it by itself. tests/kafka_fixture.cmake and tests/postgres_fixture.cmake declare the
# two; a test joins one with tally_add_qtest(... SERVICE NAME) (tests/CMakeLists.txt).
#
#   tally_add_service_fixture(NAME
#     SCRIPT path          the service's script, run as `bash SCRIPT start --fresh DIR` and
#                          `bash SCRIPT stop DIR` (scripts/lib/service.sh)
#     DIR path             the server's data folder, in the build folder
#     LABEL label          the label of both fixture tests and of every test that needs the server
#     DIR_ENV name         the environment variable that tells a test the data folder
#     SCRIPT_ENV name      the environment variable that tells a test the script
#     START_TIMEOUT s      seconds for NAME_start (the script bounds its own wait; this is above it)
#     STOP_TIMEOUT s)      seconds for NAME_stop (likewise)
#
# makes the tests NAME_start (FIXTURES_SETUP NAME: stops a server left over from an earlier run,
# wipes DIR and starts a fresh server there; it passes once the server answers) and NAME_stop
# (FIXTURES_CLEANUP NAME).

find_program(TALLY_BASH bash REQUIRED)

function(tally_add_service_fixture name)
  cmake_parse_arguments(S "" "SCRIPT;DIR;LABEL;DIR_ENV;SCRIPT_ENV;START_TIMEOUT;STOP_TIMEOUT" "" ${ARGN})
  foreach(arg SCRIPT DIR LABEL DIR_ENV SCRIPT_ENV START_TIMEOUT STOP_TIMEOUT)
    if(NOT S_${arg})
      message(FATAL_ERROR "tally_add_service_fixture(${name}): ${arg} is missing")
    endif()
  endforeach()
  cmake_path(NORMAL_PATH S_SCRIPT)

  add_test(NAME ${name}_start COMMAND "${TALLY_BASH}" "${S_SCRIPT}" start --fresh "${S_DIR}")
  set_tests_properties(${name}_start PROPERTIES
    FIXTURES_SETUP ${name} LABELS ${S_LABEL} TIMEOUT ${S_START_TIMEOUT})
  add_test(NAME ${name}_stop COMMAND "${TALLY_BASH}" "${S_SCRIPT}" stop "${S_DIR}")
  set_tests_properties(${name}_stop PROPERTIES
    FIXTURES_CLEANUP ${name} LABELS ${S_LABEL} TIMEOUT ${S_STOP_TIMEOUT})

  set_property(GLOBAL PROPERTY TALLY_SERVICE_${name}_LABEL ${S_LABEL})
  set_property(GLOBAL PROPERTY TALLY_SERVICE_${name}_ENVIRONMENT
    "${S_DIR_ENV}=${S_DIR}" "${S_SCRIPT_ENV}=${S_SCRIPT}")
endfunction()

# Makes the test run against the server of the fixture NAME: FIXTURES_REQUIRED NAME, the
# fixture's label, its two environment variables, and RESOURCE_LOCK NAME, so that the tests of one
# server run one at a time (a test may stop and restart the shared server).
function(tally_require_service test name)
  get_property(label GLOBAL PROPERTY TALLY_SERVICE_${name}_LABEL)
  if(NOT label)
    message(FATAL_ERROR "${test}: there is no service fixture ${name} (tally_add_service_fixture)")
  endif()
  get_property(environment GLOBAL PROPERTY TALLY_SERVICE_${name}_ENVIRONMENT)
  set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED ${name})
  get_property(labels TEST ${test} PROPERTY LABELS)
  if(NOT label IN_LIST labels)
    set_property(TEST ${test} APPEND PROPERTY LABELS ${label})
  endif()
  set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT ${environment})
  set_property(TEST ${test} APPEND PROPERTY RESOURCE_LOCK ${name})
endfunction()
