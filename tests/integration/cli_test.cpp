// The `ferry` command against a real nginx: resume after SIGINT and kill -9 (at seeded moments
// and at crash points), two processes on one output, exit codes, lists, progress as JSON.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "child_process.hpp"
#include "ferry/engine/io/file.hpp"
#include "ferry/engine/transfer/download.hpp"
#include "ferry/engine/transfer/resume_record.hpp"
#include "nginx_server.hpp"
#include "resource_responder.hpp"
#include "scripted_server.hpp"
#include "temp_directory.hpp"
#include "test_certificate.hpp"
#include "test_scale.hpp"

namespace ferry::engine {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A rate scaled as the file sizes are (smaller under sanitizers), so that a transfer takes as
// long in every build and the kills land as often mid-transfer.
std::string rate(std::size_t bytes_per_second) {
  return std::to_string(test::scaled(bytes_per_second));
}

using test::read_file;

class CliTest : public ::testing::Test {
 protected:
  CliTest()
      : server{
            "location /dav/ { dav_methods PUT; create_full_put_path on; client_max_body_size 0; "
            "}"} {
    work = server.directory() / "client";
    fs::create_directories(work);
  }

  std::string url(const std::string& name) const { return server.base_url() + "/" + name; }

  // Serves `size` deterministic bytes as `name`; returns them.
  std::string serve(const std::string& name, std::size_t size, unsigned version = 0) const {
    std::string body = test::version_bytes(size, version);
    server.put_file(name, body);
    return body;
  }

  int ferry(const std::vector<std::string>& args, const std::string& err_name = "stderr.txt",
            const std::string& out_name = "stdout.txt") const {
    std::vector<std::string> argv{FERRY_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv, {}, work / out_name, work / err_name);
  }

  std::string err(const std::string& name = "stderr.txt") const { return read_file(work / name); }

  // The record never claims a byte the partial file does not hold correctly.
  static void expect_claims_hold(const fs::path& output, const std::string& body) {
    std::error_code ec;
    const auto record = load_resume_record(file_system::local(), record_path(output), ec);
    if (!record) {
      return;
    }
    if (!fs::exists(partial_path(output))) {
      // Killed between the final rename and the record's removal: the partial file is the
      // output now, and a record without its partial file is never trusted.
      ASSERT_EQ(read_file(output), body);
      return;
    }
    const std::string partial = read_file(partial_path(output));
    for (const byte_range& r : record->ranges.intervals()) {
      ASSERT_LE(r.end, partial.size());
      ASSERT_EQ(0, partial.compare(r.first, r.size(), body, r.first, r.size()))
          << "the record claims bytes " << r.first << "-" << r.end << " that are wrong";
    }
  }

  test::nginx_server server;
  fs::path work;
};

TEST_F(CliTest, InterruptedBySigintSavesTheRecordAndTheSameCommandResumes) {
  const std::string body = serve("big.bin", test::scaled(32U << 20U));
  const fs::path out = work / "big.bin";
  const std::vector<std::string> args{FERRY_CLI,    "get",          url("big.bin"),  "-o",
                                      out.string(), "--limit-rate", rate(8U << 20U), "--durability",
                                      "process"};
  {
    test::child_process child{args, {}, work / "out1.txt", work / "err1.txt"};
    std::this_thread::sleep_for(1500ms);
    child.signal(SIGINT);
    EXPECT_EQ(child.wait(30s), 130) << err("err1.txt");
  }
  expect_claims_hold(out, body);
  EXPECT_FALSE(fs::exists(out));
  std::error_code ec;
  const auto record = load_resume_record(file_system::local(), record_path(out), ec);
  ASSERT_TRUE(record);
  EXPECT_GT(record->ranges.size(), 1U << 20U);  // at least 1 MiB was saved
  EXPECT_NE(err("err1.txt").find("interrupted"), std::string::npos);
  ASSERT_EQ(ferry({"get", url("big.bin"), "-o", out.string()}), 0) << err();
  EXPECT_EQ(read_file(out), body);
  EXPECT_NE(err().find("resumed at " + std::to_string(record->ranges.size())), std::string::npos)
      << err();
  EXPECT_FALSE(fs::exists(partial_path(out)));
  EXPECT_FALSE(fs::exists(record_path(out)));
  // Again: the file is complete and nginx's validators match: nothing is downloaded.
  ASSERT_EQ(ferry({"get", url("big.bin"), "-o", out.string()}), 0) << err();
  EXPECT_NE(err().find("already complete"), std::string::npos) << err();
}

// kill -9 at seeded moments of a rate-limited download, again and again; after every kill the
// record's claims hold, and the next run ends byte-identical.
TEST_F(CliTest, KillNineAtSeededMomentsAlwaysResumesByteIdentical) {
  const std::string body = serve("big.bin", test::scaled(24U << 20U));
  const fs::path out = work / "big.bin";
  std::mt19937 random{2026};
  std::map<std::string, int> phases;
  int kills = 0;
  int completions = 0;
  for (int cycle = 0; kills < 24 && cycle < 60; ++cycle) {
    const char* durability = cycle % 2 == 0 ? "process" : "power";
    const auto delay =
        std::chrono::milliseconds{std::uniform_int_distribution<int>{50, 1400}(random)};
    test::child_process child{{FERRY_CRASHABLE, "get", url("big.bin"), "-o", out.string(),
                               "--limit-rate", rate(12U << 20U), "--durability", durability},
                              {},
                              work / "out.txt",
                              work / "err.txt"};
    if (child.wait(delay)) {
      ASSERT_EQ(read_file(out), body) << err("err.txt");  // finished before the kill
      ++completions;
      fs::remove(out);
      continue;
    }
    child.signal(SIGKILL);
    const std::optional<int> status = child.wait(10s);
    if (status == 0) {  // it finished between the wait and the kill
      ASSERT_EQ(read_file(out), body) << err("err.txt");
      ++completions;
      fs::remove(out);
      continue;
    }
    ASSERT_EQ(status, 128 + SIGKILL);
    ++kills;
    std::error_code ec;
    const auto record = load_resume_record(file_system::local(), record_path(out), ec);
    if (fs::exists(out)) {
      ++phases["after the rename"];
      ASSERT_EQ(read_file(out), body);
      fs::remove(out);
    } else if (!record || record->ranges.empty()) {
      ++phases["before the first checkpoint"];
    } else {
      ++phases["mid-transfer (record claims bytes)"];
    }
    expect_claims_hold(out, body);
  }
  // Whatever the last kill left, the same command finishes it.
  fs::remove(out);
  ASSERT_EQ(ferry({"get", url("big.bin"), "-o", out.string()}), 0) << err();
  EXPECT_EQ(read_file(out), body);
  EXPECT_GE(kills, 20);
  EXPECT_GT(phases["mid-transfer (record claims bytes)"], 0);
  std::ostringstream summary;
  for (const auto& [phase, count] : phases) {
    summary << phase << ": " << count << "; ";
  }
  RecordProperty("kills", kills);
  RecordProperty("phases", summary.str());
  std::cout << "kill -9 torture: " << kills << " kills (" << summary.str() << "), " << completions
            << " runs finished before their kill\n";
}

// The crash points a random kill rarely hits: right after a checkpoint, just before and just
// after the final rename. Each crash leaves a state the next run completes from.
TEST_F(CliTest, KillNineAtCrashPointsResumesByteIdentical) {
  const std::string body = serve("big.bin", test::scaled(16U << 20U));
  const fs::path out = work / "big.bin";
  for (const char* durability : {"process", "power"}) {
    for (const char* point : {"checkpoint:1", "checkpoint:2", "before_rename", "after_rename"}) {
      SCOPED_TRACE(std::string{point} + " with --durability " + durability);
      fs::remove(out);
      const int code = test::run_process(
          {FERRY_CRASHABLE, "get", url("big.bin"), "-o", out.string(), "--limit-rate",
           rate(6U << 20U), "--durability", durability},
          {std::string{"FERRY_CRASH_AT="} + point}, work / "out.txt", work / "err.txt");
      ASSERT_EQ(code, 128 + SIGKILL) << err("err.txt");
      expect_claims_hold(out, body);
      if (std::string{point} == "after_rename") {
        ASSERT_EQ(read_file(out), body);  // in place; the stale record is cleaned by the next run
      } else {
        ASSERT_FALSE(fs::exists(out));
      }
      ASSERT_EQ(ferry({"get", url("big.bin"), "-o", out.string()}), 0) << err();
      ASSERT_EQ(read_file(out), body);
      EXPECT_FALSE(fs::exists(partial_path(out)));
      EXPECT_FALSE(fs::exists(record_path(out)));
    }
  }
}

TEST_F(CliTest, SecondProcessOnTheSameOutputIsRefused) {
  const std::string body = serve("big.bin", test::scaled(16U << 20U));
  const fs::path out = work / "big.bin";
  test::child_process first{
      {FERRY_CLI, "get", url("big.bin"), "-o", out.string(), "--limit-rate", rate(2U << 20U)},
      {},
      work / "out1.txt",
      work / "err1.txt"};
  for (int i = 0; i < 500 && !fs::exists(record_path(out)); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(fs::exists(partial_path(out)));
  EXPECT_EQ(ferry({"get", url("big.bin"), "-o", out.string()}), 9);
  EXPECT_NE(err().find("locked"), std::string::npos) << err();
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(30s), 128 + SIGTERM);
  expect_claims_hold(out, body);
}

TEST_F(CliTest, ExitCodesFollowTheDocumentedTable) {
  const std::string body = serve("small.bin", 10'000);
  const fs::path out = work / "small.bin";
  EXPECT_EQ(ferry({"get", url("missing.bin"), "-o", out.string()}), 5) << err();
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(ferry({"get", url("small.bin"), "-o", out.string(), "--checksum",
                   "sha256:" + std::string(64, 'a')}),
            7)
      << err();
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(ferry({"get", "http://127.0.0.1:1/x", "-o", out.string(), "--retry", "0"}), 3) << err();
  EXPECT_EQ(ferry({"get", url("small.bin")}), 2);  // no -o or -O
  EXPECT_EQ(ferry({"get", url("small.bin"), "-o", out.string(), "--segments", "0"}), 2);
  std::ofstream{out} << "someone else's file";
  EXPECT_EQ(ferry({"get", url("small.bin"), "-o", out.string()}), 9) << err();
  EXPECT_EQ(read_file(out), "someone else's file");
  EXPECT_EQ(ferry({"get", url("small.bin"), "-o", out.string(), "--overwrite"}), 0) << err();
  EXPECT_EQ(read_file(out), body);
  // A path under a regular file cannot be created: local I/O.
  EXPECT_EQ(ferry({"get", url("small.bin"), "-o", (out / "under-a-file").string()}), 8) << err();
}

TEST_F(CliTest, ExitCodesForTlsAndMalformedResponses) {
  // An untrusted certificate is TLS (4), whatever else it is.
  test::nginx_server secure{"", &test::test_pki::get().untrusted_server};
  secure.put_file("small.bin", "hello");
  const fs::path out = work / "tls.bin";
  EXPECT_EQ(ferry({"get", secure.base_url() + "/small.bin", "-o", out.string()}), 4) << err();
  EXPECT_FALSE(fs::exists(out));

  // Broken framing is a protocol error (6), reported after two more attempts with the
  // violation's stable code in every event.
  test::scripted_server broken{
      [](std::string_view, std::size_t i) -> std::optional<test::scripted_answer> {
        if (i >= 10) {
          return std::nullopt;
        }
        return test::scripted_server::raw(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n");
      }};
  const std::string broken_url = "http://127.0.0.1:" + std::to_string(broken.port()) + "/file.bin";
  EXPECT_EQ(ferry({"get", broken_url, "-o", out.string(), "--progress", "json"}), 6) << err();
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(broken.requests().size(), 3U);
  const std::string events = err();
  std::size_t retries = 0;
  std::istringstream lines{events};
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"event\":\"retry\"") != std::string::npos) {
      ++retries;
      EXPECT_NE(line.find("\"code\":\"bad_chunk\""), std::string::npos) << line;
    }
    if (line.find("\"event\":\"failed\"") != std::string::npos) {
      EXPECT_NE(line.find("\"code\":\"bad_chunk\""), std::string::npos) << line;
      EXPECT_NE(line.find("\"reason\":\"malformed chunk\""), std::string::npos) << line;
    }
  }
  EXPECT_EQ(retries, 2U) << events;
}

TEST_F(CliTest, ListOfUrlsInParallelWithRemoteNames) {
  std::map<std::string, std::string> files;
  std::ofstream list{work / "list.txt"};
  list << "# twenty small files\n";
  for (int i = 0; i < 20; ++i) {
    const std::string name = "f" + std::to_string(i) + ".bin";
    files[name] = serve(name, 4096 + static_cast<std::size_t>(i), static_cast<unsigned>(i));
    list << url(name) << "\n";
  }
  list.close();
  const fs::path dir = work / "many";
  fs::create_directories(dir);
  ASSERT_EQ(
      ferry({"get", "-i", (work / "list.txt").string(), "--parallel", "4", "-d", dir.string()}), 0)
      << err();
  for (const auto& [name, body] : files) {
    EXPECT_EQ(read_file(dir / name), body) << name;
  }
}

TEST_F(CliTest, ProgressAsJsonIsOneObjectPerEvent) {
  const std::string body = serve("mid.bin", 4U << 20U);
  const fs::path out = work / "mid.bin";
  ASSERT_EQ(ferry({"get", url("mid.bin"), "-o", out.string(), "--progress", "json", "--limit-rate",
                   "8M"}),
            0)
      << err();
  std::istringstream lines{err()};
  std::vector<std::string> events;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_EQ(line.front(), '{') << line;
    ASSERT_EQ(line.back(), '}') << line;
    const auto at = line.find("\"event\":\"");
    ASSERT_NE(at, std::string::npos) << line;
    events.push_back(line.substr(at + 9, line.find('"', at + 9) - at - 9));
  }
  ASSERT_GE(events.size(), 3U);
  EXPECT_EQ(events.front(), "started");
  EXPECT_EQ(events.back(), "completed");
  const auto progress = std::count(events.begin(), events.end(), "progress");
  EXPECT_GE(progress, 2);
  EXPECT_LE(progress, 12);  // about half a second at 8 MiB/s: at most 10 a second
}

TEST_F(CliTest, StandardOutputAndDevNullAreStreamedNeverReplaced) {
  const std::string body = serve("s.bin", 200'000);
  ASSERT_EQ(ferry({"get", url("s.bin"), "-o", "-"}, "stderr.txt", "body.out"), 0) << err();
  EXPECT_EQ(read_file(work / "body.out"), body);
  ASSERT_EQ(ferry({"get", url("s.bin"), "-o", "/dev/null"}), 0) << err();
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  EXPECT_FALSE(fs::exists("/dev/null.part"));
}

TEST_F(CliTest, PutChunkedAndWithContentLengthIntoNginxWebDav) {
  const std::string body = test::version_bytes(test::scaled(24U << 20U), 7);
  const fs::path source = work / "up.bin";
  std::ofstream{source, std::ios::binary} << body;
  ASSERT_EQ(
      ferry({"put", source.string(), url("dav/chunked.bin"), "--chunked", "--chunk-size", "256K"}),
      0)
      << err();
  EXPECT_EQ(read_file(server.root() / "dav" / "chunked.bin"), body);
  ASSERT_EQ(ferry({"put", source.string(), url("dav/length.bin")}), 0) << err();
  EXPECT_EQ(read_file(server.root() / "dav" / "length.bin"), body);
}

}  // namespace
}  // namespace ferry::engine
