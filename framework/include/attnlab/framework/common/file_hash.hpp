// Content fingerprints: of plugin files, recorded with every result so a
// result can be traced to the exact binary that produced it, and of the
// files attnlab writes, so that damage is detected when they are read back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace attnlab {

// FNV-1a, 64 bits (not cryptographic: it identifies builds and catches
// damaged files, it does not defend against tampering).
class Fnv1a {
 public:
  void add(std::string_view bytes) {
    for (const char c : bytes) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= 0x100000001b3ull;
    }
  }
  std::uint64_t value() const { return hash_; }
  // "fnv1a64:<16 hex digits>"
  std::string text() const;

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ull;
};

// Fnv1a::text() of the file's bytes.
std::string file_fingerprint(const std::filesystem::path& file);

}  // namespace attnlab
