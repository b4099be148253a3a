// The plugin parameter parser (attnlab::Params), as plugins see it.
#include <attnlab/sdk/params.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

using attnlab::ParamError;
using attnlab::Params;
using Catch::Matchers::Message;

TEST_CASE("numbers parse, including signs and exponents", "[params]") {
  const Params params = Params::parse("a = 1.5\nb = -2e-3\nc=+7");
  CHECK(params.number("a") == 1.5);
  CHECK(params.number("b") == -2e-3);
  CHECK(params.number("c") == 7.0);
}

TEST_CASE("a fallback applies only when the key is absent, and marks the key as accepted", "[params]") {
  const Params params = Params::parse("beta = 3");
  CHECK(params.number("beta", 1.0) == 3.0);
  CHECK(params.number("gamma", 0.25) == 0.25);
  CHECK(params.integer("steps", 10) == 10);
  CHECK(params.text("mode", "plain") == "plain");
  CHECK_NOTHROW(params.require_all_used());
}

TEST_CASE("integers must be whole numbers", "[params]") {
  const Params params = Params::parse("n = 12\nbig = 1e3\nhalf = 3.5");
  CHECK(params.integer("n") == 12);
  CHECK(params.integer("big") == 1000);
  CHECK_THROWS_MATCHES(params.integer("half"), ParamError, Message("parameter 'half' must be an integer, got 3.5"));
}

TEST_CASE("integers beyond 9e15 in magnitude are out of range, not fractional", "[params]") {
  const Params params = Params::parse("edge = 9e15\nmax = 9223372036854775807\nlow = -9000000000000001\nhuge = 1e300");
  CHECK(params.integer("edge") == 9'000'000'000'000'000);
  CHECK_THROWS_MATCHES(
      params.integer("max"), ParamError,
      Message("parameter 'max' = 9223372036854775807 is out of range for an integer (at most 9e15 in magnitude)"));
  CHECK_THROWS_MATCHES(
      params.integer("low"), ParamError,
      Message("parameter 'low' = -9000000000000001 is out of range for an integer (at most 9e15 in magnitude)"));
  CHECK_THROWS_MATCHES(params.integer("huge"), ParamError,
                       Message("parameter 'huge' = 1e300 is out of range for an integer (at most 9e15 in magnitude)"));
}

TEST_CASE("a quoted value is a string, not a number", "[params]") {
  const Params params = Params::parse("D = \"100\"\nlr = \"0.5\"\nv = [1, \"2\"]\nw = \"[1, 2]\"\nm = [[1], [\"x\"]]");
  CHECK_THROWS_MATCHES(params.integer("D"), ParamError,
                       Message("parameter 'D' must be a number, got the string \"100\""));
  CHECK_THROWS_MATCHES(params.number("lr"), ParamError,
                       Message("parameter 'lr' must be a number, got the string \"0.5\""));
  CHECK_THROWS_MATCHES(params.numbers("v"), ParamError,
                       Message("parameter 'v' must be a number, got the string \"2\""));
  CHECK_THROWS_MATCHES(params.numbers("w"), ParamError,
                       Message("parameter 'w' must be a list like [1, 2], got the string \"[1, 2]\""));
  CHECK_THROWS_MATCHES(params.rows("m"), ParamError, Message("parameter 'm' must be a number, got the string \"x\""));
  CHECK(params.text("D") == "100");
}

TEST_CASE("text values, quoted or not", "[params]") {
  const Params params = Params::parse("name = \"two words\"\nkind = gaussian");
  CHECK(params.text("name") == "two words");
  CHECK(params.text("kind") == "gaussian");
}

TEST_CASE("lists and lists of lists", "[params]") {
  const Params params = Params::parse("v = [1, 2.5, -3]\nempty = []\nm = [[1, 0], [-1, 0.5]]");
  CHECK(params.numbers("v") == std::vector<double>{1.0, 2.5, -3.0});
  CHECK(params.numbers("empty").empty());
  CHECK(params.rows("m") == std::vector<std::vector<double>>{{1.0, 0.0}, {-1.0, 0.5}});
}

TEST_CASE("comments, blank lines and ';' separators", "[params]") {
  const Params params = Params::parse("# a comment line\n\n  a = 1   # trailing comment\nb = 2; c = 3 ;\n");
  CHECK(params.number("a") == 1.0);
  CHECK(params.number("b") == 2.0);
  CHECK(params.number("c") == 3.0);
  CHECK_NOTHROW(params.require_all_used());
}

TEST_CASE("empty text gives no parameters", "[params]") {
  const Params params = Params::parse("");
  CHECK_FALSE(params.has("a"));
  CHECK_NOTHROW(params.require_all_used());
}

TEST_CASE("a missing key is named", "[params]") {
  const Params params = Params::parse("a = 1");
  CHECK_THROWS_MATCHES(params.number("lr"), ParamError, Message("missing parameter 'lr'"));
  CHECK_THROWS_MATCHES(params.numbers("v"), ParamError, Message("missing parameter 'v'"));
}

TEST_CASE("a key given twice is refused", "[params]") {
  CHECK_THROWS_MATCHES(Params::parse("a = 1\na = 2"), ParamError, Message("parameter 'a' is given twice"));
  CHECK_THROWS_MATCHES(Params::parse("a = 1; a = 1"), ParamError, Message("parameter 'a' is given twice"));
}

TEST_CASE("keys no accessor asked about are unknown, and the accepted ones are listed", "[params]") {
  const Params params = Params::parse("beta = 1; gamma = 2; delta = 3");
  CHECK(params.number("beta") == 1.0);
  CHECK_THROWS_MATCHES(params.require_all_used(), ParamError,
                       Message("unknown parameter 'delta', 'gamma' (accepted: beta)"));

  const Params unused = Params::parse("x = 1");
  CHECK_THROWS_MATCHES(unused.require_all_used(), ParamError, Message("unknown parameter 'x' (accepted: none)"));
}

TEST_CASE("values that are not finite numbers are refused with the offending text", "[params]") {
  const Params params = Params::parse("word = abc\ntrailing = 1.5x\nnan = nan\ninf = inf\nempty =\nlist = [1, x]");
  CHECK_THROWS_MATCHES(params.number("word"), ParamError,
                       Message("parameter 'word' must be a finite number, got 'abc'"));
  CHECK_THROWS_MATCHES(params.number("trailing"), ParamError,
                       Message("parameter 'trailing' must be a finite number, got '1.5x'"));
  CHECK_THROWS_MATCHES(params.number("nan"), ParamError, Message("parameter 'nan' must be a finite number, got 'nan'"));
  CHECK_THROWS_MATCHES(params.number("inf"), ParamError, Message("parameter 'inf' must be a finite number, got 'inf'"));
  CHECK_THROWS_MATCHES(params.number("empty"), ParamError,
                       Message("parameter 'empty' must be a finite number, got ''"));
  CHECK_THROWS_MATCHES(params.numbers("list"), ParamError,
                       Message("parameter 'list' must be a finite number, got 'x'"));
}

TEST_CASE("numbers that overflow a double are out of range; subnormal ones are accepted", "[params]") {
  const Params params = Params::parse("huge = 1e999\nlow = -2e308\ntiny = 1e-320\ngone = 1e-400\nv = [1, 1e999]");
  CHECK_THROWS_MATCHES(
      params.number("huge"), ParamError,
      Message("parameter 'huge' = 1e999 is out of range for a number (largest magnitude about 1.8e308)"));
  CHECK_THROWS_MATCHES(
      params.number("low"), ParamError,
      Message("parameter 'low' = -2e308 is out of range for a number (largest magnitude about 1.8e308)"));
  CHECK_THROWS_MATCHES(params.numbers("v"), ParamError,
                       Message("parameter 'v' = 1e999 is out of range for a number (largest magnitude about 1.8e308)"));
  const double tiny = params.number("tiny");
  CHECK(std::fpclassify(tiny) == FP_SUBNORMAL);
  CHECK(tiny == std::strtod("1e-320", nullptr));
  CHECK(params.number("gone") == 0.0);  // below the smallest subnormal: rounds to 0
}

TEST_CASE("malformed lists are refused", "[params]") {
  const Params params = Params::parse("bare = 1, 2\nopen = [[1, 2], [3]\nflat = [1, 2]");
  CHECK_THROWS_MATCHES(params.numbers("bare"), ParamError,
                       Message("parameter 'bare' must be a list like [1, 2], got '1, 2'"));
  CHECK_THROWS_MATCHES(params.rows("open"), ParamError, Message("parameter 'open' has unbalanced brackets"));
  CHECK_THROWS_MATCHES(params.rows("flat"), ParamError,
                       Message("parameter 'flat' must be a list like [1, 2], got '1'"));
}

TEST_CASE("lines that are not key = value are refused with their position", "[params]") {
  CHECK_THROWS_MATCHES(Params::parse("a = 1\njust words"), ParamError,
                       Message("parameter line 2 'just words' is not of the form key = value"));
  CHECK_THROWS_MATCHES(Params::parse(" = 3"), ParamError, Message("parameter line 1 has an empty key"));
}
