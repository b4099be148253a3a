// Test tool: rewrites the end marker of a model checkpoint (.ckpt) so that
// its checksum matches the text above it again. The CLI tests use it to make
// checkpoints that are consistent on disk but wrong inside (an unknown
// activation id, a header that disagrees with its config), to reach the
// checks that come after the checksum.
// Usage: resign_checkpoint IN OUT
#include <attnlab/framework/common/file_hash.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: resign_checkpoint IN OUT\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const auto marker = text.rfind("\n== end ");
  if (!in || marker == std::string::npos) {
    std::cerr << argv[1] << ": no end marker\n";
    return 1;
  }
  const std::string body = text.substr(0, marker + 1);
  std::istringstream fields(text.substr(marker + 1));
  std::string equals, end, count;
  fields >> equals >> end >> count;
  attnlab::Fnv1a hash;
  hash.add(body);
  std::ofstream(argv[2], std::ios::binary) << body << "== end " << count << " " << hash.text() << "\n";
  return 0;
}
