// libxml2 handles.
#pragma once

#include <libxml/parser.h>

#include "base/handle.h"

namespace rampart {

using XmlDocPtr = Handle<xmlDoc, xmlFreeDoc>;

}  // namespace rampart
