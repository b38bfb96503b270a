# The README's examples are files under examples/, verbatim (so the compiled files and the
# documented ones cannot drift apart). EXAMPLES is a ;-list of paths.
file(READ ${README} readme)
foreach(path ${EXAMPLES})
  file(READ ${path} example)
  string(FIND "${readme}" "${example}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "README.md does not contain ${path} verbatim")
  endif()
endforeach()
