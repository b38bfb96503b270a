# Compiler settings shared by every ferry target: high warnings, optional -Werror, sanitizers.
add_library(ferry_warnings INTERFACE)
target_compile_options(ferry_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wconversion -Wcast-qual -Wformat=2 -Wimplicit-fallthrough
  $<$<BOOL:${FERRY_WERROR}>:-Werror>)

if(FERRY_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(FERRY_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(FERRY_BUILD_FUZZERS)
  # Every library the fuzzers link is instrumented for coverage, and checked by ASan + UBSan.
  # fuzz/coverage_ignorelist.txt names code left without coverage; an edit to it re-runs CMake,
  # and its hash in a definition rebuilds every object (the compiler reads it, ninja does not).
  set(ferry_ignorelist ${PROJECT_SOURCE_DIR}/fuzz/coverage_ignorelist.txt)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ferry_ignorelist})
  file(SHA1 ${ferry_ignorelist} ferry_ignorelist_hash)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fsanitize-coverage-ignorelist=${ferry_ignorelist})
  add_compile_definitions(FERRY_COVERAGE_IGNORELIST=${ferry_ignorelist_hash})
  add_link_options(-fsanitize=address,undefined)
elseif(NOT FERRY_SANITIZE STREQUAL "")
  message(FATAL_ERROR "FERRY_SANITIZE must be empty, address or thread")
endif()

# Asio is used header-only, and only in a few source files of engine/ (see README, "Compile
# time"). These settings apply wherever Asio is included, in ferry and in its tests.
set(FERRY_ASIO_DEFINITIONS BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE)
