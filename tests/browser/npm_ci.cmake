# The browser test's set-up (cmake -P): installs the npm packages of tests/browser/package-lock.json
# into NPM_DIR with `npm ci`, again only when the lock file changed. No browser is downloaded:
# the test drives Debian's Chromium.
#   -DSOURCE_DIR=<tests/browser> -DNPM_DIR=<build dir> -DNPM=<npm>
file(MAKE_DIRECTORY "${NPM_DIR}")
file(SHA256 "${SOURCE_DIR}/package-lock.json" lock_hash)
set(stamp "${NPM_DIR}/npm-ci.stamp")
if(EXISTS "${stamp}" AND EXISTS "${NPM_DIR}/node_modules/playwright-core/package.json")
  file(READ "${stamp}" installed_hash)
  if(installed_hash STREQUAL lock_hash)
    message(STATUS "npm packages up to date in ${NPM_DIR}")
    return()
  endif()
endif()
configure_file("${SOURCE_DIR}/package.json" "${NPM_DIR}/package.json" COPYONLY)
configure_file("${SOURCE_DIR}/package-lock.json" "${NPM_DIR}/package-lock.json" COPYONLY)
set(ENV{PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD} 1)
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY "${NPM_DIR}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "npm ci failed in ${NPM_DIR} (exit ${result}): the browser test needs playwright-core "
                      "from the npm registry (tests/browser/package-lock.json)")
endif()
file(WRITE "${stamp}" "${lock_hash}")
message(STATUS "npm packages installed in ${NPM_DIR}")
