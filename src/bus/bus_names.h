// The names of rampart's D-Bus API (dbus/org.rampart1.Manager.xml), shared by rampartd's bus
// adapter and rampartctl. Names only: rampartctl talks to rampartd over the bus, never through
// shared code.
#pragma once

namespace rampart {

inline constexpr const char* kBusName = "org.rampart1";
inline constexpr const char* kBusPath = "/org/rampart1";
inline constexpr const char* kBusInterface = "org.rampart1.Manager";

// The errors rampart itself defines; the others are org.freedesktop.DBus.Error.*.
inline constexpr const char* kErrorNotBlocked = "org.rampart1.Error.NotBlocked";
inline constexpr const char* kErrorAllowlisted = "org.rampart1.Error.Allowlisted";
inline constexpr const char* kErrorTooManyBlocks = "org.rampart1.Error.TooManyBlocks";
inline constexpr const char* kErrorInvalidConfig = "org.rampart1.Error.InvalidConfig";
inline constexpr const char* kErrorBackendFailed = "org.rampart1.Error.BackendFailed";
inline constexpr const char* kErrorNoFleet = "org.rampart1.Error.NoFleet";

// The polkit actions (polkit/org.rampart1.policy).
inline constexpr const char* kActionManageBlocks = "org.rampart1.manage-blocks";
inline constexpr const char* kActionSubmitAlerts = "org.rampart1.submit-alerts";
inline constexpr const char* kActionReload = "org.rampart1.reload";

}  // namespace rampart
