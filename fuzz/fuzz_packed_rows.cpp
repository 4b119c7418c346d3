// Packed result rows (core/results.h), the divert buffer's and the savepoint's row encoding, on
// arbitrary bytes: unpacked or refused, never a crash; rows that unpack pack and unpack again to
// the same rows.
#include "core/results.h"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto rows = tally::unpackRows(std::string_view(reinterpret_cast<const char *>(data), size));
    if (!rows)
        return 0;
    auto again = tally::unpackRows(tally::packRows(*rows));
    if (!again || *again != *rows)
        std::abort();
    return 0;
}
