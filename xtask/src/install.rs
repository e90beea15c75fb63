//! Finding and installing the toolchain and system tools (filled in by the foundation work).
