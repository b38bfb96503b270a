#include "ferry/engine/transfer/download.hpp"

#include <system_error>
#include <utility>

#include "../or_throw.hpp"
#include "download_machine.hpp"
#include "ferry/engine/error.hpp"
#include "transfer_checks.hpp"

namespace ferry::engine {

download::download(client& via, http::url url, download_options options)
    : machine_(detail::download_machine::create(via, std::move(url), std::move(options))) {
}

namespace {

// The request's values and the environment's objects, over the tuning the caller chose.
download_options options_for(const transfer_request& request,
                             const transfer_environment& environment, download_options o) {
  o.output = request.output;
  o.overwrite = request.overwrite;
  o.segments = request.segments;
  o.rate_limit = request.rate_limit;
  o.rate_parent = environment.rate_parent;
  o.on_challenge = environment.on_challenge;
  o.checksum = request.checksum;
  o.fields = request.fields;
  o.durable = request.durable;
  o.retry = request.retry;
  o.on_event = environment.on_event;
  o.on_milestone = environment.on_milestone;
  o.time_source = environment.time_source;
  o.files = environment.files;
  o.seed = environment.seed;
  return o;
}

}  // namespace

download::download(const transfer_request& request, const transfer_environment& environment,
                   download_options tuning)
    : machine_(detail::download_machine::create(
          detail::required_client(environment, "download: no client"), request.url,
          options_for(request, environment, std::move(tuning)))) {
  const std::error_code why = detail::refusal_for(request, environment, transfer_kind::download);
  if (why) {
    machine_->refuse(why);
  }
}

download::~download() {
  machine_->detach();
}

async_result download::begin_download(async_callback callback, state_ref state) {
  return machine_->begin(std::move(callback), state);
}

download_result download::end_download(async_result& result, std::error_code& ec) {
  return machine_->end(result, ec);
}

download_result download::end_download(async_result& result) {
  return detail::or_throw("end_download",
                          [&](std::error_code& ec) { return end_download(result, ec); });
}

download_result download::run(std::error_code& ec) {
  if (machine_->loop_running_here()) {
    ec = error::would_deadlock;
    return {};
  }
  async_result r = begin_download({});
  return end_download(r, ec);
}

download_result download::run() {
  return detail::or_throw("download", [&](std::error_code& ec) { return run(ec); });
}

void download::pause() {
  machine_->pause();
}
void download::resume() {
  machine_->resume();
}
void download::cancel() {
  machine_->cancel();
}
transfer_state download::state() const noexcept {
  return machine_->state();
}
transfer_progress download::progress() const {
  return machine_->progress();
}

}  // namespace ferry::engine
