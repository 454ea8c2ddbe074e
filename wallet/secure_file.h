// Private files written so that a crash never leaves a half-written one under the real name:
// data goes to a hidden temporary file in the same directory, is fsynced, then moved into place
// (link for "create only", rename for "replace"), and the directory is fsynced.
#pragma once

#include <string>
#include <sys/types.h>

#include "common/status.h"

namespace step::wallet {

enum class WriteMode {
    kCreateNew,  // fail with file-exists if the target exists (atomically: link(2), not a check)
    kReplace,    // replace any existing target atomically (rename(2))
};

// Creates dir and any missing parents with mode 0700; an existing dir keeps its mode.
Status ensure_private_dir(const std::string& dir);

// Writes data to `path` with permission bits `mode` (umask does not apply), atomically.
Status atomic_write_file(const std::string& path, const std::string& data, mode_t mode,
                         WriteMode write_mode);

// The two halves of atomic_write_file, exposed as the seam the tests use to stand in for a
// crash between them. write_temp_file returns the hidden temporary's path.
Result<std::string> write_temp_file(const std::string& path, const std::string& data, mode_t mode);
Status commit_temp_file(const std::string& temp_path, const std::string& path,
                        WriteMode write_mode);

// Temporaries are hidden files whose names start with '.' and contain ".tmp-".
bool is_temp_file_name(const std::string& file_name);

// Who besides the owner may use a file or folder, from its permission bits (as ssh judges a
// private key): group or others may write it, or only read it, or neither.
enum class Exposure { kPrivate, kReadableByOthers, kWritableByOthers };
// The exposure of `path` (stat, following links); file-not-found when absent.
Result<Exposure> exposure_of(const std::string& path);
// "keystore file '/x' is readable by group or others (mode 0644)": the line a warning or an
// error says about an exposed `path` (`what` names it).
std::string exposure_text(const std::string& what, const std::string& path, Exposure exposure);

// Reads a whole file of at most max_bytes (file-too-large beyond), file-not-found if absent.
Result<std::string> read_small_file(const std::string& path, size_t max_bytes);

}  // namespace step::wallet
