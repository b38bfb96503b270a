#include "ferry/engine/transfer/transfer.hpp"

#include "ferry/engine/error.hpp"

namespace ferry::engine {

bool is_storable(const transfer_request& request,
                 const transfer_environment& environment) noexcept {
  return request.kind == transfer_kind::download || (!request.body.empty() && !environment.body);
}

std::error_code validate(const transfer_request& request, const transfer_environment& environment) {
  const std::error_code invalid = make_error_code(error::invalid_argument);
  if (environment.via == nullptr || request.url.text().empty()) {
    return invalid;
  }
  switch (request.kind) {
    case transfer_kind::download:
      if (request.output.empty() || request.segments == 0 ||
          (!request.method.empty() && request.method != "GET") || !request.body.empty() ||
          environment.body) {
        return invalid;
      }
      return {};
    case transfer_kind::upload:
      if (request.body.empty() == !environment.body ||
          (!request.method.empty() && request.method != "PUT" && request.method != "POST") ||
          request.chunk_size == 0 || request.chunk_size > (16U << 20U) || !request.output.empty()) {
        return invalid;
      }
      return {};
  }
  return invalid;
}

}  // namespace ferry::engine
