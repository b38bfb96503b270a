#include "exit_code.hpp"

#include <utility>

#include "ferry/engine/error.hpp"

namespace ferry::cli {

namespace {

using engine::condition;

// The exit code of the first group an error belongs to, most specific first: a locked file is
// also local I/O, a certificate failure also verification, a truncated TLS stream also network.
// An error in none of them is the network's, after every retry.
constexpr std::pair<condition, int> exit_codes[] = {
    {condition::conflict, 9},          //
    {condition::tls, 4},               //
    {condition::http_status, 5},       //
    {condition::verification, 7},      //
    {condition::protocol, 6},          // malformed responses and refused redirects
    {condition::resource_changed, 6},  // the resource kept changing
    {condition::local_io, 8},          //
    {condition::usage, 2},             //
};

constexpr int network_failure = 3;

}  // namespace

int exit_code_for(std::error_code ec) {
  if (!ec) {
    return 0;
  }
  for (const auto& [group, code] : exit_codes) {
    if (ec == group) {
      return code;
    }
  }
  return network_failure;
}

}  // namespace ferry::cli
