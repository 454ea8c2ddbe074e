// Codes of the block index's header acceptance (header_index.cc).
// TODO(h5-p2p): move into node/errors.h once the tidy-up's per-part code headers land.
#pragma once

namespace step::node::codes {

// The parent is not known yet (not invalid: it may arrive later).
inline constexpr char kUnknownParent[] = "unknown-parent";
// Extends a block known to be invalid, so invalid itself.
inline constexpr char kInvalidParent[] = "invalid-parent";
// Headers whose chain ends more than kHeaderReachBlocks of work below our best header chain:
// not stored (policy: says nothing bad about the headers themselves).
inline constexpr char kHeadersLowWork[] = "headers-low-work";
// Side-branch headers while the index already holds kMaxSideHeaders of them (policy).
inline constexpr char kSideHeadersFull[] = "side-headers-full";

}  // namespace step::node::codes
