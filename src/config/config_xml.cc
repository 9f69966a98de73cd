// libxml2 behind the config loader: making OSSEC's lenient XML readable, and turning
// libxml2's complaints into file:line diagnostics instead of text on stderr.
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "config/config_parse.h"
namespace rampart::config_internal {
namespace {

// The length of a character or predefined entity reference starting at text[0] == '&', or 0
// when this '&' is a literal one. Other named entities count as literal: OSSEC defines none,
// and libxml2 would drop an undefined one.
size_t reference_length(std::string_view text) {
  size_t end = text.find(';');
  if (end == std::string_view::npos || end < 2 || end > 12) return 0;
  std::string_view body = text.substr(1, end - 1);
  if (body == "lt" || body == "gt" || body == "amp" || body == "quot" || body == "apos")
    return end + 1;
  if (body[0] != '#') return 0;
  bool hex = body.size() > 1 && body[1] == 'x';
  std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty()) return 0;
  for (char c : digits)
    if (!(std::isdigit(static_cast<unsigned char>(c)) ||
          (hex && std::isxdigit(static_cast<unsigned char>(c)))))
      return 0;
  return end + 1;
}

// Copies text[pos..] up to and including `terminator` (or to the end) into out.
size_t copy_through(std::string_view text, size_t pos, std::string_view terminator,
                    std::string& out) {
  size_t end = text.find(terminator, pos);
  end = end == std::string_view::npos ? text.size() : end + terminator.size();
  out.append(text.substr(pos, end - pos));
  return end;
}

struct ErrorSink {
  const std::string* filename;
  Diagnostics* diag;
  int reported = 0;
  bool truncated = false;
  int unclosed_comment_line = 0;
};

constexpr int kMaxXmlWarnings = 20;

void on_xml_error(void* user_data, xmlErrorPtr error) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(user_data);
  auto* sink = static_cast<ErrorSink*>(ctxt->_private);
  if (!sink || !error) return;
  // OSSEC reads these comments as intended; there is nothing for the admin to fix.
  if (error->code == XML_ERR_HYPHEN_IN_COMMENT) return;
  std::string message = error->message ? error->message : "XML error";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::ranges::replace(message, '\n', ' ');
  std::string_view open = error->str1 ? error->str1 : "";
  std::string_view close = error->str2 ? error->str2 : "";
  if (error->code == XML_ERR_TAG_NAME_MISMATCH && open == kSyntheticRoot) {
    // A closing tag with no opening one ends the synthetic root: libxml2 would stop here.
    sink->truncated = true;
    sink->diag->errors.push_back(
        fmt::format("{}:{}: </{}> closes nothing that is open, so the rest of the file would "
                    "be ignored; remove it or add the missing <{}>",
                    *sink->filename, error->line, close, close));
    return;
  }
  if (error->code == XML_ERR_TAG_NAME_MISMATCH && close == kSyntheticRoot) {
    if (++sink->reported <= kMaxXmlWarnings)
      sink->diag->warnings.push_back(fmt::format("{}:{}: <{}> is never closed; add </{}>",
                                                 *sink->filename, error->int1, open, open));
    return;
  }
  if (error->code == XML_ERR_TAG_NAME_MISMATCH) {
    // <name>firewall-drop</command>: OSSEC and Wazuh refuse the file, and a guess at what was
    // meant could bind the wrong command, so rampart refuses it too.
    sink->diag->errors.push_back(
        fmt::format("{}:{}: <{}> (opened on line {}) is closed by </{}>; OSSEC and Wazuh refuse "
                    "this file too; close it with </{}>",
                    *sink->filename, error->line, open, error->int1, close, open));
    return;
  }
  if (error->code == XML_ERR_DOCUMENT_END) {
    if (!sink->truncated)
      sink->diag->errors.push_back(
          fmt::format("{}:{}: the XML ends before this line, so the rest of the file would be "
                      "ignored; remove the stray closing tag before it",
                      *sink->filename, error->line));
    sink->truncated = true;
    return;
  }
  if (error->code == XML_ERR_COMMENT_NOT_FINISHED) {
    sink->diag->errors.push_back(fmt::format(
        "{}:{}: a comment is never closed, so everything after its \"<!--\" would "
        "be ignored; add the missing \"-->\"",
        *sink->filename, sink->unclosed_comment_line ? sink->unclosed_comment_line : error->line));
    return;
  }
  if (message.find(kSyntheticRoot) != std::string::npos) return;
  if (++sink->reported > kMaxXmlWarnings) return;
  sink->diag->warnings.push_back(
      fmt::format("{}:{}: XML: {} (loaded anyway; fix the XML to silence this)", *sink->filename,
                  error->line, message));
}

}  // namespace

std::string prepare_xml_text(std::string_view text, int* unclosed_comment_line) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::string out;
  out.reserve(text.size() + 2 * kSyntheticRoot.size() + 64);
  out += '<';
  out += kSyntheticRoot;
  out += '>';

  size_t pos = 0;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text.substr(first).starts_with("<?xml")) {
    size_t end = text.find("?>", first);
    end = end == std::string_view::npos ? text.size() : end + 2;
    // Keep the declaration's newlines so that line numbers stay true.
    for (size_t i = 0; i < end; ++i)
      if (text[i] == '\n') out += '\n';
    pos = end;
  }

  while (pos < text.size()) {
    char c = text[pos];
    if (c == '<') {
      std::string_view rest = text.substr(pos);
      if (rest.starts_with("<!--")) {
        if (unclosed_comment_line && text.find("-->", pos + 4) == std::string_view::npos)
          *unclosed_comment_line =
              1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
        pos = copy_through(text, pos, "-->", out);
        continue;
      }
      if (rest.starts_with("<![CDATA[")) {
        pos = copy_through(text, pos, "]]>", out);
        continue;
      }
    } else if (c == '&') {
      if (size_t n = reference_length(text.substr(pos))) {
        out.append(text.substr(pos, n));
        pos += n;
      } else {
        out += "&amp;";
        ++pos;
      }
      continue;
    }
    out += c;
    ++pos;
  }
  out += "</";
  out += kSyntheticRoot;
  out += '>';
  return out;
}

XmlDocPtr read_xml(std::string_view text, const std::string& filename, Diagnostics& diag) {
  std::unique_ptr<xmlParserCtxt, Deleter<xmlFreeParserCtxt>> ctxt(xmlNewParserCtxt());
  if (!ctxt) {
    diag.errors.push_back(fmt::format("{}:1: out of memory while reading XML", filename));
    return nullptr;
  }
  ErrorSink sink{&filename, &diag};
  std::string prepared = prepare_xml_text(text, &sink.unclosed_comment_line);
  ctxt->_private = &sink;
  ctxt->sax->serror = on_xml_error;
  ctxt->sax->initialized = XML_SAX2_MAGIC;
  XmlDocPtr doc(xmlCtxtReadMemory(
      ctxt.get(), prepared.data(), static_cast<int>(prepared.size()), filename.c_str(), nullptr,
      XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES));
  if (sink.reported > kMaxXmlWarnings)
    diag.warnings.push_back(fmt::format("{}: {} more XML warnings not shown", filename,
                                        sink.reported - kMaxXmlWarnings));
  if (!doc || !xmlDocGetRootElement(doc.get())) {
    diag.errors.push_back(
        fmt::format("{}:1: not readable as XML; check that the file is an "
                    "ossec.conf with <ossec_config> sections",
                    filename));
    return nullptr;
  }
  return doc;
}

int line_of(const xmlNode* node) {
  return node ? static_cast<int>(xmlGetLineNo(const_cast<xmlNode*>(node))) : 0;
}

std::string_view name_of(const xmlNode* node) {
  return node && node->name ? reinterpret_cast<const char*>(node->name) : "";
}

std::vector<const xmlNode*> child_elements(const xmlNode* node) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = node->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

}  // namespace rampart::config_internal
