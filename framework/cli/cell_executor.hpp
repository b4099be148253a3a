// The settings of the executor that runs cells (sweep and reproduce): this
// very binary, with the --plugin files passed on to every cell's compare.
#pragma once

#include <attnlab/framework/sweeps/local_executor.hpp>

#include <string>
#include <vector>

namespace attnlab::cli {

ExecutorSettings cell_executor_settings(const std::vector<std::string>& plugin_files);

}  // namespace attnlab::cli
