// libmnl and libnftnl handles.
#pragma once

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "base/handle.h"

namespace rampart {

using MnlSocketPtr = Handle<mnl_socket, mnl_socket_close>;
using NftTablePtr = Handle<nftnl_table, nftnl_table_free>;
using NftChainPtr = Handle<nftnl_chain, nftnl_chain_free>;
using NftRulePtr = Handle<nftnl_rule, nftnl_rule_free>;
using NftSetPtr = Handle<nftnl_set, nftnl_set_free>;
using NftSetElemPtr = Handle<nftnl_set_elem, nftnl_set_elem_free>;
using NftBatchPtr = Handle<nftnl_batch, nftnl_batch_free>;
using NftUdataBufPtr = Handle<nftnl_udata_buf, nftnl_udata_buf_free>;

}  // namespace rampart
