// Reading a whole text file, with the project's error message.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

// The file's bytes. Throws UsageError "cannot read WHAT 'PATH': reason"
// when it cannot be opened, and names a folder given as a file.
std::string read_text_file(const std::filesystem::path& file, const std::string& what = "");

}  // namespace attnlab
