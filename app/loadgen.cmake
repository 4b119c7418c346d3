# tally-loadgen: produces generator events to a Kafka topic at a set rate and reports delivery
# (acknowledged, failed, latency percentiles, messages per partition). Uses librdkafka's C API
# (PkgConfig::RDKAFKA, found in the top-level CMakeLists.txt).

add_executable(tally-loadgen ${CMAKE_CURRENT_LIST_DIR}/loadgen.cpp)
target_link_libraries(tally-loadgen PRIVATE tally_engine Qt6::Core PkgConfig::RDKAFKA)
target_compile_definitions(tally-loadgen PRIVATE TALLY_VERSION="${PROJECT_VERSION}")
install(TARGETS tally-loadgen RUNTIME DESTINATION bin)
