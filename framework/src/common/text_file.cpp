#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace attnlab {

std::string read_text_file(const std::filesystem::path& file, const std::string& what) {
  // fmt, not operator+: GCC 12 warns falsely (-Wrestrict) on "'" + string.
  const std::string named =
      what.empty() ? fmt::format("'{}'", file.string()) : fmt::format("{} '{}'", what, file.string());
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) throw UsageError(named + " is a folder, not a file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("cannot read " + named + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace attnlab
