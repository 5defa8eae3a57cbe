//! Mock-runtime tests. Every scenario runs on both backends (the interpreter in the
//! runtime and the JIT behind the host functions) and the two must agree on results,
//! events and state.

mod scenarios;
