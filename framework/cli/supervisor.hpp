// compare's plugin isolation: the training runs in a child process that a
// supervising parent watches (docs/ARCHITECTURE.md, "Plugin isolation").
//
// The child records every plugin call in flight on a shared call board
// (call_monitor.hpp). When it dies by a signal, or exits during a plugin
// call, the plugin is reported as crashed; when one call runs past the time
// limit, the parent kills the child (SIGKILL, by its PID) and reports the
// plugin as hung. A crashed or hung activation costs only its own model: the
// failure is recorded in the results folder (plugin_failures.txt) and the
// training restarts from the last checkpoint without that model (after its
// create: from the start, without creating it). A data model or optimizer
// failure stops the comparison with exit status 4.
#pragma once

#include "commands.hpp"

#include <functional>
#include <string>

namespace attnlab::cli {

// The file in a comparison's results folder that remembers the plugins that
// crashed or hung there, one per line, "<kind><TAB>id<TAB>step<TAB>reason":
//   activation - that model is not trained again;
//   unmade     - that model's create failed: its plugin is not created again;
//   stop       - a data model or optimizer stopped the comparison: --resume
//                refuses to run it again without --retry-failed-plugin;
//   retry      - a --resume --retry-failed-plugin after the stop before it.
inline constexpr const char* kPluginFailuresFile = "plugin_failures.txt";

// Exit status of a comparison a data model or optimizer failure stopped.
inline constexpr int kPluginFailureExit = 4;

// Whether compare runs supervised: yes unless ATTNLAB_UNSUPERVISED=1 (an
// internal switch for measuring the supervision's cost).
bool supervision_enabled();

// Runs `train` with `options` in a child process and supervises it, again
// with --resume after an activation crashed or hung. In the child,
// supervise() returns what `train` returns; in the parent, the exit status
// of the whole comparison.
int supervise(const CompareOptions& options, const std::function<int(const CompareOptions&)>& train);

}  // namespace attnlab::cli
