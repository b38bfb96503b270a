// ferry CLI — the subcommands.
#pragma once

#include <string>
#include <vector>

#include "client_setup.hpp"

namespace ferry::cli {

struct get_options {
  std::string url;
  std::string output;        // -o FILE ("-" for stdout)
  bool remote_name = false;  // -O
  std::string list;          // -i FILE of URLs
  std::size_t parallel = 1;  // --parallel N
  std::string directory;     // -d DIR
  unsigned segments = 1;
  std::string checksum;  // sha256:HEX
  std::string durability = "power";
  bool overwrite = false;
  std::string continue_at;  // -C - (accepted: resuming is always on)
  common_options common;
};

struct put_options {
  std::string source;  // FILE or "-"
  std::string url;
  std::string method = "PUT";
  bool chunked = false;
  std::string chunk_size = "64K";
  common_options common;
};

/// Run a parsed command; the result is the process's exit code.
[[nodiscard]] int run_get(const get_options& options);
[[nodiscard]] int run_put(const put_options& options);

/// A safe local file name from a URL's last path segment (-O): percent-decoded, with no
/// directory separators, control characters or leading dots; "index.html" when nothing is left.
[[nodiscard]] std::string file_name_from_url(const std::string& url);

}  // namespace ferry::cli
