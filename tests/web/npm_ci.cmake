# Installs the browser tests' npm packages (playwright-core, pinned by package-lock.json) into
# PREFIX/node_modules with `npm ci`, only when they are missing or the lock file changed.
#   cmake -DNPM=npm -DSOURCE_DIR=tests/web -DPREFIX=<build>/tests/web/npm -P npm_ci.cmake
# Playwright's own browser downloads are switched off: the tests drive Debian's chromium.
file(MAKE_DIRECTORY ${PREFIX})
file(SHA256 ${SOURCE_DIR}/package-lock.json lock_hash)
set(stamp ${PREFIX}/node_modules/.tally-lock-sha256)
if(EXISTS ${stamp})
  file(READ ${stamp} installed_hash)
  if(installed_hash STREQUAL lock_hash AND EXISTS ${PREFIX}/node_modules/playwright-core/package.json)
    message(STATUS "npm packages are up to date in ${PREFIX}/node_modules")
    return()
  endif()
endif()
configure_file(${SOURCE_DIR}/package.json ${PREFIX}/package.json COPYONLY)
configure_file(${SOURCE_DIR}/package-lock.json ${PREFIX}/package-lock.json COPYONLY)
set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)
execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY ${PREFIX} RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${result}) in ${PREFIX}")
endif()
file(WRITE ${stamp} "${lock_hash}")
message(STATUS "npm ci installed the packages of ${SOURCE_DIR}/package-lock.json into ${PREFIX}/node_modules")
