#include "hosting/broken_link.hpp"

#include <system_error>

namespace attnlab {

std::string broken_link_reason(const std::filesystem::path& path) {
  std::error_code error;
  const std::filesystem::file_status target = std::filesystem::status(path, error);
  if (error == std::errc::too_many_symbolic_link_levels) return "symbolic link loop (" + error.message() + ")";
  if (std::filesystem::exists(target)) return "";
  std::error_code link_error;
  if (!std::filesystem::is_symlink(std::filesystem::symlink_status(path, link_error))) return "";
  const std::filesystem::path to = std::filesystem::read_symlink(path, link_error);
  if (link_error) return "";
  return "dangling symbolic link to '" + to.string() + "'";
}

}  // namespace attnlab
