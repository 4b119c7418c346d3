# A real local Kafka broker for the tests labelled kafka, as the service fixture kafka_broker
# (tests/service_fixture.cmake), so that `ctest -L kafka` (or a single Kafka test, `ctest -R NAME`)
# starts and stops it by itself.
#
#   kafka_broker_start  FIXTURES_SETUP kafka_broker: stops a broker left over from an earlier
#                       run, wipes ${CMAKE_BINARY_DIR}/kafka-test-broker and starts a fresh broker
#                       there with scripts/kafka/kafka.sh (a single KRaft node on 127.0.0.1, free
#                       ports). It passes once the broker answers a metadata request.
#   kafka_broker_stop   FIXTURES_CLEANUP kafka_broker: stops it after the last test that needs it.
#
# A test that needs the broker says so when it is added:
#
#   tally_add_qtest(tst_kafka_source LABELS kafka SERVICE kafka_broker)
#
# That gives it FIXTURES_REQUIRED kafka_broker, the label kafka, RESOURCE_LOCK kafka_broker (one
# Kafka test at a time: a test may stop and restart the shared broker), and two environment
# variables:
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

include(${CMAKE_CURRENT_LIST_DIR}/service_fixture.cmake)

# Start: measured 11 s with the first run's Maven download, 5 s without; kafka.sh itself gives up
# after up to three attempts of TALLY_KAFKA_START_TIMEOUT (90 s) each, which this must not cut
# short. Stop: measured under 2 s; kafka.sh sends SIGKILL 30 s after SIGTERM
# (TALLY_KAFKA_STOP_TIMEOUT) and waits 10 s more.
tally_add_service_fixture(kafka_broker
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/../scripts/kafka/kafka.sh
  DIR ${CMAKE_BINARY_DIR}/kafka-test-broker
  LABEL kafka
  DIR_ENV TALLY_KAFKA_BROKER_DIR
  SCRIPT_ENV TALLY_KAFKA_SCRIPT
  START_TIMEOUT 400
  STOP_TIMEOUT 60)
