// The MESSAGE_ID of every audit record rampart writes to the journal, one per event type.
// Generated once with `journalctl --new-id128`; they never change, because administrators
// filter on them (`journalctl MESSAGE_ID=...`) and catalog/rampart.catalog explains them.
#pragma once

#include <string_view>

namespace rampart::audit_id {

inline constexpr std::string_view kBlocked = "ec18b432fd47453f9e7e6fc2a7afd87a";
inline constexpr std::string_view kRefreshed = "ec0db0ba680f40cab7cd76c553534f42";
inline constexpr std::string_view kUnblocked = "c9677f288882448bab6197ddeaa285e7";
inline constexpr std::string_view kExpired = "e7c8272b21c240d88ca15b8ccf2eacb0";
inline constexpr std::string_view kSkipped = "64442b76f7384a81a65758062c74a143";
inline constexpr std::string_view kRefused = "c3cccb5d700c437e84caa998de63cac4";
inline constexpr std::string_view kBackendFailure = "25370ef5d7974f78a546b23be7f5df50";
inline constexpr std::string_view kRestored = "63c65ec7806448719dca0c3be124fe35";
inline constexpr std::string_view kConfigLoaded = "00d77f28f3a4472ba4325c4b16431c53";
inline constexpr std::string_view kConfigRejected = "272b01ae91714e22bcd260c8df3a0ce0";
inline constexpr std::string_view kAlertRejected = "37a2898bba9043ac9034ac7ada3ed5cd";
inline constexpr std::string_view kFeedLoaded = "3a51ec22b3244cb3b60fc4f26ae92286";
inline constexpr std::string_view kFeedRefused = "b266aca9ab9341bfab8be21f7232e780";
// A fleet's orders: sent (stored by JetStream), received with nothing to do, applied, refused.
inline constexpr std::string_view kOrderSent = "740ac4ef5c6b49929dbeb4090ab099e6";
inline constexpr std::string_view kOrderReceived = "8b65a0337cca47129290aaca008e94bd";
inline constexpr std::string_view kOrderApplied = "afa9dd90d0d24b379978de3ea2eab123";
inline constexpr std::string_view kOrderRefused = "f7ec77759f5b4b62ad589470a74d6acb";
// Per-address records the journal could not take at once (a flood), counted per event type.
inline constexpr std::string_view kSummary = "9c5642ead8964911b5a60c740b1adb85";

}  // namespace rampart::audit_id
