# The fuzz targets' names (fuzz/fuzz_<name>.cpp): built by fuzz/CMakeLists.txt, run for a short
# smoke by tests/CMakeLists.txt, listed by scripts/fuzz.sh.
set(TALLY_FUZZ_TARGETS record_decoder savepoint keyed_state checkpoint_file packed_rows config web_head web_request)
