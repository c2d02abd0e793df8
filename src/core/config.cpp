#include "polydb/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "polydb/error.hpp"

namespace polydb {
namespace {

constexpr std::array<std::string_view, 4> kFormats = {"table", "csv", "json", "ndjson"};
constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};

std::string location(std::string_view source, int line) {
  std::string out(source);
  if (line > 0) out += ':' + std::to_string(line);
  return out + ": ";
}

// Everything the parser needs to say where a problem is.
struct Source {
  std::string name;

  [[noreturn]] void fail(int line, const std::string& message) const {
    throw Error(ErrorCode::invalid_argument, location(name, line) + message);
  }
};

// yaml-cpp marks are 0-based, and -1 for nodes that have no position.
int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

// An empty value ("key:") is marked on the line after its key: report the key.
int value_line(const YAML::Node& key, const YAML::Node& value) {
  return value.IsNull() ? line_of(key) : line_of(value);
}

std::string_view kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

template <class Words>
std::string join(const Words& words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

bool valid_variable_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool valid_connection_name(std::string_view name) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (name.empty() || !letter(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '-'; });
}

// ${NAME}, ${NAME:-default} (default when unset or empty, itself
// substituted), $$ -> $. Messages never quote the text: it may be a password.
std::string substitute(std::string_view text, const Source& source, int line) {
  constexpr std::string_view kForms = "write ${NAME} or ${NAME:-default}, and $$ for a literal '$'";
  std::string out;
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (text[i] != '$' || i + 1 == n || (text[i + 1] != '$' && text[i + 1] != '{')) {
      out += text[i++];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    // Find the '}' that closes this "${", skipping nested ones in a default.
    std::size_t depth = 1;
    std::size_t j = i + 2;
    while (j < n) {
      if (text[j] == '$' && j + 1 < n && (text[j + 1] == '$' || text[j + 1] == '{')) {
        if (text[j + 1] == '{') ++depth;
        j += 2;
        continue;
      }
      if (text[j] == '}' && --depth == 0) break;
      ++j;
    }
    if (j >= n) source.fail(line, "unterminated '${' (" + std::string(kForms) + ")");
    const std::string_view inner = text.substr(i + 2, j - i - 2);
    const std::size_t dash = inner.find(":-");
    const std::string_view name = inner.substr(0, dash);
    if (!valid_variable_name(name)) {
      source.fail(line,
                  "invalid environment variable reference: a name is letters, digits and '_', "
                  "not starting with a digit (" +
                      std::string(kForms) + ")");
    }
    const char* value = std::getenv(std::string(name).c_str());
    if (dash == std::string_view::npos) {
      if (value == nullptr) {
        source.fail(line, "environment variable " + std::string(name) +
                              " is not set (set it or write ${" + std::string(name) +
                              ":-default})");
      }
      out += value;
    } else if (value != nullptr && *value != '\0') {
      out += value;
    } else {
      out += substitute(inner.substr(dash + 2), source, line);
    }
    i = j + 1;
  }
  return out;
}

// A scalar value after substitution; an empty value ("key:") is "".
// `what` names the value in messages, e.g. "the password of connection 'x'".
std::string scalar(const YAML::Node& key, const YAML::Node& value, std::string_view what,
                   const Source& source) {
  if (value.IsNull()) return {};
  if (!value.IsScalar()) {
    source.fail(line_of(key),
                std::string(what) + " must be a string, not " + std::string(kind(value)));
  }
  return substitute(value.Scalar(), source, line_of(value));
}

// Walks a map's entries, checking that keys are strings, known and unique.
// `where` completes "unknown key 'k' <where>".
template <class OnEntry>
void for_each_entry(const YAML::Node& map, std::string_view where,
                    std::initializer_list<std::string_view> known, const Source& source,
                    OnEntry on_entry) {
  std::map<std::string, int, std::less<>> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // Copies: yaml-cpp's iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      source.fail(line_of(key),
                  "keys " + std::string(where) + " must be strings, not " + std::string(kind(key)));
    }
    const std::string& name = key.Scalar();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      source.fail(line_of(key), "unknown key '" + name + "' " + std::string(where) +
                                    " (expected one of: " + join(known) + ")");
    }
    if (auto [first, inserted] = seen.emplace(name, line_of(key)); !inserted) {
      source.fail(line_of(key), "duplicate key '" + name + "' " + std::string(where) +
                                    " (first on line " + std::to_string(first->second) + ")");
    }
    on_entry(name, key, value);
  }
}

// True when `value`, the value of `key`, is a map; false when it is empty
// ("key:"); anything else is an error.
bool is_map_or_empty(const YAML::Node& key, const YAML::Node& value, std::string_view what,
                     const Source& source) {
  if (value.IsNull()) return false;
  if (!value.IsMap()) {
    source.fail(line_of(key),
                std::string(what) + " must be a map, not " + std::string(kind(value)));
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> parse_options(const YAML::Node& key,
                                                               const YAML::Node& value,
                                                               const std::string& connection,
                                                               const Source& source) {
  std::vector<std::pair<std::string, std::string>> options;
  if (!is_map_or_empty(key, value, "the options of connection '" + connection + "'", source)) {
    return options;
  }
  std::vector<int> lines;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const YAML::Node option_key = it->first;
    const YAML::Node option_value = it->second;
    if (!option_key.IsScalar() || option_key.Scalar().empty()) {
      source.fail(line_of(option_key),
                  "option names of connection '" + connection + "' must be non-empty strings");
    }
    const std::string& name = option_key.Scalar();
    for (std::size_t k = 0; k < options.size(); ++k) {
      if (option_keys_equal(options[k].first, name)) {
        source.fail(line_of(option_key), "option '" + name + "' of connection '" + connection +
                                             "' repeats '" + options[k].first + "' (line " +
                                             std::to_string(lines[k]) + ")");
      }
    }
    options.emplace_back(
        name, scalar(option_key, option_value,
                     "option '" + name + "' of connection '" + connection + "'", source));
    lines.push_back(line_of(option_key));
  }
  return options;
}

ConnectionConfig parse_connection(const YAML::Node& key, const YAML::Node& value,
                                  const Source& source) {
  ConnectionConfig connection;
  connection.name = key.Scalar();
  connection.source = source.name;
  connection.line = line_of(key);
  const std::string& name = connection.name;
  const std::string forms = "write " + name + ": scheme://... or " + name + ": {url: scheme://...}";

  if (value.IsScalar()) {
    connection.url = substitute(value.Scalar(), source, line_of(value));
    return connection;
  }
  if (!value.IsMap()) {
    source.fail(line_of(key), "connection '" + name + "' must be a URL or a map with url, " +
                                  "password and options, not " + std::string(kind(value)) + " (" +
                                  forms + ")");
  }
  bool has_url = false;
  for_each_entry(value, "in connection '" + name + "'", {"url", "password", "options"}, source,
                 [&](const std::string& field, const YAML::Node& k, const YAML::Node& v) {
                   if (field == "url") {
                     if (v.IsNull()) {
                       source.fail(line_of(k), "connection '" + name + "' has an empty url");
                     }
                     connection.url = scalar(k, v, "the url of connection '" + name + "'", source);
                     has_url = true;
                   } else if (field == "password") {
                     connection.password =
                         Secret(scalar(k, v, "the password of connection '" + name + "'", source));
                   } else {
                     connection.options = parse_options(k, v, name, source);
                   }
                 });
  if (!has_url)
    source.fail(connection.line, "connection '" + name + "' has no url (" + forms + ")");
  return connection;
}

std::vector<ConnectionConfig> parse_connections(const YAML::Node& key, const YAML::Node& value,
                                                const Source& source) {
  std::vector<ConnectionConfig> connections;
  if (!is_map_or_empty(key, value, "'connections'", source)) return connections;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const YAML::Node name_node = it->first;
    const YAML::Node entry = it->second;
    if (!name_node.IsScalar() || !valid_connection_name(name_node.Scalar())) {
      source.fail(line_of(name_node),
                  "invalid connection name" +
                      (name_node.IsScalar() ? " '" + name_node.Scalar() + "'" : std::string()) +
                      " (use letters, digits, '_' and '-', starting with a letter or '_')");
    }
    // yaml-cpp keeps both entries of a repeated key: catch it here.
    const std::string& name = name_node.Scalar();
    for (const ConnectionConfig& earlier : connections) {
      if (earlier.name == name) {
        source.fail(line_of(name_node), "duplicate connection name '" + name +
                                            "' (first defined on line " +
                                            std::to_string(earlier.line) + ")");
      }
    }
    connections.push_back(parse_connection(name_node, entry, source));
  }
  return connections;
}

std::string parse_choice(const YAML::Node& key, const YAML::Node& value, std::string_view what,
                         const auto& choices, const Source& source) {
  std::string text = scalar(key, value, what, source);
  std::string lowered = text;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (std::find(choices.begin(), choices.end(), lowered) == choices.end()) {
    source.fail(value_line(key, value),
                std::string(what) + " must be one of " + join(choices) + ", not '" + text + "'");
  }
  return lowered;
}

std::size_t parse_positive_integer(const YAML::Node& key, const YAML::Node& value,
                                   std::string_view what, const Source& source) {
  const std::string text = scalar(key, value, what, source);
  std::size_t result = 0;
  bool ok = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9' || result > (std::numeric_limits<std::size_t>::max() - 9) / 10) {
      ok = false;
      break;
    }
    result = result * 10 + static_cast<std::size_t>(c - '0');
  }
  if (!ok || result == 0) {
    source.fail(value_line(key, value),
                std::string(what) + " must be a positive integer, not '" + text + "'");
  }
  return result;
}

Uri connection_uri(const ConnectionConfig& connection, int line) {
  Uri uri;
  try {
    uri = Uri::parse(connection.url);
  } catch (const Error& e) {
    // Uri::parse's message already quotes the URL redacted.
    throw Error(e.code(), location(connection.source, line) + "connection '" + connection.name +
                              "': " + e.message());
  }
  if (!connection.password.empty()) uri.password = connection.password;
  for (const auto& [key, value] : connection.options) uri.set_option(key, value);
  return uri;
}

}  // namespace

Uri ConnectionConfig::uri() const { return connection_uri(*this, line); }

Config Config::load_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    throw Error(ErrorCode::not_found, "config file '" + name + "' not found");
  }
  if (ec) {
    throw Error(ErrorCode::io, "cannot read config file '" + name + "': " + ec.message());
  }
  if (std::filesystem::is_directory(status)) {
    throw Error(ErrorCode::io, "cannot read config file '" + name + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::io, "cannot read config file '" + name +
                                   "': " + std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw Error(ErrorCode::io, "cannot read config file '" + name + "': read error");
  }
  return parse(text.str(), name);
}

Config Config::parse(std::string_view yaml_text, std::string_view source_name) {
  const Source source{std::string(source_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    std::string message = "YAML syntax error: " + e.msg;
    // The likeliest cause in this file: an unquoted `sqlite::memory:`.
    if (e.msg == YAML::ErrorMsg::MAP_VALUE) {
      message += " (quote values that contain ': ' or end in ':', e.g. \"sqlite::memory:\")";
    }
    source.fail(e.mark.is_null() ? 0 : e.mark.line + 1, message);
  }

  Config config;
  if (!root.IsDefined() || root.IsNull()) return config;
  if (!root.IsMap()) {
    source.fail(std::max(line_of(root), 1),
                "the top level must be a map with keys connections, defaults and log, not " +
                    std::string(kind(root)));
  }
  for_each_entry(
      root, "at the top level", {"connections", "defaults", "log"}, source,
      [&](const std::string& section, const YAML::Node& key, const YAML::Node& value) {
        if (section == "connections") {
          config.connections_ = parse_connections(key, value, source);
        } else if (section == "defaults") {
          if (!is_map_or_empty(key, value, "'defaults'", source)) return;
          for_each_entry(value, "in defaults", {"format", "batch_size"}, source,
                         [&](const std::string& field, const YAML::Node& k, const YAML::Node& v) {
                           if (field == "format") {
                             config.default_format_ =
                                 parse_choice(k, v, "defaults.format", kFormats, source);
                           } else {
                             config.default_batch_size_ =
                                 parse_positive_integer(k, v, "defaults.batch_size", source);
                           }
                         });
        } else {
          if (!is_map_or_empty(key, value, "'log'", source)) return;
          for_each_entry(value, "in log", {"level"}, source,
                         [&](const std::string&, const YAML::Node& k, const YAML::Node& v) {
                           config.log_level_ = parse_choice(k, v, "log.level", kLogLevels, source);
                         });
        }
      });

  // Fail at load time, not at first use, when a URL is malformed.
  for (const ConnectionConfig& connection : config.connections_) {
    connection_uri(connection, connection.line);
  }
  return config;
}

const ConnectionConfig* Config::find(std::string_view name) const {
  for (const ConnectionConfig& connection : connections_) {
    if (connection.name == name) return &connection;
  }
  return nullptr;
}

std::vector<std::string> Config::connection_names() const {
  std::vector<std::string> names;
  names.reserve(connections_.size());
  for (const ConnectionConfig& connection : connections_) names.push_back(connection.name);
  return names;
}

}  // namespace polydb
