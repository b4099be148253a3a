# Shared by the sweep test scripts (sourced): small_base FILE TIME LOG_POINTS
# writes the base config of their sweeps, a comparison of softmax and
# softmax-1 with two heads on one thread, TIME long.
small_base() {
  cat >"$1" <<TOML
activations = ["softmax", "softmax1"]
[model]
heads = 2
[train]
time = $2
threads = 1
[eval]
test_size = 256
log_points = $3
bayes_samples = 2000
TOML
}
