// Minimal streaming JSON writer for --json output. Strings are written as
// valid UTF-8 JSON: bytes that are not valid UTF-8 (torrent names often are
// not) become U+FFFD, so the output always parses; control characters
// (C0, DEL and C1) are \u escapes, so no line carries a terminal escape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fluxo::cli {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(unsigned n) { return value(static_cast<std::uint64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& value(bool b);
  JsonWriter& null();

  const std::string& str() const { return out_; }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

void append_json_string(std::string& out, std::string_view s);

}  // namespace fluxo::cli
