# Writes the default job configuration that `tally --print-default-config` prints to OUT
# (resources/tally.toml): run by the update_default_config target.
#   cmake -DTALLY=path/to/tally -DOUT=resources/tally.toml -P cmake/update_default_config.cmake
execute_process(COMMAND "${TALLY}" --print-default-config
                OUTPUT_FILE "${OUT}.tmp"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${TALLY} --print-default-config failed: ${rc}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
message(STATUS "Wrote ${OUT}")
