// TOML helpers shared by the config reader and the sweeps: parsing with the
// project's error message, and walking every leaf of a tree by dotted key.
#pragma once

#include <toml++/toml.h>

#include <functional>
#include <string>

namespace attnlab {

// Parses `text`; a syntax error becomes a UsageError "SOURCE:LINE:COLUMN:
// malformed TOML: ...".
toml::table parse_toml(const std::string& text, const std::string& source);

// Calls `visit` with "a.b.c" and the node of every leaf (a value that is not
// a table; arrays are leaves), in the table's key order.
void for_each_leaf(const toml::table& table, const std::function<void(const std::string&, const toml::node&)>& visit);

}  // namespace attnlab
