#pragma once
// How much memory a run may take, for refusing, before allocating, what cannot fit: a std::bad_alloc
// halfway through names no key, and Linux's overcommit may kill the process instead.
#include <cstdint>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

namespace edgetrain {

// MemAvailable from /proc/meminfo (what can be allocated without swapping), else physical memory.
inline std::uint64_t available_memory_bytes() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    std::uint64_t kib = 0;
    f >> kib;
    if (key == "MemAvailable:") return kib * 1024;
    f.ignore(64, '\n');
  }
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(size) : UINT64_MAX;
}

// "3.2 GB"
inline std::string bytes_text(double bytes) {
  if (bytes >= 1e9) return fmt::format("{:.1f} GB", bytes / 1e9);
  return fmt::format("{:.0f} MB", bytes / 1e6);
}

} // namespace edgetrain
