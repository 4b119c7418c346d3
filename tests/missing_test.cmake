# The command of a test that cannot run on this machine (tally_add_missing_test in
# tests/CMakeLists.txt): fails with the reason.
#   cmake -DMESSAGE=text -P missing_test.cmake
message(FATAL_ERROR "${MESSAGE}")
