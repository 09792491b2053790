#pragma once
// Finding a program on $PATH, as a shell would.

#include <filesystem>
#include <string>

namespace taskfarm {

/// The first executable `name` in $PATH (or /usr/bin:/bin without one); empty if none.
std::filesystem::path FindProgram(const std::string& name);

}  // namespace taskfarm
