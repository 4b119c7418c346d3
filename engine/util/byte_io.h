// Little-endian fixed-width fields in byte strings, for the on-disk formats (keyed state,
// savepoints, the divert buffer). Host byte order: Tally builds for little-endian hosts only.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace tally {

template <typename T>
void putBytes(std::string &out, T v)
{
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

// A u32 length followed by the bytes (ByteReader::section reads it).
inline void putSection(std::string &out, std::string_view bytes)
{
    putBytes<uint32_t>(out, static_cast<uint32_t>(bytes.size()));
    out.append(bytes);
}

// A section whose bytes `fill(out)` appends in place; the length is filled in after.
template <typename Fill>
void putSectionInPlace(std::string &out, Fill &&fill)
{
    const size_t at = out.size();
    putBytes<uint32_t>(out, 0);
    fill(out);
    const auto length = static_cast<uint32_t>(out.size() - at - sizeof(uint32_t));
    std::memcpy(out.data() + at, &length, sizeof length);
}

// Reads fields in order; every get() fails (returns false) once the bytes run out.
class ByteReader {
public:
    explicit ByteReader(std::string_view bytes) : m_bytes(bytes) {}
    template <typename T>
    bool get(T &v)
    {
        if (m_bytes.size() - m_pos < sizeof(T))
            return false;
        std::memcpy(&v, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return true;
    }
    // A u32 length followed by that many bytes.
    bool section(std::string_view &out)
    {
        uint32_t n = 0;
        if (!get(n) || m_bytes.size() - m_pos < n)
            return false;
        out = m_bytes.substr(m_pos, n);
        m_pos += n;
        return true;
    }
    size_t remaining() const { return m_bytes.size() - m_pos; }

private:
    std::string_view m_bytes;
    size_t m_pos = 0;
};

} // namespace tally
