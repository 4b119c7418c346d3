# tally-loadgen: produces generator events to a Kafka topic at a set rate and reports delivery
# (acknowledged, failed, latency percentiles, messages per partition). Uses librdkafka's C API,
# found with pkg-config (Debian: librdkafka-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)

add_executable(tally-loadgen ${CMAKE_CURRENT_LIST_DIR}/loadgen.cpp)
target_link_libraries(tally-loadgen PRIVATE tally_engine Qt6::Core PkgConfig::RDKAFKA)
target_compile_definitions(tally-loadgen PRIVATE TALLY_VERSION="${PROJECT_VERSION}")
install(TARGETS tally-loadgen RUNTIME DESTINATION bin)
