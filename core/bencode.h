// Strict, bounded bencode decoder (BEP 3).
//
// decode() parses a byte span into a flat array of tokens without copying the
// input and without recursion: a Document is a view over the caller's bytes,
// so the input must outlive the Document and every Node taken from it.
// Documents are immutable after decode and safe to read from many threads.
//
// Strictness: integers are canonical (no leading zeros, no "-0", no empty
// digits, within int64); string lengths are canonical and checked against the
// remaining input before anything is used; dictionary keys must be strings
// and must not repeat. Unsorted keys are accepted (many real torrents have
// them) and reported by Document::canonical(), because the info-hash is taken
// over the bytes as they appear, never over a re-encoding. Every error carries
// the byte offset where it was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace fluxo::bencode {

enum class Type : std::uint8_t { integer, string, list, dict };

struct Limits {
  std::size_t max_input_size = 64u << 20;  // bytes
  std::size_t max_depth = 100;             // nested lists/dicts
  std::size_t max_tokens = 8'000'000;      // items of any kind
  // Bytes after the top-level value: refused, or (when allowed) ignored and
  // counted in Document::trailing().
  bool allow_trailing = false;
};

// One decoded item. 20 bytes; offsets are 32-bit, so inputs are capped below
// 4 GiB whatever the configured limit.
struct Token {
  std::uint32_t start;  // offset of the item's first byte
  std::uint32_t end;    // one past the item's last byte
  std::uint32_t next;   // index of the token that follows this item's subtree
  std::uint32_t aux;    // string: payload offset; integer: digits offset;
                        // list: element count; dict: pair count
  Type type;
};

class Node;

class Document {
 public:
  Node root() const;
  // True when every dictionary had strictly sorted keys.
  bool canonical() const { return canonical_; }
  std::size_t token_count() const { return tokens_.size(); }
  std::string_view input() const { return input_; }
  // Bytes after the top-level value (only with Limits::allow_trailing).
  std::size_t trailing() const { return trailing_; }

 private:
  friend Result<Document> decode(std::string_view, const Limits&);
  std::string_view input_;
  std::vector<Token> tokens_;
  bool canonical_ = true;
  std::size_t trailing_ = 0;
};

Result<Document> decode(std::string_view input, const Limits& limits = {});

// A read-only view of one item in a Document. Cheap to copy.
class Node {
 public:
  Node(const Token* tokens, std::string_view input, std::uint32_t index)
      : tokens_(tokens), input_(input), index_(index) {}

  Type type() const { return tok().type; }
  bool is_int() const { return type() == Type::integer; }
  bool is_string() const { return type() == Type::string; }
  bool is_list() const { return type() == Type::list; }
  bool is_dict() const { return type() == Type::dict; }

  std::optional<std::int64_t> as_int() const;
  std::optional<std::string_view> as_string() const;
  // The item's bytes exactly as they appear in the input.
  std::string_view raw() const { return input_.substr(tok().start, tok().end - tok().start); }
  std::size_t offset() const { return tok().start; }
  // Elements of a list, pairs of a dict, 0 otherwise.
  std::size_t size() const;

  // Looks a key up in a dict (linear; dicts in torrents are small). nullopt
  // if this is not a dict or the key is absent.
  std::optional<Node> find(std::string_view key) const;

  class ListIterator;
  class DictIterator;
  template <typename It>
  struct Range {
    It b, e;
    It begin() const { return b; }
    It end() const { return e; }
  };
  // Elements of a list (empty range for other types).
  Range<ListIterator> items() const;
  // (key, value) pairs of a dict (empty range for other types).
  Range<DictIterator> entries() const;

 private:
  const Token& tok() const { return tokens_[index_]; }
  const Token* tokens_;
  std::string_view input_;
  std::uint32_t index_;
};

class Node::ListIterator {
 public:
  using value_type = Node;
  using difference_type = std::ptrdiff_t;
  ListIterator() = default;
  ListIterator(const Token* t, std::string_view in, std::uint32_t i) : t_(t), in_(in), i_(i) {}
  Node operator*() const { return {t_, in_, i_}; }
  ListIterator& operator++() { i_ = t_[i_].next; return *this; }
  ListIterator operator++(int) { auto c = *this; ++*this; return c; }
  bool operator==(const ListIterator& o) const { return i_ == o.i_; }

 private:
  const Token* t_ = nullptr;
  std::string_view in_;
  std::uint32_t i_ = 0;
};

class Node::DictIterator {
 public:
  using value_type = std::pair<std::string_view, Node>;
  using difference_type = std::ptrdiff_t;
  DictIterator() = default;
  DictIterator(const Token* t, std::string_view in, std::uint32_t i) : t_(t), in_(in), i_(i) {}
  value_type operator*() const {
    return {*Node(t_, in_, i_).as_string(), Node(t_, in_, t_[i_].next)};
  }
  DictIterator& operator++() { i_ = t_[t_[i_].next].next; return *this; }
  DictIterator operator++(int) { auto c = *this; ++*this; return c; }
  bool operator==(const DictIterator& o) const { return i_ == o.i_; }

 private:
  const Token* t_ = nullptr;
  std::string_view in_;
  std::uint32_t i_ = 0;
};

}  // namespace fluxo::bencode
