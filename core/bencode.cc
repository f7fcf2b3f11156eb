#include "core/bencode.h"

#include <algorithm>
#include <limits>
#include <string>

namespace fluxo::bencode {
namespace {

// Hard cap from the 32-bit token offsets.
constexpr std::size_t kMaxAddressable = std::numeric_limits<std::uint32_t>::max() - 1;

struct Frame {
  std::uint32_t token;
  bool is_dict;
  bool expect_key;        // dicts only: the next item is a key
  bool sorted;            // dicts only: keys so far strictly increasing
  std::string_view last_key;
};

Status error(std::string msg, std::size_t offset) {
  return Status(ErrorCode::parse_error, std::move(msg), offset);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A parse failure: what and where. Only turned into a Status on the error
// path, so the success path builds no strings.
struct Fail {
  const char* what = nullptr;
  std::size_t at = 0;
};

// Parses the canonical integer whose digits (with optional '-') start at pos
// and are terminated by `term`. On success sets value and the terminator's
// position. `bound` caps the magnitude (for string lengths: what is left).
inline Fail parse_number(std::string_view in, std::size_t pos, char term, bool allow_negative,
                         std::uint64_t bound, std::int64_t& value, std::size_t& term_pos) {
  const std::size_t start = pos;
  const std::size_t n = in.size();
  bool negative = false;
  if (pos < n && in[pos] == '-') {
    if (!allow_negative) return {"negative length", pos};
    negative = true;
    ++pos;
  }
  const std::size_t digits_start = pos;
  std::uint64_t magnitude = 0;
  // The negative bound is one larger than the positive one in int64.
  const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : bound;
  // Up to 19 digits fit in 64 unsigned bits, so the loop needs no overflow
  // test per digit; one comparison against the limit follows.
  const char* overflow =
      allow_negative ? "integer out of 64-bit range" : "string length exceeds the remaining input";
  while (pos < n && is_digit(in[pos])) {
    if (pos - digits_start == 19) return {overflow, start};
    magnitude = magnitude * 10 + static_cast<std::uint64_t>(in[pos] - '0');
    ++pos;
  }
  if (magnitude > limit) return {overflow, start};
  const std::size_t ndigits = pos - digits_start;
  if (pos >= n) return {"unexpected end of input in number", pos};
  if (ndigits == 0) return {"expected a digit", pos};
  if (in[digits_start] == '0' && ndigits > 1) return {"number with a leading zero", start};
  if (negative && magnitude == 0) return {"negative zero", start};
  if (in[pos] != term) return {term == ':' ? "expected ':' after string length" : "expected 'e' after integer", pos};
  value = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  term_pos = pos;
  return {};
}

// Called when a dict with unsorted keys closes: reject duplicates.
Status check_duplicate_keys(const std::vector<Token>& tokens, std::string_view in,
                            std::uint32_t dict_index) {
  std::vector<std::pair<std::string_view, std::uint32_t>> keys;
  keys.reserve(tokens[dict_index].aux);
  for (std::uint32_t i = dict_index + 1; i < tokens[dict_index].next; i = tokens[tokens[i].next].next) {
    const Token& k = tokens[i];
    keys.emplace_back(in.substr(k.aux, k.end - k.aux), k.start);
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].first == keys[i - 1].first) {
      return error("duplicate dictionary key", std::max(keys[i].second, keys[i - 1].second));
    }
  }
  return Status::ok();
}

}  // namespace

Result<Document> decode(std::string_view in, const Limits& limits) {
  if (in.size() > limits.max_input_size || in.size() > kMaxAddressable) {
    return Status(ErrorCode::limit_exceeded,
                  "input of " + std::to_string(in.size()) + " bytes exceeds the limit of " +
                      std::to_string(std::min(limits.max_input_size, kMaxAddressable)) + " bytes");
  }
  if (in.empty()) return error("empty input", 0);

  Document doc;
  doc.input_ = in;
  std::vector<Token>& tokens = doc.tokens_;
  // A guess that avoids most regrowth for torrents without reserving for hostile sizes.
  tokens.reserve(std::min<std::size_t>(in.size() / 8 + 16, limits.max_tokens));
  std::vector<Frame> stack;
  std::size_t pos = 0;

  auto too_many = [&](std::size_t at) {
    return Status(ErrorCode::limit_exceeded, "more than " + std::to_string(limits.max_tokens) + " items", at);
  };
  auto push_token = [&](Type type, std::size_t start) {
    tokens.push_back(Token{static_cast<std::uint32_t>(start), 0, 0, 0, type});
  };

  // Called after an item (scalar or closed container) is complete.
  auto item_done = [&]() {
    if (!stack.empty()) {
      Frame& f = stack.back();
      if (f.is_dict) {
        if (!f.expect_key) ++tokens[f.token].aux;  // a full pair
        f.expect_key = !f.expect_key;
      } else {
        ++tokens[f.token].aux;
      }
    }
  };

  while (true) {
    if (pos >= in.size()) {
      return error(stack.empty() ? "unexpected end of input" : "unterminated list or dictionary", pos);
    }
    char c = in[pos];

    if (c == 'e' && !stack.empty()) {
      Frame f = stack.back();
      if (f.is_dict && !f.expect_key) return error("dictionary key without a value", pos);
      Token& t = tokens[f.token];
      t.end = static_cast<std::uint32_t>(pos + 1);
      t.next = static_cast<std::uint32_t>(tokens.size());
      if (f.is_dict && !f.sorted) {
        doc.canonical_ = false;
        Status s = check_duplicate_keys(tokens, in, f.token);
        if (!s) return s;
      }
      stack.pop_back();
      ++pos;
      item_done();
      if (stack.empty()) break;
      continue;
    }

    Frame* parent = stack.empty() ? nullptr : &stack.back();
    bool is_key = parent != nullptr && parent->is_dict && parent->expect_key;
    if (is_key && !is_digit(c)) return error("dictionary key is not a string", pos);

    if (c == 'i') {
      if (tokens.size() >= limits.max_tokens) return too_many(pos);
      push_token(Type::integer, pos);
      std::int64_t value = 0;
      std::size_t term = 0;
      Fail f = parse_number(in, pos + 1, 'e', true, std::numeric_limits<std::int64_t>::max(), value, term);
      if (f.what) return error(f.what, f.at);
      Token& t = tokens.back();
      t.aux = static_cast<std::uint32_t>(pos + 1);
      t.end = static_cast<std::uint32_t>(term + 1);
      t.next = static_cast<std::uint32_t>(tokens.size());
      pos = term + 1;
      item_done();
    } else if (is_digit(c)) {
      if (tokens.size() >= limits.max_tokens) return too_many(pos);
      push_token(Type::string, pos);
      std::int64_t len = 0;
      std::size_t colon = 0;
      // Bound the length by what is left: nothing is trusted beyond the input.
      Fail f = parse_number(in, pos, ':', false, in.size() - pos, len, colon);
      if (f.what) return error(f.what, f.at);
      auto ulen = static_cast<std::size_t>(len);
      if (ulen > in.size() - colon - 1) {
        return error("string length " + std::to_string(ulen) + " exceeds the remaining input", pos);
      }
      Token& t = tokens.back();
      t.aux = static_cast<std::uint32_t>(colon + 1);
      t.end = static_cast<std::uint32_t>(colon + 1 + ulen);
      t.next = static_cast<std::uint32_t>(tokens.size());
      if (is_key) {
        std::string_view key = in.substr(colon + 1, ulen);
        if (parent->sorted && parent->token + 1 != tokens.size() - 1) {
          int cmp = key.compare(parent->last_key);
          if (cmp == 0) return error("duplicate dictionary key", pos);
          if (cmp < 0) parent->sorted = false;
        }
        parent->last_key = key;
      }
      pos = colon + 1 + ulen;
      item_done();
    } else if (c == 'l' || c == 'd') {
      if (stack.size() >= limits.max_depth) {
        return Status(ErrorCode::limit_exceeded,
                      "nesting deeper than " + std::to_string(limits.max_depth), pos);
      }
      if (tokens.size() >= limits.max_tokens) return too_many(pos);
      push_token(c == 'l' ? Type::list : Type::dict, pos);
      stack.push_back(Frame{static_cast<std::uint32_t>(tokens.size() - 1), c == 'd', true, true, {}});
      ++pos;
      continue;
    } else {
      return error(std::string("unexpected byte 0x") + "0123456789abcdef"[(c >> 4) & 0xf] +
                       "0123456789abcdef"[c & 0xf],
                   pos);
    }
    if (stack.empty()) break;
  }

  if (pos != in.size()) {
    if (!limits.allow_trailing) return error("trailing data after the top-level value", pos);
    doc.trailing_ = in.size() - pos;
  }
  return doc;
}

Node Document::root() const { return Node(tokens_.data(), input_, 0); }

std::optional<std::int64_t> Node::as_int() const {
  if (!is_int()) return std::nullopt;
  const Token& t = tok();
  std::size_t p = t.aux;
  bool negative = input_[p] == '-';
  if (negative) ++p;
  std::uint64_t m = 0;
  for (; p + 1 < t.end; ++p) m = m * 10 + static_cast<std::uint64_t>(input_[p] - '0');
  return negative ? static_cast<std::int64_t>(0 - m) : static_cast<std::int64_t>(m);
}

std::optional<std::string_view> Node::as_string() const {
  if (!is_string()) return std::nullopt;
  return input_.substr(tok().aux, tok().end - tok().aux);
}

std::size_t Node::size() const {
  return (is_list() || is_dict()) ? tok().aux : 0;
}

std::optional<Node> Node::find(std::string_view key) const {
  for (auto [k, v] : entries()) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Node::Range<Node::ListIterator> Node::items() const {
  if (!is_list()) return {{}, {}};
  return {{tokens_, input_, index_ + 1}, {tokens_, input_, tok().next}};
}

Node::Range<Node::DictIterator> Node::entries() const {
  if (!is_dict()) return {{}, {}};
  return {{tokens_, input_, index_ + 1}, {tokens_, input_, tok().next}};
}

}  // namespace fluxo::bencode
