// libnats (the NATS C client) handles.
#pragma once

#include <nats/nats.h>

#include "base/handle.h"

namespace rampart {

using NatsOptionsPtr = Handle<natsOptions, natsOptions_Destroy>;
using NatsConnectionPtr = Handle<natsConnection, natsConnection_Destroy>;
using NatsSubscriptionPtr = Handle<natsSubscription, natsSubscription_Destroy>;
using NatsMsgPtr = Handle<natsMsg, natsMsg_Destroy>;
using JsCtxPtr = Handle<jsCtx, jsCtx_Destroy>;
using JsStreamInfoPtr = Handle<jsStreamInfo, jsStreamInfo_Destroy>;
using JsConsumerInfoPtr = Handle<jsConsumerInfo, jsConsumerInfo_Destroy>;
using JsMsgMetaDataPtr = Handle<jsMsgMetaData, jsMsgMetaData_Destroy>;

}  // namespace rampart
