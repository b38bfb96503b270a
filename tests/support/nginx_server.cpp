#include "nginx_server.hpp"

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
#include "test_certificate.hpp"

namespace ferry::test {
namespace fs = std::filesystem;

namespace {

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out{p, std::ios::binary};
  out << content;
}

}  // namespace

nginx_server::nginx_server(const std::string& locations, const test_certificate* certificate) {
  std::random_device random;
  dir_ = fs::temp_directory_path() /
         ("ferry-nginx-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  root_ = dir_ / "www";
  fs::create_directories(root_);
  fs::create_directories(dir_ / "tmp");
  tls_ = certificate != nullptr;
  if (tls_) {
    write_file(dir_ / "server.pem", certificate->certificate_pem);
    write_file(dir_ / "server.key", certificate->key_pem);
  }
  for (int attempt = 0; attempt < 10; ++attempt) {
    if (start(locations, tls_)) {
      return;
    }
  }
  std::ifstream log{dir_ / "error.log"};
  const std::string text{std::istreambuf_iterator<char>{log}, {}};
  fs::remove_all(dir_);
  throw std::runtime_error{"nginx_server: nginx did not start: " + text};
}

bool nginx_server::start(const std::string& locations, bool tls) {
  port_ = free_loopback_port();
  const std::string d = dir_.string();
  std::string conf = "master_process off;\ndaemon off;\nworker_processes 1;\n";
  conf += "pid " + d + "/nginx.pid;\nerror_log " + d + "/error.log warn;\n";
  conf += "events { worker_connections 256; }\nhttp {\n  access_log off;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    conf += std::string{"  "} + temp + "_temp_path " + d + "/tmp/" + temp + ";\n";
  }
  conf += "  default_type application/octet-stream;\n  keepalive_requests 1000;\n";
  conf += "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + (tls ? " ssl" : "") +
          ";\n    root " + root_.string() + ";\n";
  if (tls) {
    conf += "    ssl_certificate " + d + "/server.pem;\n    ssl_certificate_key " + d +
            "/server.key;\n";
  }
  conf += locations + "\n  }\n}\n";
  write_file(dir_ / "nginx.conf", conf);

  pid_ = ::fork();
  if (pid_ == 0) {
    ::execlp("nginx", "nginx", "-c", (dir_ / "nginx.conf").c_str(), "-p", d.c_str(), nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {  // up to 10 s
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;  // exited: the port was taken, or the configuration is bad
    }
    if (accepts_on_loopback(port_)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

nginx_server::~nginx_server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) != pid_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
      if (i == 99) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string nginx_server::base_url() const {
  return std::string{tls_ ? "https" : "http"} + "://127.0.0.1:" + std::to_string(port_);
}

void nginx_server::put_file(const std::string& name, const std::string& content) const {
  fs::create_directories((root_ / name).parent_path());
  write_file(root_ / name, content);
}

}  // namespace ferry::test
