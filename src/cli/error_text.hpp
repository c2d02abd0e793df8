#pragma once

// polydb::Error in the CLI's terms. The library's messages say what to do in
// library terms ("write in replace mode") and name the remedy with a
// polydb::Hint; the CLI adds how its user does that ("use --mode replace").
// Private to src/cli.

#include <string>
#include <string_view>

#include "polydb/error.hpp"

namespace polydb::cli {

/// The CLI's words for `hint`: the flag or command that does what the
/// library's message suggests, e.g. "use --mode upsert". "" for Hint::none.
std::string_view flag_hint(Hint hint) noexcept;

/// True when `hint` names a remedy in the command's own flags because the
/// options given contradict each other or what the backends can do (copy's
/// --limit with --parallel, --mode replace without --non-atomic, ...): the
/// CLI reports such an Error as a usage error (exit status 2), like the flag
/// checks it makes itself.
bool usage_hint(Hint hint) noexcept;

/// The text the CLI prints for `e` after "polydb: error: ": the message, then
/// flag_hint(e.hint()) when there is one ("MESSAGE; use --mode upsert").
std::string error_text(const Error& e);

}  // namespace polydb::cli
