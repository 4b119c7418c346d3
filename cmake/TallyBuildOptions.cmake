# Build options shared by every Tally target: warnings and the optional sanitizer.
# Targets link tally_build_options instead of setting global flags.
add_library(tally_build_options INTERFACE)
target_compile_options(tally_build_options INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(TALLY_WERROR)
  target_compile_options(tally_build_options INTERFACE -Werror)
endif()

if(TALLY_SANITIZE)
  if(NOT TALLY_SANITIZE MATCHES "^(address|undefined|thread)$")
    message(FATAL_ERROR "TALLY_SANITIZE must be address, undefined or thread (got '${TALLY_SANITIZE}')")
  endif()
  set(_san -fsanitize=${TALLY_SANITIZE} -fno-omit-frame-pointer)
  if(TALLY_SANITIZE STREQUAL "undefined")
    list(APPEND _san -fno-sanitize-recover=undefined)
  endif()
  target_compile_options(tally_build_options INTERFACE ${_san})
  target_link_options(tally_build_options INTERFACE ${_san})
endif()
