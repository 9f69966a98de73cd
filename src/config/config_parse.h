// Internal to the config loader: turns ossec.conf documents into a Config. One ConfigParser
// reads every file of a configuration (main file, then conf.d) so that commands may be
// defined after, or in another file than, the responses that use them.
#pragma once

#include <libxml/tree.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/handles_xml.h"
#include "config/config.h"
#include "config/config_text.h"
namespace rampart::config_internal {

// A word an element may hold and what it means: {"ipset", FirewalldMode::Ipset}. `label`
// replaces the word in the error's list of choices when it needs explaining.
template <class T>
struct Choice {
  std::string_view word;
  T value;
  std::string_view label = {};
};

// "file:line: text" lines, errors and warnings kept apart.
struct Diagnostics {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// Real ossec.conf files are not well-formed XML. Make the text something libxml2 reads the
// way OSSEC's own parser does, keeping every line where it was: drop an <?xml?> declaration,
// escape a bare '&', and wrap everything in one synthetic root so several <ossec_config>
// blocks can sit side by side.
// `unclosed_comment_line`, when given, receives the line of a "<!--" that is never closed.
std::string prepare_xml_text(std::string_view text, int* unclosed_comment_line = nullptr);
inline constexpr std::string_view kSyntheticRoot = "rampart-config-document";

// Parses in libxml2's recovery mode. What libxml2 complains about becomes a warning, except
// when it stops reading early, which is an error because the rest of the file is lost.
// Returns null only when nothing could be read at all (also reported as an error).
XmlDocPtr read_xml(std::string_view text, const std::string& filename, Diagnostics& diag);

int line_of(const xmlNode* node);
std::string_view name_of(const xmlNode* node);
// The element children of `node`, skipping text and comments.
std::vector<const xmlNode*> child_elements(const xmlNode* node);

class ConfigParser;

// One child element a config block knows, and how it is read. Every block (the sections of
// <ossec_config>, <command>, <active-response>, <rampart> and its sub-blocks) is a table of
// these, in config_parse.cc, config_commands.cc and config_settings.cc: a new option is one
// row, such as
//   {"max_blocks", number_into(&Settings::max_blocks, 1, UINT32_MAX)},
// and a new sub-block one row naming its own table: {"node", block_into(kNodeBlock)}.
template <class Target>
struct Element {
  std::string_view name;
  std::function<void(ConfigParser& parser, const xmlNode* node, Target& target)> read;
  unsigned flags = 0;
};

// Element flags.
inline constexpr unsigned kRepeats = 1;   // may appear more than once without a warning
inline constexpr unsigned kUnlisted = 2;  // accepted and ignored: not offered in the hint

// Block flags.
inline constexpr unsigned kWarnTwice = 1;      // a repeated child: warning, the last one wins
inline constexpr unsigned kIgnoreUnknown = 2;  // unknown children are others' (<ossec_config>)

template <class Target>
struct Block {
  std::string_view name;  // the element, for messages: "command"
  std::vector<Element<Target>> elements;
  unsigned flags = 0;

  const Element<Target>* find(std::string_view child) const {
    for (const Element<Target>& e : elements)
      if (e.name == child) return &e;
    return nullptr;
  }
  // "name, executable, expect": what the hint for an unknown element offers.
  std::string known() const {
    std::string out;
    for (const Element<Target>& e : elements) {
      if (e.flags & kUnlisted) continue;
      if (!out.empty()) out += ", ";
      out += e.name;
    }
    return out;
  }
};

// The names of the children read so far, in order.
class SeenElements {
 public:
  bool insert(std::string_view name) {
    if (has(name)) return false;
    seen_.push_back(name);
    return true;
  }
  bool has(std::string_view name) const {
    return std::find(seen_.begin(), seen_.end(), name) != seen_.end();
  }

 private:
  std::vector<std::string_view> seen_;
};

class ConfigParser {
 public:
  void add_document(std::string_view text, const std::string& filename);
  // Resolves command references across all documents and returns the Config, or every
  // error in one EINVAL Error.
  Result<Config> finish();

  // Reads each child of `node` with its row in `block`; an unknown child is an error that
  // lists the known ones.
  template <class Target>
  SeenElements read_block(const xmlNode* node, const Block<Target>& block, Target& target) {
    SeenElements seen;
    for (const xmlNode* child : child_elements(node)) {
      std::string_view name = name_of(child);
      const Element<Target>* element = block.find(name);
      bool again = !seen.insert(name);
      if (again && (block.flags & kWarnTwice) && !(element && (element->flags & kRepeats)))
        warn(child, "<{}> appears twice in this <{}>; the last one wins", name, block.name);
      if (element)
        element->read(*this, child, target);
      else if (!(block.flags & kIgnoreUnknown))
        unknown_element(child, block.name, block.known());
    }
    return seen;
  }

  // Value readers: each reports its own error (naming the element and the fix) and returns
  // nullopt on a bad value.
  std::optional<std::string> text(const xmlNode* node);
  std::optional<bool> yes_no(const xmlNode* node);
  std::optional<uint32_t> number(const xmlNode* node, uint32_t min, uint32_t max,
                                 std::string_view unit = {});
  std::optional<std::string> absolute_path(const xmlNode* node);
  // One of `choices` (case-insensitive); the error lists them in table order.
  template <class T>
  std::optional<T> choice(const xmlNode* node, std::span<const Choice<T>> choices);

  template <class... Args>
  void error(const xmlNode* node, fmt::format_string<Args...> format, Args&&... args) {
    diag_.errors.push_back(fmt::format("{}:{}: {}", file_, line_of(node),
                                       fmt::format(format, std::forward<Args>(args)...)));
  }
  template <class... Args>
  void warn(const xmlNode* node, fmt::format_string<Args...> format, Args&&... args) {
    diag_.warnings.push_back(fmt::format("{}:{}: {}", file_, line_of(node),
                                         fmt::format(format, std::forward<Args>(args)...)));
  }
  size_t error_count() const { return diag_.errors.size(); }
  // "file:line" of `node`, for a record that points back at its element.
  std::string where(const xmlNode* node) const {
    return fmt::format("{}:{}", file_, line_of(node));
  }
  void unknown_element(const xmlNode* node, std::string_view parent, std::string_view known);

  // Sections of <ossec_config>; in config_parse.cc.
  void read_white_list(const xmlNode* entry);
  void read_command(const xmlNode* node);
  void read_active_response(const xmlNode* node);
  // <rampart>; in config_settings.cc.
  void read_settings(const xmlNode* node);
  void read_socket(const xmlNode* node, Settings& settings);

  // An <active-response> until finish() resolves its command by name.
  struct PendingResponse {
    ActiveResponse response;
    std::string command;
    int timeout_line = 0;
  };

 private:
  void read_root(const xmlNode* root);
  bool is_disabled(const xmlNode* node);
  void finish_response(const xmlNode* node, PendingResponse& pending, const SeenElements& seen);

  Config config_;
  Diagnostics diag_;
  std::vector<PendingResponse> pending_;
  std::unordered_map<std::string, size_t> command_index_;
  // OSSEC's agent-side <active-response> with only <repeated_offenders>: the default for
  // every binding with a timeout that sets none of its own.
  std::vector<uint32_t> default_repeated_offenders_;
  std::string file_;
  bool sockets_given_in_file_ = false;
};

template <class T>
std::optional<T> ConfigParser::choice(const xmlNode* node, std::span<const Choice<T>> choices) {
  auto value = text(node);
  if (!value) return {};
  std::string v = lower(*value);
  std::string words;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (v == choices[i].word) return choices[i].value;
    words += i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ";
    words += choices[i].label.empty() ? choices[i].word : choices[i].label;
  }
  error(node, "<{}> must be {}, not \"{}\"", name_of(node), words, *value);
  return {};
}

// Rows for the common cases: a checked value that goes straight into a field of the target.
template <class T, class Field>
auto number_into(Field T::*field, uint32_t min, uint32_t max, std::string_view unit = {}) {
  return [=](ConfigParser& p, const xmlNode* node, T& target) {
    if (auto n = p.number(node, min, max, unit)) target.*field = static_cast<Field>(*n);
  };
}
template <class T>
auto yes_no_into(bool T::*field) {
  return [=](ConfigParser& p, const xmlNode* node, T& target) {
    if (auto v = p.yes_no(node)) target.*field = *v;
  };
}
template <class T>
auto path_into(std::string T::*field) {
  return [=](ConfigParser& p, const xmlNode* node, T& target) {
    if (auto path = p.absolute_path(node)) target.*field = *path;
  };
}
template <class T, class Field, size_t N>
auto choice_into(Field T::*field, const Choice<Field> (&choices)[N]) {
  return [=](ConfigParser& p, const xmlNode* node, T& target) {
    if (auto v = p.choice(node, std::span<const Choice<Field>>(choices))) target.*field = *v;
  };
}
// A row that hands the element to one of the parser's own readers (a whole section).
template <class T>
auto reader(void (ConfigParser::*read)(const xmlNode*)) {
  return [read](ConfigParser& p, const xmlNode* node, T&) { (p.*read)(node); };
}
// A sub-block whose children go into the same target (<rampart><node>)...
template <class T>
auto block_into(const Block<T>& block) {
  return [&block](ConfigParser& p, const xmlNode* node, T& target) {
    p.read_block(node, block, target);
  };
}
// ... or into a struct of its own: {"fleet", block_into(&Settings::fleet, kFleetBlock)}.
template <class T, class Sub>
auto block_into(Sub T::*field, const Block<Sub>& block) {
  return [field, &block](ConfigParser& p, const xmlNode* node, T& target) {
    p.read_block(node, block, target.*field);
  };
}

// <rampart><fleet>, in config_fleet.cc.
void read_fleet(ConfigParser& p, const xmlNode* node, Settings& s);

}  // namespace rampart::config_internal
