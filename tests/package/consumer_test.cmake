# Runs as `cmake -P`: install, configure and build the consumer, run it, then build the README
# example with pkg-config. Any failure fails the test.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${FERRY_BUILD_DIR} --prefix ${prefix})

set(flags "")
if(SANITIZE STREQUAL "address")
  set(flags "-fsanitize=address,undefined")
elseif(SANITIZE STREQUAL "thread")
  set(flags "-fsanitize=thread")
endif()

run(${CMAKE_COMMAND} -S ${FERRY_SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/consumer
    -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX}
    "-DCMAKE_CXX_FLAGS=${flags}" "-DCMAKE_EXE_LINKER_FLAGS=${flags}"
    -DCMAKE_PREFIX_PATH=${prefix} -DFERRY_EXAMPLE=${FERRY_SOURCE_DIR}/examples/readme_example.cpp
    -DFERRY_DOWNLOAD_EXAMPLE=${FERRY_SOURCE_DIR}/examples/download_example.cpp
    -DFERRY_SESSION_EXAMPLE=${FERRY_SOURCE_DIR}/examples/session_example.cpp)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run(${WORK_DIR}/consumer/consumer)

# pkg-config: the same example, built by hand from the .pc file's flags.
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
execute_process(COMMAND pkg-config --cflags --libs --static ferry
                OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not know ferry")
endif()
separate_arguments(pc_list UNIX_COMMAND "${pc_flags}")
separate_arguments(flag_list UNIX_COMMAND "${flags}")
run(${CXX} ${flag_list} ${FERRY_SOURCE_DIR}/examples/readme_example.cpp ${pc_list}
    -o ${WORK_DIR}/readme_example_pc)
message(STATUS "consumer and pkg-config builds passed")
