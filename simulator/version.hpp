#pragma once
#include <string>

namespace edgetrain {
std::string edgetrain_version();  // from CMake's project(VERSION)
std::string simgrid_version();    // of the library linked at run time
}  // namespace edgetrain
