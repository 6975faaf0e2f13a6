# Installs the already-built duroxide into a scratch prefix, builds tests/consumer against it with
# find_package(duroxide CONFIG REQUIRED), and runs the consumer (an orchestration on the SQLite
# store, run to completion) and the README's hello-world program
# (copied from README.md as a user would), which must print "Hello, World!".
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                  WORKING_DIRECTORY ${WORK_DIR})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# The first C++ block after the README's "## Hello, world" heading.
file(READ ${SOURCE_DIR}/README.md readme)
string(FIND "${readme}" "## Hello, world" heading)
if(heading EQUAL -1)
  message(FATAL_ERROR "README.md has no '## Hello, world' section")
endif()
string(SUBSTRING "${readme}" ${heading} -1 section)
string(FIND "${section}" "```cpp\n" open)
string(SUBSTRING "${section}" ${open} -1 section)
string(LENGTH "```cpp\n" fence)
string(SUBSTRING "${section}" ${fence} -1 section)
string(FIND "${section}" "```" close)
string(SUBSTRING "${section}" 0 ${close} hello_source)
file(MAKE_DIRECTORY ${WORK_DIR})
file(WRITE ${WORK_DIR}/readme_hello.cpp "${hello_source}")

run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
    -DCMAKE_BUILD_TYPE=Release -DREADME_HELLO=${WORK_DIR}/readme_hello.cpp)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
if(NOT last_output MATCHES "consumer ok: hello hello world")
  message(FATAL_ERROR "the consumer printed '${last_output}', not 'consumer ok: hello hello world ...'")
endif()
run(${WORK_DIR}/build/readme_hello)
if(NOT last_output MATCHES "Hello, World!")
  message(FATAL_ERROR "the README's hello world printed '${last_output}', not 'Hello, World!'")
endif()
