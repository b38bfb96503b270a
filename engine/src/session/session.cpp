// ferry::engine::session — the public face of a session: each call forwards to its backend,
// the embedded runner (embedded_runner.cpp) or a controller (session_controller.cpp).
#include "ferry/engine/session/session.hpp"

#include <filesystem>
#include <string>
#include <system_error>

#include "../or_throw.hpp"
#include "ferry/engine/error.hpp"
#include "idle_waits.hpp"
#include "session_backend.hpp"

namespace ferry::engine::detail {

std::error_code make_absolute(transfer_request& request) {
  std::error_code ec;
  if (!request.output.empty()) {
    request.output = std::filesystem::absolute(request.output, ec);
  }
  if (!ec && !request.body.empty()) {
    request.body = std::filesystem::absolute(request.body, ec);
  }
  return ec;
}

}  // namespace ferry::engine::detail

namespace ferry::engine {

std::unique_ptr<session> session::open(const session_config& config, session_delegate* delegate,
                                       std::error_code& ec, std::string& detail,
                                       session_environment environment) {
  detail.clear();
  std::filesystem::path dir = prepare_state_directory(config, ec);
  if (ec) {
    return nullptr;
  }
  std::shared_ptr<detail::session_backend> backend =
      config.role == session_role::runner
          ? detail::open_embedded_runner(config, std::move(dir), delegate, std::move(environment),
                                         true, ec, detail)
          : detail::open_session_controller(config, std::move(dir), std::move(environment), ec,
                                            detail);
  if (ec) {
    return nullptr;
  }
  std::unique_ptr<session> s{new session{std::move(backend)}};
  s->core_->start(s.get());
  return s;
}

std::unique_ptr<session> session::open(const session_config& config, session_delegate* delegate,
                                       std::error_code& ec, session_environment environment) {
  std::string detail;
  return open(config, delegate, ec, detail, std::move(environment));
}

std::unique_ptr<session> session::open(const session_config& config, session_delegate* delegate,
                                       session_environment environment) {
  std::error_code ec;
  std::string detail;
  auto s = open(config, delegate, ec, detail, std::move(environment));
  if (ec) {
    // The journal's sentence (the file, what is wrong, the next step) when there is one.
    throw std::system_error{ec, detail.empty() ? "session::open" : "session::open: " + detail};
  }
  return s;
}

session::session(std::shared_ptr<detail::session_backend> core)
    : core_(std::move(core)), waits_(std::make_unique<detail::idle_waits>()) {
}

session::~session() {
  close();
}

task_info session::add(const transfer_request& request, const task_options& options,
                       std::error_code& ec) {
  return core_->add(request, options, ec);
}
task_info session::add(const transfer_request& request, const task_options& options) {
  return detail::or_throw("session::add",
                          [&](std::error_code& ec) { return add(request, options, ec); });
}

namespace {

task_handle add_of_kind(session& s, transfer_kind kind, const transfer_request& request,
                        const task_options& options, std::error_code& ec) {
  if (request.kind != kind) {
    ec = error::invalid_argument;
    return {s, 0};
  }
  return {s, s.add(request, options, ec).id};
}

}  // namespace

task_handle session::add_download(const transfer_request& request, const task_options& options,
                                  std::error_code& ec) {
  return add_of_kind(*this, transfer_kind::download, request, options, ec);
}
task_handle session::add_download(const transfer_request& request, const task_options& options) {
  return detail::or_throw("session::add_download",
                          [&](std::error_code& ec) { return add_download(request, options, ec); });
}
task_handle session::add_upload(const transfer_request& request, const task_options& options,
                                std::error_code& ec) {
  return add_of_kind(*this, transfer_kind::upload, request, options, ec);
}
task_handle session::add_upload(const transfer_request& request, const task_options& options) {
  return detail::or_throw("session::add_upload",
                          [&](std::error_code& ec) { return add_upload(request, options, ec); });
}

void task_handle::pause(std::error_code& ec) {
  session_->pause(id_, ec);
}
void task_handle::pause() {
  session_->pause(id_);
}
void task_handle::resume(std::error_code& ec) {
  session_->resume(id_, ec);
}
void task_handle::resume() {
  session_->resume(id_);
}
void task_handle::cancel(std::error_code& ec) {
  session_->cancel(id_, ec);
}
void task_handle::cancel() {
  session_->cancel(id_);
}
void task_handle::set_priority(task_priority priority, std::error_code& ec) {
  session_->set_priority(id_, priority, ec);
}
void task_handle::set_priority(task_priority priority) {
  session_->set_priority(id_, priority);
}
task_info task_handle::info(std::error_code& ec) const {
  std::optional<task_info> t = session_->find(id_, ec);
  if (!ec && !t) {
    ec = error::invalid_argument;
  }
  return t.value_or(task_info{});
}
task_info task_handle::info() const {
  return detail::or_throw("task_handle::info", [&](std::error_code& ec) { return info(ec); });
}
std::optional<transfer_progress> task_handle::progress() const {
  return session_->progress(id_);
}

void session::pause(task_id id, std::error_code& ec) {
  core_->pause(id, ec);
}
void session::pause(task_id id) {
  detail::or_throw("session::pause", [&](std::error_code& ec) { pause(id, ec); });
}
void session::resume(task_id id, std::error_code& ec) {
  core_->resume(id, ec);
}
void session::resume(task_id id) {
  detail::or_throw("session::resume", [&](std::error_code& ec) { resume(id, ec); });
}
void session::cancel(task_id id, std::error_code& ec) {
  core_->cancel(id, ec);
}
void session::cancel(task_id id) {
  detail::or_throw("session::cancel", [&](std::error_code& ec) { cancel(id, ec); });
}
void session::set_priority(task_id id, task_priority priority, std::error_code& ec) {
  core_->set_priority(id, priority, ec);
}
void session::set_priority(task_id id, task_priority priority) {
  detail::or_throw("session::set_priority",
                   [&](std::error_code& ec) { set_priority(id, priority, ec); });
}

void session::finish_tasks_and_invalidate(std::error_code& ec) {
  core_->invalidate(false, ec);
}
void session::finish_tasks_and_invalidate() {
  detail::or_throw("session::finish_tasks_and_invalidate",
                   [&](std::error_code& ec) { finish_tasks_and_invalidate(ec); });
}
void session::invalidate_and_cancel(std::error_code& ec) {
  core_->invalidate(true, ec);
}
void session::invalidate_and_cancel() {
  detail::or_throw("session::invalidate_and_cancel",
                   [&](std::error_code& ec) { invalidate_and_cancel(ec); });
}
std::size_t session::remove_finished(std::error_code& ec) {
  return core_->remove_finished(ec);
}
std::size_t session::remove_finished() {
  return detail::or_throw("session::remove_finished",
                          [&](std::error_code& ec) { return remove_finished(ec); });
}

std::vector<task_info> session::tasks(std::error_code& ec) const {
  return core_->tasks(ec);
}
std::vector<task_info> session::tasks() const {
  return detail::or_throw("session::tasks", [&](std::error_code& ec) { return tasks(ec); });
}
std::optional<task_info> session::find(task_id id, std::error_code& ec) const {
  return core_->find(id, ec);
}
std::optional<task_info> session::find(task_id id) const {
  return detail::or_throw("session::find", [&](std::error_code& ec) { return find(id, ec); });
}
std::optional<transfer_progress> session::progress(task_id id) const {
  return core_->progress(id);
}

std::vector<added_task> session::add_all(std::vector<task_spec> tasks, std::error_code& ec) {
  return core_->add_all(std::move(tasks), ec);
}
std::vector<added_task> session::add_all(std::vector<task_spec> tasks) {
  return detail::or_throw("session::add_all",
                          [&](std::error_code& ec) { return add_all(std::move(tasks), ec); });
}

void session::answer_challenge(task_id id, std::optional<http::credentials> answer,
                               std::error_code& ec) {
  core_->answer_challenge(id, std::move(answer), ec);
}
void session::answer_challenge(task_id id, std::optional<http::credentials> answer) {
  detail::or_throw("session::answer_challenge",
                   [&](std::error_code& ec) { answer_challenge(id, std::move(answer), ec); });
}

void session::acknowledge(std::uint64_t seq, std::error_code& ec) {
  core_->acknowledge(seq, ec);
}
void session::acknowledge(std::uint64_t seq) {
  detail::or_throw("session::acknowledge", [&](std::error_code& ec) { acknowledge(seq, ec); });
}

void session::wait_idle(std::chrono::milliseconds limit, std::error_code& ec) {
  core_->wait_idle(limit, ec);
}
void session::wait_idle(std::chrono::milliseconds limit) {
  detail::or_throw("session::wait_idle", [&](std::error_code& ec) { wait_idle(limit, ec); });
}

async_result session::begin_wait_idle(std::chrono::milliseconds limit, async_callback callback,
                                      state_ref state) {
  return waits_->begin(core_, limit, std::move(callback), state);
}
void session::end_wait_idle(async_result& result, std::error_code& ec) {
  waits_->end(*core_, result, ec);
}
void session::end_wait_idle(async_result& result) {
  detail::or_throw("session::end_wait_idle",
                   [&](std::error_code& ec) { end_wait_idle(result, ec); });
}

void session::close() {
  waits_->close([this] { core_->close(); });
}

const std::string& session::identifier() const noexcept {
  return core_->config().identifier;
}
const std::filesystem::path& session::state_directory() const noexcept {
  return core_->directory();
}

bool session::runner_active() const {
  return core_->runner_active();
}

}  // namespace ferry::engine
