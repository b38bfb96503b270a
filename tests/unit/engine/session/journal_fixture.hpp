// The fixture of the journal's tests: a state directory of its own, new tasks to add, and
// SQL run on the file through a connection of the test's own.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "ferry/http/url.hpp"
#include "session/journal.hpp"
#include "temp_directory.hpp"

namespace ferry::engine::detail {

// A journal file in a directory of its own, and a connection of the test's own to look at it.
class journal_fixture : public ::testing::Test {
 protected:
  std::unique_ptr<journal> open_journal(const journal_options& options = {}) {
    std::error_code ec;
    std::string detail;
    auto j = journal::open(file_, options, ec, &detail);
    EXPECT_FALSE(ec) << ec.message() << ": " << detail;
    return j;
  }

  new_task download_to(const std::string& name) {
    new_task t;
    t.request.kind = transfer_kind::download;
    t.request.url = http::url::parse("http://127.0.0.1:8080/" + name);
    t.request.output = dir_ / name;
    return t;
  }

  static std::string bytes_of(const std::filesystem::path& p) { return test::read_file(p); }

  // Runs one SQL statement on the file through a connection of the test's own.
  void raw_sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK)
        << (message != nullptr ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }
  std::string raw_text(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  const wall_time t0 = wall_time{} + std::chrono::hours{24 * 365 * 56};
  test::temp_directory scratch_{"journal"};
  std::filesystem::path dir_ = scratch_.path();
  std::filesystem::path file_ = dir_ / "journal.sqlite";
};

}  // namespace ferry::engine::detail
