// What a download and an upload both check when they are built from a transfer request and an
// environment. Engine-internal.
#pragma once

#include <system_error>

#include "ferry/engine/error.hpp"
#include "ferry/engine/transfer/transfer.hpp"

namespace ferry::engine::detail {

/// The environment's client; std::system_error (`invalid_argument`) naming `who` without one.
inline client& required_client(const transfer_environment& environment, const char* who) {
  if (environment.via == nullptr) {
    throw std::system_error{make_error_code(error::invalid_argument), who};
  }
  return *environment.via;
}

/// Why a request cannot run as a transfer of `kind`, or nothing.
inline std::error_code refusal_for(const transfer_request& request,
                                   const transfer_environment& environment, transfer_kind kind) {
  std::error_code why = validate(request, environment);
  if (!why && request.kind != kind) {
    why = error::invalid_argument;
  }
  return why;
}

}  // namespace ferry::engine::detail
