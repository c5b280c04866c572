#pragma once
// Runs a program as a child process and measures its wall time and peak memory (wait4's rusage).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace bench {

struct Measure {
  double wall_s = 0;
  double max_rss_mb = 0;
  int code = -1;
};

inline Measure run(const std::vector<std::string>& cmd, const std::filesystem::path& err) {
  std::fflush(stdout); // or the child would print our buffered lines again
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : cmd)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!freopen("/dev/null", "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  Measure m;
  m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.max_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  m.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return m;
}

} // namespace bench
