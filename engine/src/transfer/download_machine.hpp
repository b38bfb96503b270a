// detail::download_machine — what the public download (download.cpp) asks of its state machine
// (download_machine.cpp, where the phases, their transitions and the data are). Engine-internal.
#pragma once

#include <memory>
#include <system_error>

#include "ferry/engine/transfer/download.hpp"

namespace ferry::engine::detail {

class download_machine {
 public:
  /// The state machine of one download over `via`.
  [[nodiscard]] static std::shared_ptr<download_machine> create(client& via, http::url url,
                                                                download_options options);
  virtual ~download_machine() = default;

  virtual async_result begin(async_callback&& callback, state_ref state) = 0;
  virtual download_result end(async_result& result, std::error_code& ec) = 0;
  virtual void pause() = 0;
  virtual void resume() = 0;
  virtual void cancel() = 0;
  /// A request that cannot run: every begin completes with `why`.
  virtual void refuse(std::error_code why) = 0;
  /// The download object is going away: stop as a pause would, then end the operation.
  virtual void detach() = 0;
  [[nodiscard]] virtual transfer_state state() const = 0;
  [[nodiscard]] virtual transfer_progress progress() const = 0;
  [[nodiscard]] virtual bool loop_running_here() const noexcept = 0;
};

}  // namespace ferry::engine::detail
