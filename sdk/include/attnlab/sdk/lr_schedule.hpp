// Learning-rate schedules for optimizer plugins: a factor s(t) >= 0 that
// multiplies every step size, as a function of the time t = samples / D at
// the start of a step (t = step * batch / D from attnlab_step_info).
//
//   schedule = "constant"       s = 1 (the default; no other schedule_* key)
//   schedule = "inverse-time"   s = 1 / (1 + t / schedule_tau)
//   schedule = "cosine"         s = floor + (1 - floor) (1 + cos(pi t / T)) / 2
//                               for t < T = schedule_period, then floor
//                               (floor = schedule_floor, default 0)
//   schedule = "step"           s = schedule_factor ^ floor(t / schedule_interval)
//
// Measured in t rather than in steps, a schedule means the same at every D
// and batch size. Read from the optimizer's own parameters, so the plugin
// ABI is untouched: an optimizer that wants schedules constructs one with
// LrSchedule::read(params) and multiplies its rates by factor(info).
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/sdk/params.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace attnlab {

class LrSchedule {
 public:
  enum class Kind { Constant, InverseTime, Cosine, Step };

  // Constant.
  LrSchedule() = default;

  static LrSchedule constant() { return {}; }
  static LrSchedule inverse_time(double tau) { return checked({Kind::InverseTime, tau, 0, 0, 0, 0}); }
  static LrSchedule cosine(double period, double floor = 0.0) {
    return checked({Kind::Cosine, 0, period, floor, 0, 0});
  }
  static LrSchedule step(double factor, double interval) { return checked({Kind::Step, 0, 0, 0, factor, interval}); }

  // Reads `schedule` and its schedule_* keys. Throws ParamError naming the
  // key for an unknown schedule, a value out of range, a missing key, or a
  // schedule_* key that the chosen schedule does not take.
  static LrSchedule read(const Params& params) {
    const std::string name = params.text("schedule", "constant");
    LrSchedule schedule;
    if (name == "constant") {
      schedule = constant();
    } else if (name == "inverse-time") {
      schedule = checked({Kind::InverseTime, params.number(required(params, "schedule_tau", name)), 0, 0, 0, 0});
    } else if (name == "cosine") {
      schedule = checked({Kind::Cosine, 0, params.number(required(params, "schedule_period", name)),
                          params.number("schedule_floor", 0.0), 0, 0});
    } else if (name == "step") {
      schedule = checked({Kind::Step, 0, 0, 0, params.number(required(params, "schedule_factor", name)),
                          params.number(required(params, "schedule_interval", name))});
    } else {
      throw ParamError("schedule = '" + name + "' is not one of: " + kNames);
    }
    // A setting of another schedule is a mistake, not something to ignore.
    for (const char* key :
         {"schedule_tau", "schedule_period", "schedule_floor", "schedule_factor", "schedule_interval"}) {
      if (!params.has(key) || schedule.takes(key)) continue;
      throw ParamError(std::string(key) + " is not a setting of schedule = '" + name + "' (" + schedule.keys() + ")");
    }
    return schedule;
  }

  Kind kind() const { return kind_; }
  bool is_constant() const { return kind_ == Kind::Constant; }

  // t = samples / D at the start of the step described by `info`.
  static double time_of(const attnlab_step_info& info) {
    if (info.dimension == 0) throw ParamError("a learning-rate schedule needs the dimension D, but the step has D = 0");
    return static_cast<double>(info.step) * info.batch / info.dimension;
  }

  // The factor at time t >= 0.
  double factor(double t) const {
    switch (kind_) {
      case Kind::Constant:
        return 1.0;
      case Kind::InverseTime:
        return 1.0 / (1.0 + t / tau_);
      case Kind::Cosine:
        if (t >= period_) return floor_;
        return floor_ + (1.0 - floor_) * 0.5 * (1.0 + std::cos(kPi * t / period_));
      case Kind::Step:
        // t is a sum of rounded quotients: a boundary reached up to rounding
        // (t / interval = 2.9999999999999996) counts as reached.
        return std::pow(factor_, std::floor(t / interval_ + 1e-9));
    }
    return 1.0;
  }

  // The factor of a step; exactly 1 for the constant schedule at any D.
  double factor(const attnlab_step_info& info) const { return is_constant() ? 1.0 : factor(time_of(info)); }

  // Times t > 0 where the factor jumps (step) or bends (the end of the
  // cosine), up to `end`: where an ODE integrator should stop and restart.
  std::vector<double> breaks(double end) const {
    std::vector<double> times;
    if (kind_ == Kind::Cosine && period_ < end) times.push_back(period_);
    if (kind_ == Kind::Step) {
      for (double k = 1; k * interval_ < end && times.size() < kMaxBreaks; ++k) times.push_back(k * interval_);
    }
    return times;
  }

  // "inverse-time, schedule_tau = 10" etc., for logs.
  std::string describe() const {
    switch (kind_) {
      case Kind::Constant:
        return "constant";
      case Kind::InverseTime:
        return "inverse-time, schedule_tau = " + show(tau_);
      case Kind::Cosine:
        return "cosine, schedule_period = " + show(period_) + ", schedule_floor = " + show(floor_);
      case Kind::Step:
        return "step, schedule_factor = " + show(factor_) + ", schedule_interval = " + show(interval_);
    }
    return "";
  }

 private:
  static constexpr double kPi = 3.14159265358979323846;
  static constexpr std::size_t kMaxBreaks = 100000;
  static constexpr const char* kNames = "constant, inverse-time, cosine, step";

  LrSchedule(Kind kind, double tau, double period, double floor, double factor, double interval)
      : kind_(kind), tau_(tau), period_(period), floor_(floor), factor_(factor), interval_(interval) {}

  static std::string show(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.10g", value);
    return text;
  }

  static std::string required(const Params& params, const std::string& key, const std::string& name) {
    if (!params.has(key)) throw ParamError("schedule = '" + name + "' needs " + key);
    return key;
  }

  static void positive(const char* key, double value) {
    if (!(value > 0)) throw ParamError(std::string(key) + " = " + show(value) + " must be positive");
  }

  static LrSchedule checked(const LrSchedule& s) {
    if (s.kind_ == Kind::InverseTime) positive("schedule_tau", s.tau_);
    if (s.kind_ == Kind::Cosine) {
      positive("schedule_period", s.period_);
      if (!(s.floor_ >= 0 && s.floor_ <= 1)) {
        throw ParamError("schedule_floor = " + show(s.floor_) + " must be in [0, 1] (a fraction of the rate)");
      }
    }
    if (s.kind_ == Kind::Step) {
      if (!(s.factor_ > 0 && s.factor_ <= 1)) {
        throw ParamError("schedule_factor = " + show(s.factor_) + " must be in (0, 1] (the rate shrinks)");
      }
      positive("schedule_interval", s.interval_);
    }
    return s;
  }

  bool takes(const std::string& key) const {
    switch (kind_) {
      case Kind::InverseTime:
        return key == "schedule_tau";
      case Kind::Cosine:
        return key == "schedule_period" || key == "schedule_floor";
      case Kind::Step:
        return key == "schedule_factor" || key == "schedule_interval";
      case Kind::Constant:
        break;
    }
    return false;
  }

  std::string keys() const {
    switch (kind_) {
      case Kind::InverseTime:
        return "it takes schedule_tau";
      case Kind::Cosine:
        return "it takes schedule_period, schedule_floor";
      case Kind::Step:
        return "it takes schedule_factor, schedule_interval";
      case Kind::Constant:
        break;
    }
    return "it takes no schedule_* key";
  }

  Kind kind_ = Kind::Constant;
  double tau_ = 0.0;
  double period_ = 0.0;
  double floor_ = 0.0;
  double factor_ = 1.0;
  double interval_ = 0.0;
};

}  // namespace attnlab
