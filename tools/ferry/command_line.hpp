// ferry CLI — the command line's grammar: every subcommand and option, parsed by CLI11. This
// is the only file that includes CLI11 (it costs ~25 s of compile time per file under ASan).
#pragma once

#include <optional>
#include <string>

#include "commands.hpp"

namespace ferry::cli {

/// `ferry engine-demo`: one raw HTTP/1.0 fetch through the bare Begin/End socket.
struct engine_demo_options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  std::string output;
};

/// The parsed command line: which subcommand, and its options.
struct command_line {
  enum class command {
    get,          // `ferry get`
    put,          // `ferry put`
    engine_demo,  // `ferry engine-demo`
  };
  command which = command::get;
  get_options get;
  put_options put;
  engine_demo_options demo;
};

/// Parses argv into `line`. Returns nothing when a command should run; else the process's exit
/// code, after CLI11 printed the help (0) or the usage error (2).
[[nodiscard]] std::optional<int> parse_command_line(int argc, char** argv, command_line& line);

}  // namespace ferry::cli
