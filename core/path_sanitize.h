// Turning path components from a .torrent into names that can only ever
// resolve inside the download directory. Pure string functions: they know
// nothing about the file system.
//
// The policy, per case (clean = rename and warn, refuse = reject the torrent):
//   "." and ".."                    clean: the component is dropped (as
//                                   libtorrent does: nothing climbs out)
//   ""                              clean: "_" (libtorrent's name for it)
//   a NUL byte                      refuse: C APIs would silently truncate
//   '/' or '\' inside a component   clean: replaced by '_'
//   control bytes 0x01-0x1f, 0x7f   clean: replaced by '_'
//   Windows device names (CON, NUL, COM1, LPT1.txt, ...)
//                                   clean: prefixed with '_'
//   longer than 255 bytes           clean: shortened, extension kept
//   a path with no component left   clean: "_" (libtorrent's name for it)
//   the torrent's name (its top-level file or directory) ".fluxo", in any
//   letter case                     clean: becomes "_fluxo"; DIR/.fluxo/ is
//                                   where fluxo keeps its resume data
//                                   (sanitize_torrent_name)
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace fluxo {

inline constexpr std::size_t kMaxComponentBytes = 255;
inline constexpr std::size_t kMaxPathBytes = 4000;

struct SanitizedComponent {
  std::string name;  // empty when the component is dropped
  bool changed = false;
};

Result<SanitizedComponent> sanitize_component(std::string_view raw);

// The directory fluxo keeps beside a torrent's data in DIR (resume data).
inline constexpr std::string_view kStateDirName = ".fluxo";

// sanitize_component for the torrent's name, which is the top-level entry in
// the download directory: it may not be kStateDirName either (compared
// ignoring ASCII case, for case-insensitive file systems).
Result<SanitizedComponent> sanitize_torrent_name(std::string_view raw);

// Sanitizes each component and joins the survivors with '/' ("_" when none
// survives). `changed` is set when anything was renamed or dropped. Refused:
// a NUL byte, or a path longer than kMaxPathBytes.
Result<std::string> sanitize_path(std::span<const std::string_view> components, bool& changed);

}  // namespace fluxo
