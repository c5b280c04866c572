#include "simulator/cli/report_command.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace edgetrain {

int report_command(const std::string& dir) {
  const char* python = "/usr/bin/python3";
  const std::string script = EDGETRAIN_REPORT_SCRIPT;
  if (!std::filesystem::exists(python)) {
    fmt::print(stderr, "error: {} is missing: edgetrain report needs Debian's python3-matplotlib\n", python);
    return 2;
  }
  if (!std::filesystem::exists(script)) {
    fmt::print(stderr, "error: {}: the report script is missing from this build\n", script);
    return 2;
  }
  const pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    execl(python, python, "-c",
          "import sys\ntry:\n import matplotlib\nexcept ImportError:\n print('error: python3-matplotlib is not "
          "installed (apt-get install python3-matplotlib)', file=sys.stderr)\n sys.exit(2)\n"
          "sys.argv = sys.argv[1:]\nexec(compile(open(sys.argv[0]).read(), sys.argv[0], 'exec'))",
          script.c_str(), dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

} // namespace edgetrain
