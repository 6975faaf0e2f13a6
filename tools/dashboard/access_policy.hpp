// Who may do what (docs/dashboard.md, "Security"). Every request passes check_access before its
// handler runs:
//   - Host: on a loopback bind, only this machine's names for it (a web page elsewhere that
//     renames itself to 127.0.0.1, "DNS rebinding", gets nothing);
//   - the token, when there is one: "Authorization: Bearer TOKEN" on every request, or "?token=TOKEN"
//     on the page's own URL (the page then sends the header);
//   - writes (raise, cancel): only with --allow-writes, only as JSON, and only from the dashboard's
//     own origin, so that another site's form or script cannot make them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "listen_address.hpp"

namespace duroxide::dashboard {

/// What a request asks for.
enum class RequestKind {
  Page,  ///< the page itself: the token may come as ?token=
  Read,  ///< an API read
  Write  ///< an API call that changes the store
};

struct AccessPolicy {
  /// Empty: no token needed.
  std::string token;
  bool allow_writes = false;
  /// The Host header values accepted; empty accepts any (a bind on another address, where the
  /// token guards every request).
  std::vector<std::string> allowed_hosts;
};

/// The policy for a server bound at `bound` (its real port).
AccessPolicy make_access_policy(const ListenAddress& bound, std::string token, bool allow_writes);

/// Why a request is refused.
struct Refusal {
  int status = 403;
  std::string message;
};

/// Nothing when the request may go on; else the status (401, 403 or 415) and a message saying why.
std::optional<Refusal> check_access(const AccessPolicy& policy, const httplib::Request& request, RequestKind kind);

}  // namespace duroxide::dashboard
