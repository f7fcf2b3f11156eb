#include "core/bencode_value.h"

namespace fluxo::bencode {

void encode_to(const Value& v, std::string& out) {
  if (v.is_int()) {
    out.push_back('i');
    out += std::to_string(v.as_int());
    out.push_back('e');
  } else if (v.is_string()) {
    const std::string& s = v.as_string();
    out += std::to_string(s.size());
    out.push_back(':');
    out += s;
  } else if (v.is_list()) {
    out.push_back('l');
    for (const Value& e : v.as_list()) encode_to(e, out);
    out.push_back('e');
  } else {
    out.push_back('d');
    for (const auto& [k, e] : v.as_dict()) {
      out += std::to_string(k.size());
      out.push_back(':');
      out += k;
      encode_to(e, out);
    }
    out.push_back('e');
  }
}

std::string encode(const Value& v) {
  std::string out;
  encode_to(v, out);
  return out;
}

Value to_value(const Node& node) {
  switch (node.type()) {
    case Type::integer: return Value(*node.as_int());
    case Type::string: return Value(*node.as_string());
    case Type::list: {
      Value::List l;
      l.reserve(node.size());
      for (Node e : node.items()) l.push_back(to_value(e));
      return Value(std::move(l));
    }
    case Type::dict: {
      Value::Dict d;
      for (auto [k, e] : node.entries()) d.emplace(std::string(k), to_value(e));
      return Value(std::move(d));
    }
  }
  return Value();
}

}  // namespace fluxo::bencode
