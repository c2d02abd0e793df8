#include "net/ini.hpp"

#include <algorithm>

#include "net/headers.hpp"

namespace polydb::net {

IniSections parse_ini(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  IniSections sections;
  std::map<std::string, std::string>* section = nullptr;
  std::string* last_value = nullptr;  // the value an indented line continues
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);

    const bool indented = !line.empty() && (line.front() == ' ' || line.front() == '\t');
    const std::string_view content = trim_http_space(line);
    if (content.empty() || content.front() == '#' || content.front() == ';') continue;
    if (indented && last_value) {
      if (!last_value->empty()) *last_value += '\n';
      *last_value += content;
      continue;
    }
    last_value = nullptr;
    if (content.front() == '[') {
      const auto close = content.find(']');
      if (close == std::string_view::npos) {
        section = nullptr;  // a broken header: skip its keys rather than misfile them
        continue;
      }
      section = &sections[std::string(trim_http_space(content.substr(1, close - 1)))];
      continue;
    }
    const auto delimiter = content.find_first_of("=:");
    if (!section || delimiter == std::string_view::npos) continue;
    const std::string key = ascii_lower(trim_http_space(content.substr(0, delimiter)));
    if (key.empty()) continue;
    std::string& value = (*section)[key];
    value = std::string(trim_http_space(content.substr(delimiter + 1)));
    last_value = &value;
  }
  return sections;
}

}  // namespace polydb::net
