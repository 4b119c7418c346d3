#include "source/source.h"

namespace tally {

Status Source::seek(const std::vector<int64_t> &)
{
    return Status::unimplemented("this source cannot continue from a savepoint's positions");
}

} // namespace tally
