#include "command_line.hpp"

#include <CLI/CLI.hpp>

namespace ferry::cli {
namespace {

void add_common_options(CLI::App& c, common_options& o) {
  c.add_option("-H,--header", o.headers, "Extra request header \"Name: value\" (repeatable)");
  c.add_option("-u,--user", o.user, "user:password for Basic authentication");
  c.add_option("-x,--proxy", o.proxy, "Forward proxy URL (default: the *_proxy environment)");
  c.add_option("-b,--cookie", o.cookie, "Cookies: \"name=value; ...\" or a cookies.txt file");
  c.add_option("-c,--cookie-jar", o.cookie_jar, "Write the cookies to this file afterwards");
  c.add_option("--limit-rate", o.limit_rate, "Bytes a second at most, in all (10K, 5M, 1G)");
  c.add_option("--retry", o.retry, "Retries in a row without progress before giving up");
  c.add_option("--connect-timeout", o.connect_timeout, "Seconds to connect (and handshake)")
      ->capture_default_str();
  c.add_option("-Y,--speed-limit", o.speed_limit, "Bytes a second below which ... (with -y)");
  c.add_option("-y,--speed-time", o.speed_time, "... for this many seconds, the try is abandoned")
      ->capture_default_str();
  c.add_option("--cacert", o.cacert, "PEM file of CA certificates to trust");
  c.add_flag("-k,--insecure", o.insecure, "Do not verify the server's certificate");
  c.add_flag("-L,--location", o.location, "Follow redirects (always on; accepted for curl)");
  c.add_flag("-s,--silent", o.silent, "No progress output");
  c.add_option("--progress", o.progress, "bar, json or none (default: bar on a terminal)")
      ->check(CLI::IsMember({"bar", "json", "none"}));
}

void add_get_command(CLI::App& app, get_options& o) {
  auto* get = app.add_subcommand("get", "Download URL to a file, resuming after any interruption");
  get->add_option("url", o.url, "The URL to download");
  get->add_option("-o,--output", o.output, "Write to FILE (\"-\" for standard output)");
  get->add_flag("-O,--remote-name", o.remote_name, "Name the file after the URL's last segment");
  get->add_option("-i,--input-file", o.list, "Download every URL in FILE (one a line)");
  get->add_option("--parallel", o.parallel, "Transfers at once with -i")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  get->add_option("-d,--dir", o.directory, "Directory for -O and -i files");
  get->add_option("--segments", o.segments, "Connections for one file (ranges in parallel)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  get->add_option("--checksum", o.checksum, "Expected digest: sha256:HEX or sha512:HEX");
  get->add_option("--durability", o.durability,
                  "What the resume record survives: process (a kill) or power (a power loss)")
      ->check(CLI::IsMember({"process", "power"}))
      ->capture_default_str();
  get->add_flag("--overwrite", o.overwrite, "Replace an existing file at the output path");
  get->add_option("-C,--continue-at", o.continue_at,
                  "Accepted for curl (\"-\"): ferry always resumes");
  add_common_options(*get, o.common);
}

void add_put_command(CLI::App& app, put_options& o) {
  auto* put = app.add_subcommand("put", "Upload FILE (or - for standard input) to URL");
  put->add_option("source", o.source, "The file to send, or - for standard input")->required();
  put->add_option("url", o.url, "Where to send it")->required();
  put->add_option("-X,--request", o.method, "Method (PUT or POST)")
      ->check(CLI::IsMember({"PUT", "POST"}))
      ->capture_default_str();
  put->add_flag("--chunked", o.chunked, "Transfer-Encoding: chunked even for a file");
  put->add_option("--chunk-size", o.chunk_size, "Bytes per read and per chunk (64K, 1M)")
      ->capture_default_str();
  add_common_options(*put, o.common);
}

void add_engine_demo_command(CLI::App& app, engine_demo_options& o) {
  auto* demo = app.add_subcommand(
      "engine-demo", "Fetch a raw HTTP/1.0 response through the Begin/End socket engine");
  demo->add_option("--host", o.host, "Host to connect to")->capture_default_str();
  demo->add_option("--port", o.port, "TCP port")->required()->check(CLI::Range(1, 65535));
  demo->add_option("--path", o.path, "Request path")->capture_default_str();
  demo->add_option("-o,--output", o.output, "Where to write the raw response")->required();
}

}  // namespace

std::optional<int> parse_command_line(int argc, char** argv, command_line& line) {
  CLI::App app{"ferry: HTTP/1.1 transfers that keep going"};
  app.require_subcommand(1);
  add_get_command(app, line.get);
  add_put_command(app, line.put);
  add_engine_demo_command(app, line.demo);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (app.got_subcommand("get")) {
    line.which = command_line::command::get;
  } else if (app.got_subcommand("put")) {
    line.which = command_line::command::put;
  } else {
    line.which = command_line::command::engine_demo;
  }
  return std::nullopt;
}

}  // namespace ferry::cli
