# Every libFuzzer target, one name a line: fuzz/CMakeLists.txt builds each with libFuzzer (the
# fuzz preset) and tests/CMakeLists.txt builds each as a replay of its corpus and regressions.
set(FERRY_FUZZ_TARGETS
  chunked_fuzzer
  content_range_fuzzer
  cookie_file_fuzzer
  endpoint_fuzzer
  redirect_fuzzer
  response_reader_fuzzer
  resume_record_fuzzer
  retry_after_fuzzer
  set_cookie_fuzzer
  transfer_fuzzer
  url_fuzzer)
