//! The WebSocket close codes the gateway sends and reports to `$disconnect` (RFC 6455 §7.4.1),
//! each with when it is used.

/// Normal closure: `@connections` DELETE.
pub const CLOSE_NORMAL: u16 = 1000;
/// Going away: idle, lifetime, shutdown.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Protocol error from the client.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Unsupported data: binary frames.
pub const CLOSE_UNSUPPORTED: u16 = 1003;
/// What `$disconnect` hears when the client closed without a code.
pub const CLOSE_NO_STATUS: u16 = 1005;
/// What `$disconnect` hears when the TCP connection ended without a close frame.
pub const CLOSE_ABNORMAL: u16 = 1006;
/// Text that is not UTF-8.
pub const CLOSE_INVALID_DATA: u16 = 1007;
/// Close code for a client that does not read what it is sent (policy violation).
pub const SLOW_READER_CLOSE: u16 = 1008;
/// Frame or message over the limit.
pub const CLOSE_TOO_BIG: u16 = 1009;
