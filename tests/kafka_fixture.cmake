# A real local Kafka broker for the tests labelled kafka, as a CTest fixture (kafka_broker), so
# that `ctest -L kafka` (or a single Kafka test, `ctest -R NAME`) starts and stops it by itself.
#
#   kafka_broker_start  FIXTURES_SETUP kafka_broker: stops a broker left over from an earlier
#                       run, wipes ${CMAKE_BINARY_DIR}/kafka-test-broker and starts a fresh broker
#                       there with scripts/kafka/kafka.sh (a single KRaft node on 127.0.0.1, free
#                       ports). It passes once the broker answers a metadata request.
#   kafka_broker_stop   FIXTURES_CLEANUP kafka_broker: stops it after the last test that needs it.
#
# A test that needs the broker calls tally_require_kafka() after adding itself:
#
#   tally_add_qtest(tst_kafka_source LABELS kafka)
#   tally_require_kafka(tst_kafka_source)
#
# That gives it FIXTURES_REQUIRED kafka_broker, the label kafka, and two environment variables:
#
#   TALLY_KAFKA_BROKER_DIR  the broker's data folder. The bootstrap address (host:port, one line)
#                           is in "$TALLY_KAFKA_BROKER_DIR/bootstrap"; the broker's log, for a
#                           failed test, is "$TALLY_KAFKA_BROKER_DIR/broker.log".
#   TALLY_KAFKA_SCRIPT      scripts/kafka/kafka.sh, e.g. to make a topic with a set partition count:
#                           "$TALLY_KAFKA_SCRIPT" topics "$TALLY_KAFKA_BROKER_DIR" create NAME 4
#
# All Kafka tests of one ctest run share the broker: each uses its own topic (and consumer group)
# names. Topics are created on first use with 4 partitions unless a test creates them itself.
# The first run downloads the broker's jars with Maven (cached under ~/.cache/tally, or
# TALLY_CACHE_DIR); TALLY_KAFKA_START_TIMEOUT (seconds, default 90) bounds the wait for the broker.

find_program(TALLY_BASH bash REQUIRED)
set(TALLY_KAFKA_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/../scripts/kafka/kafka.sh")
cmake_path(NORMAL_PATH TALLY_KAFKA_SCRIPT)
set(TALLY_KAFKA_BROKER_DIR "${CMAKE_BINARY_DIR}/kafka-test-broker")

add_test(NAME kafka_broker_start
  COMMAND "${TALLY_BASH}" "${TALLY_KAFKA_SCRIPT}" start --fresh "${TALLY_KAFKA_BROKER_DIR}")
# Room for the first run's download as well as the broker's own start-up.
set_tests_properties(kafka_broker_start PROPERTIES
  FIXTURES_SETUP kafka_broker
  LABELS kafka
  TIMEOUT 400)

add_test(NAME kafka_broker_stop
  COMMAND "${TALLY_BASH}" "${TALLY_KAFKA_SCRIPT}" stop "${TALLY_KAFKA_BROKER_DIR}")
set_tests_properties(kafka_broker_stop PROPERTIES
  FIXTURES_CLEANUP kafka_broker
  LABELS kafka
  TIMEOUT 120)

# Makes test_name run against the fixture's broker (see the top of this file).
function(tally_require_kafka test_name)
  set_property(TEST ${test_name} APPEND PROPERTY FIXTURES_REQUIRED kafka_broker)
  get_property(labels TEST ${test_name} PROPERTY LABELS)
  if(NOT "kafka" IN_LIST labels)
    set_property(TEST ${test_name} APPEND PROPERTY LABELS kafka)
  endif()
  set_property(TEST ${test_name} APPEND PROPERTY ENVIRONMENT
    "TALLY_KAFKA_BROKER_DIR=${TALLY_KAFKA_BROKER_DIR}"
    "TALLY_KAFKA_SCRIPT=${TALLY_KAFKA_SCRIPT}")
endfunction()
