#include "tinyproxy_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "loopback_ports.hpp"

namespace ferry::test {
namespace fs = std::filesystem;

tinyproxy_server::tinyproxy_server(const std::string& user, const std::string& password) {
  std::random_device random;
  dir_ = fs::temp_directory_path() /
         ("ferry-tinyproxy-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  fs::create_directories(dir_);
  for (int attempt = 0; attempt < 10; ++attempt) {
    port_ = free_loopback_port();
    {
      std::ofstream conf{dir_ / "tinyproxy.conf"};
      conf << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 30\n"
           << "PidFile \"" << (dir_ / "tinyproxy.pid").string() << "\"\n"
           << "LogFile \"" << (dir_ / "tinyproxy.log").string() << "\"\n"
           << "LogLevel Info\nMaxClients 50\nAllow 127.0.0.1\n";
      if (!user.empty()) {
        conf << "BasicAuth " << user << " " << password << "\n";
      }
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execlp("tinyproxy", "tinyproxy", "-d", "-c", (dir_ / "tinyproxy.conf").c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // exited: try another port
      }
      if (accepts_on_loopback(port_)) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  fs::remove_all(dir_);
  throw std::runtime_error{"tinyproxy_server: tinyproxy did not start"};
}

tinyproxy_server::~tinyproxy_server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string tinyproxy_server::url(const std::string& user, const std::string& password) const {
  const std::string credentials = user.empty() ? "" : user + ":" + password + "@";
  return "http://" + credentials + "127.0.0.1:" + std::to_string(port_);
}

std::string tinyproxy_server::log() const {
  std::ifstream in{dir_ / "tinyproxy.log"};
  return {std::istreambuf_iterator<char>{in}, {}};
}

}  // namespace ferry::test
