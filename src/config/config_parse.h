// Internal to the config loader: turns ossec.conf documents into a Config. One ConfigParser
// reads every file of a configuration (main file, then conf.d) so that commands may be
// defined after, or in another file than, the responses that use them.
#pragma once

#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/handles_xml.h"
#include "config/config.h"
namespace rampart::config_internal {

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

class ConfigParser {
 public:
  void add_document(std::string_view text, const std::string& filename);
  // Resolves command references across all documents and returns the Config, or every
  // error in one EINVAL Error.
  Result<Config> finish();

 private:
  struct PendingResponse {
    ActiveResponse response;
    std::string command;
    int timeout_line = 0;
  };

  void read_root(const xmlNode* root);
  void read_global(const xmlNode* global);
  void read_white_list(const xmlNode* entry);
  void read_command(const xmlNode* node);
  void read_active_response(const xmlNode* node);
  bool is_disabled(const xmlNode* node);

  // <rampart>; in config_settings.cc.
  void read_settings(const xmlNode* node);
  void read_node_settings(const xmlNode* node);
  void read_max_prefix(const xmlNode* node);
  void read_journal(const xmlNode* node);
  void read_firewalld(const xmlNode* node);

  // Value readers: each reports its own error (naming the element and the fix) and returns
  // nullopt on a bad value.
  std::optional<std::string> text(const xmlNode* node);
  std::optional<bool> yes_no(const xmlNode* node);
  std::optional<uint32_t> number(const xmlNode* node, uint32_t min, uint32_t max,
                                 std::string_view unit = {});
  std::optional<std::string> absolute_path(const xmlNode* node);
  void unknown_element(const xmlNode* node, std::string_view parent, std::string_view known);

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

}  // namespace rampart::config_internal
