// A session's identifier and state directory: the syntax, the XDG default, each level created
// 0700, and what stands in the way.
#include "ferry/engine/session/session_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "ferry/engine/error.hpp"
#include "temp_directory.hpp"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

// An environment of the test's own: nothing leaks in from the machine's.
struct fake_environment {
  std::map<std::string, std::string> values;
  environment_lookup lookup() const {
    return [this](const char* name) -> const char* {
      const auto it = values.find(name);
      return it == values.end() ? nullptr : it->second.c_str();
    };
  }
};

using scratch_directory = test::temp_directory;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(SessionConfig, IdentifiersAreFileNamesNeverHiddenAtMost128Characters) {
  EXPECT_TRUE(is_valid_session_identifier("default"));
  EXPECT_TRUE(is_valid_session_identifier("a"));
  EXPECT_TRUE(is_valid_session_identifier("_x"));
  EXPECT_TRUE(is_valid_session_identifier("-x"));
  EXPECT_TRUE(is_valid_session_identifier("backup.2026-12_nightly"));
  EXPECT_TRUE(is_valid_session_identifier(std::string(128, 'a')));

  EXPECT_FALSE(is_valid_session_identifier(""));
  EXPECT_FALSE(is_valid_session_identifier(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_session_identifier("."));
  EXPECT_FALSE(is_valid_session_identifier(".."));
  EXPECT_FALSE(is_valid_session_identifier(".hidden"));
  EXPECT_FALSE(is_valid_session_identifier("a/b"));
  EXPECT_FALSE(is_valid_session_identifier("a b"));
  EXPECT_FALSE(is_valid_session_identifier("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_session_identifier(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_session_identifier("a\n"));
}

TEST(SessionConfig, DefaultDirectoryIsUnderAnAbsoluteXdgStateHome) {
  fake_environment env{{{"XDG_STATE_HOME", "/var/state"}, {"HOME", "/home/u"}}};
  EXPECT_EQ(default_state_directory("work", env.lookup()),
            fs::path{"/var/state/ferry/sessions/work"});
}

TEST(SessionConfig, ARelativeOrEmptyXdgStateHomeFallsBackToHome) {
  fake_environment env{{{"XDG_STATE_HOME", "relative/state"}, {"HOME", "/home/u"}}};
  EXPECT_EQ(default_state_directory("work", env.lookup()),
            fs::path{"/home/u/.local/state/ferry/sessions/work"});
  env.values["XDG_STATE_HOME"] = "";
  EXPECT_EQ(default_state_directory("work", env.lookup()),
            fs::path{"/home/u/.local/state/ferry/sessions/work"});
  env.values.erase("XDG_STATE_HOME");
  EXPECT_EQ(default_state_directory("work", env.lookup()),
            fs::path{"/home/u/.local/state/ferry/sessions/work"});
}

TEST(SessionConfig, NoUsableHomeAndNoXdgIsInvalidArgument) {
  fake_environment env;
  std::error_code ec;
  EXPECT_TRUE(default_state_directory("work", ec, env.lookup()).empty());
  EXPECT_EQ(ec, error::invalid_argument);
  env.values["HOME"] = "home/u";  // relative
  EXPECT_TRUE(default_state_directory("work", ec, env.lookup()).empty());
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_THROW((void)default_state_directory("work", env.lookup()), std::system_error);
}

TEST(SessionConfig, ABadIdentifierIsInvalidArgumentInEveryForm) {
  fake_environment env{{{"HOME", "/home/u"}}};
  std::error_code ec;
  EXPECT_TRUE(default_state_directory("../etc", ec, env.lookup()).empty());
  EXPECT_EQ(ec, error::invalid_argument);
  session_config config;
  config.identifier = "../etc";
  config.state_directory = "/tmp/never-made";
  EXPECT_TRUE(prepare_state_directory(config, ec, env.lookup()).empty());
  EXPECT_EQ(ec, error::invalid_argument);
  EXPECT_FALSE(fs::exists("/tmp/never-made"));
  try {
    (void)prepare_state_directory(config, env.lookup());
    ADD_FAILURE() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), error::invalid_argument);
  }
}

TEST(SessionConfig, EveryMissingLevelIsCreated0700AndExistingLevelsKeepTheirModes) {
  scratch_directory scratch;
  const fs::path state = scratch.path() / "state";
  fs::create_directory(state);
  ::chmod(state.c_str(), 0755);
  fake_environment env{{{"XDG_STATE_HOME", state.string()}, {"HOME", "/nonexistent"}}};
  session_config config;
  config.identifier = "nightly";
  std::error_code ec;
  const fs::path dir = prepare_state_directory(config, ec, env.lookup());
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(dir, state / "ferry" / "sessions" / "nightly");
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(mode_of(state), 0755U);
  EXPECT_EQ(mode_of(state / "ferry"), 0700U);
  EXPECT_EQ(mode_of(state / "ferry" / "sessions"), 0700U);
  EXPECT_EQ(mode_of(dir), 0700U);
  // Again: it exists, nothing changes, no error.
  EXPECT_EQ(prepare_state_directory(config, ec, env.lookup()), dir);
  EXPECT_FALSE(ec);
}

TEST(SessionConfig, AnExplicitDirectoryWinsAndATrailingSlashIsTheSameDirectory) {
  scratch_directory scratch;
  session_config config;
  config.identifier = "x";
  config.state_directory = (scratch.path() / "mine" / "deeper").string() + "/";
  fake_environment env;  // no HOME: the explicit directory needs none
  std::error_code ec;
  const fs::path dir = prepare_state_directory(config, ec, env.lookup());
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(dir, scratch.path() / "mine" / "deeper");
  EXPECT_EQ(mode_of(scratch.path() / "mine"), 0700U);
  EXPECT_EQ(mode_of(dir), 0700U);
}

TEST(SessionConfig, AFileOrASymbolicLinkInTheWayIsFileExists) {
  scratch_directory scratch;
  std::ofstream{scratch.path() / "plain"} << "not a directory";
  session_config config;
  config.identifier = "x";
  config.state_directory = scratch.path() / "plain" / "below";
  std::error_code ec;
  EXPECT_TRUE(prepare_state_directory(config, ec).empty());
  EXPECT_EQ(ec, error::file_exists);

  fs::create_directory(scratch.path() / "real");
  fs::create_directory_symlink(scratch.path() / "real", scratch.path() / "link");
  config.state_directory = scratch.path() / "link";
  EXPECT_TRUE(prepare_state_directory(config, ec).empty());
  EXPECT_EQ(ec, error::file_exists);
}

TEST(SessionConfig, DefaultsAreTheDocumentedOnes) {
  const session_config config;
  EXPECT_EQ(config.max_running, 4U);
  EXPECT_EQ(config.per_host, 6U);
  EXPECT_EQ(config.rate_limit, 0U);
  EXPECT_EQ(config.durable, durability::power);
  EXPECT_EQ(config.progress_interval, std::chrono::milliseconds{500});
  EXPECT_EQ(config.runner, session_runner::embedded);
}

}  // namespace
}  // namespace ferry::engine
