/* A Rivet guest in C, built by gcc or clang for rv32em (see test-programs/tests/c_guest.rs):
   returns a 31-based rolling checksum of its input as a little-endian u32. */
#include <stdint.h>

enum { INPUT_SIZE = 1, INPUT_READ = 2, RETURN = 3 }; /* abi/src/lib.rs */

static inline uint32_t host(uint32_t n, uint32_t a0, uint32_t a1, uint32_t a2) {
    register uint32_t t0 __asm__("t0") = n;
    register uint32_t r0 __asm__("a0") = a0;
    register uint32_t r1 __asm__("a1") = a1;
    register uint32_t r2 __asm__("a2") = a2;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(t0), "r"(r2) : "memory");
    return r0;
}

static uint8_t input[4096];
static const uint32_t multiplier = 31; /* in .rodata / .srodata */
static uint32_t calls;                 /* in .bss / .sbss */

void call(void) {
    uint32_t n = host(INPUT_SIZE, 0, 0, 0);
    if (n > sizeof input) n = sizeof input;
    host(INPUT_READ, (uint32_t)input, 0, n);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) sum = sum * multiplier + input[i];
    calls++;
    host(RETURN, 0, (uint32_t)&sum, 4);
}

/* The record rivet-link reads: address, name length, name. */
struct export { void (*address)(void); uint32_t name_len; char name[4]; };
__attribute__((used, section(".rivet_exports"))) static const struct export call_export = { call, 4, "call" };
