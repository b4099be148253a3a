#include <attnlab/framework/errors.hpp>
#include <attnlab/framework/file_hash.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <vector>

namespace attnlab {

std::string file_fingerprint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw UsageError("cannot read '" + file.string() + "' to fingerprint it");
  std::uint64_t hash = 0xcbf29ce484222325ull;
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash ^= static_cast<unsigned char>(buffer[static_cast<std::size_t>(i)]);
      hash *= 0x100000001b3ull;
    }
  }
  return fmt::format("fnv1a64:{:016x}", hash);
}

}  // namespace attnlab
