// Naming a symbolic link that leads nowhere, for the loader's messages: a
// missing file and a link loop look alike to std::filesystem::exists().
// Internal to the framework library.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

// "symbolic link loop (Too many levels of symbolic links)" when resolving
// `path` loops, "dangling symbolic link to 'target'" when `path` is a link to
// nothing, and "" otherwise (including a link that works).
std::string broken_link_reason(const std::filesystem::path& path);

}  // namespace attnlab
