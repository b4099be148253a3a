// CSV fields as pandas' read_csv reads them with no options: quoted when
// they hold a comma, a quote, a line break or outer spaces, quotes doubled.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

std::string csv_field(const std::string& text);

// One CSV line (no line breaks inside fields) into its fields.
std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace attnlab
