// A content fingerprint of a plugin file, recorded with every result so a
// result can be traced to the exact binary that produced it.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

// "fnv1a64:<16 hex digits>" of the file's bytes (not cryptographic: it
// identifies builds, it does not defend against tampering).
std::string file_fingerprint(const std::filesystem::path& file);

}  // namespace attnlab
