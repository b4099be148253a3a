#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/file_hash.hpp>

#include <fmt/format.h>

#include <fstream>
#include <vector>

namespace attnlab {

std::string Fnv1a::text() const {
  return fmt::format("fnv1a64:{:016x}", hash_);
}

std::string file_fingerprint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("cannot read '" + file.string() + "' to fingerprint it");
  Fnv1a hash;
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    hash.add(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  return hash.text();
}

}  // namespace attnlab
