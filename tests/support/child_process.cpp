#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace ferry::test {

child_process::child_process(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env, const std::filesystem::path& out,
                             const std::filesystem::path& err) {
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    environment.emplace_back(*e);
  }
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (const std::string& e : environment) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);
  const std::string out_path = out.empty() ? "/dev/null" : out.string();
  const std::string err_path = err.empty() ? "/dev/null" : err.string();
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error{"fork failed"};
  }
  if (pid_ == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    (void)wait(std::chrono::seconds{10});
  }
}

void child_process::signal(int number) const {
  ::kill(pid_, number);
}

bool child_process::running() {
  if (status_) {
    return false;
  }
  return !wait(std::chrono::milliseconds{0}).has_value();
}

std::optional<int> child_process::wait(std::chrono::milliseconds limit) {
  if (status_) {
    return status_;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int raw = 0;
    const pid_t done = ::waitpid(pid_, &raw, WNOHANG);
    if (done == pid_) {
      status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
      return status_;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
}

int run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                const std::filesystem::path& out, const std::filesystem::path& err,
                std::chrono::milliseconds limit) {
  child_process child{argv, env, out, err};
  if (auto code = child.wait(limit)) {
    return *code;
  }
  child.signal(SIGKILL);
  return child.wait(std::chrono::seconds{10}).value_or(-1);
}

}  // namespace ferry::test
