// An owning bencode value for building documents (torrent creation, tests)
// and its canonical encoder: dictionary keys are emitted in sorted byte order
// (std::map over std::string compares as unsigned bytes).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bencode.h"

namespace fluxo::bencode {

class Value {
 public:
  using List = std::vector<Value>;
  using Dict = std::map<std::string, Value, std::less<>>;

  Value() : v_(std::int64_t{0}) {}
  Value(std::int64_t i) : v_(i) {}                          // NOLINT
  Value(int i) : v_(std::int64_t{i}) {}                      // NOLINT
  Value(std::string s) : v_(std::move(s)) {}                 // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}          // NOLINT
  Value(const char* s) : v_(std::string(s)) {}               // NOLINT
  Value(List l) : v_(std::move(l)) {}                        // NOLINT
  Value(Dict d) : v_(std::move(d)) {}                        // NOLINT

  bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  bool is_list() const { return std::holds_alternative<List>(v_); }
  bool is_dict() const { return std::holds_alternative<Dict>(v_); }
  std::int64_t& as_int() { return std::get<std::int64_t>(v_); }
  std::string& as_string() { return std::get<std::string>(v_); }
  List& as_list() { return std::get<List>(v_); }
  Dict& as_dict() { return std::get<Dict>(v_); }
  const std::int64_t& as_int() const { return std::get<std::int64_t>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const List& as_list() const { return std::get<List>(v_); }
  const Dict& as_dict() const { return std::get<Dict>(v_); }

  bool operator==(const Value&) const = default;

 private:
  std::variant<std::int64_t, std::string, List, Dict> v_;
};

// Canonical encoding.
std::string encode(const Value& v);
void encode_to(const Value& v, std::string& out);

// Copies a decoded node into an owning Value. Depth is bounded by the limits
// the Document was decoded with.
Value to_value(const Node& node);

}  // namespace fluxo::bencode
